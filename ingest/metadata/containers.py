"""Finding the metadata blocks (EXIF, XMP, IPTC) and stored pixel size in each image container."""

from __future__ import annotations

import io
import pathlib
import struct
import threading
import warnings as pywarnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pillow_heif
import rawpy
from PIL import Image

from ingest.metadata.iptc import IPTC_RESOURCE_ID, parse_photoshop_resources
from ingest.metadata.isobmff import AVIF_BRANDS, HEIF_BRANDS, read_boxes
from ingest.metadata.salvage import salvage
from ingest.metadata.tiff import is_tiff, read_tiff

pillow_heif.register_heif_opener()

RAW_SUFFIXES = {
    ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".raf",
    ".rw2", ".pef", ".srw", ".erf", ".3fr", ".iiq", ".mos", ".mrw", ".x3f", ".rwl", ".kdc",
}  # fmt: skip
_JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
_RAF_MAGIC = b"FUJIFILMCCD-RAW"
_RAW_TIFF_MAGICS = {b"IIRO", b"IIRS", b"MMOR", b"IIU\x00"}  # Olympus ORF, Panasonic RW2
_RAW_MIME_WORDS = (
    "raw", "dng", "canon", "nikon", "sony", "olympus", "fuji", "panasonic", "pentax", "samsung",
    "leica", "hasselblad", "phaseone", "sigma", "minolta",
)  # fmt: skip
_RAF_JPEG_HEAD = 1024 * 1024  # enough of the embedded JPEG for its APP segments
SALVAGED_MAX_PIXELS = 1_000_000_000  # a damaged header's larger size is not believed
# warnings.catch_warnings() swaps process-wide state; serialise our uses of it across threads.
_WARNINGS_LOCK = threading.Lock()


@dataclass
class Blocks:
    """Raw metadata found in a file, before parsing: TIFF-structured EXIF, XMP, IPTC-IIM."""

    width: int | None = None
    height: int | None = None
    exif: bytes | None = None
    exif_parts: dict[str, bytes] = field(default_factory=dict)  # one TIFF block per IFD (CR3)
    exif_in_file: bool = False  # the file itself is TIFF-structured: read EXIF from it
    orientation: int | None = None  # HEIF/AVIF: the container's irot/imir transform
    xmp: bytes | str | None = None
    iptc: bytes | None = None
    warnings: list[str] = field(default_factory=list)


def read_blocks(path: pathlib.Path, handle: BinaryIO, mime_type: str) -> Blocks:
    """Locate metadata by the file's signature (the MIME type only hints at camera RAW)."""
    head = handle.read(32)
    handle.seek(0)
    is_raw = (
        path.suffix.lower() in RAW_SUFFIXES
        or _is_raw_mime(mime_type)
        or head[:4] in _RAW_TIFF_MAGICS
        or head.startswith(_RAF_MAGIC)
        or head[8:12] == b"crx "
    )
    if is_tiff(head):
        blocks = _from_tiff(handle)
    elif head[4:8] == b"ftyp" or head.startswith(_JXL_CONTAINER):
        blocks = _from_boxes(handle, head)
    elif head.startswith(_RAF_MAGIC):
        blocks = _from_raf(handle)
    else:
        blocks = _from_pillow(handle, None)
    if blocks.width is None and is_raw:
        blocks.width, blocks.height = _raw_size(path, blocks.warnings)
    return blocks


def _is_raw_mime(mime_type: str) -> bool:
    mime = mime_type.lower()
    return mime.startswith("image/") and any(word in mime for word in _RAW_MIME_WORDS)


def _from_tiff(handle: BinaryIO) -> Blocks:
    info = read_tiff(handle)
    blocks = Blocks(info.width, info.height, exif_in_file=True, xmp=info.xmp, iptc=info.iptc)
    blocks.warnings.extend(info.warnings)
    if blocks.iptc is None and info.photoshop:
        resources = parse_photoshop_resources(info.photoshop, blocks.warnings)
        blocks.iptc = resources.get(IPTC_RESOURCE_ID)
    return blocks


def _from_boxes(handle: BinaryIO, head: bytes) -> Blocks:
    info = read_boxes(handle)
    blocks = Blocks(info.width, info.height, exif=info.exif, exif_parts=info.exif_parts)
    blocks.xmp, blocks.orientation = info.xmp, info.orientation
    blocks.warnings.extend(info.warnings)
    brand = head[8:12]
    if blocks.width is None and (brand in HEIF_BRANDS or brand in AVIF_BRANDS):
        fallback = _from_pillow(handle, ["AVIF" if brand in AVIF_BRANDS else "HEIF"])
        blocks.width, blocks.height = fallback.width, fallback.height
        blocks.warnings.extend(fallback.warnings)
    return blocks


