"""A small TIFF directory walker: full-resolution size and embedded XMP/IPTC of TIFF-based files.

exifread reads the tags; this module answers what it does not: which directory holds the main
image of a camera RAW (IFD0 or one of its SubIFDs) and where the XMP and IPTC blocks are.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

# TIFF magic numbers: classic TIFF (42), Olympus ORF ('RO', 'SR') and Panasonic RW2 (0x55).
_MAGICS = {42, 0x4F52, 0x5352, 0x55}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_ENTRIES = 1000
_MAX_SUBIFDS = 16
_MAX_BLOCK = 16 * 1024 * 1024

NEW_SUBFILE_TYPE, IMAGE_WIDTH, IMAGE_LENGTH = 0x00FE, 0x0100, 0x0101
SUB_IFDS, XMP_PACKET, IPTC_NAA, PHOTOSHOP = 0x014A, 0x02BC, 0x83BB, 0x8649


@dataclass
class TiffInfo:
    """What the TIFF walker found: main image size and raw XMP, IPTC and Photoshop blocks."""

    width: int | None = None
    height: int | None = None
    xmp: bytes | None = None
    iptc: bytes | None = None
    photoshop: bytes | None = None
    warnings: list[str] = field(default_factory=list)


def is_tiff(head: bytes) -> bool:
    """True when the first bytes are a classic TIFF header (including ORF and RW2 variants)."""
    if head[:2] == b"II":
        return int.from_bytes(head[2:4], "little") in _MAGICS
    if head[:2] == b"MM":
        return int.from_bytes(head[2:4], "big") in _MAGICS
    return False


class _Reader:
    def __init__(self, handle: BinaryIO, order: str) -> None:
        self.handle = handle
        self.order = order

    def read(self, offset: int, size: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(size)

    def entries(self, offset: int) -> dict[int, tuple[int, int, bytes]]:
        """Tag -> (type, count, 4-byte value field) of the directory at `offset`."""
        count_bytes = self.read(offset, 2)
        if len(count_bytes) < 2:
            raise ValueError(f"directory offset {offset} is past the end of the file")
        count = min(struct.unpack(self.order + "H", count_bytes)[0], _MAX_ENTRIES)
        table = self.read(offset + 2, 12 * count)
        out: dict[int, tuple[int, int, bytes]] = {}
        for pos in range(0, len(table) - 11, 12):
            tag, kind, number = struct.unpack_from(self.order + "HHI", table, pos)
            out.setdefault(tag, (kind, number, table[pos + 8 : pos + 12]))
        return out

    def numbers(self, entry: tuple[int, int, bytes], limit: int = 64) -> list[int]:
        kind, count, field_ = entry
        code = {3: "H", 4: "I", 13: "I", 8: "h", 9: "i"}.get(kind)
        if code is None or count == 0:
            return []
        count = min(count, limit)
        size = struct.calcsize(code) * count
        data = field_[:size] if size <= 4 else self.read(self._offset(field_), size)
        if len(data) < size:
            return []
        return list(struct.unpack(self.order + code * count, data))

    def block(self, entry: tuple[int, int, bytes]) -> bytes | None:
        kind, count, field_ = entry
        size = _TYPE_SIZES.get(kind, 1) * count
        if size == 0 or size > _MAX_BLOCK:
            return None
        return field_[:size] if size <= 4 else self.read(self._offset(field_), size)

    def _offset(self, field_: bytes) -> int:
        return struct.unpack(self.order + "I", field_)[0]


def read_tiff(handle: BinaryIO) -> TiffInfo:
    """Walk IFD0 and its SubIFDs; never raises for malformed directories (records a warning)."""
    info = TiffInfo()
    try:
        handle.seek(0)
        head = handle.read(8)
        order = "<" if head[:2] == b"II" else ">"
        reader = _Reader(handle, order)
        ifd0 = reader.entries(struct.unpack(order + "I", head[4:8])[0])
        _read_blocks(reader, ifd0, info)
    except (ValueError, IndexError, struct.error) as error:
        info.warnings.append(f"tiff: malformed TIFF directory ({error})")
        return info
    candidates = [ifd0]
    for offset in reader.numbers(ifd0[SUB_IFDS], _MAX_SUBIFDS) if SUB_IFDS in ifd0 else []:
        try:
            candidates.append(reader.entries(offset))
        except (ValueError, IndexError, struct.error) as error:
            info.warnings.append(f"tiff: malformed SubIFD ({error})")
    try:
        info.width, info.height = _main_image_size(reader, candidates)
    except (ValueError, IndexError, struct.error) as error:
        info.warnings.append(f"tiff: unreadable image size ({error})")
    return info


def _read_blocks(reader: _Reader, ifd0: dict[int, tuple[int, int, bytes]], info: TiffInfo) -> None:
    if XMP_PACKET in ifd0:
        info.xmp = reader.block(ifd0[XMP_PACKET])
    if IPTC_NAA in ifd0:
        info.iptc = reader.block(ifd0[IPTC_NAA])
    if PHOTOSHOP in ifd0:
        info.photoshop = reader.block(ifd0[PHOTOSHOP])


def _main_image_size(
    reader: _Reader, directories: list[dict[int, tuple[int, int, bytes]]]
) -> tuple[int | None, int | None]:
    """The largest full-resolution image (NewSubfileType 0 or absent) among the directories."""
    best: tuple[int, int] | None = None
    for entries in directories:
        subfile = _first(reader, entries, NEW_SUBFILE_TYPE)
        if subfile is not None and subfile & 1:  # bit 0: a reduced-resolution copy (preview)
            continue
        size = _size(reader, entries)
        if size is not None and (best is None or size[0] * size[1] > best[0] * best[1]):
            best = size
    if best is None:  # no directory claims to be full resolution: take IFD0 as exiftool does
        best = _size(reader, directories[0])
    return best if best is not None else (None, None)


def _size(reader: _Reader, entries: dict[int, tuple[int, int, bytes]]) -> tuple[int, int] | None:
    width, height = _first(reader, entries, IMAGE_WIDTH), _first(reader, entries, IMAGE_LENGTH)
    return (width, height) if width and height and width > 0 and height > 0 else None


def _first(reader: _Reader, entries: dict[int, tuple[int, int, bytes]], tag: int) -> int | None:
    values = reader.numbers(entries[tag], 1) if tag in entries else []
    return values[0] if values else None
