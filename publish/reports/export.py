"""A report's numbers as CSV (one per chart), as one PDF, and as open data (counts only).

CSV follows the gallery's open data: UTF-8 with a byte order mark (Excel opens accents right),
CRLF, and cells a spreadsheet would run as a formula made plain text. The PDF is HTML laid out
by WeasyPrint (it draws the charts' SVG itself, so the PDF shows exactly what the page shows).
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from dam.reports.figures import Report
from publish.opendata import neutralise_formula

log = logging.getLogger(__name__)



def table_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A chart's table as CSV (RFC 4180), UTF-8 with BOM, formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_formula(str(cell)) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else
                         cell if isinstance(cell, int) else neutralise_formula(str(cell))
                         for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


@functools.lru_cache(maxsize=8)
def html_to_pdf(html: str) -> bytes:
    """The report page, laid out for A4 by WeasyPrint (imported here: it loads pango).

    Laying out takes about a second; the same page (same numbers, same day) is laid out once.
    """
    from PIL import ImageFile  # noqa: PLC0415

    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML  # noqa: PLC0415

        return HTML(string=html).write_pdf()
    finally:
        # WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is
        # imported; left on, damaged pictures would decode silently everywhere else (bands,
        # exports) instead of failing with their reason.
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def open_data_counts(report: Report, labels: dict[str, str], generated_at: str) -> dict[str, Any]:
    """The public report as aggregate counts only: per chart, labels and numbers, no material.

    ``labels`` names each chart in Spanish. Refuses a staff report: only a report built with
    the public clause may leave the archive.
    """
    if not report.public:
        raise ValueError("only a public report is published as open data")
    figures = []
    for figure in report.figures:
        rows = [{"etiqueta": row.label, "cantidad": row.count}
                | ({"eventos": row.extra} if row.extra is not None else {})
                for row in figure.rows]
        if figure.others:
            rows.append({"etiqueta": "Otros", "cantidad": figure.others})
        if figure.missing:
            rows.append({"etiqueta": "Sin dato", "cantidad": figure.missing})
        figures.append({"clave": figure.key, "titulo": labels.get(figure.key, figure.key),
                        "filas": rows})
    return {
        "periodo": report.period.label, "desde": report.period.first.isoformat(),
        "hasta": report.period.last.isoformat(), "generado": generated_at,
        "material": report.material, "eventos": report.events, "graficas": figures,
    }


def open_data_csv(counts: dict[str, Any]) -> bytes:
    """The published counts as one long CSV: chart, label, count (and events for months)."""
    rows = [(chart["titulo"], row["etiqueta"], row["cantidad"], row.get("eventos"))
            for chart in counts.get("graficas", []) for row in chart["filas"]]
    return table_csv(("grafica", "etiqueta", "cantidad", "eventos"), rows)
