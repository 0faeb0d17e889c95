"""Reading the catalog for a full rebuild: only the columns documents need, in parallel.

A rebuild of a million assets is dominated by turning rows into documents in Python. Here rows
come as plain tuples of the columns :func:`build_document` reads (no ORM objects, no EXIF JSON),
batches are read once, and id ranges are turned into documents by worker processes while the
parent feeds the engine, so both cores work.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from dam.db import Catalog
from dam.models import Asset, Batch
from dam.search.documents import SearchDoc, build_document

DOC_COLUMNS = (
    "id", "batch_id", "media_type", "state", "workflow_state", "created_at", "taken_at", "width",
    "height", "orientation", "camera_make", "camera_model", "gps_latitude", "gps_longitude",
    "headline", "caption", "keywords", "creator", "credit", "city", "sublocation", "event", "area",
    "persons_shown", "face_people", "original_filename", "document_text", "embargo_until",
    "internal_only", "contains_minors", "sensitive", "rating", "cull_mark", "color_label",
    "distribution_date", "medium", "series", "section", "tone", "publication_kind", "programme",
    "campaign",
)
BATCH_COLUMNS = ("id", "event", "event_date", "area", "programme", "place", "photographer")
RANGE = 10_000  # ids per task: a worker's answer stays a few MB
PARALLEL_FROM = 5  # ranges: smaller catalogs are built here (starting workers costs ~1 s)


def _batches(catalog: Catalog) -> dict[int, SimpleNamespace]:
    with catalog.read() as session:
        rows = session.execute(select(*(getattr(Batch, c) for c in BATCH_COLUMNS)))
        return {r.id: SimpleNamespace(**r._asdict()) for r in rows}


def documents_between(catalog: Catalog, low: int, high: int,
                      batches: dict[int, SimpleNamespace]) -> list[SearchDoc]:
    """Documents of the assets with ``low < id <= high``, from their columns only."""
    columns = [getattr(Asset, c) for c in DOC_COLUMNS]
    with catalog.read() as session:
        rows = session.execute(select(*columns).where(Asset.id > low, Asset.id <= high,
                                                      Asset.trashed_at.is_(None))  # the trash
                               .order_by(Asset.id)).all()
    return [build_document(row, batches.get(row.batch_id)) for row in rows]


def _ranges(catalog: Catalog, size: int) -> list[tuple[int, int]]:
    with catalog.read() as session:
        low, high = session.execute(select(func.min(Asset.id), func.max(Asset.id))).one()
    if low is None:
        return []
    return [(start, min(start + size, high)) for start in range(low - 1, high, size)]


_worker: dict[str, Any] = {}


def _init_worker(url: str) -> None:
    _worker["catalog"] = Catalog(url)
    _worker["batches"] = _batches(_worker["catalog"])


def _work(bounds: tuple[int, int]) -> list[SearchDoc]:
    return documents_between(_worker["catalog"], *bounds, _worker["batches"])


def rebuild_processes() -> int:
    """Processes that build documents (the parent indexes meanwhile): one per core, up to 4."""
    return max(1, min(4, os.cpu_count() or 1))


def document_chunks(catalog: Catalog, processes: int | None = None,
                    size: int = RANGE) -> Iterator[list[SearchDoc]]:
    """Every asset's document, a chunk per id range, built by ``processes`` workers (1: here).

    Chunks come in no particular order; an asset added meanwhile is caught up by the change
    feed after the build, as before.
    """
    processes = rebuild_processes() if processes is None else processes
    ranges = _ranges(catalog, size)
    if processes <= 1 or len(ranges) < PARALLEL_FROM:
        batches = _batches(catalog)
        for low, high in ranges:
            yield documents_between(catalog, low, high, batches)
        return
    context = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods()
                             else "spawn")
    with context.Pool(processes, initializer=_init_worker, initargs=(catalog.url,)) as pool:
        yield from pool.imap_unordered(_work, ranges)
