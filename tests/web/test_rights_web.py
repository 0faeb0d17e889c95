"""Public means public, through the pages and the API: restrictions only tighten below editor,
the electoral blackout stops publishing, and another photographer's things are not found."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from dam.curation.actor import Actor
from dam.enums import BlackoutException, Role
from dam.enums import WorkflowState as S
from dam.models import (
    Asset,
    AuditEntry,
    Batch,
    BlackoutPeriod,
    Collection,
    CollectionItem,
    ConsentForm,
    User,
    utcnow,
)
from dam.publishing.blackout import add_period
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import PASSWORD, Archive, csrf, ctx_of, post_form, signed_in
from web.accounts import create_user

SPANISH_NEEDS_EDITOR = "Solo un(a) editor(a) puede levantar una restricción"


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


def _user_id(app: Flask, username: str) -> int:
    with ctx_of(app).catalog.read() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def _own(app: Flask, archive: Archive, username: str = "fotografa") -> None:
    with ctx_of(app).catalog.write() as session:
        session.get(Batch, archive.batch_id).user_id = _user_id(app, username)
        record_fixture_writes(session)


def _rights_form(client: FlaskClient, **values: str) -> MultiDict:
    """The asset page's rights form: unticked boxes are left out, as a browser does."""
    fields = ("embargo_until", "internal_only", "contains_minors", "sensitive")
    return MultiDict([("csrf_token", csrf(client)), *(("fields", f) for f in fields),
                      *{"embargo_was": "", **values}.items()])


# --- Restrictions only tighten without an editor -------------------------------------------


def test_a_photographer_cannot_untick_minors_on_a_published_photo(
        app: Flask, archive: Archive) -> None:
    photo = archive.asset_ids[0]
    _own(app, archive)
    _set(app, photo, workflow_state=S.PUBLISHED, contains_minors=True)
    anonymous = app.test_client()
    assert anonymous.get(f"/material/{photo}").status_code == 404
    photographer = signed_in(app, "fotografa")
    page = photographer.get(f"/material/{photo}").get_data(as_text=True)
    # The page keeps the ticked box ticked (disabled, its value sent hidden).
    assert re.search(r'name="contains_minors" value="1" checked disabled', page)
    refused = photographer.post(f"/material/{photo}/derechos", data=_rights_form(photographer))
    assert refused.status_code == 403
    assert SPANISH_NEEDS_EDITOR in refused.get_data(as_text=True)
    assert _asset(app, photo).contains_minors
    assert anonymous.get(f"/material/{photo}").status_code == 404
    # Adding a restriction (internal use) with the page's form is theirs to do.
    added = photographer.post(f"/material/{photo}/derechos", data=_rights_form(
        photographer, contains_minors="1", internal_only="1"))
    assert added.status_code == 303 and _asset(app, photo).internal_only
    # An editor lifts both, and the log keeps who did it.
    editor = signed_in(app, "editora")
    lifted = editor.post(f"/material/{photo}/derechos", data=_rights_form(editor))
    assert lifted.status_code == 303
    assert anonymous.get(f"/material/{photo}").status_code == 200
    with ctx_of(app).catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.asset_id == photo, AuditEntry.detail == "restriction lifted")).all()
        assert sorted((e.username, e.field) for e in entries) == [
            ("editora", "contains_minors"), ("editora", "internal_only")]


def test_a_photographer_cannot_shorten_an_embargo_but_may_lengthen_it(
        app: Flask, archive: Archive) -> None:
    photo = archive.asset_ids[0]
    _own(app, archive)
    _set(app, photo, embargo_until=utcnow() + dt.timedelta(days=30))
    client = signed_in(app, "fotografa")
    shorter = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    longer = (dt.datetime.now() + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    for lift in ("", shorter):
        response = client.post(f"/material/{photo}/derechos", data=_rights_form(
            client, embargo_until=lift, embargo_was="2000-01-01T00:00"))
        assert response.status_code == 403
    assert client.post(f"/material/{photo}/derechos", data=_rights_form(
        client, embargo_until=longer)).status_code == 303
    assert _asset(app, photo).embargo_until.replace(tzinfo=dt.UTC) > utcnow() + dt.timedelta(
        days=80)


def test_a_photographer_cannot_record_a_minors_consent_on_a_published_photo(
        app: Flask, archive: Archive) -> None:
    doc, photo, draft = archive.asset_ids
    _own(app, archive)
    _set(app, photo, workflow_state=S.PUBLISHED, contains_minors=True)
    _set(app, draft, contains_minors=True)
    client = signed_in(app, "fotografa")
    form = {"document_asset_id": doc, "persons": "Luis Peña", "covers_minor": "1",
            "guardian": "Rosa Peña"}
    refused = post_form(client, "/consentimientos/nuevo", asset_ids=str(photo), **form)
    assert refused.status_code == 403
    assert SPANISH_NEEDS_EDITOR in refused.get_data(as_text=True)
    with ctx_of(app).catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(ConsentForm)) == 0
    # A form covering a draft is fine; covering the published photo with it is refused.
    created = post_form(client, "/consentimientos/nuevo", asset_ids=str(draft), **form)
    assert created.status_code == 303
    cover_url = created.headers["Location"] + "/cubrir"
    assert post_form(client, cover_url, asset_ids=str(photo)).status_code == 403
    assert app.test_client().get(f"/material/{photo}").status_code == 404
    # An editor covers it, and it is public at once.
    assert post_form(signed_in(app, "editora"), cover_url,
                     asset_ids=str(photo)).status_code == 303
    assert app.test_client().get(f"/material/{photo}").status_code == 200


