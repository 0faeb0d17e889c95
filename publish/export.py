"""The one strip-and-embed step every export of a picture goes through.

A picture is decoded once (at reduced scale when that is enough), turned upright, converted to
sRGB, cropped and scaled to each requested size (never enlarged), given the institutional band
or a watermark if the profile says so, and encoded anew. Nothing of the source file's metadata
survives the re-encode: the EXIF written is built from the catalog's record (``FileFacts``) and
only what the profile keeps (date; camera and exposure; GPS for internal profiles only). Public
profiles therefore never carry GPS, serial numbers, owner names, maker notes or software
history. The asset's description (``PressInfo``: caption, credit, copyright, licence, alt text)
is embedded as XMP and IPTC, and C2PA content credentials, where the profile asks for them, are
signed in last. The ``original`` format (archivo) is the exception: the stored file's own bytes
with the description embedded, nothing stripped.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO, Protocol

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from ingest.imaging import flatten
from publish.blur import Box, blur_faces
from publish.embed import EmbedError, PressInfo, embeds, original_plan, stream_plan
from publish.embed.jpeg import jpeg_plan
from publish.embed.xmp import xmp_packet
from publish.overlay import band_height, decode_band, draw_watermark, lay_band
from publish.picture import (
    DECODED_SCALE,
    DEFAULT_MAX_PIXELS,
    ExportError,
    decode_upright,
    srgb_icc,
)
from publish.profiles import ExportProfile

__all__ = ["ContentSigner", "Edit", "ExportError", "ExportedImage", "FileFacts", "export_image",
           "export_images"]

log = logging.getLogger(__name__)

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
_EXTENSIONS = {"image/jpeg": ".jpg", "image/webp": ".webp", "image/png": ".png",
               "image/tiff": ".tif", "image/heic": ".heic", "image/avif": ".avif"}


@dataclass(frozen=True)
class Edit:
    """Something an export did to the picture's pixels, declared in its content credentials.

    ``action`` is a C2PA action (``c2pa.cropped``, ``c2pa.resized``, ``c2pa.edited``).
    """

    action: str
    description: str = ""


CROPPED = Edit("c2pa.cropped", "framed around the point of interest")
RESIZED = Edit("c2pa.resized", "scaled down")
BAND = Edit("c2pa.edited", "institutional band laid along the bottom edge")
WATERMARK = Edit("c2pa.edited", "visible watermark text added")
METADATA = Edit("c2pa.edited.metadata", "caption, credit, copyright and licence embedded")


class ContentSigner(Protocol):
    """Signs content credentials into an encoded file (publish.credentials)."""

    def __call__(self, data: bytes, mime_type: str, info: PressInfo,
                 edits: Sequence[Edit] = ()) -> bytes: ...


@dataclass(frozen=True)
class FileFacts:
    """What the catalog knows of the capture, for profiles that keep it."""

    camera_make: str | None = None
    camera_model: str | None = None
    lens_model: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    taken_at: dt.datetime | None = None  # wall-clock time, as the camera recorded it
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_altitude: float | None = None
    taken_at_offset_minutes: int | None = None  # its UTC offset, when known


@dataclass(frozen=True)
class ExportedImage:
    data: bytes
    width: int
    height: int
    mime_type: str = "image/jpeg"

    @property
    def extension(self) -> str:
        known = _EXTENSIONS.get(self.mime_type) or mimetypes.guess_extension(self.mime_type)
        return known or ".bin"


def _rational(value: float) -> IFDRational:
    fraction = Fraction(value).limit_denominator(1_000_000)
    return IFDRational(fraction.numerator, fraction.denominator)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = abs(value)
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = (degrees - whole - minutes / 60) * 3600
    return IFDRational(whole, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 10000),
                                                                         10000)


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _camera(exif: Image.Exif, facts: FileFacts) -> None:
    ifd = exif.get_ifd(EXIF_IFD)
    for tag, value in ((0x010F, facts.camera_make), (0x0110, facts.camera_model)):
        if value:
            exif[tag] = value
    if facts.lens_model:
        ifd[0xA434] = facts.lens_model
    for tag, number in ((0x829A, facts.exposure_time), (0x829D, facts.f_number),
                        (0x920A, facts.focal_length)):
        if number is not None and number > 0:
            ifd[tag] = _rational(number)
    if facts.iso is not None and 0 < facts.iso < 65536:
        ifd[0x8827] = int(facts.iso)


def _gps(exif: Image.Exif, facts: FileFacts) -> None:
    lat, lon = facts.gps_latitude, facts.gps_longitude
    if lat is None or lon is None:
        return
    gps = exif.get_ifd(GPS_IFD)
    gps[0] = b"\x02\x03\x00\x00"
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(lat)
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(lon)
    if facts.gps_altitude is not None:
        gps[5], gps[6] = (1 if facts.gps_altitude < 0 else 0), _rational(abs(facts.gps_altitude))


def curated_exif(profile: ExportProfile, facts: FileFacts | None) -> bytes:
    """The EXIF an export carries: only the facts ``profile`` keeps (b"" when none).

    Built from the catalog's record, never copied from the file, so nothing else (serial
    numbers, owner names, maker notes, software) can slip through. GPS only when the profile
    keeps it and is not public.
    """
    if facts is None:
        return b""
    exif = Image.Exif()
    if profile.keep_camera:
        _camera(exif, facts)
    if profile.keep_date and facts.taken_at is not None:
        ifd = exif.get_ifd(EXIF_IFD)
        ifd[0x9003] = facts.taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if facts.taken_at_offset_minutes is not None:
            ifd[0x9011] = _offset(facts.taken_at_offset_minutes)
    if profile.keep_gps and not profile.public:
        _gps(exif, facts)
    if not len(exif) and not any(exif.get_ifd(i) for i in (EXIF_IFD, GPS_IFD)):
        return b""
    return exif.tobytes()


def _fit(image: Image.Image, long_edge: int | None) -> Image.Image:
    """``image`` with its long edge at most ``long_edge`` (never enlarged)."""
    if long_edge is None or max(image.size) <= long_edge:
        return image
    scale = long_edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fit_all(image: Image.Image, edges: Sequence[int | None]) -> list[Image.Image]:
    """``image`` fitted to each long edge in ``edges`` (in their order). Each smaller size is
    made from the smallest one already made that is at least twice as large: a quarter of the
    pixels to filter, and no visible difference after a Lanczos reduction."""
    made: dict[int | None, Image.Image] = {}
    for edge in sorted(set(edges), key=lambda e: -(e or 1 << 30)):
        bigger = [p for p in made.values() if edge is not None and max(p.size) >= 2 * edge]
        base = min(bigger, key=lambda p: max(p.size)) if bigger else image
        made[edge] = _fit(base, edge)
    return [made[edge] for edge in edges]


def _frame(image: Image.Image, size: tuple[int, int],
           focus: tuple[float, float] | None) -> Image.Image:
    """The largest crop of ``image`` with the aspect of ``size``, centred on ``focus``
    (fractions of the picture; default its centre) as far as the edges allow, scaled down to
    ``size``. A picture smaller than ``size`` is cropped to its aspect but not enlarged."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ExportError(f"a frame must have a positive size, not {width}x{height}")
    fx, fy = focus if focus is not None else (0.5, 0.5)
    fx, fy = min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)
    crop_w, crop_h = _crop_size(image.size, size)
    left = min(max(round(fx * image.width - crop_w / 2), 0), image.width - crop_w)
    top = min(max(round(fy * image.height - crop_h / 2), 0), image.height - crop_h)
    cropped = image.crop((left, top, left + crop_w, top + crop_h))
    if crop_w <= width:
        return cropped
    return cropped.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, profile: ExportProfile, info: PressInfo, exif: bytes
            ) -> tuple[bytes, str]:
    """The picture encoded as the profile says, with its description embedded."""
    out = io.BytesIO()
    extra: dict[str, object] = {"icc_profile": srgb_icc()}
    if exif:
        extra["exif"] = exif
    if profile.format == "webp":
        image.save(out, "WEBP", quality=profile.quality, method=4, xmp=xmp_packet(info),
                   **extra)
        return out.getvalue(), "image/webp"
    flatten(image).save(out, "JPEG", quality=profile.quality, optimize=True, progressive=True,
                        **extra)
    encoded = out.getvalue()
    plan = jpeg_plan(io.BytesIO(encoded), len(encoded), info)
    return b"".join(stream_plan(io.BytesIO(encoded), plan)), "image/jpeg"


