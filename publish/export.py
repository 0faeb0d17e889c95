"""The one strip-and-embed step every export of a picture goes through.

A picture is decoded once, turned upright, cropped and scaled to each requested size, given the
institutional band or a watermark if the profile says so, and encoded anew: nothing of the source
file's metadata survives the re-encode except what the profile keeps from the catalog's record
(``FileFacts``: camera, date, GPS only for internal profiles). The asset's description
(``PressInfo``: caption, credit, copyright, licence, alt text ...) is then embedded as IPTC and
XMP, and, for profiles that ask for it, C2PA content credentials are signed in last.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from PIL import Image, ImageOps

from publish.embed import PressInfo, stream_plan
from publish.embed.jpeg import jpeg_plan
from publish.profiles import ExportProfile


class ContentSigner(Protocol):
    """Signs content credentials into an encoded file (publish.credentials)."""

    def __call__(self, data: bytes, mime_type: str, info: PressInfo) -> bytes: ...


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
    taken_at: dt.datetime | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_altitude: float | None = None


@dataclass(frozen=True)
class ExportedImage:
    data: bytes
    width: int
    height: int
    mime_type: str = "image/jpeg"

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/webp": ".webp"}.get(self.mime_type, ".bin")


def _fit(image: Image.Image, long_edge: int | None) -> Image.Image:
    if long_edge is None or max(image.size) <= long_edge:
        return image
    scale = long_edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _frame(image: Image.Image, size: tuple[int, int],
           focus: tuple[float, float] | None) -> Image.Image:
    """``image`` cropped to the aspect of ``size`` around ``focus`` (fractions), then scaled."""
    centering = focus if focus is not None else (0.5, 0.5)
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=centering)


def _encode(image: Image.Image, profile: ExportProfile) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=profile.quality, optimize=True, progressive=True)
    return out.getvalue()


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
) -> list[ExportedImage]:
    """The picture in ``source`` exported with ``profile``, one file per size.

    ``sizes`` are long edges (default: the profile's; None keeps the picture's size); ``frame``
    asks instead for one picture of exactly that width and height, cropped around ``focus``
    (fractions of the upright picture, default its centre). ``band`` is the institutional band
    (PNG bytes) for profiles that lay it; ``signer`` signs C2PA credentials where the profile
    asks for them.
    """
    with Image.open(source) as opened:
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    if frame is not None:
        pictures = [_frame(upright, frame, focus)]
    else:
        wanted = list(sizes) if sizes is not None else list(profile.sizes or (None,))
        pictures = [_fit(upright, edge) for edge in wanted]
    results = []
    for picture in pictures:
        encoded = _encode(picture, profile)
        plan = jpeg_plan(io.BytesIO(encoded), len(encoded), info)
        data = b"".join(stream_plan(io.BytesIO(encoded), plan))
        if signer is not None and profile.c2pa:
            data = signer(data, "image/jpeg", info)
        results.append(ExportedImage(data, picture.width, picture.height))
    return results


def export_image(source: BinaryIO, info: PressInfo, profile: ExportProfile,
                 **options: object) -> ExportedImage:
    """:func:`export_images` for one size (``long_edge``) or one ``frame``."""
    long_edge = options.pop("long_edge", None)
    sizes = None if "frame" in options or long_edge is None else [long_edge]
    return export_images(source, info, profile, sizes=sizes, **options)[0]  # type: ignore[arg-type]
