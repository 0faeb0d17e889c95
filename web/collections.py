"""Collections: the list, each album or event page, and the forms that make and order albums."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from dam.curation import collections as coll
from dam.curation.actor import Actor
from dam.enums import CollectionKind
from dam.models import Asset, Collection
from web.access import Need, allowed, visible_clause
from web.auth import safe_next
from web.curation_common import actor_of
from web.errors import RequestError
from web.params import query_int
from web.queries import grid_items, reading
from web.state import get_ctx

bp = Blueprint("collections", __name__)

PER_PAGE = 60
PER_INDEX = 60
MAX_IDS = 10_000
T = TypeVar("T")


def _change(action: Callable[[Session, Actor], T]) -> T:
    """Run a change in one transaction; a refusal of the service becomes 403 or 400."""
    try:
        with get_ctx().catalog.write() as session:
            return action(session, actor_of(g.user))
    except coll.CollectionPermissionError:
        abort(403)
    except coll.CollectionError as exc:
        raise RequestError(400, "invalid", str(exc)) from None


def _int(value: str | None) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise RequestError(400, "invalid", _("A number was expected.")) from None
    if not 0 < number < 2**62:
        raise RequestError(400, "invalid", _("A number was expected."))
    return number


def _asset_ids() -> list[int]:
    values = request.form.getlist("asset_id")
    if not values:
        raise RequestError(400, "invalid", _("Select some material first."))
    if len(values) > MAX_IDS:
        raise RequestError(400, "invalid", _("Too many items at once."))
    return [_int(v) for v in values]


def _load(collection_id: int) -> Collection:
    with reading(get_ctx().catalog) as session:
        return coll.get_collection(session, collection_id)  # NotFoundError: 404


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next") or default))


@bp.get("/colecciones")
def index() -> str:
    before = query_int("antes")
    visible = visible_clause(g.user)
    with reading(get_ctx().catalog) as session:
        found = coll.list_collections(session, before=before, limit=PER_INDEX + 1,
                                      visible=visible)
    summaries = found[:PER_INDEX]
    cover_ids = [s.cover_asset_id for s in summaries if s.cover_asset_id]
    covers = {i.id: i for i in grid_items(get_ctx().catalog, cover_ids, visible)}
    next_before = summaries[-1].id if len(found) > PER_INDEX else None
    return render_template("collection_index.html", summaries=summaries, covers=covers,
                           before=before, next_before=next_before)


@bp.get("/colecciones/<int:collection_id>")
def show(collection_id: int) -> str:
    after = query_int("despues")
    visible = visible_clause(g.user)
    with reading(get_ctx().catalog) as session:
        collection = coll.get_collection(session, collection_id)
        page = coll.collection_assets(session, collection, after, PER_PAGE, visible)
        (summary,) = coll.summarize(session, [collection], visible)
    items = grid_items(get_ctx().catalog, page.asset_ids, visible)
    return render_template("collection.html", collection=collection, summary=summary,
                           items=items, after=after, next_after=page.next_after,
                           is_album=collection.kind == CollectionKind.ALBUM)


def _form_text(name: str, limit: int) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        raise RequestError(400, "invalid", _("The field %(name)s is too long (at most %(n)d "
                                             "characters).", name=name, n=limit))
    return value


@bp.route("/colecciones/nueva", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("collection_form.html", collection=None, members=[])
    title = _form_text("title", coll.TITLE_MAX)
    description = _form_text("description", coll.DESCRIPTION_MAX)
    if not title.strip():
        flash(_("The album needs a title."), "error")
        return render_template("collection_form.html", collection=None, members=[],
                               title=title, description=description), 400
    created = _change(lambda s, a: coll.create_album(s, a, title, description).id)
    flash(_("Album created."), "info")
    return redirect(url_for("collections.show", collection_id=created))


def _cover_choices(collection: Collection) -> list:  # type: ignore[type-arg]
    visible = visible_clause(g.user)
    with reading(get_ctx().catalog) as session:
        ids = coll.collection_assets(session, collection, limit=200, visible=visible).asset_ids
    if collection.cover_asset_id and collection.cover_asset_id not in ids:
        ids.append(collection.cover_asset_id)  # keep a cover chosen further down the album
    return grid_items(get_ctx().catalog, ids, visible)


@bp.route("/colecciones/<int:collection_id>/editar", methods=["GET", "POST"])
def edit(collection_id: int) -> Response | str | tuple[str, int]:
    collection = _load(collection_id)
    if request.method == "GET":
        return render_template("collection_form.html", collection=collection,
                               members=_cover_choices(collection))
    title = _form_text("title", coll.TITLE_MAX)
    description = _form_text("description", coll.DESCRIPTION_MAX)
    cover = request.form.get("cover_asset_id", "")
    if not title.strip():
        flash(_("The album needs a title."), "error")
        return render_template("collection_form.html", collection=collection,
                               members=_cover_choices(collection), title=title,
                               description=description), 400
    _change(lambda s, a: coll.update(
        s, a, collection_id, title=title, description=description,
        cover_asset_id=_int(cover) if cover else None, clear_cover=not cover,
    ))
    flash(_("Saved."), "info")
    return redirect(url_for("collections.show", collection_id=collection_id))


@bp.post("/colecciones/<int:collection_id>/borrar")
def delete(collection_id: int) -> Response:
    _load(collection_id)
    _change(lambda s, a: coll.delete(s, a, collection_id))
    flash(_("The collection was deleted; its material stays in the archive."), "info")
    return redirect(url_for("collections.index"))


def _target_collection(session: Session, actor: Actor) -> Collection:
    new_title = request.form.get("new_title", "").strip()
    if new_title:
        return coll.create_album(session, actor, new_title)
    if not request.form.get("collection_id"):
        raise RequestError(400, "invalid", _("Choose an album, or give a title for a new one."))
    return coll.get_collection(session, _int(request.form.get("collection_id")))


@bp.post("/colecciones/agregar")
def add_items() -> Response:
    ids = _asset_ids()

    def add(session: Session, actor: Actor) -> tuple[int, str, int]:
        target = _target_collection(session, actor)
        return target.id, target.title, len(coll.add_items(session, actor, target.id, ids))

    collection_id, title, added = _change(add)
    if _wants_json():
        return jsonify(collection_id=collection_id, added=added,
                       url=url_for("collections.show", collection_id=collection_id))
    flash(ngettext("%(num)d item added to %(title)s.", "%(num)d items added to %(title)s.",
                   added, title=title), "info")
    return _back(url_for("collections.show", collection_id=collection_id))


@bp.post("/colecciones/<int:collection_id>/quitar")
def remove_items(collection_id: int) -> Response:
    _load(collection_id)
    ids = _asset_ids()
    removed = _change(lambda s, a: coll.remove_items(s, a, collection_id, ids))
    if len(removed) < len(ids):
        flash(_("Material of the event itself stays in its collection; change its event "
                "to take it out."), "error")
    flash(ngettext("%(num)d item removed.", "%(num)d items removed.", len(removed)), "info")
    return _back(url_for("collections.show", collection_id=collection_id))


@bp.post("/colecciones/<int:collection_id>/ordenar")
def reorder(collection_id: int) -> Response:
    """The full order (repeated asset_id), a page's order (``within``), or one move."""
    _load(collection_id)
    ids = _asset_ids()
    direction = request.form.get("direction")
    if direction:
        if direction not in ("up", "down") or len(ids) != 1:
            raise RequestError(400, "invalid", _("Move one item up or down."))
        steps = -1 if direction == "up" else 1
        _change(lambda s, a: coll.move_item(s, a, collection_id, ids[0], steps))
    else:
        within = request.form.get("within") == "1"
        _change(lambda s, a: coll.reorder(s, a, collection_id, ids, within=within))
    if _wants_json():
        return jsonify(ok=True)
    return _back(url_for("collections.show", collection_id=collection_id))