def test_the_editing_api_and_batch_edits_cannot_touch_restrictions(
        app: Flask, archive: Archive) -> None:
    photo = archive.asset_ids[0]
    _own(app, archive)
    _set(app, photo, workflow_state=S.PUBLISHED, contains_minors=True)
    client = signed_in(app, "fotografa")
    headers = {"X-CSRF-Token": csrf(client)}
    patch = client.patch(f"/api/v1/assets/{photo}", headers=headers, json={
        "edit_version": _asset(app, photo).edit_version,
        "changes": {"contains_minors": False}})
    batch = client.post("/api/v1/batch-edits", headers=headers, json={
        "asset_ids": [photo], "operations": [
            {"field": "contains_minors", "op": "set", "value": False}]})
    assert (patch.status_code, batch.status_code) == (400, 400)
    assert _asset(app, photo).contains_minors


# --- The electoral blackout ---------------------------------------------------------------


def _blackout(app: Flask, starts: dt.datetime, ends: dt.datetime) -> int:
    with ctx_of(app).catalog.write() as session:
        return add_period(session, Actor(None, "admin", Role.ADMIN), starts, ends,
                          "Proceso electoral local").id


def _excepted(app: Flask, asset_ids: list[int]) -> None:
    with ctx_of(app).catalog.write() as session:
        collection = Collection(title="Jornada de salud", slug="jornada-de-salud",
                                blackout_exception=BlackoutException.HEALTH.value,
                                blackout_exception_reason="Vacunación")
        session.add(collection)
        session.flush()
        session.add_all(CollectionItem(collection_id=collection.id, asset_id=i) for i in asset_ids)


def test_nothing_is_published_during_a_blackout_but_excepted_material(
        app: Flask, archive: Archive) -> None:
    plain, health, other = archive.asset_ids
    for asset_id in archive.asset_ids:
        _set(app, asset_id, workflow_state=S.APPROVED)
    _excepted(app, [health])
    now = utcnow()
    _blackout(app, now - dt.timedelta(hours=1), now + dt.timedelta(days=1))
    editor = signed_in(app, "editora")
    # The page says so before anyone tries (not for the excepted one).
    assert "Por ahora no se puede publicar: hay una veda electoral vigente hasta" in editor.get(
        f"/material/{other}").text
    assert "veda electoral vigente" not in editor.get(f"/material/{health}").text
    single = post_form(editor, f"/material/{plain}/estado", state="published")
    assert single.status_code == 303
    page = editor.get(single.headers["Location"]).get_data(as_text=True)
    assert "hay una veda electoral vigente hasta" in page
    selection = editor.post("/seleccion/estado", data=MultiDict([
        ("csrf_token", csrf(editor)), ("state", "published"), ("asset_id", str(health)),
        ("asset_id", str(other))]))
    assert selection.status_code == 303
    assert [_asset(app, i).workflow_state for i in archive.asset_ids] == [
        S.APPROVED, S.PUBLISHED, S.APPROVED]


