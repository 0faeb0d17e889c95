"""The bitácora: an append-only log of who changed what, and every download of an original.

Services call :func:`record` in the same transaction as the change, so a change and its entry
land together or not at all. The ORM refuses to update or delete entries (and the database's
triggers refuse it in SQL, migration 0005).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from dam.curation.actor import Actor
from dam.errors import DamError
from dam.models import AuditEntry


class AuditLogError(DamError):
    """Something tried to change or remove an entry of the append-only log."""


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_the_log(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditLogError("the audit log is append-only: entries cannot change")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value  # enums
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    asset_id: int | None = None,
    collection_id: int | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    batch_edit_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Append one entry (flushed with the caller's transaction)."""
    entry = AuditEntry(
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        asset_id=asset_id,
        collection_id=collection_id,
        field=field,
        old_value=_jsonable(old),
        new_value=_jsonable(new),
        batch_edit_id=batch_edit_id,
        detail=detail,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class LogFilter:
    """What an admin searches the log by; every part is optional."""

    asset_id: int | None = None
    collection_id: int | None = None
    username: str | None = None
    action: str | None = None
    field: str | None = None
    text: str | None = None  # found in the old or new value, or the detail
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _filtered(query: Select[tuple[AuditEntry]], f: LogFilter) -> Select[tuple[AuditEntry]]:
    if f.asset_id is not None:
        query = query.where(AuditEntry.asset_id == f.asset_id)
    if f.collection_id is not None:
        query = query.where(AuditEntry.collection_id == f.collection_id)
    if f.username:
        query = query.where(AuditEntry.username == f.username)
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.field:
        query = query.where(AuditEntry.field == f.field)
    if f.since:
        query = query.where(AuditEntry.at >= f.since)
    if f.until:
        query = query.where(AuditEntry.at < f.until)
    return query


def _matches_text(entry: AuditEntry, text: str) -> bool:
    needle = text.casefold()
    haystack = " ".join(
        str(v) for v in (entry.old_value, entry.new_value, entry.detail) if v is not None
    )
    return needle in haystack.casefold()


def search_log(
    session: Session, f: LogFilter, *, before_id: int | None = None, limit: int = 100
) -> Sequence[AuditEntry]:
    """Entries newest first, paged by id (``before_id``: the last id of the previous page)."""
    query = _filtered(select(AuditEntry), f).order_by(AuditEntry.id.desc())
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if not f.text:
        return session.scalars(query.limit(limit)).all()
    found: list[AuditEntry] = []
    for chunk_start in range(0, 50 * limit, 10 * limit):  # bounded scan for a text search
        rows = session.scalars(query.offset(chunk_start).limit(10 * limit)).all()
        found += [e for e in rows if _matches_text(e, f.text)]
        if len(found) >= limit or len(rows) < 10 * limit:
            break
    return found[:limit]


def asset_history(session: Session, asset_id: int, limit: int = 200) -> Sequence[AuditEntry]:
    """One asset's history, newest first."""
    return search_log(session, LogFilter(asset_id=asset_id), limit=limit)
