"""Reading collections: members in order, pages keyed by the last asset, summaries for lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union
from sqlalchemy.orm import Session

from dam.enums import CollectionKind
from dam.models import Asset, Collection, CollectionItem


@dataclass(frozen=True)
class CollectionPage:
    """One page of a collection's assets, and the key of the next page (None: the last)."""

    asset_ids: list[int]
    next_after: int | None


@dataclass(frozen=True)
class CollectionSummary:
    """A collection as lists show it: its count of (visible) assets and the asset on its cover."""

    id: int
    kind: CollectionKind
    title: str
    slug: str
    description: str | None
    event: str | None
    count: int
    cover_asset_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _shown(visible: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """What the reader may see, never what is in the trash (dam.curation.trash)."""
    not_trashed = Asset.trashed_at.is_(None)
    return not_trashed if visible is None else and_(not_trashed, visible)


def members_clause(collection: Collection) -> ColumnElement[bool]:
    """The condition on Asset that makes it a member of ``collection``."""
    by_hand = Asset.id.in_(
        select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection.id)
    )
    if collection.kind == CollectionKind.EVENT and collection.event:
        return or_(Asset.event == collection.event, by_hand)
    return by_hand


def is_member(session: Session, collection: Collection, asset_id: int) -> bool:
    found = session.scalar(
        select(Asset.id).where(Asset.id == asset_id, members_clause(collection))
    )
    return found is not None


def _album_page(session: Session, collection: Collection, after: int | None, limit: int,
                visible: ColumnElement[bool]) -> Select[Any]:
    query = (
        select(CollectionItem.asset_id)
        .join(Asset, Asset.id == CollectionItem.asset_id)
        .where(CollectionItem.collection_id == collection.id, visible)
        .order_by(CollectionItem.position, CollectionItem.asset_id)
        .limit(limit + 1)
    )
    if after is None:
        return query
    position = session.scalar(select(CollectionItem.position).where(
        CollectionItem.collection_id == collection.id, CollectionItem.asset_id == after))
    if position is None:  # it left the album meanwhile: start again
        return query
    return query.where(or_(CollectionItem.position > position,
                           and_(CollectionItem.position == position,
                                CollectionItem.asset_id > after)))


def _event_page(session: Session, collection: Collection, after: int | None, limit: int,
                visible: ColumnElement[bool]) -> Select[Any]:
    query = (
        select(Asset.id)
        .where(members_clause(collection), visible)
        .order_by(Asset.taken_at.is_(None), Asset.taken_at, Asset.id)  # undated ones last
        .limit(limit + 1)
    )
    row = session.execute(select(Asset.taken_at).where(Asset.id == after)).first() \
        if after is not None else None
    if row is None:
        return query
    taken = row[0]
    if taken is None:
        return query.where(Asset.taken_at.is_(None), Asset.id > after)
    return query.where(or_(Asset.taken_at.is_(None), Asset.taken_at > taken,
                           and_(Asset.taken_at == taken, Asset.id > after)))


def collection_assets(session: Session, collection: Collection, after: int | None = None,
                      limit: int = 60, visible: ColumnElement[bool] | None = None
                      ) -> CollectionPage:
    """One page of the collection's asset ids in order, keyed by the last id of the page before.

    Albums follow their order; events the date taken (undated last). ``visible`` is a condition
    on Asset that hides what the reader may not see.
    """
    visible = _shown(visible)
    page = _event_page if collection.kind == CollectionKind.EVENT else _album_page
    ids = list(session.scalars(page(session, collection, after, limit, visible)))
    next_after = ids[limit - 1] if len(ids) > limit else None
    return CollectionPage(ids[:limit], next_after)


def _counts(session: Session, ids: Sequence[int],
            visible: ColumnElement[bool]) -> dict[int, int]:
    by_hand = select(CollectionItem.collection_id.label("cid"),
                     CollectionItem.asset_id.label("aid")
                     ).where(CollectionItem.collection_id.in_(ids))
    by_event = (
        select(Collection.id.label("cid"), Asset.id.label("aid"))
        .join(Asset, Asset.event == Collection.event)
        .where(Collection.id.in_(ids), Collection.kind == CollectionKind.EVENT)
    )
    members = union(by_hand, by_event).subquery()
    query = (
        select(members.c.cid, func.count())
        .select_from(members).join(Asset, Asset.id == members.c.aid)
        .where(visible).group_by(members.c.cid)
    )
    return {cid: count for cid, count in session.execute(query)}


def _cover(session: Session, collection: Collection, visible: ColumnElement[bool]) -> int | None:
    """The chosen cover if the reader may see it, else the first asset they may see."""
    if collection.cover_asset_id is not None and session.scalar(
        select(Asset.id).where(Asset.id == collection.cover_asset_id, visible)
    ) is not None:
        return collection.cover_asset_id
    first = collection_assets(session, collection, limit=1, visible=visible).asset_ids
    return first[0] if first else None


def summarize(session: Session, collections: Sequence[Collection],
              visible: ColumnElement[bool] | None = None) -> list[CollectionSummary]:
    visible = _shown(visible)
    counts = _counts(session, [c.id for c in collections], visible) if collections else {}
    return [
        CollectionSummary(c.id, c.kind, c.title, c.slug, c.description, c.event,
                          counts.get(c.id, 0), _cover(session, c, visible), c.created_at,
                          c.updated_at)
        for c in collections
    ]


def list_collections(session: Session, kind: CollectionKind | None = None, *,
                     before: int | None = None, limit: int = 100,
                     visible: ColumnElement[bool] | None = None) -> list[CollectionSummary]:
    """Collections newest first (paged by id: ``before`` is the last id shown), with counts."""
    query = select(Collection).order_by(Collection.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Collection.kind == kind)
    if before is not None:
        query = query.where(Collection.id < before)
    return summarize(session, list(session.scalars(query)), visible)


def collections_of(session: Session, asset_id: int) -> list[Collection]:
    """The event collection the asset belongs to (if one was made), then its albums by title."""
    event = select(Asset.event).where(Asset.id == asset_id).scalar_subquery()
    in_items = select(CollectionItem.collection_id).where(CollectionItem.asset_id == asset_id)
    found = session.scalars(
        select(Collection).where(or_(
            Collection.id.in_(in_items),
            and_(Collection.kind == CollectionKind.EVENT, Collection.event == event),
        ))
    )
    return sorted(found, key=lambda c: (c.kind != CollectionKind.EVENT, c.title.casefold(), c.id))


def album_choices(session: Session, limit: int = 300) -> list[tuple[int, str]]:
    """(id, title) of the newest albums, for the "add to album" menus."""
    return [(cid, title) for cid, title in session.execute(
        select(Collection.id, Collection.title).where(Collection.kind == CollectionKind.ALBUM)
        .order_by(Collection.id.desc()).limit(limit)
    )]
