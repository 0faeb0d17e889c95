"""Photo renditions (preview, thumbnail) and perceptual hash, decoded once at reduced scale.

Choices, measured on a 6000x4000, 10.5 MB JPEG (q92) on the project machine:

- Decode once, small. libjpeg scales the DCT (``Image.draft``) by the largest of 1/8, 1/4, 1/2
  that still covers the largest rendition: 1500x1000 for a 1440 preview, ~130 ms instead of
  ~235 ms and 4.5 MB of pixels instead of 72 MB. Other formats cannot scale on load (libheif,
  libtiff, libpng) and decode at full size; RAW files use the camera's embedded JPEG, drafted too.
- The largest rendition comes from the decoded pixels, each smaller one from the previous.
  Colour conversion to sRGB (~30 ms at 1440x960 with LittleCMS, skipped for sRGB-tagged
  images) and orientation (a transpose) run after reducing, on the fewest pixels.
- Filters: HAMMING to the largest rendition, usually a 1.0-1.5x shrink after drafting: it costs
  what BILINEAR costs (~20 ms for 1500 -> 1440) and is sharper; BICUBIC costs ~32 ms, LANCZOS
  ~40. Smaller renditions, the ones seen most, get LANCZOS with ``reducing_gap=1.5`` (a box
  ``reduce`` by 2, then LANCZOS: ~11 ms for 1440 -> 400 instead of ~27 ms for LANCZOS alone).
- Encoding: baseline JPEG, quality 82, 4:2:0, no metadata: ~9 ms for 1440x960. ``optimize``
  costs ~3x for ~3 % fewer bytes and ``progressive`` ~5x for ~10 %, so only small renditions
  (<= 0.5 MP) are optimized (+1 ms). ``fmt="webp"`` uses ``method=2``: ~180 ms for a 1440 preview
  against ~380 ms at Pillow's default 4, for ~1 % more bytes; JPEG stays the default.
- Renditions are sRGB and carry no metadata: no ICC profile, EXIF, XMP or IPTC.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ingest import imaging
from ingest.phash import perceptual_hash

FORMATS = {"jpeg": ("JPEG", "image/jpeg", "jpg"), "webp": ("WEBP", "image/webp", "webp")}
FIRST_FILTER = Image.Resampling.HAMMING  # from the decoded pixels to the largest rendition
NEXT_FILTER, NEXT_REDUCING_GAP = Image.Resampling.LANCZOS, 1.5  # from one rendition to the next
SMALL_RENDITION_PIXELS = 500_000
WEBP_METHOD = 2
ORIENTATION_TRANSPOSE = imaging.ORIENTATION_TRANSPOSE  # one table, in ingest.imaging


@dataclass(frozen=True)
class RenderedImage:
    """A rendition to store, made from a photo, a video frame or a PDF page: encoded bytes."""

    kind: str
    data: bytes
    mime_type: str
    extension: str
    width: int
    height: int
    page: int = 0  # 1..n for a publication's ``page`` renditions, 0 otherwise


@dataclass(frozen=True)
class RenditionSet:
    images: list[RenderedImage]
    phash: str | None
    source_width: int  # the original's pixels as stored (before orientation)
    source_height: int
    pages: int = 1  # a multi-page TIFF's page count (its first page is rendered)
    embedded_preview: tuple[int, int] | None = None  # a RAW's preview the renditions came from
    developed: bool = False  # a RAW: source_* is the developed picture's size (LibRaw's)


def make_photo_renditions(
    path: Path,
    mime_type: str,
    sizes: dict[str, int],
    *,
    fmt: str = "jpeg",
    quality: int = 82,
    max_pixels: int = 250_000_000,
    orientation: int | None = None,
) -> RenditionSet:
    """Renditions of the photo at ``path``, one per ``sizes`` entry (kind -> long edge in px).

    Never upscales. Raises UnsupportedMediaError for a type we cannot render and IngestError
    for a corrupt, truncated or oversized image (or, transient, an unreadable file); whatever
    the file holds, no other exception leaves this function. Bad arguments raise ValueError.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown rendition format {fmt!r}, expected one of {sorted(FORMATS)}")
    if not sizes or min(sizes.values()) < 1:
        raise ValueError(f"rendition sizes must be positive long edges, got {sizes!r}")
    label = imaging.label_for(mime_type)
    with imaging.image_limits(max_pixels, label):
        decoded = imaging.open_image(path, mime_type, max(sizes.values()), max_pixels, orientation)
        rendered, smallest = _render_all(decoded, sizes, fmt, quality)
        phash = perceptual_hash(smallest)
    width, height = decoded.source_size
    developed = mime_type in imaging.RAW_MIME_TYPES
    return RenditionSet([rendered[kind] for kind in sizes], phash, width, height, decoded.pages,
                        decoded.preview_size, developed)


def _render_all(
    decoded: imaging.DecodedImage, sizes: dict[str, int], fmt: str, quality: int
) -> tuple[dict[str, RenderedImage], Image.Image]:
    """Largest rendition first, each next one from the previous; returns the smallest image too."""
    full_w, full_h = decoded.full_size
    if decoded.orientation in (5, 6, 7, 8):
        full_w, full_h = full_h, full_w
    image = decoded.image
    rendered: dict[str, RenderedImage] = {}
    for index, (kind, long_edge) in enumerate(sorted(sizes.items(), key=lambda kv: -kv[1])):
        target = fit_size((full_w, full_h), long_edge)
        if index == 0:
            image = imaging.upright_srgb(decoded, target, FIRST_FILTER)
        else:
            image = resize(image, target, NEXT_FILTER, reducing_gap=NEXT_REDUCING_GAP)
        rendered[kind] = encode(image, kind, fmt, quality)
    return rendered, image


def warm_up() -> None:
    """Load now what the first photo would load (Pillow's format plugins, numpy's median in the
    perceptual hash): ~40 ms of a worker's start instead of its first photo's."""
    imaging.pillow_formats("image/jpeg")
    perceptual_hash(Image.new("RGB", (64, 48), "gray"))


def fit_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """``size`` scaled to a long edge of ``long_edge``, aspect kept; never larger than ``size``."""
    width, height = size
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    scale = long_edge / longest
    if width >= height:
        return long_edge, max(1, round(height * scale))
    return max(1, round(width * scale)), long_edge


def resize(
    image: Image.Image,
    target: tuple[int, int],
    resample: Image.Resampling,
    reducing_gap: float | None = None,
) -> Image.Image:
    """``image`` at ``target`` size; the same object when it is that size already."""
    if image.size == target:
        return image
    return image.resize(target, resample, reducing_gap=reducing_gap)


def encode(image: Image.Image, kind: str, fmt: str, quality: int) -> RenderedImage:
    """``image`` encoded as a rendition, without metadata."""
    pillow_format, mime_type, extension = FORMATS[fmt]
    small = image.width * image.height <= SMALL_RENDITION_PIXELS
    buffer = io.BytesIO()
    if pillow_format == "JPEG":
        image = imaging.flatten(image)
        image.save(buffer, "JPEG", quality=quality, subsampling="4:2:0", optimize=small)
    else:
        image.save(buffer, "WEBP", quality=quality, method=WEBP_METHOD)
    return RenderedImage(kind, buffer.getvalue(), mime_type, extension, image.width, image.height)


def dominant_color(data: bytes) -> str | None:
    """The picture's average colour as ``#rrggbb`` (a grid's placeholder while it loads)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (32, 32))
            r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    except (OSError, ValueError):
        return None
    return f"#{r:02x}{g:02x}{b:02x}"