def _edits(upright: Image.Image, picture: Image.Image, frame: tuple[int, int] | None,
           profile: ExportProfile, band: Image.Image | None) -> list[Edit]:
    """What was done to the stored picture's pixels to make ``picture`` (before dressing)."""
    scale = float(upright.info.get(DECODED_SCALE, 1.0)) or 1.0
    kept = upright.size
    edits = []
    if frame is not None:
        kept = _crop_size(upright.size, frame)
        if kept != upright.size:
            edits.append(CROPPED)
    if max(picture.size) < max(kept) / scale - 0.5:
        edits.append(RESIZED)
    if band is not None and profile.band:
        edits.append(BAND)
    if profile.watermark:
        edits.append(WATERMARK)
    return edits


def _crop_size(image_size: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
    """The largest part of a picture of ``image_size`` with the aspect of ``frame``."""
    (image_w, image_h), (width, height) = image_size, frame
    if image_w * height > image_h * width:  # wider than the frame: cut the sides
        return max(1, round(image_h * width / height)), image_h
    return image_w, max(1, round(image_w * height / width))


def _dress(picture: Image.Image, profile: ExportProfile, band: Image.Image | None
           ) -> Image.Image:
    """``picture`` with the profile's band and watermark."""
    if band is not None:
        picture = lay_band(picture, band)
    if profile.watermark:
        picture = draw_watermark(picture, profile.watermark,
                                 bottom_margin=band_height(picture, band))
    return picture


def _sniff(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or "", "application/octet-stream")
    except Exception:  # noqa: BLE001 - not a picture Pillow knows: it travels as is
        return "application/octet-stream"


def _size_of(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001 - size unknown for files Pillow cannot read
        return 0, 0


def _export_original(source: BinaryIO, info: PressInfo, profile: ExportProfile,
                     mime_type: str | None, signer: ContentSigner | None) -> ExportedImage:
    """The stored file's bytes with ``info`` embedded (JPEG, PNG; other types unchanged)."""
    data = source.read()
    mime = mime_type or _sniff(data)
    if embeds(mime):
        try:
            plan = original_plan(io.BytesIO(data), len(data), mime, info)
            data = b"".join(stream_plan(io.BytesIO(data), plan))
        except EmbedError as exc:
            raise ExportError(f"the original's metadata cannot be rewritten: {exc}") from None
    if signer is not None and profile.c2pa:
        data = signer(data, mime, info, [METADATA] if embeds(mime) else [])
    width, height = _size_of(data)
    return ExportedImage(data, width, height, mime)


def export_images(
    source: BinaryIO,
    info: PressInfo,
    profile: ExportProfile,
    *,
    sizes: Sequence[int | None] | None = None,
    frame: tuple[int, int] | None = None,
    focus: tuple[float, float] | None = None,
    facts: FileFacts | None = None,
    band: bytes | None = None,
    signer: ContentSigner | None = None,
    mime_type: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    blur: Sequence[Box] = (),
) -> list[ExportedImage]:
    """The picture in ``source`` exported with ``profile``, one file per size, decoded once.

    ``sizes`` are long edges (default: the profile's; None keeps the picture's size); ``frame``
    asks instead for one picture of exactly that width and height (smaller pictures are not
    enlarged), cropped around ``focus`` (fractions of the upright picture, default its
    centre). ``band`` is the institutional band (PNG or JPEG bytes), laid when the profile
    says so; ``signer`` signs C2PA credentials where the profile asks for them. For the
    ``original`` format, ``mime_type`` names the stored file's type (sniffed when None).
    ``blur``: face boxes (fractions of the upright picture) blurred before anything else.
    ExportError when the picture (or band) is corrupt, truncated or too large.
    """
    if profile.format == "original":
        if blur:
            raise ExportError("the picture shows faces that must be blurred: it cannot leave "
                              "as its untouched original")
        return [_export_original(source, info, profile, mime_type, signer)]
    wanted = list(sizes) if sizes is not None else list(profile.sizes)
    wanted = wanted or [None]
    largest = None if None in wanted or frame is not None else max(wanted)  # type: ignore[type-var]
    upright = decode_upright(source, long_edge=largest, frame=frame, max_pixels=max_pixels)
    upright = blur_faces(upright, blur)
    band_image = decode_band(band) if band is not None and profile.band else None
    pictures = [_frame(upright, frame, focus)] if frame else _fit_all(upright, wanted)
    exif = curated_exif(profile, facts)
    results = []
    for picture in pictures:
        dressed = _dress(picture, profile, band_image)
        data, mime = _encode(dressed, profile, info, exif)
        if signer is not None and profile.c2pa:
            data = signer(data, mime, info, _edits(upright, picture, frame, profile, band_image))
        results.append(ExportedImage(data, dressed.width, dressed.height, mime))
    log.debug("exported %d file(s) with profile %s", len(results), profile.name)
    return results


def export_image(source: BinaryIO, info: PressInfo, profile: ExportProfile,
                 **options: object) -> ExportedImage:
    """:func:`export_images` for one size (``long_edge``) or one ``frame``."""
    long_edge = options.pop("long_edge", None)
    sizes = None if "frame" in options or long_edge is None else [long_edge]
    return export_images(source, info, profile, sizes=sizes, **options)[0]  # type: ignore[arg-type]
