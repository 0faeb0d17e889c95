"""Restrictions only tighten without an editor; the electoral blackout stops publishing.

Service level: every page and API path goes through these functions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation import consent
from dam.curation.actor import Actor
from dam.curation.audit import asset_history
from dam.curation.batch_edits import batch_edit, undo_batch_edit
from dam.curation.consent import ConsentDraft, ConsentError
from dam.curation.rights import public_clause, set_rights
from dam.curation.workflow import change_state
from dam.enums import BlackoutException, Role
from dam.enums import WorkflowState as S
from dam.errors import NotFoundError
from dam.models import Asset, AuditEntry, BlackoutPeriod, Collection, CollectionItem
from dam.publishing.blackout import add_period
from tests.changefeed_check import record_fixture_writes
from tests.curation.test_workflow import make_assets, make_users

NOW = dt.datetime(2025, 3, 14, 18, 0, tzinfo=dt.UTC)
LICENCES = ("CC-BY-4.0",)
LATER = NOW + dt.timedelta(days=10)
SOONER = NOW + dt.timedelta(days=2)


@pytest.fixture
def users(any_ctx: Context) -> dict[str, Actor]:
    return make_users(any_ctx)


def _rights(ctx: Context, actor: Actor, ids: list[int], **changes: object):  # type: ignore[no-untyped-def]
    with ctx.catalog.write() as session:
        return set_rights(session, actor, ids, changes, licences=LICENCES, now=NOW)


def _value(ctx: Context, asset_id: int, name: str) -> object:
    with ctx.catalog.read() as session:
        value = getattr(session.get(Asset, asset_id), name)
    return value.replace(tzinfo=dt.UTC) if isinstance(value, dt.datetime) and (
        value.tzinfo is None) else value


def _public(ctx: Context, now: dt.datetime = NOW) -> set[int]:
    with ctx.catalog.read() as session:
        return set(session.scalars(select(Asset.id).where(public_clause(now))))


@pytest.mark.parametrize(("start", "lift"), [
    ({"contains_minors": True}, {"contains_minors": False}),
    ({"sensitive": True}, {"sensitive": False}),
    ({"internal_only": True}, {"internal_only": False}),
    ({"embargo_until": LATER}, {"embargo_until": None}),
    ({"embargo_until": LATER}, {"embargo_until": SOONER}),
])
def test_a_photographer_adds_restrictions_but_lifts_none(
        any_ctx: Context, users: dict[str, Actor], start: dict, lift: dict) -> None:
    photographer = users["foto1"]
    [draft, published] = make_assets(any_ctx, 2, owner=photographer)
    with any_ctx.catalog.write() as session:
        session.get(Asset, published).workflow_state = S.PUBLISHED
        record_fixture_writes(session)
    (name, added), = start.items()
    # Adding is the photographer's to do, on any of their assets and in a selection at once.
    assert _rights(any_ctx, photographer, [draft, published], **start).changed == [
        draft, published]
    # Lifting is refused whatever the state, and nothing is changed.
    refused = _rights(any_ctx, photographer, [draft, published], **lift)
    assert [(r.asset_id, r.reason) for r in refused.refused] == [
        (draft, "needs_editor"), (published, "needs_editor")]
    assert _value(any_ctx, published, name) == added
    assert (published in _public(any_ctx)) == (name == "sensitive")  # a warning, not a block
    # An editor lifts it, and the log says so.
    assert _rights(any_ctx, users["editora"], [published], **lift).changed == [published]
    with any_ctx.catalog.read() as session:
        entry = asset_history(session, published)[0]
        assert (entry.username, entry.field, entry.detail) == (
            "editora", name, "restriction lifted")


def test_a_longer_embargo_is_a_tightening_and_an_ended_one_lifts_nothing(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    photographer = users["foto1"]
    [photo] = make_assets(any_ctx, 1, owner=photographer, embargo_until=SOONER)
    assert _rights(any_ctx, photographer, [photo], embargo_until=LATER).changed == [photo]
    [ended] = make_assets(any_ctx, 1, owner=photographer,
                          embargo_until=NOW - dt.timedelta(hours=1))
    assert _rights(any_ctx, photographer, [ended], embargo_until=None).changed == [ended]
    # A licence stays the editors' (not a restriction), as before.
    assert [r.reason for r in _rights(any_ctx, photographer, [photo],
                                      licence="CC-BY-4.0").refused] == ["not_allowed"]


def _form(ctx: Context, actor: Actor, document: int, **kw: object) -> int:
    draft = ConsentDraft(document_asset_id=document, persons=["Luis Peña"], **kw)  # type: ignore[arg-type]
    with ctx.catalog.write() as session:
        return consent.create_consent(session, actor, draft).id


def _cover(ctx: Context, actor: Actor, form_id: int, ids: list[int]) -> list[int]:
    with ctx.catalog.write() as session:
        return consent.cover_assets(session, actor, form_id, ids, NOW)


@pytest.mark.parametrize("state", [S.APPROVED, S.PUBLISHED])
def test_a_photographer_cannot_clear_minors_on_cleared_material(
        any_ctx: Context, users: dict[str, Actor], state: S) -> None:
    photographer = users["foto1"]
    [doc] = make_assets(any_ctx, 1, owner=photographer)
    [shown, draft] = make_assets(any_ctx, 2, owner=photographer, contains_minors=True,
                                 persons_shown=["Luis Peña"])
    with any_ctx.catalog.write() as session:
        session.get(Asset, shown).workflow_state = state
        record_fixture_writes(session)
    minor = _form(any_ctx, photographer, doc, covers_minor=True, guardian="Rosa Peña")
    with pytest.raises(ConsentError) as refused:
        _cover(any_ctx, photographer, minor, [shown])
    assert (refused.value.code, refused.value.asset_ids) == ("needs_editor", [shown])
    with pytest.raises(ConsentError, match="editor"), any_ctx.catalog.write() as session:
        consent.cover_person(session, photographer, minor, "luis pena", NOW)
    assert shown not in _public(any_ctx)
    assert _cover(any_ctx, photographer, minor, [draft]) == [draft]  # a draft is fine
    assert _cover(any_ctx, users["editora"], minor, [shown]) == [shown]  # an editor decides
    with any_ctx.catalog.read() as session:
        assert asset_history(session, shown)[0].username == "editora"


def test_a_photographer_cannot_replace_a_revoked_consent_on_published_material(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    photographer, editor = users["foto1"], users["editora"]
    [doc] = make_assets(any_ctx, 1, owner=photographer)
    [photo, clean] = make_assets(any_ctx, 2, owner=photographer, workflow_state=S.PUBLISHED)
    first = _form(any_ctx, editor, doc)
    _cover(any_ctx, editor, first, [photo])
    with any_ctx.catalog.write() as session:
        consent.revoke(session, editor, first, NOW - dt.timedelta(days=1))
    assert photo not in _public(any_ctx)
    adult = _form(any_ctx, photographer, doc)
    with pytest.raises(ConsentError) as refused:
        _cover(any_ctx, photographer, adult, [photo])
    assert refused.value.code == "needs_editor" and photo not in _public(any_ctx)
    # A form that clears nothing may still be linked to published material.
    assert _cover(any_ctx, photographer, adult, [clean]) == [clean]


def _blackout(ctx: Context, starts: dt.datetime, ends: dt.datetime) -> int:
    with ctx.catalog.write() as session:
        return add_period(session, Actor(None, "admin", Role.ADMIN), starts, ends,
                          "Proceso electoral local").id


def _excepted_collection(ctx: Context, asset_ids: list[int]) -> None:
    with ctx.catalog.write() as session:
        collection = Collection(title="Vacunación", slug="vacunacion",
                                blackout_exception=BlackoutException.HEALTH.value,
                                blackout_exception_reason="Campaña de salud")
        session.add(collection)
        session.flush()
        session.add_all(CollectionItem(collection_id=collection.id, asset_id=i) for i in asset_ids)


def test_nothing_moves_to_published_during_a_blackout_except_excepted(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    editor = users["editora"]
    [plain, health] = make_assets(any_ctx, 2, workflow_state=S.APPROVED)
    [reviewed] = make_assets(any_ctx, 1, workflow_state=S.REVIEWED)
    _excepted_collection(any_ctx, [health])
    _blackout(any_ctx, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1))
    with any_ctx.catalog.write() as session:
        result = change_state(session, editor, [plain, health], S.PUBLISHED, NOW)
        approved = change_state(session, editor, [reviewed], S.APPROVED, NOW)
    assert result.changed == [health] and approved.changed == [reviewed]
    [refusal] = result.refused
    assert (refusal.asset_id, refusal.reason) == (plain, "blocked")
    assert [b.code for b in refusal.blockers] == ["blackout"]
    assert refusal.blockers[0].until == NOW + dt.timedelta(days=1)
    with any_ctx.catalog.write() as session:  # once it is over
        after = change_state(session, editor, [plain], S.PUBLISHED, NOW + dt.timedelta(days=2))
    assert after.changed == [plain]


def _published_at(ctx: Context, asset_id: int, at: dt.datetime) -> None:
    """The asset moved to published at ``at`` (as the workflow service records it)."""
    with ctx.catalog.write() as session:
        session.get(Asset, asset_id).workflow_state = S.PUBLISHED
        session.add(AuditEntry(at=at, username="editora", action="state", asset_id=asset_id,
                               field="workflow_state", old_value="aprobado",
                               new_value="publicado"))
        record_fixture_writes(session)


def test_the_public_does_not_see_what_was_published_during_a_blackout(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    [before, during, health, unlogged] = make_assets(any_ctx, 4)
    with any_ctx.catalog.write() as session:
        session.get(Asset, unlogged).workflow_state = S.PUBLISHED  # e.g. imported published
        record_fixture_writes(session)
    _published_at(any_ctx, before, NOW - dt.timedelta(days=3))
    for asset_id in (during, health):
        _published_at(any_ctx, asset_id, NOW - dt.timedelta(hours=2))
    _excepted_collection(any_ctx, [health])
    assert _public(any_ctx) == {before, during, health, unlogged}  # no blackout yet
    period = _blackout(any_ctx, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1))
    assert _public(any_ctx) == {before, health, unlogged}
    assert _public(any_ctx, NOW + dt.timedelta(days=1)) == {before, during, health, unlogged}
    with any_ctx.catalog.write() as session:
        session.delete(session.get(BlackoutPeriod, period))
        record_fixture_writes(session)
    assert during in _public(any_ctx)


def test_another_photographers_batch_edit_is_not_found(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    ids = make_assets(any_ctx, 2, owner=users["foto1"])
    with any_ctx.catalog.write() as session:
        edit_id = batch_edit(session, users["foto1"], ids, [
            {"field": "keywords", "op": "add", "value": ["mercado"]}]).id
    for missing in (edit_id, 999_999):
        with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
            undo_batch_edit(session, users["foto2"], missing)
    with any_ctx.catalog.write() as session:
        assert undo_batch_edit(session, users["foto1"], edit_id).restored == 2
