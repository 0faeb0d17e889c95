"""The durable job queue: jobs live in the catalog and are claimed with a renewable lease.

A worker claims the next due job (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
IMMEDIATE write transaction on SQLite), renews its lease while it works, and completes or fails
it. A job whose lease expires (its worker was killed, or hung) is claimed again by another worker;
the attempt count grows at every claim, so a job that keeps killing its worker ends failed too.
Idle workers wait on the queue's bell (``dam.queue_bell``), which rings when a job is queued.

A transient failure (store, catalog or disk unavailable: ``dam.faults``) gives its try back: the
job waits with a capped, doubling backoff and is retried for as long as the trouble lasts, its
latest reason and count of such retries kept for ``dam status``. A worker that stops on purpose
(its parent died) gives its try back too (``release``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from dam import changes
from dam.db import Catalog
from dam.enums import AssetState, JobKind, JobState
from dam.models import Asset, Job, utcnow
from dam.queue_bell import ring

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job it holds."""

    id: int
    kind: JobKind
    asset_id: int | None
    attempt: int
    max_attempts: int
    transient_retries: int = 0
    owner: str | None = None  # the lease's holder, for a handler finishing it (complete_in)


def enqueue(
    session,  # type: ignore[no-untyped-def]
    kind: JobKind,
    asset_id: int | None,
    *,
    priority: int = 100,
    max_attempts: int = 4,
) -> Job:
    """Add a job in the caller's transaction (so the job exists iff the caller commits)."""
    job = Job(kind=kind, asset_id=asset_id, priority=priority, max_attempts=max_attempts)
    session.add(job)
    ring(session)  # idle workers wake when this commits (dam.queue_bell)
    return job


def _due_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Job.state == JobState.QUEUED, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
    )


def retry_delay(base: float, cap: float, retries: int) -> float:
    """Seconds before retry ``retries`` (1, 2, ...): doubling from ``base``, at most ``cap``."""
    return min(cap, base * 2 ** min(max(retries - 1, 0), 40))


def claim(
    catalog: Catalog, owner: str, lease_seconds: int, *, take_over: bool = True
) -> ClaimedJob | None:
    """Take the next due job for ``owner``, or None when nothing is due.

    ``take_over=False`` leaves jobs whose lease ran out alone (just after a catalog outage their
    workers may well be alive, waiting to renew).
    """
    while True:
        with catalog.write() as session:
            now = utcnow()
            due = _due_clause(now) if take_over else and_(
                Job.state == JobState.QUEUED, Job.run_after <= now
            )
            # Columns, not a Job object: a claim is a worker's most frequent statement pair.
            query = (
                select(Job.id, Job.kind, Job.asset_id, Job.attempts, Job.max_attempts,
                       Job.transient_retries)
                .where(due)
                .order_by(Job.priority, Job.run_after, Job.id)  # a job put back waits its turn
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = session.execute(query).first()
            if row is None:
                return None
            job_id, kind, asset_id, attempts, max_attempts, transient_retries = row
            if attempts >= max_attempts:
                # Its lease ran out on the last allowed try: the worker died or hung each time.
                job = session.get_one(Job, job_id)
                _mark_failed(
                    session,
                    job,
                    job.last_error
                    or f"the worker stopped (killed or timed out) on all {job.attempts} tries",
                )
                continue
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(state=JobState.RUNNING, attempts=attempts + 1, lease_owner=owner,
                        lease_expires_at=now + dt.timedelta(seconds=lease_seconds)),
                execution_options={"synchronize_session": False},
            )
            return ClaimedJob(job_id, JobKind(kind), asset_id, attempts + 1, max_attempts,
                              transient_retries, owner)


def renew(catalog: Catalog, job_id: int, owner: str, lease_seconds: int) -> bool:
    """Extend the lease; False if the job is no longer ours (it was taken over)."""
    with catalog.write() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
            .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


def complete(catalog: Catalog, job_id: int, owner: str) -> bool:
    """Mark the job done; False if another worker holds it now."""
    with catalog.write() as session:
        return complete_in(session, job_id, owner)


