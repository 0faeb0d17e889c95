"""The durable queue: leases, takeover of expired work, retries with backoff, no double claims."""

from __future__ import annotations

import datetime as dt
import secrets
import threading

from sqlalchemy import update

from dam import queue
from dam.context import Context
from dam.enums import AssetState, JobKind, JobState, MediaType
from dam.models import Asset, Job, utcnow
from tests.changefeed_check import record_fixture_writes


def _add_jobs(ctx: Context, n: int, priority: int = 100) -> list[int]:
    ids = []
    with ctx.catalog.write() as session:
        for i in range(n):
            asset = Asset(
                sha256=secrets.token_hex(32),
                media_type=MediaType.PHOTO,
                byte_size=1,
                original_filename=f"{i}.jpg",
                original_key=f"originals/{i}",
            )
            session.add(asset)
            session.flush()
            ids.append(
                queue.enqueue(
                    session, JobKind.PROCESS_ASSET, asset.id, priority=priority, max_attempts=3
                ).asset_id
            )
        record_fixture_writes(session)
    return ids


def _expire_leases(ctx: Context) -> None:
    with ctx.catalog.write() as session:
        session.execute(update(Job).values(lease_expires_at=utcnow() - dt.timedelta(seconds=1)))


def test_claim_takes_lowest_priority_first_and_holds_a_lease(any_ctx: Context) -> None:
    _add_jobs(any_ctx, 2, priority=100)
    urgent = _add_jobs(any_ctx, 1, priority=10)
    job = queue.claim(any_ctx.catalog, "w1", 30)
    assert job is not None and job.asset_id == urgent[0] and job.attempt == 1
    with any_ctx.catalog.read() as session:
        row = session.get(Job, job.id)
        assert row.state == JobState.RUNNING and row.lease_owner == "w1"
    assert queue.renew(any_ctx.catalog, job.id, "w1", 30)
    assert not queue.renew(any_ctx.catalog, job.id, "someone-else", 30)
    assert queue.complete(any_ctx.catalog, job.id, "w1")
    assert queue.counts(any_ctx.catalog) == {"queued": 2, "done": 1}


def test_expired_lease_is_taken_over_and_the_old_owner_cannot_complete(any_ctx: Context) -> None:
    _add_jobs(any_ctx, 1)
    first = queue.claim(any_ctx.catalog, "dead-worker", 30)
    assert queue.claim(any_ctx.catalog, "w2", 30) is None  # lease still valid
    _expire_leases(any_ctx)
    second = queue.claim(any_ctx.catalog, "w2", 30)
    assert second is not None and second.id == first.id and second.attempt == 2
    assert not queue.complete(any_ctx.catalog, first.id, "dead-worker")
    assert queue.complete(any_ctx.catalog, second.id, "w2")


def _fail(ctx: Context, job_id: int, transient: bool, error: str = "store unreachable"):  # type: ignore[no-untyped-def]
    return queue.fail(ctx.catalog, job_id, "w", error, transient=transient,
                      retry_base_seconds=60, retry_max_seconds=300)


def _make_due(ctx: Context) -> None:
    with ctx.catalog.write() as session:
        session.execute(update(Job).values(run_after=utcnow() - dt.timedelta(seconds=1)))


