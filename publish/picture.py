"""Decoding a picture for export: through ingest's one decoder, plus what exports need.

The picture is decoded by :func:`ingest.imaging.open_image`, the path renditions take (every
type ingest reads, one orientation rule, the same colour handling, JPEG draft mode), so a
decoder fix is made once. This module adds the export's parts: the long edge a crop needs, the
sRGB profile every export carries, and :class:`ExportError`: every decoder
failure (corrupt or truncated data, a decompression bomb, an unknown format) becomes one,
naming what went wrong; nothing else leaves this module.
"""

from __future__ import annotations

import logging
import math
import struct
from functools import lru_cache
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from dam.errors import DamError, IngestError
from ingest import imaging

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 250_000_000  # as the max_image_pixels setting's default


class ExportError(DamError):
    """A picture could not be exported: corrupt, truncated, too large or not a picture."""


DECODED_SCALE = "acervo.decoded_scale"  # info key: the decoded size over the stored size (<= 1)


def decode_upright(source: BinaryIO, *, long_edge: int | None,
                   frame: tuple[int, int] | None = None,
                   max_pixels: int = DEFAULT_MAX_PIXELS,
                   mime_type: str | None = None) -> Image.Image:
    """The picture in ``source``, upright (EXIF orientation applied), as RGB or RGBA in sRGB.

    ``long_edge`` is the largest long edge the caller will make, or ``frame`` the size it will
    crop (neither: full size): a JPEG is then decoded by libjpeg at 1/2, 1/4 or 1/8 scale when
    that still gives enough pixels. ``mime_type`` (the sniffed type) chooses the decoder; None
    lets every decoder ingest uses recognise the bytes.
    """
    needed: imaging.LongEdge = long_edge
    if frame is not None:
        needed = lambda size: frame_long_edge(size, frame)  # noqa: E731 - the crop's need
    try:
        with imaging.decoding_errors("picture"):
            decoded = imaging.open_image(source, mime_type, needed, max_pixels, None)
            picture = imaging.upright_srgb(decoded)
    except IngestError as exc:
        raise _export_error(exc) from None
    picture.info[DECODED_SCALE] = max(decoded.image.size) / max(decoded.full_size)
    return picture


def upright_size(source: BinaryIO, mime_type: str | None = None) -> tuple[int, int]:
    """The size of the picture in ``source`` as it will be exported (upright), from its header."""
    try:
        with imaging.decoding_errors("picture"):
            return imaging.upright_size(source, mime_type)
    except IngestError as exc:
        raise _export_error(exc) from None


def _export_error(exc: IngestError) -> ExportError:
    """The decoder's refusal, in an export's words (the cause says which kind it was)."""
    cause = exc.__cause__
    if isinstance(cause, UnidentifiedImageError):
        return ExportError("not a picture this system can export (unknown or damaged format)")
    if isinstance(cause, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return ExportError(f"picture refused as a possible decompression bomb: {cause}")
    if isinstance(cause, MemoryError):
        return ExportError("the picture needs too much memory to decode")
    return ExportError(f"the picture cannot be decoded: {exc}")


def frame_long_edge(size: tuple[int, int], frame: tuple[int, int]) -> int:
    """The long edge a picture of ``size`` needs so that a ``frame`` crop of it is full size,
    whichever way its EXIF orientation turns it (the orientation is not known yet)."""
    width, height = size
    longest = max(width, height)
    return max(math.ceil(longest * max(frame[0] / w, frame[1] / h))
               for w, h in ((width, height), (height, width)))


# The ICC header's creation date (bytes 24-36): fixed, so that the same picture exports to the
# same bytes in every process (a re-publish then finds it unchanged). 2000-01-01 00:00:00.
_ICC_DATE = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The sRGB ICC profile every exported picture carries (so viewers need not guess)."""
    data = bytearray(imaging.srgb_profile().tobytes())
    data[24:36] = _ICC_DATE
    return bytes(data)

