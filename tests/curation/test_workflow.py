"""Workflow states: the transition table by role, ownership, blockers on approval, the audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.audit import asset_history
from dam.curation.rights import StaleEditError
from dam.curation.workflow import TRANSITIONS, change_state, next_states
from dam.enums import Role
from dam.enums import WorkflowState as S
from dam.models import Asset, Batch
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors

NOW = dt.datetime(2025, 3, 14, 18, 0, tzinfo=dt.UTC)


def make_users(ctx: Context) -> dict[str, Actor]:
    return make_actors(ctx)


def make_assets(ctx: Context, count: int, owner: Actor | None = None, **values: object
                ) -> list[int]:
    with ctx.catalog.write() as session:
        batch = Batch(event="Jornada", user_id=owner.user_id if owner else None)
        session.add(batch)
        session.flush()
        start = session.scalar(select(Asset.id).order_by(Asset.id.desc()).limit(1)) or 0
        assets = [Asset(sha256=f"{start + i + 1:064x}", byte_size=1, original_filename="f.jpg",
                        original_key=f"originals/{start + i}", batch_id=batch.id, **values)
                  for i in range(count)]
        session.add_all(assets)
        session.flush()
        record_fixture_writes(session)
        return [a.id for a in assets]


def state_of(ctx: Context, asset_id: int) -> S:
    with ctx.catalog.read() as session:
        return session.get(Asset, asset_id).workflow_state


def move(ctx: Context, actor: Actor, ids: list[int], target: S, **kw: object):  # type: ignore[no-untyped-def]
    with ctx.catalog.write() as session:
        return change_state(session, actor, ids, target, NOW, **kw)


@pytest.fixture
def users(any_ctx: Context) -> dict[str, Actor]:
    return make_users(any_ctx)


@pytest.mark.parametrize(("frm", "to"), sorted(TRANSITIONS, key=str))
def test_each_step_needs_its_role(any_ctx: Context, users: dict[str, Actor], frm: S, to: S
                                  ) -> None:
    least = TRANSITIONS[(frm, to)]
    for name, actor in users.items():
        [asset_id] = make_assets(any_ctx, 1, owner=users["foto1"], workflow_state=frm)
        result = move(any_ctx, actor, [asset_id], to)
        may = actor.at_least(least) and (actor.at_least(Role.EDITOR) or name == "foto1")
        assert (result.changed == [asset_id]) is may, (name, frm, to)
        assert state_of(any_ctx, asset_id) == (to if may else frm)


def test_photographers_move_only_their_own_assets(any_ctx: Context, users: dict[str, Actor]
                                                  ) -> None:
    mine = make_assets(any_ctx, 2, owner=users["foto1"])
    theirs = make_assets(any_ctx, 1, owner=users["foto2"])
    result = move(any_ctx, users["foto1"], mine + theirs, S.REVIEWED)
    assert result.changed == mine
    assert [(r.asset_id, r.reason) for r in result.refused] == [(theirs[0], "not_owner")]
    assert state_of(any_ctx, theirs[0]) == S.DRAFT


def test_skipping_steps_is_refused(any_ctx: Context, users: dict[str, Actor]) -> None:
    [asset_id] = make_assets(any_ctx, 1)
    result = move(any_ctx, users["editora"], [asset_id], S.PUBLISHED)
    assert [r.reason for r in result.refused] == ["invalid_step"]
    assert state_of(any_ctx, asset_id) == S.DRAFT


def test_blockers_stop_approval_with_reasons(any_ctx: Context, users: dict[str, Actor]) -> None:
    clear = make_assets(any_ctx, 1, workflow_state=S.REVIEWED)
    minors = make_assets(any_ctx, 1, workflow_state=S.REVIEWED, contains_minors=True)
    embargoed = make_assets(any_ctx, 1, workflow_state=S.REVIEWED,
                            embargo_until=NOW + dt.timedelta(days=1))
    internal = make_assets(any_ctx, 1, workflow_state=S.APPROVED, internal_only=True)
    sensitive = make_assets(any_ctx, 1, workflow_state=S.REVIEWED, sensitive=True)
    result = move(any_ctx, users["editora"], clear + minors + embargoed + sensitive, S.APPROVED)
    assert result.changed == clear + sensitive  # sensitive is a warning, not a blocker
    reasons = {r.asset_id: [b.code for b in r.blockers] for r in result.refused}
    assert reasons == {minors[0]: ["minors_without_consent"], embargoed[0]: ["embargoed"]}
    result = move(any_ctx, users["admin"], internal, S.PUBLISHED)
    assert [b.code for b in result.refused[0].blockers] == ["internal_only"]
    # Withdrawing is never blocked.
    assert move(any_ctx, users["editora"], minors, S.WITHDRAWN).changed == minors


def test_moves_are_audited_and_bump_the_version(any_ctx: Context, users: dict[str, Actor]
                                                ) -> None:
    [asset_id] = make_assets(any_ctx, 1, owner=users["foto1"])
    move(any_ctx, users["foto1"], [asset_id], S.REVIEWED)
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).edit_version == 2
        [entry] = asset_history(session, asset_id)
        assert (entry.action, entry.username, entry.field) == ("state", "foto1", "workflow_state")
        assert (entry.old_value, entry.new_value) == ("draft", "reviewed")


def test_an_outdated_page_cannot_move_the_asset(any_ctx: Context, users: dict[str, Actor]) -> None:
    [asset_id] = make_assets(any_ctx, 1)
    move(any_ctx, users["editora"], [asset_id], S.REVIEWED, expected_version=1)
    with pytest.raises(StaleEditError):
        move(any_ctx, users["editora"], [asset_id], S.APPROVED, expected_version=1)
    assert state_of(any_ctx, asset_id) == S.REVIEWED


def test_a_large_selection_moves_in_one_call(any_ctx: Context, users: dict[str, Actor]) -> None:
    ids = make_assets(any_ctx, 1200, workflow_state=S.REVIEWED)
    result = move(any_ctx, users["editora"], [*ids, 999_999], S.APPROVED)
    assert len(result.changed) == 1200
    assert [r.reason for r in result.refused] == ["not_found"]


def test_next_states_offer_only_allowed_steps(any_ctx: Context, users: dict[str, Actor]) -> None:
    [asset_id] = make_assets(any_ctx, 1, owner=users["foto1"])
    with any_ctx.catalog.read() as session:
        asset = session.scalars(select(Asset).where(Asset.id == asset_id)).one()
        _ = asset.batch
        assert next_states(users["foto1"], asset) == [S.REVIEWED]
        assert next_states(users["foto2"], asset) == []
        assert next_states(users["prensa"], asset) == []
        assert set(next_states(users["editora"], asset)) == {S.REVIEWED, S.WITHDRAWN}
