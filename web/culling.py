"""The culling loupe: one photo at a time, full screen, marked with the keyboard.

GET /seleccion/lupa shows a sequence (a batch, an event, a collection, a search or a list of
ids) filtered by marks; loupe.js moves through it and saves each mark with
POST /api/v1/assets/<id>/marks. Without JavaScript the page still works: previous and next are
links and the marks are a small form (POST /seleccion/lupa/marcar).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from dam.curation import culling
from dam.curation.culling import CullError, CullPermissionError, MarkFilter
from dam.models import Asset
from web.access import can_view, visible_clause
from web.culling_items import LoupeItem, load_items
from web.curation_common import actor_of
from web.errors import RequestError
from web.params import bounded_int
from web.redirects import local_path
from web.state import get_ctx, get_search
from web.upload import visible_batch

bp = Blueprint("culling", __name__)

SEARCH_PAGE = 200  # the search service's largest page
LOUPE_PARAMS = ("source", "min_rating", "picks", "color", "volver")


def _bad(message: str) -> RequestError:
    return RequestError(400, "invalid", message)


def _filters(args: MultiDict[str, str]) -> MarkFilter:
    """The mark filter of the URL (?min_rating=3&picks=picked&color=red); bad values are 400."""
    raw_rating = args.get("min_rating", "").strip()
    rating = bounded_int(raw_rating, low=0, high=culling.MAX_RATING)
    if raw_rating and rating is None:
        raise _bad(_("The minimum rating must be a number from 0 to 5."))
    picks = args.get("picks", "").strip() or None
    if picks is not None and picks not in culling.PICKS:
        raise _bad(_("Unknown pick filter."))
    color = args.get("color", "").strip() or None
    colors = (*(c for c in culling.COLOR_CYCLE if c), culling.NO_COLOR)
    if color is not None and color not in colors:
        raise _bad(_("Unknown colour label."))
    return MarkFilter(rating, picks, color)


def _source(args: MultiDict[str, str]) -> str:
    source = args.get("source", "").strip()
    if not source and args.get("ids", "").strip():
        source = "ids:" + args["ids"].strip()
    return source[:20_000]


def _search_ids(query: str) -> list[int]:
    """Asset ids a search finds, by time taken (as many as a loupe holds)."""
    ids: list[int] = []
    page = 1
    while len(ids) < culling.MAX_SEQUENCE:
        results = get_search().search(query, page=page, per_page=SEARCH_PAGE, sort="taken_asc",
                                      facets=False)
        if results.error:
            raise _bad(results.error)
        ids += [hit.asset_id for hit in results.hits]
        if page * SEARCH_PAGE >= results.total or not results.hits:
            break
        page += 1
    return ids


def sequence(source: str, f: MarkFilter) -> list[int]:
    """The asset ids of a source, filtered by marks and by what the user may see."""
    kind, _sep, value = source.partition(":")
    if not _ids_fit(kind, value):
        raise _bad(_("A number was expected."))
    batch_id = bounded_int(value) if kind == "batch" else None
    if batch_id is not None:
        visible_batch(batch_id)  # 404 for another photographer's batch
    try:
        where = culling.filter_clause(f)
        with get_ctx().catalog.read() as session:
            if kind == "search":
                ids = _search_ids(value.strip()[:1000])
                return culling.ordered_ids(session, ids, where, visible_clause(g.user))
            return culling.loupe_sequence(session, source, where, visible_clause(g.user))
    except CullError as exc:
        raise _bad(str(exc)) from None


def _ids_fit(kind: str, value: str) -> bool:
    """Whether the ids of a ``batch:``, ``collection:`` or ``ids:`` source fit the catalog
    (digits past 64 bits, or that only str.isdigit() takes, never reach it)."""
    if kind == "ids":
        return all(bounded_int(part) is not None for part in value.split(",") if part.strip())
    if kind in ("batch", "collection") and value.isdigit():
        return bounded_int(value) is not None
    return True


def _default_back(source: str) -> str:
    kind, _sep, value = source.partition(":")
    try:
        if kind == "batch" and bounded_int(value):
            return url_for("upload.batch", batch_id=bounded_int(value))
        if kind == "event":
            return url_for("browse.event", nombre=value)
        if kind == "search":
            return url_for("search.page", q=value)
        if kind == "collection" and bounded_int(value):
            return url_for("collections.show", collection_id=bounded_int(value))
    except BuildError:
        pass
    return url_for("browse.index")


def loupe_href(args: MultiDict[str, str], **changes: object) -> str:
    """The loupe's URL with its source, filters and way back, and ``changes`` applied."""
    params = {k: args[k] for k in LOUPE_PARAMS if args.get(k)}
    if "source" not in params and _source(args):
        params["source"] = _source(args)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{url_for('culling.loupe')}?{urlencode(params)}"


