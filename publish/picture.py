"""Decoding a picture for export: within a pixel limit, upright, 8-bit sRGB, decoded once.

Every decoder failure (corrupt or truncated data, a decompression bomb, an unknown format)
becomes an :class:`ExportError` naming what went wrong; nothing else leaves this module.
"""

from __future__ import annotations

import logging
import math
import struct
from functools import lru_cache
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

from dam.errors import DamError, IngestError
from ingest import imaging
from ingest.imaging import to_srgb  # the same colour handling as renditions

log = logging.getLogger(__name__)

pillow_heif.register_heif_opener()  # stored HEIC originals export like any other picture

DEFAULT_MAX_PIXELS = 250_000_000  # as the max_image_pixels setting's default
# Formats a picture may be exported from (RAW files export from their preview rendition).
READABLE = ("JPEG", "MPO", "PNG", "TIFF", "WEBP", "GIF", "BMP", "AVIF", "HEIF")
# What Pillow and the codecs raise on damaged data.
_DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
                   ArithmeticError, RuntimeError, struct.error, MemoryError,
                   Image.DecompressionBombError, Image.DecompressionBombWarning)


class ExportError(DamError):
    """A picture could not be exported: corrupt, truncated, too large or not a picture."""


DECODED_SCALE = "acervo.decoded_scale"  # info key: the decoded size over the stored size (<= 1)


def decode_upright(source: BinaryIO, *, long_edge: int | None,
                   frame: tuple[int, int] | None = None,
                   max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The picture in ``source``, upright (EXIF orientation applied), as RGB or RGBA in sRGB.

    ``long_edge`` is the largest long edge the caller will make, or ``frame`` the size it will
    crop (neither: full size): a JPEG is then decoded by libjpeg at 1/2, 1/4 or 1/8 scale when
    that still gives enough pixels.
    """
    try:
        with Image.open(source, formats=_readable()) as image:
            _check_pixels(image.size, max_pixels)
            stored_width = image.width
            needed = frame_long_edge(image.size, frame) if frame else long_edge
            imaging.draft_for(image, needed)
            icc = image.info.get("icc_profile")
            upright = imaging.upright(image)  # the same orientation rule as renditions
            picture = to_srgb(upright, icc if isinstance(icc, bytes) else None)
            picture.info[DECODED_SCALE] = image.width / stored_width
            return picture
    except ExportError:
        raise
    except IngestError as exc:  # the shared decoder's own refusals (no pixels and the like)
        raise ExportError(f"the picture cannot be decoded: {exc}") from None
    except UnidentifiedImageError:
        raise ExportError("not a picture this system can export (unknown or damaged format)"
                          ) from None
    except Image.DecompressionBombError as exc:
        raise ExportError(f"picture refused as a possible decompression bomb: {exc}") from None
    except MemoryError:
        raise ExportError("the picture needs too much memory to decode") from None
    except _DECODER_ERRORS as exc:
        raise ExportError(f"the picture cannot be decoded: {_message(exc)}") from None


@lru_cache(maxsize=1)
def _readable() -> tuple[str, ...]:
    Image.init()  # every plugin registered, so that each format named can be asked for
    return tuple(name for name in READABLE if name in Image.OPEN)


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"truncated file ({text})" if "truncated" in text.lower() else text


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ExportError(f"the picture has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ExportError(f"picture too large: {width}x{height} = {width * height} pixels, "
                          f"limit {max_pixels} (possible decompression bomb)")


def frame_long_edge(size: tuple[int, int], frame: tuple[int, int]) -> int:
    """The long edge a picture of ``size`` needs so that a ``frame`` crop of it is full size,
    whichever way its EXIF orientation turns it (the orientation is not known yet)."""
    width, height = size
    longest = max(width, height)
    return max(math.ceil(longest * max(frame[0] / w, frame[1] / h))
               for w, h in ((width, height), (height, width)))


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# The ICC header's creation date (bytes 24-36): fixed, so that the same picture exports to the
# same bytes in every process (a re-publish then finds it unchanged). 2000-01-01 00:00:00.
_ICC_DATE = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The sRGB ICC profile every exported picture carries (so viewers need not guess)."""
    data = bytearray(_srgb_profile().tobytes())
    data[24:36] = _ICC_DATE
    return bytes(data)


def flatten(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
            ) -> Image.Image:
    """``image`` as RGB: transparency laid over ``background`` (JPEG has no alpha)."""
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    canvas = Image.new("RGB", image.size, background)
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas
