"""Requests to publish the gallery: one queued run at a time, refused during a blackout.

An editor's request becomes a :class:`PublishRun` (queued) and a ``publish_gallery`` job in the
same transaction; the worker (``publish.jobs.run_queued_publications``) renders it. While a run is
queued, asking again returns that run (it has not looked at the catalog yet, so it publishes what
the second editor asked for too). While one is running, a request from any node is refused
(:class:`PublicationRunningError`, naming who asked and since when): that run's plan is made, and
two publications must never write the same target at once.

A running run holds a lease, as a job does: its publisher records that it is alive
(``stats["alive_at"]``) every third of ``job_lease_seconds``. A run whose publisher has not
answered for ``job_lease_seconds`` (its process or machine died) is abandoned: the next request
or publisher marks it failed instead of waiting for it, and a publisher that finds its run taken
over that way stops before it makes anything live.

During an electoral blackout an ordinary request is refused: it is recorded as a run with status
``refused`` and the reason in ``error`` (no job), so the history shows who tried and why it did
not happen. Replacing the gallery with the blackout notice (``notice=True``, which keeps only the
civil-protection and health collections) is an administrator's decision, and only makes sense
while a blackout is in force.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import queue
from dam.config import Settings
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.rights import as_utc
from dam.db import serialize_on
from dam.enums import JobKind, JobState, PublishStatus, Role
from dam.errors import DamError, NotFoundError
from dam.models import Job, PublishRun, utcnow
from dam.publishing.blackout import BlackoutError, active_blackout, refusal_text

log = logging.getLogger(__name__)

GALLERY = "gallery"
JOB_PRIORITY = 50  # ahead of renditions (100): a publication is something someone waits for
PENDING = (PublishStatus.QUEUED.value, PublishStatus.RUNNING.value)
ALIVE = "alive_at"  # in a running run's stats: when its publisher last said it was alive
ERROR_CHARS = 2000


class PublishPermissionError(BlackoutError):
    """The actor may not publish (editors publish; only admins put up the blackout notice)."""


class NoBlackoutError(BlackoutError):
    """The blackout notice was asked for while no blackout is in force."""


class PublicationRunningError(DamError):
    """A publication of the gallery is running (on some node): another may not start now."""

    def __init__(self, run: PublishRun) -> None:
        self.run_id = run.id
        self.requested_by = run.requested_by
        self.started_at = as_utc(run.started_at)
        super().__init__(f"publication {run.id} of the gallery is running since "
                         f"{self.started_at:%Y-%m-%d %H:%M:%S} UTC; publish again when it ends")


def lease(settings: Settings) -> dt.timedelta:
    """How long a running run's publisher may stay silent before the run counts as abandoned."""
    return dt.timedelta(seconds=settings.job_lease_seconds)


def last_alive(run: PublishRun) -> dt.datetime | None:
    """When the run's publisher last said it was alive (else when the run started)."""
    said = (run.stats or {}).get(ALIVE)
    if isinstance(said, str):
        try:
            return as_utc(dt.datetime.fromisoformat(said))
        except ValueError:
            pass
    return as_utc(run.started_at)


def abandoned(run: PublishRun, now: dt.datetime, within: dt.timedelta) -> bool:
    """A running run whose publisher has not said it is alive for ``within``."""
    alive = last_alive(run)
    return (run.status == PublishStatus.RUNNING and alive is not None
            and alive < as_utc(now) - within)


def pending_run(session: Session, now: dt.datetime | None = None,
                within: dt.timedelta | None = None) -> PublishRun | None:
    """The gallery run queued or running (and not abandoned), if there is one (the oldest);
    ``within`` is the lease (default: never abandoned)."""
    moment = now or utcnow()
    runs = session.scalars(
        select(PublishRun).where(PublishRun.kind == GALLERY, PublishRun.status.in_(PENDING))
        .order_by(PublishRun.id)
    )
    return next((r for r in runs
                 if within is None or not abandoned(r, moment, within)), None)


