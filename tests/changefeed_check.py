"""The test suite's check that every write path records its changes in the change feed.

Production has no hook on the ORM session: the services that change an asset call
``dam.changes.record`` in the transaction of the change. Here, in the tests only, every
transaction is watched: what it changes of an asset (a followed column, a new or removed asset, a
rendition, a file version, a column of the asset's batch, or the same through a bulk statement)
must be recorded for that asset before it commits, or the commit fails with the list of what was
forgotten. A failure is also kept in ``VIOLATIONS``, so a test fails even where the code under
test swallows the error (tests/conftest.py checks it after every test).
"""

from __future__ import annotations

import os
import traceback
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from dam import changes
from dam.models import Asset, AssetVersion, Batch, Rendition

_REQUIRED = "tests.changefeed.required"
_ABOVE = "tests.changefeed.above"  # (transaction, lowest id an asset bulk insert started above)
#: Batch columns nobody inherits or keeps: the uploading account (accounts are not in the store).
UNFOLLOWED_BATCH_COLUMNS = frozenset({"id", "user_id"})
VIOLATIONS: list[str] = []
_LOG: list[str] = []  # in a child process: the file its violations are appended to
SEPARATOR = "-" * 40
#: Put on PYTHONPATH, this folder's sitecustomize installs the check in child processes.
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "changefeed_site")


def _required(session: Session) -> dict[int, str]:
    """Asset id -> why it must be recorded, for this session's current transaction."""
    return changes.transaction_memory(session, _REQUIRED)


def _bulk_inserted_above(session: Session, highest: int) -> None:
    transaction = session.get_transaction()
    held = session.info.get(_ABOVE)
    if held is not None and held[0]() is transaction:
        highest = min(highest, held[1])
    session.info[_ABOVE] = (weakref.ref(transaction), highest)


def _changed(obj: Any) -> set[str]:
    state = inspect(obj)
    names = [attr.key for attr in state.mapper.column_attrs]
    return {name for name in names if state.attrs[name].history.has_changes()}


def _batch_assets(session: Session, batch_ids: Iterable[int]) -> list[int]:
    ids = list(batch_ids)
    if not ids:
        return []
    with session.no_autoflush:
        return list(session.scalars(select(Asset.id).where(Asset.batch_id.in_(ids))))


def _need(session: Session, asset_ids: Iterable[int | None], why: str) -> None:
    required = _required(session)
    for asset_id in asset_ids:
        if asset_id is not None:
            required.setdefault(int(asset_id), why)


def _after_flush(session: Session, _context: Any) -> None:
    batches: dict[int, str] = {}
    for obj in session.new:
        if isinstance(obj, Asset):
            _need(session, [obj.id], "new asset")
        elif isinstance(obj, Rendition | AssetVersion):
            _need(session, [obj.asset_id], f"new {type(obj).__name__}")
    for obj in session.dirty:
        if isinstance(obj, Asset):
            followed = _changed(obj) - changes.UNFOLLOWED_COLUMNS
            if followed:
                _need(session, [obj.id], "changed " + ", ".join(sorted(followed)))
        elif isinstance(obj, Rendition | AssetVersion) and _changed(obj):
            _need(session, [obj.asset_id], f"changed {type(obj).__name__}")
        elif isinstance(obj, Batch):
            followed = _changed(obj) - UNFOLLOWED_BATCH_COLUMNS
            if followed:
                batches[obj.id] = "changed its batch's " + ", ".join(sorted(followed))
    for obj in session.deleted:
        if isinstance(obj, Asset):
            _need(session, [obj.id], "deleted asset")
        elif isinstance(obj, Rendition | AssetVersion):
            _need(session, [obj.asset_id], f"deleted {type(obj).__name__}")
    for batch_id, why in batches.items():
        _need(session, _batch_assets(session, [batch_id]), why)


def _param_rows(state: ORMExecuteState) -> list[Mapping[str, Any]]:
    params = state.parameters
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [params]
    return list(params)


def _values(statement: Any) -> set[str]:
    values = getattr(statement, "_values", None) or {}
    names = set()
    for key in values:
        names.add(getattr(key, "key", None) or getattr(key, "name", None) or str(key))
    return names


def _matched(session: Session, column: Any, statement: Any) -> list[int]:
    where = statement.whereclause
    query = select(column) if where is None else select(column).where(where)
    with session.no_autoflush:
        return list(session.scalars(query))


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in ("assets", "renditions", "asset_versions", "batches"):
        return
    session, rows = state.session, _param_rows(state)
    verb = "insert" if state.is_insert else "update" if state.is_update else "delete"
    why = f"bulk {verb} of {name}"
    if name == "batches":
        columns = _values(statement) | {k for row in rows for k in row}
        if state.is_update and columns - UNFOLLOWED_BATCH_COLUMNS:
            ids = [r["id"] for r in rows if "id" in r] or _matched(session, Batch.id, statement)
            _need(session, _batch_assets(session, ids), why)
        return
    key = "id" if name == "assets" else "asset_id"
    if state.is_update and name == "assets":
        columns = _values(statement) | {k for row in rows for k in row}
        if not columns - changes.UNFOLLOWED_COLUMNS - {"id"}:
            return
    if rows and all(key in r for r in rows):
        _need(session, [r[key] for r in rows], why)
    elif state.is_insert:  # assets numbered by the database: every id above today's highest
        with session.no_autoflush:
            highest = session.scalar(select(func.coalesce(func.max(Asset.id), 0)))
        _bulk_inserted_above(session, int(highest or 0))
    else:
        column = Asset.id if name == "assets" else table.c.asset_id  # type: ignore[union-attr]
        _need(session, _matched(session, column, statement), why)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction is checked when it commits
    session.flush()
    required = _required(session)
    held = session.info.get(_ABOVE)
    if held is not None and held[0]() is session.get_transaction():
        _need(session, session.scalars(select(Asset.id).where(Asset.id > held[1])),
              "bulk insert of assets")
    done = changes.recorded(session)
    missing = {a: why for a, why in required.items() if a not in done}
    if not missing:
        return
    where = "".join(traceback.format_stack(limit=14)[:-2])
    message = ("a transaction changed assets without recording them in the change feed "
               "(dam.changes.record): "
               + "; ".join(f"asset {a}: {why}" for a, why in sorted(missing.items()))
               + "\n" + where)
    VIOLATIONS.append(message)
    if _LOG:
        with open(_LOG[0], "a", encoding="utf-8") as log:
            log.write(f"(in process {os.getpid()}) {message}\n{SEPARATOR}\n")
    raise AssertionError(message)


def install(log: str | None = None) -> None:
    """Watch every ORM session of this process (once); a child process also writes what it
    catches to ``log`` (its parent's test reads it)."""
    if log:
        _LOG[:] = [log]
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "before_commit", _before_commit)


def record_fixture_writes(session: Session) -> None:
    """For test fixtures that write assets directly (not through a service): record in the
    change feed what this transaction changed so far, as a service would have."""
    session.flush()
    done = changes.recorded(session)
    held = session.info.get(_ABOVE)
    if held is not None and held[0]() is session.get_transaction():
        _need(session, session.scalars(select(Asset.id).where(Asset.id > held[1])),
              "bulk insert of assets")
    missing = {a: why for a, why in _required(session).items() if a not in done}
    created = [a for a, why in missing.items() if why in ("new asset", "bulk insert of assets")]
    changes.record(session, created, "created")
    changes.record(session, [a for a in missing if a not in created], "updated")
