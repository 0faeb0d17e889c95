"""The asset page (preview, player, pages, metadata, related material) and its downloads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _

from dam.enums import MediaType, RenditionKind
from dam.models import Asset, Rendition, utcnow
from publish import describe
from publish.embed import PressInfo, embeds, press_jpeg
from publish.public_view import public_press_info
from web.access import Need, allowed, can_view, visible_clause
from web.embed_responses import (
    exact_response,
    original_response,
    record_download,
    set_attachment,
    sidecar_response,
)
from web.ocr_view import ocr_summary, page_marks
from web.public_page import render_public_page
from web.queries import (
    CollectionRef,
    collections_and_albums,
    glancing,
    load_asset,
    load_asset_whole,
    related_items,
    rendition_ref,
)
from web.state import get_ctx
from web.workflow_view import prepare_rights_panel

bp = Blueprint("assets", __name__)
bp.add_app_template_global(embeds, "embeds_metadata")  # which downloads the page offers

BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"})
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"]")
AGENCY = "Alcaldía Iztapalapa"


def get_visible_asset(asset_id: int) -> Asset:
    """The asset, or 404 when it does not exist or the current user may not see it."""
    asset = load_asset(get_ctx().catalog, asset_id)
    if asset is None or not can_view(g.user, asset):
        abort(404)
    return asset


@dataclass
class Views:
    """The renditions the page shows, by role."""

    preview: Rendition | None = None
    poster: Rendition | None = None
    proxy: Rendition | None = None
    storyboard: Rendition | None = None
    waveform: Rendition | None = None
    pages: list[Rendition] | None = None


def _views(asset: Asset) -> Views:
    views = Views(pages=[])
    for r in asset.renditions:
        if r.kind == RenditionKind.PAGE:
            views.pages.append(r)
        elif r.kind != RenditionKind.THUMBNAIL:
            setattr(views, str(r.kind), r)
    views.pages.sort(key=lambda r: r.page)
    return views


def credit_line(asset: Asset) -> str | None:
    if asset.credit:
        return asset.credit
    if asset.creator:
        word = _("Video") if asset.media_type == MediaType.VIDEO else _("Photo")
        return f"{word}: {asset.creator} / {AGENCY}"
    return None


def copyright_line(asset: Asset) -> str:
    if asset.copyright_notice:
        return asset.copyright_notice
    year = (asset.taken_at or asset.created_at).year
    return f"© {year} {AGENCY}"


def camera_name(asset: Asset) -> str | None:
    make, model = asset.camera_make or "", asset.camera_model or ""
    if model.lower().startswith(make.lower()):
        return model or None
    return f"{make} {model}".strip() or None


def osm_link(asset: Asset) -> str | None:
    if asset.gps_latitude is None or asset.gps_longitude is None:
        return None
    lat, lon = round(asset.gps_latitude, 6), round(asset.gps_longitude, 6)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


CONTEXT_LIMIT = 500  # ids a list context carries at most


@dataclass(frozen=True)
class Walk:
    """Where the asset sits in the list it was opened from (``?en=lista:3,9,12``)."""

    context: str
    position: int  # 1-based
    total: int
    prev_href: str | None
    next_href: str | None


def list_walk(raw: str | None, asset_id: int) -> Walk | None:
    """The previous and next items of the grid page the asset was opened from, if any."""
    if not raw or not raw.startswith("lista:"):
        return None
    ids: list[int] = []
    for part in raw[6:].split(",")[:CONTEXT_LIMIT]:
        if part.isdigit() and len(part) <= 18:
            ids.append(int(part))
    if asset_id not in ids:
        return None
    context = "lista:" + ",".join(map(str, ids))
    i = ids.index(asset_id)

    def href(other: int) -> str:
        return url_for("assets.show", asset_id=other, en=context)

    return Walk(context, i + 1, len(ids), href(ids[i - 1]) if i > 0 else None,
                href(ids[i + 1]) if i + 1 < len(ids) else None)


PANELS = {"historial": "_asset_history.html", "redes": "_asset_social.html",
          "versiones": "_asset_versions.html"}


@bp.get("/material/<int:asset_id>")
def show(asset_id: int) -> str:
    """The asset page: the whole record for staff, the public projection for anyone else.

    ``?panel=historial``, ``?panel=versiones`` or ``?panel=redes`` gives one tab of the panel
    (staff), which the page loads when the tab is opened: the page itself reads only what it
    shows at once.
    """
    panel = request.args.get("panel")
    if panel in PANELS and g.user is not None:
        return _panel_page(asset_id, panel)
    data = asset_page(asset_id)
    if g.user is None:
        return render_public_page(data["asset"], event_items=data["event_items"],
                                  near=data["near"], appears_in=data["appears_in"],
                                  printed=data["printed"])
    return render_template("asset.html", **data)


def asset_page(asset_id: int) -> dict[str, Any]:
    """Everything the asset page shows, read in one session with four statements: the asset
    with its batch, renditions and publication links; its related grids (same event,
    near-duplicates, publications); its collections and the albums to add it to; its consent
    forms (for the rights panel). 404 when it does not exist or the user may not see it."""
    user = g.user
    visible = visible_clause(user)
    with glancing(get_ctx().catalog) as session:
        asset, blackout = load_asset_whole(session, asset_id, utcnow())
        if asset is None or not can_view(user, asset):
            abort(404)
        ids = [link.publication_id for link in asset.appears_in] + [
            link.photo_id for link in asset.photos_printed]
        related = related_items(session, asset, visible, ids)
        collections: list[CollectionRef] = []
        albums: list[tuple[int, str]] = []
        if user is not None:
            if "collections.show" in current_app.view_functions:
                collections, albums = collections_and_albums(
                    session, asset.id, asset.event,
                    album_limit=300 if allowed(user, Need.EDIT) else 0)
            prepare_rights_panel(session, asset, blackout=blackout)
    appears_in = [(related.linked[link.publication_id], link.page) for link in asset.appears_in
                  if link.publication_id in related.linked]
    printed = [(related.linked[link.photo_id], link.page) for link in asset.photos_printed
               if link.photo_id in related.linked]
    zoomable = asset.mime_type in BROWSER_IMAGES and asset.media_type == MediaType.PHOTO
    staff = user is not None
    return {
        "ocr": ocr_summary(asset) if staff else None,
        "marks": page_marks(asset) if staff else None,
        "asset": asset, "views": _views(asset), "ref": rendition_ref, "zoomable": zoomable,
        "credit": credit_line(asset), "camera": camera_name(asset),
        "copyright": copyright_line(asset), "osm": osm_link(asset),
        "walk": list_walk(request.args.get("en"), asset.id),
        "event_items": related.event_items, "near": related.near, "appears_in": appears_in,
        "printed": printed, "page_collections": collections, "page_albums": albums,
    }


def _panel_page(asset_id: int, panel: str) -> str:
    """One tab of the panel: a fragment for the page's script, a small page without it."""
    asset = get_visible_asset(asset_id)
    fragment = request.headers.get("X-Acervo-Fragment") == "1"
    return render_template(PANELS[panel] if fragment else "asset_panel.html", asset=asset,
                           views=_views(asset), ref=rendition_ref, panel=PANELS[panel])


