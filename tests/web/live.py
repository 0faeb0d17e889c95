"""A real `dam serve` (waitress, workers, search sync) in a child process, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import changefeed_check

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    log: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_dam(base: Path, *args: str, env: dict[str, str] | None = None,
            log: Path | None = None, new_session: bool = False) -> subprocess.Popen[str]:
    """Run `dam ARGS` in ``base`` (its data under base/var); output goes to ``log``;
    ``new_session``: in a process group of its own (to kill it with its children at once)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
    # The change feed's check goes with the tests into the server (tests/changefeed_check.py).
    path = [changefeed_check.SITE_DIR] if os.environ.get("ACERVO_CHANGEFEED_LOG") else []
    environment.update({"DAM_DATA_DIR": str(base / "var"),
                        "PYTHONPATH": os.pathsep.join([*path, str(ROOT)]),
                        "DAM_FACES": "false"})  # dlib costs each worker ~1 s: faces tests opt in
    environment.update(env or {})
    if log is None:
        return subprocess.Popen([sys.executable, "-c", "from dam.cli import main; main()", *args],
                                cwd=base, env=environment, stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT, text=True,
                                start_new_session=new_session)
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-c", "from dam.cli import main; main()",
                                 *args], cwd=base, env=environment, stdout=out,
                                stderr=subprocess.STDOUT, text=True,
                                start_new_session=new_session)


def start_server(base: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                 timeout: float = 60) -> LiveServer:
    base.mkdir(parents=True, exist_ok=True)
    assert run_dam(base, "init", env=env).wait(timeout=120) == 0  # the same catalog and store
    return wait_until_serving(spawn_server(base, workers=workers, env=env), timeout)


def spawn_server(base: Path, *, workers: int = 1, env: dict[str, str] | None = None
                 ) -> LiveServer:
    """Start `dam serve` on a free port in ``base`` (already initialised); do not wait."""
    port = free_port()
    log = base / "serve.log"
    process = run_dam(base, "serve", "--port", str(port), "--workers", str(workers),
                      env={"DAM_JOB_RETRY_BASE_SECONDS": "0.2", "DAM_SEARCH_SYNC_SECONDS": "0.2",
                           **(env or {})}, log=log)
    return LiveServer(f"http://127.0.0.1:{port}", process, log)


def wait_until_serving(server: LiveServer, timeout: float = 60) -> LiveServer:
    """Wait until ``server`` answers /healthz; stop it and raise if it does not in time."""
    process = server.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dam serve exited: {server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"dam serve did not answer in {timeout} s: {server.output()}")


@contextmanager
def chromium_page(**context_options: Any) -> Iterator[Any]:
    """A page of Debian's Chromium, in Spanish at 1280x900 unless told otherwise.

    Our own fixture: pytest-playwright's raise a PytestRemovedIn10Warning under warnings as errors.
    """
    import pytest

    sync_api = pytest.importorskip("playwright.sync_api")
    options = {"locale": "es-MX", "viewport": {"width": 1280, "height": 900}, **context_options}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=ARGS)
        context = browser.new_context(**options)
        context.set_default_timeout(30_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
