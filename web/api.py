"""The JSON API /api/v1: search, assets, batches and resumable uploads, with token auth.

Permissions are the pages' (see web.access.ROUTES); scripts send ``Authorization: Bearer``
with a token made on the account page. The OpenAPI document is at /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, url_for

from dam.catalog import asset_to_dict
from dam.enums import UploadState
from dam.models import Upload
from web import uploads
from web.access import sees_all_batches, visible_clause
from web.assets import get_visible_asset
from web.errors import RequestError
from web.files import file_url
from web.forms import batch_info, search_filters
from web.listing import caption_snippets, raise_for_search_error, run_listing
from web.ocr_view import page_hits
from web.openapi import openapi_document
from web.params import MAX_ID, json_id, query_int
from web.public_page import public_asset_json
from web.queries import GridItem, batch_files, browse_page, list_batches, rendition_ref
from web.reasons import failure_text
from web.state import get_ctx
from web.upload import visible_batch

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 200


def _item(item: GridItem) -> dict[str, Any]:
    return {
        "id": item.id, "media_type": item.media_type, "state": item.state,
        "title": item.title, "caption": item.caption, "error": item.error,
        "taken_at": item.taken_at.isoformat() if item.taken_at else None,
        "event": item.event, "creator": item.creator,
        "url": url_for("api.asset", asset_id=item.id),
        "page_url": url_for("assets.show", asset_id=item.id),
        "thumbnail_url": file_url(item.thumb.key, item.thumb.version) if item.thumb else None,
    }


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise RequestError(400, "json", "expected a JSON object")
    return data


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/docs")
def docs() -> str:
    """The API's reference as a page, made from the same OpenAPI document scripts read."""
    document = openapi_document()
    operations = [
        (path, method.upper(), op) for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]
    return render_template("api_docs.html", document=document, operations=operations)


@bp.get("/me")
def me() -> Response:
    user = g.user
    return jsonify(id=user.id, username=user.username, name=user.name, role=str(user.role))


@bp.get("/search")
def search() -> Response:
    page = query_int("page", 1, low=-MAX_ID)
    per_page = query_int("per_page", 50, low=-MAX_ID)
    listing = run_listing(request.args.get("q", ""), filters=search_filters(request.args),
                          sort=request.args.get("sort", "relevance"), facets=True,
                          page=page, per_page=per_page)
    r = listing.results
    raise_for_search_error(r)
    marked = caption_snippets(r.query, listing.items)
    marked.update(caption_snippets(r.query, listing.partial_items))

    pages = page_hits(r.query, listing.items + listing.partial_items)

    def hit(i: GridItem) -> dict:
        found = {**_item(i), "highlight": [[f.text, f.hit] for f in marked[i.id]]
                 if i.id in marked else None}
        if i.id in pages:  # the words are on this page of its OCR text
            found["page"] = pages[i.id].page
            found["page_highlight"] = [[f.text, f.hit] for f in pages[i.id].fragments]
        return found

    hits = [hit(i) for i in listing.items]
    return jsonify(query=r.query, total=r.total, page=r.page, per_page=r.per_page,
                   suggestion=r.suggestion, corrected=r.corrected, relaxed=r.relaxed,
                   partial=[hit(i) for i in listing.partial_items],
                   partial_total=r.partial_total, missing_words=r.missing_words, also=r.also,
                   dates=[{"text": d.text, "from": d.first.isoformat(), "to": d.last.isoformat()}
                          for d in r.dates],
                   facets={k: [[v, n] for v, n in vals] for k, vals in r.facets.items()},
                   hits=hits)


@bp.get("/assets")
def assets() -> Response:
    limit = min(max(query_int("limit", 50, low=-MAX_ID), 1), MAX_LIMIT)
    page = browse_page(get_ctx().catalog, visible_clause(g.user),
                       query_int("before"), limit)
    following = url_for("api.assets", before=page.next_before, limit=limit) \
        if page.next_before else None
    return jsonify(items=[_item(i) for i in page.items], next=following)


