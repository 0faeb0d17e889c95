"""Metadata blocks taken from a JPEG or WebP whose header Pillow refuses (a damaged file).

The blocks are found by walking the container's own structure (JPEG marker segments, RIFF
chunks), without decoding anything: a broken frame header or picture data does not take the
EXIF, XMP and IPTC that precede it down with it.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

SCAN_BYTES = 4 * 1024 * 1024
XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"
PHOTOSHOP_SIGNATURE = b"Photoshop 3.0\x00"
JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                      0xCF})


def salvage(handle: BinaryIO) -> dict[str, object]:
    """``exif`` (with its 'Exif' prefix), ``xmp``, ``photoshop`` (resources) and ``size`` found."""
    handle.seek(0)
    data = handle.read(SCAN_BYTES)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    return {}


def _jpeg(data: bytes) -> dict[str, object]:
    found: dict[str, object] = {}
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            break
        marker = data[offset + 1]
        if marker == 0xFF:
            offset += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more headers
            break
        (length,) = struct.unpack_from(">H", data, offset + 2)
        body = data[offset + 4 : offset + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00") and "exif" not in found:
            found["exif"] = body
        elif marker == 0xE1 and body.startswith(XMP_SIGNATURE) and "xmp" not in found:
            found["xmp"] = body[len(XMP_SIGNATURE) :]
        elif marker == 0xED and body.startswith(PHOTOSHOP_SIGNATURE):
            found["photoshop"] = found.get("photoshop", b"") + body[len(PHOTOSHOP_SIGNATURE) :]
        elif marker in JPEG_SOF and len(body) >= 5:
            height, width = struct.unpack_from(">HH", body, 1)
            if width and height:
                found["size"] = (width, height)
        if length < 2:
            break
        offset += 2 + length
    return found


def _webp(data: bytes) -> dict[str, object]:
    found: dict[str, object] = {}
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        (length,) = struct.unpack_from("<I", data, offset + 4)
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"EXIF":
            found["exif"] = body
        elif kind == b"XMP ":
            found["xmp"] = body
        elif kind == b"VP8X" and len(body) >= 10:
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
            found["size"] = (width, height)
        offset += 8 + length + (length & 1)
    return found
