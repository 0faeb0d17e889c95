"""Social formats of a picture, and its point of interest for crops."""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from PIL import Image

from dam.enums import MediaType, RenditionKind
from dam.errors import DamError
from dam.models import Asset, utcnow
from dam.publishing.point_of_interest import (
    PointOfInterestError,
    PointOfInterestPermissionError,
    set_point_of_interest,
)
from publish.clearance import clear_for_export
from publish.focus import guess_focus, upright_draft
from publish.picture_source import NoPictureError
from publish.profiles import load_profile
from publish.social import (
    PRESETS,
    HeldBackError,
    SocialBlackoutError,
    SocialPreset,
    social_image,
)
from web.access import Need, allowed
from web.assets import download_name, get_visible_asset
from web.curation_common import actor_of
from web.embed_responses import record_download, set_attachment
from web.errors import RequestError
from web.i18n import fmt_moment
from web.presskit import held_reason_label
from web.queries import reading
from web.state import get_ctx

log = logging.getLogger(__name__)
bp = Blueprint("social", __name__)


def preset_label(code: str) -> str:
    return {"cuadrado": _("Square"), "vertical": _("Portrait"),
            "horizontal": _("Landscape"), "historia": _("Story")}.get(code, code)


def _photo(asset_id: int) -> Asset:
    asset = get_visible_asset(asset_id)
    if asset.media_type != MediaType.PHOTO:
        abort(404)
    return asset


@bp.get("/material/<int:asset_id>/redes/<preset>.jpg")
def image(asset_id: int, preset: str) -> Response:
    """The picture in one social format (409 with the reasons when it may not leave)."""
    if preset not in PRESETS:
        abort(404)
    asset = _photo(asset_id)
    try:
        made = social_image(get_ctx(), asset, preset, utcnow())
    except NoPictureError:
        abort(404)
    except HeldBackError as exc:
        reasons = [held_reason_label(code) for code in exc.held.reasons]
        raise RequestError(409, "held_back", _(
            "This picture may not go to social networks: %(why)s.", why=", ".join(reasons)),
            reasons=list(exc.held.reasons)) from None
    except SocialBlackoutError as exc:
        raise RequestError(409, "blackout", _(
            "An electoral blackout is in force until %(end)s (%(reason)s): nothing goes to social "
            "networks, except collections marked as civil-protection or health information.",
            end=fmt_moment(exc.ends_at), reason=exc.reason)) from None
    response = Response(made.data, mimetype=made.mime_type)
    set_attachment(response, download_name(asset, f"-{preset}{made.extension}"))
    response.headers["Cache-Control"] = "private, no-cache"
    record_download(asset, f"social-{preset}", response)
    return response


def _fraction(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RequestError(400, "invalid", _("%(name)s must be a number between 0 and 1.",
                                             name=name)) from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise RequestError(400, "invalid", _("%(name)s must be a number between 0 and 1.",
                                             name=name))
    return number


def _json_fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(400, "invalid", _("%(name)s must be a number between 0 and 1.",
                                             name=name))
    return _fraction(value, name)


def _save_point(asset_id: int, point: tuple[float, float] | None) -> Asset:
    x, y = point if point is not None else (None, None)
    try:
        with get_ctx().catalog.write() as session:
            asset = set_point_of_interest(session, actor_of(g.user), asset_id, x, y)
            return asset
    except PointOfInterestPermissionError:
        abort(403)
    except PointOfInterestError as exc:
        raise RequestError(400, "invalid", str(exc)) from None


def _answer(asset: Asset) -> dict[str, Any]:
    return {"asset_id": asset.id, "x": asset.poi_x, "y": asset.poi_y,
            "automatic": asset.poi_x is None, "edit_version": asset.edit_version}


@bp.post("/material/<int:asset_id>/punto-de-interes")
def set_point(asset_id: int) -> Response:
    """Form (and social.js): x and y as fractions, or ``reset`` for the automatic point."""
    get_visible_asset(asset_id)  # 404 first, as elsewhere
    if request.form.get("reset"):
        point = None
    else:
        point = (_fraction(request.form.get("x"), "x"), _fraction(request.form.get("y"), "y"))
    asset = _save_point(asset_id, point)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_answer(asset))
    flash(_("Point of interest reset to automatic.") if point is None
          else _("Point of interest saved."), "info")
    return redirect(url_for("assets.show", asset_id=asset_id) + "#redes", 303)


@bp.put("/api/v1/assets/<int:asset_id>/poi")
def api_set_point(asset_id: int) -> Response:
    """JSON {"x": 0.3, "y": 0.6}, or {"x": null} to go back to the automatic point."""
    get_visible_asset(asset_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "x" not in body:
        raise RequestError(400, "invalid", _('Send JSON {"x": 0..1, "y": 0..1}, or '
                                             '{"x": null} for the automatic point.'))
    if body["x"] is None and body.get("y") is None:
        point = None
    else:
        point = (_json_fraction(body["x"], "x"), _json_fraction(body.get("y"), "y"))
    return jsonify(_answer(_save_point(asset_id, point)))


@dataclass(frozen=True)
class SocialPanel:
    """What _asset_social.html shows: the formats, the focus, and why not, if held back."""

    presets: list[SocialPreset]
    focus: tuple[float, float]
    automatic: bool
    held: list[str]
    may_edit: bool


def _guessed(asset: Asset) -> tuple[float, float]:
    """The automatic point, guessed from the thumbnail (the map is computed at 256 px anyway)."""
    small = {r.kind: r for r in asset.renditions}
    rendition = small.get(RenditionKind.THUMBNAIL) or small.get(RenditionKind.PREVIEW)
    if rendition is None:
        return 0.5, 0.5
    return _guess_from(rendition.key, asset.id)


@lru_cache(maxsize=4096)
def _guess_from(key: str, asset_id: int) -> tuple[float, float]:
    """Remembered per rendition key: keys name immutable content, and the asset page is hot."""
    try:
        with Image.open(io.BytesIO(get_ctx().store.read_bytes(key))) as opened:
            return guess_focus(upright_draft(opened))
    except (OSError, ValueError, DamError) as exc:
        log.warning("asset %s: no automatic point of interest: %s", asset_id, exc)
        return 0.5, 0.5


@bp.app_template_global()
def social_panel(asset: Asset) -> SocialPanel | None:
    """The social-formats panel of a photo, for staff; None for others and other media."""
    if g.get("user") is None or asset.media_type != MediaType.PHOTO:
        return None
    with reading(get_ctx().catalog) as session:
        profile = load_profile(session, "redes")
        _cleared, held = clear_for_export(session, [asset], profile, utcnow())
    automatic = asset.poi_x is None or asset.poi_y is None
    focus = _guessed(asset) if automatic else (asset.poi_x, asset.poi_y)
    return SocialPanel(list(PRESETS.values()), focus, automatic,
                       [held_reason_label(c) for h in held for c in h.reasons],
                       allowed(g.user, Need.EDIT))


bp.add_app_template_global(preset_label)
