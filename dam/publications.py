"""Publications of a series (issues in order, the numbers the archive lacks) and press clippings.

A publication's or clipping's record is a set of columns of its asset (``series``,
``issue_number``, ``medium``, ``tone``...), so edits, the bitácora, the change feed and the search
index follow them through the same paths as every other field. This module only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, extract, func, select, true
from sqlalchemy.orm import Session

from dam.enums import PublicationKind, Tone
from dam.models import Asset, PublicationPhoto

MAX_ISSUES = 2000  # issues shown for one series (a weekly gazette for 40 years is ~2,000)


@dataclass(frozen=True)
class SeriesSummary:
    name: str
    issues: int  # publications catalogued in the series
    first: int | None  # lowest and highest issue number held
    last: int | None
    missing: int  # numbers from 1 to ``last`` the archive does not hold
    latest_date: dt.date | None


@dataclass(frozen=True)
class Issue:
    asset_id: int
    number: int | None
    date: dt.date | None
    headline: str | None


@dataclass
class SeriesIssues:
    name: str
    issues: list[Issue] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # missing (first, last) ranges


def gap_ranges(numbers: Sequence[int | None]) -> list[tuple[int, int]]:
    """The issue numbers missing from 1 to the highest held, as inclusive ranges.

    >>> gap_ranges([1, 2, 5, 6, 9])
    [(3, 4), (7, 8)]
    """
    held = sorted({n for n in numbers if n is not None and n > 0})
    gaps: list[tuple[int, int]] = []
    expected = 1
    for n in held:
        if n > expected:
            gaps.append((expected, n - 1))
        expected = n + 1
    return gaps


def _missing_count(numbers: Sequence[int | None]) -> int:
    return sum(last - first + 1 for first, last in gap_ranges(numbers))


def list_series(session: Session, visible: ColumnElement[bool] | None = None
                ) -> list[SeriesSummary]:
    """Every series with its number of issues and of missing numbers, by name."""
    where = visible if visible is not None else true()
    rows = session.execute(
        select(Asset.series, Asset.issue_number, Asset.distribution_date)
        .where(Asset.series.is_not(None), where)
    ).all()
    by_series: dict[str, list[tuple[int | None, dt.date | None]]] = {}
    for name, number, date in rows:
        by_series.setdefault(name, []).append((number, date))
    summaries = []
    for name, items in sorted(by_series.items(), key=lambda kv: kv[0].casefold()):
        numbers = [n for n, _ in items if n is not None]
        dates = [d for _, d in items if d is not None]
        summaries.append(SeriesSummary(
            name, len(items), min(numbers, default=None), max(numbers, default=None),
            _missing_count(numbers), max(dates, default=None)))
    return summaries


def series_issues(session: Session, name: str,
                  visible: ColumnElement[bool] | None = None) -> SeriesIssues:
    """The issues of one series in order (number, then date; unnumbered last) and its gaps."""
    where = visible if visible is not None else true()
    rows = session.execute(
        select(Asset.id, Asset.issue_number, Asset.distribution_date, Asset.headline)
        .where(Asset.series == name, where)
        .order_by(Asset.issue_number.is_(None), Asset.issue_number, Asset.distribution_date,
                  Asset.id)
        .limit(MAX_ISSUES)
    ).all()
    issues = [Issue(*row) for row in rows]
    return SeriesIssues(name, issues, gap_ranges([i.number for i in issues]))


@dataclass(frozen=True)
class ClippingFilter:
    """What the press clippings page narrows to (every part optional)."""

    medium: str | None = None
    month: str | None = None  # "2025-03"
    tone: Tone | None = None


@dataclass
class ClippingPage:
    ids: list[int]
    total: int
    media: list[tuple[str, int]]  # facet: medium, count (within the other filters)
    months: list[tuple[str, int]]  # facet: "2025-03", count
    tones: list[tuple[str, int]]  # facet: tone value, count


def _month_bounds(month: str) -> tuple[dt.date, dt.date] | None:
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        return None
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def _clipping_conditions(flt: ClippingFilter, skip: str = "") -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Asset.publication_kind == PublicationKind.CLIPPING]
    if flt.medium and skip != "medium":
        conds.append(Asset.medium == flt.medium)
    if flt.month and skip != "month":
        bounds = _month_bounds(flt.month)
        if bounds is None:
            conds.append(Asset.id.is_(None))  # an impossible month matches nothing
        else:
            conds += [Asset.distribution_date >= bounds[0], Asset.distribution_date < bounds[1]]
    if flt.tone and skip != "tone":
        conds.append(Asset.tone == flt.tone)
    return conds


def list_clippings(session: Session, flt: ClippingFilter, *, limit: int = 60, offset: int = 0,
                   visible: ColumnElement[bool] | None = None) -> ClippingPage:
    """Clippings newest first with facet counts by medium, month and tone.

    Each facet counts within the other filters (choosing a medium still shows every month of it).
    """
    where = visible if visible is not None else true()
    conds = [where, *_clipping_conditions(flt)]
    ids = list(session.scalars(
        select(Asset.id).where(*conds)
        .order_by(Asset.distribution_date.desc().nulls_last(), Asset.id.desc())
        .limit(limit).offset(offset)))
    total = session.scalar(select(func.count()).select_from(Asset).where(*conds)) or 0
    media = session.execute(
        select(Asset.medium, func.count()).where(where, *_clipping_conditions(flt, "medium"),
                                                 Asset.medium.is_not(None))
        .group_by(Asset.medium).order_by(func.count().desc(), Asset.medium)).all()
    year = extract("year", Asset.distribution_date)
    month = extract("month", Asset.distribution_date)
    months = session.execute(
        select(year, month, func.count()).where(where, *_clipping_conditions(flt, "month"),
                                                Asset.distribution_date.is_not(None))
        .group_by(year, month).order_by(year.desc(), month.desc())).all()
    tones = session.execute(
        select(Asset.tone, func.count()).where(where, *_clipping_conditions(flt, "tone"),
                                               Asset.tone.is_not(None))
        .group_by(Asset.tone).order_by(func.count().desc())).all()
    return ClippingPage(
        ids, total, [(m, n) for m, n in media],
        [(f"{int(y):04}-{int(m):02}", n) for y, m, n in months],
        [(t.value if isinstance(t, Tone) else str(t), n) for t, n in tones])


def photos_used_by_media(session: Session, limit: int = 60) -> list[tuple[int, int]]:
    """Archive photos printed in press clippings: (photo id, clippings), most used first."""
    clipping_ids = select(Asset.id).where(Asset.publication_kind == PublicationKind.CLIPPING)
    uses = func.count(func.distinct(PublicationPhoto.publication_id))
    rows = session.execute(
        select(PublicationPhoto.photo_id, uses)
        .where(PublicationPhoto.publication_id.in_(clipping_ids))
        .group_by(PublicationPhoto.photo_id)
        .order_by(uses.desc(), PublicationPhoto.photo_id.desc()).limit(limit)).all()
    return [(photo, n) for photo, n in rows]
