"""Converters from raw metadata values (text, dates, rationals) to clean, bounded Python values."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_TIME = re.compile(
    r"^\s*(\d{4})[:\-/](\d{1,2})[:\-/](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?)?\s*(.*)$"
)
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")

# Bounds for the `raw` dump, so a hostile or bloated file cannot inflate the catalog row.
RAW_MAX_TEXT = 1000
RAW_MAX_ITEMS = 50
RAW_MAX_BYTES = 32
RAW_MAX_KEYS = 400
RAW_MAX_DEPTH = 6
MAX_OFFSET_MINUTES = 14 * 60


def clean_text(value: Any) -> str | None:
    """Strip a text value; cut at the first NUL, drop control characters, empty becomes None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = decode_text(value)
    if not isinstance(value, str):
        value = str(value)
    value = _CONTROL.sub("", value.split("\x00", 1)[0]).strip()
    return value or None


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes with the declared encoding, else UTF-8, else Windows-1252, else Latin-1."""
    for candidate in (encoding, "utf-8", "cp1252"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def parse_offset(value: Any) -> int | None:
    """Minutes east of UTC from '+03:00', '-0500', '+1:00' or 'Z'; None when absent or absurd."""
    text = clean_text(value)
    if text is None:
        return None
    if text.upper() == "Z":
        return 0
    match = _OFFSET.match(text)
    if match is None:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    if minutes > MAX_OFFSET_MINUTES:
        return None
    return -minutes if match.group(1) == "-" else minutes


def parse_datetime(value: Any, *, date_only: bool = False) -> tuple[dt.datetime, int | None] | None:
    """Parse an EXIF ('2021:10:20 21:01:01') or XMP ISO 8601 date-time, with optional zone.

    Returns the naive wall-clock time and the UTC offset in minutes (None when not stated).
    Dates without a time are accepted only when `date_only` is true. Zero or blank dates,
    common placeholders, give None; so do impossible ones (the caller decides whether to warn).
    """
    text = clean_text(value)
    if text is None:
        return None
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None and not date_only:
        return None
    try:
        stamp = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    return stamp, parse_offset(zone) if zone else None


def is_blank_date(value: Any) -> bool:
    """True for absent dates and the all-zero or all-blank placeholders cameras write."""
    text = clean_text(value)
    return text is None or not re.sub(r"[\s:0\-T.+Z]", "", text)


def subsec_microseconds(value: Any) -> int | None:
    """Microseconds from an EXIF SubSecTime string ('27' means 0.27 s)."""
    text = clean_text(value)
    if text is None or not text.isdigit():
        return None
    return int(text[:6].ljust(6, "0"))


def ratio_to_float(value: Any) -> float | None:
    """A float from an int, float, Fraction-like (numerator/denominator) or 'n/d' text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, int | float):
        result = float(value)
    elif hasattr(value, "numerator") and hasattr(value, "denominator"):
        if not value.denominator:
            return None
        result = value.numerator / value.denominator
    elif isinstance(value, str):
        result = _text_to_float(value)
        if result is None:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def _text_to_float(text: str) -> float | None:
    parts = text.strip().split("/")
    try:
        if len(parts) == 2:
            denominator = float(parts[1])
            return float(parts[0]) / denominator if denominator else None
        return float(text)
    except ValueError:
        return None


def bound_json(value: Any, depth: int = 0) -> Any:
    """A JSON-serialisable, size-bounded copy of a raw metadata value (bytes become short hex)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return value if len(value) <= RAW_MAX_TEXT else value[:RAW_MAX_TEXT] + "…"
    if isinstance(value, bytes | bytearray):
        head = bytes(value[:RAW_MAX_BYTES]).hex()
        return head + ("…" if len(value) > RAW_MAX_BYTES else "")
    if depth >= RAW_MAX_DEPTH:
        return None
    if isinstance(value, dict):
        items = list(value.items())[:RAW_MAX_KEYS]
        return {str(key): bound_json(item, depth + 1) for key, item in items}
    if isinstance(value, list | tuple):
        return [bound_json(item, depth + 1) for item in list(value)[:RAW_MAX_ITEMS]]
    number = ratio_to_float(value)
    return number if number is not None else clean_text(str(value))
