"""What the Informes page shows of a report: titles, words for codes, tables and their SVG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from dam.curation.vocabulary import fold
from dam.enums import WorkflowState
from dam.reports.figures import Figure, Report, Row
from dam.reports.territories import Territory
from publish.reports.charts import Legend, bar_chart, choropleth, classes, month_chart
from web.i18n import fmt_number
from web.workflow_view import workflow_label


def chart_titles() -> dict[str, str]:
    return {
        "month": _("Material and events covered by month"),
        "media_type": _("Material by type"),
        "area": _("Material by area"),
        "programme": _("Material by programme"),
        "campaign": _("Material by campaign"),
        "event": _("Material by event"),
        "division": _("Material by territorial division"),
        "colonia": _("Material by neighbourhood (colonia)"),
        "photographer": _("Material by photographer"),
        "workflow": _("Published and archived material"),
        "activity": _("Press kits and share links"),
        "series": _("Publications by series"),
        "medium": _("Press clippings by medium"),
        "tone": _("Press clippings by tone"),
    }


def _label_headers() -> dict[str, str]:
    return {"month": _("Month"), "media_type": _("Type"), "area": _("Area"),
            "programme": _("Programme"), "campaign": _("Campaign"), "event": _("Event"),
            "division": _("Territorial division"), "colonia": _("Neighbourhood"),
            "photographer": _("Photographer"), "workflow": _("Workflow state"),
            "activity": _("Activity"), "series": _("Series"), "medium": _("Medium"),
            "tone": _("Tone")}


def _code_words() -> dict[str, dict[str, str]]:
    """Stored codes in words, per chart (types, states, audit actions); names stay as stored."""
    return {
        "media_type": {"photo": _("Photo"), "video": _("Video"), "audio": _("Audio"),
                       "document": _("Publication"), "other": _("Other")},
        "workflow": {state.value: workflow_label(state) for state in WorkflowState},
        "activity": {"presskit": _("Press kits made"), "share_create": _("Share links made"),
                     "share_view": _("Share links opened"),
                     "share_download": _("Files downloaded from share links"),
                     "share_zip": _("ZIPs downloaded from share links")},
        "tone": {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative")},
    }


@dataclass(frozen=True)
class Words:
    """Every word a report's charts need, looked up once per page (not once per row)."""

    titles: dict[str, str]
    headers: dict[str, str]
    codes: dict[str, dict[str, str]]
    others: str
    not_stated: str

    @classmethod
    def now(cls) -> Words:
        return cls(chart_titles(), _label_headers(), _code_words(), _("Others"),
                   _("Not stated"))


@dataclass(frozen=True)
class ChartView:
    """One chart as the page, the CSV and the PDF show it."""

    key: str
    title: str
    description: str
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    svg: Markup
    is_map: bool = False

    @property
    def chart_id(self) -> str:
        return f"grafica-{self.key.replace('_', '-')}"


def _rows(figure: Figure, words: Words) -> list[tuple[object, ...]]:
    """The table's rows: every bar, then "Others" and "Not stated" when there are any."""
    codes = words.codes.get(figure.key, {})
    rows: list[tuple[object, ...]] = []
    for row in figure.rows:
        cells: tuple[object, ...] = (codes.get(row.label, row.label), row.count)
        rows.append((*cells, row.extra) if figure.key == "month" else cells)
    if figure.others:
        rows.append((words.others, figure.others))
    if figure.missing:
        rows.append((words.not_stated, figure.missing))
    return rows


def _description(title: str, rows: Sequence[tuple[object, ...]], unit: str) -> str:
    counted = [(str(r[0]), int(r[1])) for r in rows if isinstance(r[1], int)]  # type: ignore[call-overload]
    total = sum(n for _label, n in counted)
    if not total:
        return _("%(title)s: nothing in this period.", title=title)
    label, most = max(counted, key=lambda pair: pair[1])
    return _("%(title)s: %(total)s %(unit)s in total; the most, %(label)s with %(n)s.",
             title=title, total=fmt_number(total), unit=unit, label=label, n=fmt_number(most))


def _with_map_zeros(figure: Figure, territories: Sequence[Territory]) -> Figure:
    """Divisions on the map without material get a row of their own (0), after the others."""
    named = {fold(row.label) for row in figure.rows}
    zeros = tuple(Row(t.name, 0) for t in territories if t.folded not in named)
    return Figure(figure.key, figure.rows + zeros, figure.others, figure.missing)


def chart_view(figure: Figure, territories: Sequence[Territory], words: Words) -> ChartView:
    title, headers = words.titles[figure.key], words.headers
    if figure.key == "division" and territories:
        figure = _with_map_zeros(figure, territories)
    rows = _rows(figure, words)
    unit = _("times") if figure.key == "activity" else _("items")
    description = _description(title, rows, unit)
    count_header = _("Times") if figure.key == "activity" else _("Material")
    header = (headers[figure.key], count_header) + ((_("Events"),) if figure.key == "month"
                                                    else ())
    chart_id = f"grafica-{figure.key.replace('_', '-')}"
    if figure.key == "month":
        svg = month_chart(chart_id, title, description, [str(r[0]) for r in rows],
                          [int(r[1]) for r in rows], [int(r[2] or 0) for r in rows],  # type: ignore[call-overload]
                          (_("Material"), _("Events")))
    elif figure.key == "division" and territories:
        counts = {fold(row.label): row.count for row in figure.rows}
        legend = Legend(classes(max(counts.values(), default=0)), _("No material"),
                        _("Material"))
        svg = choropleth(chart_id, title, description, territories, counts, legend)
    else:
        svg = bar_chart(chart_id, title, description, [str(r[0]) for r in rows],
                        [int(r[1]) for r in rows])  # type: ignore[call-overload]
    return ChartView(figure.key, title, description, header, tuple(rows), Markup(svg),
                     is_map=figure.key == "division" and bool(territories))


def report_views(report: Report, territories: Sequence[Territory]) -> list[ChartView]:
    words = Words.now()
    return [chart_view(figure, territories, words) for figure in report.figures]