def test_the_public_does_not_see_what_was_published_during_a_blackout(
        app: Flask, archive: Archive) -> None:
    before, during, health = archive.asset_ids
    # "before" went out three days ago; the other two just now, through the page.
    _set(app, before, workflow_state=S.PUBLISHED)
    with ctx_of(app).catalog.write() as session:
        session.add(AuditEntry(at=utcnow() - dt.timedelta(days=3), username="editora",
                               action="state", asset_id=before, field="workflow_state",
                               old_value="aprobado", new_value="publicado"))
    _excepted(app, [health])
    editor = signed_in(app, "editora")
    for asset_id in (during, health):
        _set(app, asset_id, workflow_state=S.APPROVED)
        assert post_form(editor, f"/material/{asset_id}/estado",
                         state="published").status_code == 303
    # The blackout is entered now, starting an hour ago (as the law set it).
    now = utcnow()
    period = _blackout(app, now - dt.timedelta(hours=1), now + dt.timedelta(days=1))
    anonymous, press = app.test_client(), signed_in(app, "prensa")
    assert anonymous.get(f"/material/{during}").status_code == 404
    assert anonymous.get(f"/api/v1/assets/{during}").status_code == 404
    assert press.get(f"/material/{during}").status_code == 200  # staff still see it
    for shown in (before, health):
        assert anonymous.get(f"/material/{shown}").status_code == 200
    with ctx_of(app).catalog.write() as session:  # the blackout ends
        session.get(BlackoutPeriod, period).ends_at = utcnow() - dt.timedelta(seconds=1)
        record_fixture_writes(session)
    assert anonymous.get(f"/material/{during}").status_code == 200


# --- Another photographer's things are not found -------------------------------------------


def _objects(app: Flask, archive: Archive) -> tuple[FlaskClient, dict[str, int | str]]:
    """The owner ("fotografa") and her batch, batch edit, upload and consent form."""
    _own(app, archive)
    owner = signed_in(app, "fotografa")
    headers = {"X-CSRF-Token": csrf(owner)}
    edit = owner.post("/api/v1/batch-edits", headers=headers, json={
        "asset_ids": archive.asset_ids,
        "operations": [{"field": "keywords", "op": "add", "value": ["mercado"]}]})
    upload = owner.post("/api/v1/uploads", headers=headers, json={
        "batch_id": archive.batch_id, "filename": "b.jpg", "size": 10})
    consent = post_form(owner, "/consentimientos/nuevo", persons="Luis Peña",
                        document_asset_id=archive.asset_ids[0])
    assert (edit.status_code, upload.status_code, consent.status_code) == (201, 201, 303)
    return owner, {"batch": archive.batch_id, "edit": edit.json["id"],
                   "upload": upload.json["id"],
                   "consent": int(consent.headers["Location"].rsplit("/", 1)[1])}


FAMILIES: dict[str, list[tuple[str, str]]] = {  # kind: [(method, path with {})]
    "batch": [("GET", "/cargas/{}"), ("GET", "/api/v1/batches/{}"),
              ("GET", "/seleccion/lupa?source=batch:{}")],  # the loupe (culling) of a batch
    "edit": [("GET", "/ediciones/{}"), ("POST", "/ediciones/{}/deshacer"),
             ("POST", "/api/v1/batch-edits/{}/undo")],
    "upload": [("GET", "/api/v1/uploads/{}"), ("POST", "/api/v1/uploads/{}/complete")],
    "consent": [("GET", "/consentimientos/{}"), ("POST", "/consentimientos/{}/cubrir"),
                ("POST", "/consentimientos/{}/quitar"), ("POST", "/consentimientos/{}/revocar")],
}
MISSING = {"batch": 999_999, "edit": 999_999, "upload": "f" * 32, "consent": 999_999}


def _call(client: FlaskClient, method: str, path: str, asset_id: int):  # type: ignore[no-untyped-def]
    if path.startswith("/api/"):
        return client.open(path, method=method, headers={"X-CSRF-Token": csrf(client)})
    data = {"csrf_token": csrf(client), "asset_ids": str(asset_id)} if method == "POST" else None
    return client.open(path, method=method, data=data)


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_another_photographers_things_are_not_found(
        app: Flask, archive: Archive, kind: str) -> None:
    owner, objects = _objects(app, archive)
    create_user(ctx_of(app).catalog, "fotografo2", Role.PHOTOGRAPHER, password=PASSWORD)
    stranger = signed_in(app, "fotografo2")
    photo = archive.asset_ids[0]
    for method, path in FAMILIES[kind]:
        theirs = _call(stranger, method, path.format(objects[kind]), photo)
        missing = _call(stranger, method, path.format(MISSING[kind]), photo)
        # The same answer as for an id that does not exist: the id tells nothing.
        assert (path, theirs.status_code, missing.status_code) == (path, 404, 404)
        if method == "GET":
            assert _call(owner, method, path.format(objects[kind]), 0).status_code == 200
