"""The OCR job: read the queued pages of one asset with Tesseract, a page at a time.

A job (``JobKind.OCR_PAGES``, low priority: ``dam.ocr.OCR_PRIORITY``) claims one waiting page,
renders it (a PDF page at ``ocr_dpi``, a photo as shown), reads it in a forked child with the
time and memory limits of every decoding step (``ingest.sandbox``) and records the result,
then takes the next page. It stops after ``SLICE_SECONDS``, and as soon as more urgent work
is due (a photo to process) it gives up even the page in hand (its child killed, the page put
back untried), leaving the rest to the jobs still queued: photos are never queued behind OCR.
The worker loads Tesseract's model once, before forking, so each child starts with it loaded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dam import queue
from dam.context import Context
from dam.enums import AssetState, MediaType
from dam.errors import IngestError
from dam.models import Asset, utcnow
from dam.ocr import (
    OCR_PRIORITY,
    claim_page,
    compose_text,
    follow_up,
    has_pages_for,
    record_page,
    release_page,
)
from ingest.ocr import PageText, reader_for
from ingest.sandbox import StepInterruptedError, run_limited

log = logging.getLogger(__name__)

SLICE_SECONDS = 60.0
URGENT_CHECK_SECONDS = 0.25  # how often a page being read looks for more urgent work
PHOTO_LONG_EDGE = 100_000  # decode photos at full size: OCR needs every pixel


@dataclass(frozen=True)
class OcrOptions:
    language: str
    tessdata: str
    dpi: int
    max_pixels: int


@dataclass(frozen=True)
class Source:
    path: str
    media_type: MediaType
    mime_type: str
    orientation: int | None


def read_page(source: Source, page: int, options: OcrOptions) -> PageText:
    """Render page ``page`` of the source and read it (runs in the limited child)."""
    reader = reader_for(options.language, options.tessdata)
    if source.media_type == MediaType.DOCUMENT:
        from ingest.pdf import open_pdf, render_for_ocr

        pdf = open_pdf(source.path)
        try:
            if not 1 <= page <= len(pdf):
                raise IngestError(f"page {page} is not in the document ({len(pdf)} pages)")
            image = render_for_ocr(pdf, page - 1, options.dpi, options.max_pixels)
        finally:
            pdf.close()
    else:
        image = _photo(source, options.max_pixels)
    return reader.read(image)


def _photo(source: Source, max_pixels: int) -> Any:
    from ingest.imaging import ORIENTATION_TRANSPOSE, open_image

    decoded = open_image(Path(source.path), source.mime_type, PHOTO_LONG_EDGE, max_pixels,
                         source.orientation)
    image = decoded.image.convert("L")
    transpose = ORIENTATION_TRANSPOSE.get(decoded.orientation)
    return image.transpose(transpose) if transpose is not None else image


def run_ocr_job(ctx: Context, job: queue.ClaimedJob) -> None:
    """Read the asset's waiting pages until the slice is used or other work is due."""
    if job.asset_id is None:
        return
    settings = ctx.settings
    with ctx.catalog.read() as session:
        asset = session.get(Asset, job.asset_id)
        if asset is None or asset.state == AssetState.FAILED:
            return
        if asset.state != AssetState.READY:  # marked while still being processed
            raise IngestError("waiting for the asset to be processed first", transient=True)
        if not has_pages_for(session, asset.id, job.id, _stale_before(settings)):
            return  # the other jobs of this document have read every page
        key = asset.original_key
        source = Source("", MediaType(asset.media_type), asset.mime_type, asset.orientation)
    options = OcrOptions(settings.ocr_language, settings.ocr_tessdata_path, settings.ocr_dpi,
                         settings.max_image_pixels)
    reader_for(options.language, options.tessdata)  # loaded here, inherited by each child
    started, read = time.monotonic(), 0
    with ctx.store.local_path(key) as path:
        source = dataclasses.replace(source, path=str(path))
        while time.monotonic() - started < SLICE_SECONDS:
            if _should_yield(ctx):
                break
            outcome = _read_next(ctx, job, source, options)
            if outcome is None:  # no page left
                break
            if not outcome:  # interrupted for more urgent work: the page waits for later
                break
            read += 1
    with ctx.catalog.write() as session:
        asset = session.get(Asset, job.asset_id)
        if asset is None:
            return
        if read:
            compose_text(session, asset, settings.pdf_text_max_chars)
        follow_up(session, asset.id, settings.job_max_attempts)
    log.info("OCR of asset %s: %s pages read in %.1f s", job.asset_id, read,
             time.monotonic() - started)


def _should_yield(ctx: Context) -> bool:
    """More urgent work is due, or this worker is stopping: give the page back for later."""
    from ingest.worker import is_stopping  # the worker imports this module when it runs OCR

    return is_stopping() or queue.more_urgent_due(ctx.catalog, OCR_PRIORITY)


def _stale_before(settings: Any) -> dt.datetime:
    """A page claimed before this was being read by a worker that is gone (no page takes a
    job's whole time limit: each is cut at ``media_step_timeout_seconds``)."""
    return utcnow() - dt.timedelta(seconds=settings.job_timeout_seconds)


def _read_next(ctx: Context, job: queue.ClaimedJob, source: Source, options: OcrOptions
               ) -> bool | None:
    """Claim, read and record one page: True when read (or failed for good), False when it was
    interrupted for more urgent work and given back, None when no page is left."""
    settings = ctx.settings
    asset_id = int(job.asset_id or 0)
    with ctx.catalog.write() as session:
        claim = claim_page(session, asset_id, job.id, _stale_before(settings))
    if claim is None:
        return None
    result: dict[str, Any] | None = None
    error = None
    try:
        page = run_limited(read_page, source, claim.page, options,
                           label=f"OCR of page {claim.page}",
                           timeout=settings.media_step_timeout_seconds,
                           memory_mb=settings.media_step_memory_mb,
                           interrupt=lambda: _should_yield(ctx),
                           check_every=URGENT_CHECK_SECONDS)
        result = dataclasses.asdict(page)
    except StepInterruptedError:
        with ctx.catalog.write() as session:
            release_page(session, asset_id, claim.page)
        return False
    except IngestError as exc:
        if exc.transient:
            with ctx.catalog.write() as session:
                release_page(session, asset_id, claim.page)
            raise
        error = str(exc)
        log.warning("OCR of asset %s page %s failed: %s", asset_id, claim.page, error)
    with ctx.catalog.write() as session:
        record_page(session, asset_id, claim.page, result, error, settings.ocr_min_confidence)
    return True
