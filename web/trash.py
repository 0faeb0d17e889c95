"""The Papelera (editors) and legal erasure (admins): pages over dam.curation.trash and .erasure.

Moving to the trash is confirmed on a page of its own (a selection arrives by GET, like a share
link's), restoring is one button, emptying and erasing are for admins and ask again.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from dam.curation import erasure, trash
from dam.models import Asset, utcnow
from web.curation_common import actor_of
from web.errors import RequestError
from web.housekeeping import removal_stores
from web.params import bounded_int, query_int
from web.queries import grid_items, reading
from web.redirects import safe_next
from web.state import get_ctx

bp = Blueprint("trash", __name__)

MAX_ITEMS = 1000
PER_PAGE = 100


@bp.app_template_global()
def trash_span() -> dt.timedelta:
    """How long material stays restorable in the trash (the asset page's banner)."""
    return dt.timedelta(days=get_ctx().settings.trash_days)


def _ids(values: list[str]) -> list[int]:
    if len(values) > MAX_ITEMS:
        raise RequestError(400, "invalid", _("Too many items at once."))
    found = [bounded_int(v) for v in values]
    if any(i is None for i in found):
        raise RequestError(400, "invalid", _("A number was expected."))
    return list(dict.fromkeys(i for i in found if i is not None))


@bp.get("/papelera")
def index() -> str:
    page = max(query_int("pagina") or 1, 1)
    days = get_ctx().settings.trash_days
    with reading(get_ctx().catalog) as session:
        items, total = trash.list_trash(session, days, limit=PER_PAGE,
                                        offset=(page - 1) * PER_PAGE)
    thumbs = {i.id: i for i in grid_items(get_ctx().catalog, [i.asset_id for i in items],
                                          Asset.trashed_at.is_not(None))}
    return render_template("trash.html", items=items, thumbs=thumbs, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), days=days, now=utcnow())


@bp.get("/papelera/mover")
def confirm() -> str:
    ids = _ids(request.args.getlist("asset_id"))
    if not ids:
        raise RequestError(400, "invalid", _("Select some material first."))
    preview = grid_items(get_ctx().catalog, ids[:60], Asset.trashed_at.is_(None))
    return render_template("trash_confirm.html", asset_ids=ids, preview=preview,
                           days=get_ctx().settings.trash_days,
                           back=safe_next(request.args.get("volver"), url_for("browse.index")))


@bp.post("/papelera/mover")
def move() -> Response:
    ids = _ids(request.form.getlist("asset_id"))
    with get_ctx().catalog.write() as session:
        result = trash.trash_assets(session, actor_of(g.user), ids)
    days = get_ctx().settings.trash_days
    flash(ngettext("%(num)d item moved to the trash; it can be restored for %(days)d days.",
                   "%(num)d items moved to the trash; they can be restored for %(days)d days.",
                   len(result.changed), days=days), "success")
    back = request.form.get("volver")
    if back and len(ids) == 1 and back.rstrip("/").endswith(f"/{ids[0]}"):
        back = None  # the asset's own page is gone from view: go to the trash instead
    return redirect(safe_next(back, url_for("trash.index")))


@bp.post("/papelera/restaurar")
def restore() -> Response:
    ids = _ids(request.form.getlist("asset_id"))
    with get_ctx().catalog.write() as session:
        result = trash.restore_assets(session, actor_of(g.user), ids)
    flash(ngettext("%(num)d item restored.", "%(num)d items restored.", len(result.changed)),
          "success")
    if len(result.changed) == 1 and request.form.get("a_la_ficha"):
        return redirect(url_for("assets.show", asset_id=result.changed[0]))
    return redirect(url_for("trash.index"))


@bp.post("/papelera/vaciar")
def empty() -> Response:
    if request.form.get("entiendo") != "1":
        raise RequestError(400, "invalid", _("Confirm that this cannot be undone."))
    ids = _ids(request.form.getlist("asset_id")) or None
    report = trash.empty_trash(get_ctx().catalog, removal_stores(get_ctx()), actor_of(g.user),
                               ids)
    flash(ngettext("%(num)d item deleted for good.", "%(num)d items deleted for good.",
                   len(report.purged)), "success")
    return redirect(url_for("trash.index"))


@bp.get("/material/<int:asset_id>/borrado-legal")
def erase_form(asset_id: int) -> str:
    with reading(get_ctx().catalog) as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            abort(404)
        title = asset.headline or asset.original_filename
    thumb = grid_items(get_ctx().catalog, [asset_id], Asset.id == asset_id)
    return render_template("erase_form.html", asset_id=asset_id, title=title,
                           thumb=thumb[0] if thumb else None, reason="",
                           minimum=erasure.MIN_REASON)


@bp.post("/material/<int:asset_id>/borrado-legal")
def erase(asset_id: int) -> Response | tuple[str, int]:
    reason = request.form.get("motivo", "")[:4000]
    if request.form.get("entiendo") != "1" or len(" ".join(reason.split())) < erasure.MIN_REASON:
        with reading(get_ctx().catalog) as session:
            asset = session.get(Asset, asset_id)
            if asset is None:
                abort(404)
            title = asset.headline or asset.original_filename
        flash(_("Write the reason (at least %(n)d characters) and confirm that this cannot be "
                "undone.", n=erasure.MIN_REASON), "error")
        return render_template("erase_form.html", asset_id=asset_id, title=title, thumb=None,
                               reason=reason, minimum=erasure.MIN_REASON), 400
    try:
        report = erasure.erase_asset(get_ctx().catalog, removal_stores(get_ctx()),
                                     actor_of(g.user), asset_id, reason)
    except erasure.ErasureError as exc:
        if exc.code == "missing":
            abort(404)
        raise RequestError(409, "conflict", _(
            "The same file is also the original of material %(ids)s: erase that too, first.",
            ids=", ".join(map(str, exc.others)))) from None
    flash(_("Material %(id)d was erased by legal mandate. The public gallery drops it at its "
            "next publication.", id=report.asset_id), "success")
    return redirect(url_for("trash.index"))
