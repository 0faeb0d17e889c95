"""Dates written in words ("marzo 2025", "15 de septiembre de 2024", "ayer", "este año") as filters.

They are taken out of the query's free text before it is parsed and become a date range on the
date taken, judged in Mexico City time. Only unquoted text outside field values counts; a bare
number that is not a plausible year ("3", "150", "2500") stays a word.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dam.search.analysis import fold
from dam.search.documents import day_number

OFFICE_TZ = ZoneInfo("America/Mexico_City")  # the office's day (as dam.curation.rights)
FIRST_YEAR = 1900

MONTHS = {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
          "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
          "diciembre": 12}
_MONTH = "(" + "|".join(MONTHS) + ")"
_OF_YEAR = r"(?:\s+(?:de|del)\s+|\s+)(\d{4})"
_B, _E = r"(?<![\w:\-*/.])", r"(?![\w:*/\-.])"  # whole words, not in a field value, a negation
# or a typed date such as 2025-03

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(_B + pattern + _E, re.IGNORECASE)) for kind, pattern in (
        ("day_year", r"(\d{1,2})\s+(?:de\s+)?" + _MONTH + _OF_YEAR),
        ("day", r"(\d{1,2})\s+(?:de\s+)?" + _MONTH),
        ("month_year", _MONTH + _OF_YEAR),
        ("month", r"(?:(?:en|de)\s+)?" + _MONTH),
        ("relative", r"(?:(?:la|el|en\s+la|en\s+el)\s+)?(semana\s+pasada|mes\s+pasado|"
                     r"ano\s+pasado|esta\s+semana|este\s+mes|este\s+ano|anteayer|antier|ayer|"
                     r"hoy)"),
        ("year", r"(?:(?:en|de|del)\s+)?(\d{4})"),
    )
]
_QUOTED = re.compile(r'"[^"]*"?')


@dataclass(frozen=True)
class DateWords:
    """Words of the query read as a date: ``text`` as typed, the inclusive range of days."""

    text: str
    first: dt.date
    last: dt.date

    @property
    def low(self) -> int:
        return day_number(self.first)

    @property
    def high(self) -> int:
        return day_number(self.last)


def office_today() -> dt.date:
    """Today in Mexico City (tests pass their own day to ``find_dates``)."""
    return dt.datetime.now(OFFICE_TZ).date()


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _recent_year(month: int, day: int, today: dt.date) -> int:
    """The year of the latest such month (or day) that is not in the future."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _relative(words: str, today: dt.date) -> tuple[dt.date, dt.date]:
    key = " ".join(words.split())
    monday = today - dt.timedelta(days=today.weekday())
    if key == "hoy":
        return today, today
    if key == "ayer":
        return (today - dt.timedelta(days=1),) * 2
    if key in ("anteayer", "antier"):
        return (today - dt.timedelta(days=2),) * 2
    if key == "esta semana":
        return monday, today
    if key == "semana pasada":
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if key == "este mes":
        return today.replace(day=1), today
    if key == "mes pasado":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return _month(last.year, last.month)
    if key == "este ano":
        return dt.date(today.year, 1, 1), today
    return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)  # "año pasado"


def _range(kind: str, groups: tuple[str, ...], today: dt.date
           ) -> tuple[dt.date, dt.date] | None:
    """The days a match means, or None when it is not a date (a day 31 of June, year 3000)."""
    try:
        if kind == "relative":
            return _relative(fold(groups[0]), today)
        if kind == "year":
            year = int(groups[0])
            ok = FIRST_YEAR <= year <= today.year + 1
            return (dt.date(year, 1, 1), dt.date(year, 12, 31)) if ok else None
        if kind in ("month_year", "day_year") and not \
                FIRST_YEAR <= int(groups[-1]) <= today.year + 1:
            return None
        if kind == "month_year":
            return _month(int(groups[1]), MONTHS[groups[0].lower()])
        if kind == "month":
            month = MONTHS[groups[0].lower()]
            return _month(_recent_year(month, 1, today), month)
        month, day = MONTHS[groups[1].lower()], int(groups[0])
        year = int(groups[2]) if kind == "day_year" else _recent_year(month, day, today)
        day_date = dt.date(year, month, day)
        return day_date, day_date
    except ValueError:
        return None


def find_dates(source: str, today: dt.date | None = None) -> tuple[str, list[DateWords]]:
    """The query without its dates in words, and those dates (in the order found)."""
    today = today or office_today()
    found: list[tuple[int, DateWords]] = []
    text = _mask_quotes(fold_for_matching(source))
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            span = _range(kind, m.groups(), today)
            if span is None:
                continue
            found.append((m.start(), DateWords(source[m.start():m.end()], *span)))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    found.sort(key=lambda item: item[0])
    rest = source
    for _, date in found:
        rest = rest.replace(date.text, " ", 1)
    return " ".join(rest.split()), [d for _, d in found]


def fold_for_matching(source: str) -> str:
    """Accents off ("año" → "ano"), same length, so positions still point into the source."""
    folded = "".join(fold(c) or c for c in source)
    return folded if len(folded) == len(source) else source


def _mask_quotes(text: str) -> str:
    return _QUOTED.sub(lambda m: "\0" * len(m.group()), text)
