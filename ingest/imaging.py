"""The one picture decoder (Pillow, pillow-heif, JPEG XL, RAW previews), within pixel limits.

Renditions (``ingest.renditions``), exports (``publish.picture``) and press kits all decode
through :func:`open_image`: one choice of formats, one orientation rule, one colour path.
"""

from __future__ import annotations

import io
import logging
import math
import struct
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import PIL
import rawpy
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from dam.errors import DamError, IngestError, UnsupportedMediaError
from dam.faults import TRANSIENT_ERRNOS
from ingest import decoders  # registers pillow-heif and the JPEG XL plugin

log = logging.getLogger(__name__)


RAW_MIME_TYPES = frozenset(
    {
        "image/x-adobe-dng",
        "image/x-canon-cr2",
        "image/x-canon-cr3",
        "image/x-nikon-nef",
        "image/x-sony-arw",
        "image/x-fuji-raf",
        "image/x-olympus-orf",
        "image/x-panasonic-rw2",
    }
)
# MIME type -> the Pillow formats allowed to open it (a sniffed JPEG is never parsed as a PSD).
PILLOW_FORMATS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/tiff": ("TIFF",),
    "image/webp": ("WEBP",),
    "image/gif": ("GIF",),
    "image/bmp": ("BMP", "DIB"),
    "image/avif": ("AVIF",),
    "image/heic": ("HEIF",),
    "image/heif": ("HEIF",),
    "image/jxl": ("JXL", "JPEGXL"),
}
# Who turns each container's picture upright (one rule per container):
# - HEIF: libheif applies irot/imir on decoding; the EXIF tag inside must be ignored.
# - TIFF: Pillow 13+ applies the Orientation tag on load (and then drops it).
# - JPEG, MPO, PNG (eXIf), WebP, JPEG XL and the rest: we apply the EXIF orientation (the
#   caller's metadata, else the image's own EXIF). AVIF: Pillow maps irot/imir to that tag.
# - RAW: the EXIF orientation (else libraw's flip) applied to the embedded preview; libraw's
#   own development is upright already.
PILLOW_ORIENTS_TIFF = int(PIL.__version__.split(".")[0]) >= 13
SELF_ORIENTING_FORMATS = frozenset({"HEIF", "TIFF"} if PILLOW_ORIENTS_TIFF else {"HEIF"})
# libraw's flip (dcraw's "50132467"[orientation]) -> EXIF orientation.
RAW_FLIP_ORIENTATION = {0: 1, 1: 2, 3: 3, 2: 4, 4: 5, 6: 6, 7: 7, 5: 8}
JPEG_DRAFT_SCALES = (8, 4, 2)
# EXIF orientation -> the transposes that display the stored pixels upright.
ORIENTATION_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
LABELS = {
    "image/x-adobe-dng": "DNG",
    "image/x-canon-cr2": "Canon CR2",
    "image/x-canon-cr3": "Canon CR3",
    "image/x-nikon-nef": "Nikon NEF",
    "image/x-sony-arw": "Sony ARW",
    "image/x-fuji-raf": "Fujifilm RAF",
    "image/x-olympus-orf": "Olympus ORF",
    "image/x-panasonic-rw2": "Panasonic RW2",
    "image/jxl": "JPEG XL",
}
# Failures of damaged data, as Pillow, libheif and libraw report them (anything else is logged).
EXPECTED_DECODER_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ArithmeticError,
    RuntimeError,
    struct.error,
    rawpy.LibRawError,
)


#: Where a picture is read from: a file, or an open binary stream (an object in the store).
Source = Path | BinaryIO
#: The long edge a caller needs (a JPEG is then drafted to no less), or a function of the stored
#: size giving it (an export's crop), or None for full size.
LongEdge = int | Callable[[tuple[int, int]], int] | None


@dataclass
class DecodedImage:
    """Pixels ready to be reduced: maybe decoded at reduced scale, orientation not yet applied."""

    image: Image.Image
    full_size: tuple[int, int]  # the decoded picture's size at full scale (sets rendition sizes)
    source_size: tuple[int, int]  # the original's stored pixels, before orientation, to report
    orientation: int  # EXIF-style orientation (1-8) still to apply to ``image``
    pages: int = 1  # pages or frames in the file (a multi-page TIFF renders its first)
    preview_size: tuple[int, int] | None = None  # a RAW's embedded preview, as stored


