"""The publishing part of the OpenAPI document: press kits, social formats, the gallery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

POINT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["x"],
    "description": "Point of interest as fractions of the upright picture (0 = left/top, "
                   "1 = right/bottom); `{\"x\": null}` goes back to the automatic guess.",
    "properties": {"x": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                   "y": {"type": ["number", "null"], "minimum": 0, "maximum": 1}},
}


def _presskit(op: Callable[..., dict[str, Any]], path: Callable[..., dict[str, Any]]
              ) -> dict[str, Any]:
    kit = op("A collection's press kit: a ZIP streamed as it is made, with press-size JPEGs "
             "(caption, credit, copyright and licence embedded; no GPS), pies_de_foto.txt "
             "(UTF-8, CRLF) and LICENCIA.txt. Restricted or unapproved material is left out; "
             "header X-Acervo-Held-Back says how many", params=[path("collection_id")])
    kit["responses"]["200"] = {
        "description": "The ZIP (Content-Disposition: attachment)",
        "headers": {"X-Acervo-Held-Back": {"schema": {"type": "integer"},
                                           "description": "assets held back from the kit"}},
        "content": {"application/zip": {}}}
    kit["responses"]["409"] = {"description": "refused: an electoral blackout is in force "
                               "(error `blackout`), or nothing may go (`nothing_to_send`, with "
                               "`held`: asset ids and reasons)",
                               "content": {"application/json": {}}}
    return kit


def _point(op: Callable[..., dict[str, Any]], path: Callable[..., dict[str, Any]]
           ) -> dict[str, Any]:
    put = op("Set an asset's point of interest (where social-format crops centre), or reset "
             "it to the automatic guess; editors only, audited",
             params=[path("asset_id")])
    put["requestBody"] = {"required": True, "content": {"application/json": {
        "schema": POINT_SCHEMA}}}
    put["responses"]["200"] = {"description": "The point now in force (x, y null: automatic)",
                               "content": {"application/json": {}}}
    return put


def publishing_paths(op: Callable[..., dict[str, Any]], path: Callable[..., dict[str, Any]],
                     q: Callable[..., dict[str, Any]],
                     json_body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Paths of the publishing routes, built with openapi.py's helpers (``op``, ``path`` ...)."""
    return {
        "/collections/{collection_id}/presskit": {"get": _presskit(op, path)},
        "/assets/{asset_id}/poi": {"put": _point(op, path)},
    }
