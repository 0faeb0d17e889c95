"""Processing: the stages a worker runs on a stored original (extract, render, store, record).

The stages for each media type are declared in ``PIPELINES``; ``process_asset`` runs them in
order on one asset and is safe to retry: it reloads the asset, returns early if it is gone or
already ready, overwrites renditions under the same keys and upserts their rows. Video, audio
and PDF stages live in ``ingest.media_stages``; a video's web proxy is a follow-up job that
the record stage queues (``JobKind.MAKE_PROXY``, handled by ``ingest.proxy``), as it queues the
faces of a photo or video poster (``JobKind.FIND_FACES``, ``ingest.faces``) when ``faces`` is on.

A file that is corrupt is not an error of the job: its metadata is still recorded and the asset
ends FAILED with the reason. A file we cannot render is READY without renditions, with a note.
Transient trouble (store unreachable, disk full, database busy) propagates so the queue retries.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dam import changes
from dam.context import Context
from dam.curation.versions import KEPT_ON_REPLACE
from dam.enums import AssetState, JobKind, MediaType, RenditionKind
from dam.errors import IngestError, UnsupportedMediaError
from dam.models import Asset, AssetVersion, Batch, Rendition, utcnow
from dam.queue import Completion, enqueue
from ingest import media_stages
from ingest.faces import queue_faces
from ingest.metadata import ExtractedMetadata, extract_metadata
from ingest.publications import link_photo
from ingest.renditions import (
    RenderedImage,
    RenditionSet,
    dominant_color,
    make_photo_renditions,
)
from ingest.sidecars import read_sidecar, sidecar_joined
from ingest.stages import run_stages
from storage import rendition_key

log = logging.getLogger(__name__)

STORE_THREADS = 4  # renditions stored side by side


@dataclass
class ProcessState:
    ctx: Context
    asset_id: int
    sha256: str
    mime_type: str
    media_type: MediaType
    path: Path
    metadata: ExtractedMetadata | None = None
    renditions: RenditionSet | None = None
    stored: list[Rendition] = field(default_factory=list)
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    done: bool = False
    fields: dict[str, Any] = field(default_factory=dict)  # catalog columns to write
    raw: dict[str, Any] = field(default_factory=dict)  # merged into metadata_json
    outputs: list[RenderedImage] = field(default_factory=list)  # from frames, pages, sound
    on_record: list[Callable[[Any, Asset], None]] = field(default_factory=list)
    batch_id: int | None = None
    filename: str = ""
    completion: Completion | None = None  # the job, marked done when the results are recorded


def extract(state: ProcessState) -> None:
    """Read EXIF, IPTC and XMP into catalog fields (never fails on bad metadata); an XMP
    sidecar taken in with the picture's batch overrides what the file says."""
    sidecar = read_sidecar(state.ctx, state.batch_id, state.filename)
    state.metadata = extract_metadata(state.path, state.mime_type, sidecar=sidecar)
    if sidecar is not None:
        state.raw["sidecar"] = True


def render(state: ProcessState) -> None:
    """Thumbnail, preview and perceptual hash, decoded once at reduced scale."""
    settings = state.ctx.settings
    orientation = state.metadata.orientation if state.metadata else None
    try:
        state.renditions = make_photo_renditions(
            state.path,
            state.mime_type,
            {"preview": settings.preview_size, "thumbnail": settings.thumbnail_size},
            fmt=settings.rendition_format,
            quality=settings.rendition_quality,
            max_pixels=settings.max_image_pixels,
            orientation=orientation,
        )
    except UnsupportedMediaError as exc:
        state.notes.append(f"no preview: {exc}")
        return
    except IngestError as exc:
        if exc.transient:
            raise
        state.failure = str(exc)
        return
    if state.renditions is not None and state.renditions.pages > 1:
        state.fields["page_count"] = state.renditions.pages
    thumb = next((i for i in state.renditions.images if i.kind == "thumbnail"), None)
    color = dominant_color(thumb.data) if thumb else None
    if color:
        state.raw["dominant_color"] = color  # the grid's placeholder while the thumbnail loads


