"""Capture time correction of a batch: who may, what moves, and what the undo restores."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.time_shift import (
    TimeShiftError,
    apply_shift,
    delta_to,
    plan_shift,
    undo_shift,
)
from dam.errors import NotFoundError
from dam.models import Asset, Batch
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors

TAKEN = dt.datetime(2025, 3, 14, 11, 30)


def _batch(ctx: Context, owner: int, times: list[dt.datetime | None]) -> tuple[int, list[int]]:
    with ctx.catalog.write() as session:
        batch = Batch(event="Jornada", user_id=owner)
        session.add(batch)
        session.flush()
        first = (session.scalar(select(func.max(Asset.id))) or 0) + 1
        session.execute(insert(Asset), [
            {"sha256": f"{first + i:064x}", "byte_size": 1, "original_filename": f"f{i}.jpg",
             "original_key": f"originals/{first + i}", "batch_id": batch.id, "taken_at": t,
             "keywords": [], "persons_shown": [], "edited_fields": []}
            for i, t in enumerate(times)])
        record_fixture_writes(session)
        ids = list(session.scalars(select(Asset.id).where(Asset.batch_id == batch.id)
                                   .order_by(Asset.id)))
        return batch.id, ids


def _times(ctx: Context, ids: list[int]) -> list[dt.datetime | None]:
    with ctx.catalog.read() as session:
        return [session.get(Asset, i).taken_at for i in ids]


@pytest.fixture
def actors(any_ctx: Context) -> dict[str, Actor]:
    return make_actors(any_ctx)


def test_a_shift_moves_dated_assets_and_its_undo_spares_later_changes(
        any_ctx: Context, actors: dict[str, Actor]) -> None:
    owner = actors["foto1"]
    batch_id, ids = _batch(any_ctx, owner.user_id, [TAKEN, TAKEN + dt.timedelta(minutes=5), None])
    with any_ctx.catalog.read() as session:
        delta = delta_to(session, batch_id, ids[0], dt.datetime(2025, 3, 14, 17, 30))
        plan = plan_shift(session, owner, batch_id, delta)
    assert delta == dt.timedelta(hours=6) and len(plan.items) == 2 and plan.undated == 1
    with any_ctx.catalog.write() as session:
        shift_id = apply_shift(session, owner, batch_id, delta)
    assert _times(any_ctx, ids) == [TAKEN + delta, TAKEN + dt.timedelta(minutes=365), None]
    with any_ctx.catalog.write() as session:  # someone fixes one photo by hand afterwards
        session.get(Asset, ids[1]).taken_at = dt.datetime(2025, 3, 15, 9, 0)
        record_fixture_writes(session)
    with any_ctx.catalog.write() as session:
        report = undo_shift(session, actors["editora"], shift_id)
    assert (report.restored, report.skipped) == (1, [ids[1]])
    assert _times(any_ctx, ids) == [TAKEN, dt.datetime(2025, 3, 15, 9, 0), None]
    with any_ctx.catalog.write() as session, pytest.raises(TimeShiftError):
        undo_shift(session, owner, shift_id)


def test_only_who_may_edit_the_batch_shifts_it(any_ctx: Context,
                                                actors: dict[str, Actor]) -> None:
    batch_id, ids = _batch(any_ctx, actors["foto1"].user_id, [TAKEN])
    for name in ("foto2", "prensa"):
        with any_ctx.catalog.write() as session, pytest.raises(NotFoundError):
            apply_shift(session, actors[name], batch_id, dt.timedelta(hours=1))
    with any_ctx.catalog.write() as session, pytest.raises(TimeShiftError):
        apply_shift(session, actors["foto1"], batch_id, dt.timedelta(days=4000))
    assert _times(any_ctx, ids) == [TAKEN]