def complete_in(session, job_id: int, owner: str) -> bool:  # type: ignore[no-untyped-def]
    """Mark the job done in the caller's transaction, the one recording the job's work (a
    worker then commits once per job, not twice); False if another worker holds it now."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
        .values(
            state=JobState.DONE,
            finished_at=utcnow(),
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
        )
    )
    return result.rowcount == 1


@dataclass
class Completion:
    """A job to mark done in the transaction that records its work (one commit per job, not
    two), and whether it was: None until tried, False when another worker held it by then."""

    job_id: int
    owner: str
    done: bool | None = None

    def mark(self, session) -> None:  # type: ignore[no-untyped-def]
        self.done = complete_in(session, self.job_id, self.owner)


def fail(
    catalog: Catalog,
    job_id: int,
    owner: str,
    error: str,
    *,
    transient: bool,
    retry_base_seconds: float,
    retry_max_seconds: float,
) -> JobState | None:
    """Record a failed try: a transient one waits and is retried, a permanent one fails the job.

    A transient failure gives the try back (it does not count toward ``max_attempts``) and is
    retried after ``retry_delay``, for as long as it keeps happening. Returns the job's new
    state, or None if the job is no longer ours.
    """
    error = error[:MAX_ERROR_LENGTH]
    with catalog.write() as session:
        job = session.get(Job, job_id)
        if job is None or job.lease_owner != owner or job.state != JobState.RUNNING:
            return None
        if transient:
            job.transient_retries += 1
            job.transient_error = error
            delay = retry_delay(retry_base_seconds, retry_max_seconds, job.transient_retries)
            _requeue(job, delay)
            log.info("job %s: transient failure #%s, retry in %.1f s (tries used: %s of %s): %s",
                     job_id, job.transient_retries, delay, job.attempts, job.max_attempts, error)
            return JobState.QUEUED
        _mark_failed(session, job, error)
        return JobState.FAILED


def release(catalog: Catalog, owner: str) -> list[int]:
    """Give back the jobs ``owner`` holds, untried (its worker is stopping): queued at once,
    their tries returned. Returns their ids."""
    with catalog.write() as session:
        jobs = session.scalars(
            select(Job).where(Job.lease_owner == owner, Job.state == JobState.RUNNING)
        ).all()
        for job in jobs:
            _requeue(job, 0.0)
            log.info("job %s given back by its stopping worker", job.id)
        if jobs:
            ring(session)
        return [job.id for job in jobs]


def _requeue(job: Job, delay: float) -> None:
    job.state = JobState.QUEUED
    job.attempts = max(job.attempts - 1, 0)  # claim() counted this try; it was not the job's fault
    job.run_after = utcnow() + dt.timedelta(seconds=delay)
    job.lease_owner = None
    job.lease_expires_at = None


def _mark_failed(session, job: Job, error: str) -> None:  # type: ignore[no-untyped-def]
    job.state = JobState.FAILED
    job.finished_at = utcnow()
    job.lease_owner = None
    job.lease_expires_at = None
    job.last_error = error
    if job.asset_id is not None:
        asset = session.get(Asset, job.asset_id)
        if asset is not None and asset.state != AssetState.READY:
            asset.state = AssetState.FAILED
            asset.error = error
            changes.record(session, [asset.id], "updated")
    log.warning("job %s failed for good after %s tries: %s", job.id, job.attempts, error)


def counts(catalog: Catalog) -> dict[str, int]:
    """Jobs by state."""
    with catalog.read() as session:
        rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {str(state): n for state, n in rows}


def waiting_on_trouble(catalog: Catalog, limit: int = 20) -> dict[str, Any]:
    """Queued jobs held back by transient trouble: how many, and the latest with their reasons."""
    waiting = and_(Job.state == JobState.QUEUED, Job.transient_retries > 0)
    with catalog.read() as session:
        total = session.scalar(select(func.count()).select_from(Job).where(waiting)) or 0
        rows = session.scalars(
            select(Job).where(waiting).order_by(Job.updated_at.desc()).limit(limit)
        ).all()
        latest = [
            {
                "job": job.id,
                "kind": str(job.kind),
                "asset_id": job.asset_id,
                "retries": job.transient_retries,
                "reason": job.transient_error,
                "next_try": job.run_after.isoformat(timespec="seconds"),
            }
            for job in rows
        ]
    return {"jobs": total, "latest": latest}


def has_pending_work(catalog: Catalog) -> bool:
    """True while any job is queued (even for later) or running."""
    with catalog.read() as session:
        query = select(Job.id).where(Job.state.in_([JobState.QUEUED, JobState.RUNNING])).limit(1)
        return session.scalars(query).first() is not None


def more_urgent_due(catalog: Catalog, priority: int) -> bool:
    """True when a queued job of higher priority (a lower number) is due: a long low-priority
    job stops at its next step and lets it through."""
    with catalog.read() as session:
        query = select(Job.id).where(Job.state == JobState.QUEUED, Job.priority < priority,
                                     Job.run_after <= utcnow()).limit(1)
        return session.scalars(query).first() is not None


def requeue_for_asset(session, asset_id: int, kind: JobKind, max_attempts: int) -> Job:  # type: ignore[no-untyped-def]
    """Queue the asset again unless a job for it is already waiting or running."""
    existing = session.scalars(
        select(Job).where(
            Job.asset_id == asset_id,
            Job.kind == kind,
            Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
        )
    ).first()
    if existing is not None:
        return existing
    return enqueue(session, kind, asset_id, max_attempts=max_attempts)
