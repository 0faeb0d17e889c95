"""PNG originals with current metadata: one iTXt XMP chunk after IHDR, every other chunk as is."""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from publish.embed.info import EmbedError
from publish.embed.plan import Plan, Span, read_exact, skip

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = b"XML:com.adobe.xmp"
# Metadata chunks the new XMP replaces: Adobe's XMP, and ImageMagick's raw XMP and IPTC profiles.
_REPLACED = {
    b"iTXt": (XMP_KEYWORD, b"Raw profile type xmp", b"Raw profile type iptc"),
    b"tEXt": (b"Raw profile type xmp", b"Raw profile type iptc"),
    b"zTXt": (b"Raw profile type xmp", b"Raw profile type iptc"),
}
MAX_CHUNKS = 1_000_000


def xmp_chunk(packet: bytes) -> bytes:
    """An uncompressed iTXt chunk holding ``packet`` (XMP spec part 3, 1.1.5)."""
    data = XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet  # flags, method, language, name
    body = b"iTXt" + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _replaced(kind: bytes, head: bytes) -> bool:
    keyword = head.split(b"\x00", 1)[0]
    return keyword in _REPLACED.get(kind, ())


def png_plan(stream: BinaryIO, size: int, packet: bytes) -> Plan:
    """How to write the PNG in ``stream`` (``size`` bytes) with ``packet`` as its only XMP."""
    if stream.read(8) != SIGNATURE:
        raise EmbedError("not a PNG: wrong signature")
    plan, position = Plan(), 8
    plan.add(Span(0, 8))
    for count in range(MAX_CHUNKS):
        length, kind = struct.unpack(">I4s", read_exact(stream, 8, "a chunk header"))
        if count == 0 and kind != b"IHDR":
            raise EmbedError("the PNG does not start with IHDR: corrupt")
        if length > 0x7FFFFFFF:
            raise EmbedError(f"a PNG chunk at byte {position} declares {length} bytes: corrupt")
        head = read_exact(stream, min(length, 80), "a chunk") if kind in _REPLACED else b""
        skip(stream, length - len(head) + 4, "a chunk")  # the rest of the data, and the CRC
        whole = 12 + length
        if not _replaced(kind, head):
            plan.add(Span(position, whole))
        if count == 0:
            plan.add(xmp_chunk(packet))
        position += whole
        if kind == b"IEND":
            break
    else:
        raise EmbedError("too many PNG chunks: refused")
    if position > size:
        raise EmbedError("the PNG is longer than the stored size said")
    plan.add(Span(position, size - position))  # anything after IEND travels too
    return plan
