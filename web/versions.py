"""The asset page's file versions: the list (a tab), downloads of earlier originals (staff),
replacing the file (editors and the asset's photographer) and restoring a version (editors)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from dam.curation.rights import owns
from dam.curation.versions import (
    DuplicateFileError,
    VersionError,
    VersionForbiddenError,
    VersionInfo,
    list_versions,
    version_file,
)
from dam.enums import Role
from dam.errors import NotFoundError
from dam.models import Asset
from ingest.replace import replace_asset_file, restore_asset_version
from storage import original_key
from web.access import Need, allowed, can_download_original
from web.assets import _UNSAFE_NAME, get_visible_asset
from web.curation_common import actor_of
from web.embed_responses import record_download
from web.files import send_object
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("versions", __name__)
PANEL = "versiones"


@bp.app_template_global()
def asset_versions(asset_id: int) -> list[VersionInfo]:
    """The asset's versions, newest first, for the Versions tab (staff only)."""
    if g.get("user") is None:
        return []
    with reading(get_ctx().catalog) as session:
        return list(reversed(list_versions(session, asset_id)))


@bp.app_template_global()
def may_replace_file(asset: Asset) -> bool:
    """Editors replace any file; a photographer the files of their own batches."""
    user = g.get("user")
    if user is None or user.role == Role.VIEWER:
        return False
    return allowed(user, Need.EDIT) or owns(actor_of(user), asset)


def _back(asset_id: int) -> Response:
    """To the asset page with the Versions tab open."""
    return redirect(url_for("assets.show", asset_id=asset_id) + f"#{PANEL}")


@bp.get("/material/<int:asset_id>/versiones/<int:number>/archivo")
def download(asset_id: int, number: int) -> Response:
    """An earlier (or the current) original, as stored: staff only, 404 for anyone else."""
    if g.user is None:
        abort(404)
    asset = get_visible_asset(asset_id)
    if not can_download_original(g.user, asset):
        abort(404)
    try:
        with reading(get_ctx().catalog) as session:
            version = version_file(session, asset_id, number)
    except NotFoundError:
        abort(404)
    stem, dot, ext = version.original_filename.rpartition(".")
    name = f"{stem}-v{number}.{ext}" if dot else f"{version.original_filename}-v{number}"
    response = send_object(original_key(version.sha256), asset, mimetype=version.mime_type,
                           download_name=_UNSAFE_NAME.sub("_", name)[:200])
    response.headers["X-Content-SHA256"] = version.sha256
    if response.status_code != 302:  # an original never sits in a shared cache
        response.headers["Cache-Control"] = "private, max-age=3600"
    record_download(asset, f"version-{number}", response)
    return response


def _refusal(exc: VersionError) -> str:
    if isinstance(exc, DuplicateFileError):
        return _("That file is already in the archive as material %(id)s: it cannot also be "
                 "a version of this one.", id=exc.other_id)
    text = str(exc)
    if "reason is required" in text:
        return _("Say why the file is replaced.")
    if "same kind" in text:
        return _("The new file must be of the same kind (a photo for a photo, a video for a "
                 "video).")
    if "already the current" in text:
        return _("That file is already the current version.")
    return text


@bp.post("/material/<int:asset_id>/reemplazar")
def replace(asset_id: int) -> Response:
    """Take an uploaded file as the asset's new version (the form on the Versions tab)."""
    asset = get_visible_asset(asset_id)
    request.max_content_length = get_ctx().settings.upload_max_bytes  # see FILE_FORMS
    upload = request.files.get("archivo")
    reason = request.form.get("motivo", "")
    if upload is None or not upload.filename:
        flash(_("Choose the new file."), "error")
        return _back(asset_id)
    if not may_replace_file(asset):
        abort(403)
    folder = Path(get_ctx().settings.data_dir) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="reemplazo-") as tmp:
        path = Path(tmp) / "archivo"
        with open(path, "wb") as out:
            shutil.copyfileobj(upload.stream, out, 1024 * 1024)
        try:
            version = replace_asset_file(get_ctx(), actor_of(g.user), asset_id, path, reason,
                                         filename=Path(upload.filename).name)
        except VersionForbiddenError:
            abort(403)
        except VersionError as exc:
            flash(_refusal(exc), "error")
            return _back(asset_id)
    flash(_("File replaced: version %(n)s is now current; its previews are being made.",
            n=version.number), "success")
    return _back(asset_id)


@bp.post("/material/<int:asset_id>/versiones/<int:number>/restaurar")
def restore(asset_id: int, number: int) -> Response:
    """Make an earlier version current again (editors)."""
    get_visible_asset(asset_id)
    try:
        version = restore_asset_version(get_ctx(), actor_of(g.user), asset_id, number,
                                        request.form.get("motivo"))
    except NotFoundError:
        abort(404)
    except VersionForbiddenError:
        abort(403)
    except VersionError as exc:
        flash(_refusal(exc), "error")
        return _back(asset_id)
    flash(_("Version %(old)s restored as version %(n)s.", old=number, n=version.number),
          "success")
    return _back(asset_id)