def download_name(asset: Asset, suffix: str | None = None) -> str:
    """The original name, made safe for a Content-Disposition header (the public never learns
    it: ``material-<id>`` for them)."""
    known = asset.original_filename if g.user is not None else None
    name = unicodedata.normalize("NFC", known or f"material-{asset.id}")
    name = _UNSAFE_NAME.sub("_", name).strip(". ") or f"material-{asset.id}"
    if suffix:
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = f"{stem}{suffix}"
    return name[:200]


def press_info(asset: Asset) -> PressInfo:
    """The asset's current description, as every download carries it (for the public, what
    the public projection allows: no names of persons shown)."""
    if g.user is None:
        return public_press_info(asset, get_ctx().settings)
    return describe.press_info(asset, get_ctx().settings)


@bp.get("/material/<int:asset_id>/original")
def download_original(asset_id: int) -> Response:
    """The original with its current metadata embedded (JPEG, PNG), else exactly as stored."""
    asset = get_visible_asset(asset_id)
    response = original_response(asset, press_info(asset), download_name(asset))
    record_download(asset, "original", response)
    return response


@bp.get("/material/<int:asset_id>/original-exacto")
def download_exact(asset_id: int) -> Response:
    """The stored bytes unchanged, with their SHA-256, for archivists and fixity checks."""
    asset = get_visible_asset(asset_id)
    response = exact_response(asset, download_name(asset))
    record_download(asset, "original-exact", response)
    return response


@bp.get("/material/<int:asset_id>/xmp")
def download_xmp(asset_id: int) -> Response:
    """An XMP sidecar with the current metadata, for types that cannot carry it inside."""
    asset = get_visible_asset(asset_id)
    return sidecar_response(press_info(asset), download_name(asset, ".xmp"))


@bp.get("/material/<int:asset_id>/jpeg")
def download_jpeg(asset_id: int) -> Response:
    asset = get_visible_asset(asset_id)
    preview = _views(asset).preview
    if preview is None:
        abort(404)
    data = press_jpeg(get_ctx().store.read_bytes(preview.key), press_info(asset))
    response = Response(data, mimetype="image/jpeg")
    set_attachment(response, download_name(asset, "-prensa.jpg"))
    response.headers["Cache-Control"] = "private, no-cache"
    record_download(asset, "press-jpeg", response)
    return response
