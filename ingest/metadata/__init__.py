"""Photo metadata extraction: EXIF, IPTC-IIM and XMP normalised into catalog fields.

`extract_metadata(path, mime_type)` reads only the headers and metadata blocks of a file (no pixel
decoding) and returns an `ExtractedMetadata`. It never raises for malformed metadata: problems are
recorded in `.warnings` and whatever could be read is returned. Only an `OSError` from opening or
reading the file itself escapes.

Where the blocks come from (chosen by the file's signature, not its name):
  JPEG, PNG, WebP, GIF and others: Pillow's header parser (EXIF APP1/eXIf, XMP, Photoshop APP13).
  TIFF and TIFF-based RAW (DNG, NEF, ARW, CR2, ORF, RW2, PEF...): exifread on the file, plus our
    TIFF walker for XMP (tag 700), IPTC (33723 or Photoshop 34377) and the full-resolution size
    (the largest IFD0/SubIFD whose NewSubfileType is not "reduced resolution", as exiftool does).
  HEIF/HEIC/AVIF and the JPEG XL container: our ISO-BMFF box reader (Exif and XMP items; the
    primary item's stored 'ispe' size before rotation, as exiftool reports it, cut by a 'clap'
    crop when there is one). For HEIF/AVIF the orientation is the container's irot/imir transform
    when it has one, because readers apply it and not the EXIF tag (phones write EXIF 1 with
    irot 270); libheif and Pillow would report rotated sizes and rewrite the EXIF orientation.
  Canon CR3: the CMT1/CMT2/CMT4 boxes (IFD0, EXIF and GPS as separate TIFF blocks) and XMP box.
  Fujifilm RAF: the embedded JPEG's metadata. Non-TIFF RAW sizes (CR3, RAF, RW2): LibRaw's visible
    size through rawpy, headers only; no sample of these is in the test corpus, so these paths
    are only checked against synthetic files.

Precedence when sources disagree (first non-empty value wins):
  Text (headline, caption, keywords, creator, credit, source, copyright notice, city, sublocation,
    state/province, country, country code): XMP, then IPTC-IIM, then EXIF where an equivalent
    exists (ImageDescription, unless a camera placeholder such as "OLYMPUS DIGITAL CAMERA"; Artist;
    Copyright). XMP wins over IIM as in IPTC Core practice: XMP is Unicode and unbounded, while IIM
    is length-limited and often in an unknown legacy charset. The Photoshop IPTC digest is not used
    to prefer IIM (the MWG rule), because stale digests are common and would bring back mojibake.
    Location falls back last to the first IPTC Extension LocationCreated. Usage terms, event and
    persons shown exist only in XMP (xmpRights:UsageTerms, Iptc4xmpExt:Event, PersonInImage).
    Several creators are joined with "; ".
  Capture time: EXIF DateTimeOriginal (+SubSecTimeOriginal, OffsetTimeOriginal), XMP
    exif:DateTimeOriginal, XMP photoshop:DateCreated, IIM DateCreated+TimeCreated, EXIF
    DateTimeDigitized, XMP xmp:CreateDate. ModifyDate is never used. `taken_at` is the naive
    wall-clock time. The first of these with a date AND a time wins; a date without a time
    (accepted only from the IPTC sources, as midnight) is used only when no source has a time.
    When the chosen value has no zone, the zone of another source recording the same second is
    used (e.g. EXIF without OffsetTimeOriginal, XMP with "+02:00").
  Camera, exposure, orientation, GPS: EXIF, then XMP (tiff:, exif:, exifEX:, aux:). GPS is the
    EXIF GPS IFD or XMP exif:GPSLatitude/Longitude, signed by its reference (S and W negative);
    0,0 and out-of-range positions count as missing; altitude is negative when AltitudeRef is 1.

IPTC-IIM text is UTF-8 when CodedCharacterSet (1:90) is ESC % G, else UTF-8 when valid, else
Windows-1252 (Latin-1 with the typographic quotes Windows tools write), else Latin-1. Text is
stripped, cut at NUL and emptied to None; over-long values are cut to the catalog column widths
(`model.TEXT_LIMITS`) with a warning.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
from collections.abc import Callable
from typing import TypeVar

from ingest.metadata.containers import Blocks, read_blocks
from ingest.metadata.exif import ExifTags, read_exif, read_exif_parts
from ingest.metadata.iptc import parse_iim
from ingest.metadata.model import ExtractedMetadata
from ingest.metadata.normalise import Sources, build
from ingest.metadata.xmp import parse_xmp

__all__ = ["ExtractedMetadata", "extract_metadata"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
#: What an XMP sidecar may set: everything but the stored size (the file's own).
SIDECAR_FIELDS = tuple(
    f.name for f in dataclasses.fields(ExtractedMetadata)
    if f.name not in {"width", "height", "raw", "warnings", "taken_at_offset_minutes"}
)


def extract_metadata(
    path: pathlib.Path, mime_type: str, *, sidecar: bytes | None = None
) -> ExtractedMetadata:
    """Read a photo's metadata; raises only OSError when the file itself cannot be read.

    ``sidecar`` is an XMP sidecar's packet: every field it gives wins over the file's own
    (the file keeps its size; the sidecar's orientation wins, as its editor shows the picture).
    """
    path = pathlib.Path(path)
    warnings: list[str] = []
    with open(path, "rb") as handle:
        blocks = _guarded(lambda: read_blocks(path, handle, mime_type), Blocks(), warnings)
        warnings.extend(blocks.warnings)
        exif = ExifTags()
        if blocks.exif is not None or blocks.exif_in_file:
            source = blocks.exif if blocks.exif is not None else handle
            exif = _guarded(lambda: read_exif(source, warnings), exif, warnings)
        elif blocks.exif_parts:
            exif = _guarded(lambda: read_exif_parts(blocks.exif_parts, warnings), exif, warnings)
    iptc = _guarded(lambda: parse_iim(blocks.iptc, warnings), {}, warnings) if blocks.iptc else {}
    xmp = _guarded(lambda: parse_xmp(blocks.xmp, warnings), {}, warnings) if blocks.xmp else {}
    meta = _guarded(
        lambda: build(Sources(exif, iptc, xmp), warnings), ExtractedMetadata(), warnings
    )
    meta.width, meta.height = blocks.width, blocks.height
    if blocks.orientation not in (None, 1) or (blocks.orientation and meta.orientation):
        meta.orientation = blocks.orientation  # HEIF readers apply irot/imir, not the EXIF tag
    if sidecar:
        _apply_sidecar(meta, sidecar, warnings)
    meta.warnings = list(dict.fromkeys(warnings))
    return meta


def _apply_sidecar(meta: ExtractedMetadata, packet: bytes, warnings: list[str]) -> None:
    xmp = _guarded(lambda: parse_xmp(packet, warnings), {}, warnings)
    if not xmp:
        return
    side = _guarded(lambda: build(Sources(ExifTags(), {}, xmp), warnings), None, warnings)
    if side is None:
        return
    for name in SIDECAR_FIELDS:
        value = getattr(side, name)
        if value not in (None, [], ""):
            setattr(meta, name, value)
    if side.taken_at is not None:
        meta.taken_at_offset_minutes = side.taken_at_offset_minutes
    meta.raw = {**meta.raw, "sidecar": side.raw.get("xmp", {})}


def _guarded(step: Callable[[], T], default: T, warnings: list[str]) -> T:
    """Run one extraction step; a bug met on odd input becomes a warning, not a failed ingest."""
    try:
        return step()
    except OSError:
        raise
    except Exception as error:  # the parsers catch what they expect; this is the safety net
        logger.warning("metadata extraction step failed", exc_info=True)
        warnings.append(f"internal: {type(error).__name__}: {error}")
        return default
