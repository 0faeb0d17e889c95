"""Admin pages for export profiles and the institutional band (pleca)."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict

from publish import branding
from publish.profiles import (
    ALL_BLOCKS,
    ALWAYS_STRIPPED_PUBLIC,
    DEFAULT_PROFILES,
    ExportProfile,
    ProfileError,
    default_profile,
    load_profile,
    load_profiles,
    reset_profile,
    save_profile,
)
from web.curation_common import actor_of
from web.params import bounded_int
from web.state import get_ctx

bp = Blueprint("profiles", __name__)

FLAGS = ("keep_camera", "keep_date", "keep_gps", "band", "c2pa")
BLOCK_LABELS = {
    "unapproved": lazy_gettext("Not approved (workflow state other than approved or published)"),
    "embargoed": lazy_gettext("Under embargo"),
    "internal_only": lazy_gettext("Internal use only"),
    "minors_without_consent": lazy_gettext("Shows minors without a valid consent"),
    "consent_expired": lazy_gettext("Consent expired"),
    "consent_revoked": lazy_gettext("Consent revoked"),
}
STRIPPED_LABELS = {
    "gps": lazy_gettext("GPS position"),
    "camera_serial": lazy_gettext("Camera and lens serial numbers"),
    "owner_name": lazy_gettext("Owner names"),
    "maker_notes": lazy_gettext("Maker notes"),
    "software_history": lazy_gettext("Software and editing history"),
}
FORMAT_LABELS = {"jpeg": "JPEG", "webp": "WebP",
                 "original": lazy_gettext("Original file (full fidelity)")}
_SIZE_LIST = re.compile(r"[\s,;]+")


def _profile_or_404(name: str) -> ExportProfile:
    if name not in DEFAULT_PROFILES:
        abort(404)
    with get_ctx().catalog.read() as session:
        return load_profile(session, name)


def _changes(form: MultiDict[str, str], profile: ExportProfile) -> dict[str, Any]:
    """The form's values as profile settings (ProfileError for a size that is not a number)."""
    parts = [part for part in _SIZE_LIST.split(form.get("sizes", "")) if part]
    sizes = [bounded_int(part, low=0) for part in parts]
    if any(size is None for size in sizes):
        raise ProfileError(_("Sizes must be whole numbers of pixels, separated by commas."))
    changes: dict[str, Any] = {
        "label": form.get("label", ""), "sizes": sizes,
        "quality": form.get("quality", ""), "format": form.get("format", profile.format),
        "watermark": form.get("watermark", ""),
        "blocks": [code for code in form.getlist("blocks") if code],
    }
    for flag in FLAGS:
        changes[flag] = form.get(flag) == "1"
    if profile.public:
        changes["keep_gps"] = False  # not offered: public profiles never keep it
    return changes


def _edit_page(profile: ExportProfile, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin_profile.html", profile=profile, default=default_profile(profile.name),
        flags=FLAGS, block_labels=BLOCK_LABELS, format_labels=FORMAT_LABELS,
        stripped=[STRIPPED_LABELS[code] for code in ALWAYS_STRIPPED_PUBLIC],
    ), status


def _index_page(status: int = 200) -> tuple[str, int]:
    with get_ctx().catalog.read() as session:
        profiles = load_profiles(session)
        band_key = branding.current_key(session)
    return render_template(
        "admin_profiles.html", profiles=profiles, band_key=band_key,
        block_labels=BLOCK_LABELS, format_labels=FORMAT_LABELS, all_blocks=ALL_BLOCKS,
        stripped=[STRIPPED_LABELS[code] for code in ALWAYS_STRIPPED_PUBLIC],
        max_band_mb=branding.MAX_BYTES // (1024 * 1024),
    ), status


@bp.get("/admin/perfiles")
def index() -> tuple[str, int]:
    return _index_page()


@bp.route("/admin/perfiles/<slug>", methods=["GET", "POST"])
def edit(slug: str) -> Response | tuple[str, int]:
    profile = _profile_or_404(slug)
    if request.method == "GET":
        return _edit_page(profile)
    try:
        changes = _changes(request.form, profile)
        with get_ctx().catalog.write() as session:
            save_profile(session, actor_of(g.user), slug, changes)
    except ProfileError as exc:
        flash(_("The profile was not saved: %(why)s", why=str(exc)), "error")
        return _edit_page(profile, 400)
    flash(_("The profile %(name)s was saved.", name=profile.label), "info")
    return redirect(url_for("profiles.index"), 303)


@bp.post("/admin/perfiles/<slug>/restablecer")
def reset(slug: str) -> Response:
    profile = _profile_or_404(slug)
    with get_ctx().catalog.write() as session:
        reset_profile(session, actor_of(g.user), slug)
    flash(_("The profile %(name)s is back to its defaults.", name=profile.label), "info")
    return redirect(url_for("profiles.index"), 303)


@bp.post("/admin/pleca")
def upload_band() -> Response | tuple[str, int]:
    upload = request.files.get("band")
    if upload is None or not upload.filename:
        flash(_("Choose an image file for the band."), "error")
        return _index_page(400)
    data = upload.stream.read(branding.MAX_BYTES + 1)
    ctx = get_ctx()
    try:
        with ctx.catalog.write() as session:
            branding.save_band(session, ctx.store, actor_of(g.user), data)
    except branding.BrandingError as exc:
        flash(_("The band was not changed: %(why)s", why=str(exc)), "error")
        return _index_page(400)
    flash(_("The institutional band was updated."), "info")
    return redirect(url_for("profiles.index"), 303)


@bp.post("/admin/pleca/quitar")
def remove_band() -> Response:
    with get_ctx().catalog.write() as session:
        branding.remove_band(session, actor_of(g.user))
    flash(_("The institutional band was removed: exports go without it."), "info")
    return redirect(url_for("profiles.index"), 303)


@bp.get("/admin/pleca.png")
def band_image() -> Response:
    ctx = get_ctx()
    with ctx.catalog.read() as session:
        data = branding.load_band(session, ctx.store)
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
