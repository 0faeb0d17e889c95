"""JPEG originals with current metadata: new XMP and IPTC segments, everything else byte for byte.

The segments before the first SOS are scanned from a stream (their payloads are skipped, not
loaded, except the Photoshop ones, merged). The plan keeps every other segment (EXIF, ICC, MPF,
maker data), drops the old XMP, extended XMP and Photoshop IPTC, and inserts the new ones after
SOI, JFIF and EXIF; the entropy-coded data and anything after it are copied unchanged.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import BinaryIO

from publish.embed.iim import APP13_HEADER, app13_segment, iptc_block
from publish.embed.info import EmbedError, PressInfo
from publish.embed.merge import kept_properties
from publish.embed.mpf import MPF_HEADER, patch_mpf
from publish.embed.plan import Plan, Span, read_exact, skip
from publish.embed.xmp import WRITTEN, split_xmp

SOI, SOS, EOI, APP0, APP1, APP2, APP13 = 0xD8, 0xDA, 0xD9, 0xE0, 0xE1, 0xE2, 0xED
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
EXTENDED_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_HEADER = b"Exif\x00"
EXTENDED_CHUNK = 0xFFFF - 2 - len(EXTENDED_HEADER) - 32 - 8  # 65,458 bytes of XMP per segment
MAX_SEGMENTS = 4096
_PEEK = 40  # enough of a payload to tell what it is
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True)
class Segment:
    """One marker segment: where it starts (its 0xFF), its whole length, its payload's start."""

    marker: int
    offset: int
    length: int
    head: bytes
    payload: bytes | None = None  # the whole payload, read only where it is rewritten

    @property
    def is_xmp(self) -> bool:
        return self.marker == APP1 and self.head.startswith((XMP_HEADER, EXTENDED_HEADER))

    @property
    def is_photoshop(self) -> bool:
        return self.marker == APP13 and self.head.startswith(APP13_HEADER)


def _marker(stream: BinaryIO, position: int) -> tuple[int, int]:
    """The next marker and the offset of its 0xFF (fill bytes 0xFF before it are skipped)."""
    if read_exact(stream, 1, "a marker") != b"\xff":
        raise EmbedError(f"no JPEG marker at byte {position}: corrupt header")
    while (byte := read_exact(stream, 1, "a marker")[0]) == 0xFF:
        position += 1
    return byte, position


def _read_segment(stream: BinaryIO, marker: int, offset: int) -> Segment:
    (length,) = struct.unpack(">H", read_exact(stream, 2, "a segment length"))
    if length < 2:
        raise EmbedError(f"a JPEG segment at byte {offset} has length {length}: corrupt")
    size = length - 2
    head = read_exact(stream, min(size, _PEEK), "a segment")
    payload = None
    if (marker in (APP13, APP2) and head.startswith((APP13_HEADER, MPF_HEADER))) or (
        marker == APP1 and head.startswith(XMP_HEADER)
    ):
        payload = head + read_exact(stream, size - len(head), "a segment")
    else:
        skip(stream, size - len(head), "a segment")
    return Segment(marker, offset, length + 2, head, payload)


def scan_jpeg(stream: BinaryIO) -> tuple[list[Segment], int]:
    """The segments between SOI and the first SOS, and the offset of that SOS marker."""
    if stream.read(2) != b"\xff\xd8":
        raise EmbedError("not a JPEG: it does not start with SOI")
    segments: list[Segment] = []
    position = 2
    while len(segments) < MAX_SEGMENTS:
        marker, offset = _marker(stream, position)
        if marker == SOS:
            return segments, offset
        if marker in _STANDALONE:
            segments.append(Segment(marker, offset, 2, b""))
        elif marker in (SOI, EOI):
            raise EmbedError(f"JPEG marker {marker:#x} before any image data: corrupt")
        else:
            segments.append(_read_segment(stream, marker, offset))
        position = segments[-1].offset + segments[-1].length
    raise EmbedError("more than 4096 segments before the image data: refused")


def _app1(header: bytes, data: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(header) + len(data) + 2) + header + data


def xmp_segments(standard: bytes, extended: bytes | None) -> bytes:
    """The standard XMP segment, then the extended XMP in chunks (XMP spec part 3, 1.1.3.1)."""
    out = [_app1(XMP_HEADER, standard)]
    if extended:
        guid = hashlib.md5(extended, usedforsecurity=False).hexdigest().upper().encode()
        for start in range(0, len(extended), EXTENDED_CHUNK):
            prefix = guid + struct.pack(">II", len(extended), start)
            out.append(_app1(EXTENDED_HEADER + prefix, extended[start : start + EXTENDED_CHUNK]))
    return b"".join(out)


def _insertion_point(kept: list[Segment]) -> int:
    """After the leading JFIF and EXIF segments, where readers look first."""
    at = 0
    while at < len(kept) and (
        kept[at].marker == APP0
        or (kept[at].marker == APP1 and kept[at].head.startswith(EXIF_HEADER))
    ):
        at += 1
    return at


def metadata_segments(info: PressInfo, previous_irb: bytes = b"",
                      old_xmp: bytes = b"") -> bytes:
    """The new XMP (standard and extended) and Photoshop IPTC segments for ``info``, keeping
    the properties of ``old_xmp`` (the file's standard packet) that Acervo does not write."""
    keep = kept_properties(old_xmp, WRITTEN) if old_xmp else []
    standard, extended = split_xmp(info, keep)
    return xmp_segments(standard, extended) + app13_segment(iptc_block(info), previous_irb)


def jpeg_plan(stream: BinaryIO, size: int, info: PressInfo) -> Plan:
    """How to write the JPEG in ``stream`` (``size`` bytes) with ``info`` as its metadata."""
    segments, sos = scan_jpeg(stream)
    if sos >= size:
        raise EmbedError("the JPEG has no image data: truncated")
    irb = b"".join(s.payload[len(APP13_HEADER):] for s in segments
                   if s.is_photoshop and s.payload is not None)
    old_xmp = next((s.payload[len(XMP_HEADER):] for s in segments
                    if s.payload is not None and s.head.startswith(XMP_HEADER)), b"")
    kept = [s for s in segments if not (s.is_xmp or s.is_photoshop)]
    at = _insertion_point(kept)
    new = metadata_segments(info, irb, old_xmp)
    parts: list[bytes | Segment] = [*kept[:at], new, *kept[at:]]
    _keep_mpf_offsets(parts, sos)
    plan = Plan()
    plan.add(Span(0, 2))
    for part in parts:
        plan.add(part if isinstance(part, bytes) else Span(part.offset, part.length))
    plan.add(Span(sos, size - sos))
    return plan


def _keep_mpf_offsets(parts: list[bytes | Segment], sos: int) -> None:
    """Patch the MPF segment in place when the bytes between it and the image data change size
    (the later images, such as an Ultra HDR gain map, move by as much)."""
    for i, part in enumerate(parts):
        if isinstance(part, Segment) and part.marker == APP2 and part.payload is not None:
            old_after = sos - (part.offset + part.length)
            new_after = sum(len(p) if isinstance(p, bytes) else p.length for p in parts[i + 1 :])
            if new_after != old_after:
                payload = patch_mpf(part.payload, new_after - old_after)
                parts[i] = b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload
            return
