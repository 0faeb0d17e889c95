"""Serving stored objects: immutable content-addressed URLs, ETags, Range; S3 by redirect."""

from __future__ import annotations

import hashlib
import mimetypes
import re

from flask import Blueprint, Response, abort, g, redirect, request, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import load_only

from dam.models import Asset
from storage import LocalStore, validate_key
from web.access import can_download_original, can_view
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("files", __name__)

ONE_YEAR = 31_536_000
PRESIGN_SECONDS = 3600
_KEY = re.compile(
    r"(originals|renditions)/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})(/[A-Za-z0-9_.-]+)?"
)


def file_url(key: str, version: int | None = None) -> str:
    """The URL of a stored object; ``version`` changes when a rendition is made again."""
    return url_for("files.serve", key=key, v=version)


def asset_for_key(key: str) -> Asset:
    """The asset an object belongs to, if the current user may see it; else 404."""
    try:
        validate_key(key)
    except ValueError:
        abort(404)
    match = _KEY.fullmatch(key)
    if match is None or (match.group(1) == "originals") != (match.group(3) is None):
        abort(404)
    with reading(get_ctx().catalog) as session:
        asset = session.scalars(
            select(Asset).where(Asset.sha256 == match.group(2))
            .options(load_only(Asset.id, Asset.state, Asset.media_type, Asset.mime_type,
                               Asset.original_filename, Asset.original_key, Asset.trashed_at))
        ).first()
    if asset is None or not can_view(g.user, asset):
        abort(404)
    return asset


def _etag(key: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(f"{key}\n{size}\n{mtime_ns}".encode()).hexdigest()[:32]


def send_object(key: str, asset: Asset, *, mimetype: str | None = None,
                download_name: str | None = None, immutable: bool = False) -> Response:
    """Stream an object with Range and conditional requests, or redirect to a presigned URL.

    Originals go to staff only (404 for the public, as for an unknown id).
    """
    if key == asset.original_key and not can_download_original(g.user, asset):
        abort(404)
    store = get_ctx().store
    shared = can_view(None, asset)  # only what the public may see can sit in shared caches
    if not isinstance(store, LocalStore):
        response = redirect(store.presigned_url(key, expires_in=PRESIGN_SECONDS))
        response.headers["Cache-Control"] = "private, max-age=600"
        return response
    mimetype = mimetype or mimetypes.guess_type(key)[0] or "application/octet-stream"
    try:
        with store.local_path(key) as path:
            info = path.stat()
            response = send_file(
                path, mimetype=mimetype, conditional=True,
                etag=_etag(key, info.st_size, info.st_mtime_ns),
                as_attachment=download_name is not None, download_name=download_name,
                max_age=ONE_YEAR if immutable else 3600,
            )
    except FileNotFoundError:
        abort(404)
    if shared:  # an hour at most: a withdrawn or re-embargoed asset leaves shared caches soon
        response.headers["Cache-Control"] = "public, max-age=3600"
    elif immutable:
        response.headers["Cache-Control"] = f"private, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/files/<path:key>")
def serve(key: str) -> Response:
    if key.startswith("material/"):  # a public name, without the storage key
        from web.public_files import serve_public  # noqa: PLC0415 - it builds on this module

        return serve_public(key)
    if g.user is None:  # the public addresses files by asset and kind, never by storage key
        abort(404)
    asset = asset_for_key(key)
    mimetype = asset.mime_type if key == asset.original_key else None
    return send_object(key, asset, mimetype=mimetype, immutable="v" in request.args)
