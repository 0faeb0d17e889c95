"""The search page: one box for the query language, facets, removable filter chips, sorting."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from web.forms import FACET_PARAMS, SIDEBAR_FACETS, search_filters
from web.links import search_href
from web.listing import caption_snippets, page_number, run_listing

bp = Blueprint("search", __name__)

SORTS = ("relevance", "taken_desc", "taken_asc", "added_desc")


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    active: bool
    url: str


@dataclass(frozen=True)
class Chip:
    facet: str
    value: str
    remove_url: str


def _url(args: MultiDict[str, str], **changes: object) -> str:
    """This search's URL with changes; any change of filters starts again on page 1."""
    params = MultiDict(args)
    params.pop("pagina", None)
    for key, value in changes.items():
        params.poplist(key)
        if isinstance(value, list):
            params.setlist(key, value)
        elif value not in (None, ""):
            params[key] = str(value)
    return search_href(params.items(multi=True))


def _toggle(args: MultiDict[str, str], param: str, value: str) -> str:
    values = args.getlist(param)
    new = [v for v in values if v != value] if value in values else [*values, value]
    return _url(args, **{param: new})


def _sidebar(args: MultiDict[str, str], facets: dict[str, list[tuple[str, int]]]
             ) -> dict[str, list[FacetValue]]:
    sidebar = {}
    for facet in SIDEBAR_FACETS:
        param = FACET_PARAMS[facet]
        active = set(args.getlist(param))
        values = [FacetValue(v, n, v in active, _toggle(args, param, v))
                  for v, n in facets.get(facet, [])]
        if values:
            sidebar[facet] = values
    return sidebar


@bp.get("/buscar")
def page() -> tuple[str, int]:
    args = request.args
    query = args.get("q", "").strip()[:1000]
    sort = args.get("orden", "relevance" if query else "added_desc")
    if sort not in SORTS:
        sort = "relevance"
    filters = search_filters(args)
    listing = run_listing(query, filters=filters, sort=sort, facets=SIDEBAR_FACETS,
                          page=page_number())
    chips = [Chip(facet, value, _toggle(args, FACET_PARAMS[facet], value))
             for facet, values in filters.items() for value in values]
    pages = {
        "prev": _url(args, pagina=listing.results.page - 1) if listing.results.page > 1 else None,
        "next": _url(args, pagina=listing.results.page + 1)
        if listing.results.page < listing.pages else None,
    }
    return render_template(
        "search.html", query=query, listing=listing, sort=sort, sorts=SORTS, chips=chips,
        snippets=caption_snippets(query, listing.items),
        sidebar=_sidebar(args, listing.results.facets), pages=pages,
        suggestion_url=_url(args, q=listing.results.suggestion)
        if listing.results.suggestion else None,
        clear_url=url_for("search.page", q=query) if chips else None,
        hidden=[(k, v) for k in FACET_PARAMS.values() for v in args.getlist(k)],
    ), 503 if listing.results.unavailable else 200
