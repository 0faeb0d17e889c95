"""The web edge of embedding: download responses for originals, sidecars and the audit entry."""

from __future__ import annotations

import base64
import hashlib
import logging
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, abort, g, request

from dam.curation import audit
from dam.models import Asset
from publish.embed import EmbedError, PressInfo, embeds, original_plan, stream_plan, xmp_sidecar
from publish.embed.plan import Plan
from storage.base import ObjectStore
from web.curation_common import actor_of
from web.files import send_object
from web.state import get_ctx

log = logging.getLogger(__name__)


def set_attachment(response: Response, name: str) -> None:
    """Content-Disposition naming ``name`` as send_file does (an ASCII fallback if needed)."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+^`|~")
        response.headers.set("Content-Disposition", "attachment", filename=simple,
                             **{"filename*": f"UTF-8''{quoted}"})
    else:
        response.headers.set("Content-Disposition", "attachment", filename=name)


def _fetches_file(response: Response) -> bool:
    """Whether the response starts sending the file (not HEAD, 304, or a resumed range)."""
    if request.method != "GET":
        return False
    if response.status_code == 206:
        ranges = request.range.ranges if request.range else []
        return bool(ranges) and ranges[0][0] == 0
    return response.status_code in (200, 302)  # 302: a presigned URL of the object store


def record_download(asset: Asset, variant: str, response: Response) -> None:
    """One entry in the bitácora for a download of ``asset``, as ``response`` answers it."""
    if g.user is None or not _fetches_file(response):
        return
    with get_ctx().catalog.write() as session:
        audit.record(session, actor_of(g.user), "download", asset_id=asset.id, detail=variant)


def exact_response(asset: Asset, name: str) -> Response:
    """The stored bytes unchanged (Range and conditional requests work), with their SHA-256."""
    response = send_object(asset.original_key, asset, mimetype=asset.mime_type,
                           download_name=name)
    digest = base64.b64encode(bytes.fromhex(asset.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530
    response.headers["X-Content-SHA256"] = asset.sha256
    return response


def _plan(asset: Asset, info: PressInfo) -> Plan | None:
    store = get_ctx().store
    try:
        size = store.stat(asset.original_key).size
        with store.open_read(asset.original_key) as stream:
            return original_plan(stream, size, asset.mime_type, info)
    except FileNotFoundError:
        abort(404)
    except EmbedError as exc:
        log.warning("asset %s: metadata not embedded, sending the original as is: %s",
                    asset.id, exc)
        return None


def _stream(store: ObjectStore, key: str, plan: Plan) -> Iterator[bytes]:
    with store.open_read(key) as stream:
        yield from stream_plan(stream, plan)


def original_response(asset: Asset, info: PressInfo, name: str) -> Response:
    """The original with ``info`` embedded, streamed; bit-exact for types that cannot carry it
    (they get a sidecar) and for files whose header cannot be parsed."""
    plan = _plan(asset, info) if embeds(asset.mime_type) else None
    if plan is None:
        return exact_response(asset, name)
    body = _stream(get_ctx().store, asset.original_key, plan)
    response = Response(body, mimetype=asset.mime_type)
    response.headers["Content-Length"] = str(plan.length)
    set_attachment(response, name)
    response.headers["Cache-Control"] = "private, no-cache"  # changes with every edit
    response.set_etag(_etag(asset, plan))
    return response.make_conditional(request, accept_ranges=True, complete_length=plan.length)


def _etag(asset: Asset, plan: Plan) -> str:
    """Changes whenever the embedded metadata (or the original) does."""
    digest = hashlib.sha256(asset.sha256.encode())
    for part in plan.parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
    return digest.hexdigest()[:32]


def sidecar_response(info: PressInfo, name: str) -> Response:
    response = Response(xmp_sidecar(info), mimetype="application/rdf+xml")
    set_attachment(response, name)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
