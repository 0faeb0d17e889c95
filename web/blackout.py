"""Admin pages for electoral blackouts (veda electoral) and their audited exceptions."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dam.curation.rights import as_utc, local_to_utc
from dam.enums import BlackoutException
from dam.models import BlackoutPeriod, Collection, utcnow
from dam.publishing import blackout as veda
from web.auth import safe_next
from web.curation_common import actor_of
from web.errors import RequestError
from web.queries import reading
from web.state import get_ctx

log = logging.getLogger(__name__)

bp = Blueprint("blackout", __name__)

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass
class PeriodRow:
    """A period as the admin page lists it: past, current or future."""

    period: BlackoutPeriod
    when: str  # "past", "current", "future"


def _rows(periods: list[BlackoutPeriod], now: dt.datetime) -> list[PeriodRow]:
    rows = []
    for period in periods:
        start, end = as_utc(period.starts_at), as_utc(period.ends_at)
        assert start is not None and end is not None
        when = "past" if end <= now else "future" if start > now else "current"
        rows.append(PeriodRow(period, when))
    return rows


def _excepted() -> list[Collection]:
    with reading(get_ctx().catalog) as session:
        return list(session.scalars(select(Collection)
                                    .where(Collection.blackout_exception.is_not(None))
                                    .order_by(Collection.title)))


def _page(status: int = 200, form: dict[str, str] | None = None) -> tuple[str, int]:
    now = utcnow()
    with reading(get_ctx().catalog) as session:
        periods = list(veda.list_periods(session))
    return render_template("blackout.html", rows=_rows(periods, now), form=form or {},
                           excepted=_excepted()), status


def parse_local(value: str | None) -> dt.datetime | None:
    """A datetime-local field (Mexico City wall-clock time) as aware UTC, None if unreadable."""
    text = (value or "").strip()
    for fmt in LOCAL_FORMATS:
        try:
            return local_to_utc(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


@bp.get("/admin/veda")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/admin/veda")
def add() -> Response | tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("starts_at", "ends_at", "reason", "notice")}
    start, end = parse_local(form["starts_at"]), parse_local(form["ends_at"])
    if start is None or end is None:
        flash(_("Give the start and the end as a date and time."), "error")
        return _page(400, form)
    try:
        with get_ctx().catalog.write() as session:
            veda.add_period(session, actor_of(g.user), start, end, form["reason"],
                            form["notice"] or None)
    except veda.BlackoutPermissionError:
        abort(403)
    except veda.BlackoutError as exc:
        flash(_message(exc), "error")
        return _page(400, form)
    flash(_("Blackout period added."), "info")
    return redirect(url_for("blackout.index"), 303)


def _message(exc: veda.BlackoutError) -> str:
    words = {
        "order": _("The blackout must end after it starts."),
        "required": _("Write the reason for the blackout (for example, the electoral process)."),
        "too_long": _("The reason or the notice is too long."),
    }
    return words.get(exc.code, str(exc))


@bp.post("/admin/veda/<int:period_id>/borrar")
def delete(period_id: int) -> Response:
    with reading(get_ctx().catalog) as session:
        if session.get(BlackoutPeriod, period_id) is None:
            abort(404)
    if request.form.get("confirm") != "1":
        flash(_("Tick the box to confirm that the period should be deleted."), "error")
        return redirect(url_for("blackout.index"), 303)
    try:
        with get_ctx().catalog.write() as session:
            veda.remove_period(session, actor_of(g.user), period_id)
    except veda.BlackoutPermissionError:
        abort(403)
    flash(_("Blackout period deleted."), "info")
    return redirect(url_for("blackout.index"), 303)


def _exception_kind(value: str | None) -> BlackoutException | None:
    if not value:
        return None
    try:
        return BlackoutException(value)
    except ValueError:
        raise RequestError(400, "invalid", _("Choose civil protection, health, or no "
                                             "exception.")) from None


@bp.post("/colecciones/<int:collection_id>/excepcion-veda")
def collection_exception(collection_id: int) -> Response:
    kind = _exception_kind(request.form.get("kind"))
    reason = request.form.get("reason", "")
    back = safe_next(request.form.get("next")
                     or url_for("collections.show", collection_id=collection_id))
    try:
        with get_ctx().catalog.write() as session:
            veda.set_exception(session, actor_of(g.user), collection_id, kind, reason)
    except veda.BlackoutPermissionError:
        abort(403)
    except veda.BlackoutError as exc:
        if exc.code == "too_long":
            flash(_("The reason is too long."), "error")
        else:
            flash(_("Write why this collection is civil-protection or health information: the "
                    "exception is recorded in the audit log."), "error")
        return redirect(back, 303)
    if kind is None:
        flash(_("The collection has no blackout exception now."), "info")
    else:
        flash(_("Blackout exception recorded."), "info")
    return redirect(back, 303)
