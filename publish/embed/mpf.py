"""Multi-Picture Format (CIPA DC-007) offsets, moved when segments before the next image change."""

from __future__ import annotations

import struct

from publish.embed.info import EmbedError

MPF_HEADER = b"MPF\x00"
MP_ENTRY = 0xB002


def patch_mpf(payload: bytes, delta: int) -> bytes:
    """The APP2 MPF ``payload`` with the offset of every image but the first moved by ``delta``.

    Offsets count from the MP header (the TIFF header after ``MPF\\0``), so only bytes changed
    between that header and a later image move it.
    """
    out = bytearray(payload)
    base = len(MPF_HEADER)
    order = {b"MM": ">", b"II": "<"}.get(bytes(out[base : base + 2]))
    if order is None:
        raise EmbedError("the MPF segment has no valid TIFF header: corrupt")
    try:
        (ifd,) = struct.unpack_from(order + "I", out, base + 4)
        (count,) = struct.unpack_from(order + "H", out, base + ifd)
        for i in range(count):
            entry = base + ifd + 2 + 12 * i
            tag, _type, size, value = struct.unpack_from(order + "HHII", out, entry)
            if tag != MP_ENTRY:
                continue
            for k in range(size // 16):
                at = base + value + 16 * k + 8
                (offset,) = struct.unpack_from(order + "I", out, at)
                if offset:
                    struct.pack_into(order + "I", out, at, offset + delta)
    except struct.error as exc:
        raise EmbedError(f"the MPF segment is truncated or corrupt: {exc}") from exc
    return bytes(out)
