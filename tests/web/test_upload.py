"""The resumable upload: chunks at offsets, resuming, intake outcomes, refusals, batch pages."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from dam.enums import AssetState
from dam.models import Asset
from ingest.pipeline import process_asset
from tests.media import make_photo
from tests.web.conftest import csrf, ctx_of, login, state_of

CHUNK = 64 * 1024


def _photographer(app: Flask, name: str = "fotografa") -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def _h(client: FlaskClient, **extra: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf(client), **extra}


def _batch(client: FlaskClient, **fields: str) -> int:
    response = client.post("/api/v1/batches", headers=_h(client), json={
        "event": "Inauguración del mercado", "date": "2025-03-14",
        "area": "Dirección General de Obras", "place": "Santa Cruz Meyehualco",
        "photographer": "Ana Peña", "caption": "Inauguración del mercado", **fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _start(client: FlaskClient, batch_id: int, name: str, size: int):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/uploads", headers=_h(client),
                       json={"batch_id": batch_id, "filename": name, "size": size})


def _send(client: FlaskClient, upload: dict, data: bytes, offset: int):  # type: ignore[no-untyped-def]
    return client.patch(upload["url"], data=data, headers=_h(
        client, **{"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"}))


def upload_file(client: FlaskClient, batch_id: int, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    started = _start(client, batch_id, name, len(data))
    assert started.status_code == 201, started.json
    upload = started.json
    offset = 0
    while offset < len(data):
        response = _send(client, upload, data[offset : offset + CHUNK], offset)
        assert response.status_code == 200, response.json
        offset = response.json["offset"]
    done = client.post(f"{upload['url']}/complete", headers=_h(client))
    assert done.status_code == 200, done.json
    return done.json


def test_chunked_upload_becomes_an_asset_and_duplicates_are_reported(
    app: Flask, tmp_path: Path
) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    data = make_photo(tmp_path / "a.jpg", (1600, 1200), seed=3, quality=97).read_bytes()
    assert len(data) > 2 * CHUNK  # several chunks
    first = upload_file(client, batch_id, "Peña 01.jpg", data)
    assert first["outcome"] == "new" and first["state"] == "done"
    again = upload_file(client, batch_id, "copia.jpg", data)
    assert again["outcome"] == "duplicate" and again["asset_id"] == first["asset_id"]
    ctx = ctx_of(app)
    with ctx.catalog.read() as session:
        asset = session.get(Asset, first["asset_id"])
        assert asset.sha256 == hashlib.sha256(data).hexdigest()
        assert asset.original_filename == "Peña 01.jpg" and asset.batch_id == batch_id
        key = asset.original_key
    assert ctx.store.read_bytes(key) == data
    assert not any((Path(ctx.settings.data_dir) / "uploads").iterdir())  # temp files gone
    batch = client.get(f"/api/v1/batches/{batch_id}").json
    assert [f["outcome"] for f in batch["files"]] == ["new", "duplicate"]
    assert batch["files"][0]["thumbnail_url"] is None  # not processed yet
    process_asset(ctx, first["asset_id"])
    batch = client.get(f"/api/v1/batches/{batch_id}").json
    assert batch["files"][0]["state"] == "ready" and batch["files"][0]["thumbnail_url"]
    page = client.get(f"/cargas/{batch_id}")
    assert page.status_code == 200 and "Peña 01.jpg" in page.text


def test_a_dropped_connection_resumes_where_it_stopped(app: Flask, tmp_path: Path) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    data = make_photo(tmp_path / "b.jpg", (1600, 1200), seed=4, quality=97).read_bytes()
    upload = _start(client, batch_id, "b.jpg", len(data)).json
    assert _send(client, upload, data[:CHUNK], 0).json["offset"] == CHUNK
    # The connection drops halfway through the second chunk: the bytes that arrived are kept.
    half = CHUNK // 2
    broken = client.patch(upload["url"], input_stream=io.BytesIO(data[CHUNK : CHUNK + half]),
                          headers=_h(client, **{"Upload-Offset": str(CHUNK),
                                                "Content-Length": str(CHUNK)}))
    assert broken.status_code == 200 and broken.json["offset"] == CHUNK + half
    # The client does not know that: it sends the chunk again and hears where to go on from.
    conflict = _send(client, upload, data[CHUNK : 2 * CHUNK], CHUNK)
    assert conflict.status_code == 409 and conflict.json["offset"] == CHUNK + half
    assert client.get(upload["url"]).json["offset"] == CHUNK + half
    state_of(app)  # a restarted server forgets the running hash: it is rebuilt from the file
    from web import uploads

    uploads._forget(upload["id"])
    offset = CHUNK + half
    while offset < len(data):
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
    done = client.post(f"{upload['url']}/complete", headers=_h(client)).json
    assert done["outcome"] == "new"
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, done["asset_id"]).sha256 == hashlib.sha256(data).hexdigest()


def test_chunks_taken_by_several_serving_processes_give_the_right_hash(
    app: Flask, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`dam serve` runs several processes: each remembers only the chunks it took itself."""
    from web import uploads

    client = _photographer(app)
    batch_id = _batch(client)
    data = make_photo(tmp_path / "c.jpg", (1600, 1200), seed=5, quality=97).read_bytes()
    assert len(data) > 2 * CHUNK  # three chunks: first, second, first process
    upload = _start(client, batch_id, "c.jpg", len(data)).json
    memories: list[dict[str, object]] = [{}, {}]  # what each process keeps in memory
    hashed: list[int] = []
    real_hash = uploads._hash_file
    monkeypatch.setattr(uploads, "_hash_file",
                        lambda path, length: hashed.append(length) or real_hash(path, length))
    offset, turn = 0, 0
    while offset < len(data):
        monkeypatch.setattr(uploads, "_progress", memories[turn % 2])
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
        turn += 1
    assert hashed == []  # no process re-reads the file before taking a chunk
    done = client.post(f"{upload['url']}/complete", headers=_h(client)).json
    assert done["outcome"] == "new" and hashed == [len(data)]  # read once, at the end
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, done["asset_id"]).sha256 == hashlib.sha256(data).hexdigest()


