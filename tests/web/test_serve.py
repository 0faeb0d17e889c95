"""`dam serve`: the server answers, the first admin is made once, several processes share the
port and replace one that dies, SIGTERM stops all."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.web.live import LiveServer, run_dam, start_server


def test_serve_creates_the_first_admin_once_and_stops_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=1)
    try:
        with urllib.request.urlopen(f"{server.url}/entrar") as response:
            page = response.read().decode()
            assert "Iniciar sesión" in page and response.headers["Server"] == "Acervo"
        with urllib.request.urlopen(f"{server.url}/healthz") as response:
            assert json.load(response) == {"status": "ok"}  # details are for admins
    finally:
        assert server.stop() == 0
    first = server.output()
    assert re.search(r"account 'admin' created with password \S{12,}", first)
    assert "dam serve stopping" in first and "signal SIGTERM" in first  # when and why
    assert "dam serve stopped: signal SIGTERM" in first
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


def test_only_the_first_serving_process_follows_the_catalog_into_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One index writer per node: processes syncing in turn re-indexed each other's work."""
    import web
    from tests.conftest import make_settings
    from web import server

    synced: list[bool] = []

    class _App:
        extensions = {"acervo": type("State", (), {"close": lambda self: None})()}

    def fake_app(settings: object, *, sync_search: bool = False) -> _App:
        synced.append(sync_search)
        return _App()

    class _Server:
        def run(self) -> None:
            return None

        def close(self) -> None:
            return None

    reads: list[int] = []
    monkeypatch.setattr(web, "create_app", fake_app)
    monkeypatch.setattr(server, "_start_housekeeping", lambda app, index: None)
    monkeypatch.setattr("waitress.create_server",
                        lambda app, **options: reads.append(options["recv_bytes"]) or _Server())
    settings = make_settings(tmp_path)
    for index in range(3):
        server.serve_app(settings, None, threads=2, index=index)  # type: ignore[arg-type]
    assert synced == [True, False, False]
    assert reads == [server.RECV_BYTES] * 3 and server.RECV_BYTES >= 64 * 1024


class _Session:
    """A signed-in browser, as far as the JSON API cares: cookie and CSRF token."""

    def __init__(self, url: str, username: str, password: str) -> None:
        import http.cookiejar

        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = self._csrf("/entrar")
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        self.opener.open(f"{url}/entrar", data=form).read()
        self.token = self._csrf("/")

    def _csrf(self, path: str) -> str:
        page = self.opener.open(self.url + path).read().decode()
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, page[:300]
        return found.group(1)

    def call(self, method: str, path: str, body: object = None, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
        sent = {"X-CSRF-Token": self.token, **(headers or {})}
        if body is not None:
            data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=sent)
        with self.opener.open(request, timeout=60) as response:
            return json.load(response)

    def read(self, path: str) -> bytes:
        with self.opener.open(self.url + path, timeout=60) as response:
            return response.read()


def test_production_mode_postgresql_s3_and_several_processes(
    tmp_path: Path, postgres_url: str, seaweedfs_bucket: tuple[str, str]
) -> None:
    """The production shape on one machine: upload in chunks spread over two serving
    processes, a worker processes it from S3 (SeaweedFS), search finds it, the thumbnail comes
    from S3."""
    import hashlib

    from tests.media import make_photo

    endpoint, bucket = seaweedfs_bucket
    env = {"DAM_CATALOG_URL": postgres_url, "DAM_STORE_URL": f"s3://{bucket}/acervo",
           "DAM_S3_ENDPOINT_URL": endpoint, "DAM_WEB_PROCESSES": "2",
           "DAM_UPLOAD_CHUNK_BYTES": "65536", "DAM_ADMIN_PASSWORD": "clave-de-produccion-1"}
    server = start_server(tmp_path, workers=1, env=env)
    try:
        client = _Session(server.url, "admin", "clave-de-produccion-1")
        data = make_photo(tmp_path / "feria.jpg", (1600, 1200), seed=9, quality=97).read_bytes()
        assert len(data) > 2 * 65536  # three chunks at least
        batch = client.call("POST", "/api/v1/batches", {"event": "Feria de producción",
                                                        "photographer": "Ana Peña"})
        upload = client.call("POST", "/api/v1/uploads", {"batch_id": batch["id"],
                                                         "filename": "feria.jpg",
                                                         "size": len(data)})
        offset = 0
        while offset < len(data):  # each chunk on a new connection: either process takes it
            chunk = data[offset:offset + upload["chunk_size"]]
            offset = client.call("PATCH", upload["url"], data=chunk, headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/octet-stream"})["offset"]
        done = client.call("POST", f"{upload['url']}/complete")
        assert done["outcome"] == "new"
        asset_id = done["asset_id"]
        assert _wait_for(lambda: client.call("GET", f"/api/v1/assets/{asset_id}")["state"]
                         == "ready", 90)
        found = _wait_for(lambda: client.call("GET", "/api/v1/search?q=feria%20produccion")
                          ["total"] == 1, 30)
        assert found
        hit = client.call("GET", "/api/v1/search?q=feria%20produccion")["hits"][0]
        assert hit["id"] == asset_id and hit["thumbnail_url"]
        thumb = client.read(hit["thumbnail_url"])  # redirected to a presigned S3 address
        assert thumb[:3] == b"\xff\xd8\xff"
        detail = client.call("GET", f"/api/v1/assets/{asset_id}")
        assert detail["sha256"] == hashlib.sha256(data).hexdigest()
    finally:
        assert server.stop() == 0
    log = server.output()
    assert "(2 web processes" in log and "Traceback" not in log
    assert "account 'admin' created with the password given" in log


def test_serving_processes_stop_when_the_parent_is_killed(tmp_path: Path) -> None:
    """kill -9 of `dam serve` must not leave processes holding the port."""
    server = start_server(tmp_path, workers=0, env={"DAM_WEB_PROCESSES": "2"})
    assert _wait_for(lambda: len(_children(server)) == 2)
    children = list(_children(server).values())
    server.process.kill()
    server.process.wait()
    assert _wait_for(lambda: not any(_alive(pid) for pid in children), 15)
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_server(("127.0.0.1", port)):  # the port is free again
        pass
