"""Press-kit routes: the collection ZIP, the selection ZIP, the API, roles, blackout, audit."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from flask import Flask
from sqlalchemy import select

from dam.curation import collections as coll
from dam.curation.actor import SYSTEM
from dam.enums import BlackoutException, WorkflowState
from dam.models import Asset, AuditEntry, BlackoutPeriod, Collection, User, utcnow
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, csrf, ctx_of, post_form, signed_in, use_english
from web.accounts import create_token


@pytest.fixture
def album(app: Flask, archive: Archive) -> int:
    """An album of the three photos: two approved, one still a draft."""
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        for asset_id in archive.asset_ids[:2]:
            asset = session.get(Asset, asset_id)
            asset.workflow_state = WorkflowState.APPROVED
            asset.caption = f"Pie de la foto {asset_id} <b>&</b>"
        created = coll.create_album(session, SYSTEM, "Inauguración del mercado")
        coll.add_items(session, SYSTEM, created.id, archive.asset_ids)
        record_fixture_writes(session)
        return created.id


def _jpegs(data: bytes) -> list[str]:
    return [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith(".jpg")]


def test_press_staff_download_a_collection_kit(app: Flask, archive: Archive, album: int) -> None:
    client = signed_in(app, "prensa")
    response = client.get(f"/colecciones/{album}/paquete-para-prensa.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    assert response.headers["X-Acervo-Held-Back"] == "1"
    assert "attachment" in response.headers["Content-Disposition"]
    disposition = response.headers["Content-Disposition"]
    assert "paquete-para-prensa-inauguracion-del-mercado-" in disposition
    data = response.get_data()
    assert len(_jpegs(data)) == 2
    captions = zipfile.ZipFile(io.BytesIO(data)).read("pies_de_foto.txt").decode("utf-8-sig")
    assert f"Pie de la foto {archive.asset_ids[0]} <b>&</b>" in captions
    assert f"Pie de la foto {archive.asset_ids[2]}" not in captions
    with ctx_of(app).catalog.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "presskit")).one()
        assert entry.username == "prensa" and entry.collection_id == album
        assert entry.new_value["photos"] == 2 and entry.new_value["held_back"] == 1


def test_the_public_and_strangers_get_nothing(app: Flask, album: int) -> None:
    public = app.test_client()
    response = public.get(f"/colecciones/{album}/paquete-para-prensa.zip")
    assert response.status_code == 302 and "/entrar" in response.headers["Location"]
    assert public.get(f"/api/v1/collections/{album}/presskit").status_code == 401
    client = signed_in(app, "prensa")
    assert client.get("/colecciones/99999/paquete-para-prensa.zip").status_code == 404
    assert client.get("/api/v1/collections/99999/presskit").status_code == 404


def test_the_api_streams_the_kit_with_a_token(app: Flask, album: int) -> None:
    ctx = ctx_of(app)
    with ctx.catalog.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == "prensa"))
    token = create_token(ctx.catalog, user_id, "redaccion")
    response = app.test_client().get(f"/api/v1/collections/{album}/presskit",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and len(_jpegs(response.get_data())) == 2


def test_a_selection_kit_needs_the_csrf_token(app: Flask, archive: Archive, album: int) -> None:
    client = signed_in(app, "prensa")
    ids = archive.asset_ids
    refused = client.post("/paquete-para-prensa", data={"asset_id": ids[:2]})
    assert refused.status_code in (400, 403)
    response = post_form(client, "/paquete-para-prensa", asset_id=ids, title="Mercado")
    assert response.status_code == 200 and response.headers["X-Acervo-Held-Back"] == "1"
    assert len(_jpegs(response.get_data())) == 2
    assert post_form(client, "/paquete-para-prensa").status_code == 400
    assert post_form(client, "/paquete-para-prensa", asset_id="x").status_code == 400
    only_draft = post_form(client, "/paquete-para-prensa", asset_id=[ids[2]])
    assert only_draft.status_code == 409


def test_a_blackout_refuses_unless_excepted(app: Flask, album: int) -> None:
    use_english(app)
    ctx = ctx_of(app)
    now = utcnow()
    with ctx.catalog.write() as session:
        session.add(BlackoutPeriod(starts_at=now - dt.timedelta(hours=1),
                                   ends_at=now + dt.timedelta(days=3),
                                   reason="Proceso electoral 2027"))
    client = signed_in(app, "prensa")
    page = client.get(f"/colecciones/{album}/paquete-para-prensa.zip")
    assert page.status_code == 409 and b"Proceso electoral 2027" in page.data
    api = client.get(f"/api/v1/collections/{album}/presskit")
    assert api.status_code == 409 and api.json["error"] == "blackout"
    shown = client.get(f"/colecciones/{album}").get_data(as_text=True)
    assert "Electoral blackout until" in shown and "paquete-para-prensa.zip" not in shown
    with ctx.catalog.write() as session:
        session.get(Collection, album).blackout_exception = BlackoutException.CIVIL_PROTECTION
        record_fixture_writes(session)
    assert client.get(f"/colecciones/{album}/paquete-para-prensa.zip").status_code == 200


def test_the_collection_page_offers_the_kit(app: Flask, album: int) -> None:
    use_english(app)
    client = signed_in(app, "prensa")
    csrf(client)
    html = client.get(f"/colecciones/{album}").get_data(as_text=True)
    assert "Download press kit (ZIP)" in html
    assert f"/colecciones/{album}/paquete-para-prensa.zip" in html
    assert "2 photos will go in the kit." in html and "1 item held back (1 not approved)" in html