def test_the_same_chunk_sent_twice_at_once_is_taken_once(app: Flask, tmp_path: Path) -> None:
    """Two requests race with the same chunk (a retry while the first still runs)."""
    import threading

    client = _photographer(app)
    batch_id = _batch(client)
    data = make_photo(tmp_path / "d.jpg", (1600, 1200), seed=6, quality=97).read_bytes()
    upload = _start(client, batch_id, "d.jpg", len(data)).json
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        other = app.test_client()
        other.set_cookie("acervo_session", client.get_cookie("acervo_session").value)
        barrier.wait()
        statuses.append(_send(other, upload, data[:CHUNK], 0).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    offset = CHUNK
    while offset < len(data):
        offset = _send(client, upload, data[offset : offset + CHUNK], offset).json["offset"]
    done = client.post(f"{upload['url']}/complete", headers=_h(client)).json
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, done["asset_id"]).sha256 == hashlib.sha256(data).hexdigest()


def test_bad_uploads_get_clear_refusals(app: Flask, tmp_path: Path) -> None:
    client = _photographer(app)
    batch_id = _batch(client)
    for name in ("../etc/passwd", "a\\b.jpg", "tab\there.jpg", "nul\x00.jpg", "..", ""):
        response = _start(client, batch_id, name, 10)
        assert response.status_code == 400, name
        assert response.json["error"] == "filename" and response.json["message"]
    too_big = _start(client, batch_id, "huge.mov", 10**12)
    assert too_big.status_code == 413 and too_big.json["error"] == "too_large"
    assert _start(client, batch_id, "empty.jpg", 0).status_code == 400
    upload = _start(client, batch_id, "notas.exe", 70_000).json
    refused = _send(client, upload, b"MZ" + b"\x00" * 69_998, 0)
    assert refused.status_code == 415 and "no se acepta" in refused.json["message"]
    files = client.get(f"/api/v1/batches/{batch_id}").json["files"]
    assert files[0]["outcome"] == "failed" and "no se acepta" in files[0]["error"]
    photo = make_photo(tmp_path / "c.jpg", seed=5).read_bytes()
    upload = _start(client, batch_id, "c.jpg", len(photo)).json
    assert _send(client, upload, photo + b"extra", 0).status_code == 400  # past the size
    oversized_chunk = _send(client, upload, photo * 20, 0) if len(photo) * 20 > CHUNK else None
    assert oversized_chunk is None or oversized_chunk.status_code in (400, 413)
    early = client.post(f"{upload['url']}/complete", headers=_h(client))
    assert early.status_code == 409 and early.json["error"] == "incomplete"


