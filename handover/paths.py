"""Readable, safe paths inside a bag, and CSV cells a spreadsheet never runs as formulas."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import PurePosixPath

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|%]+')
_SPACES = re.compile(r"\s+")
NO_EVENT = "sin-evento"


def clean_part(text: str | None, limit: int = 80, default: str = "sin-nombre") -> str:
    """One path segment people can read: no separators, controls or leading dots, NFC, short."""
    value = unicodedata.normalize("NFC", text or "")
    value = _SPACES.sub(" ", _UNSAFE.sub("-", value)).strip(" .-")
    if len(value.encode()) > limit:
        value = value.encode()[:limit].decode("utf-8", "ignore").rstrip(" .-")
    return value or default


def asset_day(taken_at: dt.datetime | None, created_at: dt.datetime | None) -> dt.date | None:
    moment = taken_at or created_at
    return moment.date() if moment else None


class PathPlanner:
    """Assigns every original its ``originales/AAAA/MM/<evento>/<archivo>``, never twice."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def original(self, day: dt.date | None, event: str | None, filename: str, asset_id: int
                 ) -> str:
        folder = f"{day:%Y/%m}" if day else "sin-fecha"
        name = PurePosixPath(clean_part(filename, 150))
        base = f"originales/{folder}/{clean_part(event, 80, NO_EVENT)}"
        path = f"{base}/{name}"
        if path.casefold() in self._used:
            path = f"{base}/{name.stem}__{asset_id}{name.suffix}"
        self._used.add(path.casefold())
        self._used.add(f"{path}.xmp".casefold())
        return path


def version_path(original: str, number: int, filename: str) -> str:
    """Where an earlier version of ``original`` goes: beside it, under
    ``versiones/<archivo>/v<N>-<its own name>`` (unique, since ``original`` is)."""
    folder, _, name = original.rpartition("/")
    return f"{folder}/versiones/{name}/v{number}-{clean_part(filename, 150)}"


def rendition_path(original: str, kind: str, page: int, key: str) -> str:
    """Where a derivative of ``original`` goes: ``derivados/.../<archivo>/<tipo>[-p].ext``."""
    suffix = PurePosixPath(key).suffix
    tail = f"{kind}-{page}" if page else kind
    return "derivados/" + original.removeprefix("originales/") + f"/{tail}{suffix}"


def formula_safe(value: object) -> str:
    """A CSV cell: text starting with = + - @ (or a tab/CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
