"""Uploads on a full disk, past a quota, abandoned, or completed while the store is away."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from moto.server import ThreadedMotoServer
from sqlalchemy import update

from dam.cli import get_cli
from dam.config import Settings
from dam.models import Asset, Upload
from tests.conftest_s3 import fake_aws_env, make_test_client
from tests.media import make_photo
from tests.web.conftest import ctx_of, login, state_of
from tests.web.test_upload import CHUNK, _batch, _h, _send, _start
from web import create_app, uploads
from web.housekeeping import Housekeeper, run_housekeeping

GIB = 1024**3


def _photographer(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "fotografa")
    return client


def _uploads_root(app: Flask) -> Path:
    return Path(ctx_of(app).settings.data_dir) / "uploads"


def _leftovers(app: Flask) -> list[Path]:
    root = _uploads_root(app)
    return sorted(root.iterdir()) if root.is_dir() else []


def _set_setting(app: Flask, **values: object) -> None:
    ctx = ctx_of(app)
    ctx.settings = ctx.settings.replace(**values)  # type: ignore[misc]


def _photo(tmp_path: Path, seed: int = 5) -> bytes:
    return make_photo(tmp_path / f"f{seed}.jpg", (1600, 1200), seed=seed, quality=97).read_bytes()


def test_a_file_or_chunk_that_would_eat_the_reserve_is_refused_with_507(
    app: Flask, tmp_path: Path
) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    data = _photo(tmp_path)
    upload = _start(client, batch_id, "a.jpg", len(data)).json
    assert _send(client, upload, data[:CHUNK], 0).json["offset"] == CHUNK
    free = uploads.free_bytes(_uploads_root(app))
    _set_setting(app, upload_reserve_bytes=free + GIB)  # as if the disk had filled up since

    refused = _start(client, batch_id, "b.jpg", len(data))
    assert refused.status_code == 507 and refused.json["error"] == "disk_full"
    assert "espacio libre" in refused.json["message"]
    chunk = _send(client, upload, data[CHUNK : 2 * CHUNK], CHUNK)
    assert chunk.status_code == 507 and chunk.json["error"] == "disk_full"
    assert client.get(upload["url"]).json["offset"] == CHUNK  # nothing accepted is lost
    assert _leftovers(app) == [_uploads_root(app) / upload["id"]]  # no folder for the refusal

    _set_setting(app, upload_reserve_bytes=0)  # space again: the upload goes on
    offset = CHUNK
    while offset < len(data):
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
    done = client.post(f"{upload['url']}/complete", headers=_h(client))
    assert done.status_code == 200 and done.json["outcome"] == "new"


def test_unfinished_uploads_of_one_account_have_a_quota(app: Flask) -> None:
    _set_setting(app, upload_user_quota_bytes=1_000_000)
    client = _photographer(app)
    batch_id = _batch(client)
    assert _start(client, batch_id, "a.jpg", 600_000).status_code == 201
    refused = _start(client, batch_id, "b.jpg", 600_000)
    assert refused.status_code == 507 and refused.json["error"] == "quota"
    assert refused.json["quota"] == 1_000_000 and refused.json["used"] == 600_000
    assert "límite" in refused.json["message"]
    assert len(_leftovers(app)) == 1  # the refused one left no folder
    assert _start(client, batch_id, "c.jpg", 400_000).status_code == 201  # what fits is taken
    other = app.test_client()  # another account has its own quota
    login(other, "editora")
    assert _start(other, _batch(other), "d.jpg", 600_000).status_code == 201


def test_a_failed_create_leaves_no_folder(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _photographer(app)
    batch_id = _batch(client)

    def full(_path: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "touch", full)
    refused = _start(client, batch_id, "a.jpg", 1000)
    assert refused.status_code == 507 and refused.json["error"] == "disk_full"
    assert _leftovers(app) == []


def test_a_disk_that_fills_during_a_chunk_rolls_that_chunk_back(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    data = _photo(tmp_path)
    upload = _start(client, batch_id, "a.jpg", len(data)).json
    assert _send(client, upload, data[:CHUNK], 0).json["offset"] == CHUNK
    real_write = uploads.write_block

    def fills_up(out: BinaryIO, block: bytes) -> None:
        real_write(out, block[: len(block) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads, "write_block", fills_up)
    refused = _send(client, upload, data[CHUNK : 2 * CHUNK], CHUNK)
    assert refused.status_code == 507 and refused.json["error"] == "disk_full"
    assert client.get(upload["url"]).json["offset"] == CHUNK
    part = _uploads_root(app) / upload["id"] / "a.jpg"
    assert part.read_bytes() == data[:CHUNK]  # accepted bytes intact, no half chunk

    monkeypatch.setattr(uploads, "write_block", real_write)
    offset = CHUNK
    while offset < len(data):
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
    done = client.post(f"{upload['url']}/complete", headers=_h(client)).json
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, done["asset_id"]).sha256 == hashlib.sha256(data).hexdigest()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB file system (tmpfs), where a write past its size gets ENOSPC."""
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_real_full_disk_gives_507_and_keeps_what_was_accepted(
    app: Flask, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if _uploads_root(app).exists():
        _uploads_root(app).rmdir()
    os.symlink(small_disk, _uploads_root(app))
    _set_setting(app, upload_reserve_bytes=0)
    client = _photographer(app)
    batch_id = _batch(client)
    data = b"\xff\xd8\xff\xe0" + os.urandom(3 * 1024 * 1024)  # larger than the disk
    # The free-space check does not see it coming (another program fills the disk meanwhile):
    # the write itself meets ENOSPC.
    monkeypatch.setattr(uploads, "free_bytes", lambda _folder: 10**12)
    upload = _start(client, batch_id, "grande.jpg", len(data)).json
    offset, status = 0, 200
    while status == 200:
        response = _send(client, upload, data[offset : offset + CHUNK], offset)
        status = response.status_code
        offset = response.json["offset"] if status == 200 else offset
    assert status == 507 and response.json["error"] == "disk_full"
    assert 0 < offset < len(data)
    assert client.get(upload["url"]).json["offset"] == offset
    part = small_disk / upload["id"] / "grande.jpg"
    assert part.read_bytes() == data[:offset]
    monkeypatch.undo()
    refused = _start(client, batch_id, "otro.jpg", 10_000)  # the next file does not fit either
    assert refused.status_code == 507
    assert [p.name for p in small_disk.iterdir()] == [upload["id"]]


def test_abandoned_uploads_are_removed_after_the_expiry(app: Flask, tmp_path: Path) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    data = _photo(tmp_path)
    old = _start(client, batch_id, "vieja.jpg", len(data)).json
    assert _send(client, old, data[:CHUNK], 0).status_code == 200
    fresh = _start(client, batch_id, "nueva.jpg", len(data)).json
    ctx = ctx_of(app)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)
    with ctx.catalog.write() as session:
        session.execute(update(Upload).where(Upload.id == old["id"])
                        .values(updated_at=long_ago))
    orphan = _uploads_root(app) / ("0" * 32)  # a create killed before its row was written
    orphan.mkdir()
    os.utime(orphan, (long_ago.timestamp(), long_ago.timestamp()))

    report = run_housekeeping(ctx)
    assert report.expired == 1 and report.orphans == 1
    assert _leftovers(app) == [_uploads_root(app) / fresh["id"]]
    gone = client.get(old["url"]).json
    assert gone["state"] == "failed" and "48" in gone["error"]
    assert _send(client, old, data[CHUNK : 2 * CHUNK], CHUNK).status_code == 409
    assert client.get(fresh["url"]).json["state"] == "receiving"
    assert run_housekeeping(ctx).expired == 0