def test_other_peoples_batches_and_uploads_are_not_found(app: Flask) -> None:
    owner = _photographer(app)
    batch_id = _batch(owner)
    upload = _start(owner, batch_id, "a.jpg", 100).json
    other = _photographer(app, "editora")  # editors see every batch, but upload into their own
    assert other.get(f"/api/v1/batches/{batch_id}").status_code == 200
    assert _start(other, batch_id, "b.jpg", 10).status_code == 404
    assert other.get(upload["url"]).status_code == 404
    from dam.enums import Role
    from web.accounts import create_user

    create_user(ctx_of(app).catalog, "otro", Role.PHOTOGRAPHER, password="contraseña-otro-1")
    stranger = app.test_client()
    login(stranger, "otro", "contraseña-otro-1")
    assert stranger.get(f"/api/v1/batches/{batch_id}").status_code == 404
    assert stranger.get(f"/cargas/{batch_id}").status_code == 404
    assert _start(stranger, batch_id, "x.jpg", 10).status_code == 404
    assert stranger.patch(upload["url"], data=b"x", headers=_h(stranger, **{
        "Upload-Offset": "0"})).status_code == 404
    assert stranger.get("/api/v1/batches/999999").status_code == 404


def test_batch_form_fields_are_validated_and_applied(app: Flask, tmp_path: Path) -> None:
    client = _photographer(app)
    bad = client.post("/api/v1/batches", headers=_h(client), json={"date": "14/03/2025"})
    assert bad.status_code == 400 and "2025-03-14" in bad.json["message"]
    long = client.post("/api/v1/batches", headers=_h(client), json={"event": "x" * 501})
    assert long.status_code == 400
    batch_id = _batch(client, caption="<script>alert(1)</script> Inauguración",
                      programme="Utopías")
    assert client.get(f"/api/v1/batches/{batch_id}").json["programme"] == "Utopías"
    form = client.get("/subir").text
    assert 'name="programme"' in form and 'data-suggest="programme"' in form
    result = upload_file(client, batch_id, "d.jpg", make_photo(tmp_path / "d.jpg",
                                                               seed=6).read_bytes())
    ctx = ctx_of(app)
    assert process_asset(ctx, result["asset_id"]) == AssetState.READY
    with ctx.catalog.read() as session:
        asset = session.get(Asset, result["asset_id"])
        assert asset.event == "Inauguración del mercado" and asset.creator == "Ana Peña"
        assert asset.programme == "Utopías"  # tagged once, on the batch


def test_an_xmp_sidecar_is_accepted_in_a_batch_and_joins_its_picture(app: Flask,
                                                                     tmp_path: Path) -> None:
    from tests.ingest.test_sidecars import SIDECAR

    client = _photographer(app)
    batch_id = _batch(client)
    photo = make_photo(tmp_path / "IMG_9.jpg", (300, 200)).read_bytes()
    picture = upload_file(client, batch_id, "IMG_9.jpg", photo)
    sidecar = upload_file(client, batch_id, "IMG_9.xmp", SIDECAR)
    assert sidecar["outcome"] == "sidecar" and sidecar["asset_id"] == picture["asset_id"]
