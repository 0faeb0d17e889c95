"""A rebuild reads columns, not objects, in worker processes: the documents must not change."""

from __future__ import annotations

import datetime as dt

from dam.context import Context
from dam.enums import MediaType, WorkflowState
from dam.models import Asset, Batch
from dam.search.catalog_reader import document_chunks
from dam.search.documents import build_document
from tests.changefeed_check import record_fixture_writes


def _fill(ctx: Context, count: int = 23) -> None:
    with ctx.catalog.write() as session:
        batch = Batch(event="Feria del empleo", event_date=dt.date(2025, 3, 14),
                      area="Dirección General de Desarrollo Social", place="Ermita Iztapalapa",
                      photographer="Íñigo Yáñez")
        session.add(batch)
        session.flush()
        for i in range(1, count + 1):
            session.add(Asset(
                sha256=f"{i:064x}", byte_size=10, original_filename=f"IMG_{i:04}.JPG",
                original_key=f"originals/{i}", media_type=MediaType.PHOTO if i % 5 else
                MediaType.DOCUMENT, mime_type="image/jpeg", batch_id=batch.id if i % 2 else None,
                caption=f"Inauguración del mercado número {i} en Santa Cruz Meyehualco" if i % 3
                else None, headline="Peña y Núñez" if i % 4 == 0 else None,
                keywords=["mercado", "obra"] if i % 2 else [], persons_shown=["Ana Peña"],
                taken_at=dt.datetime(2024, 1, 1) + dt.timedelta(days=i) if i % 7 else None,
                width=6000 if i % 2 else 4000, height=4000 if i % 2 else 6000, orientation=1,
                gps_latitude=19.35 if i % 2 else None, gps_longitude=-99.05 if i % 2 else None,
                document_text="Folleto de la feria del empleo" if i % 5 == 0 else None,
                workflow_state=list(WorkflowState)[i % 5], internal_only=i % 6 == 0,
                contains_minors=i % 8 == 0,
                embargo_until=dt.datetime(2099, 1, 1) if i % 9 == 0 else None,
            ))
        record_fixture_writes(session)


def _by_orm(ctx: Context) -> dict[int, object]:
    with ctx.catalog.read() as session:
        return {a.id: build_document(a) for a in session.query(Asset).all()}


def test_column_documents_equal_the_orm_documents(ctx: Context) -> None:
    _fill(ctx)
    expected = _by_orm(ctx)
    here = [d for chunk in document_chunks(ctx.catalog, processes=1, size=4) for d in chunk]
    assert {d.asset_id: d for d in here} == expected and len(here) == len(expected)


def test_worker_processes_build_the_same_documents(ctx: Context) -> None:
    _fill(ctx)
    expected = _by_orm(ctx)
    chunks = list(document_chunks(ctx.catalog, processes=2, size=3))  # 8 ranges: parallel
    assert len(chunks) == 8
    docs = [d for chunk in chunks for d in chunk]
    assert {d.asset_id: d for d in docs} == expected and len(docs) == len(expected)
