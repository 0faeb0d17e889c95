"""The node's housekeeping: abandoned uploads removed, uploads that waited for the store taken in,
the store's metadata records brought up to date with the change feed (dam.storemeta), the
rolling fixity check's share of originals re-hashed (dam.fixity_schedule), notices queued
by mail (web.notices), the trash purged of what stayed longer than ``trash_days`` and the
files of legal erasures the store refused deleted again (dam.curation.trash, .erasure), the
reports' changed days counted again (dam.reports.rollup).

``dam serve`` runs it every HOUSEKEEPING_SECONDS in one serving process (``web.server``);
``dam housekeeping`` runs it once (from cron, or by hand). Every step is safe to run in
several processes at once: each upload is handled under its file lock, and a row changes
only when it is still in the state that was read.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import click
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from dam.context import Context
from dam.curation.erasure import finish_erasures
from dam.curation.trash import purge_due
from dam.enums import UploadState
from dam.fixity_schedule import replica_store, rolling_fixity
from dam.models import Upload
from dam.reports.rollup import HOUSEKEEPING_DAYS, refresh_days
from dam.search import snapshot
from dam.search.store import IndexLocation
from dam.storemeta import sync_store_meta
from storage import LocalStore, ObjectStore, StoreUnavailableError
from web import upload_parts
from web.notices import send_notices
from web.queries import reading
from web.uploads import _exclusive, _forget, _stored_state, part_path, take_in, uploads_dir

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 60.0
EXPIRED = "abandoned: removed after {hours} hours without a chunk"


@dataclass
class HousekeepingReport:
    expired: int = 0  # unfinished uploads removed with their chunks
    orphans: int = 0  # folders in the uploads folder that no upload owns
    taken_in: int = 0  # uploads that waited for the store, now taken in
    waiting: int = 0  # uploads still waiting for the store
    store_meta: int = 0  # assets whose metadata record in the store was rewritten
    fixity_checked: int = 0  # originals re-hashed by the rolling fixity check
    fixity_repaired: int = 0  # damaged originals restored from the replica store
    fixity_damaged: int = 0  # damaged originals that could not be restored
    notices: int = 0  # notices queued by mail (web.notices)
    search_snapshot: bool = False  # this node's index published to the store (dam.search.snapshot)
    purged: int = 0  # assets purged from the trash after trash_days
    erasures_finished: int = 0  # legal erasures whose files were deleted at a later pass
    report_days: int = 0  # days the reports' rollup counted again (dam.reports.rollup)


def queue_notices(ctx: Context, now: dt.datetime) -> int:
    """The notices by mail due now (web.notices); 0 while the catalog is away."""
    try:
        found = send_notices(ctx, now)
    except Exception as exc:  # never stops the other steps
        log.warning("housekeeping: notices not queued: %s", exc)
        return 0
    return found.batches + found.shares + found.digests + found.embargoes


def run_housekeeping(ctx: Context, now: dt.datetime | None = None) -> HousekeepingReport:
    """One pass of every step; the report says what it did."""
    now = now or dt.datetime.now(dt.UTC)
    report = HousekeepingReport()
    report.expired = expire_uploads(ctx, now)
    report.orphans = remove_orphans(ctx, now) + tidy_store_parts(ctx, now)
    report.taken_in, report.waiting = retry_waiting(ctx)
    check_fixity(ctx, report)  # before the records, so they carry this pass's results
    report.store_meta = update_store_meta(ctx)
    report.notices = queue_notices(ctx, now)
    report.search_snapshot = publish_search_snapshot(ctx, now)
    report.purged, report.erasures_finished = empty_removals(ctx, now)
    report.report_days = count_report_days(ctx)
    if report.expired or report.orphans or report.taken_in or report.purged:
        log.info("housekeeping: %s", asdict(report))
    return report


def count_report_days(ctx: Context) -> int:
    """The days whose material changed counted again for the reports (PostgreSQL), so a report
    rarely has any to count itself; 0 on SQLite (reports count live) or while the catalog is
    away."""
    if ctx.catalog.is_sqlite:
        return 0
    try:
        return refresh_days(ctx.catalog.engine, per_transaction=HOUSEKEEPING_DAYS)
    except SQLAlchemyError as exc:
        log.warning("housekeeping: report days not counted: %s", exc)
        return 0


def publish_search_snapshot(ctx: Context, now: dt.datetime) -> bool:
    """This node's index to the shared store when the newest snapshot is older than
    ``search_snapshot_hours`` (nodes that join later start from it); never on a local store."""
    hours = ctx.settings.search_snapshot_hours
    if hours <= 0 or isinstance(ctx.store, LocalStore):
        return False
    location = IndexLocation(ctx.settings.index_path)
    engine = ctx.settings.search_engine
    try:
        if location.current() is None or not snapshot.is_due(
                ctx.store, engine, dt.timedelta(hours=hours), now):
            return False
        return snapshot.publish(location, ctx.store) is not None
    except (OSError, StoreUnavailableError) as exc:
        log.warning("housekeeping: search snapshot not published: %s", exc)
        return False


def update_store_meta(ctx: Context) -> int:
    """The store's metadata records, after the catalog's change feed; 0 while the store is away
    (the records catch up at a later pass: the feed position only moves once they are written)."""
    try:
        return sync_store_meta(ctx.catalog, ctx.store).written
    except (OSError, StoreUnavailableError) as exc:
        log.warning("housekeeping: store metadata records not updated: %s", exc)
        return 0


def removal_stores(ctx: Context) -> list[ObjectStore]:
    """The store, and the replica store when one is configured: removals delete from both."""
    replica = replica_store(ctx.settings)
    return [ctx.store] + ([replica] if replica is not None else [])


def empty_removals(ctx: Context, now: dt.datetime) -> tuple[int, int]:
    """(assets purged from the trash, erasures finished); (0, 0) while the store is away."""
    try:
        stores = removal_stores(ctx)
        purged = purge_due(ctx.catalog, stores, ctx.settings.trash_days, now).purged
        return len(purged), finish_erasures(ctx.catalog, stores, now)
    except (OSError, StoreUnavailableError) as exc:
        log.warning("housekeeping: trash not purged: %s", exc)
        return 0, 0


def check_fixity(ctx: Context, report: HousekeepingReport) -> None:
    """The rolling fixity check's share of this pass (dam.fixity_schedule)."""
    try:
        fixity = rolling_fixity(ctx.catalog, ctx.store, ctx.settings,
                                interval_seconds=HOUSEKEEPING_SECONDS)
    except (OSError, StoreUnavailableError) as exc:
        log.warning("housekeeping: fixity check skipped: %s", exc)
        return
    report.fixity_checked, report.fixity_repaired = fixity.checked, fixity.repaired
    report.fixity_damaged = len(fixity.problems)


