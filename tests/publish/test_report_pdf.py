"""The report's PDF library must not change how the rest of the process decodes pictures."""

from __future__ import annotations

from PIL import ImageFile

from publish.reports.export import html_to_pdf


def test_laying_out_a_pdf_leaves_truncated_pictures_refused() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    pdf = html_to_pdf("<html><body><h1>Informe de marzo</h1></body></html>")
    assert pdf.startswith(b"%PDF")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint sets it on import
