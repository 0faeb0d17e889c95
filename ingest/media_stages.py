"""Pipeline stages for video, audio and printed publications (PDF), as ``PIPELINES`` lists them.

Each decoding step runs in a child process with the time and memory limits of the settings
(``ingest.sandbox``); what it finds becomes catalog fields, renditions to store, and writes to
make in the record transaction (the proxy job, the publication's printed pictures and links).
A step that fails, times out or crashes leaves what earlier steps found and ends the asset
FAILED with the reason; the original is kept either way.

FFmpeg's libraries (PyAV) and PDFium are imported by the first stage that needs them, in the
worker, before it forks its children: a worker that only ever sees photos never loads them
(~30 MB of its memory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from dam.enums import MediaType
from dam.errors import IngestError
from dam.ocr import compose_text, queue_ocr
from ingest.pdfmeta import document_fields
from ingest.publications import record_publication
from ingest.sandbox import run_limited
from ingest.timebased import MediaAnalysis, catalog_fields, queue_proxy

if TYPE_CHECKING:
    from ingest.pdf import PdfFacts
    from ingest.pipeline import ProcessState

T = TypeVar("T")
TEXT_TIME_SHARE = 0.8  # of the step's time limit, spent on text before cutting it short


def _limited(state: ProcessState, label: str, func: Callable[..., T], *args: Any) -> T | None:
    """``func(*args)`` in a limited child; None (and the asset's failure set) if it fails."""
    settings = state.ctx.settings
    try:
        return run_limited(
            func,
            *args,
            label=label,
            timeout=settings.media_step_timeout_seconds,
            memory_mb=settings.media_step_memory_mb,
        )
    except IngestError as exc:
        if exc.transient:
            raise
        state.failure = str(exc)
        return None


def analyse_av(state: ProcessState) -> None:
    """Probe and pictures: poster, preview, thumbnail, storyboard (video) or waveform (audio)."""
    from ingest.audio import analyse_audio
    from ingest.video import analyse_video

    analyse = analyse_video if state.media_type == MediaType.VIDEO else analyse_audio
    analysis = _limited(
        state, f"{state.media_type} analysis", analyse, str(state.path), state.ctx.settings
    )
    if analysis is not None:
        apply_analysis(state, analysis)


def apply_analysis(state: ProcessState, analysis: MediaAnalysis) -> None:
    """The analysis as catalog fields, renditions to store, and the proxy job to queue."""
    state.fields.update(catalog_fields(analysis.info))
    if analysis.media_type != state.media_type:
        state.fields["media_type"] = analysis.media_type
        state.notes.append(f"no video stream: catalogued as {analysis.media_type}")
    state.raw.update(analysis.raw)
    state.notes.extend(analysis.notes)
    state.outputs.extend(analysis.outputs)
    state.failure = analysis.failure
    if analysis.needs_proxy and analysis.failure is None:
        attempts = state.ctx.settings.job_max_attempts
        state.on_record.append(lambda session, asset: queue_proxy(session, asset, attempts))


def read_document(state: ProcessState) -> None:
    """Page count and size, encryption, Info and XMP metadata, text for search (capped)."""
    from ingest.pdf import read_pdf

    settings = state.ctx.settings
    budget = settings.media_step_timeout_seconds * TEXT_TIME_SHARE
    facts = _limited(
        state, "PDF reading", read_pdf, str(state.path), settings.pdf_text_max_chars, budget
    )
    if facts is None:
        return
    state.fields.update(_document_columns(facts))
    state.raw["pdf"] = _document_raw(facts)
    if facts.needs_password:
        state.notes.append("encrypted PDF without its password: no text or previews")
    if facts.ocr_pages:
        state.raw["pdf"]["ocr_pages"] = len(facts.ocr_pages)
        state.on_record.append(lambda session, asset: queue_document_ocr(
            state, session, asset, facts.ocr_pages))


def queue_document_ocr(state: ProcessState, session: Any, asset: Any, pages: list[int]) -> None:
    """Queue OCR of the pages without a usable text layer, and put back what was read before
    (a reprocessed document keeps the pages OCR already read: the file has not changed)."""
    if state.failure is not None:
        return
    settings = state.ctx.settings
    queue_ocr(session, asset.id, pages, settings.job_max_attempts)
    compose_text(session, asset, settings.pdf_text_max_chars)


def _has_pages(state: ProcessState) -> bool:
    return state.failure is None and bool(state.fields.get("page_count"))


def _document_columns(facts: PdfFacts) -> dict[str, Any]:
    width, height = facts.page_size or (None, None)
    fields = {
        "page_count": facts.page_count,
        "page_width_pt": width,
        "page_height_pt": height,
        "is_encrypted": facts.encrypted,
        "document_text": facts.text or None,
    }
    fields.update(document_fields(facts.info, facts.xmp))
    return fields


def _document_raw(facts: PdfFacts) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "info": facts.info,
        "text_chars": len(facts.text),
        "text_truncated": facts.text_truncated,
        "text_page_offsets": facts.page_offsets,
    }
    if facts.xmp:
        raw["xmp"] = {k: v for k, v in list(facts.xmp.items())[:100]}
    if facts.warnings:
        raw["warnings"] = facts.warnings[:50]
    return raw


def render_document(state: ProcessState) -> None:
    """Thumbnail and preview of page 1, a preview of each page up to the cap."""
    from ingest.pdf import render_pdf

    if not _has_pages(state):
        return
    outputs = _limited(state, "PDF page rendering", render_pdf, str(state.path), state.ctx.settings)
    if outputs is not None:
        state.outputs.extend(outputs)


def hash_document_images(state: ProcessState) -> None:
    """Hash the printed pictures and link the publication to the archive photos they show."""
    from ingest.pdf import hash_pdf_images

    if not _has_pages(state):
        return
    settings = state.ctx.settings
    images = _limited(
        state,
        "PDF picture extraction",
        hash_pdf_images,
        str(state.path),
        settings.thumbnail_size,
        settings.max_image_pixels,
    )
    if images is None:
        return
    state.raw.setdefault("pdf", {})["pictures"] = len(images)
    distance = settings.publication_match_distance

    def link(session: Any, asset: Any) -> None:
        linked = record_publication(session, asset, images, distance)
        pdf = {**asset.metadata_json.get("pdf", {}), "photos_linked": linked}
        asset.metadata_json = {**asset.metadata_json, "pdf": pdf}

    state.on_record.append(link)