def label_for(mime_type: str) -> str:
    """A short name of the format for messages, e.g. ``JPEG`` or ``Sony ARW``."""
    return LABELS.get(mime_type, mime_type.rsplit("/", 1)[-1].upper())


@contextmanager
def image_limits(max_pixels: int, label: str) -> Iterator[None]:
    """Bomb guard on, truncation fatal, harmless warnings logged, every failure an IngestError.

    Pillow's limits and Python's warning filters are process-wide: render in worker processes
    (or one thread per process), not in several threads of one process; threads (the web's
    exports) use :func:`decoding_errors` alone.
    """
    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = max_pixels, False
    try:
        with warnings.catch_warnings(record=True) as caught, decoding_errors(label):
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved
    for warning in caught:
        log.debug("%s: ignored decoder warning: %s", label, warning.message)


@contextmanager
def decoding_errors(label: str) -> Iterator[None]:
    """Every decoder failure inside as an IngestError with the reason (no process-wide state)."""
    try:
        yield
    except DamError:
        raise
    except Exception as exc:  # noqa: BLE001 - the edge: nothing but IngestError may leave
        raise _as_ingest_error(exc, label) from exc


def _as_ingest_error(exc: BaseException, label: str) -> IngestError:
    message = _message(exc)
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return IngestError(f"{label} too large (decompression bomb guard): {message}")
    if isinstance(exc, MemoryError):
        return IngestError(f"{label} needs too much memory to decode")
    if isinstance(exc, UnidentifiedImageError):
        return IngestError(f"unreadable {label}: not a valid {label} image or an unknown variant")
    if isinstance(exc, FileNotFoundError) or (
        isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS
    ):  # the machine's trouble (I/O, a working copy gone), not the data's
        return IngestError(f"cannot read the file: {message}", transient=True)
    if "truncated" in message.lower():
        return IngestError(f"truncated {label}: {message}")
    if not isinstance(exc, EXPECTED_DECODER_ERRORS):
        log.exception("%s: unexpected %s while decoding", label, type(exc).__name__)
    return IngestError(f"unreadable {label}: {message}")


def _message(exc: BaseException) -> str:
    if exc.args and isinstance(exc.args[0], bytes):  # libraw's messages
        return exc.args[0].decode("utf-8", "replace")
    return str(exc) or type(exc).__name__


def open_image(
    source: Source, mime_type: str | None, long_edge: LongEdge, max_pixels: int,
    orientation: int | None,
) -> DecodedImage:
    """Decode ``source``, at reduced scale when the format allows, to at least ``long_edge``.

    ``mime_type`` (sniffed at ingest) chooses the decoder; None lets every decoder that
    recognises the bytes try (an exported object whose type the caller does not know).
    ``orientation`` (EXIF 1-8, from the caller's metadata) wins over the image's own EXIF, except
    where the container decides: HEIF (libheif has already rotated), AVIF (``irot``/``imir``).
    Decoder exceptions propagate: wrap the call in :func:`image_limits` or :func:`decoding_errors`.
    """
    wanted = orientation if orientation in range(1, 9) else None
    if mime_type in RAW_MIME_TYPES:
        return _open_raw(source, label_for(mime_type), long_edge, max_pixels, wanted)
    formats = pillow_formats(mime_type)
    if isinstance(source, Path):
        with open(source, "rb") as fp:
            return _decode(Image.open(fp, formats=formats), long_edge, max_pixels, wanted)
    return _decode(Image.open(source, formats=formats), long_edge, max_pixels, wanted)


