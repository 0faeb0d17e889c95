"""Grids fed by the search index: one page of results turned into grid items."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import g
from flask_babel import gettext as _

from dam.search.engine import EngineQuery
from dam.search.errors import QuerySyntaxError, SearchIndexError
from dam.search.highlight import Fragment, Highlighter
from dam.search.query import parse_query
from dam.search.service import SearchResults
from web.access import visible_clause
from web.errors import RequestError
from web.params import MAX_ID, query_int
from web.queries import GridItem, grid_items
from web.state import get_ctx, get_search

PER_PAGE = 60
MAX_PAGE = 1000


@dataclass
class Listing:
    results: SearchResults
    items: list[GridItem] = field(default_factory=list)
    partial_items: list[GridItem] = field(default_factory=list)  # some of the words, apart

    @property
    def pages(self) -> int:
        per_page = max(self.results.per_page, 1)
        total = self.results.total or self.results.partial_total
        return max(1, min(MAX_PAGE, math.ceil(total / per_page)))


def page_number() -> int:
    page = query_int("pagina", 1, low=-MAX_ID)
    return min(max(page, 1), MAX_PAGE)


def run_listing(query: str = "", *, filters: dict[str, list[str]] | None = None,
                sort: str = "relevance", facets: bool | tuple[str, ...] = False,
                page: int = 1, per_page: int | None = None) -> Listing:
    results = get_search().search(query, page=page, per_page=per_page or PER_PAGE, sort=sort,
                                  facets=facets, filters=filters)
    ids = [hit.asset_id for hit in results.hits]
    listing = Listing(results, grid_items(get_ctx().catalog, ids, visible_clause(g.user)))
    if results.partial:
        partial = [hit.asset_id for hit in results.partial]
        listing.partial_items = grid_items(get_ctx().catalog, partial, visible_clause(g.user))
    return listing


def raise_for_search_error(results: SearchResults) -> None:
    """A search that could not run, as the JSON API answers it: 503 while the index is being
    rebuilt, 400 for a query that could not be understood."""
    if results.unavailable:
        raise RequestError(503, "search_unavailable", _(
            "Search is not available right now: the index is being rebuilt. Try again in a "
            "moment."))
    if results.error:
        raise RequestError(400, "query", results.error)


def caption_snippets(query: str, items: list[GridItem]) -> dict[int, list[Fragment]]:
    """Where each item's caption has the query's words, marked; items without a hit are left
    out (their title shows)."""
    try:
        marker = Highlighter.of(parse_query(query))
    except QuerySyntaxError:
        return {}
    if not marker:
        return {}
    found = {}
    for item in items:
        fragments = marker.fragments(item.caption)
        if fragments:
            found[item.id] = fragments
    return found


def facet_counts(name: str, limit: int = 1000, query_filter: object = None
                 ) -> list[tuple[str, int]]:
    """Every value of one facet over the whole archive (or a filter), with its count."""
    try:
        engine = get_search().engine()
        found = engine.search(EngineQuery(None, query_filter, "relevance", 0, 1, (name,), limit))
    except SearchIndexError:
        return []
    return found.facets.get(name, [])
