"""ISO base media (HEIF, AVIF, JPEG XL container) reading: stored size, Exif and XMP items.

libheif and Pillow report HEIF sizes after applying rotation and rewrite the EXIF orientation;
reading the boxes ourselves gives the stored size (as exiftool reports it) and untouched blocks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

_MAX_META = 16 * 1024 * 1024
_MAX_ITEM = 16 * 1024 * 1024
_MAX_TOP_BOXES = 64
_MAX_COUNT = 10_000
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}
AVIF_BRANDS = {b"avif", b"avis"}
XMP_MIME = b"application/rdf+xml"
# Canon CR3: the 'uuid' box in 'moov' holding CMT1 (IFD0), CMT2 (EXIF IFD) and CMT4 (GPS IFD),
# each a complete TIFF structure; XMP sits in a top-level 'uuid' box.
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_CANON_PARTS = {b"CMT1": "Image", b"CMT2": "EXIF", b"CMT4": "GPS"}


@dataclass
class BoxInfo:
    """Primary image's stored size and display transform, raw Exif (TIFF) and XMP blocks."""

    width: int | None = None
    height: int | None = None
    exif: bytes | None = None
    exif_parts: dict[str, bytes] = field(default_factory=dict)  # CR3: IFD name -> TIFF block
    xmp: bytes | None = None
    orientation: int | None = None  # the irot/imir display transform, as an EXIF orientation
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Item:
    kind: bytes = b""
    mime: bytes = b""
    method: int = 0
    extents: list[tuple[int, int]] = field(default_factory=list)


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes inside data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"box {kind!r} at {pos} overruns its parent")
        yield kind, pos + header, pos + size
        pos += size