def test_transient_failures_never_use_up_tries_and_back_off_with_a_cap(any_ctx: Context) -> None:
    (asset_id,) = _add_jobs(any_ctx, 1)  # max_attempts=3
    for retry in range(1, 11):  # an outage far longer than max_attempts tries
        job = queue.claim(any_ctx.catalog, "w", 30)
        assert job is not None and job.attempt == 1  # each transient try was given back
        before = utcnow()
        assert _fail(any_ctx, job.id, transient=True) == JobState.QUEUED
        assert queue.claim(any_ctx.catalog, "w", 30) is None  # backing off
        with any_ctx.catalog.read() as session:
            row = session.get(Job, job.id)
            assert row.attempts == 0 and row.transient_retries == retry
            assert row.transient_error == "store unreachable"
            run_after = row.run_after.replace(tzinfo=row.run_after.tzinfo or dt.UTC)  # SQLite
            wait = (run_after - before).total_seconds()
            assert min(60 * 2 ** (retry - 1), 300) - 1 < wait <= min(60 * 2 ** (retry - 1), 300) + 1
        waiting = queue.waiting_on_trouble(any_ctx.catalog)
        assert waiting["jobs"] == 1 and waiting["latest"][0]["retries"] == retry
        _make_due(any_ctx)
    job = queue.claim(any_ctx.catalog, "w", 30)
    assert queue.complete(any_ctx.catalog, job.id, "w")
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).state != AssetState.FAILED
    assert queue.waiting_on_trouble(any_ctx.catalog)["jobs"] == 0


def test_permanent_failure_fails_the_job_and_its_asset(any_ctx: Context) -> None:
    (asset_id,) = _add_jobs(any_ctx, 1)
    job = queue.claim(any_ctx.catalog, "w", 30)
    assert _fail(any_ctx, job.id, transient=False, error="unreadable JPEG") == JobState.FAILED
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.state == AssetState.FAILED and asset.error == "unreadable JPEG"
    assert not queue.has_pending_work(any_ctx.catalog)


def test_crashes_count_between_transient_failures_until_the_job_fails(any_ctx: Context) -> None:
    (asset_id,) = _add_jobs(any_ctx, 1)  # max_attempts=3
    for _ in range(3):
        for _ in range(4):  # the store is away: these tries are given back
            job = queue.claim(any_ctx.catalog, "w", 30)
            assert _fail(any_ctx, job.id, transient=True) == JobState.QUEUED
            _make_due(any_ctx)
        assert queue.claim(any_ctx.catalog, "doomed", 30) is not None  # then its worker dies
        _expire_leases(any_ctx)
    assert queue.claim(any_ctx.catalog, "w", 30) is None
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.state == AssetState.FAILED
        assert "stopped (killed or timed out) on all 3 tries" in asset.error


def test_released_job_is_queued_at_once_with_its_try_given_back(any_ctx: Context) -> None:
    _add_jobs(any_ctx, 1)
    job = queue.claim(any_ctx.catalog, "w", 30)
    assert queue.release(any_ctx.catalog, "someone-else") == []
    assert queue.release(any_ctx.catalog, "w") == [job.id]
    again = queue.claim(any_ctx.catalog, "w2", 30)
    assert again is not None and again.id == job.id and again.attempt == 1


def test_claim_without_take_over_leaves_lapsed_leases_alone(any_ctx: Context) -> None:
    _add_jobs(any_ctx, 1)
    job = queue.claim(any_ctx.catalog, "cut-off", 30)
    _expire_leases(any_ctx)
    assert queue.claim(any_ctx.catalog, "w", 30, take_over=False) is None
    assert queue.renew(any_ctx.catalog, job.id, "cut-off", 30)  # its worker is back in time
    assert queue.complete(any_ctx.catalog, job.id, "cut-off")


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [queue.retry_delay(0.5, 3, n) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert queue.retry_delay(5, 60, 10_000) == 60  # no overflow after a very long outage


def test_job_whose_worker_keeps_dying_ends_failed(any_ctx: Context) -> None:
    (asset_id,) = _add_jobs(any_ctx, 1)
    for _ in range(3):
        assert queue.claim(any_ctx.catalog, "doomed", 30) is not None
        _expire_leases(any_ctx)
    assert queue.claim(any_ctx.catalog, "w", 30) is None
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.state == AssetState.FAILED
        assert "stopped (killed or timed out) on all 3 tries" in asset.error


def test_concurrent_claimers_never_share_a_job(any_ctx: Context) -> None:
    _add_jobs(any_ctx, 40)
    claimed: list[int] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while (job := queue.claim(any_ctx.catalog, name, 30)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 40 and len(set(claimed)) == 40
