"""Capture time correction for a batch: preview, apply, audit, undo."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select

from dam.models import Asset, AuditEntry
from tests.web.conftest import Archive, ctx_of, post_form, signed_in

TAKEN = dt.datetime(2025, 3, 14, 11, 30)  # what the test photos' cameras recorded


def _times(app: Flask, ids: list[int]) -> list[dt.datetime | None]:
    with ctx_of(app).catalog.read() as session:
        return [session.get(Asset, i).taken_at for i in ids]


def test_a_batch_is_shifted_after_a_preview_and_the_shift_undone(
        app: Flask, archive: Archive) -> None:
    assert _times(app, archive.asset_ids) == [TAKEN] * 3
    editor = signed_in(app, "editora")
    url = f"/cargas/{archive.batch_id}/corregir-hora"
    assert "Corregir la hora" in editor.get(f"/cargas/{archive.batch_id}").get_data(as_text=True)
    preview = editor.get(f"{url}?modo=desfase&signo=-&dias=0&horas=1&minutos=0")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2025-03-14 10:30:00" in text and "−1 h" in text
    assert _times(app, archive.asset_ids) == [TAKEN] * 3  # a preview changes nothing

    anchored = editor.get(f"{url}?modo=hora&asset_id={archive.asset_ids[0]}"
                          "&hora=2025-03-14T13:45").get_data(as_text=True)
    assert 'name="segundos" value="8100"' in anchored  # this photo was taken at 13:45
    done = post_form(editor, url, segundos="8100")
    assert done.status_code == 302
    assert _times(app, archive.asset_ids) == [TAKEN + dt.timedelta(hours=2, minutes=15)] * 3
    with ctx_of(app).catalog.read() as session:
        logged = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "time_shift", AuditEntry.asset_id.is_not(None))).all()
        assert len(logged) == 3 and logged[0].old_value == TAKEN.isoformat()
        assert "taken_at" in session.get(Asset, archive.asset_ids[0]).edited_fields

    result = editor.get(done.headers["Location"]).get_data(as_text=True)
    assert "Deshacer la corrección" in result
    shift_id = done.headers["Location"].rsplit("/", 1)[1]
    undone = post_form(editor, f"/correcciones-de-hora/{shift_id}/deshacer")
    assert undone.status_code == 302
    assert _times(app, archive.asset_ids) == [TAKEN] * 3
    assert post_form(editor, f"/correcciones-de-hora/{shift_id}/deshacer").status_code == 409


def test_only_who_may_edit_the_batch_corrects_it(app: Flask, archive: Archive) -> None:
    url = f"/cargas/{archive.batch_id}/corregir-hora"
    assert signed_in(app, "prensa").get(url).status_code == 403
    # The batch is not the photographer's: it does not exist for her.
    assert signed_in(app, "fotografa").get(url).status_code == 404
    assert post_form(signed_in(app, "fotografa"), url, segundos="60").status_code == 404
    assert _times(app, archive.asset_ids) == [TAKEN] * 3
