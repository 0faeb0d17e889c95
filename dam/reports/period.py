"""A report's period: a month, a quarter, a year or a range of days, in Mexico City time.

The date taken (``taken_at``) is the camera's wall clock in the office's time, as the search's
``fecha:`` filter reads it, so its bounds are naive local moments. Moments the catalog keeps in
UTC (the audit log) are bounded by the same local midnights turned into UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dam.curation.rights import OFFICE_TZ
from dam.errors import DamError

KINDS = ("mes", "trimestre", "anio", "rango")
MAX_DAYS = 366 * 20  # a range longer than twenty years is a typo
MONTH_NAMES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
               "septiembre", "octubre", "noviembre", "diciembre")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})-(?:T|Q)?([1-4])", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")


class PeriodError(DamError):
    """A period that cannot be read (a malformed month, a range that ends before it starts)."""


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` (inclusive), as the office counts them."""

    kind: str
    first: dt.date
    last: dt.date

    @property
    def local_start(self) -> dt.datetime:
        """The first moment, naive, on Mexico City's clock (for the date taken)."""
        return dt.datetime.combine(self.first, dt.time())

    @property
    def local_end(self) -> dt.datetime:
        """The first moment after the period, naive, on Mexico City's clock."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time())

    @property
    def utc_start(self) -> dt.datetime:
        return self.local_start.replace(tzinfo=OFFICE_TZ).astimezone(dt.UTC)

    @property
    def utc_end(self) -> dt.datetime:
        return self.local_end.replace(tzinfo=OFFICE_TZ).astimezone(dt.UTC)

    @property
    def label(self) -> str:
        """The period in Spanish words: "marzo de 2025", "2.º trimestre de 2025", "2025"."""
        if self.kind == "mes":
            return f"{MONTH_NAMES[self.first.month - 1]} de {self.first.year}"
        if self.kind == "trimestre":
            return f"{(self.first.month - 1) // 3 + 1}.º trimestre de {self.first.year}"
        if self.kind == "anio":
            return str(self.first.year)
        return f"del {self.first.isoformat()} al {self.last.isoformat()}"

    @property
    def slug(self) -> str:
        """The period in a file name: 2025-03, 2025-T2, 2025, 2025-01-01_2025-02-15."""
        if self.kind == "mes":
            return f"{self.first:%Y-%m}"
        if self.kind == "trimestre":
            return f"{self.first.year}-T{(self.first.month - 1) // 3 + 1}"
        if self.kind == "anio":
            return str(self.first.year)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) the period touches, in order (the monthly chart's rows)."""
        out, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return following - dt.timedelta(days=1)


def month(year: int, number: int) -> Period:
    if not 1 <= number <= 12 or not 1900 <= year <= 9998:
        raise PeriodError(f"{year}-{number:02}: not a month")
    return Period("mes", dt.date(year, number, 1), _month_end(year, number))


def quarter(year: int, number: int) -> Period:
    if not 1 <= number <= 4 or not 1900 <= year <= 9998:
        raise PeriodError(f"{year}-T{number}: not a quarter")
    first_month = 3 * (number - 1) + 1
    return Period("trimestre", dt.date(year, first_month, 1), _month_end(year, first_month + 2))


def year(number: int) -> Period:
    if not 1900 <= number <= 9998:
        raise PeriodError(f"{number}: not a year")
    return Period("anio", dt.date(number, 1, 1), dt.date(number, 12, 31))


def day_range(first: dt.date, last: dt.date) -> Period:
    if last < first:
        raise PeriodError(f"the range ends ({last}) before it starts ({first})")
    if (last - first).days > MAX_DAYS:
        raise PeriodError("a range covers at most twenty years")
    return Period("rango", first, last)


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{name} {text!r}: write the day as 2025-03-14") from None


def parse_period(kind: str, *, mes: str = "", trimestre: str = "", anio: str = "",
                 desde: str = "", hasta: str = "") -> Period:
    """The period a form asks for (``kind`` one of KINDS); PeriodError says what is wrong."""
    if kind == "mes":
        found = _MONTH.fullmatch(mes.strip())
        if not found:
            raise PeriodError(f"month {mes!r}: write it as 2025-03")
        return month(int(found[1]), int(found[2]))
    if kind == "trimestre":
        found = _QUARTER.fullmatch(trimestre.strip())
        if not found:
            raise PeriodError(f"quarter {trimestre!r}: write it as 2025-T2")
        return quarter(int(found[1]), int(found[2]))
    if kind == "anio":
        if not _YEAR.fullmatch(anio.strip()):
            raise PeriodError(f"year {anio!r}: write it as 2025")
        return year(int(anio))
    if kind == "rango":
        return day_range(_date(desde, "from"), _date(hasta, "to"))
    raise PeriodError(f"period {kind!r}: use one of {', '.join(KINDS)}")


def current_month(now: dt.datetime) -> Period:
    """The month ``now`` falls in, on Mexico City's calendar."""
    local = now.astimezone(OFFICE_TZ)
    return month(local.year, local.month)
