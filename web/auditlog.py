"""The bitácora for admins: search the audit log, read one entry, export it as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from dam.curation.audit import LogFilter, search_log
from dam.errors import NotFoundError
from dam.models import AuditEntry
from web.i18n import TIMEZONE
from web.params import bounded_int
from web.state import get_ctx

bp = Blueprint("auditlog", __name__, url_prefix="/admin")

PAGE = 100
CSV_CHUNK = 500
SHORT = 80
# A cell starting with one of these is a formula to a spreadsheet: it gets a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("id", "at", "user", "action", "asset_id", "collection_id", "field", "old", "new",
               "batch_edit_id", "detail")


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    number = bounded_int(raw)
    if number is None:
        abort(400)
    return number


def _date_arg(name: str, *, end: bool = False) -> dt.datetime | None:
    """A day in Mexico City's time as a UTC moment: its start, or the next day's (``end``)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), ZoneInfo(TIMEZONE)).astimezone(dt.UTC)


def _text_arg(name: str) -> str | None:
    return request.args.get(name, "").strip()[:200] or None


def log_filter() -> LogFilter:
    """The filters in the URL (?usuario=&accion=&material=&campo=&texto=&desde=&hasta=)."""
    return LogFilter(
        asset_id=_int_arg("material"), collection_id=_int_arg("coleccion"),
        username=_text_arg("usuario"), action=_text_arg("accion"), field=_text_arg("campo"),
        text=_text_arg("texto"), since=_date_arg("desde"), until=_date_arg("hasta", end=True),
    )


def value_text(value: Any) -> str:
    """An old or new value as text: strings as they are, lists joined, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False)


@bp.app_template_filter("audit_short")
def audit_short(value: Any, limit: int = SHORT) -> str:
    text = " ".join(value_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@bp.app_template_global()
def collection_href(collection_id: int) -> str | None:
    """The collection's page, when the collections blueprint is installed."""
    try:
        return url_for("collections.show", collection_id=collection_id)
    except BuildError:
        return None


def _actions() -> list[str]:
    with get_ctx().catalog.read() as session:
        return sorted(session.scalars(select(AuditEntry.action).distinct()))


@bp.get("/bitacora")
def index() -> str:
    where = log_filter()
    before = _int_arg("antes")
    with get_ctx().catalog.read() as session:
        entries = search_log(session, where, before_id=before, limit=PAGE)
        session.expunge_all()
    args = {k: v for k, v in request.args.items() if k != "antes"}
    older = None
    if len(entries) == PAGE:
        older = url_for("auditlog.index", **args, antes=entries[-1].id)
    return render_template("audit_log.html", entries=entries, older=older, entry=None,
                           actions=_actions(), args=request.args,
                           csv_url=url_for("auditlog.export_csv", **args))


def csv_cell(value: Any) -> str:
    text = value if isinstance(value, str) else value_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_row(e: AuditEntry) -> list[str]:
    cells = (e.id, e.at.isoformat(), e.username, e.action, e.asset_id, e.collection_id, e.field,
             e.old_value, e.new_value, e.batch_edit_id, e.detail)
    return [csv_cell("" if c is None else (str(c) if isinstance(c, int) else c)) for c in cells]


def _csv_lines(where: LogFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # the BOM lets spreadsheets read the accents
    before: int | None = None
    while True:
        buffer.seek(0)
        buffer.truncate()
        with get_ctx().catalog.read() as session:
            entries = search_log(session, where, before_id=before, limit=CSV_CHUNK)
            writer.writerows(_csv_row(e) for e in entries)
            before = entries[-1].id if entries else None
        if buffer.getvalue():
            yield buffer.getvalue()
        if len(entries) < CSV_CHUNK:
            return


@bp.get("/bitacora.csv")
def export_csv() -> Response:
    """The filtered log as CSV, newest first, streamed a chunk of entries at a time."""
    where = log_filter()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(_csv_lines(where)), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bitacora-{stamp}.csv"'},
    )


@bp.get("/bitacora/<int:entry_id>")
def entry(entry_id: int) -> str:
    with get_ctx().catalog.read() as session:
        found = session.get(AuditEntry, entry_id)
        if found is None:
            raise NotFoundError(f"audit entry {entry_id} does not exist")
        session.expunge(found)
    return render_template("audit_log.html", entry=found, entries=[], older=None,
                           actions=[], args={}, csv_url=None, value_text=value_text)
