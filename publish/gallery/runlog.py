"""The PublishRun record of each publication: started, busy, done, refused or failed."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.workflow import change_state
from dam.db import serialize_on
from dam.enums import PublishStatus, WorkflowState
from dam.models import PublishRun, utcnow
from publish.gallery.plan import Plan, PublishRefusedError
from publish.gallery.targets import TargetBusyError

if TYPE_CHECKING:
    from publish.gallery.build import PublishResult

log = logging.getLogger(__name__)

GALLERY = "gallery"
# A run "running" for longer than this was abandoned (its process died): it is marked failed.
STALE_AFTER = dt.timedelta(hours=3)
ERROR_CHARS = 2000


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def fail_stale_runs(session: Session, now: dt.datetime) -> list[int]:
    """Mark runs left "running" for too long as failed; their ids."""
    stale = [run for run in session.scalars(select(PublishRun).where(
        PublishRun.status == PublishStatus.RUNNING.value))
        if _aware(run.started_at) < now - STALE_AFTER]
    for run in stale:
        run.status = PublishStatus.FAILED.value
        run.finished_at = now
        run.error = (f"abandoned: still running after {STALE_AFTER} (the process publishing it "
                     "stopped); the previous gallery stayed in place")
        log.warning("publication %s was abandoned; marked failed", run.id)
    return [run.id for run in stale]


def start_run(ctx: Context, actor: Actor, url: str, notice: bool, now: dt.datetime,
              run_id: int | None) -> int:
    """The id of the run now "running" (``run_id``, or a new one); TargetBusyError if another
    publication is running on ``url``."""
    with ctx.catalog.write() as session:
        serialize_on(session, f"gallery target {url}")  # two starts cannot both find it free
        fail_stale_runs(session, now)
        busy = session.scalars(select(PublishRun).where(
            PublishRun.status == PublishStatus.RUNNING.value, PublishRun.target == url,
            PublishRun.id != (run_id or -1))).first()
        run = session.get(PublishRun, run_id) if run_id is not None else None
        if run is None:
            run = PublishRun(kind=GALLERY, requested_by=actor.user_id, stats={"notice": notice})
            session.add(run)
        run.target, run.started_at = url, now
        run.status = PublishStatus.RUNNING.value
        if busy is not None:
            run.status, run.finished_at = PublishStatus.FAILED.value, now
            run.error = f"publication {busy.id} is already writing to {url}"
        session.flush()
        new_id = run.id
    if busy is not None:
        raise TargetBusyError(f"publication {busy.id} is already writing to {url} "
                              f"(started {busy.started_at:%Y-%m-%d %H:%M} UTC)")
    return new_id


def finish_run(ctx: Context, run_id: int, result: PublishResult) -> None:
    with ctx.catalog.write() as session:
        run = session.get(PublishRun, run_id)
        if run is None:
            return
        run.status = PublishStatus.DONE.value
        run.finished_at = utcnow()
        run.stats = result.to_json()
        run.error = None


def fail_run(ctx: Context, actor: Actor, run_id: int, exc: BaseException, plan: Plan | None,
             result: PublishResult) -> None:
    """Record why the run did not publish; assets it promoted go back to "approved"."""
    refused = isinstance(exc, PublishRefusedError)
    result.status = (PublishStatus.REFUSED if refused else PublishStatus.FAILED).value
    try:
        with ctx.catalog.write() as session:
            run = session.get(PublishRun, run_id)
            if run is not None:
                run.status = result.status
                run.finished_at = utcnow()
                run.error = (str(exc) or type(exc).__name__)[:ERROR_CHARS]
                run.stats = _stats(result, plan)
            if plan is not None and plan.promoted:
                change_state(session, actor, plan.promoted, WorkflowState.APPROVED, utcnow())
    except Exception:  # the original failure matters more than this one
        log.exception("could not record the failure of publication %s", run_id)
    if not refused:
        log.error("publication %s failed: %s", run_id, exc)


def _stats(result: PublishResult, plan: Plan | None) -> dict[str, Any]:
    stats = result.to_json()
    if plan is not None:
        stats["held"] = [h.to_json() for h in plan.held]
        stats["promoted"] = 0  # undone
    return stats
