"""A PDF's document metadata (Info dictionary and XMP packet) as catalog fields.

PDFium reads the Info dictionary but not the XMP packet, so the packet is found by scanning
the file for ``<x:xmpmeta`` (document-level XMP is stored uncompressed, as PDF/A requires and
most producers do) and parsed with the photo metadata's XMP reader. The Info dictionary wins
where both say something, as exiftool shows it first; XMP fills what Info lacks.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ingest.metadata.xmp import parse_xmp, xmp_list, xmp_text

CHUNK = 1024 * 1024
MAX_PACKET = 1024 * 1024
MAX_SCAN_BYTES = 512 * 1024 * 1024
# The wrapper's start and end; Acrobat 4-5 era files use the old ``<x:xapmeta>`` (and ``xap:``).
WRAPPERS = ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<x:xapmeta", b"</x:xapmeta>"))
XMP_START = WRAPPERS[0][0]
DOCUMENT_HINTS = (b"pdf:", b"dc:title", b"xmp:CreateDate", b"xap:CreateDate")
_PDF_DATE = re.compile(
    r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)


def parse_pdf_date(value: str | None) -> tuple[dt.datetime, int | None] | None:
    """``D:20220403180542+02'00'`` as (wall-clock time, UTC offset in minutes or None)."""
    if not value:
        return None
    match = _PDF_DATE.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
    try:
        when = dt.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0),
        )  # fmt: skip
    except ValueError:
        return None
    if when.year < 1980:  # the zero dates of unset clocks and templates
        return None
    if zulu:
        return when, 0
    if sign:
        minutes = int(off_h) * 60 + int(off_m or 0)
        return when, -minutes if sign == "-" else minutes
    return when, None


def find_xmp_packet(path: Path) -> bytes | None:
    """The last document-looking XMP packet in the file (a later update supersedes earlier)."""
    found: bytes | None = None
    with open(path, "rb") as handle:
        offset, tail = 0, b""
        while offset < MAX_SCAN_BYTES:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            window = tail + chunk
            for packet in _packets(window, handle, offset - len(tail)):
                if any(hint in packet for hint in DOCUMENT_HINTS):
                    found = packet
            tail = window[1 - len(XMP_START) :]
            offset += len(chunk)
    return found


def _packets(window: bytes, handle: Any, window_offset: int) -> list[bytes]:
    """The packets starting in ``window``, in file order, in either wrapper."""
    packets: list[tuple[int, bytes]] = []
    for opening, closing in WRAPPERS:
        start = window.find(opening)
        while start != -1:
            position = handle.tell()
            handle.seek(window_offset + start)
            data = handle.read(MAX_PACKET)
            handle.seek(position)
            end = data.find(closing)
            if end != -1:
                packets.append((start, data[: end + len(closing)]))
            start = window.find(opening, start + 1)
    return [packet for _start, packet in sorted(packets, key=lambda item: item[0])]


def read_xmp(path: Path, warnings: list[str]) -> dict[str, Any]:
    packet = find_xmp_packet(path)
    return parse_xmp(packet, warnings) if packet else {}


def document_fields(info: dict[str, str], xmp: dict[str, Any]) -> dict[str, Any]:
    """Catalog fields from the Info dictionary and XMP: title, author, subject, keywords, date."""
    title = _clean(info.get("Title")) or xmp_text(xmp.get("dc:title"))
    author = _clean(info.get("Author")) or "; ".join(xmp_list(xmp.get("dc:creator"))) or None
    subject = _clean(info.get("Subject")) or xmp_text(xmp.get("dc:description"))
    keywords = split_keywords(_clean(info.get("Keywords")) or xmp_text(xmp.get("pdf:Keywords")))
    keywords = keywords or xmp_list(xmp.get("dc:subject"))
    created = parse_pdf_date(info.get("CreationDate")) or _xmp_date(xmp.get("xmp:CreateDate"))
    return {
        "headline": title,
        "creator": author[:500] if author else None,
        "caption": subject,
        "keywords": keywords[:100],
        "taken_at": created[0] if created else None,
        "taken_at_offset_minutes": created[1] if created else None,
    }


def split_keywords(text: str | None) -> list[str]:
    if not text:
        return []
    parts = re.split(r"[;,\n]", text)
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _clean(value: str | None) -> str | None:
    text = (value or "").replace("\x00", "").strip()
    return text or None


def _xmp_date(value: Any) -> tuple[dt.datetime, int | None] | None:
    text = xmp_text(value)
    if not text:
        return None
    match = re.match(
        r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$", text
    )
    if match is None:
        return None
    try:
        when = dt.datetime.fromisoformat(f"{match[1]}T{match[2] or '00:00'}")
    except ValueError:
        return None
    zone = match[3]
    if zone is None:
        return when, None
    if zone == "Z":
        return when, 0
    minutes = int(zone[1:3]) * 60 + int(zone[4:6])
    return when, -minutes if zone[0] == "-" else minutes
