"""Catalog reads and small writes for the pages: grid items by key, the asset page, batches."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, literal, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from dam import changes
from dam.db import Catalog, among, dialect_is_sqlite
from dam.enums import AssetState, CollectionKind, JobKind, JobState, RenditionKind, UploadState
from dam.models import (
    Asset,
    Batch,
    BlackoutPeriod,
    Collection,
    CollectionItem,
    IntakeItem,
    Job,
    PublicationPhoto,
    Rendition,
    Upload,
)
from dam.queue import requeue_for_asset


@contextmanager
def reading(catalog: Catalog) -> Iterator[Session]:
    """A read session whose objects stay usable (detached, not expired) after it ends."""
    with catalog.read() as session:
        try:
            yield session
        finally:
            session.expunge_all()


@contextmanager
def glancing(catalog: Catalog) -> Iterator[Session]:
    """``reading`` for the busiest pages' plain reads, without a transaction on PostgreSQL
    (``Catalog.glance``: no BEGIN/ROLLBACK round trips)."""
    with catalog.glance() as session:
        try:
            yield session
        finally:
            session.expunge_all()


GRID_COLUMNS = (
    Asset.id, Asset.media_type, Asset.state, Asset.error, Asset.headline, Asset.caption,
    Asset.original_filename, Asset.taken_at, Asset.event, Asset.creator, Asset.duration_seconds,
    Asset.workflow_state, Asset.page_count, Asset.publication_kind,
    Asset.metadata_json["dominant_color"].as_string().label("color"),
)

# Columns, not ORM objects: building 60 Rendition instances per grid costs more than the query.
THUMB_COLUMNS = (Rendition.id, Rendition.asset_id, Rendition.key, Rendition.created_at,
                 Rendition.width, Rendition.height, Rendition.mime_type)
# A grid reads its assets and their thumbnails in one query: an asset has at most one thumbnail
# (renditions are unique by asset, kind and page, and only PAGE renditions have a page).
_GRID_THUMB = (Rendition.id.label("thumb_id"), Rendition.key.label("thumb_key"),
               Rendition.created_at.label("thumb_created_at"),
               Rendition.width.label("thumb_width"), Rendition.height.label("thumb_height"),
               Rendition.mime_type.label("thumb_mime_type"))
_THUMB_OF_ASSET = and_(Rendition.asset_id == Asset.id, Rendition.kind == RenditionKind.THUMBNAIL,
                       Rendition.page == 0)


@dataclass(frozen=True)
class RenditionRef:
    """What a page needs to link a rendition: its key and a version for the immutable URL."""

    key: str
    version: int
    width: int
    height: int
    mime_type: str


@dataclass
class GridItem:
    id: int
    media_type: str
    state: str
    title: str
    caption: str | None
    error: str | None
    taken_at: dt.datetime | None
    event: str | None
    creator: str | None
    duration: float | None
    thumb: RenditionRef | None = None
    workflow: str | None = None  # draft, reviewed, approved, published, withdrawn
    pages: int | None = None  # of a PDF
    color: str | None = None  # the thumbnail's average colour, "#rrggbb" (worker-computed)
    printed: bool = False  # a publication's kind is set (a photographed poster is read by OCR)

    @property
    def may_have_text(self) -> bool:
        """Whether OCR may have read it: a document, or a photo of printed matter."""
        return self.media_type == "document" or self.printed


@dataclass
class Page:
    items: list[GridItem] = field(default_factory=list)
    next_before: int | None = None  # the key of the next page: ids below this one


def rendition_ref(rendition: Rendition) -> RenditionRef:
    """Of a Rendition, or of a row with its columns (the grid reads only those)."""
    created = rendition.created_at
    version = int(created.timestamp()) if created else rendition.id
    return RenditionRef(rendition.key, version, rendition.width, rendition.height,
                        rendition.mime_type)


def _title(row: object) -> str:
    for name in ("headline", "caption", "original_filename"):
        value = getattr(row, name, None)
        if value:
            return " ".join(str(value).split())[:160]
    return ""


def _thumbs(session, ids: Sequence[int]) -> dict[int, RenditionRef]:  # type: ignore[no-untyped-def]
    if not ids:
        return {}
    rows = session.execute(
        select(*THUMB_COLUMNS).where(among(Rendition.asset_id, ids,
                                           sqlite=dialect_is_sqlite(session)),
                                     Rendition.kind == RenditionKind.THUMBNAIL)
    )
    return {r.asset_id: rendition_ref(r) for r in rows}  # type: ignore[arg-type]


@functools.cache
def _grid_select() -> Select[Any]:
    """A grid's columns with its thumbnail's (built once: statements are immutable, each
    ``where`` makes a new one)."""
    return select(*GRID_COLUMNS, *_GRID_THUMB).outerjoin(Rendition, _THUMB_OF_ASSET)


def _thumb_of(row: Any) -> RenditionRef | None:
    if row.thumb_key is None:
        return None
    created = row.thumb_created_at
    version = int(created.timestamp()) if created else row.thumb_id
    return RenditionRef(row.thumb_key, version, row.thumb_width, row.thumb_height,
                        row.thumb_mime_type)


def _color(value: str | None) -> str | None:
    """Only a well-formed ``#rrggbb`` reaches a page (it becomes a style)."""
    if value and len(value) == 7 and value[0] == "#":
        try:
            int(value[1:], 16)
        except ValueError:
            return None
        return value
    return None


