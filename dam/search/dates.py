"""Dates typed in queries (2025, 2025-03, 2025-03-14, 14/03/2025, A..B ranges) as day numbers."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from dam.search.documents import day_number
from dam.search.errors import QuerySyntaxError

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
HELP = "use AAAA-MM-DD, AAAA-MM o AAAA, o un rango AAAA-MM-DD..AAAA-MM-DD"


def _bounds(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of a year, a month or a day."""
    if m := _DMY.match(text):
        day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return day, day
    m = _ISO.match(text)
    if not m:
        raise ValueError(text)
    year = int(m.group(1))
    if m.group(2) is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(m.group(2))
    if m.group(3) is None:
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, 1), dt.date(year, month, last)
    day = dt.date(year, month, int(m.group(3)))
    return day, day


def parse_date_range(value: str, kind: str, typed_field: str) -> tuple[int | None, int | None]:
    """Inclusive (first day, last day) numbers of ``value``; None where the range is open."""
    text = value.strip()
    low_text, sep, high_text = text.partition("..")
    if not sep:
        high_text = low_text
    try:
        low = day_number(_bounds(low_text)[0]) if low_text else None
        high = day_number(_bounds(high_text)[1]) if high_text else None
        if kind == "year" and any(t and not t.isdigit() for t in (low_text, high_text)):
            raise ValueError(text)
    except ValueError:
        raise QuerySyntaxError(
            f"fecha no válida en '{typed_field}:{value}': {HELP}",
            f"invalid date in '{typed_field}:{value}': use YYYY-MM-DD, YYYY-MM or YYYY, or A..B",
        ) from None
    if low is None and high is None:
        raise QuerySyntaxError(
            f"el rango '{typed_field}:{value}' no tiene fechas: {HELP}",
            "the range has no dates",
        )
    if low is not None and high is not None and low > high:
        raise QuerySyntaxError(
            f"el rango '{typed_field}:{value}' empieza después de terminar",
            "the range starts after it ends",
        )
    return low, high