def upright_size(source: Source, mime_type: str | None) -> tuple[int, int]:
    """The picture's size as viewers show it, by the orientation rule above, from its header
    (a PNG's eXIf chunk may follow its pixels, which are then read). Pillow formats only (a
    RAW's size needs LibRaw: see open_image)."""
    with Image.open(source, formats=pillow_formats(mime_type)) as image:
        width, height = image.size  # HEIF and TIFF report the turned size already
        if image.format in SELF_ORIENTING_FORMATS:
            return width, height
        turned = read_orientation(image) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def pillow_formats(mime_type: str | None) -> list[str]:
    """The Pillow formats allowed to open a file of ``mime_type`` (a sniffed JPEG is never parsed
    as a PSD); every format the decoders may claim when the type is unknown."""
    Image.init()
    if mime_type is None:
        return list(decoders.pillow_formats_for(None))
    formats = PILLOW_FORMATS.get(mime_type) or decoders.pillow_formats_for(mime_type)
    if not formats:
        raise UnsupportedMediaError(f"cannot render {mime_type} as a photo")
    available = [name for name in formats if name in Image.OPEN]
    if not available:
        raise UnsupportedMediaError(f"{label_for(mime_type)} is not supported by this Pillow build")
    return available


def can_decode(mime_type: str) -> bool:
    """Whether :func:`open_image` reads pictures of ``mime_type``."""
    if mime_type in RAW_MIME_TYPES:
        return True
    try:
        return bool(pillow_formats(mime_type))
    except UnsupportedMediaError:
        return False


def _needed(long_edge: LongEdge, size: tuple[int, int]) -> int | None:
    return long_edge(size) if callable(long_edge) else long_edge


def _decode(
    image: Image.Image, long_edge: LongEdge, max_pixels: int, orientation: int | None
) -> DecodedImage:
    full_size = source_size = image.size
    _check_pixels(full_size, max_pixels)
    if image.format in SELF_ORIENTING_FORMATS:
        orientation = 1
        if _decoder_quarter_turns(image):
            source_size = (full_size[1], full_size[0])
    draft_for(image, _needed(long_edge, full_size))
    pages = _page_count(image)  # before loading: counting seeks, and a seek drops the pixels
    image.load()  # before getexif(): for PNG it would load, and a swallowed error leave garbage
    if image.format == "AVIF" or orientation is None:
        orientation = read_orientation(image)  # for AVIF, Pillow maps irot/imir to this tag
    return DecodedImage(image, full_size, source_size, orientation, pages)


def upright_srgb(decoded: DecodedImage, size: tuple[int, int] | None = None,
                 resample: Image.Resampling = Image.Resampling.HAMMING) -> Image.Image:
    """``decoded`` as viewers show it, 8-bit sRGB (RGB or RGBA), at ``size`` (upright) if given.

    Reduce, convert to sRGB, then orient: the costly steps run on the fewest pixels.
    """
    icc = decoded.image.info.get("icc_profile")
    image = to_8bit(decoded.image)
    if size is not None:
        if decoded.orientation in (5, 6, 7, 8):
            size = (size[1], size[0])  # the stored pixels lie the other way round
        if image.size != size:
            image = image.resize(size, resample, reducing_gap=2.0)
    image = to_srgb(image, icc if isinstance(icc, bytes) else None)
    transpose = ORIENTATION_TRANSPOSE.get(decoded.orientation)
    return image.transpose(transpose) if transpose is not None else image


def _page_count(image: Image.Image) -> int:
    """Pages of a multi-page TIFF (GIF and WebP frames are an animation, not pages)."""
    if image.format != "TIFF":
        return 1
    try:
        return max(int(getattr(image, "n_frames", 1)), 1)
    except EXPECTED_DECODER_ERRORS as exc:
        log.debug("TIFF page count unreadable: %s", exc)
        return 1


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise IngestError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise IngestError(
            f"image too large: {width}x{height} = {width * height} pixels, limit {max_pixels}"
        )