def _top_level(handle: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload offset, payload size) of top-level boxes, read from the file lazily."""
    handle.seek(0, 2)
    file_size = handle.tell()
    pos = 0
    for _ in range(_MAX_TOP_BOXES):
        handle.seek(pos)
        header = handle.read(16)
        if len(header) < 8:
            return
        size, kind = struct.unpack_from(">I4s", header)
        length = 8
        if size == 1 and len(header) == 16:
            size, length = struct.unpack_from(">Q", header, 8)[0], 16
        elif size == 0:
            size = file_size - pos
        if size < length:
            raise ValueError(f"box {kind!r} at {pos} has an invalid size")
        yield kind, pos + length, min(size, file_size - pos) - length
        pos += size


def read_boxes(handle: BinaryIO) -> BoxInfo:
    """Read a HEIF/AVIF 'meta' box, JPEG XL Exif/xml boxes or CR3 Canon boxes; never raises."""
    info = BoxInfo()
    brand = b""
    try:
        for kind, offset, size in _top_level(handle):
            if size > _MAX_META:
                continue
            handle.seek(offset)
            if kind == b"ftyp":
                brand = handle.read(4)
            elif kind == b"meta":
                _read_meta(handle, handle.read(size), info)
            elif kind == b"Exif":  # JPEG XL
                info.exif = _tiff_from_exif_item(handle.read(size))
            elif kind == b"xml ":  # JPEG XL
                info.xmp = handle.read(size)
            elif kind in (b"moov", b"uuid") and brand == b"crx ":
                _read_canon(kind, handle.read(size), info)
    except (ValueError, IndexError, struct.error) as error:
        info.warnings.append(f"heif: malformed box structure ({error})")
    return info


def _read_meta(handle: BinaryIO, meta: bytes, info: BoxInfo) -> None:
    primary, items, properties, associations, idat = 0, {}, [], {}, b""
    for kind, start, end in _boxes(meta, 4):  # skip the FullBox version and flags
        if kind == b"pitm":
            primary = _uint(meta, start + 4, 2 if meta[start] == 0 else 4)
        elif kind == b"iinf":
            _read_iinf(meta, start, end, items)
        elif kind == b"iloc":
            _read_iloc(meta, start, end, items)
        elif kind == b"iprp":
            for sub, sub_start, sub_end in _boxes(meta, start, end):
                if sub == b"ipco":
                    properties = list(_boxes(meta, sub_start, sub_end))
                elif sub == b"ipma":
                    _read_ipma(meta, sub_start, sub_end, associations)
        elif kind == b"idat":
            idat = meta[start:end]
    props = [properties[i - 1] for i in associations.get(primary, []) if 0 < i <= len(properties)]
    _apply_properties(meta, props, info)
    for item in items.values():
        if item.kind == b"Exif" and info.exif is None:
            info.exif = _tiff_from_exif_item(_item_data(handle, item, idat))
        elif item.kind == b"mime" and item.mime.startswith(XMP_MIME) and info.xmp is None:
            info.xmp = _item_data(handle, item, idat)


def _read_canon(kind: bytes, payload: bytes, info: BoxInfo) -> None:
    if kind == b"uuid":
        if payload[:16] == _XMP_UUID:
            info.xmp = payload[16:]
        return
    for sub, start, end in _boxes(payload):
        if sub == b"uuid" and payload[start : start + 16] == _CANON_UUID:
            for part, part_start, part_end in _boxes(payload, start + 16, end):
                if part in _CANON_PARTS:
                    info.exif_parts[_CANON_PARTS[part]] = payload[part_start:part_end]


def _uint(data: bytes, pos: int, size: int) -> int:
    if size == 0:
        return 0
    if pos + size > len(data):
        raise ValueError("field runs past the end of its box")
    return int.from_bytes(data[pos : pos + size], "big")


# EXIF orientation for (mirrored left-right first?, then clockwise rotation in degrees).
_EXIF_ORIENTATION = {
    (False, 0): 1, (True, 0): 2, (False, 180): 3, (True, 180): 4,
    (True, 270): 5, (False, 90): 6, (True, 90): 7, (False, 270): 8,
}  # fmt: skip


def _apply_properties(meta: bytes, props: list[tuple[bytes, int, int]], info: BoxInfo) -> None:
    """Stored size (ispe, cut by clap) and the irot/imir display transform as EXIF orientation."""
    mirrored, rotation, transformed = False, 0, False
    for kind, start, _ in props:
        if kind == b"ispe":
            info.width, info.height = struct.unpack_from(">II", meta, start + 4)
        elif kind == b"clap" and info.width:
            width_n, width_d, height_n, height_d = struct.unpack_from(">IIII", meta, start)
            if 0 < width_d <= width_n and 0 < height_d <= height_n:
                info.width = min(info.width, width_n // width_d)
                info.height = min(info.height or 0, height_n // height_d) or None
        elif kind == b"irot":  # anticlockwise quarter turns
            rotation, transformed = (rotation + 360 - 90 * (meta[start] & 3)) % 360, True
        elif kind == b"imir":  # axis 0: left-right mirror; axis 1: top-bottom mirror
            flip = 180 if meta[start] & 1 else 0
            mirrored, rotation, transformed = not mirrored, (flip - rotation) % 360, True
    if transformed:
        info.orientation = _EXIF_ORIENTATION[(mirrored, rotation)]


def _read_iinf(meta: bytes, start: int, end: int, items: dict[int, _Item]) -> None:
    count_size = 2 if meta[start] == 0 else 4
    for kind, pos, _ in _boxes(meta, start + 4 + count_size, end):
        version = meta[pos] if kind == b"infe" else 0
        if kind != b"infe" or version < 2:
            continue
        id_size = 2 if version == 2 else 4
        item_id = _uint(meta, pos + 4, id_size)
        type_at = pos + 4 + id_size + 2
        item = items.setdefault(item_id, _Item())
        item.kind = meta[type_at : type_at + 4]
        if item.kind == b"mime":
            name_end = meta.find(b"\x00", type_at + 4)
            item.mime = meta[name_end + 1 : meta.find(b"\x00", name_end + 1)]


def _read_iloc(meta: bytes, start: int, end: int, items: dict[int, _Item]) -> None:
    version = meta[start]
    offset_size, length_size = meta[start + 4] >> 4, meta[start + 4] & 15
    base_size, index_size = meta[start + 5] >> 4, meta[start + 5] & 15 if version else 0
    pos = start + 6
    count = _uint(meta, pos, 4 if version == 2 else 2)
    pos += 4 if version == 2 else 2
    for _ in range(min(count, _MAX_COUNT)):
        item_id = _uint(meta, pos, 4 if version == 2 else 2)
        pos += 4 if version == 2 else 2
        item = items.setdefault(item_id, _Item())
        if version in (1, 2):
            item.method = _uint(meta, pos, 2) & 15
            pos += 2
        base = _uint(meta, pos + 2, base_size)
        extents = _uint(meta, pos + 2 + base_size, 2)
        pos += 4 + base_size
        for _ in range(min(extents, _MAX_COUNT)):
            pos += index_size
            item.extents.append(
                (base + _uint(meta, pos, offset_size), _uint(meta, pos + offset_size, length_size))
            )
            pos += offset_size + length_size
        if pos > end:
            raise ValueError("iloc box is truncated")


def _read_ipma(meta: bytes, start: int, end: int, out: dict[int, list[int]]) -> None:
    version, wide = meta[start], meta[start + 3] & 1
    pos = start + 8
    for _ in range(min(_uint(meta, start + 4, 4), _MAX_COUNT)):
        item_id = _uint(meta, pos, 2 if version < 1 else 4)
        pos += 2 if version < 1 else 4
        count = _uint(meta, pos, 1)
        pos += 1
        for _ in range(count):
            value = _uint(meta, pos, 2 if wide else 1)
            out.setdefault(item_id, []).append(value & (0x7FFF if wide else 0x7F))
            pos += 2 if wide else 1
        if pos > end:
            raise ValueError("ipma box is truncated")


def _item_data(handle: BinaryIO, item: _Item, idat: bytes) -> bytes | None:
    if item.method not in (0, 1) or sum(length for _, length in item.extents) > _MAX_ITEM:
        return None
    parts = []
    for offset, length in item.extents:
        if item.method == 1:
            parts.append(idat[offset : offset + length])
        else:
            handle.seek(offset)
            parts.append(handle.read(length))
    return b"".join(parts)


def _tiff_from_exif_item(data: bytes | None) -> bytes | None:
    """The TIFF header onwards of an Exif item (4-byte offset, often 'Exif\\0\\0', then TIFF)."""
    if not data or len(data) < 8:
        return None
    start = 4 + int.from_bytes(data[:4], "big")
    if data[start : start + 2] in (b"II", b"MM"):
        return data[start:]
    for marker in (b"II*\x00", b"MM\x00*"):  # tolerate a wrong offset field
        found = data.find(marker, 0, 64)
        if found >= 0:
            return data[found:]
    return None
