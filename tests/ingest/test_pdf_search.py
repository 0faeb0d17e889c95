"""A publication's text is searchable: ingest a PDF, run the workers, find it by a page's words."""

from __future__ import annotations

import shutil
from pathlib import Path

from dam.catalog import BatchInfo
from dam.context import Context
from dam.search.service import SearchService
from ingest.batching import ingest_paths
from ingest.worker import run_workers

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "pdflatex-4-pages.pdf"


def test_words_of_an_inner_page_find_the_publication(ctx: Context, tmp_path: Path) -> None:
    shutil.copyfile(PDF, tmp_path / "boletín.pdf")
    report = ingest_paths(ctx, [tmp_path / "boletín.pdf"], BatchInfo(event="Boletín"))
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    service = SearchService(ctx.settings, ctx.catalog)
    try:
        service.sync()
        found = service.search("alphabet impression tipo:pdf")
        assert found.error is None
        assert [h.asset_id for h in found.hits] == [report.results[0].asset_id]
        assert service.search("palabrainexistentezzz").total == 0
    finally:
        service.close()
