"""The reports' rollup on PostgreSQL: material per day and per grouped value, kept exact.

Triggers (migration 0026) log in ``report_dirty_days`` every day whose material changed: the old
and the new day of an asset whose date, batch, trash or grouped columns changed, the old and new
event date of a batch whose inherited fields changed. :func:`refresh_days` counts the dirty days
of a period again from ``assets`` (the same rows and values as the live query,
:func:`dam.reports.material.dated_selects`) and replaces their rows in ``report_day_counts``, in
one transaction; :func:`count_from_rollup` then sums the period's rows, a few thousand for a year.

Why nothing is lost: the log rows a refresh takes are those its DELETE sees; a change committed
after that statement leaves its row behind (the day is counted again next time), and one
committed before it is seen by the recount, which runs later in the same READ COMMITTED
transaction. Refreshes run one at a time (an advisory lock); readers never wait.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    Date,
    Engine,
    Integer,
    String,
    and_,
    cast,
    column,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    values,
)
from sqlalchemy import Enum as EnumType
from sqlalchemy.orm import Session

from dam.db import serialize_on
from dam.models import Asset, Batch, ReportDayCount, ReportDirtyDay
from dam.reports.material import GROUPED, Counts, dated_selects
from dam.reports.period import Period

LOCK = "report_rollup"
NONE = ""  # ``value`` of material without one (a grouped value is never blank: blank is none)
HOUSEKEEPING_DAYS = 92  # days counted per transaction when housekeeping cleans every dirty day


def _dirty_between(first: dt.date | None, last: dt.date | None) -> list:  # type: ignore[type-arg]
    where = []
    if first is not None:
        where.append(ReportDirtyDay.day >= first)
    if last is not None:
        where.append(ReportDirtyDay.day <= last)
    return where


def has_dirty_days(session: Session, first: dt.date | None = None,
                   last: dt.date | None = None) -> bool:
    return session.execute(select(ReportDirtyDay.id).where(*_dirty_between(first, last))
                           .limit(1)).first() is not None


def recount(session: Session, days: Sequence[dt.date]) -> None:
    """Replace the rollup's rows of ``days`` by a GROUP BY of their material (each day an index
    range scan: own date in the day; no date and the batch's event on the day)."""
    session.execute(delete(ReportDayCount).where(ReportDayCount.day.in_(days)))
    listed = values(column("day", Date), name="days").data([(d,) for d in days])
    own_day = and_(Asset.taken_at >= listed.c.day,
                   Asset.taken_at < listed.c.day + dt.timedelta(days=1))
    own, from_batch = dated_selects([listed.c.day.label("day")], [listed.c.day],
                                    own_day, Batch.event_date == listed.c.day)
    dated = union_all(own, from_batch).subquery("dated")
    # Photos of one event mostly share their values: count each combination once, then sum the
    # combinations per value of each column (one pass over the assets, not one per column).
    keys = [dated.c.day, *(dated.c[name] for name in GROUPED)]
    combos = select(*keys, func.count().label("n")).group_by(*keys).cte("combos")
    per_value = union_all(*(
        select(combos.c.day, literal(name, String),
               func.coalesce(cast(combos.c[name], String), NONE), func.sum(combos.c.n))
        .group_by(combos.c.day, combos.c[name])
        for name in GROUPED))
    session.execute(insert(ReportDayCount).from_select(
        ["day", "dimension", "value", "material"], per_value))


def refresh_days(engine: Engine, first: dt.date | None = None, last: dt.date | None = None,
                 *, per_transaction: int | None = None) -> int:
    """Count again the dirty days between ``first`` and ``last`` (every one when None); with
    ``per_transaction``, that many days per transaction until none is left. Returns the days."""
    done = 0
    while True:
        with Session(engine) as session, session.begin():
            serialize_on(session, LOCK)
            session.execute(text("SET LOCAL jit = off"))  # see dam.reports.figures
            where = _dirty_between(first, last)
            if per_transaction:
                chosen = select(ReportDirtyDay.day).where(*where).distinct() \
                    .order_by(ReportDirtyDay.day).limit(per_transaction)
                where = [ReportDirtyDay.day.in_([d for (d,) in session.execute(chosen)])]
            days = sorted({d for (d,) in session.execute(
                delete(ReportDirtyDay).where(*where).returning(ReportDirtyDay.day))})
            if days:
                recount(session, days)
            done += len(days)
        if not per_transaction or not days:
            return done


def _typed(name: str, value: str) -> object:
    """A rollup value as the live query returns it (None for none, enum members for enums)."""
    if value == NONE:
        return None
    kind = GROUPED[name].type
    if isinstance(kind, EnumType) and kind.enum_class is not None:
        return kind.enum_class(value)
    return value


def count_from_rollup(session: Session, period: Period) -> Counts:
    """The period's counts as sums of its days' rows: one statement for the columns, one for
    the months (material, and distinct event names)."""
    in_period = ReportDayCount.day.between(period.first, period.last)
    by_column: dict[str, dict[str | None, int]] = {name: {} for name in GROUPED}
    for name, value, n in session.execute(
            select(ReportDayCount.dimension, ReportDayCount.value,
                   func.sum(ReportDayCount.material))
            .where(in_period).group_by(ReportDayCount.dimension, ReportDayCount.value)):
        if name in by_column:
            by_column[name][_typed(name, value)] = int(n)  # type: ignore[index]
    year = cast(extract("year", ReportDayCount.day), Integer)
    month = cast(extract("month", ReportDayCount.day), Integer)
    first_column = next(iter(GROUPED))  # every asset has one row per column and day
    is_event = and_(ReportDayCount.dimension == "event", ReportDayCount.value != NONE)
    months = {
        (int(y), int(m)): (int(n), int(events)) for y, m, n, events in session.execute(
            select(year, month,
                   func.sum(ReportDayCount.material).filter(
                       ReportDayCount.dimension == first_column),
                   func.count(ReportDayCount.value.distinct()).filter(is_event))
            .where(in_period, ReportDayCount.dimension.in_([first_column, "event"]))
            .group_by(year, month))}
    events = sum(1 for value in by_column["event"] if value is not None)
    return Counts(by_column, months, events)
