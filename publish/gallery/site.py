"""The gallery as data: what the page renderer receives from the builder.

The builder (publish.gallery.build) decides what is public and makes the media files; the
renderer (publish.gallery.render) turns a :class:`Site` into files, without touching the catalog.
Every path is relative to the gallery's root and uses ``/``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MediaFile:
    """A file of the gallery: a rendition of a picture, a video, a poster."""

    path: str  # e.g. "media/123/9f2c1a0b-1600.jpg"
    width: int
    height: int
    mime_type: str
    byte_size: int


@dataclass(frozen=True)
class SiteItem:
    """A published photo or video and everything its page shows."""

    asset_id: int
    kind: str  # "photo" | "video"
    path: str  # its page, e.g. "fotos/123/index.html" or "videos/123/index.html"
    title: str  # headline, else the caption's start, else the event
    caption: str
    alt_text: str  # never empty: alt text, else caption, else title
    credit: str
    copyright: str
    licence_code: str | None
    licence_label: str | None
    licence_url: str | None
    taken_on: dt.date | None
    place: str | None  # sublocation, colonia, city: never a GPS position
    event: str | None
    keywords: tuple[str, ...]
    images: tuple[MediaFile, ...]  # the picture (or the video's poster), largest first
    video: MediaFile | None = None  # the web proxy (MP4) for videos
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class SiteCollection:
    """A published collection with the items that passed every check, in order."""

    collection_id: int
    slug: str
    path: str  # "colecciones/<slug>/index.html"
    title: str
    description: str
    published_at: dt.datetime
    updated_at: dt.datetime
    items: tuple[SiteItem, ...]
    cover: SiteItem | None = None


@dataclass(frozen=True)
class Site:
    """Everything the public gallery shows, newest collection first."""

    title: str
    base_url: str  # absolute, ends with "/"
    agency: str
    generated_at: dt.datetime
    collections: tuple[SiteCollection, ...]
    # During an electoral blackout: the notice shown instead of the gallery (collections then
    # holds only the excepted civil-protection and health collections).
    notice: str | None = None
    licences: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code: label, url
    # The open data's own licence (records: titles, captions, dates): label, url.
    data_licence: tuple[str, str] = ("CC BY 4.0",
                                     "https://creativecommons.org/licenses/by/4.0/deed.es")
    # The public report an editor published (aggregate counts only, publish.reports.export).
    report: dict[str, Any] | None = None
