"""Share links, the recipient's side: a clean page without signing in, downloads, all audited.

Unknown tokens answer 404 like any missing page; a known token whose link expired or was
revoked answers 404 too, with a page saying so. What the link shows is decided on every
request (publish.shares), so material held back after the link was made never appears.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request, session
from flask_babel import gettext as _

from dam.curation import shares
from dam.curation.rights import OFFICE_TZ, as_utc
from dam.models import ShareLink, utcnow
from publish.shares import SharedItem, SharedView, export_item, shared_view, zip_chunks, zip_name
from web.embed_responses import set_attachment
from web.errors import RequestError
from web.queries import reading
from web.security import client_address
from web.state import get_ctx, state

bp = Blueprint("shared", __name__)

UNLOCKED = "shares_unlocked"  # session key: ids of links whose password this browser gave
PICTURES = ("miniatura", "vista")


def _link(token: str) -> tuple[ShareLink, dt.datetime] | Response:
    """The active link of ``token`` (404 when unknown; a 404 page saying why when it ended)."""
    now = utcnow()
    with reading(get_ctx().catalog) as db:
        link = shares.find_share(db, token)
    if link is None:
        abort(404)
    state = shares.share_state(link, now)
    if state is not shares.ShareState.ACTIVE:
        page = render_template("share_gone.html", state=str(state), link=link)
        return Response(page, status=404, headers={"Cache-Control": "no-store"})
    return link, now


def _unlocked(link: ShareLink) -> bool:
    return link.password_hash is None or link.id in session.get(UNLOCKED, [])


def _open(token: str) -> tuple[ShareLink, SharedView, dt.datetime]:
    found = _link(token)
    if isinstance(found, Response) or not _unlocked(found[0]):
        abort(404)
    link, now = found
    with reading(get_ctx().catalog) as db:
        view = shared_view(db, link, get_ctx().settings, now)
    return link, view, now


def _note(token: str, kind: str, asset_ids: list[int], detail: str | None = None) -> None:
    with get_ctx().catalog.write() as db:
        link = shares.find_share(db, token)
        if link is not None:
            shares.note_use(db, link, kind, utcnow(), asset_ids=asset_ids, detail=detail)


def _page(link: ShareLink, token: str, *, wrong: bool = False) -> Response:
    if not _unlocked(link):
        page = render_template("share_password.html", link=link, token=token, wrong=wrong)
        return Response(page, status=401 if wrong else 200,
                        headers={"Cache-Control": "no-store"})
    with reading(get_ctx().catalog) as db:
        view = shared_view(db, link, get_ctx().settings, utcnow())
    _note(token, "view", [i.asset_id for i in view.items])
    page = render_template("share_page.html", link=link, token=token, view=view)
    return Response(page, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                   "X-Robots-Tag": "noindex"})


@bp.get("/enlace/<token>")
def page(token: str) -> Response:
    found = _link(token)
    return found if isinstance(found, Response) else _page(found[0], token)


@bp.post("/enlace/<token>")
def unlock(token: str) -> Response:
    found = _link(token)
    if isinstance(found, Response):
        return found
    link = found[0]
    limiter, address = state().login_limiter, client_address()
    mine = f"share:{link.id}@{address}"[:200]
    attempt = limiter.reserve({f"share:{link.id}": limiter.per_address,  # counted before
                               mine: limiter.per_account, f"ip:{address}": limiter.per_address},
                              clear=(mine,))
    if attempt.retry_after:
        raise RequestError(429, "too_many_attempts", _(
            "Too many wrong passwords. Try again in %(m)d minutes.",
            m=max(1, attempt.retry_after // 60)), retry_after=attempt.retry_after)
    if not shares.password_matches(link, request.form.get("password", "")[:200]):
        return _page(link, token, wrong=True)  # the attempt stays counted
    limiter.succeed(attempt)
    session[UNLOCKED] = [*session.get(UNLOCKED, [])[-20:], link.id]
    return _page(link, token)


def _item(view: SharedView, asset_id: int) -> SharedItem:
    item = view.item(asset_id)
    if item is None:
        abort(404)
    return item


@bp.get("/enlace/<token>/<kind>/<int:asset_id>.jpg")
def picture(token: str, kind: str, asset_id: int) -> Response:
    """A thumbnail or preview of a shared item (renditions carry no metadata)."""
    _link_, view, _now = _open(token)
    item = _item(view, asset_id)
    key = item.thumb_key if kind == "miniatura" else item.preview_key
    if kind not in PICTURES or key is None:
        abort(404)
    try:
        data = get_ctx().store.read_bytes(key)
    except FileNotFoundError:
        abort(404)
    return Response(data, mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=600"})


@bp.get("/enlace/<token>/descargar/<int:asset_id>")
def download(token: str, asset_id: int) -> Response:
    link, view, _now = _open(token)
    item = _item(view, asset_id)
    data, mime = export_item(get_ctx(), link, item)
    _note(token, "download", [item.asset_id], item.name)
    response = Response(data, mimetype=mime, headers={"Cache-Control": "private, no-store"})
    set_attachment(response, item.name)
    return response


@bp.get("/enlace/<token>/todo.zip")
def download_all(token: str) -> Response:
    link, view, now = _open(token)
    if not view.items:
        abort(404)
    _note(token, "zip", [i.asset_id for i in view.items], "ZIP")
    response = Response(zip_chunks(get_ctx(), link, view.items, now),
                        mimetype="application/zip",
                        headers={"Cache-Control": "private, no-store"})
    set_attachment(response, zip_name(link))
    return response


@bp.context_processor
def _agency() -> dict[str, str]:
    return {"agency": get_ctx().settings.agency_name}


@bp.app_template_filter("office_day")
def office_day(moment: dt.datetime) -> dt.date:
    """The office's calendar day of a moment (a link made "until the 12th" ends that night)."""
    return (as_utc(moment) or moment).astimezone(OFFICE_TZ).date()
