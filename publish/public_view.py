"""What the public may see of an asset: one allow-list projection, as the publico profile keeps.

Every public surface (the anonymous asset page and API, the gallery, the open data) shows an
asset through :func:`public_fields`, and describes the files it hands out with
:func:`public_press_info`. The rule is the ``publico`` export profile's: the description we
embed in every export (title, caption, alt text, credit, copyright, licence, keywords, event,
place names), the date when the profile keeps it, the camera and exposure when it keeps them,
and a GPS position only for a non-public profile that keeps it (never, for publico). Nothing
else: no serial numbers, owner, maker notes or raw EXIF/XMP, no file name, batch, hash or
storage key, no culling marks or workflow, and no names of the persons shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from dam.config import Settings
from dam.enums import RenditionKind
from dam.models import Asset, Rendition
from publish.describe import copyright_line, credit_line, licence_of, press_info, usage_terms
from publish.embed import PressInfo
from publish.export import FileFacts
from publish.profiles import ExportProfile

PUBLIC_PROFILE = "publico"
TITLE_CHARS = 90
# Renditions ingest makes without any metadata (ingest.renditions, ffmpeg -map_metadata -1).
PUBLIC_RENDITIONS = frozenset({
    RenditionKind.THUMBNAIL, RenditionKind.PREVIEW, RenditionKind.POSTER,
    RenditionKind.STORYBOARD, RenditionKind.PROXY, RenditionKind.WAVEFORM, RenditionKind.PAGE,
})
_DESCRIPTION = ("headline", "caption", "alt_text", "event", "creator", "sublocation", "city",
                "state_province", "country", "country_code")
_MEDIA = ("duration_seconds", "page_count")  # what the public files show anyway
_DATE = ("taken_at", "taken_at_offset_minutes")
_CAMERA = ("camera_make", "camera_model", "lens_model", "exposure_time", "f_number", "iso",
           "focal_length")
_GPS = ("gps_latitude", "gps_longitude", "gps_altitude")
OPTIONAL_FACTS = _DATE + _CAMERA + _GPS  # in the projection only when the profile keeps them
_ALWAYS = ("id", "media_type", "title", *_DESCRIPTION, "keywords", "credit", "copyright",
           "usage_terms", "licence", "licence_label", "licence_url", *_MEDIA)
# Every name ``public_fields`` may answer for the public profile (GPS never: it is public).
PUBLIC_FIELD_NAMES = _ALWAYS + _DATE + _CAMERA


def public_title(asset: Asset) -> str | None:
    """The headline, else the caption's first sentence (shortened), else the event."""
    if asset.headline:
        return asset.headline
    if asset.caption:
        first = asset.caption.strip().split(". ")[0]
        return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS - 1].rstrip() + "…"
    return asset.event or None


def kept_facts(profile: ExportProfile) -> tuple[str, ...]:
    """The capture facts ``profile`` keeps (as publish.export.curated_exif embeds them)."""
    kept: tuple[str, ...] = ()
    if profile.keep_date:
        kept += _DATE
    if profile.keep_camera:
        kept += _CAMERA
    if profile.keep_gps and not profile.public:
        kept += _GPS
    return kept


def public_fields(asset: Asset, profile: ExportProfile, settings: Settings) -> dict[str, Any]:
    """The fields of ``asset`` that ``profile``'s audience may see, by name (an allow-list)."""
    code, label, url = licence_of(asset, settings)
    fields: dict[str, Any] = {
        "id": asset.id, "media_type": str(asset.media_type), "title": public_title(asset),
        **{name: getattr(asset, name) for name in _DESCRIPTION},
        "keywords": list(asset.keywords or []),
        "credit": credit_line(asset, settings.agency_name),
        "copyright": copyright_line(asset, settings.agency_name),
        "usage_terms": usage_terms(asset.usage_terms, label),
        "licence": code, "licence_label": label, "licence_url": url,
        **{name: getattr(asset, name) for name in _MEDIA},
    }
    fields.update({name: getattr(asset, name) for name in kept_facts(profile)})
    return fields


def public_json(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` ready for JSON (dates in ISO 8601)."""
    return {name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in fields.items()}


def public_press_info(asset: Asset, settings: Settings) -> PressInfo:
    """The description embedded in files the public gets: no names of the persons shown."""
    return dataclasses.replace(press_info(asset, settings), persons=[])


def public_facts(asset: Asset, profile: ExportProfile) -> FileFacts:
    """The capture facts an export with ``profile`` may embed (the rest never reach it)."""
    return FileFacts(**{name: getattr(asset, name) for name in kept_facts(profile)})


def public_renditions(asset: Asset) -> list[Rendition]:
    """The asset's renditions the public may fetch, in page order."""
    shown = [r for r in asset.renditions if r.kind in PUBLIC_RENDITIONS]
    return sorted(shown, key=lambda r: (str(r.kind), r.page))
