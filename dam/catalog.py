"""Catalog services: batches, recording what came in, reading assets back for people and scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, inspect, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dam import changes
from dam.db import Catalog
from dam.enums import AssetState, IntakeOutcome, JobKind, MediaType
from dam.errors import NotFoundError
from dam.faces import faces_of_assets
from dam.models import Asset, AssetVersion, Batch, IntakeItem, Job
from dam.queue import enqueue, requeue_for_asset, waiting_on_trouble


@dataclass(frozen=True)
class BatchInfo:
    """What a photographer says once for a whole batch."""

    source: str = "cli"
    created_by: str | None = None
    event: str | None = None
    event_date: dt.date | None = None
    area: str | None = None
    programme: str | None = None  # programa de gobierno (Utopías, Mercomuna...)
    place: str | None = None
    photographer: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class IntakeFacts:
    """What intake learned of one file before it is recorded."""

    source_path: str
    original_filename: str
    sha256: str
    byte_size: int
    mime_type: str
    media_type: MediaType
    original_key: str


@dataclass(frozen=True)
class IntakeResult:
    outcome: IntakeOutcome
    source_path: str
    asset_id: int | None = None
    error: str | None = None


def create_batch(catalog: Catalog, info: BatchInfo) -> int:
    with catalog.write() as session:
        batch = Batch(**info.__dict__)
        session.add(batch)
        session.flush()
        return batch.id


def find_asset_id(catalog: Catalog, sha256: str) -> int | None:
    """The asset holding this content: as its current file, else as an earlier version."""
    with catalog.read() as session:
        return asset_id_holding(session, sha256)


def asset_id_holding(session: Session, sha256: str) -> int | None:
    """``find_asset_id`` within the caller's session (one query: new files are the common
    case)."""
    current = select(Asset.id, literal(0).label("rank")).where(Asset.sha256 == sha256)
    earlier = select(AssetVersion.asset_id, literal(1).label("rank")).where(
        AssetVersion.sha256 == sha256)
    both = union_all(current, earlier).subquery()
    return session.scalars(select(both.c.id).order_by(both.c.rank).limit(1)).first()


AlsoRecord = Callable[[Session, "IntakeResult"], None]
"""Caller's own writes for an intake outcome, made in the transaction that records it."""


def record_new(
    catalog: Catalog, batch_id: int, facts: IntakeFacts, max_attempts: int,
    also: AlsoRecord | None = None,
) -> IntakeResult:
    """Record a stored original as a pending asset with its processing job, in one transaction.

    If another process recorded the same content meanwhile, the file is a duplicate of that asset.
    """
    try:
        with catalog.write() as session:
            # A plain INSERT ... RETURNING: no Asset object to build and flush for a new file.
            asset_id = session.execute(
                insert(Asset)
                .values(
                    sha256=facts.sha256,
                    media_type=facts.media_type,
                    mime_type=facts.mime_type,
                    byte_size=facts.byte_size,
                    original_filename=facts.original_filename,
                    original_key=facts.original_key,
                    batch_id=batch_id,
                    state=AssetState.PENDING,
                )
                .returning(Asset.id)
            ).scalar_one()
            changes.record(session, [asset_id], "created")
            enqueue(session, JobKind.PROCESS_ASSET, asset_id, max_attempts=max_attempts)
            _add_item(session, batch_id, facts, IntakeOutcome.NEW, asset_id, flush=False)
            result = IntakeResult(IntakeOutcome.NEW, facts.source_path, asset_id)
            if also is not None:
                also(session, result)
            return result
    except IntegrityError:
        existing = find_asset_id(catalog, facts.sha256)
        if existing is None:
            raise
        return record_duplicate(catalog, batch_id, facts, existing, also)


def record_duplicate(
    catalog: Catalog, batch_id: int, facts: IntakeFacts, asset_id: int,
    also: AlsoRecord | None = None,
) -> IntakeResult:
    result = IntakeResult(IntakeOutcome.DUPLICATE, facts.source_path, asset_id)
    with catalog.write() as session:
        _add_item(session, batch_id, facts, IntakeOutcome.DUPLICATE, asset_id)
        if also is not None:
            also(session, result)
    return result


def record_failure(
    catalog: Catalog, batch_id: int, source_path: str, filename: str, error: str,
    also: AlsoRecord | None = None,
) -> IntakeResult:
    result = IntakeResult(IntakeOutcome.FAILED, source_path, error=error)
    with catalog.write() as session:
        session.add(
            IntakeItem(
                batch_id=batch_id,
                source_path=source_path,
                original_filename=filename,
                outcome=IntakeOutcome.FAILED,
                error=error,
            )
        )
        if also is not None:
            also(session, result)
    return result


def _add_item(session, batch_id, facts, outcome, asset_id, *, flush: bool = True) -> IntakeItem:  # type: ignore[no-untyped-def]
    item = IntakeItem(
        batch_id=batch_id,
        source_path=facts.source_path,
        original_filename=facts.original_filename,
        outcome=outcome,
        asset_id=asset_id,
        sha256=facts.sha256,
        byte_size=facts.byte_size,
    )
    session.add(item)
    if flush:
        session.flush()
    return item