def _from_raf(handle: BinaryIO) -> Blocks:
    """Fujifilm RAF: the metadata is in the embedded JPEG preview whose offset is at byte 84."""
    handle.seek(84)
    pointer = handle.read(8)
    if len(pointer) < 8:
        return Blocks(warnings=["raf: truncated header"])
    offset, length = int.from_bytes(pointer[:4], "big"), int.from_bytes(pointer[4:], "big")
    handle.seek(offset)
    preview = _from_pillow(io.BytesIO(handle.read(min(length, _RAF_JPEG_HEAD))), ["JPEG"])
    preview.width = preview.height = None  # the preview's size is not the photo's
    return preview


def _from_pillow(handle: BinaryIO, formats: list[str] | None) -> Blocks:
    blocks = Blocks()
    try:
        with _pillow_warnings(blocks.warnings), Image.open(handle, formats=formats) as image:
            blocks.width, blocks.height = image.size
            _take_info(image.info, blocks)
    except Exception as error:  # Pillow raises many types (OSError, SyntaxError, ...) on bad input
        blocks.warnings.append(f"image: cannot read header ({type(error).__name__}: {error})")
        _salvage_into(handle, blocks)
    return blocks


def _salvage_into(handle: BinaryIO, blocks: Blocks) -> None:
    """What a damaged JPEG or WebP still holds, found without Pillow (``salvage``)."""
    try:
        found = salvage(handle)
    except (OSError, struct.error, ValueError) as error:
        blocks.warnings.append(f"image: no metadata salvaged ({error})")
        return
    if not found:
        return
    blocks.width = blocks.height = None
    info: dict[str, Any] = {"exif": found.get("exif"), "xmp": found.get("xmp")}
    if found.get("photoshop"):
        resources = parse_photoshop_resources(found["photoshop"], blocks.warnings)  # type: ignore[arg-type]
        info["photoshop"] = resources
    _take_info(info, blocks)
    size = found.get("size")
    if isinstance(size, tuple) and size[0] * size[1] <= SALVAGED_MAX_PIXELS:
        blocks.width, blocks.height = size
    blocks.warnings.append("image: metadata read from a damaged file's segments")


@contextmanager
def _pillow_warnings(sink: list[str]) -> Iterator[None]:
    with _WARNINGS_LOCK, pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            yield
        finally:
            sink.extend(f"image: {w.message}" for w in caught[:20])


def _take_info(info: dict[str, Any], blocks: Blocks) -> None:
    exif = info.get("exif") or _raw_profile(info.get("Raw profile type exif"))
    if isinstance(exif, bytes):
        blocks.exif = tiff_block(exif)
        if blocks.exif is None:
            blocks.warnings.append("exif: EXIF block without a TIFF header")
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    blocks.xmp = xmp or _raw_profile(info.get("Raw profile type xmp"))
    photoshop = info.get("photoshop")
    if isinstance(photoshop, dict):
        iptc = photoshop.get(IPTC_RESOURCE_ID)
        blocks.iptc = iptc if isinstance(iptc, bytes) else None
    profile = _raw_profile(info.get("Raw profile type iptc"))
    if blocks.iptc is None and profile:
        if profile.startswith(b"8BIM"):
            profile = parse_photoshop_resources(profile, blocks.warnings).get(IPTC_RESOURCE_ID)
        blocks.iptc = profile


def tiff_block(exif: bytes) -> bytes | None:
    """The TIFF-structured part of an EXIF block, with any 'Exif\\0\\0' prefix removed."""
    if exif.startswith(b"Exif"):
        exif = exif[6:]
    if exif[:2] in (b"II", b"MM"):
        return exif
    for marker in (b"II*\x00", b"MM\x00*"):
        found = exif.find(marker, 0, 16)
        if found >= 0:
            return exif[found:]
    return None


def _raw_profile(value: Any) -> bytes | None:
    """Decode ImageMagick's PNG text 'Raw profile type X' (name, length, then hex lines)."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split("\n", 2)
    if len(parts) < 3:
        return None
    try:
        return bytes.fromhex("".join(parts[2].split()))
    except ValueError:
        return None


def _raw_size(path: pathlib.Path, warnings: list[str]) -> tuple[int | None, int | None]:
    """Visible image size of a camera RAW that is not TIFF-structured, as LibRaw reports it."""
    try:
        with rawpy.RawPy() as raw:
            raw.open_file(str(path))  # parses the headers only; no pixel data is decoded
            sizes = raw.sizes
            return sizes.width or None, sizes.height or None
    except Exception as error:  # LibRaw errors, or a format LibRaw does not know
        warnings.append(f"raw: cannot read RAW size ({type(error).__name__}: {error})")
        return None, None
