"""The office's numbers for a period: one GROUP BY per chart over indexed columns.

Material counts by its date taken, read as the search reads it: the file's own date, or the
batch's event date when the file has none (so a report's counts agree with the search facets of
``fecha:`` over the same days). The two cases are two index range scans joined by UNION ALL
(``taken_at`` in range; ``taken_at`` empty and the batch's ``event_date`` in range), so no chart
reads the whole table. A public report adds the gallery's own rule, :func:`public_clause`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Integer,
    Subquery,
    and_,
    cast,
    extract,
    func,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from dam.curation.vocabulary import fold
from dam.enums import PublicationKind, Tone, VocabularyKind, WorkflowState
from dam.models import Asset, AuditEntry, Batch, VocabularyTerm
from dam.reports.period import Period

TOP = 25  # rows a ranked chart shows; the rest are summed as "others" (the CSV has them all)
# Audit actions the activity chart counts, in its order.
ACTIVITY = ("presskit", "share_create", "share_view", "share_download", "share_zip")
WORKFLOW_ORDER = tuple(WorkflowState)
REPORT_WORK_MEM = "64MB"


@dataclass(frozen=True)
class Row:
    """One bar: its label as stored (or a code the page translates) and its counts."""

    label: str
    count: int
    extra: int | None = None  # e.g. the events of a month next to its material


@dataclass(frozen=True)
class Figure:
    """One chart's numbers: ``key`` names it (the page gives the title), ``rows`` in order."""

    key: str
    rows: tuple[Row, ...]
    others: int = 0  # material in labels beyond the first TOP
    missing: int = 0  # material without a value (no area, no colonia...)

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows) + self.others + self.missing


def _blank_is_null(column: ColumnElement[str | None]) -> ColumnElement[str | None]:
    return func.nullif(func.trim(column), "")


def dated_material(period: Period, public: ColumnElement[bool] | None = None) -> Subquery:
    """Every asset dated inside ``period``, with the columns the charts group by."""
    with_date = and_(Asset.taken_at >= period.local_start, Asset.taken_at < period.local_end)
    by_batch = and_(Asset.taken_at.is_(None), Batch.event_date >= period.first,
                    Batch.event_date <= period.last)
    own = select(
        cast(extract("year", Asset.taken_at), Integer).label("year"),
        cast(extract("month", Asset.taken_at), Integer).label("month"),
        _blank_is_null(Asset.event).label("event"),
        _blank_is_null(Asset.area).label("area"),
        _blank_is_null(Asset.programme).label("programme"),
        _blank_is_null(Asset.campaign).label("campaign"),
        _blank_is_null(Asset.sublocation).label("place"),
        _blank_is_null(Asset.creator).label("photographer"),
        Asset.workflow_state.label("workflow"),
        Asset.media_type.label("media_type"),
    ).where(with_date, Asset.trashed_at.is_(None))
    from_batch = select(
        cast(extract("year", Batch.event_date), Integer),
        cast(extract("month", Batch.event_date), Integer),
        _blank_is_null(func.coalesce(Asset.event, Batch.event)),
        _blank_is_null(func.coalesce(Asset.area, Batch.area)),
        _blank_is_null(func.coalesce(Asset.programme, Batch.programme)),
        _blank_is_null(Asset.campaign),
        _blank_is_null(func.coalesce(Asset.sublocation, Batch.place)),
        _blank_is_null(func.coalesce(Asset.creator, Batch.photographer)),
        Asset.workflow_state,
        Asset.media_type,
    ).join(Batch, Batch.id == Asset.batch_id).where(by_batch, Asset.trashed_at.is_(None))
    if public is not None:
        own, from_batch = own.where(public), from_batch.where(public)
    return union_all(own, from_batch).subquery("dated")


GROUPED = ("media_type", "area", "programme", "campaign", "event", "place", "photographer",
           "workflow")


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
        for name in GROUPED}
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
    columns = [dated.c.year, dated.c.month, *(dated.c[name] for name in GROUPED)]
    event_at = 2 + GROUPED.index("event")
    sets = [(0, 1), (0, 1, event_at), *((2 + i,) for i in range(len(GROUPED)))]
    statement = (
        select(*columns, func.grouping(*columns).label("gid"), func.count())
        .select_from(dated)
        .group_by(func.grouping_sets(*(tuple_(*(columns[i] for i in group))
                                       for group in sets))))
    by_column: dict[str, dict[str | None, int]] = {name: {} for name in GROUPED}
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
            by_column[GROUPED[present[0] - 2]][values[present[0]]] = n
    months = {key: (n, month_events.get(key, 0)) for key, n in material.items()}
    events = sum(1 for value in by_column["event"] if value is not None)
    return Counts(by_column, months, events)


def _ranked(counts: Counts, column: str, key: str) -> Figure:
    """Material per value of ``column``, most first (ties by name), the rest as "others"."""
    found = dict(counts.by_column[column])
    missing = found.pop(None, 0)
    named = sorted(((str(k), v) for k, v in found.items()), key=lambda p: (-p[1], fold(p[0])))
    return Figure(key, tuple(Row(label, n) for label, n in named[:TOP]),
                  others=sum(n for _label, n in named[TOP:]), missing=missing)


def by_month(counts: Counts, period: Period) -> Figure:
    """Material and events covered (distinct event names) in each month of the period."""
    return Figure("month", tuple(
        Row(f"{y:04}-{m:02}", *counts.months.get((y, m), (0, 0))) for y, m in period.months()))


