"""The worker's side of publishing: run the queued publications of the gallery, oldest first.

A run is claimed with ``UPDATE ... WHERE status = 'queued'``, so two workers never run the same
one; a run left "running" for too long (its worker died) is marked failed first.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from dam.context import Context
from dam.curation.actor import SYSTEM, Actor
from dam.enums import PublishStatus
from dam.models import PublishRun, User, utcnow
from publish.gallery.build import publish_gallery
from publish.gallery.runlog import GALLERY, fail_stale_runs

log = logging.getLogger(__name__)


def _claim_next(ctx: Context) -> tuple[int, Actor, str | None, bool] | None:
    """(run id, who asked, target, notice) of the oldest queued run, now ours; None if none."""
    while True:
        with ctx.catalog.write() as session:
            run = session.scalars(
                select(PublishRun).where(PublishRun.kind == GALLERY,
                                         PublishRun.status == PublishStatus.QUEUED.value)
                .order_by(PublishRun.id).limit(1)).first()
            if run is None:
                return None
            claimed = session.execute(
                update(PublishRun)
                .where(PublishRun.id == run.id, PublishRun.status == PublishStatus.QUEUED.value)
                .values(status=PublishStatus.RUNNING.value, started_at=utcnow())
                .execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                continue  # another worker took it between the two statements
            user = session.get(User, run.requested_by) if run.requested_by else None
            actor = Actor(user.id, user.username, user.role) if user is not None else SYSTEM
            notice = bool((run.stats or {}).get("notice", False))
            return run.id, actor, run.target or None, notice


def run_queued_publications(ctx: Context) -> list[int]:
    """Run every queued publication in order; the ids of the runs taken (each records how it
    went: done, refused or failed, with its reason)."""
    with ctx.catalog.write() as session:
        fail_stale_runs(ctx, session, utcnow())
    taken = []
    while (claim := _claim_next(ctx)) is not None:
        run_id, actor, target, notice = claim
        taken.append(run_id)
        try:
            publish_gallery(ctx, actor, target=target, notice=notice, run_id=run_id)
        except Exception as exc:  # recorded on the run by publish_gallery
            log.warning("publication %s did not complete: %s", run_id, exc)
    return taken


def run_publish_gallery_job(ctx: Context, job: object) -> None:
    """The worker's handler for ``publish_gallery`` jobs (declared in the ``dam.jobs`` entry
    point group): run every queued publication."""
    run_queued_publications(ctx)
