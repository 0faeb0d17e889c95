"""Metadata extraction over the shared corpus, checked against exiftool's reference output."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from typing import Any

import pytest

from ingest.metadata import ExtractedMetadata, extract_metadata
from tests.conftest import CORPUS

IMAGE_SUFFIXES = {
    ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif", ".avif", ".webp", ".gif",
    ".jxl", ".dng", ".arw", ".cr2", ".cr3", ".nef", ".orf", ".raf", ".rw2", ".pef",
}  # fmt: skip
BAD_FILE_SECONDS = 5.0

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}"),
]

# Where we knowingly differ from exiftool, per file and field, with the reason. Each entry is
# checked to still differ, so a fixed one must be removed from here.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    # Canon CIFF (CRW-style) records in a JPEG: exiftool reads them, exifread and we do not.
    ("photos/exif-samples/jpg/exif-org/sony-powershota5.jpg", "taken_at"): "CIFF only",
    ("photos/exif-samples/jpg/exif-org/sony-powershota5.jpg", "camera_make"): "CIFF only",
    ("photos/exif-samples/jpg/exif-org/sony-powershota5.jpg", "camera_model"): "CIFF only",
    # The capture time is only in an old Olympus "[picture info]" text block, not in EXIF.
    ("photos/exif-samples/jpg/exif-org/olympus-d320l.jpg", "taken_at"): "PictureInfo only",
    # The HEIF container rotates the image (irot 270, exiftool's QuickTime:Rotation) while the
    # EXIF tag says 1; viewers apply irot, so we report that transform (6), exiftool the tag.
    ("photos/exif-samples/heic/mobile/HMD_Nokia_8.3_5G.heif", "orientation"): "irot over EXIF",
    # The capture time is only in Reconyx's maker note, which we do not decode.
    ("photos/exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg", "taken_at"): "maker note only",
}


def _photos() -> list[str]:
    if not CORPUS.is_dir():
        return []
    files = [*(CORPUS / "photos").rglob("*"), *(CORPUS / "iptc").rglob("*")]
    return sorted(str(p.relative_to(CORPUS)) for p in files if p.suffix.lower() in IMAGE_SUFFIXES)


def _bad_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "bad").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def exiftool() -> dict[str, dict[str, Any]]:
    entries = json.loads((CORPUS / "exiftool.json").read_text(encoding="utf-8"))
    return {entry["SourceFile"]: entry for entry in entries}


def _first_key(entry: dict[str, Any], *keys: str, suffix: str | None = None) -> Any:
    for key in keys:
        if key in entry:
            return entry[key]
    if suffix is not None:
        return next((v for k, v in entry.items() if k.endswith(suffix)), None)
    return None


def _reference(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields exiftool reports for a file, in our terms (None where it reports nothing)."""
    expected: dict[str, Any] = {}
    size = entry.get("Composite:ImageSize")
    width, height = (int(v) for v in size.split()) if size else (None, None)
    expected["width"], expected["height"] = width, height
    date = _first_key(
        entry, "ExifIFD:DateTimeOriginal", "XMP-exif:DateTimeOriginal", suffix=":DateTimeOriginal"
    )
    expected["taken_at"] = (
        dt.datetime.strptime(str(date)[:19], "%Y:%m:%d %H:%M:%S") if date else None
    )
    for field, tag in (("camera_make", "Make"), ("camera_model", "Model")):
        value = _first_key(entry, f"IFD0:{tag}", f"ExifIFD:{tag}", f"XMP-tiff:{tag}")
        value = value if value is not None else _first_key(entry, suffix=f":{tag}")
        expected[field] = str(value).strip() if value is not None else None
    orientation = _first_key(entry, "IFD0:Orientation", "XMP-tiff:Orientation")
    expected["orientation"] = orientation if isinstance(orientation, int) else None
    lat, lon = entry.get("Composite:GPSLatitude"), entry.get("Composite:GPSLongitude")
    has_position = lat is not None and lon is not None and (lat, lon) != (0, 0)
    expected["gps"] = (lat, lon) if has_position else None
    return expected


_ZONE = re.compile(r"(\d{4}:\d\d:\d\d \d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d?:\d\d)$")


