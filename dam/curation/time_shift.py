"""Capture time correction for a batch: the camera's clock was wrong, or in another time zone.

Every dated asset of the batch moves by the same amount, given as an offset or as "this photo
was taken at ...". :func:`plan_shift` previews it without changing anything; :func:`apply_shift`
changes ``taken_at`` (a wall-clock time) and logs one ``time_shift`` entry for the whole
correction plus one per asset with its old and new value, which :func:`undo_shift` restores
(except for assets whose time was changed again since, left as they are and reported).
The correction marks ``taken_at`` as edited, so processing a file again keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import changes
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.edits import can_edit
from dam.errors import DamError, NotFoundError
from dam.models import Asset, AuditEntry, Batch

ACTION = "time_shift"
UNDO = "time_shift_undo"
MAX_SHIFT = dt.timedelta(days=3660)  # a camera set ten years off is the most we believe
FIELD = "taken_at"


class TimeShiftError(DamError):
    """A correction that cannot be made or undone (the message says why)."""


@dataclass(frozen=True)
class ShiftedAsset:
    asset_id: int
    old: dt.datetime
    new: dt.datetime


@dataclass(frozen=True)
class ShiftPlan:
    batch_id: int
    delta: dt.timedelta
    items: list[ShiftedAsset]
    undated: int  # assets of the batch without a capture time: left alone


@dataclass
class UndoReport:
    restored: int = 0
    skipped: list[int] = field(default_factory=list)  # changed again since: left as they are


def _batch(session: Session, actor: Actor, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None or not can_edit(actor, batch.user_id):
        raise NotFoundError(f"batch {batch_id} does not exist")
    return batch


def delta_to(session: Session, batch_id: int, asset_id: int, taken: dt.datetime
             ) -> dt.timedelta:
    """The shift that makes ``asset_id`` (of the batch) read ``taken``."""
    asset = session.get(Asset, asset_id)
    if asset is None or asset.batch_id != batch_id:
        raise NotFoundError(f"asset {asset_id} is not in batch {batch_id}")
    if asset.taken_at is None:
        raise TimeShiftError(f"asset {asset_id} has no capture time to correct from")
    return taken.replace(tzinfo=None) - asset.taken_at.replace(tzinfo=None)


def plan_shift(session: Session, actor: Actor, batch_id: int, delta: dt.timedelta) -> ShiftPlan:
    """What a shift of ``delta`` would do to the batch (nothing changes)."""
    _batch(session, actor, batch_id)
    if abs(delta) > MAX_SHIFT:
        raise TimeShiftError("the correction is too large (more than ten years)")
    assets = session.scalars(select(Asset).where(Asset.batch_id == batch_id)
                             .order_by(Asset.taken_at, Asset.id)).all()
    items = [ShiftedAsset(a.id, a.taken_at, a.taken_at + delta) for a in assets
             if a.taken_at is not None]
    return ShiftPlan(batch_id, delta, items, len(assets) - len(items))


def apply_shift(session: Session, actor: Actor, batch_id: int, delta: dt.timedelta) -> int:
    """Shift every dated asset of the batch; returns the id of the correction (for undo)."""
    plan = plan_shift(session, actor, batch_id, delta)
    if not plan.items or not delta:
        raise TimeShiftError("nothing to correct: no dated material, or no shift")
    summary = audit.record(session, actor, ACTION, detail=f"batch {batch_id}",
                           new={"batch_id": batch_id, "seconds": int(delta.total_seconds()),
                                "asset_ids": [i.asset_id for i in plan.items]})
    session.flush()
    assets = {a.id: a for a in session.scalars(select(Asset).where(
        Asset.id.in_([i.asset_id for i in plan.items])).with_for_update())}
    changes.record(session, list(assets), "updated")
    for item in plan.items:
        asset = assets[item.asset_id]
        asset.taken_at = item.new
        if FIELD not in (asset.edited_fields or []):
            asset.edited_fields = [*(asset.edited_fields or []), FIELD]
        asset.edit_version += 1
        audit.record(session, actor, ACTION, asset_id=asset.id, field=FIELD, old=item.old,
                     new=item.new, detail=f"{ACTION}:{summary.id}")
    return summary.id


def _entries(session: Session, action: str, shift_id: int) -> Sequence[AuditEntry]:
    return session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.detail == f"{ACTION}:{shift_id}")
        .order_by(AuditEntry.id)).all()


def shift_summary(session: Session, actor: Actor, shift_id: int) -> AuditEntry:
    entry = session.get(AuditEntry, shift_id)
    if entry is None or entry.action != ACTION or entry.asset_id is not None:
        raise NotFoundError(f"time correction {shift_id} does not exist")
    _batch(session, actor, int((entry.new_value or {}).get("batch_id", 0)))
    return entry


def is_undone(session: Session, shift_id: int) -> bool:
    return session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == UNDO, AuditEntry.asset_id.is_(None),
        AuditEntry.detail == f"{ACTION}:{shift_id}")) is not None


def undo_shift(session: Session, actor: Actor, shift_id: int) -> UndoReport:
    """Put back the times a correction replaced, except those changed again since."""
    summary = shift_summary(session, actor, shift_id)
    if is_undone(session, shift_id):
        raise TimeShiftError(f"time correction {shift_id} was already undone")
    report = UndoReport()
    entries = _entries(session, ACTION, shift_id)
    assets = {a.id: a for a in session.scalars(select(Asset).where(
        Asset.id.in_([e.asset_id for e in entries])).with_for_update())}
    for entry in entries:
        asset = assets.get(entry.asset_id)  # type: ignore[arg-type]
        if asset is None or asset.taken_at is None or \
                asset.taken_at.isoformat() != entry.new_value:
            report.skipped.append(entry.asset_id)  # type: ignore[arg-type]
            continue
        old = dt.datetime.fromisoformat(entry.old_value)
        audit.record(session, actor, UNDO, asset_id=asset.id, field=FIELD, old=asset.taken_at,
                     new=old, detail=f"{ACTION}:{shift_id}")
        asset.taken_at = old
        asset.edit_version += 1
        changes.record(session, [asset.id], "updated")
        report.restored += 1
    audit.record(session, actor, UNDO, detail=f"{ACTION}:{shift_id}",
                 new={"batch_id": (summary.new_value or {}).get("batch_id"),
                      "restored": report.restored, "skipped": report.skipped})
    return report
