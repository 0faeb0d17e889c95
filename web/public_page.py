"""The asset as anonymous visitors get it: page and JSON built from the public projection only.

Staff pages read the whole record; this module never hands a template or a JSON answer the
Asset itself, only :func:`publish.public_view.public_fields`, public file links and cards of
related public assets (titles from the projection, thumbnails by public name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dam.enums import RenditionKind
from dam.models import Asset
from publish.profiles import load_profile
from publish.public_view import (
    OPTIONAL_FACTS,
    PUBLIC_PROFILE,
    public_fields,
    public_json,
    public_renditions,
    public_title,
)
from web.public_files import public_thumb_url, public_url
from web.queries import GridItem, reading
from web.state import get_ctx


@dataclass(frozen=True)
class PublicFile:
    """A rendition as the public page links it."""

    kind: str
    url: str
    width: int
    height: int
    mime_type: str
    page: int = 0


@dataclass(frozen=True)
class PublicCard:
    """A related public asset in a grid: its title from the projection, its public thumbnail."""

    id: int
    title: str
    media_type: str
    thumb: PublicFile | None
    page: int = 0  # for "appeared in": the page of the publication


def current_fields(asset: Asset) -> dict[str, Any]:
    """The projection of ``asset`` with the ``publico`` profile now in force."""
    ctx = get_ctx()
    with ctx.catalog.read() as session:
        profile = load_profile(session, PUBLIC_PROFILE)
    return public_fields(asset, profile, ctx.settings)


def public_files(asset: Asset) -> list[PublicFile]:
    return [PublicFile(str(r.kind), public_url(asset.id, r), r.width, r.height, r.mime_type,
                       r.page) for r in public_renditions(asset)]


def camera_name(make: str | None, model: str | None) -> str | None:
    """``Canon EOS R6`` rather than ``Canon Canon EOS R6``."""
    make, model = make or "", model or ""
    if model.lower().startswith(make.lower()):
        return model or None
    return f"{make} {model}".strip() or None


def fallback_title(asset_id: int) -> str:
    return _("Material #%(id)d", id=asset_id)


def _cards(items: Sequence[GridItem], pages: Sequence[int] | None = None) -> list[PublicCard]:
    """Cards of ``items`` (already filtered to what the public may see), titles projected."""
    ids = [item.id for item in items]
    if not ids:
        return []
    with reading(get_ctx().catalog) as session:
        rows = {row.id: row for row in session.scalars(select(Asset).where(Asset.id.in_(ids)))}
    cards = []
    for n, item in enumerate(items):
        row = rows.get(item.id)
        if row is None:
            continue
        thumb = None if item.thumb is None else PublicFile(
            "thumbnail", public_thumb_url(item.id, item.thumb), item.thumb.width,
            item.thumb.height, item.thumb.mime_type)
        cards.append(PublicCard(item.id, public_title(row) or fallback_title(item.id),
                                item.media_type, thumb, pages[n] if pages else 0))
    return cards


Linked = list[tuple[GridItem, int]]  # an item and a number (distance or page)


def render_public_page(asset: Asset, event_items: list[GridItem], near: Linked,
                       appears_in: Linked, printed: Linked) -> str:
    """The anonymous asset page; the related grids come already limited to public assets."""
    fields = current_fields(asset)
    files = public_files(asset)
    views = {f.kind: f for f in files if f.kind != str(RenditionKind.PAGE)}
    pub = {**dict.fromkeys(OPTIONAL_FACTS), **fields}  # what the profile drops reads as None
    return render_template(
        "asset_public.html", pub=pub, title=fields["title"] or fallback_title(asset.id),
        camera=camera_name(pub.get("camera_make"), pub.get("camera_model")),
        views=views, pages=[f for f in files if f.kind == str(RenditionKind.PAGE)],
        event_items=_cards(event_items), near=_cards([i for i, _d in near]),
        appears_in=_cards([i for i, _p in appears_in], [p for _i, p in appears_in]),
        printed=_cards([i for i, _p in printed]),
    )


def public_asset_json(asset: Asset) -> dict[str, Any]:
    """The API's answer for anonymous callers: the projection and the public files."""
    data = public_json(current_fields(asset))
    data["renditions"] = [
        {"kind": str(r.kind), "page": r.page, "mime_type": r.mime_type, "width": r.width,
         "height": r.height, "byte_size": r.byte_size, "url": public_url(asset.id, r)}
        for r in public_renditions(asset)
    ]
    data["page_url"] = url_for("assets.show", asset_id=asset.id)
    return data
