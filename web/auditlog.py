"""The bitácora for admins: search the audit log, read one entry, export it as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from dam.curation.audit import LogFilter, asset_history, search_log
from dam.errors import NotFoundError
from dam.models import AuditEntry
from web.i18n import TIMEZONE, fmt_moment
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


def _field_labels() -> dict[str, str]:
    """Field names as the pages call them (the msgids the edit and rights forms use)."""
    return {
        "headline": _("Headline"), "caption": _("Caption"),
        "alt_text": _("Alt text (for screen readers)"), "keywords": _("Keywords"),
        "persons_shown": _("People shown"), "event": _("Event"), "area": _("Area"),
        "programme": _("Programme"),
        "sublocation": _("Neighbourhood or place"), "city": _("City"),
        "state_province": _("State"), "country": _("Country"), "country_code": _("Country code"),
        "creator": _("Photographer"), "credit": _("Credit line"), "source": _("Source"),
        "copyright_notice": _("Copyright notice"), "usage_terms": _("Usage terms"),
        "campaign": _("Campaign"), "publication_kind": _("Kind of publication"),
        "print_run": _("Print run"), "distribution_date": _("Date of publication"),
        "series": _("Series"), "issue_number": _("Issue number"),
        "publication_format": _("Print format"), "distribution": _("Distribution"),
        "medium": _("Medium"), "section": _("Section"), "clipping_page": _("Page in the medium"),
        "web_url": _("Address of the online note"), "captured_on": _("Saved on"),
        "tone": _("Tone"),
        "workflow_state": _("Workflow state"), "licence": _("Licence"),
        "embargo_until": _("Embargo"), "internal_only": _("Internal use only"),
        "contains_minors": _("Shows minors"), "sensitive": _("Sensitive"),
        "rating": _("Stars"), "cull_mark": _("Pick"), "color_label": _("Colour label"),
        "poi": _("Point of interest"), "consent_forms": _("Consent forms"),
        "consent_form": _("Consent"), "period": _("Electoral blackout"), "name": _("Name"),
        "body": _("Text"), "title": _("Title"), "description": _("Description"),
        "label": _("Term"), "code": _("Code"), "parent": _("Under"), "note": _("Note"),
        "active": _("Active"), "published_at": _("In the gallery since"),
        "taken_at": _("Date taken"),
        "file": _("File"), "version": _("Version"), "sha256": "SHA-256",
        "restored_from": _("Restored from version"),
    }


@bp.app_template_global()
def field_name(field: str | None) -> str:
    """A logged field as people call it (never the column name when a label exists)."""
    if not field:
        return ""
    return _field_labels().get(field, field.replace("_", " "))


def _states() -> dict[str, str]:
    return {"draft": _("Draft"), "reviewed": _("Reviewed"),
            "approved": _("Approved for publication"), "published": _("Published"),
            "withdrawn": _("Withdrawn")}


def _moment(text: str) -> str | None:
    if len(text) < 16 or text[4:5] != "-" or "T" not in text[:11] + " T":
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return fmt_moment(when)


def readable(value: Any, field: str | None = None) -> str:
    """An old or new value as people read it: states and flags in words, dates in local time,
    lists joined and objects as "label: value" pairs (never JSON)."""
    if value is None or value == "" or value == [] or value == {}:
        return _("(empty)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field == "workflow_state" and isinstance(value, str):
        return _states().get(value, value)
    if field == "cull_mark" and isinstance(value, int):
        return {1: _("Picked"), -1: _("Rejected")}.get(value, _("Unmarked"))
    if isinstance(value, str):
        return _moment(value) or value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_name(str(k))}: {readable(v, str(k))}" for k, v in value.items())
    return str(value)


@bp.app_template_filter("audit_words")
def audit_words(value: Any, field: str | None = None, limit: int = SHORT) -> str:
    """:func:`readable`, on one short line."""
    text = " ".join(readable(value, field).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


HISTORY_LIMIT = 100


@bp.app_template_global()
def asset_history_entries(asset_id: int) -> list[AuditEntry]:
    """An asset's history for its page, newest first (staff only; read with audit_words)."""
    if g.get("user") is None:
        return []
    with get_ctx().catalog.read() as session:
        entries = list(asset_history(session, asset_id, limit=HISTORY_LIMIT))
        session.expunge_all()
    return entries


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
