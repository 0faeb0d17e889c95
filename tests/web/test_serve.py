"""`dam serve`: the server answers, the first admin is made once, several processes share the
port and replace one that dies, SIGTERM stops all."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
import urllib.request
from pathlib import Path

from tests.web.live import LiveServer, run_dam, start_server


def test_serve_creates_the_first_admin_once_and_stops_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=1)
    try:
        with urllib.request.urlopen(f"{server.url}/entrar") as response:
            page = response.read().decode()
            assert "Iniciar sesión" in page and response.headers["Server"] == "Acervo"
        with urllib.request.urlopen(f"{server.url}/healthz") as response:
            assert json.load(response)["checks"]["catalog"]["status"] == "ok"
    finally:
        assert server.stop() == 0
    first = server.output()
    assert re.search(r"account 'admin' created with password \S{12,}", first)
    again = start_server(tmp_path, workers=0)
    assert again.stop() == 0
    assert "created with password" not in again.output()  # only on the first start


def _children(server: LiveServer) -> dict[int, int]:
    """Serving child per index, as the log last announced them."""
    return {int(i): int(pid) for i, pid in
            re.findall(r"web process (\d+) \(pid (\d+)\) serving", server.output())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _wait_for(condition, seconds: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_several_serving_processes_share_the_port_and_replace_one_that_dies(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, workers=0, env={"DAM_WEB_PROCESSES": "2"})
    try:
        assert "(2 web processes" in server.output()
        assert _wait_for(lambda: len(_children(server)) == 2)
        first = _children(server)
        os.kill(first[0], signal.SIGKILL)  # a crash, as the out-of-memory killer would do
        assert _wait_for(lambda: _children(server).get(0) not in (None, first[0]))
        assert f"web process 0 (pid {first[0]}) exited with -9: starting another" \
            in server.output()
        for _ in range(20):  # every connection is answered, whichever process takes it
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
                assert response.status == 200
        children = list(_children(server).values())
    finally:
        assert server.stop() == 0
    assert _wait_for(lambda: not any(_alive(pid) for pid in children), 10)


def test_a_port_already_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert run_dam(tmp_path, "init").wait(timeout=120) == 0
        log = tmp_path / "serve.log"
        process = run_dam(tmp_path, "serve", "--port", str(port), "--workers", "0", log=log)
        assert process.wait(timeout=60) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in log.read_text()


def test_process_count_follows_the_setting_and_the_cores(tmp_path: Path) -> None:
    from tests.conftest import make_settings
    from web.server import MAX_AUTO_PROCESSES, process_count

    cores = len(os.sched_getaffinity(0))
    assert process_count(make_settings(tmp_path)) == min(cores, MAX_AUTO_PROCESSES)  # default 0
    assert process_count(make_settings(tmp_path, web_processes=3)) == 3
    assert process_count(make_settings(tmp_path, web_processes=3), 1) == 1  # --processes wins
