"""Which material a report counts, and its counts read live from ``assets``.

Material counts by its date taken, read as the search reads it: the file's own date, or the
batch's event date when the file has none; and by its event, area, colonia and photographer, or
its batch's when it has none (so a report's counts agree with the search facets of ``fecha:``
over the same days). The two cases are two index range scans joined by UNION ALL
(``taken_at`` in range; ``taken_at`` empty and the batch's ``event_date`` in range). Nothing in
the trash counts. SQLite and public reports count this way at request time; PostgreSQL's staff
reports sum the same counts kept per day (:mod:`dam.reports.rollup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    cast,
    extract,
    func,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from dam.models import Asset, Batch
from dam.reports.period import Period


def blank_is_null(column: ColumnElement[str | None]) -> ColumnElement[str | None]:
    return func.nullif(func.trim(column), "")


def _inherited(own: ColumnElement[str | None],
               batch: ColumnElement[str | None]) -> ColumnElement[str | None]:
    """The asset's value, or its batch's when the asset has none (as the search reads it)."""
    return func.coalesce(blank_is_null(own), blank_is_null(batch))


# The columns reports group material by: name -> its value (None when blank or missing). A chart
# by a new column of assets is one entry here (and the column in migration 0026's ASSET_COLUMNS,
# so that changing it marks the day for the rollup).
GROUPED: dict[str, ColumnElement] = {  # type: ignore[type-arg]
    "media_type": Asset.media_type,
    "area": _inherited(Asset.area, Batch.area),
    "programme": _inherited(Asset.programme, Batch.programme),
    "campaign": blank_is_null(Asset.campaign),
    "event": _inherited(Asset.event, Batch.event),
    "place": _inherited(Asset.sublocation, Batch.place),
    "photographer": _inherited(Asset.creator, Batch.photographer),
    "workflow": Asset.workflow_state,
}
NAMES = tuple(GROUPED)


def dated_selects(own_key: Sequence[ColumnElement], batch_key: Sequence[ColumnElement],  # type: ignore[type-arg]
                  own_when: ColumnElement[bool], batch_when: ColumnElement[bool],
                  public: ColumnElement[bool] | None = None) -> tuple[Select, Select]:  # type: ignore[type-arg]
    """Material dated by its own date where ``own_when``, and material without one whose batch
    is dated where ``batch_when``: ``*_key`` first, then every GROUPED column by its name."""
    own = select(*own_key, *(value.label(name) for name, value in GROUPED.items())) \
        .outerjoin(Batch, Batch.id == Asset.batch_id) \
        .where(own_when, Asset.trashed_at.is_(None))
    from_batch = select(*batch_key, *GROUPED.values()) \
        .join(Batch, Batch.id == Asset.batch_id) \
        .where(Asset.taken_at.is_(None), batch_when, Asset.trashed_at.is_(None))
    if public is not None:
        own, from_batch = own.where(public), from_batch.where(public)
    return own, from_batch


def dated_material(period: Period, public: ColumnElement[bool] | None = None) -> Subquery:
    """Every asset dated inside ``period``: its year and month, then the grouped columns."""
    def year_month(date: ColumnElement) -> list[ColumnElement]:  # type: ignore[type-arg]
        return [cast(extract("year", date), Integer), cast(extract("month", date), Integer)]

    own_key = [c.label(n) for c, n in zip(year_month(Asset.taken_at), ("year", "month"),
                                          strict=True)]
    own, from_batch = dated_selects(
        own_key, year_month(Batch.event_date),
        and_(Asset.taken_at >= period.local_start, Asset.taken_at < period.local_end),
        and_(Batch.event_date >= period.first, Batch.event_date <= period.last), public)
    return union_all(own, from_batch).subquery("dated")


@dataclass
class Counts:
    """Material per value of each grouped column, per month, and events (distinct names)."""

    by_column: dict[str, dict[str | None, int]]
    months: dict[tuple[int, int], tuple[int, int]]  # (year, month): (material, events)
    events: int


def count_per_chart(session: Session, dated: Subquery) -> Counts:
    """One GROUP BY per chart (every database)."""
    by_column = {
        name: {value: int(n) for value, n in session.execute(
            select(dated.c[name], func.count()).select_from(dated).group_by(dated.c[name]))}
        for name in NAMES}
    months = {
        (int(y), int(m)): (int(n), int(events)) for y, m, n, events in session.execute(
            select(dated.c.year, dated.c.month, func.count(), func.count(dated.c.event.distinct()))
            .select_from(dated).group_by(dated.c.year, dated.c.month))}
    events = sum(1 for value in by_column["event"] if value is not None)
    return Counts(by_column, months, events)


def count_in_one_pass(session: Session, dated: Subquery) -> Counts:
    """Every chart in one statement with GROUPING SETS (PostgreSQL): the period's index range
    is read once, and the public clause judged once per asset, not once per chart.

    Events per month are the rows of the (year, month, event) set, so no DISTINCT aggregate
    keeps PostgreSQL from hashing the groups.
    """
    columns = [dated.c.year, dated.c.month, *(dated.c[name] for name in NAMES)]
    event_at = 2 + NAMES.index("event")
    sets = [(0, 1), (0, 1, event_at), *((2 + i,) for i in range(len(NAMES)))]
    statement = (
        select(*columns, func.grouping(*columns).label("gid"), func.count())
        .select_from(dated)
        .group_by(func.grouping_sets(*(tuple_(*(columns[i] for i in group))
                                       for group in sets))))
    by_column: dict[str, dict[str | None, int]] = {name: {} for name in NAMES}
    material: dict[tuple[int, int], int] = {}
    month_events: dict[tuple[int, int], int] = {}
    width = len(columns)
    for row in session.execute(statement):
        values, gid, n = tuple(row)[:width], int(row[width]), int(row[width + 1])
        present = tuple(i for i in range(width) if not (gid >> (width - 1 - i)) & 1)
        if present == (0, 1):
            material[(int(values[0]), int(values[1]))] = n
        elif present == (0, 1, event_at):
            if values[event_at] is not None:
                key = (int(values[0]), int(values[1]))
                month_events[key] = month_events.get(key, 0) + 1
        elif len(present) == 1:
            by_column[NAMES[present[0] - 2]][values[present[0]]] = n
    months = {key: (n, month_events.get(key, 0)) for key, n in material.items()}
    events = sum(1 for value in by_column["event"] if value is not None)
    return Counts(by_column, months, events)
