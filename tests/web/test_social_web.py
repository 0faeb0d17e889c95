"""Social-format routes: the crops by role, held-back 409, the point-of-interest form and API."""

from __future__ import annotations

import io

from flask import Flask
from PIL import Image
from sqlalchemy import select

from dam.enums import WorkflowState
from dam.models import Asset, AuditEntry
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, csrf, ctx_of, post_form, signed_in, use_english


def _approve(app: Flask, asset_id: int) -> None:
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, asset_id).workflow_state = WorkflowState.APPROVED
        record_fixture_writes(session)


def _point(app: Flask, asset_id: int) -> tuple[float | None, float | None]:
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        return asset.poi_x, asset.poi_y


def test_press_staff_download_each_format(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    client = signed_in(app, "prensa")
    held = client.get(f"/material/{asset_id}/redes/cuadrado.jpg")
    assert held.status_code == 409  # still a draft: not approved for publication
    _approve(app, asset_id)
    for preset, size in (("cuadrado", (1080, 1080)), ("historia", (1080, 1920))):
        response = client.get(f"/material/{asset_id}/redes/{preset}.jpg")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert f"-{preset}.jpg" in response.headers["Content-Disposition"]
        assert Image.open(io.BytesIO(response.data)).size == size
    assert client.get(f"/material/{asset_id}/redes/panoramica.jpg").status_code == 404
    assert client.get("/material/99999/redes/cuadrado.jpg").status_code == 404
    public = app.test_client().get(f"/material/{asset_id}/redes/cuadrado.jpg")
    assert public.status_code == 302 and "/entrar" in public.headers["Location"]


def test_held_back_answers_409_with_reasons(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[1]
    _approve(app, asset_id)
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, asset_id).internal_only = True
        record_fixture_writes(session)
    client = signed_in(app, "prensa")
    response = client.get(f"/material/{asset_id}/redes/vertical.jpg",
                          headers={"Accept": "application/json"})
    assert response.status_code == 409


def test_editors_set_and_reset_the_point_by_form(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    editor = signed_in(app, "editora")
    url = f"/material/{asset_id}/punto-de-interes"
    response = post_form(editor, url, x="0.25", y="0.8")
    assert response.status_code == 303 and _point(app, asset_id) == (0.25, 0.8)
    assert post_form(editor, url, x="1.5", y="0.5").status_code == 400
    assert post_form(editor, url, x="abc", y="0.5").status_code == 400
    assert _point(app, asset_id) == (0.25, 0.8)
    assert post_form(editor, url, reset="1").status_code == 303
    assert _point(app, asset_id) == (None, None)
    assert editor.post(url, data={"x": "0.5", "y": "0.5"}).status_code in (400, 403)  # no CSRF
    press = signed_in(app, "prensa")
    assert post_form(press, url, x="0.5", y="0.5").status_code == 403
    assert post_form(editor, "/material/99999/punto-de-interes", x="0.5",
                     y="0.5").status_code == 404
    with ctx_of(app).catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.field == "poi")).all()
        assert [e.new_value for e in entries] == [[0.25, 0.8], None]


def test_the_api_sets_the_point(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    editor = signed_in(app, "editora")
    headers = {"X-CSRF-Token": csrf(editor)}
    url = f"/api/v1/assets/{asset_id}/poi"
    done = editor.put(url, json={"x": 0.1, "y": 0.9}, headers=headers)
    assert done.status_code == 200 and done.json["x"] == 0.1 and not done.json["automatic"]
    assert editor.put(url, json={"x": 0.1, "y": 2}, headers=headers).status_code == 400
    assert editor.put(url, json={"y": 0.5}, headers=headers).status_code == 400
    assert editor.put(url, json={"x": True, "y": 0.5}, headers=headers).status_code == 400
    reset = editor.put(url, json={"x": None}, headers=headers)
    assert reset.status_code == 200 and reset.json["automatic"] and reset.json["x"] is None
    press = signed_in(app, "prensa")
    assert press.put(url, json={"x": 0.5, "y": 0.5},
                     headers={"X-CSRF-Token": csrf(press)}).status_code == 403
    assert app.test_client().put(url, json={"x": 0.5, "y": 0.5}).status_code in (400, 401)


def test_the_asset_page_shows_the_panel_to_staff(app: Flask, archive: Archive) -> None:
    use_english(app)
    asset_id = archive.asset_ids[0]
    _approve(app, asset_id)
    tab = f"/material/{asset_id}?panel=redes"  # the tab "Social networks" of the asset page
    editor_page = signed_in(app, "editora").get(tab).get_data(as_text=True)
    assert "Social formats" in editor_page and "Save point" in editor_page
    assert f"/material/{asset_id}/redes/historia.jpg" in editor_page
    press_page = signed_in(app, "prensa").get(tab).get_data(as_text=True)
    assert "Social formats" in press_page and "Save point" not in press_page
