"""Share links, the editors' side: make a link for a selection or a collection, list, revoke."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dam.curation import shares
from dam.curation.rights import local_to_utc, office_today
from dam.models import Collection, ShareLink, User, utcnow
from publish.shares import shared_view
from web.curation_common import actor_of
from web.errors import RequestError
from web.params import bounded_int
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("shares", __name__)

DEFAULT_DAYS = 7


def _ids(values: list[str]) -> list[int]:
    if len(values) > shares.MAX_ITEMS:
        raise RequestError(400, "invalid", _("Too many items at once."))
    found = [bounded_int(v) for v in values]
    if any(i is None for i in found):
        raise RequestError(400, "invalid", _("A number was expected."))
    return list(dict.fromkeys(i for i in found if i is not None))


def _collection(raw: str | None) -> Collection | None:
    if not raw:
        return None
    collection_id = bounded_int(raw)
    with reading(get_ctx().catalog) as session:
        collection = session.get(Collection, collection_id) if collection_id else None
    if collection is None:
        raise RequestError(404, "not_found", _("That collection does not exist."))
    return collection


@bp.get("/compartir/nuevo")
def new() -> str:
    ids = _ids(request.args.getlist("asset_id"))
    collection = _collection(request.args.get("collection_id"))
    if not ids and collection is None:
        raise RequestError(400, "invalid", _("Select some material first."))
    today = office_today(utcnow())
    return render_template(
        "share_new.html", asset_ids=ids, collection=collection,
        expires=today + dt.timedelta(days=DEFAULT_DAYS),
        latest=today + dt.timedelta(days=shares.MAX_DAYS),
        title=collection.title if collection else "")


def _expiry(raw: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise RequestError(400, "invalid", _("Give the last day the link works.")) from None
    return local_to_utc(dt.datetime.combine(day, dt.time(23, 59, 59)))


@bp.post("/compartir")
def create() -> str:
    form = request.form
    collection = _collection(form.get("collection_id"))
    size = form.get("size", "press")
    if size not in shares.SIZES:
        raise RequestError(400, "invalid", _("Choose a download size."))
    new_share = shares.NewShare(
        title=form.get("title", "")[:500], expires_at=_expiry(form.get("expires", "")),
        asset_ids=_ids(form.getlist("asset_id")) if collection is None else (),
        collection_id=collection.id if collection else None,
        password=form.get("password", "")[:200], size=size,
        watermark=form.get("watermark", "")[:200], message=form.get("message", "")[:2000])
    now = utcnow()
    try:
        with get_ctx().catalog.write() as session:
            link, token = shares.create_share(session, actor_of(g.user), new_share, now)
            title, expires = link.title, link.expires_at
            view = shared_view(session, link, get_ctx().settings, now)
    except shares.ShareError:
        raise RequestError(400, "invalid", _(
            "The link could not be made: check the date (at most %(n)d days) and the material.",
            n=shares.MAX_DAYS)) from None
    return render_template("share_created.html", title=title, expires=expires,
                           url=url_for("shared.page", token=token, _external=True),
                           shown=len(view.items), held=view.held, blackout=view.blackout)


@bp.get("/compartidos")
def index() -> str:
    now = utcnow()
    with reading(get_ctx().catalog) as session:
        links = shares.list_shares(session)
        names = dict(session.execute(select(User.id, User.display_name)).all())
        rows = [{"link": link, "state": shares.share_state(link, now),
                 "count": len(link.asset_ids or []), "by": names.get(link.created_by, "")}
                for link in links]
    return render_template("shares.html", rows=rows)


@bp.post("/compartidos/<int:share_id>/revocar")
def revoke(share_id: int) -> Response:
    with get_ctx().catalog.write() as session:
        link: ShareLink = shares.revoke_share(session, actor_of(g.user), share_id, utcnow())
        title = link.title
    flash(_("The link “%(title)s” no longer opens.", title=title), "success")
    return redirect(url_for("shares.index"))
