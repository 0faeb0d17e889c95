"""Keep an index in step with the catalog's change feed; rebuild one from scratch beside it."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from dam.changes import last_seq
from dam.db import Catalog
from dam.models import Asset, AssetChange
from dam.search import documents
from dam.search.catalog_reader import document_chunks
from dam.search.documents import build_document
from dam.search.engine import SCHEMA_VERSION, EngineFactory, SearchEngine
from dam.search.store import DATA_DIR, IndexLocation, IndexMeta, read_meta, write_meta

log = logging.getLogger(__name__)

GAP_SECONDS = 120.0  # how long a missing sequence number may still turn up (a slow transaction)
BATCH = 1000


class ChangeFollower:
    """Reads the change feed after a sequence, robust to commits landing out of order.

    On PostgreSQL a transaction can commit sequence 10 after another committed 11: when 11 is
    read, 10 is remembered as a gap and asked for again on every poll until it appears or
    ``gap_seconds`` pass (a rolled-back transaction never fills its gap). On start, changes of
    the last ``gap_seconds`` are read again too, since re-indexing an asset is idempotent.
    """

    def __init__(self, catalog: Catalog, seq: int, gap_seconds: float = GAP_SECONDS) -> None:
        self.catalog = catalog
        self.last_seq = seq
        self.gap_seconds = gap_seconds
        self.gaps: dict[int, float] = {}
        self._replay_since: dt.datetime | None = dt.datetime.now(dt.UTC) - dt.timedelta(
            seconds=gap_seconds
        )

    def poll(self, limit: int = BATCH) -> list[tuple[int, int, str]]:
        now = time.monotonic()
        self.gaps = {s: t for s, t in self.gaps.items() if now - t < self.gap_seconds}
        cond = AssetChange.seq > self.last_seq
        if self.gaps:
            cond = or_(cond, AssetChange.seq.in_(list(self.gaps)))
        if self._replay_since is not None:
            cond = or_(cond, AssetChange.changed_at >= self._replay_since)
            self._replay_since = None
        with self.catalog.read() as session:
            rows = session.execute(
                select(AssetChange.seq, AssetChange.asset_id, AssetChange.kind)
                .where(cond).order_by(AssetChange.seq).limit(limit)
            ).all()
        out = [(int(s), int(a), str(k)) for s, a, k in rows]
        self._advance([s for s, _, _ in out], now)
        return out

    def _advance(self, seqs: list[int], now: float) -> None:
        expected = self.last_seq + 1
        for seq in seqs:
            self.gaps.pop(seq, None)
            if seq < expected:
                continue
            for missing in range(expected, seq):
                self.gaps.setdefault(missing, now)
            expected = seq + 1
        self.last_seq = max(self.last_seq, expected - 1)


def apply_changes(catalog: Catalog, engine: SearchEngine, asset_ids: set[int]) -> None:
    """Re-index the given assets as the catalog has them now; drop the ones that are gone."""
    with catalog.read() as session:
        assets = session.scalars(
            select(Asset).options(selectinload(Asset.batch))
            .where(Asset.id.in_(asset_ids), Asset.trashed_at.is_(None))  # the trash: dropped
        ).all()
        docs = [build_document(a) for a in assets]
    writer = engine.writer()
    try:
        writer.delete(asset_ids - {d.asset_id for d in docs})
        writer.upsert(docs)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def catch_up(catalog: Catalog, engine: SearchEngine, generation: Path,
             follower: ChangeFollower) -> int:
    """Apply the feed in batched commits until nothing is left; the seq is kept in the index."""
    applied = 0
    while True:
        rows = follower.poll()
        if not rows:
            return applied
        apply_changes(catalog, engine, {a for _, a, _ in rows})
        meta = read_meta(generation) or IndexMeta(engine.name, SCHEMA_VERSION)
        meta.last_seq = follower.last_seq
        write_meta(generation, meta)
        applied += len(rows)
        if len(rows) < BATCH:
            return applied


def reindex_lapsed_embargoes(catalog: Catalog, engine: SearchEngine, generation: Path,
                             now: dt.datetime | None = None) -> int:
    """Re-index the assets whose embargo ended since the last look; how many.

    An asset's rights words (``embargado``) are computed when it is indexed, and an embargo ends
    without any change to the catalog: this keeps ``-estado:embargado`` and the rights facet
    true for editors. (The public's view never relies on the index: it is checked in SQL.)
    """
    meta = read_meta(generation)
    if meta is None:
        return 0
    moment = now or documents.utc_now()
    since = dt.datetime.fromtimestamp(meta.embargo_checked_at or meta.built_at, dt.UTC)
    with catalog.read() as session:
        ids = set(session.scalars(select(Asset.id).where(
            Asset.embargo_until > since, Asset.embargo_until <= moment)))
    if not ids:
        return 0  # nothing to remember: rewriting the meta would make every reader refresh
    apply_changes(catalog, engine, ids)
    log.info("re-indexed %d asset(s) whose embargo ended", len(ids))
    meta.embargo_checked_at = moment.timestamp()
    write_meta(generation, meta)
    return len(ids)


def iter_asset_chunks(catalog: Catalog, size: int = 2000) -> Iterator[list]:
    """Every asset, in id order, a chunk per read (keyset pagination, no long transaction)."""
    after = 0
    while True:
        with catalog.read() as session:
            chunk = session.scalars(
                select(Asset).options(selectinload(Asset.batch))
                .where(Asset.id > after).order_by(Asset.id).limit(size)
            ).all()
            docs = [build_document(a) for a in chunk if a.trashed_at is None]
        if not chunk:
            return
        after = chunk[-1].id
        yield docs


@dataclass
class RebuildReport:
    documents: int
    seconds: float
    generation: Path


def rebuild(catalog: Catalog, factory: EngineFactory, location: IndexLocation,
            processes: int | None = None) -> RebuildReport:
    """Build a whole new generation from the catalog, catch it up, and swap it in atomically.

    Searches keep using the current generation meanwhile; the writer lock is only taken for the
    final catch-up and swap, so the follower keeps the old generation fresh during the build.
    Documents are built by ``processes`` worker processes (default: one per core) from the
    catalog's columns (dam.search.catalog_reader). One rebuild at a time per node: a second
    waits for the first (``rebuild_lock``).
    """
    with location.rebuild_lock():
        return rebuild_holding_lock(catalog, factory, location, processes)


def rebuild_holding_lock(catalog: Catalog, factory: EngineFactory, location: IndexLocation,
                         processes: int | None = None) -> RebuildReport:
    """``rebuild`` for a caller that already holds the node's rebuild lock."""
    started, started_wall = time.monotonic(), time.time()
    start_seq = last_seq(catalog)
    generation = location.new_generation(factory.name)
    engine = factory.create(generation / DATA_DIR)
    count = 0
    try:
        writer = engine.writer(bulk=True)
        for docs in document_chunks(catalog, processes):
            writer.upsert(docs)
            count += len(docs)
        writer.commit()
        write_meta(generation, IndexMeta(factory.name, SCHEMA_VERSION, start_seq, time.time(),
                                         embargo_checked_at=started_wall))
        with location.writer_lock():
            engine.refresh()
            catch_up(catalog, engine, generation, ChangeFollower(catalog, start_seq))
            location.swap(generation)
    finally:
        engine.close()
    seconds = time.monotonic() - started
    log.info("search index rebuilt: %d documents in %.1f s (%s)", count, seconds, generation)
    return RebuildReport(count, seconds, generation)