def store_renditions(state: ProcessState) -> None:
    """Put each rendition in the store; the same key is overwritten on a retry.

    The puts run side by side (up to STORE_THREADS): each waits mostly on its fsyncs (or on
    S3), and waits that overlap cost one of them (a photo's two: ~16-28 ms in a row, ~10-13 ms
    together on the project machine). A failed put fails the stage as before.
    """
    photo = state.renditions.images if state.renditions is not None else []
    outputs = [*state.outputs, *photo]
    keys = [
        rendition_key(state.sha256, o.kind if not o.page else f"{o.kind}-{o.page:04d}",
                      o.extension)
        for o in outputs
    ]

    def put(index: int) -> None:
        output = outputs[index]
        state.ctx.store.put_bytes(keys[index], output.data, content_type=output.mime_type)

    if len(outputs) > 1:
        with ThreadPoolExecutor(min(STORE_THREADS, len(outputs))) as pool:
            list(pool.map(put, range(len(outputs))))  # re-raises the first failure
    elif outputs:
        put(0)
    for key, output in zip(keys, outputs, strict=True):
        state.stored.append(
            Rendition(
                kind=RenditionKind(output.kind),
                page=output.page,
                key=key,
                mime_type=output.mime_type,
                width=output.width,
                height=output.height,
                byte_size=len(output.data),
            )
        )


def note_unprocessed(state: ProcessState) -> None:
    """Types without a processor yet are preserved and catalogued as such."""
    state.notes.append(f"{state.media_type} files are preserved; previews are not made yet")


def record(state: ProcessState) -> None:
    """Write metadata, renditions, the final state and the job's end in one transaction."""
    with state.ctx.catalog.write() as session:
        with session.no_autoflush:  # the asset's columns in one UPDATE, not one per query
            recorded = _record_results(session, state)
        if recorded is not None:
            _record_links(session, state, *recorded)
        if state.completion is not None:
            state.completion.mark(session)
    state.done = True


def _record_results(session: Session, state: ProcessState) -> tuple[Asset, bool] | None:
    """The asset's columns and renditions, flushed; returns the asset and whether it had a
    perceptual hash before, or None when it is gone or its file was replaced meanwhile."""
    # The asset, its batch, and whether its file was replaced, in one query.
    replaced_column = (select(AssetVersion.id).where(AssetVersion.asset_id == Asset.id)
                       .exists().label("replaced"))
    row = session.execute(
        select(Asset, Batch, replaced_column)
        .outerjoin(Batch, Batch.id == Asset.batch_id)
        .where(Asset.id == state.asset_id)
    ).first()
    if row is None:
        return None
    asset, batch, replaced = row
    changes.record(session, [asset.id], "updated")
    if asset.sha256 != state.sha256:
        # The file was replaced while this ran: process the new one instead.
        asset.state, asset.error = AssetState.PENDING, None
        enqueue(session, JobKind.PROCESS_ASSET, asset.id,  # this job itself is ending
                max_attempts=state.ctx.settings.job_max_attempts)
        return None
    edited = frozenset(asset.edited_fields or ())
    if replaced:  # a replaced file: what people described stays (dam.curation.versions)
        edited |= KEPT_ON_REPLACE
    hashed_before = asset.phash is not None
    _apply_metadata(asset, state, edited, keep_known=bool(replaced))
    for name, value in state.fields.items():
        if name not in edited:
            setattr(asset, name, value)
    _apply_batch_defaults(asset, batch, edited)
    _replace_renditions(session, asset, state.stored)
    asset.processed_at = utcnow()
    asset.state = AssetState.FAILED if state.failure else AssetState.READY
    asset.error = state.failure
    if ("sidecar" not in state.raw and sidecar_joined(session, asset)
            and read_sidecar(state.ctx, state.batch_id, state.filename) is not None):
        # An XMP sidecar arrived while this ran: process again, with it.
        asset.state, asset.error = AssetState.PENDING, None
        enqueue(session, JobKind.PROCESS_ASSET, asset.id,  # this job itself is ending
                max_attempts=state.ctx.settings.job_max_attempts)
    session.flush()
    return asset, hashed_before


def _record_links(session: Session, state: ProcessState, asset: Asset,
                  hashed_before: bool) -> None:
    """Publication links, follow-up jobs and the stages' own writes (autoflush as usual)."""
    if asset.media_type == MediaType.PHOTO:
        link_photo(session, asset, state.ctx.settings.publication_match_distance,
                   linked_before=hashed_before)
    if state.ctx.settings.faces and asset.state == AssetState.READY:
        queue_faces(session, asset, state.ctx.settings.job_max_attempts)
    for write in state.on_record:
        write(session, asset)


PHOTO_STAGES = (extract, render, store_renditions, record)
TIME_BASED_STAGES = (media_stages.analyse_av, store_renditions, record)
DOCUMENT_STAGES = (
    media_stages.read_document,
    media_stages.render_document,
    media_stages.hash_document_images,
    store_renditions,
    record,
)
UNPROCESSED_STAGES = (note_unprocessed, record)

PIPELINES = {
    MediaType.PHOTO: PHOTO_STAGES,
    MediaType.VIDEO: TIME_BASED_STAGES,
    MediaType.AUDIO: TIME_BASED_STAGES,
    MediaType.DOCUMENT: DOCUMENT_STAGES,
    MediaType.OTHER: UNPROCESSED_STAGES,
}
# Renditions that other jobs make: a reprocessed asset keeps them (the proxy job checks them).
KEPT_KINDS = frozenset({RenditionKind.PROXY})

