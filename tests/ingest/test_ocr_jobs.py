"""The OCR job among the others: photos go first, a marked photo is read, bad pages are flagged."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from dam import queue
from dam.catalog import BatchInfo
from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.edits import edit_asset
from dam.enums import AssetState, JobKind, JobState, OcrState, Role
from dam.models import Asset, Job, OcrPage
from dam.search.service import SearchService
from ingest.batching import ingest_paths
from ingest.ocr import tessdata_path
from ingest.ocr_job import run_ocr_job
from ingest.pipeline import process_asset
from ingest.worker import run_workers
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo, save_oriented
from tests.scans import TEXT_A, TEXT_B, draw_page, save_pdf, soiled

EDITOR = Actor(None, "editora", Role.EDITOR)


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    try:
        tessdata_path()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))


def _page_states(ctx: Context, asset_id: int) -> list[OcrState]:
    with ctx.catalog.read() as session:
        return list(session.scalars(select(OcrPage.state).where(OcrPage.asset_id == asset_id)
                                    .order_by(OcrPage.page)))


def test_a_photo_arriving_stops_the_page_being_read(ctx: Context, tmp_path: Path) -> None:
    """OCR gives way at once: the page in hand is given back untried, the photo goes first,
    and the pages are read after it."""
    dense = draw_page(" ".join([TEXT_A, TEXT_B] * 8), size=(2480, 3508), points=9)
    pdf = save_pdf([dense, draw_page(TEXT_B)], tmp_path / "gaceta.pdf")
    document = ingest_paths(ctx, [pdf], BatchInfo()).results[0].asset_id
    assert process_asset(ctx, document) == AssetState.READY
    with ctx.catalog.write() as session:  # its processing job ran (above)
        session.execute(update(Job).where(Job.kind == JobKind.PROCESS_ASSET)
                        .values(state=JobState.DONE))
        ocr_job = session.scalars(select(Job).where(Job.kind == JobKind.OCR_PAGES)
                                  .order_by(Job.id)).first()
        ocr_job.state, ocr_job.lease_owner = JobState.RUNNING, "prueba"
        claimed = queue.ClaimedJob(ocr_job.id, JobKind.OCR_PAGES, document, 1, 4)
        record_fixture_writes(session)
    reading = threading.Thread(target=run_ocr_job, args=(ctx, claimed))
    reading.start()
    while _page_states(ctx, document)[0] != OcrState.RUNNING:
        time.sleep(0.05)
    time.sleep(0.5)  # Tesseract is reading the dense page now
    photo = ingest_paths(ctx, [make_photo(tmp_path / "foto.jpg")], BatchInfo()).results[0]
    queued_at = time.monotonic()
    reading.join(timeout=60)
    assert time.monotonic() - queued_at < 5  # not the many seconds the page takes
    assert _page_states(ctx, document) == [OcrState.QUEUED, OcrState.QUEUED]
    with ctx.catalog.read() as session:
        assert session.scalars(select(OcrPage.tries).where(OcrPage.page == 1)).one() == 0
    assert queue.complete(ctx.catalog, claimed.id, "prueba")
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    assert _page_states(ctx, document) == [OcrState.DONE] * 2
    with ctx.catalog.read() as session:
        photo_done = session.get(Asset, photo.asset_id).processed_at
        first_page = min(session.scalars(select(OcrPage.updated_at)))
    assert photo_done < first_page


def test_a_photo_marked_as_printed_material_is_read(ctx: Context, tmp_path: Path) -> None:
    poster = draw_page(TEXT_B).convert("RGB")
    # Photographed sideways: the camera stored it turned, with EXIF orientation 6.
    path = save_oriented(poster.transpose(Image.Transpose.ROTATE_90), tmp_path / "lona.jpg",
                         "JPEG", 6)
    asset_id = ingest_paths(ctx, [path], BatchInfo()).results[0].asset_id
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    assert _page_states(ctx, asset_id) == []  # a photo is not read until marked
    with ctx.catalog.write() as session:
        version = session.get(Asset, asset_id).edit_version
        edit_asset(session, EDITOR, asset_id, {"publication_kind": "banner"}, version)
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    with ctx.catalog.read() as session:
        page = session.scalars(select(OcrPage).where(OcrPage.asset_id == asset_id)).one()
        assert page.state == OcrState.DONE and page.rotation == 0  # read as displayed
        assert "vacunación" in session.get(Asset, asset_id).document_text
    service = SearchService(ctx.settings, ctx.catalog)
    try:
        service.sync()
        assert [h.asset_id for h in service.search("vacunacion xalpa").hits] == [asset_id]
        with ctx.catalog.write() as session:
            version = session.get(Asset, asset_id).edit_version
            edit_asset(session, EDITOR, asset_id, {"publication_kind": None}, version)
        service.sync()
        assert service.search("vacunacion xalpa").total == 0
    finally:
        service.close()


def test_pages_under_the_confidence_threshold_are_flagged_not_dropped(
        ctx: Context, tmp_path: Path) -> None:
    """A page read badly (or not at all) is kept and flagged for review; one read well is not."""
    pdf = save_pdf([draw_page(TEXT_B), soiled(draw_page(TEXT_A, size=(620, 874)), 0.15)],
                   tmp_path / "volante.pdf")
    asset_id = ingest_paths(ctx, [pdf], BatchInfo()).results[0].asset_id
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    with ctx.catalog.read() as session:
        pages = session.execute(select(OcrPage.state, OcrPage.confidence, OcrPage.flagged)
                                .where(OcrPage.asset_id == asset_id)
                                .order_by(OcrPage.page)).all()
        asset = session.get(Asset, asset_id)
        meta, text = asset.metadata_json["ocr"], asset.document_text
    threshold = ctx.settings.ocr_min_confidence
    assert [p.state for p in pages] == [OcrState.DONE, OcrState.DONE]
    assert pages[0].confidence >= threshold and not pages[0].flagged
    assert pages[1].confidence < threshold and pages[1].flagged
    assert meta["flagged"] == [2] and meta["read"] == 2
    assert "vacunación" in text.split("\f")[0]