def fail_abandoned_runs(session: Session, now: dt.datetime, within: dt.timedelta) -> list[int]:
    """Mark running runs whose publisher fell silent for ``within`` as failed; their ids.

    The rows are locked (PostgreSQL) so that a publisher renewing its lease at this moment is
    seen, and one that renews later finds its run failed and stops.
    """
    running = session.scalars(select(PublishRun).where(
        PublishRun.status == PublishStatus.RUNNING.value)
        .order_by(PublishRun.id).with_for_update())  # in one order: no deadlock
    stale = [run for run in running if abandoned(run, now, within)]
    for run in stale:
        run.status = PublishStatus.FAILED.value
        run.finished_at = now
        run.error = (f"abandoned: the process publishing it stopped answering (nothing since "
                     f"{last_alive(run):%Y-%m-%d %H:%M:%S} UTC, the lease is {within}); the "
                     "previous gallery stayed in place")[:ERROR_CHARS]
        log.warning("publication %s was abandoned; marked failed", run.id)
    return [run.id for run in stale]


def renew_lease(session: Session, run_id: int, now: dt.datetime) -> bool:
    """Record that the run's publisher is alive; False when the run is no longer running (it
    finished, or was taken over as abandoned)."""
    run = session.get(PublishRun, run_id, with_for_update=True)
    if run is None or run.status != PublishStatus.RUNNING:
        return False
    run.stats = {**(run.stats or {}), ALIVE: as_utc(now).isoformat()}
    return True


def _has_live_job(session: Session) -> bool:
    return session.scalar(
        select(Job.id).where(Job.kind == JobKind.PUBLISH_GALLERY,
                             Job.state.in_((JobState.QUEUED, JobState.RUNNING))).limit(1)
    ) is not None


def _check_actor(actor: Actor, notice: bool) -> None:
    if not actor.at_least(Role.EDITOR):
        raise PublishPermissionError("only editors and administrators publish the gallery")
    if notice and not actor.at_least(Role.ADMIN):
        raise PublishPermissionError(
            "only administrators replace the gallery with the electoral blackout notice")


def _new_run(actor: Actor, settings: Settings, notice: bool, now: dt.datetime) -> PublishRun:
    return PublishRun(kind=GALLERY, target=settings.gallery_target,
                      status=PublishStatus.QUEUED.value, requested_by=actor.user_id,
                      started_at=now, stats={"notice": notice})


def request_publication(session: Session, actor: Actor, settings: Settings, *,
                        notice: bool = False, now: dt.datetime | None = None) -> PublishRun:
    """Queue a publication of the gallery, or return the one already queued.

    Check ``status`` of the result: ``refused`` (with ``error``) during a blackout. Raises
    PublicationRunningError while a publication is running (and its lease is alive).
    """
    _check_actor(actor, notice)
    now = now or utcnow()
    period = active_blackout(session, now)
    if notice and period is None:
        raise NoBlackoutError("no electoral blackout is in force: there is no notice to publish")
    run = _new_run(actor, settings, notice, now)
    if period is not None and not notice:
        run.status, run.finished_at = PublishStatus.REFUSED.value, now
        run.error = refusal_text(period)
    else:
        serialize_on(session, "gallery publication requests")  # two clicks queue one run
        fail_abandoned_runs(session, now, lease(settings))
        existing = pending_run(session, now)
        if existing is not None and existing.status == PublishStatus.RUNNING:
            raise PublicationRunningError(existing)
        if existing is not None:
            if existing.status == PublishStatus.QUEUED and not _has_live_job(session):
                # its job failed or was lost: without one, the run would wait for ever
                queue.enqueue(session, JobKind.PUBLISH_GALLERY, None, priority=JOB_PRIORITY)
            return existing
    session.add(run)
    session.flush()
    if run.status == PublishStatus.QUEUED.value:
        queue.enqueue(session, JobKind.PUBLISH_GALLERY, None, priority=JOB_PRIORITY)
    audit.record(session, actor, "publish_requested", field="gallery",
                 new={"run_id": run.id, "notice": notice, "status": run.status},
                 detail=run.error)
    log.info("gallery publication %s requested by %s: %s", run.id, actor.username, run.status)
    return run


def recent_runs(session: Session, limit: int = 20) -> Sequence[PublishRun]:
    """The latest runs, newest first."""
    return session.scalars(
        select(PublishRun).order_by(PublishRun.id.desc()).limit(limit)
    ).all()


def get_run(session: Session, run_id: int) -> PublishRun:
    run = session.get(PublishRun, run_id)
    if run is None:
        raise NotFoundError(f"publication run {run_id} does not exist")
    return run