def _items(rows: Iterable[Any]) -> list[GridItem]:
    return [
        GridItem(r.id, str(r.media_type), str(r.state), _title(r), r.caption, r.error,
                 r.taken_at, r.event, r.creator, r.duration_seconds, _thumb_of(r),
                 str(r.workflow_state) if r.workflow_state else None, r.page_count,
                 _color(r.color), bool(r.publication_kind))
        for r in rows
    ]


def browse_page(catalog: Catalog, visible: ColumnElement[bool], before: int | None,
                per_page: int) -> Page:
    """Newest first, keyed by id: the page after id N costs the same wherever N is."""
    query = _grid_select().where(visible).order_by(Asset.id.desc()).limit(per_page + 1)
    if before is not None:
        query = query.where(Asset.id < before)
    with glancing(catalog) as session:
        items = _items(session.execute(query))
    page = Page(items=items[:per_page])
    if len(items) > per_page:
        page.next_before = page.items[-1].id
    return page


def grid_items(catalog: Catalog, ids: Sequence[int], visible: ColumnElement[bool]
               ) -> list[GridItem]:
    """Grid items for ``ids`` in that order (ids that vanished or are hidden are left out)."""
    if not ids:
        return []
    with glancing(catalog) as session:
        rows = session.execute(_grid_select().where(
            among(Asset.id, ids, sqlite=catalog.is_sqlite), visible))
        found = {item.id: item for item in _items(rows)}
    return [found[i] for i in ids if i in found]


def load_asset(catalog: Catalog, asset_id: int) -> Asset | None:
    """The asset with its renditions and batch, detached and ready for a template."""
    with reading(catalog) as session:
        return session.scalars(
            select(Asset)
            .where(Asset.id == asset_id)
            .options(selectinload(Asset.renditions), joinedload(Asset.batch),
                     selectinload(Asset.appears_in), selectinload(Asset.photos_printed))
        ).first()


def load_asset_whole(session: Session, asset_id: int, now: dt.datetime
                     ) -> tuple[Asset | None, bool]:
    """The asset with its batch, renditions and publication links in one statement (joins),
    and whether an electoral blackout is in force at ``now`` (so the page asks for more only
    then)."""
    utc = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    blackout = exists().where(BlackoutPeriod.starts_at <= utc, BlackoutPeriod.ends_at > utc)
    row = session.execute(
        select(Asset, blackout.label("blackout")).where(Asset.id == asset_id)
        .options(joinedload(Asset.renditions), joinedload(Asset.batch),
                 joinedload(Asset.appears_in), joinedload(Asset.photos_printed))
    ).unique().first()
    return (row[0], bool(row[1])) if row is not None else (None, False)


@dataclass
class Related:
    """The grids under an asset: the same event, near-duplicates, publication links."""

    event_items: list[GridItem] = field(default_factory=list)
    near: list[tuple[GridItem, int]] = field(default_factory=list)
    linked: dict[int, GridItem] = field(default_factory=dict)