def _zone_minutes(zone: str) -> int:
    if zone == "Z":
        return 0
    hours, minutes = zone[1:].split(":")
    total = int(hours) * 60 + int(minutes)
    return -total if zone.startswith("-") else total


def _expected_offsets(entry: dict[str, Any], taken_at: dt.datetime | None) -> frozenset[int | None]:
    """The capture time's UTC offsets we may report: the one exiftool gives it (EXIF
    OffsetTimeOriginal, or a maker note's zone in its composite), else none, or the zone of
    another date exiftool reads for the second we report (which the README's rule borrows)."""
    stated = entry.get("ExifIFD:OffsetTimeOriginal")
    if stated:
        return frozenset({_zone_minutes(stated)})
    composite = _ZONE.match(str(entry.get("Composite:SubSecDateTimeOriginal", "")))
    if composite:
        return frozenset({_zone_minutes(composite[2])})
    allowed: set[int | None] = {None}
    for value in entry.values():
        match = _ZONE.match(str(value))
        if match and taken_at is not None and match[1] == taken_at.strftime("%Y:%m:%d %H:%M:%S"):
            allowed.add(_zone_minutes(match[2]))
    return frozenset(allowed)


def _actual(meta: ExtractedMetadata) -> dict[str, Any]:
    taken_at = meta.taken_at.replace(microsecond=0) if meta.taken_at else None
    gps = None
    if meta.gps_latitude is not None and meta.gps_longitude is not None:
        gps = (meta.gps_latitude, meta.gps_longitude)
    return {
        "width": meta.width,
        "height": meta.height,
        "taken_at": taken_at,
        "taken_at_offset_minutes": meta.taken_at_offset_minutes,
        "camera_make": meta.camera_make,
        "camera_model": meta.camera_model,
        "orientation": meta.orientation,
        "gps": gps,
    }


def _same(field: str, expected: Any, actual: Any) -> bool:
    if field == "gps" and expected is not None and actual is not None:
        return all(math.isclose(e, a, abs_tol=1e-5) for e, a in zip(expected, actual, strict=True))
    if field == "taken_at_offset_minutes":
        return actual in expected
    if field == "taken_at" and expected is None:
        return True  # exiftool has no DateTimeOriginal; a CreateDate or IPTC date is fine
    return expected == actual


@pytest.mark.parametrize("relative", _photos())
def test_fields_match_exiftool(relative: str, exiftool: dict[str, dict[str, Any]]) -> None:
    meta = extract_metadata(CORPUS / relative, "application/octet-stream")
    expected, actual = _reference(exiftool[relative]), _actual(meta)
    expected["taken_at_offset_minutes"] = _expected_offsets(exiftool[relative], actual["taken_at"])
    mismatches, still_known = [], []
    for field, want in expected.items():
        same = _same(field, want, actual[field])
        if (relative, field) in KNOWN_DIFFERENCES:
            still_known.append(field) if not same else None
            continue
        if not same:
            mismatches.append(f"{field}: exiftool {want!r}, we {actual[field]!r}")
    assert not mismatches, f"{relative}: " + "; ".join(mismatches) + f"; warnings {meta.warnings}"
    stale = {f for (r, f) in KNOWN_DIFFERENCES if r == relative} - set(still_known)
    assert not stale, f"{relative}: known differences no longer differ, remove them: {stale}"


def test_every_corpus_photo_was_checked(exiftool: dict[str, dict[str, Any]]) -> None:
    photos = _photos()
    assert len(photos) >= 100
    assert set(photos) <= set(exiftool)
    assert {r for r, _ in KNOWN_DIFFERENCES} <= set(photos)


def _xmp_or_iptc(entry: dict[str, Any], xmp_key: str, iptc_key: str | None) -> Any:
    value = entry.get(xmp_key)
    if value is None and iptc_key is not None:
        value = entry.get(iptc_key)
    return value


