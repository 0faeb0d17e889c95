"""Public file links: a rendition named by its asset and kind, never by its storage key.

A storage key holds the original's SHA-256, so pages and JSON for the public link
``/files/material/<id>/<kind>[-<page>]?v=<version>`` instead; the route resolves it to the
rendition when the visitor may see the asset (404 otherwise, as for an unknown id).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from flask import Response, abort, g, request, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dam.enums import RenditionKind
from dam.models import Asset, Rendition
from publish.public_view import public_renditions
from storage import LocalStore, ObjectStore
from web.access import can_view
from web.files import send_object
from web.queries import RenditionRef, reading, rendition_ref
from web.state import get_ctx

PREFIX = "material/"
STREAM_CHUNK = 256 * 1024
_NAME = re.compile(r"material/([1-9][0-9]{0,17})/([a-z]+)(?:-([1-9][0-9]{0,5}))?")


def public_key(asset_id: int, rendition: Rendition | RenditionRef, kind: str | None = None,
               page: int = 0) -> str:
    """The public name of a rendition (``kind`` and ``page`` for a RenditionRef)."""
    if isinstance(rendition, Rendition):
        kind, page = str(rendition.kind), rendition.page
    return f"{PREFIX}{int(asset_id)}/{kind}" + (f"-{page}" if page else "")


def public_url(asset_id: int, rendition: Rendition) -> str:
    return url_for("files.serve", key=public_key(asset_id, rendition),
                   v=rendition_ref(rendition).version)


def public_thumb_url(asset_id: int, thumb: RenditionRef) -> str:
    return url_for("files.serve", key=public_key(asset_id, thumb, "thumbnail"), v=thumb.version)


def _resolve(name: str) -> tuple[Asset, Rendition]:
    match = _NAME.fullmatch(name)
    if match is None:
        abort(404)
    asset_id, kind, page = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    with reading(get_ctx().catalog) as session:
        asset = session.scalars(select(Asset).where(Asset.id == asset_id)
                                .options(selectinload(Asset.renditions))).first()
    if asset is None or not can_view(g.user, asset):
        abort(404)
    for rendition in public_renditions(asset):
        if str(rendition.kind) == kind and rendition.page == page:
            return asset, rendition
    abort(404)


def serve_public(name: str) -> Response:
    """The rendition ``name`` names, streamed (a shared store's redirect would name its key)."""
    asset, rendition = _resolve(name)
    immutable = "v" in request.args
    store = get_ctx().store
    if isinstance(store, LocalStore):
        return send_object(rendition.key, asset, mimetype=rendition.mime_type,
                           immutable=immutable)
    if rendition.kind == RenditionKind.PROXY:  # large: streamed in the ranges players ask for
        return _stream_ranges(store, asset, rendition)
    try:
        data = store.read_bytes(rendition.key)  # pictures: small
    except FileNotFoundError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=rendition.mime_type, conditional=True,
                         etag=f"{rendition.id}-{rendition_ref(rendition).version}",
                         max_age=3600)
    response.headers["Cache-Control"] = _cache_control(asset)
    return response


def _cache_control(asset: Asset) -> str:
    shared = can_view(None, asset)  # only what the public may see can sit in shared caches
    return f"{'public' if shared else 'private'}, max-age=3600"


def _stream_ranges(store: ObjectStore, asset: Asset, rendition: Rendition) -> Response:
    """A video or audio proxy from a shared store, streamed through this node with Range
    support (a redirect to the store would hand the public a URL naming the storage key)."""
    try:
        size = store.size(rendition.key)
    except FileNotFoundError:
        abort(404)
    etag = f"{rendition.id}-{rendition_ref(rendition).version}"
    headers = {"Accept-Ranges": "bytes", "Cache-Control": _cache_control(asset)}
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response
    start, stop, status = 0, size, 200
    wanted = request.range if request.if_range.etag in (None, etag) else None
    if wanted is not None and wanted.units == "bytes" and len(wanted.ranges) == 1:
        bounds = wanted.range_for_length(size)
        if bounds is None:
            headers["Content-Range"] = f"bytes */{size}"
            return Response(status=416, headers=headers)
        (start, stop), status = bounds, 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    headers["Content-Length"] = str(stop - start)

    def chunks() -> Iterator[bytes]:
        with store.open_range(rendition.key, start, stop - start) as stream:
            while chunk := stream.read(STREAM_CHUNK):
                yield chunk

    response = Response(chunks(), status=status, mimetype=rendition.mime_type, headers=headers,
                        direct_passthrough=True)
    response.set_etag(etag)
    return response
