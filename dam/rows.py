"""Catalog rows as plain JSON and back, column by column: for handovers, backups and rebuilds."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Date, DateTime, Enum, Table, func, insert, select, text
from sqlalchemy.orm import Session

from dam.models import Base

#: Rows read or written per statement.
PAGE = 500


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def jsonable(value: Any) -> Any:
    """A column value as JSON carries it (dates in ISO 8601, enums by value)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def row_dict(tbl: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of ``row`` by name, JSON-ready."""
    return {c.name: jsonable(row[c.name]) for c in tbl.columns}


def from_json(tbl: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON row back in the column types (unknown keys are dropped)."""
    out: dict[str, Any] = {}
    for column in tbl.columns:
        if column.name not in data:
            continue
        value = data[column.name]
        if value is not None and isinstance(value, str):
            if isinstance(column.type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = dt.date.fromisoformat(value)
            elif isinstance(column.type, Enum) and column.type.enum_class is not None:
                value = column.type.enum_class(value)
        out[column.name] = value
    return out


def _chunks(ids: Sequence[int], size: int = PAGE) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def dump_rows(session: Session, name: str, *, column: str | None = None,
              ids: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of table ``name`` (those whose ``column`` is in ``ids`` when given), by primary key."""
    tbl = table(name)
    key = next(iter(tbl.primary_key.columns))
    if column is None or ids is None:
        last: Any = None
        while True:
            query = select(tbl).order_by(key).limit(PAGE)
            if last is not None:
                query = query.where(key > last)
            page = [row_dict(tbl, r._mapping) for r in session.execute(query)]
            if not page:
                return
            yield from page
            last = page[-1][key.name]
    for chunk in _chunks(sorted(set(ids))):
        query = select(tbl).where(tbl.c[column].in_(chunk)).order_by(key)
        for r in session.execute(query):
            yield row_dict(tbl, r._mapping)


def insert_rows(session: Session, name: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert JSON rows into table ``name`` keeping their ids; returns how many."""
    tbl = table(name)
    count, page = 0, []
    for row in rows:
        page.append(from_json(tbl, row))
        if len(page) >= PAGE:
            session.execute(insert(tbl), page)
            count, page = count + len(page), []
    if page:
        session.execute(insert(tbl), page)
        count += len(page)
    return count


def advance_sequences(session: Session, names: Iterable[str]) -> None:
    """On PostgreSQL, move each table's id sequence past the ids inserted explicitly."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in names:
        tbl = table(name)
        key = next(iter(tbl.primary_key.columns))
        if key.name != "id" or not isinstance(session.scalar(select(func.max(key))), int):
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT max(id) FROM {name}))"))
