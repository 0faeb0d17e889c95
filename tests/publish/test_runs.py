"""Publication requests: one queued run and its job, refused in a blackout, the notice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dam.context import Context
from dam.curation.actor import Actor
from dam.enums import JobKind, JobState, PublishStatus
from dam.errors import NotFoundError
from dam.models import AuditEntry, Job, PublishRun
from dam.publishing.blackout import add_period
from dam.publishing.runs import (
    NoBlackoutError,
    PublicationRunningError,
    PublishPermissionError,
    get_run,
    pending_run,
    recent_runs,
    renew_lease,
    request_publication,
)
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors

START = dt.datetime(2027, 4, 1, 6, 0, tzinfo=dt.UTC)
END = dt.datetime(2027, 6, 7, 6, 0, tzinfo=dt.UTC)
DURING = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def actors(ctx: Context) -> dict[str, Actor]:
    return make_actors(ctx)


def _request(ctx: Context, actor: Actor, *, notice: bool = False,
             now: dt.datetime | None = None) -> tuple[int, str, str | None, dict]:  # type: ignore[type-arg]
    with ctx.catalog.write() as session:
        run = request_publication(session, actor, ctx.settings, notice=notice, now=now)
        return run.id, run.status, run.error, dict(run.stats)


def _jobs(ctx: Context) -> list[tuple[JobKind, JobState, int]]:
    with ctx.catalog.read() as session:
        return [(j.kind, j.state, j.priority) for j in session.scalars(select(Job))]


def _blackout(ctx: Context, admin: Actor) -> None:
    with ctx.catalog.write() as session:
        add_period(session, admin, START, END, "Proceso electoral local 2027")


def test_a_request_queues_a_run_and_its_job(ctx: Context, actors: dict[str, Actor]) -> None:
    run_id, status, error, stats = _request(ctx, actors["editora"])
    assert status == PublishStatus.QUEUED and error is None and stats == {"notice": False}
    assert _jobs(ctx) == [(JobKind.PUBLISH_GALLERY, JobState.QUEUED, 50)]
    with ctx.catalog.read() as session:
        run = get_run(session, run_id)
        assert run.kind == "gallery" and run.target == ctx.settings.gallery_target
        assert run.requested_by == actors["editora"].user_id
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "publish_requested")).one()
        assert entry.new_value == {"run_id": run_id, "notice": False, "status": "queued"}
        assert entry.username == "editora"


def _start(ctx: Context, run_id: int, alive: dt.datetime | None = None) -> None:
    """What the worker does when it takes the run: running, its lease renewed at ``alive``."""
    with ctx.catalog.write() as session:
        get_run(session, run_id).status = PublishStatus.RUNNING.value
        assert renew_lease(session, run_id, alive or dt.datetime.now(dt.UTC))
        record_fixture_writes(session)


def test_a_second_request_returns_the_queued_run_and_is_refused_while_it_runs(
        ctx: Context, actors: dict[str, Actor]) -> None:
    first, *_ = _request(ctx, actors["editora"])
    again, *_ = _request(ctx, actors["admin"])
    assert again == first  # not planned yet: it publishes what the admin asked for too
    _start(ctx, first)  # the worker took it: its plan is made, it is writing
    with pytest.raises(PublicationRunningError) as refused:
        _request(ctx, actors["admin"])
    assert refused.value.run_id == first
    assert refused.value.requested_by == actors["editora"].user_id
    assert len(_jobs(ctx)) == 1
    with ctx.catalog.write() as session:
        get_run(session, first).status = PublishStatus.DONE.value
        record_fixture_writes(session)
    later, status, *_ = _request(ctx, actors["editora"])
    assert later != first and status == PublishStatus.QUEUED
    assert len(_jobs(ctx)) == 2
    with ctx.catalog.read() as session:
        assert [r.id for r in recent_runs(session, 5)] == [later, first]
        assert [r.id for r in recent_runs(session, 1)] == [later]
        pending = pending_run(session)
        assert pending is not None and pending.id == later


@pytest.mark.parametrize("who", ["foto1", "prensa"])
def test_only_editors_publish(ctx: Context, actors: dict[str, Actor], who: str) -> None:
    with pytest.raises(PublishPermissionError), ctx.catalog.write() as session:
        request_publication(session, actors[who], ctx.settings)
    assert _jobs(ctx) == []


def test_a_blackout_refuses_and_records_why(ctx: Context, actors: dict[str, Actor]) -> None:
    _blackout(ctx, actors["admin"])
    run_id, status, error, _ = _request(ctx, actors["editora"], now=DURING)
    assert status == PublishStatus.REFUSED
    assert error is not None and "Proceso electoral local 2027" in error
    assert "2027-06-07" in error
    assert _jobs(ctx) == []
    with ctx.catalog.read() as session:
        assert pending_run(session) is None
        assert get_run(session, run_id).finished_at is not None
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "publish_requested")).one()
        assert entry.new_value["status"] == "refused" and entry.detail == error
    _, status, *_ = _request(ctx, actors["editora"], now=END)  # it ended: allowed again
    assert status == PublishStatus.QUEUED


def test_the_notice_is_for_admins_during_a_blackout(ctx: Context,
                                                    actors: dict[str, Actor]) -> None:
    with pytest.raises(NoBlackoutError), ctx.catalog.write() as session:
        request_publication(session, actors["admin"], ctx.settings, notice=True, now=DURING)
    _blackout(ctx, actors["admin"])
    with pytest.raises(PublishPermissionError), ctx.catalog.write() as session:
        request_publication(session, actors["editora"], ctx.settings, notice=True, now=DURING)
    run_id, status, error, stats = _request(ctx, actors["admin"], notice=True, now=DURING)
    assert status == PublishStatus.QUEUED and error is None and stats == {"notice": True}
    assert _jobs(ctx) == [(JobKind.PUBLISH_GALLERY, JobState.QUEUED, 50)]
    with ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(PublishRun)) == 1


def test_a_missing_run_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFoundError), ctx.catalog.read() as session:
        get_run(session, 12345)


def test_an_abandoned_run_does_not_block_a_new_one(ctx: Context,
                                                   actors: dict[str, Actor]) -> None:
    first, *_ = _request(ctx, actors["editora"])
    with ctx.catalog.write() as session:  # its worker died hours ago
        run = get_run(session, first)
        run.status = PublishStatus.RUNNING.value
        run.started_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=4)
        record_fixture_writes(session)
    second, status, *_ = _request(ctx, actors["editora"])
    assert second != first and status == PublishStatus.QUEUED
    assert len(_jobs(ctx)) == 2  # the new job wakes the worker, which fails the old run


def test_a_running_run_whose_lease_ran_out_is_failed_and_a_new_one_queued(
        ctx: Context, actors: dict[str, Actor]) -> None:
    lease = dt.timedelta(seconds=ctx.settings.job_lease_seconds)
    first, *_ = _request(ctx, actors["editora"])
    now = dt.datetime.now(dt.UTC)
    _start(ctx, first, alive=now - lease + dt.timedelta(seconds=2))  # renewed in time
    with pytest.raises(PublicationRunningError):
        _request(ctx, actors["admin"])
    _start(ctx, first, alive=now - lease - dt.timedelta(seconds=1))  # its node died
    second, status, *_ = _request(ctx, actors["admin"])
    assert second != first and status == PublishStatus.QUEUED
    with ctx.catalog.write() as session:
        old = get_run(session, first)
        assert old.status == PublishStatus.FAILED and "abandoned" in (old.error or "")
        assert old.finished_at is not None
        assert not renew_lease(session, first, now)  # its publisher, if alive, learns it lost


def test_a_queued_run_whose_job_was_lost_gets_a_new_job(ctx: Context,
                                                        actors: dict[str, Actor]) -> None:
    first, *_ = _request(ctx, actors["editora"])
    with ctx.catalog.write() as session:
        session.scalars(select(Job)).one().state = JobState.FAILED
        record_fixture_writes(session)
    assert _request(ctx, actors["editora"])[0] == first
    assert sorted(state for _, state, _ in _jobs(ctx)) == [JobState.FAILED, JobState.QUEUED]
    assert _request(ctx, actors["editora"])[0] == first
    assert len(_jobs(ctx)) == 2  # a live job exists now: no more are added
