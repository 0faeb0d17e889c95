"""The Papelera and legal erasure in the web app: who may do what, what the trash hides, Spanish."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from dam.enums import WorkflowState
from dam.models import Asset, AuditEntry, Erasure
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, add_photos, ctx_of, post_form, signed_in, state_of

REASON = "Solicitud ARCO de la persona retratada, folio 2026-114"


def _publish(app: Flask, ids: list[int]) -> None:
    with ctx_of(app).catalog.write() as session:
        for asset in session.scalars(select(Asset).where(Asset.id.in_(ids))):
            asset.workflow_state = WorkflowState.PUBLISHED
        record_fixture_writes(session)


def _stored(app: Flask) -> set[str]:
    return {i.key for i in ctx_of(app).store.list("")}


def test_an_editor_trashes_material_hidden_everywhere_and_restores_it(
        app: Flask, archive: Archive) -> None:
    gone, kept = archive.asset_ids[0], archive.asset_ids[1]
    _publish(app, archive.asset_ids)
    editor, press, public = signed_in(app, "editora"), signed_in(app, "prensa"), app.test_client()
    assert public.get(f"/material/{gone}").status_code == 200
    confirm = editor.get(f"/papelera/mover?asset_id={gone}&volver=/")
    assert confirm.status_code == 200
    assert "Mover a la papelera" in confirm.get_data(as_text=True)
    moved = post_form(editor, "/papelera/mover", asset_id=str(gone), volver="/")
    assert moved.status_code == 302
    state_of(app).search.sync()
    # Hidden from browse, search, the asset page (public and press staff) and the API.
    for client in (editor, press):
        latest = client.get("/").get_data(as_text=True)
        assert f"/material/{gone}\"" not in latest and f"/material/{kept}\"" in latest
        found = client.get("/api/v1/search?q=inauguracion").get_json()
        assert gone not in [hit["id"] for hit in found["hits"]]
        assert kept in [hit["id"] for hit in found["hits"]]
    points = press.get("/mapa/puntos.json").get_json()["points"]
    assert gone not in [p[0] for p in points] and kept in [p[0] for p in points]
    month = press.get("/cronologia/2025/3").get_data(as_text=True)
    assert f"/material/{gone}\"" not in month and f"/material/{kept}\"" in month
    assert press.get(f"/material/{gone}").status_code == 404
    assert press.get(f"/api/v1/assets/{gone}").status_code == 404
    assert public.get(f"/material/{gone}").status_code == 404
    assert public.get(f"/api/v1/assets/{gone}").status_code == 404
    assert public.get(f"/files/material/{gone}/preview").status_code == 404
    # Editors find it in the Papelera, in Spanish, with who and the days left.
    page = editor.get("/papelera").get_data(as_text=True)
    assert "Papelera" in page and f'data-trashed="{gone}"' in page
    assert "Editora" in page or "editora" in page
    assert ">30<" in page
    assert "Vaciar la papelera" not in page  # admins only
    shown = editor.get(f"/material/{gone}").get_data(as_text=True)
    assert "En la papelera desde" in shown and "Restaurar" in shown
    assert editor.get(f"/api/v1/assets/{gone}").get_json()["trashed_at"]
    assert press.get("/papelera").status_code == 403
    restored = post_form(editor, "/papelera/restaurar", asset_id=str(gone))
    assert restored.status_code == 302
    state_of(app).search.sync()
    assert public.get(f"/material/{gone}").status_code == 200
    found = press.get("/api/v1/search?q=inauguracion").get_json()
    assert gone in [hit["id"] for hit in found["hits"]]
    with ctx_of(app).catalog.read() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.asset_id == gone, AuditEntry.action.in_(("trash", "restore")))))
    assert actions == ["trash", "restore"]
    history = editor.get(f"/material/{gone}?panel=historial").get_data(as_text=True)
    assert "Movido a la papelera" in history and "Restaurado de la papelera" in history


def test_photographers_may_not_trash_and_only_admins_empty_or_erase(
        app: Flask, archive: Archive) -> None:
    target = archive.asset_ids[0]
    photographer, editor = signed_in(app, "fotografa"), signed_in(app, "editora")
    assert post_form(photographer, "/papelera/mover", asset_id=str(target)).status_code == 403
    assert photographer.get("/papelera").status_code == 403
    assert "Mover a la papelera" not in photographer.get(f"/material/{target}").get_data(
        as_text=True)
    page = editor.get(f"/material/{target}").get_data(as_text=True)
    assert "Mover a la papelera" in page and "mandato legal" not in page
    assert editor.get(f"/material/{target}/borrado-legal").status_code == 403
    assert post_form(editor, f"/material/{target}/borrado-legal", motivo=REASON,
                     entiendo="1").status_code == 403
    assert post_form(editor, "/papelera/vaciar", entiendo="1").status_code == 403
    admin = signed_in(app, "admin")
    assert "Borrar definitivamente (mandato legal)" in admin.get(
        f"/material/{target}").get_data(as_text=True)


def test_an_admin_empties_the_trash(app: Flask, archive: Archive) -> None:
    admin = signed_in(app, "admin")
    target = archive.asset_ids[2]
    post_form(admin, "/papelera/mover", asset_id=str(target))
    with ctx_of(app).catalog.read() as session:
        sha = session.get(Asset, target).sha256
    assert "Vaciar la papelera" in admin.get("/papelera").get_data(as_text=True)
    assert post_form(admin, "/papelera/vaciar").status_code == 400  # not confirmed
    assert post_form(admin, "/papelera/vaciar", entiendo="1").status_code == 302
    assert "La papelera está vacía." in admin.get("/papelera").get_data(as_text=True)
    assert not any(sha in key for key in _stored(app))


def test_an_admin_erases_with_a_reason_and_the_upload_comes_back_refused(
        app: Flask, archive: Archive, tmp_path: Path) -> None:
    admin = signed_in(app, "admin")
    target = archive.asset_ids[0]
    with ctx_of(app).catalog.read() as session:
        sha = session.get(Asset, target).sha256
    form = admin.get(f"/material/{target}/borrado-legal").get_data(as_text=True)
    assert "Motivo" in form and "no se puede deshacer" in form
    short = post_form(admin, f"/material/{target}/borrado-legal", motivo="no", entiendo="1")
    assert short.status_code == 400 and "al menos 10 caracteres" in short.get_data(as_text=True)
    done = post_form(admin, f"/material/{target}/borrado-legal", motivo=REASON, entiendo="1")
    assert done.status_code == 302
    assert not any(sha in key for key in _stored(app))
    assert admin.get(f"/material/{target}").status_code == 404
    with ctx_of(app).catalog.read() as session:
        tomb = session.scalars(select(Erasure)).one()
        assert (tomb.sha256, tomb.reason, tomb.username) == (sha, REASON, "admin")
    state_of(app).search.sync()
    found = admin.get("/api/v1/search?q=inauguracion").get_json()
    assert target not in [hit["id"] for hit in found["hits"]]
    # The same file comes back (same bytes): refused, and the batch page says why, in Spanish.
    again = add_photos(app, tmp_path / "otra-vez", count=1)
    assert again.asset_ids == []
    page = signed_in(app, "editora").get(f"/cargas/{again.batch_id}").get_data(as_text=True)
    assert "Este archivo fue borrado por mandato legal el " in page
    assert f"({REASON}); no se vuelve a guardar." in page
