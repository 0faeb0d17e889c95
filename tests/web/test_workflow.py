"""Workflow, rights and consent routes, the page saying why, and what the public may see."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from dam.enums import WorkflowState
from dam.models import Asset, AuditEntry, Batch, Rendition, User
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, csrf, ctx_of, login, use_english


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text



def _set(app: Flask, asset_id: int, **values: object) -> None:
    with ctx_of(app).catalog.write() as session:
        asset = session.get(Asset, asset_id)
        for name, value in values.items():
            setattr(asset, name, value)
        record_fixture_writes(session)


def _asset(app: Flask, asset_id: int) -> Asset:
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge(asset)
        return asset


def _post(client: FlaskClient, url: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf(client), **data})


def _give_batch_to(app: Flask, archive: Archive, username: str) -> None:
    with ctx_of(app).catalog.write() as session:
        user = session.query(User).filter_by(username=username).one()
        session.get(Batch, archive.batch_id).user_id = user.id
        record_fixture_writes(session)


def test_an_editor_takes_a_photo_to_published(client: FlaskClient, app: Flask,
                                              archive: Archive) -> None:
    login(client, "editora")
    asset_id = archive.asset_ids[0]
    for state in ("reviewed", "approved", "published"):
        response = _post(client, f"/material/{asset_id}/estado", state=state)
        assert response.status_code == 303
    assert _asset(app, asset_id).workflow_state == WorkflowState.PUBLISHED
    page = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Published" in page


def test_the_page_says_why_it_cannot_be_approved(client: FlaskClient, app: Flask,
                                                 archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _set(app, asset_id, workflow_state=WorkflowState.REVIEWED, contains_minors=True)
    login(client, "editora")
    response = _post(client, f"/material/{asset_id}/estado", state="approved")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "it shows minors and no valid consent covers it" in page
    assert _asset(app, asset_id).workflow_state == WorkflowState.REVIEWED


def test_a_selection_reports_what_moved_and_what_was_held_back(
        client: FlaskClient, app: Flask, archive: Archive) -> None:
    first, second, third = archive.asset_ids
    for asset_id in archive.asset_ids:
        _set(app, asset_id, workflow_state=WorkflowState.REVIEWED)
    _set(app, third, embargo_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    login(client, "editora")
    response = client.post("/seleccion/estado", data=MultiDict([
        ("csrf_token", csrf(client)), ("state", "approved"), ("asset_id", str(first)),
        ("asset_id", str(second)), ("asset_id", str(third)), ("next", "/buscar")]))
    assert response.status_code == 303 and response.headers["Location"].endswith("/buscar")
    page = client.get(f"/material/{first}").get_data(as_text=True)
    assert "2 material(s)" in page and "1 material(s) held back" in page
    assert f"#{third}: it is under embargo until" in page
    assert _asset(app, third).workflow_state == WorkflowState.REVIEWED
    assert _post(client, "/seleccion/estado", state="nonsense", asset_id="1").status_code == 400


def test_photographers_review_their_own_photos_only(client: FlaskClient, app: Flask,
                                                    archive: Archive) -> None:
    login(client, "fotografa")
    asset_id = archive.asset_ids[0]
    assert _post(client, f"/material/{asset_id}/estado", state="reviewed").status_code == 403
    _give_batch_to(app, archive, "fotografa")
    assert _post(client, f"/material/{asset_id}/estado", state="reviewed").status_code == 303
    assert _post(client, f"/material/{asset_id}/estado", state="approved").status_code == 403
    assert _post(client, "/material/999999/estado", state="reviewed").status_code == 404


def test_rights_form_stores_embargo_in_utc_and_refuses_stale_pages(
        client: FlaskClient, app: Flask, archive: Archive) -> None:
    login(client, "editora")
    asset_id = archive.asset_ids[0]
    form = MultiDict([
        ("csrf_token", csrf(client)), ("version", "1"), ("fields", "licence"),
        ("fields", "embargo_until"), ("fields", "internal_only"), ("licence", "CC-BY-4.0"),
        ("embargo_until", "2031-03-20T09:30"), ("internal_only", "1")])
    assert client.post(f"/material/{asset_id}/derechos", data=form).status_code == 303
    asset = _asset(app, asset_id)
    assert asset.licence == "CC-BY-4.0" and asset.internal_only
    assert asset.embargo_until.replace(tzinfo=None) == dt.datetime(2031, 3, 20, 15, 30)
    stale = client.post(f"/material/{asset_id}/derechos", data=form)
    assert stale.status_code == 409
    assert "changed this material" in stale.get_data(as_text=True)
    bad = MultiDict([("csrf_token", csrf(client)), ("fields", "licence"), ("licence", "MIT")])
    assert client.post(f"/material/{asset_id}/derechos", data=bad).status_code == 400
    page = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "it is for internal use only" in page and 'value="2031-03-20T09:30"' in page


def _preview_key(app: Flask, asset_id: int) -> str:
    with ctx_of(app).catalog.read() as session:
        return session.query(Rendition.key).filter_by(asset_id=asset_id, kind="preview").one()[0]


def test_the_public_sees_published_clear_assets_only(app: Flask, archive: Archive) -> None:
    public, embargoed, minors = archive.asset_ids
    for asset_id in archive.asset_ids:
        _set(app, asset_id, workflow_state=WorkflowState.PUBLISHED)
    _set(app, embargoed, embargo_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    _set(app, minors, contains_minors=True)
    client = app.test_client()
    assert client.get(f"/material/{public}").status_code == 200
    with client.get(f"/files/material/{public}/preview") as preview:
        assert preview.status_code == 200
        assert preview.headers["Cache-Control"].startswith("public")
    with client.get(f"/files/{_preview_key(app, public)}") as by_key:
        assert by_key.status_code == 404  # the public never addresses a storage key
    assert client.get(f"/material/{public}/original").status_code == 404
    assert client.get(f"/files/{_asset(app, public).original_key}").status_code == 404
    for hidden in (embargoed, minors):
        assert client.get(f"/material/{hidden}").status_code == 404
        assert client.get(f"/files/material/{hidden}/preview").status_code == 404
    page = client.get(f"/material/{public}").get_data(as_text=True)
    assert f"/material/{embargoed}\"" not in page and f"/material/{minors}\"" not in page
    _set(app, embargoed, embargo_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert client.get(f"/material/{embargoed}").status_code == 200  # no restart needed


def test_consent_forms_cover_and_revoke(client: FlaskClient, app: Flask, archive: Archive
                                        ) -> None:
    doc, photo, _other = archive.asset_ids
    _set(app, photo, workflow_state=WorkflowState.REVIEWED, contains_minors=True)
    login(client, "editora")
    created = _post(client, "/consentimientos/nuevo", document_asset_id=str(doc),
                    persons="Luis Ortega", covers_minor="1", guardian="Marta Ortega",
                    expires_on="2099-12-31", asset_ids=str(photo))
    assert created.status_code == 303
    detail = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Luis Ortega" in detail and f"/material/{photo}" in detail
    assert "Luis Ortega" in client.get("/consentimientos").get_data(as_text=True)
    assert _post(client, f"/material/{photo}/estado", state="approved").status_code == 303
    assert _asset(app, photo).workflow_state == WorkflowState.APPROVED
    consent_url = created.headers["Location"]
    login(client, "fotografa")
    assert _post(client, f"{consent_url}/revocar").status_code in (403, 404)
    login(client, "editora")
    assert _post(client, f"{consent_url}/revocar").status_code == 303
    page = client.get(f"/material/{photo}").get_data(as_text=True)
    assert "was revoked on" in page
    assert _post(client, "/consentimientos/nuevo", document_asset_id="x").status_code == 400
    assert client.get("/consentimientos/424242").status_code == 404


def test_editors_take_material_off_a_consent_form(client: FlaskClient, app: Flask,
                                                  archive: Archive) -> None:
    doc, photo, other = archive.asset_ids
    _set(app, photo, workflow_state=WorkflowState.REVIEWED, contains_minors=True)
    login(client, "editora")
    created = _post(client, "/consentimientos/nuevo", document_asset_id=str(doc),
                    persons="Luis Ortega", covers_minor="1", guardian="Marta Ortega",
                    expires_on="2099-12-31", asset_ids=f"{photo} {other}")
    consent_url = created.headers["Location"]
    assert _post(client, f"/material/{photo}/estado", state="approved").status_code == 303
    login(client, "fotografa")
    assert _post(client, f"{consent_url}/quitar", asset_ids=str(photo)).status_code in (403, 404)
    login(client, "editora")
    assert _post(client, f"{consent_url}/quitar", asset_ids="").status_code == 400
    removed = _post(client, f"{consent_url}/quitar", asset_ids=str(photo))
    assert removed.status_code == 303
    detail = client.get(consent_url).get_data(as_text=True)
    assert "1 material(s) no longer covered by this form." in detail
    assert f"/material/{other}\"" in detail and f"/material/{photo}\"" not in detail
    with ctx_of(app).catalog.read() as session:  # audited, and the minor is no longer covered
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.asset_id == photo, AuditEntry.field == "consent_forms")
            .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and "no longer covered" in entry.detail
    page = client.get(f"/material/{photo}").get_data(as_text=True)
    assert "it shows minors and no valid consent covers it" in page


def test_each_role_sees_what_it_may_do(client: FlaskClient, app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _set(app, asset_id, workflow_state=WorkflowState.PUBLISHED, sensitive=True)
    public = app.test_client().get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Rights and publication" not in public and "/derechos" not in public
    login(client, "prensa")
    viewer = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Published" in viewer and "marked as sensitive" in viewer
    assert "/derechos" not in viewer and "/estado" not in viewer
    _give_batch_to(app, archive, "fotografa")
    login(client, "fotografa")
    photographer = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert 'name="contains_minors"' in photographer and 'name="licence"' not in photographer
    login(client, "editora")
    editor = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert 'name="licence"' in editor and 'value="withdrawn"' in editor
