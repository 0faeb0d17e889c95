"""Addresses, dates and sizes as the public gallery writes them (relative links, Spanish dates)."""

from __future__ import annotations

import datetime as dt
import posixpath
from urllib.parse import quote
from zoneinfo import ZoneInfo

# The office's own clock: a picture published at 20:00 on the 12th in Mexico City is from the 12th,
# although it is already the 13th in UTC.
LOCAL_TIMEZONE = ZoneInfo("America/Mexico_City")

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")


def relative_url(from_page: str, target: str) -> str:
    """The link from the page at ``from_page`` to ``target`` (both relative to the site's root).

    Links name files (``fotos/12/index.html``), never folders, so the site also works opened
    from disk (``file://``), where no server turns a folder into its ``index.html``.
    """
    here = posixpath.dirname(from_page) or "."
    return quote(posixpath.relpath(target, here), safe="/")


def absolute_url(base_url: str, path: str) -> str:
    """The public address of ``path``: the gallery's base URL (ending in ``/``) plus the path.

    The file's own name is kept (``.../fotos/12/index.html``): it works on every host, a bare
    S3 bucket included, which does not serve a folder's ``index.html``.
    """
    return base_url + quote(path, safe="/")


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; a naive datetime is taken as UTC (as the catalog stores them)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    """``2025-03-12T18:30:00Z``: the form Atom, sitemaps and DCAT expect."""
    return as_utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_day(moment: dt.datetime | dt.date) -> dt.date:
    """The calendar day of ``moment`` in Mexico City."""
    if isinstance(moment, dt.datetime):
        return as_utc(moment).astimezone(LOCAL_TIMEZONE).date()
    return moment


def spanish_date(moment: dt.datetime | dt.date | None) -> str:
    """``12 de marzo de 2025`` (days in Mexico City's time); empty for no date."""
    if moment is None:
        return ""
    day = local_day(moment)
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def human_size(byte_size: int) -> str:
    """``245 KB``, ``1.8 MB``: sizes for download links (binary multiples, decimal point)."""
    kib = byte_size / 1024
    if kib < 1024:
        return f"{max(1, round(kib))} KB"
    return f"{kib / 1024:.1f} MB"
