"""Translations: every string of the code and templates is in Spanish, and the .mo is current."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with open(WEB / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


def test_every_string_has_a_spanish_translation() -> None:
    catalog = _catalog("es_MX")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog if m.id and not m.fuzzy  # fuzzy entries are not compiled: English shows
        and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(_extracted() - translated)
    assert not missing, f"untranslated (run pybabel extract/update, then translate): {missing}"


def test_compiled_catalogs_match_their_sources() -> None:
    for locale in ("es_MX", "en"):
        source = {_key(m.id): _key(m.string) for m in _catalog(locale) if m.id}
        with open(WEB / "translations" / locale / "LC_MESSAGES" / "messages.mo", "rb") as fh:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(io.BytesIO(fh.read()))
                        if m.id}
        stale = [k for k, v in source.items() if any(v) and compiled.get(k) != v]
        assert not stale, f"{locale}: run `pybabel compile -d web/translations`: {stale[:3]}"


def _key(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (str(value),)


def test_capture_times_read_exactly_as_babel_writes_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """fmt_taken remembers each field's text; what it writes is Babel's medium format."""
    import datetime as dt

    from babel.dates import format_datetime

    import web.i18n as i18n

    moments = [dt.datetime(2019, 1, 1) + dt.timedelta(minutes=37 * n, seconds=n % 60)
               for n in range(0, 200_000, 397)]
    moments += [dt.datetime(1999, 12, 31, 0, 0, 0), dt.datetime(2024, 2, 29, 12, 0, 5),
                dt.datetime(2026, 7, 12, 23, 59, 59, tzinfo=dt.UTC)]
    for locale in ("es_MX", "en"):
        monkeypatch.setattr(i18n, "get_locale", lambda locale=locale: locale)
        assert i18n._medium_pattern(locale) is not None  # the quick path, not the fallback
        for moment in moments:
            assert i18n.fmt_taken(moment) == format_datetime(
                moment.replace(tzinfo=None), "medium", locale=locale), (locale, moment)
    assert i18n.fmt_taken(None) == ""
