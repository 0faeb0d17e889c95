"""Issue 6's "done when": an editor takes a 300-photo event from upload to an approved, captioned,
cleared selection through the web app, and the history of every step is recorded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.enums import CullMark, WorkflowState
from dam.models import Asset, AuditEntry, Collection, CollectionItem
from tests.web.conftest import add_photos, csrf, ctx_of, login, use_english

EVENT = BatchInfo(event="Jornada de salud", area="Dirección General de Desarrollo Social",
                  place="Desarrollo Urbano Quetzalcóatl", photographer="Luis Ángel Ortiz")
PICKS = 40
MINORS = 3


@pytest.fixture
def event(app: Flask, tmp_path: Path) -> list[int]:
    use_english(app)
    archive = add_photos(app, tmp_path / "tarjeta", count=300, info=EVENT, gps=None)
    assert len(archive.asset_ids) == 300
    return archive.asset_ids


def _assets(app: Flask, ids: list[int]) -> list[Asset]:
    with ctx_of(app).catalog.read() as session:
        found = list(session.scalars(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id)))
        session.expunge_all()  # detached with their values loaded (the read ends in a rollback)
        return found


def test_an_event_goes_from_upload_to_an_approved_cleared_selection(app: Flask,
                                                                   event: list[int]) -> None:
    client = app.test_client()
    login(client, "editora")
    token = csrf(client)

    # Cull: pick 40 with stars in the loupe's API, reject the first ten.
    picks, rejects = event[100:100 + PICKS], event[:10]
    for asset_id in picks:
        saved = client.post(f"/api/v1/assets/{asset_id}/marks", json={"rating": 4,
                            "cull_mark": 1}, headers={"X-CSRF-Token": token})
        assert saved.status_code == 200, saved.get_data(as_text=True)
    for asset_id in rejects:
        client.post(f"/api/v1/assets/{asset_id}/marks", json={"cull_mark": -1},
                    headers={"X-CSRF-Token": token})
    loupe = client.get(f"/seleccion/lupa?ids={','.join(map(str, event))}&picks=picked")
    assert loupe.status_code == 200

    # Caption and keywords for the whole event at once, from a template.
    applied = client.post("/seleccion/editar", data={
        "csrf_token": token, "asset_id": [str(i) for i in event],
        "op_keywords": "add", "value_keywords": "salud, vacunación",
        "op_caption": "template", "value_caption": "{evento} en {lugar}. {fotografo}.",
    })
    assert applied.status_code in (302, 303), applied.get_data(as_text=True)[:500]

    # Three of the picks show children: they are marked, and approval holds them back.
    minors = picks[:MINORS]
    for asset_id in minors:
        marked = client.post(f"/material/{asset_id}/derechos", data={
            "csrf_token": token, "fields": "contains_minors", "contains_minors": "on"})
        assert marked.status_code in (302, 303)
    for state in ("reviewed", "approved"):
        moved = client.post("/seleccion/estado", data={
            "csrf_token": token, "state": state, "asset_id": [str(i) for i in picks]},
            follow_redirects=True)
        assert moved.status_code == 200
    page = client.get(f"/material/{minors[0]}").get_data(as_text=True)
    assert "no valid consent" in page

    # The guardian's signed form (scanned: it is itself an asset) clears them.
    consent = client.post("/consentimientos/nuevo", data={
        "csrf_token": token, "document_asset_id": str(rejects[0]), "persons": "Menor A",
        "covers_minor": "on", "guardian": "Tutora A", "signed_on": "2026-11-01",
        "expires_on": "2027-11-01", "asset_ids": [str(i) for i in minors]})
    assert consent.status_code in (302, 303), consent.get_data(as_text=True)[:500]
    client.post("/seleccion/estado", data={"csrf_token": token, "state": "approved",
                                           "asset_id": [str(i) for i in minors]})

    # The selection becomes an album.
    album = client.post("/colecciones/agregar", data={
        "csrf_token": token, "new_title": "Jornada de salud: selección",
        "asset_id": [str(i) for i in picks]})
    assert album.status_code in (302, 303)

    assets = {a.id: a for a in _assets(app, event)}
    assert all(assets[i].workflow_state == WorkflowState.APPROVED for i in picks)
    assert all(assets[i].workflow_state == WorkflowState.DRAFT for i in event if i not in picks)
    assert all(assets[i].cull_mark == CullMark.PICKED and assets[i].rating == 4 for i in picks)
    assert all(assets[i].cull_mark == CullMark.REJECTED for i in rejects)
    for asset in assets.values():
        assert asset.caption == ("Jornada de salud en Desarrollo Urbano Quetzalcóatl. "
                                 "Luis Ángel Ortiz.")
        assert {"salud", "vacunación"} <= set(asset.keywords)
    with ctx_of(app).catalog.read() as session:
        collection = session.scalars(select(Collection)).one()
        members = session.scalars(select(CollectionItem.asset_id)
                                  .where(CollectionItem.collection_id == collection.id)
                                  .order_by(CollectionItem.position)).all()
        actions = Counter(session.scalars(select(AuditEntry.action)))
        minor_history = session.execute(select(
            AuditEntry.action, AuditEntry.field, AuditEntry.new_value, AuditEntry.username
        ).where(AuditEntry.asset_id == minors[0]).order_by(AuditEntry.id)).all()
    assert list(members) == picks
    assert actions["state"] == 2 * PICKS  # draft->reviewed, ->approved (the minors once cleared)
    assert actions["collection_add"] == PICKS and actions["rights"] == MINORS
    assert actions["edit"] >= 2 * 300 and actions["cull"] >= PICKS + 10
    steps = [(action, field, new) for action, field, new, _user in minor_history]
    assert ("state", "workflow_state", "approved") in steps
    assert steps.index(("rights", "contains_minors", True)) < len(steps) - 1
    assert {user for *_rest, user in minor_history} == {"editora"}
    history = client.get(f"/material/{minors[0]}?panel=historial").get_data(as_text=True)
    assert "History" in history and "editora" in history