@bp.post("/colecciones/<int:collection_id>/portada")
def set_cover(collection_id: int) -> Response:
    _load(collection_id)
    raw = request.form.get("asset_id", "")
    cover = _int(raw) if raw else None
    _change(lambda s, a: coll.update(s, a, collection_id, cover_asset_id=cover,
                                     clear_cover=cover is None))
    flash(_("The cover was changed."), "info")
    return _back(url_for("collections.show", collection_id=collection_id))


@bp.post("/eventos/coleccion")
def from_event() -> Response:
    event = request.form.get("event", "").strip()
    if not event:
        raise RequestError(400, "invalid", _("Which event?"))
    found = _change(lambda s, a: coll.event_collection(s, event, create=True, actor=a))
    assert found is not None
    return redirect(url_for("collections.show", collection_id=found.id))


@bp.app_template_global()
def asset_collections(asset: Asset) -> list[Collection]:
    """The collections an asset belongs to, for its page."""
    with reading(get_ctx().catalog) as session:
        return coll.collections_of(session, asset.id)


@bp.app_template_global()
def album_choices() -> list[tuple[int, str]]:
    """Albums for the "add to album" menus (only editors get them)."""
    if not allowed(g.get("user"), Need.EDIT):
        return []
    with reading(get_ctx().catalog) as session:
        return coll.album_choices(session)