def related_items(session: Session, asset: Asset, visible: ColumnElement[bool],
                  linked_ids: Sequence[int], *, same_event: int = 12, max_distance: int = 6,
                  near_limit: int = 12) -> Related:
    """Every grid of the asset page in one statement (UNION ALL of the three lists)."""
    parts = []
    base = _grid_select().add_columns(Asset.phash)
    event = asset.event or (asset.batch.event if asset.batch else None)
    if event:
        parts.append(base.add_columns(literal("event").label("why"))
                     .where(Asset.event == event, Asset.id != asset.id, visible)
                     .order_by(Asset.taken_at, Asset.id).limit(same_event))
    if asset.phash and asset.phash_q0 is not None:
        quarters = (asset.phash_q0, asset.phash_q1, asset.phash_q2, asset.phash_q3)
        columns = (Asset.phash_q0, Asset.phash_q1, Asset.phash_q2, Asset.phash_q3)
        parts.append(base.add_columns(literal("near").label("why"))
                     .where(or_(*(c == q for c, q in zip(columns, quarters, strict=True))),
                            Asset.id != asset.id, visible).limit(500))
    if linked_ids:
        parts.append(base.add_columns(literal("link").label("why"))
                     .where(Asset.id.in_(list(linked_ids)[:500]), visible))
    related = Related()
    if not parts:
        return related
    subqueries = [select(*p.subquery().c) for p in parts]  # each keeps its own order and limit
    statement = subqueries[0] if len(subqueries) == 1 else union_all(*subqueries)
    rows = list(session.execute(statement))
    mine = int(asset.phash, 16) if asset.phash else 0
    near: list[tuple[int, GridItem]] = []
    for row in rows:
        item = _items([row])[0]
        if row.why == "event":
            related.event_items.append(item)
        elif row.why == "near" and row.phash and len(row.phash) == len(asset.phash or ""):
            distance = bin(mine ^ int(row.phash, 16)).count("1")
            if distance <= max_distance:
                near.append((distance, item))
        elif row.why == "link":
            related.linked[item.id] = item
    near.sort(key=lambda pair: (pair[0], pair[1].id))
    related.near = [(item, d) for d, item in near[:near_limit]]
    return related


@dataclass(frozen=True)
class CollectionRef:
    id: int
    kind: str
    title: str


def collections_and_albums(session: Session, asset_id: int, event: str | None,
                           album_limit: int = 300
                           ) -> tuple[list[CollectionRef], list[tuple[int, str]]]:
    """The collections the asset is in (its event's first) and the newest albums to add it to,
    in one statement."""
    in_items = select(CollectionItem.collection_id).where(CollectionItem.asset_id == asset_id)
    member = or_(Collection.id.in_(in_items),
                 and_(Collection.kind == CollectionKind.EVENT, Collection.event == event)
                 if event else literal(False))
    mine = select(Collection.id, Collection.kind, Collection.title,
                  literal(1).label("member")).where(member)
    albums = (select(Collection.id, Collection.kind, Collection.title, literal(0).label("member"))
              .where(Collection.kind == CollectionKind.ALBUM)
              .order_by(Collection.id.desc()).limit(album_limit))
    rows = list(session.execute(union_all(select(*mine.subquery().c),
                                          select(*albums.subquery().c))))
    found = sorted({r.id: CollectionRef(r.id, str(r.kind), r.title) for r in rows if r.member}
                   .values(), key=lambda c: (c.kind != CollectionKind.EVENT, c.title.casefold(),
                                             c.id))
    choices = [(r.id, r.title) for r in rows if not r.member]
    return found, choices


def asset_id_for_sha(catalog: Catalog, sha256: str) -> int | None:
    with reading(catalog) as session:
        return session.scalar(select(Asset.id).where(Asset.sha256 == sha256))


