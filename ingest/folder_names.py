"""The folder-name patterns of the old archive: what a year, a month and an event folder look like.

This is the one place they are declared (the README's "Bringing in the old archive" shows them).
A tree such as ``2019/03 Marzo/2019-03-14 Inauguración del mercado - Santa Cruz Meyehualco/``
reads as: year 2019, month March, an event on 14 March 2019 named "Inauguración del mercado" at
the place "Santa Cruz Meyehualco". Each pattern is tried in order; the first that matches wins.

Year folders: ``2019``, ``Año 2019``, ``2019 fotos``.
Month folders: ``03``, ``3``, ``03 Marzo``, ``03-marzo``, ``Marzo``, ``mar``, ``Marzo 2019``.
Event folders, the date first: ``2019-03-14 Name``, ``2019_03_14 Name``, ``20190314 Name``,
``14-03-2019 Name``, ``14.03.2019 Name``, ``14 mar 2019 Name``, ``14 de marzo de 2019 Name``,
``14 mar Name`` (the year from the folder above); or no date (``Name``: the date stays empty).
The place follows the name after `` - ``, `` – ``, `` — `` or `` | ``, or closes it in
parentheses: ``Name (Place)``. Anything else is all event name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

MONTHS: dict[str, int] = {
    "enero": 1, "ene": 1, "febrero": 2, "feb": 2, "marzo": 3, "mar": 3, "abril": 4, "abr": 4,
    "mayo": 5, "may": 5, "junio": 6, "jun": 6, "julio": 7, "jul": 7, "agosto": 8, "ago": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "octubre": 10, "oct": 10,
    "noviembre": 11, "nov": 11, "diciembre": 12, "dic": 12,
}
_MONTH_WORD = "(?P<mname>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_SEP = r"[ _.\-]+"

YEAR_PATTERNS = (
    re.compile(r"^(?:ano\s+)?(?P<year>(?:19|20)\d{2})(?:\s+.*)?$"),
)
MONTH_PATTERNS = (
    re.compile(r"^(?P<month>\d{1,2})(?:" + _SEP + _MONTH_WORD + r")?(?:\s+(?P<year>\d{4}))?$"),
    re.compile(r"^" + _MONTH_WORD + r"(?:\s+(?:de\s+)?(?P<year>\d{4}))?$"),
)
# The date part of an event folder; the rest of the name is the event (and its place).
_END = r"(?=$|[\s_\-.,])"
DATE_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})[-_.](?P<month>\d{1,2})[-_.](?P<day>\d{1,2})" + _END),
    re.compile(r"^(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)" + _END),
    re.compile(r"^(?P<day>\d{1,2})[-_.](?P<month>\d{1,2})[-_.](?P<year>\d{4})" + _END),
    re.compile(r"^(?P<day>\d{1,2})\s+(?:de\s+)?" + _MONTH_WORD
               + r"(?:\s+(?:de\s+|del\s+)?(?P<year>\d{4}))?(?=\s|$)"),
)
PLACE_PATTERNS = (
    re.compile(r"^(?P<event>.+?)\s+[-–—|]\s+(?P<place>[^-–—|]+)$"),
    re.compile(r"^(?P<event>.+?)\s*\((?P<place>[^()]+)\)$"),
)


def fold(text: str) -> str:
    """Lower case without accents: "Año" and "ano", "Marzo" and "marzo" read alike."""
    text = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).strip()


def read_year(name: str) -> int | None:
    for pattern in YEAR_PATTERNS:
        if m := pattern.match(fold(name)):
            return int(m.group("year"))
    return None


def read_month(name: str) -> int | None:
    for pattern in MONTH_PATTERNS:
        if m := pattern.match(fold(name)):
            number = m.groupdict().get("month")
            month = int(number) if number else MONTHS[m.group("mname").rstrip(".")]
            if number and m.groupdict().get("mname") and \
                    MONTHS[m.group("mname").rstrip(".")] != month:
                return None  # "03 Abril": the folder contradicts itself
            return month if 1 <= month <= 12 else None
    return None


@dataclass(frozen=True)
class EventName:
    """What an event folder's name says."""

    event: str | None
    date: dt.date | None
    place: str | None
    problem: str | None = None  # a date that is not one (2019-02-30), said in the dry run


def _date_of(m: re.Match[str], year: int | None) -> tuple[dt.date | None, str | None]:
    groups = m.groupdict()
    month = int(groups["month"]) if groups.get("month") else MONTHS[groups["mname"]]
    found_year = int(groups["year"]) if groups.get("year") else year
    if found_year is None:
        return None, "the folder gives a day and month but no year"
    try:
        return dt.date(found_year, month, int(groups["day"])), None
    except ValueError:
        return None, f"not a date: {m.group(0)!r}"


def read_event(name: str, year: int | None = None) -> EventName:
    """The event, date and place of an event folder's name (``year``: from the folder above)."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    folded = fold(text)
    date, problem = None, None
    for pattern in DATE_PATTERNS:
        if m := pattern.match(folded):
            date, problem = _date_of(m, year)
            # folding keeps length for Spanish letters (NFD then drop marks): cut the original
            text = text[len(_unfolded_prefix(text, m.end())):].lstrip(" _-.,")
            break
    place = None
    for pattern in PLACE_PATTERNS:
        if m := pattern.match(text):
            text, place = m.group("event").strip(), m.group("place").strip()
            break
    return EventName(text or None, date, place or None, problem)


def _unfolded_prefix(text: str, folded_length: int) -> str:
    """The start of ``text`` whose folded form is ``folded_length`` characters long."""
    for i in range(len(text) + 1):
        if len(fold(text[:i]) if i else "") >= folded_length:
            return text[:i]
    return text
