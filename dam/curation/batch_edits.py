"""Batch edits: one change applied to hundreds or thousands of assets at once, and its undo.

A batch edit is all or nothing: every asset is loaded and checked before anything changes, and
the caller's transaction holds it all. Its audit entries keep the old values, which is what the
undo restores (except fields changed again since, which are left as they are and reported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import changes
from dam.curation.actor import Actor
from dam.curation.edit_fields import (
    EditError,
    FieldSpec,
    Kind,
    clean_value,
    current_value,
    fold,
    from_plain,
    plain,
    spec_of,
    vocabulary_codes,
)
from dam.curation.edits import EditForbiddenError, apply_value, can_edit
from dam.curation.templates import expand_codes, fill_template, template_variables
from dam.enums import Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, AuditEntry, Batch, BatchEdit, utcnow

CHUNK = 500
MAX_ASSETS = 20_000
LIST_OPS = ("set", "add", "remove", "clear")
SCALAR_OPS = ("set", "clear")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")


class UndoError(DamError):
    """A batch edit that cannot be undone (already undone)."""


@dataclass(frozen=True)
class Operation:
    name: str
    op: str
    value: Any
    spec: FieldSpec


@dataclass
class UndoReport:
    batch_edit: BatchEdit
    restored: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (asset, field) edited since


def spanish_date(day: dt.date) -> str:
    """``3 de marzo de 2025``."""
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def _operation(raw: Any, codes: Mapping[str, str]) -> Operation:
    if not isinstance(raw, Mapping):
        raise EditError("each operation is an object with field, op and value")
    spec, op = spec_of(raw.get("field")), raw.get("op")
    allowed = LIST_OPS if spec.kind is Kind.LIST else SCALAR_OPS
    if op == "template" and spec.templated:
        body = raw.get("value")
        if not isinstance(body, str) or not body.strip():
            raise EditError("a template needs its text")
        template_variables(body)
        return Operation(spec.name, op, expand_codes(body, codes), spec)
    if op not in allowed:
        raise EditError(f"{spec.name}: operation {op!r} is not one of {', '.join(allowed)}")
    value = None if op == "clear" else clean_value(spec, raw.get("value"), codes)
    return Operation(spec.name, op, value, spec)


def parse_operations(session: Session, raw: Any) -> list[Operation]:
    if not isinstance(raw, list) or not raw:
        raise EditError("a batch edit needs at least one operation")
    codes = vocabulary_codes(session)
    return [_operation(item, codes) for item in raw]


def template_values(asset: Asset, batch: Batch | None) -> dict[str, str | None]:
    """The variables of a caption template, from one asset (and its batch's event date)."""
    day = (asset.taken_at.date() if asset.taken_at else None) or (
        batch.event_date if batch else None) or (asset.created_at or utcnow()).date()
    place = ", ".join(p for p in (asset.sublocation, asset.city) if p)
    return {"evento": asset.event, "fecha": spanish_date(day), "lugar": place,
            "fotografo": asset.creator, "area": asset.area, "colonia": asset.sublocation,
            "persona": ", ".join(asset.persons_shown or []), "año": str(day.year)}


def _new_value(op: Operation, asset: Asset, batch: Batch | None) -> Any:
    if op.op == "clear":
        return clean_value(op.spec, None)
    if op.op == "template":
        return clean_value(op.spec, fill_template(op.value, template_values(asset, batch)))
    if op.op in ("set",):
        return op.value
    current = current_value(asset, op.name)
    if op.op == "add":
        return clean_value(op.spec, current + op.value)
    drop = {fold(v) for v in op.value}
    return [v for v in current if fold(v) not in drop]


def _unique_ids(asset_ids: Iterable[Any]) -> list[int]:
    ids: dict[int, None] = {}
    for raw in asset_ids:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise EditError(f"{raw!r} is not an asset id")
        try:
            ids[int(raw)] = None
        except ValueError as exc:
            raise EditError(f"{raw!r} is not an asset id") from exc
    if not ids:
        raise EditError("no assets selected")
    if len(ids) > MAX_ASSETS:
        raise EditError(f"at most {MAX_ASSETS:,} assets at once")
    return list(ids)


def _locked(session: Session, ids: Sequence[int]) -> dict[int, Asset]:
    """The assets, locked for this transaction, loaded a chunk of ids at a time."""
    assets: dict[int, Asset] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(Asset).where(Asset.id.in_(ids[start : start + CHUNK])).with_for_update()
        assets.update((a.id, a) for a in session.scalars(query))
    return assets


def _load(session: Session, actor: Actor, ids: Sequence[int]) -> tuple[list[Asset], dict]:
    """Every asset (locked) and its batch, refusing the lot if one is missing or not editable."""
    assets = _locked(session, ids)
    missing = [i for i in ids if i not in assets]
    if missing:
        raise NotFoundError(f"asset(s) {', '.join(map(str, missing[:10]))} do not exist")
    batch_ids = sorted({a.batch_id for a in assets.values() if a.batch_id is not None})
    batches: dict[int, Batch] = {}
    for start in range(0, len(batch_ids), CHUNK):
        chunk = batch_ids[start : start + CHUNK]
        batches.update((b.id, b) for b in session.scalars(select(Batch).where(Batch.id.in_(chunk))))
    for asset in assets.values():
        batch = batches.get(asset.batch_id) if asset.batch_id else None
        if not can_edit(actor, batch.user_id if batch else None):
            raise EditForbiddenError(asset.id)
    return [assets[i] for i in ids], batches


def batch_edit(
    session: Session, actor: Actor, asset_ids: Iterable[Any], operations: Any
) -> BatchEdit:
    """Apply ``operations`` to every asset, or (on any refusal) to none: see the module doc.

    Operations: ``{"field": "keywords", "op": "add", "value": ["mercado"]}`` (ops set, add,
    remove, clear for lists; set, clear for the rest) and ``{"field": "caption", "op":
    "template", "value": "{fotografo} / {evento}, {fecha}."}``, filled per asset.
    """
    ops = parse_operations(session, operations)
    ids = _unique_ids(asset_ids)
    assets, batches = _load(session, actor, ids)
    edit = BatchEdit(user_id=actor.user_id, asset_count=len(assets),
                     operations=[{"field": o.name, "op": o.op, "value": plain(o.value)}
                                 for o in ops])
    session.add(edit)
    session.flush()
    changes.record(session, ids, "updated")  # one statement for all (apply_value's are no-ops)
    for asset in assets:
        batch = batches.get(asset.batch_id) if asset.batch_id else None
        changed = False
        for op in ops:
            value = _new_value(op, asset, batch)
            changed |= apply_value(session, actor, asset, op.name, value, batch_edit_id=edit.id)
        if changed:
            asset.edit_version += 1
    return edit


def may_see_batch_edit(actor: Actor, edit: BatchEdit) -> bool:
    """Editors see (and undo) every batch edit; others only their own."""
    return actor.at_least(Role.EDITOR) or (edit.user_id is not None
                                           and edit.user_id == actor.user_id)


def last_batch_edit(session: Session, actor: Actor) -> BatchEdit | None:
    """The actor's latest batch edit that is not undone (for an "undo" button)."""
    if actor.user_id is None:
        return None
    return session.scalars(
        select(BatchEdit).where(BatchEdit.user_id == actor.user_id, BatchEdit.undone_at.is_(None))
        .order_by(BatchEdit.id.desc()).limit(1)
    ).first()


def _touched_since(session: Session, asset_ids: Sequence[int], after_id: int) -> set[tuple]:
    touched: set[tuple[int, str]] = set()
    for start in range(0, len(asset_ids), CHUNK):
        rows = session.execute(
            select(AuditEntry.asset_id, AuditEntry.field).where(
                AuditEntry.asset_id.in_(asset_ids[start : start + CHUNK]),
                AuditEntry.id > after_id, AuditEntry.field.is_not(None),
            )
        )
        touched.update((a, f) for a, f in rows)
    return touched


def undo_batch_edit(session: Session, actor: Actor, batch_edit_id: int) -> UndoReport:
    """Restore the values a batch edit replaced, except where they were changed again since."""
    edit = session.get(BatchEdit, batch_edit_id, with_for_update=True)
    # Another photographer's edit is "not found", as its page is: its id tells nothing.
    if edit is None or not may_see_batch_edit(actor, edit):
        raise NotFoundError(f"batch edit {batch_edit_id} does not exist")
    if edit.undone_at is not None:
        raise UndoError(f"batch edit {batch_edit_id} was already undone")
    entries = list(session.scalars(
        select(AuditEntry).where(AuditEntry.batch_edit_id == edit.id, AuditEntry.action == "edit")
        .order_by(AuditEntry.id)))
    asset_ids = sorted({e.asset_id for e in entries if e.asset_id is not None})
    touched = _touched_since(session, asset_ids, max((e.id for e in entries), default=0))
    assets = _locked(session, asset_ids)
    changes.record(session, list(assets), "updated")
    report = UndoReport(edit)
    bumped: set[int] = set()
    for entry in reversed(entries):
        asset, spec = assets.get(entry.asset_id), spec_of(entry.field)
        if asset is None:
            continue
        if (asset.id, spec.name) in touched or plain(current_value(asset, spec.name)) != \
                entry.new_value:
            report.skipped.append((asset.id, spec.name))
            continue
        if apply_value(session, actor, asset, spec.name, from_plain(spec, entry.old_value),
                       action="undo", batch_edit_id=edit.id):
            report.restored += 1
            bumped.add(asset.id)
    for asset_id in bumped:
        assets[asset_id].edit_version += 1
    edit.undone_at, edit.undone_by = utcnow(), actor.user_id
    return report
