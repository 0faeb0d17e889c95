"""Languages: Spanish (es-MX) by default, English on request; dates and numbers by locale."""

from __future__ import annotations

import datetime as dt
import functools

from babel.dates import format_date, format_datetime
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
    """A wall-clock time as the camera recorded it (no time zone conversion)."""
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=None), "medium", locale=str(get_locale()))


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


def _translations() -> Translations:
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
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        date=fmt_date, taken=fmt_taken, coordinate=fmt_coordinate, moment=fmt_moment,
        number=fmt_number, bytes=fmt_bytes, duration=fmt_duration, tidy=tidy,
    )
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, locale_tag=locale_tag)
