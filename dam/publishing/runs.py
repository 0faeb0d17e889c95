"""Requests to publish the gallery: one queued run at a time, refused during a blackout.

An editor's request becomes a :class:`PublishRun` (queued) and a ``publish_gallery`` job in the
same transaction; the worker (``publish.jobs.run_queued_publications``) renders it. While a run is
queued or running, asking again returns that run instead of queuing another.

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
from dam.errors import NotFoundError
from dam.models import Job, PublishRun, utcnow
from dam.publishing.blackout import BlackoutError, active_blackout, refusal_text

log = logging.getLogger(__name__)

GALLERY = "gallery"
JOB_PRIORITY = 50  # ahead of renditions (100): a publication is something someone waits for
PENDING = (PublishStatus.QUEUED.value, PublishStatus.RUNNING.value)
# A run "running" for longer than this was abandoned by a worker that died; the worker marks it
# failed (publish.gallery.runlog.STALE_AFTER, the same figure) when it next runs, so a request
# must not wait for it: it queues a new run, whose job wakes the worker.
STALE_RUNNING = dt.timedelta(hours=3)


class PublishPermissionError(BlackoutError):
    """The actor may not publish (editors publish; only admins put up the blackout notice)."""


class NoBlackoutError(BlackoutError):
    """The blackout notice was asked for while no blackout is in force."""


def _abandoned(run: PublishRun, now: dt.datetime) -> bool:
    started = as_utc(run.started_at)
    return (run.status == PublishStatus.RUNNING and started is not None
            and started < now - STALE_RUNNING)


def pending_run(session: Session, now: dt.datetime | None = None) -> PublishRun | None:
    """The gallery run queued or running (and not abandoned), if there is one (the oldest)."""
    moment = now or utcnow()
    runs = session.scalars(
        select(PublishRun).where(PublishRun.kind == GALLERY, PublishRun.status.in_(PENDING))
        .order_by(PublishRun.id)
    )
    return next((r for r in runs if not _abandoned(r, moment)), None)


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
    """Queue a publication of the gallery, or return the one already pending.

    Check ``status`` of the result: ``refused`` (with ``error``) during a blackout.
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
        existing = pending_run(session, now)
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
