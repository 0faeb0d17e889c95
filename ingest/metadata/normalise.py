"""Merging parsed EXIF, IPTC-IIM and XMP into catalog fields, by the precedence in __init__."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ingest.metadata.exif import ExifTags
from ingest.metadata.model import TEXT_LIMITS, ExtractedMetadata
from ingest.metadata.values import (
    bound_json,
    clean_text,
    is_blank_date,
    parse_datetime,
    parse_offset,
    ratio_to_float,
    subsec_microseconds,
)
from ingest.metadata.xmp import xmp_list, xmp_text

RAW_GROUP_MAX_CHARS = 64_000
# Camera firmware fills ImageDescription with these; they are not captions.
_PLACEHOLDER_CAPTION = re.compile(
    r"^(?:[\w .,-]*\b(?:digital camera|digital still camera|dsc)|default|untitled|image|picture"
    r"|no description|description)$",
    re.IGNORECASE,
)
_XMP_COORDINATE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?([NSEW])?\s*$"
)


def first(*values: Any) -> Any:
    """The first value that is not None, empty text or an empty list."""
    return next((v for v in values if v not in (None, "", [])), None)


class Sources:
    """The three parsed metadata sources, with lookups shared by the field rules."""

    def __init__(self, exif: ExifTags, iptc: dict[str, Any], xmp: dict[str, Any]) -> None:
        self.exif, self.iptc, self.xmp = exif, iptc, xmp

    def x(self, name: str) -> str | None:
        return xmp_text(self.xmp.get(name))

    def xs(self, name: str) -> list[str]:
        return xmp_list(self.xmp.get(name))

    def i(self, name: str) -> str | None:
        value = self.iptc.get(name)
        return clean_text("; ".join(value) if isinstance(value, list) else value)

    def iss(self, name: str) -> list[str]:
        value = self.iptc.get(name)
        values = value if isinstance(value, list) else [value]
        return [text for text in map(clean_text, values) if text]

    def location_created(self, field_name: str) -> str | None:
        """A field of the first IPTC Extension 'location created' structure."""
        value = self.xmp.get("Iptc4xmpExt:LocationCreated")
        struct = value[0] if isinstance(value, list) and value else value
        return (
            xmp_text(struct.get(f"Iptc4xmpExt:{field_name}")) if isinstance(struct, dict) else None
        )


def build(sources: Sources, warnings: list[str]) -> ExtractedMetadata:
    """Apply the precedence rules; the caller fills width, height and warnings afterwards."""
    meta = ExtractedMetadata()
    _fill_camera(meta, sources)
    _fill_exposure(meta, sources)
    _fill_orientation(meta, sources, warnings)
    _fill_taken_at(meta, sources, warnings)
    _fill_gps(meta, sources, warnings)
    _fill_description(meta, sources)
    _fill_location(meta, sources)
    _limit_lengths(meta, warnings)
    meta.raw = {
        "exif": bound_group(sources.exif.dump()),
        "iptc": bound_group(sources.iptc),
        "xmp": bound_group(sources.xmp),
    }
    return meta


def _fill_camera(meta: ExtractedMetadata, s: Sources) -> None:
    exif = s.exif
    meta.camera_make = first(exif.text("Make"), s.x("tiff:Make"), s.x("exif:Make"))
    meta.camera_model = first(exif.text("Model"), s.x("tiff:Model"), s.x("exif:Model"))
    meta.lens_model = first(
        exif.text("LensModel", "EXIF", "Image"), s.x("exifEX:LensModel"), s.x("aux:Lens")
    )
    meta.camera_serial = first(
        exif.text("BodySerialNumber", "EXIF", "Image"),
        exif.text("CameraSerialNumber", "Image", "EXIF"),
        s.x("exifEX:BodySerialNumber"),
        s.x("aux:SerialNumber"),
    )


def _fill_exposure(meta: ExtractedMetadata, s: Sources) -> None:
    exif = s.exif
    meta.exposure_time = _positive(
        first(
            exif.number("ExposureTime", "EXIF", "Image"), ratio_to_float(s.x("exif:ExposureTime"))
        )
    )
    meta.f_number = _positive(
        first(exif.number("FNumber", "EXIF", "Image"), ratio_to_float(s.x("exif:FNumber")))
    )
    meta.focal_length = _positive(
        first(exif.number("FocalLength", "EXIF", "Image"), ratio_to_float(s.x("exif:FocalLength")))
    )
    iso = exif.number("ISOSpeedRatings", "EXIF", "Image")
    if iso in (None, 0, 65535):  # 65535: the ISO did not fit; the Exif 2.3 tags may hold it
        iso = first(
            exif.number("ISOSpeed", "EXIF"), exif.number("RecommendedExposureIndex", "EXIF"), iso
        )
    iso = first(
        _positive(iso),
        ratio_to_float(s.x("exifEX:PhotographicSensitivity")),
        ratio_to_float(s.x("exif:ISOSpeedRatings")),
    )
    meta.iso = int(iso) if iso and iso > 0 else None


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _fill_orientation(meta: ExtractedMetadata, s: Sources, warnings: list[str]) -> None:
    value = s.exif.number("Orientation", "Image")
    if value is None:
        value = ratio_to_float(s.x("tiff:Orientation"))
    if value is None:
        return
    if value == int(value) and 1 <= value <= 8:
        meta.orientation = int(value)
    else:
        warnings.append(f"orientation: invalid value {value!r} ignored")


def _date_candidates(s: Sources) -> list[tuple[str, Any, bool]]:
    """(source, value, whether a date without time is acceptable), in order of precedence."""
    exif = s.exif
    return [
        ("EXIF DateTimeOriginal", _exif_date(exif, "DateTimeOriginal", "Original"), False),
        ("XMP exif:DateTimeOriginal", s.x("exif:DateTimeOriginal"), False),
        ("XMP photoshop:DateCreated", s.x("photoshop:DateCreated"), True),
        ("IIM DateCreated", _iim_date(s.i("DateCreated"), s.i("TimeCreated")), True),
        ("EXIF DateTimeDigitized", _exif_date(exif, "DateTimeDigitized", "Digitized"), False),
        ("XMP xmp:CreateDate", s.x("xmp:CreateDate"), False),
    ]


def _exif_date(
    exif: ExifTags, name: str, suffix: str
) -> tuple[dt.datetime, int | None] | str | None:
    text = exif.text(name, "EXIF", "Image")
    parsed = parse_datetime(text)
    if parsed is None:
        return text  # unparsed: reported as a warning unless blank
    stamp, offset = parsed
    micro = subsec_microseconds(exif.text(f"SubSecTime{suffix}", "EXIF"))
    if micro is not None and stamp.microsecond == 0:
        stamp = stamp.replace(microsecond=micro)
    return stamp, first(parse_offset(exif.text(f"OffsetTime{suffix}", "EXIF")), offset)


def _iim_date(date: str | None, time: str | None) -> str | None:
    if not date or not re.fullmatch(r"\d{8}", date):
        return date
    text = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    match = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", time or "")
    if match:
        text += f"T{match[1]}:{match[2]}:{match[3]}" + (match[4] or "")
    return text


def _fill_taken_at(meta: ExtractedMetadata, s: Sources, warnings: list[str]) -> None:
    """The first source (in precedence order) with a date and a time; a date alone (XMP
    photoshop:DateCreated, IIM DateCreated without TimeCreated) only when no source has a time."""
    timed: list[tuple[dt.datetime, int | None]] = []
    dated: list[tuple[dt.datetime, int | None]] = []
    for source, value, date_only in _date_candidates(s):
        result = value if isinstance(value, tuple) else parse_datetime(value)
        if result is not None:
            timed.append(result)
            continue
        result = parse_datetime(value, date_only=True) if date_only else None
        if result is not None:
            dated.append(result)
        elif not is_blank_date(value):
            warnings.append(f"date: unreadable {source} {value!r} ignored")
    parsed = timed + dated
    if not parsed:
        return
    meta.taken_at, meta.taken_at_offset_minutes = parsed[0]
    if meta.taken_at_offset_minutes is None:  # borrow the zone of the same moment elsewhere
        second = meta.taken_at.replace(microsecond=0)
        meta.taken_at_offset_minutes = first(
            *(off for stamp, off in parsed[1:] if stamp.replace(microsecond=0) == second)
        )


def _fill_gps(meta: ExtractedMetadata, s: Sources, warnings: list[str]) -> None:
    lat = _exif_coordinate(s.exif, "Latitude", "S")
    lon = _exif_coordinate(s.exif, "Longitude", "W")
    altitude = s.exif.number("GPSAltitude", "GPS")
    below = s.exif.number("GPSAltitudeRef", "GPS") == 1
    if lat is None or lon is None:
        lat, lon = (
            _xmp_coordinate(s.x("exif:GPSLatitude")),
            _xmp_coordinate(s.x("exif:GPSLongitude")),
        )
        altitude = ratio_to_float(s.x("exif:GPSAltitude"))
        below = s.x("exif:GPSAltitudeRef") == "1"
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return
    if abs(lat) > 90 or abs(lon) > 180:
        warnings.append(f"gps: position out of range ({lat}, {lon}) ignored")
        return
    meta.gps_latitude, meta.gps_longitude = lat, lon
    if altitude is not None:
        meta.gps_altitude = -abs(altitude) if below else altitude


def _exif_coordinate(exif: ExifTags, axis: str, negative_ref: str) -> float | None:
    values = exif.values(f"GPS{axis}", "GPS")
    if not isinstance(values, list) or not 1 <= len(values) <= 3:
        return None
    parts = [0.0 if _is_zero_over_zero(v) else ratio_to_float(v) for v in values]
    if any(p is None for p in parts):
        return None
    degrees = sum(abs(p) / 60**i for i, p in enumerate(parts))  # type: ignore[operator]
    ref = (exif.text(f"GPS{axis}Ref", "GPS") or "").upper()[:1]
    return -degrees if ref == negative_ref else degrees


def _is_zero_over_zero(value: Any) -> bool:
    """Writers put 0/0 in unused minute or second fields; it means zero, not an error."""
    return getattr(value, "numerator", None) == 0 and getattr(value, "denominator", None) == 0


def _xmp_coordinate(text: str | None) -> float | None:
    """XMP GPS coordinates are 'DDD,MM,SSk' or 'DDD,MM.mmk' (k: N, S, E or W)."""
    match = _XMP_COORDINATE.match(text or "")
    if match is None:
        return None
    degrees, minutes, seconds, ref = match.groups()
    value = float(degrees) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    return -value if ref in ("S", "W") else value


def _fill_description(meta: ExtractedMetadata, s: Sources) -> None:
    caption = s.exif.text("ImageDescription", "Image")
    camera = {(meta.camera_make or "").casefold(), (meta.camera_model or "").casefold()}
    if caption and (_PLACEHOLDER_CAPTION.match(caption) or caption.casefold() in camera):
        caption = None
    meta.headline = first(s.x("photoshop:Headline"), s.i("Headline"))
    meta.caption = first(s.x("dc:description"), s.i("Caption-Abstract"), caption)
    meta.keywords = list(dict.fromkeys(first(s.xs("dc:subject"), s.iss("Keywords")) or []))
    creators = first(s.xs("dc:creator"), s.iss("By-line"))
    meta.creator = first("; ".join(creators) if creators else None, s.exif.text("Artist", "Image"))
    meta.credit = first(s.x("photoshop:Credit"), s.i("Credit"))
    meta.source = first(s.x("photoshop:Source"), s.i("Source"))
    meta.copyright_notice = first(
        s.x("dc:rights"), s.i("CopyrightNotice"), s.exif.text("Copyright", "Image")
    )
    meta.usage_terms = s.x("xmpRights:UsageTerms")
    meta.event = s.x("Iptc4xmpExt:Event")
    meta.persons_shown = list(dict.fromkeys(s.xs("Iptc4xmpExt:PersonInImage")))


def _fill_location(meta: ExtractedMetadata, s: Sources) -> None:
    meta.city = first(s.x("photoshop:City"), s.i("City"), s.location_created("City"))
    meta.sublocation = first(
        s.x("Iptc4xmpCore:Location"), s.i("Sub-location"), s.location_created("Sublocation")
    )
    meta.state_province = first(
        s.x("photoshop:State"), s.i("Province-State"), s.location_created("ProvinceState")
    )
    meta.country = first(
        s.x("photoshop:Country"),
        s.i("Country-PrimaryLocationName"),
        s.location_created("CountryName"),
    )
    meta.country_code = first(
        s.x("Iptc4xmpCore:CountryCode"),
        s.i("Country-PrimaryLocationCode"),
        s.location_created("CountryCode"),
    )


def _limit_lengths(meta: ExtractedMetadata, warnings: list[str]) -> None:
    for name, limit in TEXT_LIMITS.items():
        value = getattr(meta, name)
        if isinstance(value, str) and len(value) > limit:
            warnings.append(f"{name}: {len(value)} characters cut to {limit}")
            setattr(meta, name, value[:limit].rstrip())


def bound_group(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of one raw group, stopping at about RAW_GROUP_MAX_CHARS of JSON."""
    out: dict[str, Any] = {}
    used = 0
    for key, value in bound_json(values).items():
        size = len(json.dumps(value, ensure_ascii=False, default=str)) + len(key) + 4
        if used + size > RAW_GROUP_MAX_CHARS:
            out["…truncated"] = len(values) - len(out)
            break
        out[key] = value
        used += size
    return out
