"""The durable job queue: jobs live in the catalog and are claimed with a renewable lease.

A worker claims the next due job (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
IMMEDIATE write transaction on SQLite), renews its lease while it works, and completes or fails
it. A job whose lease expires (its worker was killed, or hung) is claimed again by another worker;
the attempt count grows at every claim, so a job that keeps killing its worker ends failed too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update

from dam.db import Catalog
from dam.enums import AssetState, JobKind, JobState
from dam.models import Asset, Job, utcnow

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
    return job


def _due_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Job.state == JobState.QUEUED, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
    )


def claim(catalog: Catalog, owner: str, lease_seconds: int) -> ClaimedJob | None:
    """Take the next due job for ``owner``, or None when nothing is due."""
    while True:
        with catalog.write() as session:
            now = utcnow()
            query = (
                select(Job)
                .where(_due_clause(now))
                .order_by(Job.priority, Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            job = session.scalars(query).first()
            if job is None:
                return None
            if job.attempts >= job.max_attempts:
                # Its lease ran out on the last allowed try: the worker died or hung each time.
                _mark_failed(
                    session,
                    job,
                    job.last_error
                    or f"the worker stopped (killed or timed out) on all {job.attempts} tries",
                )
                continue
            job.state = JobState.RUNNING
            job.attempts += 1
            job.lease_owner = owner
            job.lease_expires_at = now + dt.timedelta(seconds=lease_seconds)
            return ClaimedJob(job.id, job.kind, job.asset_id, job.attempts, job.max_attempts)


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


def fail(
    catalog: Catalog,
    job_id: int,
    owner: str,
    error: str,
    *,
    transient: bool,
    retry_base_seconds: float,
) -> JobState | None:
    """Record a failed try: retried later with backoff if transient and tries remain.

    Returns the job's new state, or None if the job is no longer ours.
    """
    error = error[:MAX_ERROR_LENGTH]
    with catalog.write() as session:
        job = session.get(Job, job_id)
        if job is None or job.lease_owner != owner or job.state != JobState.RUNNING:
            return None
        if transient and job.attempts < job.max_attempts:
            delay = retry_base_seconds * (2 ** (job.attempts - 1))
            job.state = JobState.QUEUED
            job.run_after = utcnow() + dt.timedelta(seconds=delay)
            job.lease_owner = None
            job.lease_expires_at = None
            job.last_error = error
            log.info(
                "job %s failed (try %s), retry in %.0f s: %s", job_id, job.attempts, delay, error
            )
            return JobState.QUEUED
        _mark_failed(session, job, error)
        return JobState.FAILED


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
    log.warning("job %s failed for good after %s tries: %s", job.id, job.attempts, error)


def counts(catalog: Catalog) -> dict[str, int]:
    """Jobs by state."""
    with catalog.read() as session:
        rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {str(state): n for state, n in rows}


def has_pending_work(catalog: Catalog) -> bool:
    """True while any job is queued (even for later) or running."""
    with catalog.read() as session:
        query = select(Job.id).where(Job.state.in_([JobState.QUEUED, JobState.RUNNING])).limit(1)
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
