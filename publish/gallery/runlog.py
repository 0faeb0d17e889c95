"""The PublishRun record of each publication: started, busy, done, refused or failed."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.workflow import change_state
from dam.db import serialize_on
from dam.enums import PublishStatus, WorkflowState
from dam.faults import is_catalog_error
from dam.models import PublishRun, utcnow
from dam.publishing.runs import ALIVE, fail_abandoned_runs, lease, renew_lease
from publish.gallery.plan import Plan, PublishRefusedError
from publish.gallery.targets import TargetBusyError

if TYPE_CHECKING:
    from publish.gallery.build import PublishResult

log = logging.getLogger(__name__)

GALLERY = "gallery"
ERROR_CHARS = 2000


def fail_stale_runs(ctx: Context, session: Session, now: dt.datetime) -> list[int]:
    """Mark runs whose publisher stopped renewing their lease as failed; their ids."""
    return fail_abandoned_runs(session, now, lease(ctx.settings))


class LeaseLostError(TargetBusyError):
    """The run was taken over as abandoned (its lease ran out): this publisher must stop."""


class Lease:
    """Renews a running run's lease from a thread, every third of ``job_lease_seconds``.

    :meth:`check` renews it at once and raises LeaseLostError when the run was taken over
    (called before the release is made live).
    """

    def __init__(self, ctx: Context, run_id: int) -> None:
        self.ctx, self.run_id = ctx, run_id
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"publish-lease-{run_id}",
                                        daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(10)

    def renew(self) -> bool:
        with self.ctx.catalog.write() as session:
            kept = renew_lease(session, self.run_id, utcnow())
        self.lost = self.lost or not kept
        return kept

    def check(self) -> None:
        if not self.renew():
            raise LeaseLostError(f"publication {self.run_id} was taken over as abandoned (its "
                                 "lease ran out): nothing of it was made live")

    def _loop(self) -> None:
        every = max(lease(self.ctx.settings).total_seconds() / 3, 0.2)
        while not self._stop.wait(every):
            try:
                if not self.renew():
                    return
            except Exception as exc:  # the catalog away: try again; the lease may run out
                if not is_catalog_error(exc):
                    log.exception("publication %s: the lease was not renewed", self.run_id)
                else:
                    log.warning("publication %s: the lease was not renewed: %s", self.run_id,
                                exc)


def start_run(ctx: Context, actor: Actor, url: str, notice: bool, now: dt.datetime,
              run_id: int | None) -> int:
    """The id of the run now "running" (``run_id``, or a new one); TargetBusyError if another
    publication is running on ``url``."""
    with ctx.catalog.write() as session:
        serialize_on(session, f"gallery target {url}")  # two starts cannot both find it free
        fail_stale_runs(ctx, session, utcnow())  # leases run on the real clock
        busy = session.scalars(select(PublishRun).where(
            PublishRun.status == PublishStatus.RUNNING.value, PublishRun.target == url,
            PublishRun.id != (run_id or -1))).first()
        run = session.get(PublishRun, run_id) if run_id is not None else None
        if run is None:
            run = PublishRun(kind=GALLERY, requested_by=actor.user_id, stats={"notice": notice})
            session.add(run)
        run.target, run.started_at = url, now
        run.status = PublishStatus.RUNNING.value
        run.stats = {**(run.stats or {}), ALIVE: utcnow().isoformat()}
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