# face_people is face data: internal, listed only with the faces (``faces=True``), never in
# records that leave the catalog (API answers, handover records).
FACE_COLUMNS = ("face_people",)
ASSET_COLUMNS = tuple(c.key for c in inspect(Asset).mapper.column_attrs
                      if c.key not in FACE_COLUMNS)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def asset_to_dict(asset: Asset, *, with_renditions: bool = True) -> dict[str, Any]:
    """Every catalog field by its catalog name, JSON-ready.

    Photos also list the publications they were printed in (``appears_in``), publications the
    archive photos they printed (``photos_printed``), each with its page and hash distance.
    """
    data = {name: _jsonable(getattr(asset, name)) for name in ASSET_COLUMNS}
    if with_renditions:
        data["renditions"] = [
            {
                "kind": str(r.kind),
                "page": r.page,
                "key": r.key,
                "mime_type": r.mime_type,
                "width": r.width,
                "height": r.height,
                "byte_size": r.byte_size,
            }
            for r in asset.renditions
        ]
    if asset.media_type == MediaType.PHOTO:
        data["appears_in"] = [
            {"publication_id": p.publication_id, "page": p.page, "distance": p.distance}
            for p in asset.appears_in
        ]
    elif asset.media_type == MediaType.DOCUMENT:
        data["photos_printed"] = [
            {"photo_id": p.photo_id, "page": p.page, "distance": p.distance}
            for p in asset.photos_printed
        ]
    return data


def _add_faces(session: Any, rows: list[dict[str, Any]], assets: list[Asset]) -> None:
    """The faces of each asset (box, group, name) and the names they give it, for scripts."""
    found = faces_of_assets(session, [a.id for a in assets])
    for row, asset in zip(rows, assets, strict=True):
        row["face_people"] = list(asset.face_people or [])
        row["faces"] = found[asset.id]


def get_asset(catalog: Catalog, asset_id: int, *, faces: bool = False) -> dict[str, Any]:
    with catalog.read() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            raise NotFoundError(f"no asset with id {asset_id}")
        data = asset_to_dict(asset)
        if faces:
            _add_faces(session, [data], [asset])
        return data


def iter_assets(
    catalog: Catalog, *, state: AssetState | None = None, batch_size: int = 500,
    faces: bool = False,
) -> Iterator[dict[str, Any]]:
    """All assets in id order, read in keyed pages so memory stays flat."""
    last_id = 0
    while True:
        with catalog.read() as session:
            query = select(Asset).where(Asset.id > last_id).order_by(Asset.id).limit(batch_size)
            if state is not None:
                query = query.where(Asset.state == state)
            assets = list(session.scalars(query))
            page = [asset_to_dict(a) for a in assets]
            if faces:
                _add_faces(session, page, assets)
        if not page:
            return
        yield from page
        last_id = page[-1]["id"]


def summary(catalog: Catalog, *, failures: int = 50) -> dict[str, Any]:
    """Counts by state and type, bytes stored, queue state, and the latest failures with reasons."""
    with catalog.read() as session:

        def grouped(column: Any) -> dict[str, int]:
            rows = session.execute(select(column, func.count()).group_by(column)).all()
            return {str(key): n for key, n in rows}

        by_state, by_type = grouped(Asset.state), grouped(Asset.media_type)
        jobs, intake = grouped(Job.state), grouped(IntakeItem.outcome)
        in_trash = session.scalar(select(func.count()).select_from(Asset).where(
            Asset.trashed_at.is_not(None)))
        total_bytes = session.scalar(select(func.coalesce(func.sum(Asset.byte_size), 0)))
        failed_assets = session.execute(
            select(Asset.id, Asset.original_filename, Asset.error)
            .where(Asset.state == AssetState.FAILED)
            .order_by(Asset.id.desc())
            .limit(failures)
        ).all()
        failed_intake = session.execute(
            select(IntakeItem.source_path, IntakeItem.error)
            .where(IntakeItem.outcome == IntakeOutcome.FAILED)
            .order_by(IntakeItem.id.desc())
            .limit(failures)
        ).all()
    return {
        "assets": sum(by_state.values()),
        "in_trash": int(in_trash or 0),  # counted in "assets" until purged
        "bytes": int(total_bytes or 0),
        "by_state": by_state,
        "by_type": by_type,
        "jobs": jobs,
        "intake": intake,
        "failed_assets": [{"id": i, "file": f, "error": e} for i, f, e in failed_assets],
        "failed_intake": [{"path": p, "error": e} for p, e in failed_intake],
        "waiting": waiting_on_trouble(catalog),  # jobs held back by an outage, with the reason
    }


def reprocess(catalog: Catalog, *, only_failed: bool, max_attempts: int) -> int:
    """Queue assets to be processed again (failed ones, or all); returns how many."""
    count = 0
    last_id = 0
    while True:
        with catalog.write() as session:
            query = select(Asset).where(Asset.id > last_id).order_by(Asset.id).limit(500)
            if only_failed:
                query = query.where(Asset.state == AssetState.FAILED)
            page = list(session.scalars(query))
            changes.record(session, [a.id for a in page], "updated")
            for asset in page:
                asset.state = AssetState.PENDING
                asset.error = None
                requeue_for_asset(session, asset.id, JobKind.PROCESS_ASSET, max_attempts)
            count += len(page)
        if not page:
            return count
        last_id = page[-1].id
