"""The trash (papelera): assets editors removed, hidden everywhere, restorable for a while.

Moving to the trash only stamps ``Asset.trashed_at``: every list, search, public page and export
leaves such assets out (see :func:`not_trashed`), and an editor can restore them unchanged for
``trash_days``. After that the node's housekeeping purges them (:func:`purge_due`): catalog rows
and store files go through dam.curation.removal. Every step is in the bitácora.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dam import changes
from dam.curation import audit
from dam.curation.actor import SYSTEM, Actor
from dam.curation.removal import Removal, delete_asset_rows, delete_keys, store_keys_of
from dam.curation.rights import as_utc, chunks
from dam.db import Catalog
from dam.enums import Role
from dam.errors import DamError
from dam.models import Asset, AuditEntry, utcnow
from storage import ObjectStore

log = logging.getLogger(__name__)

PURGE_PAGE = 200  # assets purged per transaction


class TrashError(DamError):
    """A trash operation that is not allowed (role) or makes no sense (nothing to do)."""


def not_trashed() -> ColumnElement[bool]:
    """A condition on Asset: not in the trash. Every listing of assets includes it."""
    return Asset.trashed_at.is_(None)


@dataclass
class TrashResult:
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # already there, or not found


def _require(actor: Actor, role: Role, what: str) -> None:
    if not actor.at_least(role):
        raise TrashError(f"only {role.value}s and up may {what}")


def trash_assets(session: Session, actor: Actor, asset_ids: Sequence[int],
                 now: dt.datetime | None = None) -> TrashResult:
    """Move the assets to the trash (editors and up); one bitácora entry per asset."""
    _require(actor, Role.EDITOR, "move material to the trash")
    now = now or utcnow()
    result = TrashResult()
    wanted = list(dict.fromkeys(asset_ids))
    for part in chunks(wanted):
        found = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(part)))}
        for asset_id in part:
            asset = found.get(asset_id)
            if asset is None or asset.trashed_at is not None:
                result.skipped.append(asset_id)
                continue
            asset.trashed_at, asset.trashed_by = now, actor.user_id
            changes.record(session, [asset_id], "updated")
            audit.record(session, actor, "trash", asset_id=asset_id, field="trashed_at",
                         new=now)
            result.changed.append(asset_id)
    return result


def restore_assets(session: Session, actor: Actor, asset_ids: Sequence[int]) -> TrashResult:
    """Bring the assets back from the trash, as they were (editors and up)."""
    _require(actor, Role.EDITOR, "restore material from the trash")
    result = TrashResult()
    for part in chunks(list(dict.fromkeys(asset_ids))):
        found = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(part)))}
        for asset_id in part:
            asset = found.get(asset_id)
            if asset is None or asset.trashed_at is None:
                result.skipped.append(asset_id)
                continue
            old = asset.trashed_at
            asset.trashed_at, asset.trashed_by = None, None
            changes.record(session, [asset_id], "updated")
            audit.record(session, actor, "restore", asset_id=asset_id, field="trashed_at",
                         old=old)
            result.changed.append(asset_id)
    return result


@dataclass(frozen=True)
class TrashedItem:
    """An asset in the trash, as the Papelera lists it."""

    asset_id: int
    title: str
    media_type: str
    trashed_at: dt.datetime
    trashed_by: str | None  # the name in the bitácora
    purge_on: dt.datetime

    def days_left(self, now: dt.datetime) -> int:
        seconds = (self.purge_on - as_utc(now)).total_seconds()  # type: ignore[operator]
        return max(0, int(-(-seconds // 86_400)))


def list_trash(session: Session, trash_days: int, *, limit: int = 200, offset: int = 0
               ) -> tuple[list[TrashedItem], int]:
    """(the trash, most recently trashed first; how many are in it)."""
    total = session.scalar(select(func.count()).select_from(Asset).where(
        Asset.trashed_at.is_not(None))) or 0
    # Who moved it, as the bitácora names them (also the shell's "shell:<login>", and an
    # account since removed).
    who = (select(AuditEntry.username)
           .where(AuditEntry.asset_id == Asset.id, AuditEntry.action == "trash")
           .order_by(AuditEntry.id.desc()).limit(1).correlate(Asset).scalar_subquery())
    rows = session.execute(
        select(Asset.id, Asset.headline, Asset.original_filename, Asset.media_type,
               Asset.trashed_at, who)
        .where(Asset.trashed_at.is_not(None))
        .order_by(Asset.trashed_at.desc(), Asset.id.desc()).limit(limit).offset(offset)).all()
    items = []
    for asset_id, headline, filename, media, at, who in rows:
        at = as_utc(at)
        items.append(TrashedItem(asset_id, headline or filename, str(media.value), at, who,
                                 at + dt.timedelta(days=trash_days)))
    return items, total


@dataclass
class PurgeReport:
    purged: list[int] = field(default_factory=list)
    removal: Removal = field(default_factory=Removal)


def purge_assets(catalog: Catalog, stores: Sequence[ObjectStore], actor: Actor,
                 asset_ids: Sequence[int], *, detail: str,
                 due_before: dt.datetime | None = None) -> PurgeReport:
    """Delete trashed assets for good: rows first (one transaction), then their files.

    Only assets still in the trash (and, with ``due_before``, trashed before it) go: one
    restored meanwhile stays. A file another asset still uses stays in the store.
    """
    report = PurgeReport()
    keys: list[str] = []
    with catalog.write() as session:
        query = select(Asset).where(Asset.id.in_(list(asset_ids)), Asset.trashed_at.is_not(None))
        if due_before is not None:
            query = query.where(Asset.trashed_at <= due_before)
        assets = list(session.scalars(query))
        for asset in assets:
            keys.extend(store_keys_of(session, stores[0], asset))
            audit.record(session, actor, "purge", asset_id=asset.id, detail=detail)
        delete_asset_rows(session, [a.id for a in assets])
        report.purged = [a.id for a in assets]
    if keys:
        report.removal = delete_keys(catalog, stores, list(dict.fromkeys(keys)))
    if report.purged:
        log.info("trash: purged %d asset(s) (%s); %d file(s) deleted, %d kept",
                 len(report.purged), detail, len(report.removal.deleted),
                 len(report.removal.kept))
    return report


def empty_trash(catalog: Catalog, stores: Sequence[ObjectStore], actor: Actor,
                asset_ids: Sequence[int] | None = None) -> PurgeReport:
    """An admin purges the trash now (all of it, or the given assets of it)."""
    _require(actor, Role.ADMIN, "empty the trash")
    if asset_ids is None:
        with catalog.read() as session:
            asset_ids = list(session.scalars(select(Asset.id).where(
                Asset.trashed_at.is_not(None))))
    report = PurgeReport()
    for part in chunks(list(asset_ids), PURGE_PAGE):
        done = purge_assets(catalog, stores, actor, part, detail="emptied from the trash")
        report.purged += done.purged
        _merge(report.removal, done.removal)
    return report


def purge_due(catalog: Catalog, stores: Sequence[ObjectStore], trash_days: int,
              now: dt.datetime | None = None) -> PurgeReport:
    """Housekeeping: purge what has been in the trash longer than ``trash_days``."""
    cutoff = (now or utcnow()) - dt.timedelta(days=trash_days)
    report = PurgeReport()
    while True:
        with catalog.read() as session:
            due = list(session.scalars(select(Asset.id).where(Asset.trashed_at <= cutoff)
                                       .order_by(Asset.id).limit(PURGE_PAGE)))
        if not due:
            return report
        done = purge_assets(catalog, stores, SYSTEM, due, due_before=cutoff,
                            detail=f"after {trash_days} days in the trash")
        report.purged += done.purged
        _merge(report.removal, done.removal)
        if not done.purged:
            return report


def _merge(into: Removal, more: Removal) -> None:
    into.deleted += more.deleted
    into.kept += more.kept
    into.failed += more.failed
