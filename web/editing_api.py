"""The editing API: PATCH an asset's fields, apply and undo batch edits (routes of ``editing``)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for

from dam.catalog import asset_to_dict
from dam.curation.batch_edits import MAX_ASSETS, batch_edit, undo_batch_edit
from dam.curation.edit_fields import plain
from dam.curation.edits import EditConflictError, edit_asset
from web.assets import get_visible_asset
from web.curation_common import actor_of
from web.editing import bp
from web.errors import RequestError, error_response
from web.params import json_ids
from web.state import get_ctx


def _json_object() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise RequestError(400, "json", "expected a JSON object")
    return data


def _version(data: dict[str, Any]) -> int:
    version = data.get("edit_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise RequestError(400, "invalid", "edit_version must be the integer the asset had")
    return version


def _conflict(exc: EditConflictError) -> Response:
    conflicts = {name: {"base": plain(c.base), "mine": plain(c.mine), "current": plain(c.current)}
                 for name, c in exc.conflicts.items()}
    return error_response(409, "conflict", str(exc), conflicts=conflicts,
                          edit_version=exc.current_version)


@bp.patch("/api/v1/assets/<int:asset_id>")
def api_edit_asset(asset_id: int) -> Response:
    """``{"edit_version": 3, "changes": {"caption": "…"}, "base": {…}?}``; 409 on a conflict."""
    get_visible_asset(asset_id)
    data = _json_object()
    changes, base = data.get("changes"), data.get("base")
    if not isinstance(changes, dict) or (base is not None and not isinstance(base, dict)):
        raise RequestError(400, "invalid", "changes (and base, if given) must be objects")
    try:
        with get_ctx().catalog.write() as session:
            asset = edit_asset(session, actor_of(g.user), asset_id, changes, _version(data),
                               base)
            session.flush()
            body = asset_to_dict(asset, with_renditions=False)
    except EditConflictError as exc:
        return _conflict(exc)
    body.pop("document_text", None)
    return jsonify(body)


@bp.post("/api/v1/batch-edits")
def api_batch_edit() -> tuple[Response, int]:
    """``{"asset_ids": [1, 2], "operations": [{"field": "keywords", "op": "add", …}]}``."""
    data = _json_object()
    ids = json_ids(data.get("asset_ids"), "asset_ids", limit=MAX_ASSETS)
    with get_ctx().catalog.write() as session:
        edit = batch_edit(session, actor_of(g.user), ids, data.get("operations"))
        session.flush()
        body = {"id": edit.id, "asset_count": edit.asset_count, "operations": edit.operations,
                "undo_url": url_for("editing.api_undo", batch_edit_id=edit.id)}
    return jsonify(body), 201


@bp.post("/api/v1/batch-edits/<int:batch_edit_id>/undo")
def api_undo(batch_edit_id: int) -> Response:
    with get_ctx().catalog.write() as session:
        report = undo_batch_edit(session, actor_of(g.user), batch_edit_id)
        body = {"id": batch_edit_id, "restored": report.restored,
                "skipped": [{"asset_id": a, "field": f} for a, f in report.skipped]}
    return jsonify(body)