def _draft_jpeg(image: Image.Image, long_edge: int) -> None:
    """Let libjpeg scale the DCT by 1/2, 1/4 or 1/8, keeping at least ``long_edge`` pixels.

    Pillow picks ``min(W // w, H // h)`` for a requested box (w, h), so a square box on a 3:2
    picture would decode at full size; asking for ``(W // s, H // s)`` yields exactly scale ``s``.
    """
    width, height = image.size
    longest = max(width, height)
    for scale in JPEG_DRAFT_SCALES:
        if math.ceil(longest / scale) >= long_edge and min(width, height) >= scale:
            image.draft(image.mode, (width // scale, height // scale))
            return


def _decoder_quarter_turns(image: Image.Image) -> bool:
    """Whether the decoder turns the stored picture by a quarter (its size is reported turned)."""
    if image.format == "TIFF":
        return image.tag_v2.get(0x0112) in (5, 6, 7, 8)  # type: ignore[attr-defined]
    return _heif_quarter_turned(image)


def _heif_quarter_turned(image: Image.Image) -> bool:
    """Whether libheif turned the picture by 90 or 270 degrees (its ``irot`` transform)."""
    try:
        heif_image = image._heif_file[image.tell()]  # type: ignore[attr-defined]
        turns = heif_image._c_image.transformations  # noqa: SLF001 - not exposed otherwise
        return any(name == "irot" and value in (90, 270) for name, value in turns)
    except (AttributeError, IndexError, TypeError, ValueError):
        return bool(image.info.get("original_orientation") in (5, 6, 7, 8))


def upright(image: Image.Image) -> Image.Image:
    """``image`` loaded and turned as viewers show it, by the one rule per container above
    (a new image; the caller's is left as decoded). Decoder errors propagate."""
    image.load()  # Pillow 13 turns a TIFF while loading; libheif has turned a HEIF already
    orientation = 1 if image.format in SELF_ORIENTING_FORMATS else read_orientation(image)
    transpose = ORIENTATION_TRANSPOSE.get(orientation)
    return image.transpose(transpose) if transpose is not None else image.copy()


def draft_for(image: Image.Image, long_edge: int | None) -> None:
    """Let libjpeg decode a JPEG at 1/2, 1/4 or 1/8 scale, keeping ``long_edge`` pixels."""
    if long_edge is not None and image.format in ("JPEG", "MPO"):
        _draft_jpeg(image, long_edge)


def read_orientation(image: Image.Image) -> int:
    """EXIF orientation 1-8 of ``image``; 1 when absent or unreadable."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception as exc:  # noqa: BLE001 - a broken EXIF block must not stop the rendition
        log.debug("unreadable EXIF orientation: %s", exc)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _open_raw(source: Source, label: str, long_edge: LongEdge, max_pixels: int,
              orientation: int | None) -> DecodedImage:
    """The camera's embedded preview; libraw's half-size development only when there is none.

    A RAW whose sensor data is empty (a pruned DNG, a file cut short: libraw reads zeros) would
    develop to an all-black picture: its embedded preview is used instead when it is whole,
    however small; without one the file fails with the reason.
    """
    with rawpy.imread(str(source) if isinstance(source, Path) else source) as raw:
        sizes = raw.sizes
        raw_size = developed_size(sizes)
        if sizes.width > 0 and sizes.height > 0:
            _check_pixels(raw_size, max_pixels)
        if orientation is None:  # previews are stored as the sensor saw them
            orientation = RAW_FLIP_ORIENTATION.get(sizes.flip, 1)
        preview = _raw_preview(raw, long_edge, max_pixels, orientation)
        if preview is None and _sensor_empty(raw):
            preview = _raw_preview(raw, long_edge, max_pixels, orientation, smallest=1)
            if preview is None:
                raise IngestError(f"{label} file holds no image data (pruned or truncated) "
                                  "and no whole preview")
        if preview is not None:
            preview.preview_size = preview.source_size
            if all(raw_size):
                preview.source_size = raw_size
            return preview
        log.info("%s: no usable embedded preview, developing the RAW at half size", label)
        pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
    image = Image.fromarray(pixels)  # libraw has applied the flip already
    return DecodedImage(image, image.size, raw_size if all(raw_size) else image.size, 1)


def developed_size(sizes: rawpy.ImageSizes) -> tuple[int, int]:
    """The developed picture's size before orientation: the visible area, cut by the crop the
    file asks for (DNG DefaultCrop); never the embedded preview's or the whole sensor's."""
    if sizes.crop_width > 0 and sizes.crop_height > 0:
        return sizes.crop_width, sizes.crop_height
    return sizes.width, sizes.height


def _sensor_empty(raw: rawpy.RawPy) -> bool:
    """Whether the sensor data holds nothing above the black level (zeros read for it)."""
    try:
        visible = raw.raw_image_visible
    except rawpy.LibRawError:
        return True
    black = max(raw.black_level_per_channel or [0])
    return visible.size == 0 or int(visible.max()) <= black


def _raw_preview(
    raw: rawpy.RawPy, long_edge: LongEdge, max_pixels: int, orientation: int, smallest: int = 256
) -> DecodedImage | None:
    """The embedded preview, decoded; None without one or when smaller than ``smallest``
    (a postage stamp: better develop the RAW itself) or, when any size will do, damaged."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError:
        if smallest > 1:
            raise
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        image = Image.open(io.BytesIO(thumb.data), formats=["JPEG", "MPO"])
        try:
            decoded = _decode(image, long_edge, max_pixels, orientation)
        except EXPECTED_DECODER_ERRORS:
            if smallest > 1:
                raise
            return None  # only a whole preview may stand in for missing sensor data
    elif thumb.format == rawpy.ThumbFormat.BITMAP:
        image = Image.fromarray(thumb.data)
        decoded = DecodedImage(image, image.size, image.size, orientation)
    else:
        return None
    needed = _needed(long_edge, decoded.full_size) or smallest
    if max(decoded.full_size) < min(needed, smallest):
        return None
    return decoded


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """``image`` (see ``to_8bit``) as RGB or RGBA in sRGB, converted from ICC profile ``icc``."""
    image = to_8bit(image)
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base_mode = {"RGBA": "RGB", "LA": "L"}.get(image.mode, image.mode)
    base = image.convert(base_mode) if alpha is not None else image
    rgb = _apply_profile(base, icc) if icc else None
    if rgb is None:
        rgb = base if base.mode == "RGB" else base.convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha)
    return rgb


def to_8bit(image: Image.Image) -> Image.Image:
    """Reduce exotic modes to L, LA, RGB, RGBA or CMYK, keeping transparency."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode in ("P", "PA"):
        return image.convert("RGBA" if "transparency" in image.info or mode == "PA" else "RGB")
    if mode.startswith("I;16") or mode == "I":
        # 16-bit samples: scale to 8 bits (convert("L") would clip everything above 255).
        wide = image if mode == "I" else image.convert("I")
        return wide.point(lambda value: value * (1 / 256)).convert("L")  # point() keeps mode I
    if mode in ("1", "F"):
        return image.convert("L")
    if mode in ("La", "RGBa"):
        return image.convert({"La": "LA", "RGBa": "RGBA"}[mode])
    return image.convert("RGB")


def _apply_profile(image: Image.Image, icc: bytes) -> Image.Image | None:
    """``image`` converted to sRGB with profile ``icc``; None when it is sRGB or unusable."""
    if image.mode not in ("L", "RGB", "CMYK"):
        return None
    try:
        transform = _srgb_transform(icc, image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        log.debug("ignoring unusable ICC profile: %s", exc)
        return None
    if transform is None:
        return None
    return ImageCms.applyTransform(image, transform)


@lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    if profile.profile.xcolor_space.strip() != {"L": "GRAY", "CMYK": "CMYK"}.get(mode, "RGB"):
        raise ValueError(f"{profile.profile.xcolor_space.strip()} profile on a {mode} image")
    description = (profile.profile.profile_description or "").lower()
    if mode == "RGB" and "srgb" in description and "linear" not in description:
        return None  # already sRGB: skip the transform
    # Shared across threads (the web's press kits and social formats export with it too): no
    # per-transform pixel cache, which is not safe to share.
    return ImageCms.buildTransform(profile, srgb_profile(), mode, "RGB",
                                   flags=ImageCms.Flags.NOCACHE)


@lru_cache(maxsize=1)
def srgb_profile() -> ImageCms.ImageCmsProfile:
    """The sRGB profile pictures are converted to (and exports embed)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def flatten(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
            ) -> Image.Image:
    """``image`` as RGB: transparency laid over ``background`` (JPEG has no alpha)."""
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    canvas = Image.new("RGB", image.size, background)
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas
