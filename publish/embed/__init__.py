"""Metadata that travels with the file: IPTC-IIM and XMP embedded in downloads, without Flask.

Every download carries the asset's current description. JPEG originals get new XMP (standard
and extended) and Photoshop IPTC segments; PNG originals an iTXt XMP chunk; other types travel
bit-exact with an XMP sidecar. The stored original is never modified: the functions here read
a stream and plan or yield a new one. The press JPEG is the preview re-encoded the same way.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image

from publish.embed.info import EmbedError, PressInfo
from publish.embed.jpeg import jpeg_plan
from publish.embed.plan import Plan, stream_plan
from publish.embed.png import png_plan
from publish.embed.xmp import xmp_packet

__all__ = ["EmbedError", "PressInfo", "embeds", "original_plan", "press_jpeg", "stream_plan",
           "xmp_sidecar"]

EMBEDDABLE = frozenset({"image/jpeg", "image/png"})


def embeds(mime_type: str) -> bool:
    """Whether an original of this type can carry its metadata inside (else: a sidecar)."""
    return mime_type in EMBEDDABLE


def original_plan(stream: BinaryIO, size: int, mime_type: str, info: PressInfo) -> Plan:
    """How to write the original in ``stream`` with ``info`` embedded; EmbedError if it cannot."""
    if mime_type == "image/jpeg":
        return jpeg_plan(stream, size, info)
    if mime_type == "image/png":
        return png_plan(stream, size, xmp_packet(info))
    raise EmbedError(f"metadata cannot be embedded in {mime_type}")


def xmp_sidecar(info: PressInfo) -> bytes:
    """The XMP packet for a sidecar file (``name.xmp``), with the whole text of every field."""
    return xmp_packet(info)


def press_jpeg(source: bytes, info: PressInfo, quality: int = 90) -> bytes:
    """A JPEG of ``source`` (any image Pillow reads) carrying ``info`` as XMP and IPTC."""
    with Image.open(io.BytesIO(source)) as image:
        rgb = image.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality, optimize=True)
    encoded = out.getvalue()
    plan = jpeg_plan(io.BytesIO(encoded), len(encoded), info)
    return b"".join(stream_plan(io.BytesIO(encoded), plan))
