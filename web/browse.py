"""Browsing: the newest-first grid (keyed pages), the timeline, events and photographers."""

from __future__ import annotations

import calendar
import datetime as dt

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import format_date

from web.access import ROUTES, allowed, visible_clause
from web.listing import facet_counts, page_number, run_listing
from web.params import query_int
from web.queries import browse_page
from web.state import get_ctx

bp = Blueprint("browse", __name__)

PER_PAGE = 60


@bp.app_template_global()
def nav_allowed(endpoint: str) -> bool:
    """Whether the menu offers ``endpoint``: installed, and open to this user (never a 403)."""
    need = ROUTES.get(endpoint)
    return (need is not None and endpoint in current_app.view_functions
            and allowed(g.get("user"), need))


@bp.get("/")
def index() -> str:
    before = query_int("antes")
    page = browse_page(get_ctx().catalog, visible_clause(g.user), before, PER_PAGE)
    return render_template("browse.html", page=page, before=before)


@bp.get("/cronologia")
def timeline() -> str:
    years: dict[str, list[tuple[int, str, int]]] = {}
    for value, count in sorted(facet_counts("month"), reverse=True):
        year, _, month = value.partition("-")
        if not month.isdigit():
            continue
        name = format_date(dt.date(int(year), int(month), 1), "LLLL")
        years.setdefault(year, []).append((int(month), name, count))
    year_counts = dict(facet_counts("year"))
    return render_template("timeline.html", years=years, year_counts=year_counts)


@bp.get("/cronologia/<int:year>/<int:month>")
def month(year: int, month: int) -> str:
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        abort(404)
    listing = run_listing(f"mes:{year:04}-{month:02}", sort="taken_asc", page=page_number())
    title = format_date(dt.date(year, month, 1), "LLLL y")
    days = calendar.monthrange(year, month)[1]
    return render_template("listing.html", listing=listing, title=title, heading_kind="month",
                           subtitle=None, days=days)


@bp.get("/eventos")
def events() -> str:
    return render_template("names.html", names=facet_counts("event"), kind="event")


@bp.get("/evento")
def event() -> str:
    name = request.args.get("nombre", "").strip()
    if not name:
        abort(404)
    listing = run_listing(filters={"event": [name]}, sort="taken_asc", page=page_number())
    if listing.results.total == 0:
        abort(404)
    return render_template("listing.html", listing=listing, title=name, heading_kind="event",
                           subtitle=None)


@bp.get("/fotografos")
def photographers() -> str:
    return render_template("names.html", names=facet_counts("photographer"),
                           kind="photographer")


@bp.get("/fotografo")
def photographer() -> str:
    name = request.args.get("nombre", "").strip()
    if not name:
        abort(404)
    listing = run_listing(filters={"photographer": [name]}, sort="added_desc",
                          page=page_number())
    if listing.results.total == 0:
        abort(404)
    return render_template("listing.html", listing=listing, title=name,
                           heading_kind="photographer", subtitle=None)
