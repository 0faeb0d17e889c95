"""A scanned publication through the real workers: its pages are read after the ingest, at low
priority, and its words find it in search, accents typed or not; photos never wait behind it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import Context
from dam.enums import AssetState, JobKind, JobState, OcrState
from dam.models import Asset, Job, OcrPage
from dam.ocr import OCR_PRIORITY
from dam.search.service import SearchService
from ingest.batching import ingest_paths
from ingest.ocr import tessdata_path
from ingest.worker import run_workers
from tests.conftest import require_corpus
from tests.scans import TEXT_A, TEXT_B, draw_page, save_pdf, tilted, turned, word_error_rate


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    try:
        tessdata_path()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))


def _gaceta(folder: Path) -> Path:
    """Three scanned pages: text, nothing (a blank back), text turned upside down."""
    pages = [draw_page(TEXT_A), draw_page(""), turned(tilted(draw_page(TEXT_B), 2), 180)]
    return save_pdf(pages, folder / "gaceta-escaneada.pdf")


def test_a_scanned_publication_is_read_and_found_by_its_words(any_ctx: Context,
                                                             tmp_path: Path) -> None:
    ctx = any_ctx  # SQLite, and PostgreSQL when available
    report = ingest_paths(ctx, [_gaceta(tmp_path)], BatchInfo(event="Gaceta"))
    asset_id = report.results[0].asset_id
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.state == AssetState.READY
        pages = session.execute(select(
            OcrPage.page, OcrPage.state, OcrPage.confidence, OcrPage.flagged, OcrPage.rotation
        ).where(OcrPage.asset_id == asset_id).order_by(OcrPage.page)).all()
        jobs = session.execute(select(Job.priority, Job.state)
                               .where(Job.kind == JobKind.OCR_PAGES)).all()
        text, meta = asset.document_text, asset.metadata_json
    assert [p.page for p in pages] == [1, 2, 3]
    assert all(p.state == OcrState.DONE for p in pages)
    assert pages[1].confidence is None and not pages[1].flagged  # blank: nothing to review
    assert pages[2].rotation == 180
    assert jobs and all(j == (OCR_PRIORITY, JobState.DONE) for j in jobs)
    first, blank, third = text.split("\f")
    assert word_error_rate(TEXT_A, first) <= 0.05 and blank == ""
    assert word_error_rate(TEXT_B, third) <= 0.05
    assert meta["ocr"]["read"] == 3 and meta["ocr"]["flagged"] == []
    assert meta["pdf"]["text_page_offsets"] == [0, len(first) + 1, len(first) + 2]
    service = SearchService(ctx.settings, ctx.catalog)
    try:
        service.sync()
        for query in ("penon marques", "Peñón", "ninas", "vacunacion miercoles xalpa"):
            found = service.search(query)
            assert [h.asset_id for h in found.hits] == [asset_id], query
    finally:
        service.close()


def test_pages_with_a_text_layer_are_not_read_again(ctx: Context) -> None:
    pdf = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "pdflatex-4-pages.pdf"
    report = ingest_paths(ctx, [pdf], BatchInfo())
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    with ctx.catalog.read() as session:
        assert session.scalars(select(OcrPage)).first() is None
        assert session.scalars(select(Job).where(Job.kind == JobKind.OCR_PAGES)).first() is None
        assert session.get(Asset, report.results[0].asset_id).metadata_json.get("ocr") is None


@pytest.mark.corpus
def test_corpus_pdfs_without_a_usable_text_layer_are_read(ctx: Context) -> None:
    """Of the shared corpus: a page with its text as a picture is read and found; Arabic read
    with the Spanish model is flagged for review; text-layer PDFs are left alone."""
    folder = require_corpus() / "pdfs" / "py-pdf-sample-files"
    names = ["output_with_metadata_pymupdf.pdf", "habibi-rotated.pdf", "multicolumn.pdf"]
    report = ingest_paths(ctx, [folder / name for name in names], BatchInfo())
    ids = {Path(r.source_path).name: r.asset_id for r in report.results}
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    with ctx.catalog.read() as session:
        rows = session.execute(select(OcrPage.asset_id, OcrPage.page, OcrPage.flagged,
                                      OcrPage.state)).all()
    pages = {(r.asset_id, r.page): r for r in rows}
    assert {a for a, _ in pages} == {ids["output_with_metadata_pymupdf.pdf"],
                                     ids["habibi-rotated.pdf"]}
    assert all(r.state == OcrState.DONE for r in rows)
    assert not pages[ids["output_with_metadata_pymupdf.pdf"], 1].flagged
    # Pages 2 and 3 hold Arabic only, which the Spanish model cannot read (1 and 4 also have
    # the Latin word "habibi", read well, so their mean confidence sits near the threshold).
    assert pages[ids["habibi-rotated.pdf"], 2].flagged
    assert pages[ids["habibi-rotated.pdf"], 3].flagged
    service = SearchService(ctx.settings, ctx.catalog)
    try:
        service.sync()
        hits = [h.asset_id for h in service.search("hello world").hits]
        assert ids["output_with_metadata_pymupdf.pdf"] in hits
    finally:
        service.close()
