"""The programme (programa) on the staff pages: edit form with suggestions, the asset's page,
the selection's batch edit, the bitácora, and the search page's facets and field."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask

from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, csrf, ctx_of, signed_in, state_of, use_english


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)


def _programmes(app: Flask, ids: list[int]) -> list[str | None]:
    with ctx_of(app).catalog.read() as session:
        return [session.get(Asset, i).programme for i in ids]


def _form_state(page: str) -> dict[str, str]:
    version = re.search(r'name="edit_version" value="(\d+)"', page)
    base = re.search(r'name="base" value="([^"]*)"', page)
    assert version and base
    return {"edit_version": version.group(1), "base": html.unescape(base.group(1))}


def test_an_editor_sets_the_programme_and_the_asset_page_links_its_search(
        app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    asset_id = archive.asset_ids[0]
    form = client.get(f"/material/{asset_id}/editar").text
    assert 'name="programme"' in form and 'data-suggest="programme"' in form
    assert "Programme" in form
    response = client.post(f"/material/{asset_id}/editar", data={
        **_form_state(form), "csrf_token": csrf(client), "programme": "Utopías"})
    assert response.status_code == 302
    assert _programmes(app, [asset_id]) == ["Utopías"]
    page = client.get(f"/material/{asset_id}").text
    assert "<dt>Programme</dt>" in page and "Utopías</a>" in page
    assert "programa:%22Ut" in page  # a link to the programme's search
    log = signed_in(app, "admin").get("/admin/bitacora?campo=programme").text
    assert "Programme" in log and "Utopías" in log


def test_a_selection_gets_a_programme_in_one_batch_edit(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    query = "&".join(f"asset_id={i}" for i in archive.asset_ids)
    form = client.get(f"/seleccion/editar?{query}").text
    assert 'name="op_programme"' in form and 'data-suggest="programme"' in form
    response = client.post("/seleccion/editar", data={
        "csrf_token": csrf(client), "asset_id": archive.asset_ids, "op_programme": "set",
        "value_programme": "Mercomuna"})
    assert response.status_code == 302
    assert _programmes(app, archive.asset_ids) == ["Mercomuna"] * 3


def test_the_search_page_facets_and_filters_by_programme_and_campaign(
        app: Flask, archive: Archive) -> None:
    first, second, third = archive.asset_ids
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, first).programme = "Utopías"
        session.get(Asset, second).programme = "Mercomuna"
        session.get(Asset, second).campaign = "Iztapalapa limpia"
        record_fixture_writes(session)
    state_of(app).search.sync()
    client = signed_in(app, "prensa")
    page = client.get("/buscar").text
    assert "Programme" in page and "Campaign" in page
    assert "programa=Utop%C3%ADas" in page and "campana=Iztapalapa+limpia" in page
    only = client.get("/api/v1/search", query_string={"programa": "Utopías"}).json
    assert [h["id"] for h in only["hits"]] == [first]
    words = client.get("/api/v1/search", query_string={"q": "programa:utopias"}).json
    assert [h["id"] for h in words["hits"]] == [first]
    campaign = client.get("/api/v1/search", query_string={"q": "campaña:limpia"}).json
    assert [h["id"] for h in campaign["hits"]] == [second]
