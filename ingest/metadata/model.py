"""The normalised photo metadata that extraction hands to the catalog."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Longest value kept for each bounded text field (the catalog column widths); longer values are
# cut and a warning is recorded, so one odd file cannot make the catalog write fail.
TEXT_LIMITS: dict[str, int] = {
    "camera_make": 200,
    "camera_model": 200,
    "lens_model": 200,
    "camera_serial": 200,
    "creator": 500,
    "credit": 500,
    "source": 500,
    "city": 200,
    "sublocation": 500,
    "state_province": 200,
    "country": 200,
    "country_code": 8,
    "event": 500,
}


@dataclass
class ExtractedMetadata:
    """What a photo says about itself; every field is None (or empty) when the file is silent.

    Field names match the catalog's asset columns. `raw` keeps a bounded, JSON-serialisable dump
    grouped as {"exif": ..., "iptc": ..., "xmp": ...}; `warnings` lists problems met while reading.
    """

    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    taken_at: dt.datetime | None = None
    taken_at_offset_minutes: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens_model: str | None = None
    camera_serial: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_altitude: float | None = None
    headline: str | None = None
    caption: str | None = None
    keywords: list[str] = field(default_factory=list)
    creator: str | None = None
    credit: str | None = None
    source: str | None = None
    copyright_notice: str | None = None
    usage_terms: str | None = None
    city: str | None = None
    sublocation: str | None = None
    state_province: str | None = None
    country: str | None = None
    country_code: str | None = None
    event: str | None = None
    persons_shown: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
