"""History and bitácora in words people read; the small wording fixes of issue 16."""

from __future__ import annotations

import re

from flask import Flask

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from tests.web.conftest import Archive, ctx_of, signed_in

ADMIN = Actor(1, "admin", Role.ADMIN)


def _record(app: Flask, asset_id: int) -> None:
    with ctx_of(app).catalog.write() as session:
        audit.record(session, ADMIN, "state", asset_id=asset_id, field="workflow_state",
                     old="draft", new="approved")
        audit.record(session, ADMIN, "rights", asset_id=asset_id, field="internal_only",
                     old=False, new=True)
        audit.record(session, ADMIN, "rights", asset_id=asset_id, field="embargo_until",
                     old=None, new="2025-03-14T15:30:00+00:00")
        audit.record(session, ADMIN, "edit", asset_id=asset_id, field="poi",
                     old=None, new={"x": 0.25, "y": 0.5})


def test_history_and_bitacora_speak_spanish_not_columns_or_json(app: Flask,
                                                                archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _record(app, asset_id)
    client = signed_in(app, "admin")
    for path in (f"/material/{asset_id}?panel=historial", f"/admin/bitacora?material={asset_id}"):
        html = client.get(path).get_data(as_text=True)
        main = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])  # the text people read
        for words in ("Borrador", "Aprobado para publicación", "Solo uso interno", "Sí",
                      "14 mar 2025, 9:30:00"):
            assert words in main, (path, words)
        for raw in ("workflow_state", "internal_only", "embargo_until", '"x"', " true ",
                    " draft ", "2025-03-14T15:30", "{"):
            assert raw not in main, (path, raw)


def test_a_bulk_state_change_never_demotes_and_says_what_it_skipped(app: Flask,
                                                                   archive: Archive) -> None:
    from dam.curation.workflow import change_state
    from dam.enums import WorkflowState
    from dam.models import Asset, utcnow
    from tests.web.conftest import post_form

    approved, draft = archive.asset_ids[:2], archive.asset_ids[2]
    with ctx_of(app).catalog.write() as session:
        for target in (WorkflowState.REVIEWED, WorkflowState.APPROVED):
            assert not change_state(session, ADMIN, approved, target, utcnow()).refused
    client = signed_in(app, "editora")
    response = post_form(client, "/seleccion/estado", state="reviewed",
                         asset_id=[*approved, draft], next="/")
    assert response.status_code == 303
    with ctx_of(app).catalog.read() as session:
        states = {a.id: str(a.workflow_state) for a in session.query(Asset)}
    assert [states[i] for i in approved] == ["approved", "approved"]  # not moved back
    assert states[draft] == "reviewed"
    page = client.get("/").get_data(as_text=True)
    assert "2 ya Aprobado para publicación" in page and "1 material(es)" in page


def test_small_wording_fixes(app: Flask, archive: Archive) -> None:
    from web.i18n import tidy

    client = signed_in(app, "admin")
    empty = client.get("/buscar?q=zzzqqqxxx").get_data(as_text=True)
    assert "Nada coincide con esta búsqueda" in empty
    assert "Todavía no hay material aquí." not in empty  # the archive is not empty
    assert tidy("Hasta el 5 dic 2026, 7:46 a.m..") == "Hasta el 5 dic 2026, 7:46 a.m."
    assert tidy("Espere...") == "Espere..."
    upload = client.get("/subir").get_data(as_text=True)
    assert "Solo para archivos sin fecha de cámara" in upload  # the date explained
    assert "done_some" in upload  # a refused file is never reported as "all uploaded"
    batch = client.get(f"/cargas/{archive.batch_id}").get_data(as_text=True)
    assert '<ul class="facts">' in batch and "<li>Ana Peña</li>" in batch  # separated facts
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    icon.close()
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_grid_cells_carry_their_thumbnail_size_and_colour(app: Flask, archive: Archive) -> None:
    html = signed_in(app, "fotografa").get("/").get_data(as_text=True)
    cells = re.findall(
        r'<li class="cell" data-w="(\d+)" data-h="(\d+)" data-color="(#[0-9a-f]{6})"', html)
    assert len(cells) == len(archive.asset_ids)  # sizes for justified rows, colour placeholders
    assert all(int(w) > int(h) for w, h, _c in cells)  # 640x480 photos: landscape, not squares
    assert 'data-context="lista:' in html  # the asset page's arrows walk this list
