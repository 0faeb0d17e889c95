"""Upload chunks kept in the object store: any node behind a load balancer takes any chunk."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from dam.config import Settings
from dam.enums import UploadState
from dam.models import Asset, Upload, UploadPart
from tests.conftest_s3 import make_test_client
from tests.media import make_photo
from tests.web.conftest import ctx_of, login, state_of
from tests.web.test_upload import CHUNK, _batch, _h, _send, _start
from tests.web.test_upload_faults import moto_on_a_port  # noqa: F401 - a fixture used below
from web import create_app, upload_parts
from web.housekeeping import run_housekeeping


def _node(settings: Settings, folder: Path) -> Flask:
    """A node of its own: its own data folder (uploads, index), the shared catalog and store."""
    node_settings = settings.replace(data_dir=str(folder), index_path=folder / "index")
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(node_settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def shared(web_settings: Settings, template_catalog: Path, tmp_path: Path) -> Settings:
    """Settings of an office with one catalog and one store shared by every node."""
    (tmp_path / "shared").mkdir()
    catalog = tmp_path / "shared" / "catalog.sqlite3"
    shutil.copyfile(template_catalog, catalog)
    return web_settings.replace(catalog_url=f"sqlite:///{catalog}",
                                store_url=(tmp_path / "shared" / "store").as_uri(),
                                upload_chunks_to="store")


@pytest.fixture
def nodes(shared: Settings, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    first, second = _node(shared, tmp_path / "nodo-a"), _node(shared, tmp_path / "nodo-b")
    yield first, second
    state_of(first).close()
    state_of(second).close()


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "fotografa")
    return client


def _parts_in_store(app: Flask) -> list[str]:
    return [info.key for info in ctx_of(app).store.list(upload_parts.PREFIX)]


def _local_files(app: Flask) -> list[Path]:
    root = Path(ctx_of(app).settings.data_dir) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def _send_alternating(clients: list[FlaskClient], upload: dict, data: bytes) -> None:  # type: ignore[type-arg]
    offset, turn = 0, 0
    while offset < len(data):
        response = _send(clients[turn % 2], upload, data[offset:offset + CHUNK], offset)
        assert response.status_code == 200, response.json
        offset, turn = response.json["offset"], turn + 1


def test_chunks_alternating_between_nodes_make_one_file(nodes: tuple[Flask, Flask],
                                                        tmp_path: Path) -> None:
    first, second = nodes
    clients = [_client(first), _client(second)]
    data = make_photo(tmp_path / "f.jpg", (3000, 2000), seed=3, quality=97).read_bytes()
    assert len(data) > 4 * CHUNK
    upload = _start(clients[0], _batch(clients[0]), "mercado.jpg", len(data)).json
    _send_alternating(clients, upload, data)
    assert _local_files(first) == [] and _local_files(second) == []  # nothing on a node's disk
    assert len(_parts_in_store(first)) == -(-len(data) // CHUNK)

    done = clients[1].post(f"{upload['url']}/complete", headers=_h(clients[1]))

    assert done.status_code == 200, done.json
    assert done.json["state"] == "done" and done.json["outcome"] == "new"
    with ctx_of(first).catalog.read() as session:
        asset = session.get(Asset, done.json["asset_id"])
        assert asset is not None and asset.sha256 == hashlib.sha256(data).hexdigest()
        assert asset.original_filename == "mercado.jpg"
        assert session.scalars(select(UploadPart)).all() == []
        asset_id, key = asset.id, asset.original_key
    assert ctx_of(second).store.read_bytes(key) == data
    assert _parts_in_store(first) == []
    assert _local_files(first) == [] and _local_files(second) == []
    again = clients[0].post(f"{upload['url']}/complete", headers=_h(clients[0]))
    assert again.status_code == 200 and again.json["asset_id"] == asset_id  # idempotent


def test_a_chunk_sent_twice_at_once_counts_once(nodes: tuple[Flask, Flask]) -> None:
    first, second = nodes
    client = _client(first)
    upload = _start(client, _batch(client), "a.jpg", 3 * CHUNK).json
    chunk = b"\xff\xd8\xff" + bytes(CHUNK - 3)
    # Both requests stored their bytes; the first to record its offset wins, the other is undone.
    assert upload_parts.store_chunk(ctx_of(first), upload["id"], 0, CHUNK,
                                    io.BytesIO(chunk)) == CHUNK
    assert upload_parts.store_chunk(ctx_of(second), upload["id"], 0, CHUNK,
                                    io.BytesIO(chunk)) is None
    assert len(_parts_in_store(first)) == 1
    late = _send(_client(second), upload, chunk, 0)
    assert late.status_code == 409 and late.json["offset"] == CHUNK


def test_a_type_not_taken_is_refused_and_its_chunks_deleted(nodes: tuple[Flask, Flask]) -> None:
    first, _second = nodes
    client = _client(first)
    data = b"MZ" + bytes(2 * CHUNK)  # a Windows program, not a photo
    upload = _start(client, _batch(client), "programa.jpg", len(data)).json
    refused = _send(client, upload, data[:CHUNK], 0)
    assert refused.status_code == 415
    assert client.get(upload["url"]).json["state"] == "failed"
    assert _parts_in_store(first) == [] and _local_files(first) == []


def test_housekeeping_expires_parts_and_frees_a_dead_nodes_assembly(
        nodes: tuple[Flask, Flask]) -> None:
    first, second = nodes
    client = _client(first)
    batch_id = _batch(client)
    abandoned = _start(client, batch_id, "olvidada.jpg", 2 * CHUNK).json
    assert _send(client, abandoned, b"\xff\xd8\xff" + bytes(CHUNK - 3), 0).status_code == 200
    stuck = _start(client, batch_id, "atorada.jpg", CHUNK).json
    assert _send(client, stuck, b"\xff\xd8\xff" + bytes(CHUNK - 3), 0).status_code == 200
    ctx = ctx_of(second)
    orphan = f"{upload_parts.PREFIX}{uuid.uuid4().hex}/000000000000000-dead"
    ctx.store.put_bytes(orphan, b"left by a node that died")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with ctx.catalog.write() as session:
        session.execute(update(Upload).where(Upload.id == abandoned["id"])
                        .values(updated_at=long_ago))
        session.execute(update(Upload).where(Upload.id == stuck["id"])
                        .values(state=UploadState.ASSEMBLING, updated_at=long_ago))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)  # the orphan is old by then

    run_housekeeping(ctx, later)

    assert client.get(abandoned["url"]).json["state"] == "failed"
    assert client.get(stuck["url"]).json["state"] == "receiving"  # completing again works
    left = _parts_in_store(first)
    assert len(left) == 1 and left[0].startswith(f"{upload_parts.PREFIX}{stuck['id']}/")


def test_completing_while_the_store_is_away_keeps_every_part_for_later(
    web_settings: Settings, template_catalog: Path, tmp_path: Path,
    moto_on_a_port: tuple[str, Callable[[], None], Callable[[], None]],  # noqa: F811
) -> None:
    endpoint, stop, restart = moto_on_a_port
    bucket = f"acervo-test-{uuid.uuid4().hex[:12]}"
    make_test_client(endpoint).create_bucket(Bucket=bucket)
    catalog = tmp_path / "catalog.sqlite3"
    shutil.copyfile(template_catalog, catalog)
    settings = web_settings.replace(catalog_url=f"sqlite:///{catalog}",
                                    store_url=f"s3://{bucket}/archivo",
                                    s3_endpoint_url=endpoint)  # auto: a shared store
    first, second = _node(settings, tmp_path / "a"), _node(settings, tmp_path / "b")
    try:
        assert upload_parts.chunks_in_store(ctx_of(first))
        clients = [_client(first), _client(second)]
        data = make_photo(tmp_path / "f.jpg", (1200, 900), seed=8, quality=95).read_bytes()
        upload = _start(clients[0], _batch(clients[0]), "a.jpg", len(data)).json
        _send_alternating(clients, upload, data)
        stop()
        away = clients[0].post(f"{upload['url']}/complete", headers=_h(clients[0]))
        assert away.status_code == 503 and away.json["error"] == "store_unavailable"
        assert away.headers["Retry-After"] == "30"
        assert clients[0].get(upload["url"]).json["state"] == "receiving"
        restart()
        done = clients[1].post(f"{upload['url']}/complete", headers=_h(clients[1]))
        assert done.status_code == 200 and done.json["outcome"] == "new"
        with ctx_of(first).catalog.read() as session:
            key = session.get(Asset, done.json["asset_id"]).original_key
        assert ctx_of(first).store.read_bytes(key) == data
        assert _parts_in_store(first) == []
    finally:
        state_of(first).close()
        state_of(second).close()