def _position(ids: list[int], start: str | None) -> int:
    wanted = bounded_int(start)
    return ids.index(wanted) if wanted in ids else 0


def _payload(items: list[LoupeItem], index: int, args: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "items": [item.as_json() for item in items],
        "index": index,
        "marks_url": url_for("culling.api_set_marks", asset_id=0),
        "picked_only": args.get("picks") == "picked",
        "labels": _labels(),
    }


def _labels() -> dict[str, str]:
    """The words loupe.js writes into the page (it has no translations of its own)."""
    return {
        "picked": _("Picked"), "rejected": _("Rejected"), "unmarked": _("Unmarked"),
        "red": _("Red"), "yellow": _("Yellow"), "green": _("Green"), "blue": _("Blue"),
        "purple": _("Purple"), "saving": _("Saving…"), "saved": _("Saved"),
        "failed": _("Not saved: retrying…"), "refused": _("Not saved: %(reason)s"),
        "readonly": _("You may only mark the photos of your own batches."),
        "stars": _("stars"),
    }


@bp.get("/seleccion/lupa")
def loupe() -> str:
    args = request.args
    f = _filters(args)
    source = _source(args)
    ids = sequence(source, f) if source else []
    index = _position(ids, args.get("start"))
    items = load_items(ids, g.user)
    current = items[index] if items else None
    back = local_path(args.get("volver")) or _default_back(source)
    return render_template(
        "loupe.html", items=items, index=index, current=current, source=source, filters=f,
        back=back, payload=_payload(items, index, args),
        prev_href=loupe_href(args, start=items[index - 1].id) if index > 0 else None,
        next_href=loupe_href(args, start=items[index + 1].id)
        if index + 1 < len(items) else None,
        here=loupe_href(args, start=current.id if current else None),
        base_href=loupe_href(args, start=None),
        truncated=len(ids) >= culling.MAX_SEQUENCE,
    )


def _save_marks(asset_id: int, values: dict[str, Any]) -> culling.Marks:
    """One small transaction; 404 for an asset the user cannot see, 403 for one not theirs."""
    try:
        with get_ctx().catalog.write() as session:
            asset = session.get(Asset, asset_id)
            if asset is None or not can_view(g.user, asset):
                abort(404)
            return culling.set_marks(session, actor_of(g.user), asset_id, **values)
    except CullPermissionError:
        raise RequestError(403, "forbidden",
                           _("You may only mark the photos of your own batches.")) from None
    except CullError as exc:
        raise _bad(str(exc)) from None


def _json_marks() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not {"rating", "cull_mark", "color_label"} & set(data):
        raise _bad(_("Send a JSON object with rating, cull_mark or color_label."))
    values = {k: data[k] for k in ("rating", "cull_mark") if data.get(k) is not None}
    if "color_label" in data:  # null clears the label, as "" does
        values["color_label"] = data["color_label"] or ""
    return values


@bp.post("/api/v1/assets/<int:asset_id>/marks")
def api_set_marks(asset_id: int) -> Response:
    marks = _save_marks(asset_id, _json_marks())
    return jsonify(asset_id=asset_id, **marks.as_dict())


def _form_marks(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("rating", "cull_mark"):
        raw = form.get(name, "").strip()
        if raw:
            try:
                values[name] = int(raw)
            except ValueError:
                raise _bad(_("Marks must be numbers.")) from None
    if "color_label" in form:
        values["color_label"] = form["color_label"].strip()
    if not values:
        raise _bad(_("Choose a mark."))
    return values


@bp.post("/seleccion/lupa/marcar")
def mark_form() -> Response:
    asset_id = bounded_int(request.form.get("asset_id"))
    if asset_id is None:
        raise _bad(_("Which photo? The form has no valid asset."))
    _save_marks(asset_id, _form_marks(request.form))
    target = local_path(request.form.get("next")) or url_for("assets.show", asset_id=asset_id)
    return redirect(target, code=303)


@bp.app_template_global("may_cull")
def may_cull(asset: Asset) -> bool:
    """Whether the signed-in user may mark ``asset`` (its batch must be loaded)."""
    user = g.get("user")
    if user is None:
        return False
    owner = asset.batch.user_id if asset.batch is not None else None
    return culling.may_mark(actor_of(user), owner)


@bp.app_template_global("loupe_href_for")
def loupe_href_for(source: str, back: str | None = None) -> str:
    """A link that opens the loupe on a source (``batch:12``, ``event:Name``...)."""
    params = {"source": source}
    if back:
        params["volver"] = back
    return f"{url_for('culling.loupe')}?{urlencode(params)}"
