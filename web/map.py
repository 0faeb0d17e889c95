"""The staff map: clustered markers of the GPS positions of a search's matches (Leaflet)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, g, jsonify, render_template, request, url_for
from sqlalchemy import select

from dam.models import Asset
from dam.search.service import MAX_PER_PAGE
from web.access import visible_clause
from web.forms import search_filters
from web.listing import raise_for_search_error
from web.queries import reading
from web.security import _content_security_policy
from web.state import get_ctx, get_search

bp = Blueprint("map", __name__)

MAX_POINTS = 5_000  # markers one map shows at most (the newest matches)
_SEARCH_KEYS = ("pagina", "orden")


def _search_args() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in _SEARCH_KEYS]


def _tile_origin() -> str:
    parts = urlsplit(get_ctx().settings.map_tile_url.replace("{s}", "a"))
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in parts.netloc else parts.netloc
    return f"{parts.scheme}://{host}"


@bp.get("/mapa")
def page() -> Response:
    args = _search_args()
    query = request.args.get("q", "").strip()[:1000]
    html = render_template(
        "map.html", query=query, tile_url=get_ctx().settings.map_tile_url,
        points_url=f"{url_for('map.points')}?{urlencode(args)}",
        search_url=f"{url_for('search.page')}?{urlencode(args)}", limit=MAX_POINTS)
    return Response(html, headers={
        "Content-Security-Policy": _content_security_policy(_tile_origin())})


def _matching_ids(query: str, filters: dict[str, list[str]]) -> tuple[list[int], int]:
    found: list[int] = []
    total, page_number = 0, 1
    while len(found) < MAX_POINTS:
        results = get_search().search(query, page=page_number, per_page=MAX_PER_PAGE,
                                      sort="added_desc", facets=False, filters=filters)
        raise_for_search_error(results)
        if results.corrected:
            break  # "did you mean": not what was asked for
        total = results.total
        found += [hit.asset_id for hit in results.hits]
        if not results.hits or page_number * MAX_PER_PAGE >= total:
            break
        page_number += 1
    return found[:MAX_POINTS], total


@bp.get("/mapa/puntos.json")
def points() -> Response:
    """[id, latitude, longitude, title] of the search's matches that have a position."""
    query, filters = request.args.get("q", "").strip()[:1000], search_filters(request.args)
    has_place = (Asset.gps_latitude.is_not(None), Asset.gps_longitude.is_not(None))
    columns = (Asset.id, Asset.gps_latitude, Asset.gps_longitude, Asset.headline,
               Asset.original_filename)
    with reading(get_ctx().catalog) as session:
        if not query and not filters:  # the whole archive: straight from the catalog
            rows = session.execute(select(*columns).where(*has_place, visible_clause(g.user))
                                   .order_by(Asset.id.desc()).limit(MAX_POINTS)).all()
            total = None
        else:
            ids, total = _matching_ids(query, filters)
            rows = []
            for start in range(0, len(ids), 500):
                rows += session.execute(select(*columns).where(
                    Asset.id.in_(ids[start:start + 500]), *has_place,
                    visible_clause(g.user))).all()
    points_ = [[r.id, round(r.gps_latitude, 6), round(r.gps_longitude, 6),
                r.headline or r.original_filename or f"#{r.id}"] for r in rows]
    return jsonify(points=points_, capped=total is not None and total > MAX_POINTS
                   or len(rows) >= MAX_POINTS, url=url_for("assets.show", asset_id=0)[:-1])
