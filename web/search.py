"""The search page: one box for the query language, facets, removable filter chips, sorting."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from dam.models import Asset
from dam.search.service import MAX_PER_PAGE
from web.access import visible_clause
from web.facet_text import FacetText
from web.forms import FACET_PARAMS, SIDEBAR_FACETS, search_filters
from web.i18n import fmt_number
from web.links import search_href
from web.listing import (
    Listing,
    caption_snippets,
    page_number,
    raise_for_search_error,
    run_listing,
)
from web.ocr_view import page_hits
from web.queries import reading
from web.state import get_ctx, get_search

bp = Blueprint("search", __name__)

SORTS = ("relevance", "taken_desc", "taken_asc", "added_desc")
SELECT_ALL_LIMIT = 2000  # "select all results" takes at most this many into the selection


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    active: bool
    url: str
    label: str  # the value as the UI names it
    count_text: str  # the count, formatted for the page's language


@dataclass(frozen=True)
class Chip:
    facet: str
    value: str
    remove_url: str
    label: str


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


class _Toggles:
    """The URLs that add or remove one filter value, as ``_url`` makes them (page 1; the
    toggled parameter last), with the rest of the query encoded once per parameter and each
    value once: a sidebar has dozens of values."""

    def __init__(self, args: MultiDict[str, str]) -> None:
        self.pairs = [(k, v) for k, v in args.items(multi=True) if k != "pagina"]
        self.rest: dict[str, str] = {}
        self.encoded: dict[tuple[str, str], str] = {}

    def url(self, param: str, value: str) -> str:
        values = [v for k, v in self.pairs if k == param]
        new = [v for v in values if v != value] if value in values else [*values, value]
        rest = self.rest.get(param)
        if rest is None:
            rest = self.rest[param] = search_href([(k, v) for k, v in self.pairs if k != param])
        toggled = "&".join(self._pair(param, v) for v in new)
        if not toggled:
            return rest
        return f"{rest}{'&' if '?' in rest else '?'}{toggled}"

    def _pair(self, param: str, value: str) -> str:
        found = self.encoded.get((param, value))
        if found is None:
            found = self.encoded[(param, value)] = search_href([(param, value)]).partition(
                "?")[2]
        return found


def _sidebar(args: MultiDict[str, str], toggles: _Toggles, names: FacetText,
             facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[FacetValue]]:
    sidebar = {}
    for facet in SIDEBAR_FACETS:
        param = FACET_PARAMS[facet]
        active = set(args.getlist(param))
        values = [FacetValue(v, n, v in active, toggles.url(param, v), names.value(facet, v),
                             fmt_number(n))
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
    toggles, names = _Toggles(args), FacetText()
    chips = [Chip(facet, value, toggles.url(FACET_PARAMS[facet], value),
                  names.value(facet, value))
             for facet, values in filters.items() for value in values]
    date_chips = [Chip("date", d.text, _url(args, q=" ".join(query.replace(d.text, " ", 1)
                                                                .split())), d.text)
                  for d in listing.results.dates]
    pages = {
        "prev": _url(args, pagina=listing.results.page - 1) if listing.results.page > 1 else None,
        "next": _url(args, pagina=listing.results.page + 1)
        if listing.results.page < listing.pages else None,
    }
    return render_template(
        "search.html", query=query, listing=listing, sort=sort, sorts=SORTS, chips=chips,
        date_chips=date_chips,
        snippets=caption_snippets(query, listing.items),
        partial_snippets=caption_snippets(query, listing.partial_items),
        page_hits=page_hits(query, listing.items + listing.partial_items),
        sidebar=_sidebar(args, toggles, names, listing.results.facets), pages=pages,
        suggestion_url=_url(args, q=listing.results.suggestion)
        if listing.results.suggestion else None,
        clear_url=url_for("search.page", q=query) if chips else None,
        hidden=[(k, v) for k in FACET_PARAMS.values() for v in args.getlist(k)],
        select_all=_select_all(args, listing.results.total, len(listing.items)),
    ), _status(listing)


def _status(listing: Listing) -> int:
    """503 while the index is rebuilt, 400 for a query that could not be understood (too
    complex, malformed): the page still shows the box, the message and the filters."""
    if listing.results.unavailable:
        return 503
    return 400 if listing.results.error else 200


def _select_all(args: MultiDict[str, str], total: int, shown: int) -> dict[str, object] | None:
    """The "select all results" button, when the results go beyond this page."""
    if total <= shown:
        return None
    params = [(k, v) for k, v in args.items(multi=True) if k not in ("pagina", "orden")]
    return {"url": f"{url_for('search.all_ids')}?{urlencode(params)}", "total": total,
            "limit": SELECT_ALL_LIMIT}


@bp.get("/buscar/todos.json")
def all_ids() -> Response:
    """The ids of every result of a search (up to SELECT_ALL_LIMIT), for the selection."""
    args = request.args
    query, filters = args.get("q", "").strip()[:1000], search_filters(args)
    found: list[int] = []
    total, page = 0, 1
    while len(found) < SELECT_ALL_LIMIT:
        results = get_search().search(query, page=page, per_page=MAX_PER_PAGE, facets=False,
                                      filters=filters)
        raise_for_search_error(results)
        total = results.total
        found += [hit.asset_id for hit in results.hits]
        if not results.hits or page * MAX_PER_PAGE >= total:
            break
        page += 1
    found = found[:SELECT_ALL_LIMIT]
    with reading(get_ctx().catalog) as session:  # still there, and visible to this account
        present = set(session.scalars(select(Asset.id).where(
            Asset.id.in_(found), visible_clause(g.user))))
    return jsonify(ids=[i for i in found if i in present], total=total,
                   capped=total > SELECT_ALL_LIMIT)
