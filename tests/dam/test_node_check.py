"""`dam check` names each reason a node cannot join the others, and `dam init` what to share."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from dam import node_check
from dam.cli import get_cli
from dam.config import Settings
from dam.context import open_context
from dam.db import Catalog
from dam.node_check import Finding, check_node
from dam.search.service import SearchService
from tests.conftest import make_settings
from tests.dam.test_changes import _new_asset


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(settings: Settings) -> dict[str, str]:
    env = {"DAM_DATA_DIR": str(settings.data_dir)}
    if not settings.catalog_url.startswith("sqlite"):
        env["DAM_CATALOG_URL"] = settings.catalog_url
    return env


def _init(settings: Settings, **extra_env: str) -> str:
    out = CliRunner().invoke(get_cli(), ["init"], obj={}, env={**_env(settings), **extra_env})
    assert out.exit_code == 0, out.output
    return out.output


def _by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.name: f for f in findings}


def _failed(settings: Settings) -> dict[str, str]:
    return {f.name: f.detail for f in check_node(settings) if not f.ok}


def test_an_initialised_node_passes_and_init_says_what_to_share(any_settings: Settings) -> None:
    output = _init(any_settings)
    assert "to add a node" in output
    for name in ("url_signing_key", "c2pa_cert", "c2pa_key", "manifest_key"):
        assert f"  {name}: " in output
    assert str(Path(any_settings.data_dir) / "secret.key") in output

    out = CliRunner().invoke(get_cli(), ["check"], obj={}, env=_env(any_settings))
    assert out.exit_code == 0, out.output
    assert "dam check: all good" in out.output
    assert "ok   store:" in out.output and "ok   clock:" in out.output
    assert "note search index: none yet" in out.output


def test_an_unreachable_catalog_fails_with_the_reason(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/acervo"
    settings = make_settings(tmp_path, catalog_url=url)
    out = CliRunner().invoke(get_cli(), ["check"], obj={}, env={"DAM_DATA_DIR": str(
        settings.data_dir), "DAM_CATALOG_URL": url})
    assert out.exit_code == 1
    assert "FAIL catalog: cannot reach postgresql+psycopg://postgres@127.0.0.1" in out.output
    assert "refused" in out.output
    assert "ok   store:" in out.output  # what can still be checked is
    assert "dam check: 1 problem(s)" in out.output


def test_a_catalog_not_at_this_versions_schema_fails(settings: Settings) -> None:
    assert "not initialised: run `dam init`" in _failed(settings)["schema"]
    _init(settings)
    catalog = Catalog(settings.catalog_url)
    with catalog.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0016'"))
    catalog.dispose()
    assert "at schema 0016, this version needs" in _failed(settings)["schema"]


def test_a_store_that_cannot_be_written_fails(settings: Settings, tmp_path: Path) -> None:
    _init(settings)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    failed = _failed(settings.replace(store_url=not_a_folder.as_uri()))
    assert "cannot write, read and delete" in failed["store"]
    assert list(failed) == ["store"]


def test_an_unreachable_replica_store_fails(settings: Settings) -> None:
    _init(settings)
    settings = settings.replace(replica_store_url="s3://replica/acervo",
                                s3_endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    assert "s3://replica/acervo" in _failed(settings)["replica store"]


def test_a_reachable_replica_store_passes(settings: Settings, tmp_path: Path) -> None:
    _init(settings)
    settings = settings.replace(replica_store_url=(tmp_path / "replica").as_uri())
    (tmp_path / "replica").mkdir()
    assert _by_name(check_node(settings))["replica store"].ok


def test_keys_missing_or_differing_from_the_other_nodes_fail(any_settings: Settings,
                                                            tmp_path: Path) -> None:
    _init(any_settings)
    first = Path(any_settings.data_dir)
    # A second node on the same catalog and store, whose `dam init` made its own keys.
    second = make_settings(tmp_path / "second", catalog_url=any_settings.catalog_url,
                           store_url=any_settings.store_url)
    result = CliRunner().invoke(get_cli(), ["init"], obj={}, env={
        "DAM_DATA_DIR": str(second.data_dir), "DAM_CATALOG_URL": any_settings.catalog_url,
        "DAM_STORE_URL": any_settings.store_url})
    assert result.exit_code == 0
    assert "WARNING" in result.output and "secret.key (url_signing_key) differs" in result.output
    failed = _failed(second)
    assert set(failed) == {"key url_signing_key", "key c2pa_cert", "key c2pa_key",
                           "key manifest_key"}
    assert "differs from the copy the other nodes use" in failed["key url_signing_key"]

    shutil.copy(first / "secret.key", Path(second.data_dir) / "secret.key")
    shutil.copytree(first / "keys", Path(second.data_dir) / "keys", dirs_exist_ok=True)
    assert _failed(second) == {}

    (Path(second.data_dir) / "keys" / "manifest-ed25519.pem").unlink()
    assert "missing on this node" in _failed(second)["key manifest_key"]

    catalog = Catalog(any_settings.catalog_url)
    with catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM shared_keys WHERE name = 'c2pa_cert'"))
    catalog.dispose()
    assert "no record of it: run `dam init`" in _failed(second)["key c2pa_cert"]


def test_a_clock_out_of_step_with_the_catalog_server_fails(any_settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    _init(any_settings)
    assert _by_name(check_node(any_settings))["clock"].ok
    real = node_check.local_now
    monkeypatch.setattr(node_check, "local_now", lambda: real() + dt.timedelta(seconds=10))
    detail = _failed(any_settings)["clock"]
    assert "clock is 10.0 s ahead of" in detail and "at most 2 s" in detail


def test_the_search_index_says_how_far_behind_it_is(settings: Settings) -> None:
    _init(settings)
    context = open_context(settings)
    service = SearchService(settings, context.catalog)
    try:
        service.rebuild()
        assert "up to date" in _by_name(check_node(settings))["search index"].detail
        _new_asset(context)
        _new_asset(context)
        finding = _by_name(check_node(settings))["search index"]
        assert finding.ok and "2 change(s) behind the catalog" in finding.detail
    finally:
        service.close()
        context.close()