def _upload_all(client: FlaskClient, batch_id: int, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    upload = _start(client, batch_id, name, len(data)).json
    offset = 0
    while offset < len(data):
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
    return upload


def test_an_upload_completed_while_the_store_is_away_is_kept_and_taken_in_later(
    app: Flask, tmp_path: Path
) -> None:
    ctx = ctx_of(app)
    root = Path(ctx.store.root)  # type: ignore[attr-defined]
    client = _photographer(app)
    batch_id = _batch(client)
    data = _photo(tmp_path)
    upload = _upload_all(client, batch_id, "a.jpg", data)
    root.mkdir(parents=True, exist_ok=True)
    root.rename(tmp_path / "store-away")
    root.write_text("the store's disk is not mounted")  # a file where the folder was

    done = client.post(f"{upload['url']}/complete", headers=_h(client))
    assert done.status_code == 202 and done.json["state"] == "waiting_store"
    assert (_uploads_root(app) / upload["id"] / "a.jpg").read_bytes() == data
    files = client.get(f"/api/v1/batches/{batch_id}").json["files"]
    assert [f["outcome"] for f in files] == ["waiting_store"]
    assert "almacenamiento" in client.get(f"/cargas/{batch_id}").get_data(as_text=True)
    assert run_housekeeping(ctx).waiting == 1  # still away: kept
    assert client.post(f"{upload['url']}/complete", headers=_h(client)).status_code == 202

    root.unlink()
    (tmp_path / "store-away").rename(root)
    report = run_housekeeping(ctx)
    assert report.taken_in == 1 and report.waiting == 0
    status = client.get(upload["url"]).json
    assert status["state"] == "done" and status["outcome"] == "new"
    with ctx.catalog.read() as session:
        key = session.get(Asset, status["asset_id"]).original_key
    assert ctx.store.read_bytes(key) == data
    assert _leftovers(app) == []


def test_healthz_tells_the_public_only_the_verdict(app: Flask) -> None:
    anonymous = app.test_client().get("/healthz")
    assert anonymous.status_code == 200 and anonymous.json == {"status": "ok"}
    for username in ("prensa", "fotografa", "editora"):
        client = app.test_client()
        login(client, username)
        assert client.get("/healthz").json == {"status": "ok"}
    admin = app.test_client()
    login(admin, "admin")
    details = admin.get("/healthz").json
    assert details["status"] == "ok" and "documents" in details["checks"]["index"]["status"]
    assert "free" in details["checks"]["disk"]["status"]

    _set_setting(app, upload_reserve_bytes=uploads.free_bytes(_uploads_root(app)) + GIB)
    low = app.test_client().get("/healthz")
    assert low.status_code == 200 and low.json == {"status": "degraded"}
    assert admin.get("/healthz").json["checks"]["disk"]["status"] == "degraded"

    ctx_of(app).catalog.engine.dispose()
    catalog = Path(ctx_of(app).settings.data_dir) / "catalog.sqlite3"
    catalog.rename(catalog.with_suffix(".away"))
    catalog.mkdir()  # a folder where the catalog was: it cannot be opened
    try:
        down = app.test_client().get("/healthz")
        assert down.status_code == 503 and down.json == {"status": "unavailable"}
        assert "sqlite" not in down.get_data(as_text=True)
    finally:
        ctx_of(app).catalog.engine.dispose()
        catalog.rmdir()
        catalog.with_suffix(".away").rename(catalog)


@pytest.fixture
def moto_on_a_port() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A moto S3 server of our own: (endpoint, stop, start again on the same port)."""
    with fake_aws_env():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        servers = [server]

        def restart() -> None:
            again = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            again.start()  # moto keeps its buckets in this process: they are there again
            servers.append(again)

        try:
            yield f"http://{host}:{port}", server.stop, restart
        finally:
            servers[-1].stop()


def test_an_upload_completed_while_s3_is_down_is_taken_in_when_it_is_back(
    web_settings: Settings, template_catalog: Path, tmp_path: Path,
    moto_on_a_port: tuple[str, Callable[[], None], Callable[[], None]],
) -> None:
    endpoint, stop, restart = moto_on_a_port
    bucket = f"acervo-test-{uuid.uuid4().hex[:12]}"
    make_test_client(endpoint).create_bucket(Bucket=bucket)
    settings = web_settings.replace(store_url=f"s3://{bucket}/archivo", s3_endpoint_url=endpoint,
                                    upload_chunks_to="disk")  # chunks on this node's disk
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_catalog, Path(settings.data_dir) / "catalog.sqlite3")
    app = create_app(settings)
    try:
        client = _photographer(app)
        batch_id = _batch(client)
        data = _photo(tmp_path)
        upload = _upload_all(client, batch_id, "a.jpg", data)
        stop()
        done = client.post(f"{upload['url']}/complete", headers=_h(client))
        assert done.status_code == 202 and done.json["state"] == "waiting_store"
        restart()
        assert run_housekeeping(ctx_of(app)).taken_in == 1
        status = client.get(upload["url"]).json
        assert status["state"] == "done" and status["outcome"] == "new"
        with ctx_of(app).catalog.read() as session:
            key = session.get(Asset, status["asset_id"]).original_key
        assert ctx_of(app).store.read_bytes(key) == data
        assert _leftovers(app) == []
    finally:
        state_of(app).close()


def _abandon(app: Flask, client: FlaskClient) -> dict:  # type: ignore[type-arg]
    upload = _start(client, _batch(client), "olvidada.jpg", 10_000).json
    with ctx_of(app).catalog.write() as session:
        session.execute(update(Upload).where(Upload.id == upload["id"]).values(
            updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)))
    return upload


def test_serve_runs_housekeeping_on_its_own_and_dam_housekeeping_runs_it_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _photographer(app)
    upload = _abandon(app, client)
    keeper = Housekeeper(ctx_of(app), interval=0.05)  # what `dam serve` starts (every minute)
    keeper.start()
    try:
        deadline = time.monotonic() + 10
        while client.get(upload["url"]).json["state"] != "failed":
            assert time.monotonic() < deadline, "housekeeping did not run"
            time.sleep(0.05)
    finally:
        keeper.stop()
    assert _leftovers(app) == []

    upload = _abandon(app, client)
    ctx = ctx_of(app)
    result = CliRunner().invoke(get_cli(), ["housekeeping"],
                                obj={"settings": ctx.settings, "context": ctx})
    assert result.exit_code == 0, result.output
    assert "expired uploads removed: 1" in result.output
    assert client.get(upload["url"]).json["state"] == "failed"


def test_healthz_gives_a_silent_store_a_few_seconds_and_probes_it_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that never answers (S3 behind a dead link, before the client's own timeouts):
    /healthz says unavailable within STORE_PROBE_SECONDS, and checks piling up share one probe."""
    from web import health

    store = ctx_of(app).store
    released = threading.Event()
    probes: list[str] = []

    def silent(key: str) -> bool:
        probes.append(key)
        released.wait(30)
        return False

    monkeypatch.setattr(store, "exists", silent)
    monkeypatch.setattr(health, "STORE_PROBE_SECONDS", 0.5)
    admin = app.test_client()
    login(admin, "admin")
    try:
        for _ in range(2):
            started = time.monotonic()
            answer = admin.get("/healthz")
            assert time.monotonic() - started < 5
            assert answer.status_code == 503 and answer.json["status"] == "unavailable"
            assert "no answer in 0.5 s" in answer.json["checks"]["store"]["error"]
        assert probes == ["healthz/probe"]  # the second check waited on the same probe
    finally:
        released.set()
    deadline = time.monotonic() + 10
    while app.test_client().get("/healthz").status_code != 200:  # the next probe is new
        assert time.monotonic() < deadline
        time.sleep(0.05)
