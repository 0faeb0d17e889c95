"""The OpenAPI 3.1 document of /api/v1, served by the app at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from publish.public_view import PUBLIC_FIELD_NAMES
from web.forms import FILTER_PARAMS


def _op(summary: str, *, params: list[dict[str, Any]] | None = None, ok: str = "200",
        public: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {ok: {"description": "OK", "content": {"application/json": {}}},
                      "400": {"$ref": "#/components/responses/Error"},
                      "401": {"$ref": "#/components/responses/Error"},
                      "403": {"$ref": "#/components/responses/Error"},
                      "404": {"$ref": "#/components/responses/Error"}},
    }
    if params:
        op["parameters"] = params
    if public:
        op["security"] = []
    return op


def _q(name: str, kind: str = "string", description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}, "description": description}


def _path(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def openapi_document() -> dict[str, Any]:
    filters = [_q(p, description=f"filter by facet {f} (repeatable)")
               for p, f in FILTER_PARAMS.items()]
    create_batch = _op("Create an upload batch (event, date, area, place, photographer, "
                       "caption for all its files)", ok="201")
    create_batch["requestBody"] = _json_body("BatchIn")
    create_upload = _op("Start a resumable upload of one file into one of your batches", ok="201")
    create_upload["requestBody"] = _json_body("UploadIn")
    create_upload["responses"]["507"] = {"description": "disk space under the reserve, or your "
                                                        "unfinished uploads past your quota"}
    chunk = _op("Send the next chunk: header Upload-Offset, body the bytes (at most chunk_size)",
                params=[_path("upload_id", "string"),
                        {"name": "Upload-Offset", "in": "header", "required": True,
                         "schema": {"type": "integer"}}])
    chunk["requestBody"] = {"required": True, "content": {"application/octet-stream": {}}}
    chunk["responses"]["409"] = {"description": "wrong offset: the body says the server's"}
    chunk["responses"]["413"] = {"description": "chunk larger than chunk_size"}
    chunk["responses"]["415"] = {"description": "a type of file Acervo does not take"}
    chunk["responses"]["507"] = {"description": "disk full: the chunk was not kept; send it "
                                                "again later (earlier chunks are kept)"}
    complete = _op("Take the received file in: new, duplicate or failed (with the reason)",
                   params=[_path("upload_id", "string")])
    complete["responses"]["202"] = {"description": "the object store did not answer: the file is "
                                                   "kept (state waiting_store) and taken in when "
                                                   "the store is back"}
    edit = _op("Edit an asset's descriptive fields; 409 with the conflicting fields when "
               "someone saved since `edit_version`", params=[_path("asset_id")])
    edit["requestBody"] = _json_body("AssetEdit")
    edit["responses"]["409"] = {"description": "edited meanwhile: the body lists the conflicts"}
    batch = _op("Apply operations to many assets at once, all or nothing", ok="201")
    batch["requestBody"] = _json_body("BatchEditIn")
    asset = _op("One asset. With a token: every catalog field and its renditions' URLs. "
                "Without one: a published asset's public fields only (PublicAsset: no GPS, "
                "serials, file names or persons named; 404 for anything else)",
                params=[_path("asset_id")])
    asset["security"] = [{"token": []}, {}]
    asset["responses"]["200"]["content"]["application/json"] = {"schema": {"oneOf": [
        {"type": "object", "description": "staff: every catalog field"},
        {"$ref": "#/components/schemas/PublicAsset"}]}}
    marks = _op("Set culling marks: stars, pick or reject, colour label",
                params=[_path("asset_id")])
    marks["requestBody"] = _json_body("Marks")
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Acervo API", "version": "1",
                 "description": "Search, assets, batches and resumable uploads of the archive. "
                                "Authenticate with `Authorization: Bearer <token>` (tokens are "
                                "made on the account page)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}],
        "paths": {
            "/me": {"get": _op("The account the token belongs to")},
            "/search": {"get": _op("Search with the query language; facets, sorting, paging; "
                                   "each hit's `highlight` is its caption around the match as "
                                   "[text, is_hit] pairs (null: the match was elsewhere); "
                                   "a hit found in a scanned page's OCR text also has `page` "
                                   "and `page_highlight`, that page's words around the match",
                                   params=[_q("q", description="e.g. mercado fotografo:lopez"),
                                           _q("page", "integer"), _q("per_page", "integer"),
                                           _q("sort", description="relevance, taken_desc, "
                                              "taken_asc, added_desc, added_asc"), *filters])},
            "/assets": {"get": _op("Assets newest first, by key: follow `next`",
                                   params=[_q("before", "integer"), _q("limit", "integer")])},
            "/assets/{asset_id}": {"get": asset, "patch": edit},
            "/batches": {"get": _op("Your batches (every batch for editors)"),
                         "post": create_batch},
            "/batches/{batch_id}": {"get": _op("A batch and what became of each file",
                                               params=[_path("batch_id")])},
            "/uploads": {"post": create_upload},
            "/uploads/{upload_id}": {"get": _op("Where an upload is (its offset)",
                                                params=[_path("upload_id", "string")]),
                                     "patch": chunk},
            "/uploads/{upload_id}/complete": {"post": complete},
            "/assets/{asset_id}/marks": {"post": marks},
            "/batch-edits": {"post": batch},
            "/batch-edits/{batch_edit_id}/undo": {"post": _op(
                "Undo a batch edit (fields changed again since are left and reported)",
                params=[_path("batch_edit_id")])},
            "/vocabulario/{kind}": {"get": _op(
                "Suggestions from a controlled vocabulary as someone types",
                params=[_path("kind", "string"), _q("q"), _q("limit", "integer")])},
            "/codigos": {"get": _op("The short codes (=code) and the terms they expand to")},
            "/plantillas": {"get": _op("The office's caption templates")},
            "/openapi.json": {"get": _op("This document", public=True)},
            "/docs": {"get": _op("This reference as a web page", public=True)},
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "request_id": {"type": "string"}}},
                "PublicAsset": _public_asset_schema(),
                "BatchIn": {"type": "object", "properties": {
                    "event": {"type": "string"}, "date": {"type": "string", "format": "date"},
                    "area": {"type": "string"}, "programme": {"type": "string"},
                    "place": {"type": "string"}, "photographer": {"type": "string"},
                    "caption": {"type": "string"}}},
                "AssetEdit": {"type": "object", "required": ["edit_version", "changes"],
                              "properties": {"edit_version": {"type": "integer"},
                                             "changes": {"type": "object"},
                                             "base": {"type": "object"}}},
                "BatchEditIn": {"type": "object", "required": ["asset_ids", "operations"],
                                "properties": {
                                    "asset_ids": {"type": "array",
                                                  "items": {"type": "integer"}},
                                    "operations": {"type": "array", "items": {
                                        "type": "object", "properties": {
                                            "field": {"type": "string"},
                                            "op": {"enum": ["set", "add", "remove", "clear",
                                                            "template"]},
                                            "value": {}}}}}},
                "Marks": {"type": "object", "properties": {
                    "rating": {"type": "integer", "minimum": 0, "maximum": 5},
                    "cull_mark": {"type": "integer", "enum": [-1, 0, 1]},
                    "color_label": {"type": ["string", "null"]}}},
                "UploadIn": {"type": "object", "required": ["batch_id", "filename", "size"],
                             "properties": {"batch_id": {"type": "integer"},
                                            "filename": {"type": "string"},
                                            "size": {"type": "integer"}}},
            },
        },
    }
    from web.openapi_publishing import publishing_paths

    document["paths"].update(publishing_paths(_op, _path, _q, _json_body))
    return document


def _public_asset_schema() -> dict[str, Any]:
    """What anonymous callers get for a published asset: the public projection, by name."""
    properties: dict[str, Any] = {name: {} for name in PUBLIC_FIELD_NAMES}
    properties["renditions"] = {"type": "array", "items": {"type": "object", "properties": {
        name: {} for name in ("kind", "page", "mime_type", "width", "height", "byte_size",
                              "url")}, "additionalProperties": False}}
    properties["page_url"] = {"type": "string"}
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "description": "The public projection (publish/public_view.py) of a published "
                           "asset: never GPS, serial numbers, file names, persons named, "
                           "hashes or storage keys."}
