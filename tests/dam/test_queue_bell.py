"""The queue's bell: an idle worker wakes when work is queued, not at its next poll."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from dam import queue
from dam.context import Context
from dam.enums import AssetState, JobKind, JobState, MediaType
from dam.models import Asset, Job
from dam.queue_bell import JobBell
from ingest import worker
from tests.changefeed_check import record_fixture_writes


def _queue_one(ctx: Context) -> int:
    with ctx.catalog.write() as session:
        # Ready already: processing it again ends at once, with the job done.
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.OTHER, byte_size=1,
                      original_filename="a.bin", original_key="originals/a",
                      state=AssetState.READY)
        session.add(asset)
        session.flush()
        job = queue.enqueue(session, JobKind.PROCESS_ASSET, asset.id)
        session.flush()
        record_fixture_writes(session)
        return job.id


def test_bell_rings_when_another_connection_queues_work(any_ctx: Context) -> None:
    bell, stop = JobBell(any_ctx.catalog), threading.Event()
    try:
        bell.mark()
        timer = threading.Timer(0.3, _queue_one, args=(any_ctx,))
        timer.start()
        started = time.monotonic()
        assert bell.wait(20, stop)
        assert time.monotonic() - started < 10  # woken by the job, not by the time-out
        timer.join()
    finally:
        bell.close()


def test_bell_rings_for_work_queued_between_mark_and_wait(any_ctx: Context) -> None:
    bell, stop = JobBell(any_ctx.catalog), threading.Event()
    try:
        bell.mark()
        _queue_one(any_ctx)
        started = time.monotonic()
        assert bell.wait(20, stop)
        assert time.monotonic() - started < 10
    finally:
        bell.close()


def test_bell_stays_quiet_without_work_and_stops_when_asked(any_ctx: Context) -> None:
    bell, stop = JobBell(any_ctx.catalog), threading.Event()
    try:
        bell.mark()
        started = time.monotonic()
        assert not bell.wait(0.3, stop)
        assert time.monotonic() - started >= 0.29
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        assert not bell.wait(20, stop)
        assert time.monotonic() - started < 10
    finally:
        bell.close()


def test_idle_worker_takes_new_work_at_once(
    any_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With polls a minute apart, only the bell can make the worker take the job in time."""
    monkeypatch.setattr(worker, "POLL_MIN", 60.0)
    monkeypatch.setattr(worker, "POLL_MAX", 60.0)
    stop = threading.Event()
    loop = threading.Thread(target=worker.work_loop,
                            args=(any_ctx, worker.LoopOptions(max_jobs=1), stop))
    loop.start()
    try:
        time.sleep(0.5)  # the worker found nothing and waits
        job_id = _queue_one(any_ctx)
        loop.join(timeout=20)
        assert not loop.is_alive()
        with any_ctx.catalog.read() as session:
            assert session.get(Job, job_id).state == JobState.DONE
    finally:
        stop.set()
        loop.join(timeout=5)