def by_workflow(counts: Counts) -> Figure:
    """Material per workflow state: published beside what stays in the archive."""
    found = {WorkflowState(state): n for state, n in counts.by_column["workflow"].items()
             if state is not None}
    return Figure("workflow", tuple(Row(s.value, found.get(s, 0)) for s in WORKFLOW_ORDER))


def divisions_of_colonias(session: Session) -> dict[str, str]:
    """Folded colonia name -> its territorial division's label (from the vocabulary)."""
    parent = VocabularyTerm.__table__.alias("division")
    rows = session.execute(
        select(VocabularyTerm.label, parent.c.label)
        .join(parent, parent.c.id == VocabularyTerm.parent_id)
        .where(VocabularyTerm.vocabulary == VocabularyKind.COLONIA))
    return {fold(colonia): division for colonia, division in rows}


def by_division(colonias: Figure, divisions: dict[str, str], raw: dict[str, int]) -> Figure:
    """The colonia counts summed per territorial division; colonias not in the vocabulary
    (or without a division) are counted as without one."""
    sums: dict[str, int] = {}
    unknown = colonias.missing
    for label, n in raw.items():
        division = divisions.get(fold(label))
        if division is None:
            unknown += n
        else:
            sums[division] = sums.get(division, 0) + n
    ordered = sorted(sums.items(), key=lambda pair: (-pair[1], fold(pair[0])))
    return Figure("division", tuple(Row(label, n) for label, n in ordered), missing=unknown)


def _named_rows(key: str, found: dict[str | None, int]) -> Figure:
    """Counts per stored name, most first (ties by name), the rest beyond TOP as "others"."""
    missing = found.pop(None, 0)
    named = sorted(((str(k), v) for k, v in found.items()), key=lambda p: (-p[1], fold(p[0])))
    return Figure(key, tuple(Row(label, n) for label, n in named[:TOP]),
                  others=sum(n for _label, n in named[TOP:]), missing=missing)


def printed_archive(session: Session, period: Period,
                    public: ColumnElement[bool] | None = None) -> list[Figure]:
    """Publications by series; press clippings by medium and by tone. The printed archive is
    dated by its date of publication (``distribution_date``), as the search dates it."""
    where = [Asset.trashed_at.is_(None), Asset.distribution_date >= period.first,
             Asset.distribution_date <= period.last]
    if public is not None:
        where.append(public)
    clipping = Asset.publication_kind == PublicationKind.CLIPPING
    # Grouped by the label: PostgreSQL takes two bound '' as two different expressions.
    name = _blank_is_null(Asset.series).label("name")
    series = dict(session.execute(
        select(name, func.count())
        .where(*where, ~clipping | Asset.publication_kind.is_(None),
               func.trim(Asset.series) != "")
        .group_by(name)).all())
    medium = _blank_is_null(Asset.medium).label("name")
    media = dict(session.execute(
        select(medium, func.count()).where(*where, clipping).group_by(medium)).all())
    tones = {(Tone(t).value if t is not None else None): int(n)
             for t, n in session.execute(select(Asset.tone, func.count())
                                         .where(*where, clipping).group_by(Asset.tone))}
    tone = Figure("tone", tuple(Row(t.value, tones.get(t.value, 0)) for t in Tone),
                  missing=tones.get(None, 0))
    return [_named_rows("series", series), _named_rows("medium", media), tone]


def activity(session: Session, period: Period) -> Figure:
    """Press kits made, share links made, opened and downloaded (from the bitácora)."""
    found = dict(session.execute(
        select(AuditEntry.action, func.count())
        .where(AuditEntry.action.in_(ACTIVITY), AuditEntry.at >= period.utc_start,
               AuditEntry.at < period.utc_end)
        .group_by(AuditEntry.action)).all())
    return Figure("activity", tuple(Row(action, int(found.get(action, 0)))
                                    for action in ACTIVITY))


@dataclass(frozen=True)
class Report:
    """Every figure of one period; ``public`` when only what the public may see is counted."""

    period: Period
    public: bool
    material: int
    events: int
    figures: tuple[Figure, ...]

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)




def build_report(session: Session, period: Period, *, now: dt.datetime,
                 public_clause: Callable[[dt.datetime], ColumnElement[bool]] | None = None
                 ) -> Report:
    """The report of ``period``; with ``public_clause``, counting only what it allows."""
    dated = dated_material(period, public_clause(now) if public_clause else None)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # For this transaction only: JIT compiling the grouping costs more than it saves (a
        # third of a second), and the groups of a year fit in memory without spilling to disk.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    counts = (count_in_one_pass if postgres else count_per_chart)(session, dated)
    months = by_month(counts, period)
    colonias = _ranked(counts, "place", "colonia")
    places = {str(k): v for k, v in counts.by_column["place"].items() if k is not None}
    figures = [
        months,
        _ranked(counts, "media_type", "media_type"),
        _ranked(counts, "area", "area"),
        _ranked(counts, "programme", "programme"),
        _ranked(counts, "campaign", "campaign"),
        _ranked(counts, "event", "event"),
        by_division(colonias, divisions_of_colonias(session), places),
        colonias,
        _ranked(counts, "photographer", "photographer"),
    ]
    if public_clause is None:
        figures.append(by_workflow(counts))
    figures.append(activity(session, period))
    figures.extend(printed_archive(session, period, public_clause(now) if public_clause else None))
    material = sum(r.count for r in months.rows)
    return Report(period, public_clause is not None, material, counts.events, tuple(figures))
