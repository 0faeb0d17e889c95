"""The office's numbers for a period: its material charts, the printed archive, the activity.

Which material counts and how it is dated is :mod:`dam.reports.material` (the same days as the
search's ``fecha:``). On PostgreSQL a staff report sums the counts kept per day
(:mod:`dam.reports.rollup`, its dirty days counted again first); SQLite and public reports (the
gallery's :func:`public_clause` depends on the moment: embargoes, consents, blackouts) count
live, in one statement with GROUPING SETS on PostgreSQL, one GROUP BY per chart on SQLite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, func, select, text
from sqlalchemy.orm import Session

from dam.curation.vocabulary import fold
from dam.enums import PublicationKind, Tone, VocabularyKind, WorkflowState
from dam.models import Asset, AuditEntry, VocabularyTerm
from dam.reports import rollup
from dam.reports.material import (
    GROUPED,
    Counts,
    blank_is_null,
    count_in_one_pass,
    count_per_chart,
    dated_material,
)
from dam.reports.period import Period

__all__ = ["GROUPED", "Counts", "Figure", "Report", "Row", "build_report", "count_in_one_pass",
           "count_per_chart", "dated_material"]

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


def _ranked(counts: Counts, column: str, key: str) -> Figure:
    """Material per value of ``column``, most first (ties by name), the rest as "others"."""
    return _named_rows(key, dict(counts.by_column[column]))


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
    name = blank_is_null(Asset.series).label("name")
    series = dict(session.execute(
        select(name, func.count())
        .where(*where, ~clipping | Asset.publication_kind.is_(None),
               func.trim(Asset.series) != "")
        .group_by(name)).all())
    medium = blank_is_null(Asset.medium).label("name")
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




def count_material(session: Session, period: Period,
                   public: ColumnElement[bool] | None = None) -> Counts:
    """The period's material counts: from the rollup for a staff report on PostgreSQL (its dirty
    days counted again first, committed in a transaction of their own), otherwise live."""
    if session.get_bind().dialect.name != "postgresql":
        return count_per_chart(session, dated_material(period, public))
    # For this transaction only: JIT compiling costs more than it saves (a third of a second
    # for the live grouping, seconds for a recount, whose rows the planner overestimates).
    session.execute(text("SET LOCAL jit = off"))
    if public is None:
        if rollup.has_dirty_days(session, period.first, period.last):
            bind = session.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            rollup.refresh_days(engine, period.first, period.last)
        return rollup.count_from_rollup(session, period)
    # The groups of a year fit in memory without spilling to disk.
    session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    return count_in_one_pass(session, dated_material(period, public))


def build_report(session: Session, period: Period, *, now: dt.datetime,
                 public_clause: Callable[[dt.datetime], ColumnElement[bool]] | None = None
                 ) -> Report:
    """The report of ``period``; with ``public_clause``, counting only what it allows."""
    public = public_clause(now) if public_clause else None
    counts = count_material(session, period, public)
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
    figures.extend(printed_archive(session, period, public))
    material = sum(r.count for r in months.rows)
    return Report(period, public_clause is not None, material, counts.events, tuple(figures))
