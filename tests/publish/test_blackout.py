"""Electoral blackouts: periods, the refusal, exceptions (admins, with a reason), the gallery."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation import collections as coll
from dam.curation.actor import Actor
from dam.curation.rights import as_utc
from dam.enums import BlackoutException
from dam.errors import NotFoundError
from dam.models import AuditEntry, BlackoutPeriod, Collection
from dam.publishing import blackout
from dam.publishing.blackout import (
    BlackoutError,
    BlackoutPermissionError,
    BlackoutRefusalError,
    active_blackout,
    add_period,
    blackout_refusal,
    list_periods,
    remove_period,
    set_exception,
)
from dam.publishing.gallery_collections import (
    GalleryPermissionError,
    gallery_collections,
    set_in_gallery,
)
from tests.curation.conftest import make_actors

UTC = dt.UTC
MX = ZoneInfo("America/Mexico_City")
START = dt.datetime(2027, 4, 1, 6, 0, tzinfo=UTC)  # 00:00 in Mexico City
END = dt.datetime(2027, 6, 7, 6, 0, tzinfo=UTC)
DURING = dt.datetime(2027, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def actors(ctx: Context) -> dict[str, Actor]:
    return make_actors(ctx)


def _period(ctx: Context, admin: Actor, start: dt.datetime = START, end: dt.datetime = END,
            reason: str = "Proceso electoral local 2027", notice: str | None = None) -> int:
    with ctx.catalog.write() as session:
        return add_period(session, admin, start, end, reason, notice).id


def _album(ctx: Context, actor: Actor, title: str = "Jornada de salud") -> int:
    with ctx.catalog.write() as session:
        return coll.create_album(session, actor, title).id


def _audit(ctx: Context, action: str) -> list[AuditEntry]:
    with ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).all()
        session.expunge_all()
        return list(entries)


def test_a_period_is_stored_in_utc_and_audited(ctx: Context, actors: dict[str, Actor]) -> None:
    local_start = dt.datetime(2027, 4, 1, 0, 0, tzinfo=MX)
    period_id = _period(ctx, actors["admin"], start=local_start, notice="Veda: volvemos pronto")
    with ctx.catalog.read() as session:
        period = session.get(BlackoutPeriod, period_id)
        assert period is not None
        assert as_utc(period.starts_at) == START
        assert period.notice == "Veda: volvemos pronto"
        assert period.created_by == actors["admin"].user_id
    (entry,) = _audit(ctx, "blackout")
    assert entry.field == "period" and entry.old_value is None
    assert entry.new_value["reason"] == "Proceso electoral local 2027"
    assert entry.new_value["starts_at"].startswith("2027-04-01T06:00:00")
    assert entry.username == "admin"


@pytest.mark.parametrize(("start", "end", "reason", "message"), [
    (END, START, "x", "end after it starts"),
    (START, START, "x", "end after it starts"),
    (START, END, "   ", "reason is required"),
    (START, END, "x" * 501, "too long"),
    (START.replace(tzinfo=None), END, "x", "time zone"),
])
def test_invalid_periods_are_refused(ctx: Context, actors: dict[str, Actor], start: dt.datetime,
                                     end: dt.datetime, reason: str, message: str) -> None:
    with pytest.raises(BlackoutError, match=message), ctx.catalog.write() as session:
        add_period(session, actors["admin"], start, end, reason)
    with ctx.catalog.read() as session:
        assert list_periods(session) == []


@pytest.mark.parametrize("who", ["editora", "foto1", "prensa"])
def test_only_admins_set_periods(ctx: Context, actors: dict[str, Actor], who: str) -> None:
    with pytest.raises(BlackoutPermissionError), ctx.catalog.write() as session:
        add_period(session, actors[who], START, END, "x")
    period_id = _period(ctx, actors["admin"])
    with pytest.raises(BlackoutPermissionError), ctx.catalog.write() as session:
        remove_period(session, actors[who], period_id)


def test_the_active_period_and_the_refusal(ctx: Context, actors: dict[str, Actor]) -> None:
    _period(ctx, actors["admin"])
    with ctx.catalog.read() as session:
        assert blackout_refusal(session, START - dt.timedelta(seconds=1)) is None
        assert active_blackout(session, START) is not None
        assert blackout_refusal(session, END) is None  # the end is exclusive
        message = blackout_refusal(session, DURING)
    assert message is not None
    assert "2027-06-07 00:00" in message  # the end, in Mexico City time
    assert "Proceso electoral local 2027" in message
    assert "civil-protection and health" in message


def test_removing_a_period_ends_the_refusal_and_is_audited(ctx: Context,
                                                            actors: dict[str, Actor]) -> None:
    period_id = _period(ctx, actors["admin"])
    with ctx.catalog.write() as session:
        remove_period(session, actors["admin"], period_id)
    with ctx.catalog.read() as session:
        assert blackout_refusal(session, DURING) is None
        assert list_periods(session) == []
    removed = _audit(ctx, "blackout")[-1]
    assert removed.new_value is None and removed.old_value["id"] == period_id
    with pytest.raises(NotFoundError), ctx.catalog.write() as session:
        remove_period(session, actors["admin"], period_id)


def test_periods_are_listed_latest_first(ctx: Context, actors: dict[str, Actor]) -> None:
    first = _period(ctx, actors["admin"], reason="Primera")
    later = _period(ctx, actors["admin"], start=END, end=END + dt.timedelta(days=3),
                    reason="Segunda")
    with ctx.catalog.read() as session:
        assert [p.id for p in list_periods(session)] == [later, first]


def test_exceptions_are_for_admins_and_need_a_reason(ctx: Context,
                                                     actors: dict[str, Actor]) -> None:
    album = _album(ctx, actors["editora"])
    with pytest.raises(BlackoutPermissionError), ctx.catalog.write() as session:
        set_exception(session, actors["editora"], album, BlackoutException.HEALTH, "Vacunación")
    with pytest.raises(BlackoutError, match="reason"), ctx.catalog.write() as session:
        set_exception(session, actors["admin"], album, BlackoutException.HEALTH, "  ")
    with ctx.catalog.write() as session:
        set_exception(session, actors["admin"], album, BlackoutException.HEALTH,
                      "Campaña de vacunación: información de salud")
    with ctx.catalog.read() as session:
        collection = session.get(Collection, album)
        assert collection is not None and blackout.is_excepted(collection)
        assert collection.blackout_exception == "salud"
    with ctx.catalog.write() as session:
        set_exception(session, actors["admin"], album, None, "La campaña terminó")
    with ctx.catalog.read() as session:
        collection = session.get(Collection, album)
        assert collection is not None and not blackout.is_excepted(collection)
        assert collection.blackout_exception_reason is None
    set_entry, cleared = _audit(ctx, "blackout_exception")
    assert set_entry.old_value is None and set_entry.collection_id == album
    assert set_entry.new_value == {"kind": "salud",
                                   "reason": "Campaña de vacunación: información de salud"}
    assert cleared.old_value["kind"] == "salud" and cleared.new_value is None
    assert cleared.detail == "La campaña terminó"
    with pytest.raises(NotFoundError), ctx.catalog.write() as session:
        set_exception(session, actors["admin"], 99999, None, None)


def test_gallery_membership_is_for_editors_and_audited(ctx: Context,
                                                       actors: dict[str, Actor]) -> None:
    album = _album(ctx, actors["editora"])
    with pytest.raises(GalleryPermissionError), ctx.catalog.write() as session:
        set_in_gallery(session, actors["foto1"], album, True)
    moment = dt.datetime(2027, 3, 1, 18, 0, tzinfo=UTC)
    with ctx.catalog.write() as session:
        assert set_in_gallery(session, actors["editora"], album, True, moment)
        assert not set_in_gallery(session, actors["editora"], album, True, moment)  # no change
    with ctx.catalog.read() as session:
        (collection,) = gallery_collections(session)
        assert collection.id == album
        assert as_utc(collection.published_at) == moment
        assert collection.published_by == actors["editora"].user_id
    with ctx.catalog.write() as session:
        assert set_in_gallery(session, actors["editora"], album, False)
    with ctx.catalog.read() as session:
        assert gallery_collections(session) == []
        collection = session.get(Collection, album)
        assert collection is not None and collection.published_by is None
    added, removed = _audit(ctx, "gallery")
    assert added.old_value is None and added.new_value.startswith("2027-03-01T18:00")
    assert removed.old_value.startswith("2027-03-01T18:00") and removed.new_value is None


def test_during_a_blackout_only_excepted_collections_go_in(ctx: Context,
                                                           actors: dict[str, Actor]) -> None:
    _period(ctx, actors["admin"])
    ordinary = _album(ctx, actors["editora"], "Inauguración de un parque")
    health = _album(ctx, actors["editora"], "Jornada de vacunación")
    with ctx.catalog.write() as session:
        set_exception(session, actors["admin"], health, BlackoutException.HEALTH, "Salud")
    with pytest.raises(BlackoutRefusalError, match="Proceso electoral"), \
            ctx.catalog.write() as session:
        set_in_gallery(session, actors["editora"], ordinary, True, DURING)
    with ctx.catalog.write() as session:
        assert set_in_gallery(session, actors["editora"], health, True, DURING)
        assert set_in_gallery(session, actors["editora"], ordinary, True, END)  # after it
    with ctx.catalog.write() as session:  # taking one out is always allowed
        assert set_in_gallery(session, actors["editora"], ordinary, False, DURING)
    with ctx.catalog.read() as session:
        assert [c.id for c in gallery_collections(session)] == [health]
