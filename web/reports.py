"""Informes: the office's numbers for a period, as charts with tables, CSV, PDF and open data.

Editors and admins open it; a report marked public counts only what the public gallery may show
(the same ``public_clause``), and only such a report can be published to the open data.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from dam.curation import audit
from dam.curation.rights import office_today, public_clause
from dam.models import PublishingSetting, utcnow
from dam.reports import OPEN_DATA_KEY
from dam.reports import territories as maps
from dam.reports.figures import Report, build_report
from dam.reports.period import KINDS, Period, PeriodError, current_month, parse_period
from publish.branding import load_band
from publish.reports.export import html_to_pdf, open_data_counts, table_csv
from web.curation_common import actor_of
from web.embed_responses import set_attachment
from web.queries import reading
from web.report_view import ChartView, chart_titles, report_views
from web.state import get_ctx

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/informes")
PERIOD_FIELDS = ("periodo", "mes", "trimestre", "anio", "desde", "hasta")


def period_of(args: MultiDict[str, str]) -> tuple[Period, str | None]:
    """The period the form asks for, or this month and the reason the asked one was refused."""
    kind = args.get("periodo", "").strip()
    if not kind:
        return current_month(utcnow()), None
    try:
        return parse_period(kind, mes=args.get("mes", ""), trimestre=args.get("trimestre", ""),
                            anio=args.get("anio", ""), desde=args.get("desde", ""),
                            hasta=args.get("hasta", "")), None
    except PeriodError as exc:
        return current_month(utcnow()), str(exc)


def _public(args: MultiDict[str, str]) -> bool:
    return args.get("publico", "") in ("1", "si", "on")


def _report(period: Period, public: bool) -> tuple[Report, list[maps.Territory]]:
    ctx = get_ctx()
    with reading(ctx.catalog) as session:
        report = build_report(session, period, now=utcnow(),
                              public_clause=public_clause if public else None)
        territories = maps.load_map(session, ctx.store)
    return report, territories


def _query(period: Period, public: bool) -> dict[str, str]:
    """The URL arguments that name ``period`` (for links to the CSV, PDF and the form)."""
    args = {"periodo": period.kind}
    if period.kind == "mes":
        args["mes"] = f"{period.first:%Y-%m}"
    elif period.kind == "trimestre":
        args["trimestre"] = period.slug
    elif period.kind == "anio":
        args["anio"] = str(period.first.year)
    else:
        args["desde"], args["hasta"] = period.first.isoformat(), period.last.isoformat()
    if public:
        args["publico"] = "1"
    return args


def _form_values(period: Period) -> dict[str, str]:
    """What each field of the period form shows (the asked period, or sensible defaults)."""
    quarter = (period.first.month - 1) // 3 + 1
    return {"periodo": period.kind, "mes": f"{period.first:%Y-%m}",
            "trimestre": f"{period.first.year}-T{quarter}", "anio": str(period.first.year),
            "desde": period.first.isoformat(), "hasta": period.last.isoformat()}


@bp.get("")
def index() -> tuple[str, int]:
    period, problem = period_of(request.args)
    public = _public(request.args)
    report, territories = _report(period, public)
    with reading(get_ctx().catalog) as session:
        published = session.get(PublishingSetting, OPEN_DATA_KEY)
        published_value = published.value if published is not None else None
    return render_template(
        "reports.html", report=report, charts=report_views(report, territories),
        period=period, public=public, problem=problem, form=_form_values(period), kinds=KINDS,
        period_args=_query(period, public), has_map=bool(territories),
        published=published_value if isinstance(published_value, dict) else None,
    ), 400 if problem else 200


def _chart(charts: list[ChartView], key: str) -> ChartView:
    for chart in charts:
        if chart.key == key:
            return chart
    abort(404)


@bp.get("/<kind>.csv")
def chart_csv(kind: str) -> Response:
    """One chart's table (``kind``: area, month, colonia...) as CSV."""
    if kind not in chart_titles():
        abort(404)
    period, problem = period_of(request.args)
    if problem:
        abort(400)
    public = _public(request.args)
    report, territories = _report(period, public)
    chart = _chart(report_views(report, territories), kind)
    response = Response(table_csv(chart.header, chart.rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    set_attachment(response, f"informe-{period.slug}-{kind.replace('_', '-')}"
                             f"{'-publico' if public else ''}.csv")
    return response


def _band_uri() -> str | None:
    ctx = get_ctx()
    with reading(ctx.catalog) as session:
        band = load_band(session, ctx.store)
    return "data:image/png;base64," + base64.b64encode(band).decode("ascii") if band else None


@bp.get("/informe.pdf")
def pdf() -> Response:
    """The whole report as one PDF in Spanish, with the office's band at the top."""
    period, problem = period_of(request.args)
    if problem:
        abort(400)
    public = _public(request.args)
    report, territories = _report(period, public)
    with force_locale("es_MX"):
        html = render_template("reports_pdf.html", report=report,
                               charts=report_views(report, territories), period=period,
                               public=public, band=_band_uri(),
                               agency=get_ctx().settings.agency_name,
                               made_on=office_today(utcnow()))
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    set_attachment(response, f"informe-{period.slug}{'-publico' if public else ''}.pdf")
    return response


def _spanish_titles() -> dict[str, str]:
    with force_locale("es_MX"):
        return chart_titles()


@bp.post("/datos-abiertos")
def publish_open_data() -> Response:
    """Keep the period's public report (counts only) for the gallery's open data."""
    period, problem = period_of(request.form)
    if problem:
        flash(_("The report was not published: %(why)s", why=problem), "error")
        return redirect(url_for("reports.index"), 303)
    report, _territories = _report(period, public=True)
    moment = utcnow().astimezone(dt.UTC).isoformat(timespec="seconds")
    counts: dict[str, Any] = open_data_counts(report, _spanish_titles(), moment)
    with get_ctx().catalog.write() as session:
        setting = session.get(PublishingSetting, OPEN_DATA_KEY)
        if setting is None:
            session.add(PublishingSetting(key=OPEN_DATA_KEY, value=counts,
                                          updated_by=g.user.id))
        else:
            setting.value, setting.updated_by = counts, g.user.id
        audit.record(session, actor_of(g.user), "report_open_data", field=OPEN_DATA_KEY,
                     new={"periodo": period.slug, "material": report.material},
                     detail=period.label)
    flash(_("The public report of %(period)s will be in the gallery's open data from its next "
            "publication.", period=period.label), "info")
    return redirect(url_for("reports.index", **_query(period, True)), 303)


@bp.post("/mapa")
def upload_map() -> Response:
    """The admin's GeoJSON of the territorial divisions (checked, stored, audited)."""
    upload = request.files.get("mapa")
    if upload is None or not upload.filename:
        flash(_("Choose a GeoJSON file with the territorial divisions."), "error")
        return redirect(url_for("reports.index"), 303)
    data = upload.stream.read(maps.MAX_BYTES + 1)
    ctx = get_ctx()
    try:
        with ctx.catalog.write() as session:
            found = maps.save_map(session, ctx.store, actor_of(g.user), data)
    except maps.TerritoryMapError as exc:
        flash(_("The map was not changed: %(why)s", why=str(exc)), "error")
        return redirect(url_for("reports.index"), 303)
    flash(_("Map of territorial divisions updated: %(n)d divisions.", n=len(found)), "info")
    return redirect(url_for("reports.index"), 303)
