"""IPTC-IIM datasets in a Photoshop APP13 segment (UTF-8), merged with other Photoshop resources."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

from publish.embed.info import PressInfo

APP13_HEADER = b"Photoshop 3.0\x00"
IPTC_RESOURCE = 0x0404
IPTC_DIGEST = 0x0425  # MD5 of the IIM data: tells Photoshop the IPTC is current
UTF8 = b"\x1b%G"
MAX_SEGMENT_PAYLOAD = 0xFFFF - 2
MAX_IIM = 60_000  # room in one APP13 segment for the block and a few other resources
_SIGNATURES = (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR")


def _dataset(record: int, number: int, value: bytes) -> bytes:
    return struct.pack(">BBBH", 0x1C, record, number, len(value)) + value


def truncate_utf8(value: str, limit: int) -> bytes:
    """At most ``limit`` bytes of UTF-8, never cutting a character in two."""
    data = value.encode("utf-8")[:limit]
    return data.decode("utf-8", "ignore").encode("utf-8")


def _fields(info: PressInfo) -> Iterator[tuple[int, str | None, int]]:
    """(dataset, value, byte limit) for the single-valued datasets.

    The limits are IIM 4.2's, except by-line and credit (32 there): a credit line such as
    "Foto: Ana Peña / Alcaldía Iztapalapa" must not be cut, and every reader we know takes more.
    """
    yield from (
        (105, info.headline, 256), (80, info.creator, 128), (110, info.credit, 128),
        (116, info.copyright, 128), (40, info.usage_terms, 256),
        (92, info.sublocation, 32), (90, info.city, 32), (95, info.state_province, 32),
        (100, info.country_code, 3), (101, info.country, 64), (120, info.caption, 2000),
    )


def iptc_block(info: PressInfo) -> bytes:
    """The IIM datasets: envelope with UTF-8 declared, then the application record."""
    parts = [_dataset(1, 90, UTF8), _dataset(2, 0, b"\x00\x04")]
    for number, value, limit in _fields(info):
        if value:
            parts.append(_dataset(2, number, truncate_utf8(value, limit)))
    size = sum(map(len, parts))
    for keyword in info.keywords:
        if keyword:
            dataset = _dataset(2, 25, truncate_utf8(keyword, 64))
            size += len(dataset)
            if size > MAX_IIM:
                break  # XMP carries every keyword; IIM only what fits
            parts.append(dataset)
    return b"".join(parts)


def _resource(number: int, data: bytes) -> bytes:
    block = b"8BIM" + struct.pack(">H", number) + b"\x00\x00" + struct.pack(">I", len(data))
    return block + data + (b"\x00" if len(data) % 2 else b"")


def other_resources(irb: bytes) -> bytes:
    """The resources of a Photoshop block except IPTC and its digest; empty if it is corrupt."""
    kept, pos = [], 0
    while pos < len(irb):
        start = pos
        if irb[pos : pos + 4] not in _SIGNATURES or pos + 7 > len(irb):
            return b""
        number = struct.unpack(">H", irb[pos + 4 : pos + 6])[0]
        name_length = irb[pos + 6]
        pos += 6 + name_length + 1 + ((name_length + 1) % 2)
        if pos + 4 > len(irb):
            return b""
        size = struct.unpack(">I", irb[pos : pos + 4])[0]
        pos += 4 + size + (size % 2)
        if pos > len(irb):
            return b""
        if number not in (IPTC_RESOURCE, IPTC_DIGEST):
            kept.append(irb[start:pos])
    return b"".join(kept)


def app13_segment(iim: bytes, previous_irb: bytes = b"") -> bytes:
    """One APP13 segment with ``iim`` and its digest, keeping the other resources of
    ``previous_irb`` (the file's old Photoshop resource blocks, headers removed) when they fit."""
    digest = hashlib.md5(iim, usedforsecurity=False).digest()
    ours = _resource(IPTC_RESOURCE, iim) + _resource(IPTC_DIGEST, digest)
    kept = other_resources(previous_irb)
    payload = APP13_HEADER + kept + ours
    if len(payload) > MAX_SEGMENT_PAYLOAD:
        payload = APP13_HEADER + ours
    if len(payload) > MAX_SEGMENT_PAYLOAD:
        raise ValueError("IPTC block too large for one APP13 segment")
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