def near_duplicates(catalog: Catalog, asset: Asset, visible: ColumnElement[bool],
                    max_distance: int = 6, limit: int = 12) -> list[tuple[GridItem, int]]:
    """Other assets whose perceptual hash is within ``max_distance`` bits (closest first).

    Two hashes within 6 bits agree exactly on at least one of their four 16-bit quarters
    (pigeonhole), so the four indexed quarter columns find every candidate.
    """
    if not asset.phash or asset.phash_q0 is None:
        return []
    quarters = (asset.phash_q0, asset.phash_q1, asset.phash_q2, asset.phash_q3)
    columns = (Asset.phash_q0, Asset.phash_q1, Asset.phash_q2, Asset.phash_q3)
    query = (
        select(Asset.id, Asset.phash)
        .where(or_(*(c == q for c, q in zip(columns, quarters, strict=True))),
               Asset.id != asset.id, visible)
        .limit(500)
    )
    mine = int(asset.phash, 16)
    with reading(catalog) as session:
        close = sorted(
            (bin(mine ^ int(phash, 16)).count("1"), other_id)
            for other_id, phash in session.execute(query)
            if phash and len(phash) == len(asset.phash)
        )
    close = [(d, i) for d, i in close if d <= max_distance][:limit]
    items = {item.id: item for item in grid_items(catalog, [i for _, i in close], visible)}
    return [(items[i], d) for d, i in close if i in items]


def linked_assets(catalog: Catalog, links: Sequence[PublicationPhoto], *, publications: bool,
                  visible: ColumnElement[bool]) -> list[tuple[GridItem, int]]:
    """The publications a photo appeared in (or the photos a publication printed), with page."""
    pairs = [((link.publication_id if publications else link.photo_id), link.page)
             for link in links]
    items = {item.id: item for item in grid_items(catalog, [i for i, _ in pairs], visible)}
    return [(items[i], page) for i, page in pairs if i in items]


def running_jobs(catalog: Catalog, limit: int = 50) -> list[Job]:
    with reading(catalog) as session:
        return list(session.scalars(
            select(Job).where(Job.state == JobState.RUNNING).order_by(Job.id).limit(limit)
        ))


def retry_asset(catalog: Catalog, asset_id: int, max_attempts: int) -> int:
    """Queue one failed asset again; returns 1 if it was queued, 0 if it is not failed."""
    with catalog.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.state != AssetState.FAILED:
            return 0
        asset.state, asset.error = AssetState.PENDING, None
        changes.record(session, [asset.id], "updated")
        requeue_for_asset(session, asset.id, JobKind.PROCESS_ASSET, max_attempts)
        return 1


def get_batch(catalog: Catalog, batch_id: int) -> Batch | None:
    with reading(catalog) as session:
        return session.get(Batch, batch_id)


def list_batches(catalog: Catalog, user_id: int | None, limit: int = 100) -> list[Batch]:
    """The newest batches (of one uploader, unless ``user_id`` is None)."""
    query = select(Batch).order_by(Batch.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Batch.user_id == user_id)
    with reading(catalog) as session:
        return list(session.scalars(query))


@dataclass
class BatchFile:
    """One file of a batch as the batch page shows it."""

    name: str
    outcome: str  # new, duplicate, failed; or the state of an upload not taken in yet
    asset_id: int | None
    state: str | None
    error: str | None
    thumb: RenditionRef | None
    title: str = ""


def batch_files(catalog: Catalog, batch_id: int) -> list[BatchFile]:
    """What became of every file handed in with the batch, and how far processing got."""
    with reading(catalog) as session:
        items = list(session.scalars(
            select(IntakeItem).where(IntakeItem.batch_id == batch_id).order_by(IntakeItem.id)
        ))
        receiving = list(session.scalars(
            select(Upload).where(Upload.batch_id == batch_id, Upload.outcome.is_(None))
            .order_by(Upload.created_at)
        ))
        ids = [i.asset_id for i in items if i.asset_id]
        assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(ids)))}
        thumbs = _thumbs(session, ids)
    files = []
    for item in items:
        asset = assets.get(item.asset_id) if item.asset_id else None
        files.append(BatchFile(
            item.original_filename, str(item.outcome), item.asset_id,
            str(asset.state) if asset else None,
            item.error or (asset.error if asset else None),
            thumbs.get(item.asset_id) if item.asset_id else None,
            _title(asset) if asset else item.original_filename,
        ))
    files += [BatchFile(u.filename, str(u.state), None, None,
                        u.error if u.state == UploadState.FAILED else None, None, u.filename)
              for u in receiving]
    return files
