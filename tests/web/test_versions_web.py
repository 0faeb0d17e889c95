"""The Versions tab: staff see who replaced the file, when and why, and download earlier
originals; editors (and the asset's photographer) replace the file; editors restore; the public
never reaches an earlier original."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import Flask

from dam.models import Asset, Batch, User
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo
from tests.web.conftest import Archive, csrf, ctx_of, signed_in, use_english


def _replace(client, asset_id: int, data: bytes, name: str, reason: str):  # type: ignore[no-untyped-def]
    return client.post(f"/material/{asset_id}/reemplazar", data={
        "csrf_token": csrf(client), "motivo": reason,
        "archivo": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_replace_list_download_restore(app: Flask, archive: Archive, tmp_path: Path) -> None:
    use_english(app)
    ctx = ctx_of(app)
    asset_id = archive.asset_ids[0]
    with ctx.catalog.read() as session:
        first = session.get(Asset, asset_id).sha256
    edit = make_photo(tmp_path / "corregida.jpg", (500, 400), seed=77).read_bytes()
    press = signed_in(app, "prensa")
    assert _replace(press, asset_id, edit, "corregida.jpg", "x").status_code == 403
    editor = signed_in(app, "editora")
    refused = _replace(editor, asset_id, edit, "corregida.jpg", "")
    assert refused.status_code == 302
    page = editor.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Say why the file is replaced." in page
    done = _replace(editor, asset_id, edit, "corregida.jpg", "Color corregido")
    assert done.status_code == 302 and done.headers["Location"].endswith("#versiones")
    process_asset(ctx, asset_id)
    # Downloads (and so press kits, shares and the gallery, which read the same key) give the
    # current version.
    with press.get(f"/material/{asset_id}/original-exacto") as current:
        assert current.headers["X-Content-SHA256"] == hashlib.sha256(edit).hexdigest()
        assert current.get_data() == edit
    with ctx.catalog.read() as session:
        from publish.picture_source import picture_key
        assert picture_key(session, session.get(Asset, asset_id)).endswith(
            hashlib.sha256(edit).hexdigest())
    panel = editor.get(f"/material/{asset_id}?panel=versiones").get_data(as_text=True)
    assert "Version 2" in panel and "Color corregido" in panel and "editora" in panel
    assert "corregida.jpg" in panel and "Restore this version" in panel
    assert "Replace file" in panel
    # Staff download the earlier original, byte for byte; the public gets 404.
    with press.get(f"/material/{asset_id}/versiones/1/archivo") as old:
        assert old.status_code == 200
        assert hashlib.sha256(old.get_data()).hexdigest() == first
        assert "private" in old.headers["Cache-Control"]
    assert press.get(f"/material/{asset_id}/versiones/9/archivo").status_code == 404
    public = app.test_client()
    assert public.get(f"/material/{asset_id}/versiones/1/archivo").status_code == 404
    assert public.get(f"/files/originals/{first[:2]}/{first[2:4]}/{first}").status_code == 404
    # Press staff see the list but neither restore nor replace.
    seen = press.get(f"/material/{asset_id}?panel=versiones").get_data(as_text=True)
    assert "Color corregido" in seen and "Restore this version" not in seen
    assert "Replace file" not in seen
    restored = editor.post(f"/material/{asset_id}/versiones/1/restaurar",
                           data={"csrf_token": csrf(editor)})
    assert restored.status_code == 302
    with ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).sha256 == first
    assert editor.get(f"/material/{asset_id}/versiones/1/restaurar").status_code == 405
    assert press.post(f"/material/{asset_id}/versiones/2/restaurar",
                      data={"csrf_token": csrf(press)}).status_code == 403


def test_the_photographer_replaces_her_own_and_duplicates_are_named(
        app: Flask, archive: Archive, tmp_path: Path) -> None:
    use_english(app)
    ctx = ctx_of(app)
    mine, other = archive.asset_ids[0], archive.asset_ids[1]
    photographer = signed_in(app, "fotografa")
    # Larger than a request of the chunked upload may be: the form takes whole files.
    edit = make_photo(tmp_path / "nueva.jpg", (2400, 1800), seed=78, quality=97).read_bytes()
    assert len(edit) > app.config["MAX_CONTENT_LENGTH"]
    assert _replace(photographer, mine, edit, "nueva.jpg", "Recorte").status_code == 403
    with ctx.catalog.write() as session:
        owner = session.query(User).filter_by(username="fotografa").one()
        session.get(Batch, archive.batch_id).user_id = owner.id
        record_fixture_writes(session)
    assert _replace(photographer, mine, edit, "nueva.jpg", "Recorte").status_code == 302
    with ctx.catalog.read() as session:
        other_file = ctx.store.read_bytes(session.get(Asset, other).original_key)
    _replace(photographer, mine, other_file, "copia.jpg", "Otra")
    page = photographer.get(f"/material/{mine}").get_data(as_text=True)
    assert f"already in the archive as material {other}" in page