METADATA_FIELDS = tuple(
    f.name for f in dataclasses.fields(ExtractedMetadata) if f.name not in {"raw", "warnings"}
)


def _apply_metadata(asset: Asset, state: ProcessState, edited: frozenset[str], *,
                    keep_known: bool = False) -> None:
    """What the file says, except in the fields people have edited (dam.curation.edits).

    With ``keep_known`` (a replaced file), a field the new file is silent on keeps the value
    the earlier file gave it (an export that dropped the EXIF keeps the capture time).
    """
    md = state.metadata
    raw: dict = {}
    if md is not None:
        for name in METADATA_FIELDS:
            value = getattr(md, name)
            if name not in edited and not (keep_known and value in (None, [], "")):
                setattr(asset, name, value)
        raw = dict(md.raw)
        if md.warnings:
            raw["warnings"] = list(md.warnings)
    if state.renditions is not None:
        renditions = state.renditions
        if asset.width is None or (renditions.developed and not {"width", "height"} & edited):
            asset.width, asset.height = renditions.source_width, renditions.source_height
        if renditions.embedded_preview is not None:
            raw["embedded_preview_size"] = list(renditions.embedded_preview)
        asset.phash = renditions.phash
    raw.update(state.raw)
    if state.notes:
        raw["notes"] = list(state.notes)
    if "proxy" in (asset.metadata_json or {}):
        raw["proxy"] = asset.metadata_json["proxy"]  # written by the proxy job
    asset.metadata_json = raw


BATCH_DEFAULTS = (("event", "event"), ("area", "area"), ("programme", "programme"),
                  ("sublocation", "place"), ("creator", "photographer"), ("caption", "caption"))


def _apply_batch_defaults(asset: Asset, batch: Batch | None, edited: frozenset[str]) -> None:
    """What the photographer said for the batch fills what the file itself does not say.

    A field someone emptied on purpose (an edited field) stays empty.
    """
    if batch is None:
        return
    for name, batch_field in BATCH_DEFAULTS:
        if name not in edited:
            setattr(asset, name, getattr(asset, name) or getattr(batch, batch_field))


def _replace_renditions(session: Session, asset: Asset, stored: list[Rendition]) -> None:
    existing = {
        (r.kind, r.page): r
        for r in session.scalars(select(Rendition).where(Rendition.asset_id == asset.id))
        if r.kind not in KEPT_KINDS
    }
    added = []
    for new in stored:
        # A new row's page is None until inserted (the column default): photos have page 0.
        old = existing.pop((new.kind, new.page or 0), None)
        if old is None:
            new.asset_id = asset.id
            added.append({attr: getattr(new, attr) for attr in RENDITION_COLUMNS})
        else:
            for attr in ("key", "mime_type", "width", "height", "byte_size"):
                setattr(old, attr, getattr(new, attr))
            old.created_at = utcnow()
    if added:  # one statement for all of them (a publication has a preview per page)
        session.execute(insert(Rendition), added)
    for stale in existing.values():
        session.delete(stale)


RENDITION_COLUMNS = ("asset_id", "kind", "page", "key", "mime_type", "width", "height",
                     "byte_size")


def process_asset(
    ctx: Context, asset_id: int, *, completion: Completion | None = None
) -> AssetState | None:
    """Process one asset end to end; returns its final state, or None if it no longer exists.

    With ``completion``, the job running this is marked done in the transaction that records
    the results (when processing gets that far: else its caller marks it).
    """
    with ctx.catalog.write() as session:
        # One UPDATE ... RETURNING, not a load of the whole row then an UPDATE.
        started = session.execute(
            update(Asset)
            .where(Asset.id == asset_id, Asset.state != AssetState.READY)
            .values(state=AssetState.PROCESSING)
            .returning(Asset.sha256, Asset.mime_type, Asset.media_type, Asset.original_key,
                       Asset.batch_id, Asset.original_filename),
            execution_options={"synchronize_session": False},
        ).first()
        if started is None:  # gone, or ready already
            gone = session.scalar(select(Asset.id).where(Asset.id == asset_id)) is None
            return None if gone else AssetState.READY
        changes.record(session, [asset_id], "updated")
    sha256, mime_type, media_type, key, batch_id, filename = started
    with ctx.store.local_path(key) as path:
        state = ProcessState(ctx, asset_id, sha256, mime_type, MediaType(media_type), path,
                             batch_id=batch_id, filename=filename or "", completion=completion)
        run_stages(PIPELINES[state.media_type], state)
    return AssetState.FAILED if state.failure else AssetState.READY
