"""The reference deployment in deploy/: unit files systemd accepts, running real `dam` commands
with options they have, on settings Acervo accepts, behind a proxy sent to the port it serves."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from dam.cli import get_cli
from dam.config import load_settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_DAM = "/opt/acervo/.venv/bin/dam"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are cased
    parser.read(path, encoding="utf-8")
    return parser


def test_the_three_units_are_there() -> None:
    assert [u.name for u in UNITS] == [
        "acervo-search-sync.service", "acervo-serve.service", "acervo-worker.service"]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_dam_commands_that_exist(path: Path) -> None:
    unit = _unit(path)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["Environment"] == "DAM_CONFIG=/etc/acervo/dam.toml"
    cli = get_cli()
    for key in ("ExecStartPre", "ExecStart"):
        if key not in unit["Service"]:
            continue
        program, *args = shlex.split(unit["Service"][key])
        assert program == INSTALLED_DAM
        name, *options = args
        command = cli.commands.get(name)
        assert command is not None, f"{path.name}: `dam {name}` is not a dam command"
        with command.make_context(name, list(options)) as ctx:  # the options parse
            assert isinstance(ctx, click.Context)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    dam = Path(sys.executable).with_name("dam")
    if not dam.is_file():
        pytest.skip("dam is not installed beside this Python")
    copies = []
    for path in UNITS:  # the same units, with the executable this machine has
        copy = tmp_path / path.name
        copy.write_text(path.read_text(encoding="utf-8").replace(INSTALLED_DAM, str(dam)),
                        encoding="utf-8")
        copies.append(str(copy))
    done = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True,
                          text=True, timeout=60, check=False)
    complaints = [line for line in (done.stdout + done.stderr).splitlines()
                  if str(tmp_path) in line or "acervo-" in line]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


def test_the_reference_settings_load_and_match_the_proxy(tmp_path: Path) -> None:
    settings = load_settings(DEPLOY / "dam.toml", env={}, base_dir=tmp_path)
    assert settings.catalog_url.startswith("postgresql+psycopg://")
    assert settings.store_url.startswith("s3://") and settings.replica_store_url
    assert settings.web_trusted_proxies == 1 and settings.web_secure_cookies
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.findall(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert len(upstreams) == 1  # every request round-robin: upload chunks wait in the store
    ports = {address.rsplit(":", 1)[1] for address in upstreams[0].split()}
    assert ports == {str(settings.web_port)}
    assert caddyfile.count("health_uri /healthz") == 1
    assert "lb_policy round_robin" in caddyfile and "ip_hash" not in caddyfile
    assert settings.upload_chunks_to in ("auto", "store")