@bp.get("/assets/<int:asset_id>")
def asset(asset_id: int) -> Response:
    found = get_visible_asset(asset_id)
    if g.user is None:
        return jsonify(public_asset_json(found))  # the public projection, nothing else
    data = asset_to_dict(found, with_renditions=False)
    data.pop("document_text", None)
    data["renditions"] = [
        {"kind": str(r.kind), "page": r.page, "mime_type": r.mime_type, "width": r.width,
         "height": r.height, "byte_size": r.byte_size,
         "url": file_url(r.key, rendition_ref(r).version)}
        for r in found.renditions
    ]
    data["original_url"] = url_for("assets.download_original", asset_id=asset_id)
    data["page_url"] = url_for("assets.show", asset_id=asset_id)
    return jsonify(data)


def _batch_json(batch_id: int) -> dict[str, Any]:
    batch = visible_batch(batch_id)
    files = batch_files(get_ctx().catalog, batch_id)
    return {
        "id": batch.id, "event": batch.event,
        "date": batch.event_date.isoformat() if batch.event_date else None,
        "area": batch.area, "programme": batch.programme, "place": batch.place,
        "photographer": batch.photographer,
        "caption": batch.caption, "created_at": batch.created_at.isoformat(),
        "page_url": url_for("upload.batch", batch_id=batch.id),
        "files": [
            {"name": f.name, "outcome": f.outcome, "asset_id": f.asset_id, "state": f.state,
             "error": f.error, "reason": failure_text(f.error), "title": f.title,
             "thumbnail_url": file_url(f.thumb.key, f.thumb.version) if f.thumb else None,
             "page_url": url_for("assets.show", asset_id=f.asset_id) if f.asset_id else None}
            for f in files
        ],
    }


@bp.get("/batches")
def batches() -> Response:
    user_id = None if sees_all_batches(g.user) else g.user.id
    rows = list_batches(get_ctx().catalog, user_id)
    return jsonify(items=[{"id": b.id, "event": b.event, "created_at": b.created_at.isoformat(),
                           "url": url_for("api.batch", batch_id=b.id)} for b in rows])


@bp.post("/batches")
def create_batch() -> tuple[Response, int]:
    info = batch_info(_json_body(), g.user)
    batch_id = uploads.create_web_batch(get_ctx(), g.user, info)
    return jsonify(_batch_json(batch_id)), 201


@bp.get("/batches/<int:batch_id>")
def batch(batch_id: int) -> Response:
    return jsonify(_batch_json(batch_id))


def _upload_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id, "batch_id": upload.batch_id, "filename": upload.filename,
        "size": upload.byte_size, "offset": upload.received, "state": str(upload.state),
        "outcome": str(upload.outcome) if upload.outcome else None,
        "asset_id": upload.asset_id, "error": upload.error, "reason": failure_text(upload.error),
        "chunk_size": get_ctx().settings.upload_chunk_bytes,
        "url": url_for("api.upload_status", upload_id=upload.id),
    }


def _own_upload(upload_id: str) -> Upload:
    upload = uploads.get_upload(get_ctx(), upload_id)
    if upload is None or upload.user_id != g.user.id:
        abort(404)
    return upload


@bp.post("/uploads")
def create_upload() -> tuple[Response, int]:
    data = _json_body()
    batch_id = json_id(data.get("batch_id"), "batch_id")  # not the account's own: 404
    upload = uploads.start_upload(get_ctx(), g.user, batch_id, data.get("filename"),
                                  data.get("size"))
    response = jsonify(_upload_json(upload))
    response.headers["Location"] = url_for("api.upload_status", upload_id=upload.id)
    return response, 201


@bp.get("/uploads/<upload_id>")
def upload_status(upload_id: str) -> Response:
    response = jsonify(_upload_json(_own_upload(upload_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.patch("/uploads/<upload_id>")
def upload_chunk(upload_id: str) -> Response:
    try:
        offset: int | None = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        offset = None  # a 400, once the upload is known to be the account's
    upload, reached = uploads.receive_chunk(get_ctx(), upload_id, g.user.id, offset,
                                            request.content_length, request.stream)
    response = jsonify(offset=reached, size=upload.byte_size)
    response.headers["Upload-Offset"] = str(reached)
    return response


@bp.post("/uploads/<upload_id>/complete")
def complete_upload(upload_id: str) -> tuple[Response, int]:
    upload = uploads.complete_upload(get_ctx(), upload_id, g.user.id)
    waiting = upload.state == UploadState.WAITING_STORE  # kept; taken in when the store is back
    return jsonify(_upload_json(upload)), 202 if waiting else 200
