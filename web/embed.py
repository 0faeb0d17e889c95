"""JPEG copies for the press: the preview with caption, credit and copyright as IPTC and XMP.

Pillow writes the XMP packet; the IPTC-IIM block (Photoshop APP13, UTF-8) is built here, since
Pillow cannot write it. Both say the same, so every newsroom tool finds the caption.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from PIL import Image

APP13_HEADER = b"Photoshop 3.0\x00"
IPTC_RESOURCE = 0x0404
UTF8 = b"\x1b%G"


@dataclass(frozen=True)
class PressInfo:
    """What travels with a photo sent to the press."""

    caption: str | None = None
    headline: str | None = None
    credit: str | None = None
    creator: str | None = None
    copyright: str | None = None
    keywords: list[str] = field(default_factory=list)


def _dataset(record: int, number: int, value: bytes) -> bytes:
    return struct.pack(">BBBH", 0x1C, record, number, len(value)) + value


def _text(value: str, limit: int) -> bytes:
    data = value.encode("utf-8")[:limit]
    return data.decode("utf-8", "ignore").encode("utf-8")  # never cut a character in two


def iptc_block(info: PressInfo) -> bytes:
    """The IIM datasets: envelope with UTF-8 declared, then the application record."""
    parts = [_dataset(1, 90, UTF8), _dataset(2, 0, b"\x00\x04")]
    for number, value, limit in (
        (105, info.headline, 256), (80, info.creator, 128), (110, info.credit, 128),
        (116, info.copyright, 128), (120, info.caption, 2000),
    ):
        if value:
            parts.append(_dataset(2, number, _text(value, limit)))
    parts += [_dataset(2, 25, _text(k, 64)) for k in info.keywords if k]
    return b"".join(parts)


def app13_segment(iim: bytes) -> bytes:
    resource = b"8BIM" + struct.pack(">H", IPTC_RESOURCE) + b"\x00\x00"
    resource += struct.pack(">I", len(iim)) + iim + (b"\x00" if len(iim) % 2 else b"")
    payload = APP13_HEADER + resource
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("IPTC block too large for one APP13 segment")
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def xmp_packet(info: PressInfo) -> bytes:
    def alt(tag: str, value: str | None) -> str:
        if not value:
            return ""
        return (f"<{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(value)}</rdf:li>"
                f"</rdf:Alt></{tag}>")

    creator = (f"<dc:creator><rdf:Seq><rdf:li>{escape(info.creator)}</rdf:li></rdf:Seq>"
               "</dc:creator>") if info.creator else ""
    subject = ("<dc:subject><rdf:Bag>" + "".join(f"<rdf:li>{escape(k)}</rdf:li>"
                                                  for k in info.keywords)
               + "</rdf:Bag></dc:subject>") if info.keywords else ""
    simple = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in
                     (("photoshop:Credit", info.credit), ("photoshop:Headline", info.headline))
                     if value)
    body = (alt("dc:description", info.caption) + alt("dc:rights", info.copyright) + creator
            + subject + simple)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _insert_after_app_segments(jpeg: bytes, segment: bytes) -> bytes:
    pos = 2  # after SOI
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        pos += 2 + struct.unpack(">H", jpeg[pos + 2 : pos + 4])[0]
    return jpeg[:pos] + segment + jpeg[pos:]


def press_jpeg(source: bytes, info: PressInfo, quality: int = 90) -> bytes:
    """A JPEG of ``source`` (any image Pillow reads) carrying ``info`` as XMP and IPTC."""
    with Image.open(io.BytesIO(source)) as image:
        rgb = image.convert("RGB")
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality, optimize=True, xmp=xmp_packet(info))
    return _insert_after_app_segments(out.getvalue(), app13_segment(iptc_block(info)))
