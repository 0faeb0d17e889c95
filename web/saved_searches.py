"""Saved searches: keep the search page's query, list them with what is new, open, delete."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from dam.curation import saved_searches as saved
from dam.curation.rights import as_utc
from dam.models import Asset, SavedSearch, User, utcnow
from dam.search.service import MAX_PER_PAGE
from web.access import visible_clause
from web.errors import RequestError
from web.forms import search_filters
from web.queries import reading
from web.state import get_ctx, get_search

bp = Blueprint("saved_searches", __name__)

NEW_CAP = 999  # "999+" beyond this: counting stops


def search_url(query: str) -> str:
    return f"{url_for('search.page')}?{query}" if query else url_for("search.page")


def count_new(query: str, since: dt.datetime) -> int | None:
    """How many assets matching ``query`` were added after ``since`` (None: it cannot run)."""
    args = MultiDict(parse_qsl(query))
    text, filters = args.get("q", "").strip()[:1000], search_filters(args)
    new, page = 0, 1
    while new < NEW_CAP:
        results = get_search().search(text, page=page, per_page=MAX_PER_PAGE, sort="added_desc",
                                      facets=False, filters=filters)
        if results.error:
            return None
        ids = [hit.asset_id for hit in results.hits]
        if results.corrected or results.relaxed or not ids:
            break
        with reading(get_ctx().catalog) as session:
            found = session.scalar(select(func.count(Asset.id)).where(
                Asset.id.in_(ids), Asset.created_at > since, visible_clause(g.user))) or 0
        new += found
        if found < len(ids) or page * MAX_PER_PAGE >= results.total:
            break  # newest first: the rest are older
        page += 1
    return min(new, NEW_CAP)


def query_words(query: str) -> str:
    """A saved query as people typed it: the words, then each filter as name:value."""
    pairs = parse_qsl(query)
    words = [v for k, v in pairs if k == "q"]
    return " ".join(words + [f"{k}:{v}" for k, v in pairs if k not in ("q", "orden")])


@bp.post("/busquedas-guardadas")
def save() -> Response:
    form = request.form
    try:
        with get_ctx().catalog.write() as session:
            saved.save_search(session, g.user.id, form.get("name", "")[:500],
                              form.get("query", "")[:4000], shared=form.get("shared") == "1",
                              now=utcnow())
    except saved.SavedSearchError:
        raise RequestError(400, "invalid", _(
            "The search could not be saved: give it a name (at most %(n)d searches each).",
            n=saved.MAX_PER_USER)) from None
    flash(_("Search saved."), "success")
    return redirect(url_for("saved_searches.index"))


@bp.get("/busquedas-guardadas")
def index() -> str:
    with reading(get_ctx().catalog) as session:
        rows = saved.visible_searches(session, g.user.id)
        names = dict(session.execute(select(User.id, User.display_name)).all())
    items = [{"saved": s, "mine": s.owner_id == g.user.id, "owner": names.get(s.owner_id, ""),
              "words": query_words(s.query),
              "new": count_new(s.query, as_utc(s.last_seen_at) or utcnow())} for s in rows]
    return render_template("saved_searches.html", items=items, cap=NEW_CAP)


@bp.get("/busquedas-guardadas/<int:search_id>")
def open_search(search_id: int) -> Response:
    """Run the saved search, and remember this visit (what is new is counted from now)."""
    with get_ctx().catalog.write() as session:
        found: SavedSearch = saved.mark_seen(session, search_id, g.user.id, utcnow())
        query = found.query
    return redirect(search_url(query))


@bp.post("/busquedas-guardadas/<int:search_id>/borrar")
def delete(search_id: int) -> Response:
    try:
        with get_ctx().catalog.write() as session:
            saved.delete_search(session, search_id, g.user.id)
    except saved.SavedSearchError:
        raise RequestError(403, "forbidden", _("Only its owner may delete a saved search.")
                           ) from None
    flash(_("Saved search deleted."), "success")
    return redirect(url_for("saved_searches.index"))
