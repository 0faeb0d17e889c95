"""Editing pages and API: one asset's form, conflicts, batch edits and undo, permissions."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dam.models import Asset, Batch, CaptionTemplate, User
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, csrf, ctx_of, login, use_english


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text



def _asset(app: Flask, asset_id: int) -> Asset:
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge(asset)
        return asset


def _form_state(page: str) -> dict[str, str]:
    """The hidden fields of the edit form (version and base values)."""
    version = re.search(r'name="edit_version" value="(\d+)"', page)
    base = re.search(r'name="base" value="([^"]*)"', page)
    assert version and base
    return {"edit_version": version.group(1), "base": html.unescape(base.group(1))}


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    login(client, username)
    return client


def _give_batch_to(app: Flask, archive: Archive, username: str) -> None:
    with ctx_of(app).catalog.write() as session:
        user = session.query(User).filter_by(username=username).one()
        session.get(Batch, archive.batch_id).user_id = user.id
        record_fixture_writes(session)


def test_an_editor_edits_an_asset_and_sees_its_history(app: Flask, archive: Archive) -> None:
    client = _signed_in(app, "editora")
    asset_id = archive.asset_ids[0]
    page = client.get(f"/material/{asset_id}")
    assert f'href="/material/{asset_id}/editar"' in page.text
    form = client.get(f"/material/{asset_id}/editar")
    assert form.status_code == 200
    assert 'name="caption"' in form.text and 'dir="auto"' in form.text
    assert 'data-suggest="keyword"' in form.text and "suggest.js" in form.text
    data = {**_form_state(form.text), "csrf_token": csrf(client),
            "caption": "Inauguración del mercado de Santa Cruz", "keywords": "mercado, Mercado",
            "headline": "Mercado renovado"}
    response = client.post(f"/material/{asset_id}/editar", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/material/{asset_id}")
    asset = _asset(app, asset_id)
    assert (asset.caption, asset.keywords, asset.edit_version) == (
        "Inauguración del mercado de Santa Cruz", ["mercado"], 2)
    history = client.get(f"/material/{asset_id}?panel=historial").text  # the History tab
    assert "Mercado renovado" in history and "editora" in history


def test_photographers_edit_their_own_batch_only(app: Flask, archive: Archive) -> None:
    client = _signed_in(app, "fotografa")
    asset_id = archive.asset_ids[0]
    assert client.get(f"/material/{asset_id}/editar").status_code == 403
    assert f'href="/material/{asset_id}/editar"' not in client.get(f"/material/{asset_id}").text
    response = client.post(f"/material/{asset_id}/editar", data={
        "csrf_token": csrf(client), "edit_version": "1", "base": "{}", "caption": "Mío"})
    assert response.status_code == 403
    _give_batch_to(app, archive, "fotografa")
    assert client.get(f"/material/{asset_id}/editar").status_code == 200
    viewer = _signed_in(app, "prensa")
    assert viewer.get(f"/material/{asset_id}/editar").status_code == 403


def test_a_conflicting_edit_shows_both_values(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    first, second = _signed_in(app, "editora"), _signed_in(app, "admin")
    form_one = _form_state(first.get(f"/material/{asset_id}/editar").text)
    form_two = _form_state(second.get(f"/material/{asset_id}/editar").text)
    first.post(f"/material/{asset_id}/editar", data={
        **form_one, "csrf_token": csrf(first), "caption": "Pie de la editora", "city": ""})
    response = second.post(f"/material/{asset_id}/editar", data={
        **form_two, "csrf_token": csrf(second), "caption": "Pie del admin",
        "city": "Iztapalapa"})
    assert response.status_code == 409
    assert "Pie de la editora" in response.text and "Pie del admin" in response.text
    assert "editora" in response.text  # who saved the other version
    asset = _asset(app, asset_id)
    assert (asset.caption, asset.city) == ("Pie de la editora", None)
    again = {**_form_state(response.text), "csrf_token": csrf(second),
             "caption": "Pie del admin", "city": "Iztapalapa"}
    assert second.post(f"/material/{asset_id}/editar", data=again).status_code == 302
    assert (_asset(app, asset_id).caption, _asset(app, asset_id).city) == (
        "Pie del admin", "Iztapalapa")


def test_captions_are_escaped_and_long_text_kept(app: Flask, archive: Archive) -> None:
    client = _signed_in(app, "editora")
    asset_id = archive.asset_ids[1]
    caption = "<script>alert(1)</script> مرحبا 🎉 " + "x" * 50_000
    form = _form_state(client.get(f"/material/{asset_id}/editar").text)
    client.post(f"/material/{asset_id}/editar",
                data={**form, "csrf_token": csrf(client), "caption": caption})
    assert _asset(app, asset_id).caption == caption.strip()
    for path in (f"/material/{asset_id}", f"/material/{asset_id}/editar"):
        text = client.get(path).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_bad_form_values_are_a_400(app: Flask, archive: Archive) -> None:
    client = _signed_in(app, "editora")
    asset_id = archive.asset_ids[0]
    form = _form_state(client.get(f"/material/{asset_id}/editar").text)
    for bad in ({"print_run": "mil"}, {"edit_version": "x"}, {"base": "[1]"},
                {"distribution_date": "ayer"}):
        response = client.post(f"/material/{asset_id}/editar",
                               data={**form, "csrf_token": csrf(client), **bad})
        assert response.status_code == 400, bad
    assert client.get("/seleccion/editar").status_code == 400
    assert client.get("/seleccion/editar?asset_id=uno").status_code == 400
    assert client.post("/seleccion/editar", data={
        "csrf_token": csrf(client), "asset_id": str(asset_id), "op_keywords": "explode"}
    ).status_code == 400


def test_grid_cells_are_selectable_for_those_who_may_edit(app: Flask, archive: Archive) -> None:
    editor_page = _signed_in(app, "editora").get("/").text
    assert editor_page.count('form="selection-form"') == len(archive.asset_ids)
    assert 'id="selection-form"' in editor_page and "editing.js" in editor_page
    viewer_page = _signed_in(app, "prensa").get("/").text
    assert 'form="selection-form"' not in viewer_page and "selection-form" not in viewer_page


def test_batch_edit_with_template_then_undo(app: Flask, archive: Archive) -> None:
    with ctx_of(app).catalog.write() as session:
        session.add(CaptionTemplate(name="Evento", body="{fotografo} / {evento}, {lugar}."))
        template_id = session.query(CaptionTemplate).one().id
    client = _signed_in(app, "editora")
    query = "&".join(f"asset_id={i}" for i in archive.asset_ids)
    form = client.get(f"/seleccion/editar?{query}")
    assert form.status_code == 200
    assert "Edit 3 items" in form.text and "Evento" in form.text
    response = client.post("/seleccion/editar", data={
        "csrf_token": csrf(client), "asset_id": archive.asset_ids, "op_keywords": "add",
        "value_keywords": "tianguis, Mercado Nuevo", "template_id": str(template_id)})
    assert response.status_code == 302
    result = client.get(response.headers["Location"])
    assert "3 items updated" in result.text and "deshacer" in result.text
    for asset_id in archive.asset_ids:
        asset = _asset(app, asset_id)
        assert asset.keywords[-2:] == ["tianguis", "Mercado Nuevo"]
        assert asset.caption == "Ana Peña / Inauguración del mercado, Santa Cruz Meyehualco."
    undo_url = re.search(r'action="(/ediciones/\d+/deshacer)"', result.text).group(1)
    assert client.post(undo_url, data={"csrf_token": csrf(client)}).status_code == 302
    assert "tianguis" not in _asset(app, archive.asset_ids[0]).keywords
    assert client.post(undo_url, data={"csrf_token": csrf(client)}).status_code == 409


def test_a_photographer_cannot_batch_edit_anothers_assets(app: Flask, archive: Archive) -> None:
    client = _signed_in(app, "fotografa")
    response = client.post("/seleccion/editar", data={
        "csrf_token": csrf(client), "asset_id": archive.asset_ids, "op_city": "set",
        "value_city": "Iztapalapa"})
    assert response.status_code == 403
    assert all(_asset(app, i).city is None for i in archive.asset_ids)


def _token(app: Flask, username: str) -> str:
    from web.accounts import create_token

    with ctx_of(app).catalog.read() as session:
        user_id = session.query(User).filter_by(username=username).one().id
    return create_token(ctx_of(app).catalog, user_id, "test")


def test_api_patch_conflict_and_batch_edit(app: Flask, archive: Archive) -> None:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {_token(app, 'editora')}"}
    asset_id = archive.asset_ids[0]
    ok = client.patch(f"/api/v1/assets/{asset_id}", headers=auth,
                      json={"edit_version": 1, "changes": {"caption": "Primero"}})
    assert ok.status_code == 200 and ok.json["caption"] == "Primero"
    stale = client.patch(f"/api/v1/assets/{asset_id}", headers=auth,
                         json={"edit_version": 1, "changes": {"caption": "Segundo"}})
    assert stale.status_code == 409
    assert stale.json["conflicts"]["caption"]["current"] == "Primero"
    assert stale.json["edit_version"] == 2
    bad = client.patch(f"/api/v1/assets/{asset_id}", headers=auth, data="no json")
    assert bad.status_code == 400 and bad.json["error"] == "json"
    created = client.post("/api/v1/batch-edits", headers=auth, json={
        "asset_ids": archive.asset_ids,
        "operations": [{"field": "keywords", "op": "set", "value": ["uno"]}]})
    assert created.status_code == 201 and created.json["asset_count"] == 3
    undone = client.post(created.json["undo_url"], headers=auth)
    assert undone.status_code == 200 and undone.json["restored"] == 3
    assert client.post("/api/v1/batch-edits/999/undo", headers=auth).status_code == 404
    text = json.dumps(_asset(app, asset_id).keywords)
    assert "uno" not in text