def _cutoff(ctx: Context, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=ctx.settings.upload_expiry_hours)


def expire_uploads(ctx: Context, now: dt.datetime) -> int:
    """Unfinished uploads untouched for ``upload_expiry_hours``: failed, their chunks deleted.

    Uploads waiting for the store are complete files, never expired.
    """
    cutoff = _cutoff(ctx, now)
    with reading(ctx.catalog) as session:
        stale = list(session.scalars(select(Upload).where(
            Upload.state == UploadState.RECEIVING, Upload.updated_at < cutoff)))
    expired = 0
    for upload in stale:
        with _exclusive(part_path(ctx, upload)), ctx.catalog.write() as session:
            changed = session.execute(update(Upload).where(
                Upload.id == upload.id, Upload.state == UploadState.RECEIVING,
                Upload.updated_at < cutoff,
            ).values(state=UploadState.FAILED,
                     error=EXPIRED.format(hours=ctx.settings.upload_expiry_hours)))
        if changed.rowcount:
            shutil.rmtree(part_path(ctx, upload).parent, ignore_errors=True)
            if upload_parts.chunks_in_store(ctx):
                upload_parts.discard_parts(ctx, upload.id)
            _forget(upload.id)
            expired += 1
    return expired


def tidy_store_parts(ctx: Context, now: dt.datetime) -> int:
    """Chunks kept in the object store: assemblies of dead nodes handed back, orphans removed."""
    if not upload_parts.chunks_in_store(ctx):
        return 0
    upload_parts.release_stale_assemblies(ctx, now)
    try:
        return upload_parts.remove_orphan_parts(
            ctx, now, dt.timedelta(hours=ctx.settings.upload_expiry_hours))
    except (OSError, StoreUnavailableError) as exc:
        log.warning("housekeeping: upload parts not tidied: %s", exc)
        return 0


def remove_orphans(ctx: Context, now: dt.datetime) -> int:
    """Folders of the uploads folder that no unfinished upload owns, once older than the expiry.

    (Left by a process killed while creating an upload, or by a row removed by hand.)
    """
    root = uploads_dir(ctx)
    if not root.is_dir():
        return 0
    oldest = now.timestamp() - ctx.settings.upload_expiry_hours * 3600
    candidates = [p for p in root.iterdir() if _older(p, oldest)]
    if not candidates:
        return 0
    with ctx.catalog.read() as session:
        kept = set(session.scalars(select(Upload.id).where(
            Upload.id.in_([p.name for p in candidates]),
            Upload.state.in_((UploadState.RECEIVING, UploadState.WAITING_STORE)))))
    removed = 0
    for path in candidates:
        if path.name not in kept:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed


def _older(path: Path, limit: float) -> bool:
    try:
        return path.lstat().st_mtime < limit
    except FileNotFoundError:
        return False


def retry_waiting(ctx: Context) -> tuple[int, int]:
    """Take in the uploads that waited for the store; stop at the first the store refuses.

    Returns (taken in, still waiting). Only files on this node are tried: with several
    nodes on one catalog, each takes in its own.
    """
    with reading(ctx.catalog) as session:
        waiting = list(session.scalars(select(Upload).where(
            Upload.state == UploadState.WAITING_STORE).order_by(Upload.updated_at)))
    taken = 0
    for number, upload in enumerate(waiting):
        path = part_path(ctx, upload)
        with _exclusive(path) as present:
            if not present or _stored_state(ctx, upload.id)[0] != UploadState.WAITING_STORE:
                continue  # another node's file, or another process took it in
            assert upload.sha256 is not None
            if not take_in(ctx, upload, path, upload.sha256, upload.byte_size):
                return taken, len(waiting) - number  # the store is still away: next pass
            taken += 1
    return taken, 0


class Housekeeper:
    """A daemon thread running :func:`run_housekeeping` every ``interval`` seconds."""

    def __init__(self, ctx: Context, interval: float = HOUSEKEEPING_SECONDS) -> None:
        self.ctx, self.interval = ctx, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            started = time.monotonic()
            try:
                run_housekeeping(self.ctx)
            except Exception:  # the catalog or disk may be away: log, and try at the next pass
                log.exception("housekeeping failed")
            log.debug("housekeeping took %.1f s", time.monotonic() - started)


@click.command("housekeeping")
@click.pass_context
def housekeeping(ctx: click.Context) -> None:
    """Remove abandoned uploads and take in uploads that waited for the object store."""
    from dam.cli import get_context

    report = run_housekeeping(get_context(ctx))
    click.echo(f"expired uploads removed: {report.expired}; orphan folders removed: "
               f"{report.orphans}; taken in: {report.taken_in}; still waiting for the store: "
               f"{report.waiting}; purged from the trash: {report.purged}")
