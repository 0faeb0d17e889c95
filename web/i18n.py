"""Languages: Spanish (es-MX) by default, English on request; dates and numbers by locale."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

from babel.dates import (
    DateTimeFormat,
    format_date,
    format_datetime,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from babel.numbers import format_decimal
from babel.support import Translations
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations

LANGUAGES = {"es_MX": "Español", "en": "English"}
DEFAULT_LOCALE = "es_MX"
TIMEZONE = "America/Mexico_City"


def select_locale() -> str:
    user = g.get("user")
    chosen = session.get("lang") or (user.locale if user is not None else None)
    if chosen in LANGUAGES:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def locale_tag() -> str:
    """The page's language for <html lang>: es-MX or en."""
    return str(get_locale() or DEFAULT_LOCALE).replace("_", "-")


def fmt_date(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, style, locale=str(get_locale()))


def fmt_taken(value: dt.datetime | None) -> str:
    """A wall-clock time as the camera recorded it (no time zone conversion): Babel's medium
    date and time, field by field from memory (a grid shows sixty; Babel takes ~50 us each)."""
    if value is None:
        return ""
    locale = str(get_locale())
    naive = value.replace(tzinfo=None)
    compiled = _medium_pattern(locale)
    if compiled is None:
        return format_datetime(naive, "medium", locale=locale)
    text, fields = compiled
    return text % {name: _field_text(locale, name, naive) for name in fields}


# The part of the moment each pattern field shows ("a": a.m. or p.m.); a pattern with any other
# field is left to Babel whole.
_FIELD_PARTS: dict[str, Callable[[dt.datetime], object]] = {
    "d": lambda v: v.day, "M": lambda v: v.month, "L": lambda v: v.month,
    "y": lambda v: v.year, "h": lambda v: v.hour, "H": lambda v: v.hour,
    "K": lambda v: v.hour, "k": lambda v: v.hour, "m": lambda v: v.minute,
    "s": lambda v: v.second, "a": lambda v: v.hour >= 12,
}
_FIELD_TEXTS: dict[tuple[str, str, object], str] = {}


@functools.lru_cache(maxsize=16)
def _medium_pattern(locale: str) -> tuple[str, tuple[str, ...]] | None:
    """The locale's medium date-time pattern as one %-format and its field names, as Babel's
    format_datetime composes it; None if a field is not one part of the moment."""
    whole = get_datetime_format("medium", locale=locale).replace("'", "").replace("%", "%%")
    text = (whole.replace("{0}", get_time_format("medium", locale=locale).format)
            .replace("{1}", get_date_format("medium", locale=locale).format))
    fields = tuple(dict.fromkeys(re.findall(r"%\((\w+)\)s", text)))
    return (text, fields) if all(f[0] in _FIELD_PARTS for f in fields) else None


def _field_text(locale: str, name: str, value: dt.datetime) -> str:
    key = (locale, name, _FIELD_PARTS[name[0]](value))
    found = _FIELD_TEXTS.get(key)
    if found is None:
        if len(_FIELD_TEXTS) > 10_000:  # years are the only open-ended part
            _FIELD_TEXTS.clear()
        found = _FIELD_TEXTS[key] = DateTimeFormat(value, locale)[name]
    return found


def fmt_moment(value: dt.datetime | None) -> str:
    """A moment (stored in UTC) in Mexico City's time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return format_datetime(value, "medium", tzinfo=TIMEZONE, locale=str(get_locale()))


def fmt_number(value: float | int | None, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        value = round(float(value), digits)
    return _decimal(value, str(get_locale()))


@functools.lru_cache(maxsize=4096, typed=True)
def _decimal(value: float | int, locale: str) -> str:
    """Babel's format_decimal, remembered: a search sidebar formats dozens of counts."""
    return format_decimal(value, locale=locale)


def tidy(text: str) -> str:
    """One period where a sentence ends on an abbreviation ("a.m." + "." = "a.m..")."""
    return text.replace("..", ".") if ".." in text and "..." not in text else text


def fmt_duration(seconds: float | None) -> str:
    """A running time as a player shows it: 0:07, 4:05, 1:02:09."""
    if seconds is None or seconds < 0:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def fmt_coordinate(value: float | None) -> str:
    """Degrees with six decimals (about 10 cm), never grouped."""
    if value is None:
        return ""
    return format_decimal(value, format="0.000000", locale=str(get_locale()))


def fmt_bytes(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            digits = 0 if unit == "B" else 1
            return f"{format_decimal(round(size, digits), locale=str(get_locale()))} {unit}"
        size /= 1000
    return str(value)


def request_translations() -> Translations:
    """This request's catalog, looked up once: flask-babel's own lookup costs ~25 us per string,
    and an asset page translates about a hundred."""
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # templates' _() and ngettext(), as flask-babel's
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        date=fmt_date, taken=fmt_taken, coordinate=fmt_coordinate, moment=fmt_moment,
        number=fmt_number, bytes=fmt_bytes, duration=fmt_duration, tidy=tidy,
    )
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, locale_tag=locale_tag)
