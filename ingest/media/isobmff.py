"""Reading the display matrix of each track from an MP4/QuickTime file's ``moov`` box.

Only box headers are read while walking (with seeks), so a 2 GB file costs a few reads; the
``tkhd`` box of each ``trak`` holds the matrix that says how to turn the picture for display.
Tracks are listed in file order, which is the order of FFmpeg's streams.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

MAX_BOXES = 10_000
FIXED_16_16 = 65536.0


def _boxes(handle: BinaryIO, start: int, end: int | None) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes between ``start`` and ``end``."""
    found: list[tuple[bytes, int, int]] = []
    position = start
    while len(found) < MAX_BOXES and (end is None or position + 8 <= end):
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        header_size = 8
        if size == 1:
            large = handle.read(8)
            if len(large) < 8:
                break
            size, header_size = struct.unpack(">Q", large)[0], 16
        elif size == 0:  # to the end of the enclosing box or file
            size = (end if end is not None else handle.seek(0, 2)) - position
        if size < header_size:
            break
        found.append((kind, position + header_size, position + size))
        position += size
    return found


def track_matrices(handle: BinaryIO) -> list[tuple[float, float, float, float]]:
    """The (a, b, c, d) of each track's display matrix, in track order; [] without a moov."""
    moov = next((box for box in _boxes(handle, 0, None) if box[0] == b"moov"), None)
    if moov is None:
        return []
    matrices = []
    for kind, start, end in _boxes(handle, moov[1], moov[2]):
        if kind != b"trak":
            continue
        tkhd = next((box for box in _boxes(handle, start, end) if box[0] == b"tkhd"), None)
        matrices.append(_tkhd_matrix(handle, tkhd) if tkhd else (1.0, 0.0, 0.0, 1.0))
    return matrices


def _tkhd_matrix(
    handle: BinaryIO, box: tuple[bytes, int, int]
) -> tuple[float, float, float, float]:
    _kind, start, end = box
    handle.seek(start)
    payload = handle.read(min(end - start, 128))
    version = payload[0] if payload else 0
    offset = 4 + (32 if version == 1 else 20) + 16  # times, ids, duration; reserved, layer...
    if len(payload) < offset + 36:
        return (1.0, 0.0, 0.0, 1.0)
    a, b, _u, c, d = struct.unpack_from(">iiiii", payload, offset)
    return (a / FIXED_16_16, b / FIXED_16_16, c / FIXED_16_16, d / FIXED_16_16)


def top_level_boxes(handle: BinaryIO) -> list[bytes]:
    """The types of the file's top-level boxes, in order (``moov`` before ``mdat``: faststart)."""
    return [kind for kind, _start, _end in _boxes(handle, 0, None)]


def loci_location(handle: BinaryIO) -> str | None:
    """The 3GPP ``loci`` box's position as an ISO 6709 string with full precision.

    Android writes its location there as 16.16 fixed-point numbers; FFmpeg reports it rounded
    to 4 decimals (~11 m), while the box holds ~5 decimals (exiftool: 40.67999, -74.5). A
    ``\xa9xyz`` string beside it is the writer's own text and wins (None is returned then).
    """
    moov = next((box for box in _boxes(handle, 0, None) if box[0] == b"moov"), None)
    if moov is None:
        return None
    udta = next((box for box in _boxes(handle, moov[1], moov[2]) if box[0] == b"udta"), None)
    if udta is None:
        return None
    children = _boxes(handle, udta[1], udta[2])
    loci = next((box for box in children if box[0] == b"loci"), None)
    if loci is None or any(box[0] == b"\xa9xyz" for box in children):
        return None
    handle.seek(loci[1])
    payload = handle.read(min(loci[2] - loci[1], 4096))
    name_end = payload.find(b"\x00", 6)
    if name_end < 0 or len(payload) < name_end + 1 + 1 + 12:
        return None
    longitude, latitude, altitude = struct.unpack_from(">iii", payload, name_end + 2)
    lat, lon = latitude / FIXED_16_16, longitude / FIXED_16_16
    return f"{lat:+010.6f}{lon:+011.6f}{altitude / FIXED_16_16:+.3f}/"