TEXT_FIELDS = {
    "headline": ("XMP-photoshop:Headline", "IPTC:Headline"),
    "caption": ("XMP-dc:Description", "IPTC:Caption-Abstract"),
    "credit": ("XMP-photoshop:Credit", "IPTC:Credit"),
    "source": ("XMP-photoshop:Source", "IPTC:Source"),
    "copyright_notice": ("XMP-dc:Rights", "IPTC:CopyrightNotice"),
    "city": ("XMP-photoshop:City", "IPTC:City"),
    "sublocation": ("XMP-iptcCore:Location", "IPTC:Sub-location"),
    "state_province": ("XMP-photoshop:State", "IPTC:Province-State"),
    "country": ("XMP-photoshop:Country", "IPTC:Country-PrimaryLocationName"),
    "country_code": ("XMP-iptcCore:CountryCode", "IPTC:Country-PrimaryLocationCode"),
    "usage_terms": ("XMP-xmpRights:UsageTerms", None),
    "event": ("XMP-iptcExt:Event", None),
}
LIST_FIELDS = {
    "keywords": ("XMP-dc:Subject", "IPTC:Keywords"),
    "persons_shown": ("XMP-iptcExt:PersonInImage", None),
}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("relative", _photos())
def test_iptc_and_xmp_text_match_exiftool(
    relative: str, exiftool: dict[str, dict[str, Any]]
) -> None:
    """Wherever exiftool found XMP or IIM text, we report the XMP value, else the IIM one."""
    entry = exiftool[relative]
    meta = extract_metadata(CORPUS / relative, "application/octet-stream")
    mismatches = []
    for field, (xmp_key, iptc_key) in TEXT_FIELDS.items():
        want = _xmp_or_iptc(entry, xmp_key, iptc_key)
        if want is not None and (str(want).strip() or None) != getattr(meta, field):
            mismatches.append(f"{field}: exiftool {want!r}, we {getattr(meta, field)!r}")
    for field, (xmp_key, iptc_key) in LIST_FIELDS.items():
        want = _xmp_or_iptc(entry, xmp_key, iptc_key)
        if want is not None and _as_list(want) != getattr(meta, field):
            mismatches.append(f"{field}: exiftool {want!r}, we {getattr(meta, field)!r}")
    creators = _xmp_or_iptc(entry, "XMP-dc:Creator", "IPTC:By-line")
    if creators is not None and "; ".join(_as_list(creators)) != meta.creator:
        mismatches.append(f"creator: exiftool {creators!r}, we {meta.creator!r}")
    assert not mismatches, f"{relative}: " + "; ".join(mismatches)


def test_iptc_reference_image_fields(exiftool: dict[str, dict[str, Any]]) -> None:
    relative = "iptc/IPTC-PhotometadataRef-Std2021.1.jpg"
    entry = exiftool[relative]
    meta = extract_metadata(CORPUS / relative, "image/jpeg")
    expected = {
        "headline": entry["XMP-photoshop:Headline"],
        "caption": entry["XMP-dc:Description"],
        "keywords": entry["XMP-dc:Subject"],
        "creator": entry["XMP-dc:Creator"],
        "credit": entry["XMP-photoshop:Credit"],
        "copyright_notice": entry["XMP-dc:Rights"],
        "city": entry["XMP-photoshop:City"],
        "state_province": entry["XMP-photoshop:State"],
        "country": entry["XMP-photoshop:Country"],
        "persons_shown": entry["XMP-iptcExt:PersonInImage"],
        "event": entry["XMP-iptcExt:Event"],
    }
    for field, want in expected.items():
        assert "ref2021.1" in str(want), field  # we are reading the reference values
        assert getattr(meta, field) == want, field
    assert meta.taken_at == dt.datetime(2021, 10, 20, 21, 1, 1)
    assert meta.taken_at_offset_minutes == 0
    assert not meta.warnings


@pytest.mark.timeout(60)
@pytest.mark.parametrize("relative", _bad_files())
def test_bad_files_return_or_raise_oserror_quickly(relative: str) -> None:
    started = time.perf_counter()
    try:
        meta = extract_metadata(CORPUS / relative, "application/octet-stream")
    except OSError:
        meta = None
    elapsed = time.perf_counter() - started
    assert elapsed < BAD_FILE_SECONDS, f"{relative} took {elapsed:.1f} s"
    if meta is not None:
        json.dumps(meta.raw, allow_nan=False)
        assert all(isinstance(w, str) for w in meta.warnings)
