"""Several machines for real: two `dam serve` nodes and a worker-only node on one PostgreSQL
catalog and one SeaweedFS bucket, behind a round-robin proxy."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.models import User
from tests.media import make_photo
from tests.web.live import run_dam, spawn_server, wait_until_serving
from tests.web.round_robin import round_robin
from tests.web.test_serve import _Session, _wait_for
from web import accounts
from web.accounts import ensure_first_admin

PASSWORD = "clave-de-dos-nodos-1"
SYNC_SECONDS = 1.0


def _share_keys(first: Path, other: Path) -> None:
    """What `dam init` says a new node needs: the first node's secret and signing keys."""
    (other / "var").mkdir(parents=True, exist_ok=True)
    shutil.copy(first / "var" / "secret.key", other / "var" / "secret.key")
    shutil.copytree(first / "var" / "keys", other / "var" / "keys", dirs_exist_ok=True)


def _upload(client: _Session, data: bytes, filename: str) -> int:
    batch = client.call("POST", "/api/v1/batches", {"event": "Dos nodos",
                                                    "photographer": "Ana Peña"})
    upload = client.call("POST", "/api/v1/uploads", {"batch_id": batch["id"],
                                                     "filename": filename, "size": len(data)})
    offset = 0
    while offset < len(data):  # each chunk to the next node
        chunk = data[offset:offset + upload["chunk_size"]]
        offset = client.call("PATCH", upload["url"], data=chunk, headers={
            "Upload-Offset": str(offset), "Content-Type": "application/octet-stream"})["offset"]
    done = client.call("POST", f"{upload['url']}/complete")
    assert done["outcome"] == "new"
    return int(done["asset_id"])


def test_two_serving_nodes_and_a_worker_node_behave_as_one(
    tmp_path: Path, postgres_url: str, seaweedfs_bucket: tuple[str, str]
) -> None:
    endpoint, bucket = seaweedfs_bucket
    env = {"DAM_CATALOG_URL": postgres_url, "DAM_STORE_URL": f"s3://{bucket}/acervo",
           "DAM_S3_ENDPOINT_URL": endpoint, "DAM_WEB_PROCESSES": "1",
           "DAM_ADMIN_PASSWORD": PASSWORD, "DAM_SEARCH_SYNC_SECONDS": str(SYNC_SECONDS),
           "DAM_WEB_TRUSTED_PROXIES": "1", "DAM_UPLOAD_CHUNK_BYTES": "65536"}
    (tmp_path / "a").mkdir()
    assert run_dam(tmp_path / "a", "init", env=env).wait(timeout=120) == 0
    _share_keys(tmp_path / "a", tmp_path / "b")
    _share_keys(tmp_path / "a", tmp_path / "c")
    # The nodes start side by side, and the worker node is checked as a new node would be.
    check = run_dam(tmp_path / "c", "check", env=env, log=tmp_path / "check.log")
    nodes = [spawn_server(tmp_path / name, workers=0, env=env) for name in ("a", "b")]
    worker = None
    try:
        for node in nodes:
            wait_until_serving(node, timeout=120)
        assert check.wait(timeout=120) == 0, (tmp_path / "check.log").read_text()
        worker = run_dam(tmp_path / "c", "worker", "-n", "1", env=env,
                         log=tmp_path / "worker.log")
        node_a, node_b = (node.url for node in nodes)

        with round_robin([node_a, node_b]) as proxy:
            # Signing in takes three requests (form, post, landing page) over both nodes.
            client = _Session(proxy.url, "admin", PASSWORD)
            assert {client.call("GET", "/api/v1/me")["username"] for _ in range(4)} == {"admin"}
            for url in (node_a, node_b):  # the one session cookie is valid on each node
                client.url = url
                assert client.call("GET", "/api/v1/me")["username"] == "admin"
            client.url = proxy.url

            data = make_photo(tmp_path / "tequio.jpg", (1600, 1200), seed=4,
                              quality=97).read_bytes()
            asset_id = _upload(client, data, "tequio.jpg")
            assert _wait_for(lambda: client.call("GET", f"/api/v1/assets/{asset_id}")["state"]
                             == "ready", 120), (tmp_path / "worker.log").read_text()
            assert proxy.answered[node_a] >= 5 and proxy.answered[node_b] >= 5

        client.url = node_a
        version = client.call("GET", f"/api/v1/assets/{asset_id}")["edit_version"]
        client.call("PATCH", f"/api/v1/assets/{asset_id}", {
            "edit_version": version, "changes": {"caption": "Tequio vecinal en Xalpa"}})
        edited = time.monotonic()
        client.url = node_b
        found = _wait_for(lambda: client.call("GET", "/api/v1/search?q=tequio%20xalpa")
                          ["total"] == 1, 30)
        elapsed = time.monotonic() - edited
        assert found
        print(f"an edit on node A was found on node B after {elapsed:.2f} s")
        assert elapsed <= SYNC_SECONDS + 1.0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        stopped = [node.stop() for node in nodes]
    assert stopped == [0, 0]
    for node in nodes:
        assert "Traceback" not in node.output()


def test_nodes_starting_at_once_share_the_first_admin(any_ctx: Context,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two nodes both find no account and both make `admin`: the second takes the first's."""
    assert ensure_first_admin(any_ctx.catalog, PASSWORD) is None  # made now, password given
    monkeypatch.setattr(accounts, "has_users", lambda _catalog: False)  # the other node's view
    assert ensure_first_admin(any_ctx.catalog, None) is None  # no error, no second password
    with any_ctx.catalog.read() as session:
        assert session.scalars(select(User.username)).all() == ["admin"]
