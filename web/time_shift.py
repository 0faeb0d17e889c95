"""Capture time correction for a batch: choose the shift, preview it, apply it, undo it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dam.curation import time_shift as ts
from dam.models import Asset
from web.curation_common import actor_of
from web.errors import RequestError
from web.params import bounded_int
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("time_shift", __name__)

PREVIEW_ROWS = 60


def _bounded(name: str, high: int) -> int:
    raw = request.args.get(name, "").strip() or "0"
    found = bounded_int(raw, low=0, high=high)
    if found is None:
        raise RequestError(400, "invalid", _("A number was expected."))
    return found


def _requested_delta(batch_id: int) -> dt.timedelta | None:
    """The shift the form asks for (None: the form was not filled yet)."""
    mode = request.args.get("modo")
    if mode == "desfase":
        delta = dt.timedelta(days=_bounded("dias", 3650), hours=_bounded("horas", 23),
                             minutes=_bounded("minutos", 59))
        return -delta if request.args.get("signo") == "-" else delta
    if mode == "hora":
        asset_id = bounded_int(request.args.get("asset_id"))
        try:
            taken = dt.datetime.fromisoformat(request.args.get("hora", "").strip()[:40])
        except ValueError:
            raise RequestError(400, "invalid", _("Give the date and time the photo was taken."
                                                 )) from None
        if asset_id is None:
            raise RequestError(400, "invalid", _("Choose a photo."))
        with reading(get_ctx().catalog) as session:
            return ts.delta_to(session, batch_id, asset_id, taken)
    return None


def _anchors(batch_id: int) -> list[tuple[int, str, dt.datetime]]:
    with reading(get_ctx().catalog) as session:
        rows = session.execute(select(Asset.id, Asset.original_filename, Asset.taken_at).where(
            Asset.batch_id == batch_id, Asset.taken_at.is_not(None))
            .order_by(Asset.taken_at, Asset.id).limit(500)).all()
    return [(r.id, r.original_filename, r.taken_at) for r in rows]


@bp.get("/cargas/<int:batch_id>/corregir-hora")
def form(batch_id: int) -> str:
    actor = actor_of(g.user)
    try:
        delta = _requested_delta(batch_id)
        with reading(get_ctx().catalog) as session:
            plan = ts.plan_shift(session, actor, batch_id, delta or dt.timedelta())
    except ts.TimeShiftError:
        raise RequestError(400, "invalid", _(
            "That correction cannot be made: the photo has no capture time, or the shift is "
            "larger than ten years.")) from None
    return render_template("time_shift.html", batch_id=batch_id, plan=plan,
                           preview=delta is not None, rows=plan.items[:PREVIEW_ROWS],
                           anchors=_anchors(batch_id), seconds=int(plan.delta.total_seconds()),
                           args=request.args)


@bp.post("/cargas/<int:batch_id>/corregir-hora")
def apply(batch_id: int) -> Response:
    seconds = bounded_int(request.form.get("segundos", "").lstrip("-"), low=1,
                          high=int(ts.MAX_SHIFT.total_seconds()))
    if seconds is None:
        raise RequestError(400, "invalid", _("A number was expected."))
    if request.form.get("segundos", "").startswith("-"):
        seconds = -seconds
    try:
        with get_ctx().catalog.write() as session:
            shift_id = ts.apply_shift(session, actor_of(g.user), batch_id,
                                      dt.timedelta(seconds=seconds))
    except ts.TimeShiftError:
        raise RequestError(409, "nothing_to_do", _("There is nothing to correct.")) from None
    return redirect(url_for("time_shift.result", shift_id=shift_id))


@bp.get("/correcciones-de-hora/<int:shift_id>")
def result(shift_id: int) -> str:
    with reading(get_ctx().catalog) as session:
        summary = ts.shift_summary(session, actor_of(g.user), shift_id)
        undone = ts.is_undone(session, shift_id)
        data = dict(summary.new_value or {})
    return render_template("time_shift_done.html", shift_id=shift_id, undone=undone,
                           batch_id=data.get("batch_id"), count=len(data.get("asset_ids", [])),
                           delta=dt.timedelta(seconds=int(data.get("seconds", 0))))


@bp.post("/correcciones-de-hora/<int:shift_id>/deshacer")
def undo(shift_id: int) -> Response:
    try:
        with get_ctx().catalog.write() as session:
            report = ts.undo_shift(session, actor_of(g.user), shift_id)
    except ts.TimeShiftError:
        raise RequestError(409, "already_undone", _("This correction was already undone.")
                           ) from None
    flash(_("Capture times restored: %(n)d.", n=report.restored), "success")
    if report.skipped:
        flash(_("%(n)d left as they are: their time changed again since.",
                n=len(report.skipped)), "warning")
    return redirect(url_for("time_shift.result", shift_id=shift_id))


@bp.app_template_filter("shift")
def shift_words(delta: dt.timedelta) -> str:
    """"+2 h 30 min", "−1 día 3 h": a shift as people read it."""
    sign = "−" if delta < dt.timedelta() else "+"
    total = abs(int(delta.total_seconds())) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    parts = ([_("%(n)d d", n=days)] if days else []) + ([f"{hours} h"] if hours else []) + (
        [f"{minutes} min"] if minutes or not (days or hours) else [])
    return sign + " ".join(parts)
