"""Collections: albums made by hand (ordered, with a cover) and events, in which assets can be many.

An album's members are its items, ordered by position. An event's collection holds every asset
whose ``event`` is its name plus any added by hand, ordered by the date they were taken. Editors
and admins change collections; everyone who may browse reads them. Every change of membership
writes one audit entry per asset, in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.collection_reads import (  # noqa: F401 (the reads are part of this API)
    CollectionPage,
    CollectionSummary,
    album_choices,
    collection_assets,
    collections_of,
    is_member,
    list_collections,
    members_clause,
    summarize,
)
from dam.enums import CollectionKind, Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, Collection, CollectionItem, utcnow

TITLE_MAX = 500
DESCRIPTION_MAX = 20_000
SLUG_MAX = 80
CHUNK = 500  # ids per IN (...): SQLite limits the variables of one statement


class CollectionError(DamError):
    """A change to a collection that cannot be made (the message says why)."""


class CollectionPermissionError(CollectionError):
    """The actor may not change collections (only editors and admins may)."""


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def require_editor(actor: Actor) -> None:
    if not actor.at_least(Role.EDITOR):
        raise CollectionPermissionError("only editors and administrators change collections")


def slugify(text: str) -> str:
    """A readable URL name: accents folded, lower case, words joined by hyphens."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "coleccion"


def _free_slug(session: Session, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... the first one no collection has."""
    taken = set(session.scalars(
        select(Collection.slug).where(or_(Collection.slug == base,
                                          Collection.slug.like(f"{base}-%")))
    ))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise CollectionError("a collection needs a title")
    if len(title) > TITLE_MAX:
        raise CollectionError(f"the title is too long (at most {TITLE_MAX} characters)")
    return title


def _clean_description(description: str | None) -> str | None:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise CollectionError(
            f"the description is too long (at most {DESCRIPTION_MAX} characters)"
        )
    return description or None


def _insert(session: Session, make: Callable[[str], Collection], base_slug: str,
            existing: Callable[[], Collection | None] = lambda: None) -> Collection:
    """Insert a new collection with a free slug; a slug taken meanwhile is retried.

    ``existing`` finds the collection another request inserted meanwhile (an event's), if any.
    """
    for _attempt in range(5):
        collection = make(_free_slug(session, base_slug))
        try:
            with session.begin_nested():
                session.add(collection)
                session.flush()
        except IntegrityError:
            found = existing()
            if found is not None:
                return found
            continue
        return collection
    raise CollectionError("could not find a free name for the collection; try again")


def create_album(session: Session, actor: Actor, title: str,
                 description: str | None = None) -> Collection:
    """A new, empty album with a unique, readable slug."""
    require_editor(actor)
    title, description = _clean_title(title), _clean_description(description)
    collection = _insert(session, lambda slug: Collection(
        kind=CollectionKind.ALBUM, title=title, slug=slug, description=description,
        created_by=actor.user_id,
    ), slugify(title))
    audit.record(session, actor, "collection", collection_id=collection.id, field="created",
                 new=title)
    return collection


def get_collection(session: Session, collection_id: int) -> Collection:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(f"collection {collection_id} does not exist")
    return collection


def update(session: Session, actor: Actor, collection_id: int, *,
           title: str | None = None, description: str | None = None,
           cover_asset_id: int | None = None, clear_cover: bool = False) -> Collection:
    """Change the title, description or cover (only what is given); each change is audited.

    ``description=""`` clears the description; the cover must be a member of the collection.
    """
    require_editor(actor)
    collection = get_collection(session, collection_id)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = _clean_title(title)
    if description is not None:
        changes["description"] = _clean_description(description)
    if clear_cover:
        changes["cover_asset_id"] = None
    elif cover_asset_id is not None:
        if not is_member(session, collection, cover_asset_id):
            raise CollectionError(f"asset {cover_asset_id} is not in this collection")
        changes["cover_asset_id"] = cover_asset_id
    for field, new in changes.items():
        old = getattr(collection, field)
        if old != new:
            setattr(collection, field, new)
            audit.record(session, actor, "collection", collection_id=collection.id,
                         field=field, old=old, new=new)
    return collection


def delete(session: Session, actor: Actor, collection_id: int) -> None:
    """Remove a collection; its items leave it (one audit entry each), the assets stay."""
    require_editor(actor)
    collection = get_collection(session, collection_id)
    for asset_id in session.scalars(
        select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection.id)
    ):
        audit.record(session, actor, "collection_remove", asset_id=asset_id,
                     collection_id=collection.id, detail=collection.title)
    audit.record(session, actor, "collection", collection_id=collection.id, field="deleted",
                 old=collection.title)
    session.delete(collection)
    session.flush()


def _existing_assets(session: Session, asset_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(asset_ids):
        found.update(session.scalars(select(Asset.id).where(Asset.id.in_(chunk))))
    return found


def _present(session: Session, collection: Collection, asset_ids: Sequence[int]) -> set[int]:
    present: set[int] = set()
    for chunk in _chunks(asset_ids):
        present.update(session.scalars(
            select(Asset.id).where(Asset.id.in_(chunk), members_clause(collection))
        ))
    return present


def _distinct(asset_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in asset_ids))


def add_items(session: Session, actor: Actor, collection_id: int,
              asset_ids: Iterable[int]) -> list[int]:
    """Append assets at the end in the given order, skipping members; returns those added."""
    require_editor(actor)
    collection = get_collection(session, collection_id)
    ids = _distinct(asset_ids)
    missing = set(ids) - _existing_assets(session, ids)
    if missing:
        raise CollectionError(f"no such asset(s): {', '.join(map(str, sorted(missing)[:10]))}")
    present = _present(session, collection, ids)
    position = session.scalar(
        select(func.max(CollectionItem.position))
        .where(CollectionItem.collection_id == collection.id)
    )
    position = -1 if position is None else position
    added = [i for i in ids if i not in present]
    for asset_id in added:
        position += 1
        session.add(CollectionItem(collection_id=collection.id, asset_id=asset_id,
                                   position=position, added_by=actor.user_id))
        audit.record(session, actor, "collection_add", asset_id=asset_id,
                     collection_id=collection.id, detail=collection.title)
    if added:
        collection.updated_at = utcnow()
    session.flush()
    return added


def remove_items(session: Session, actor: Actor, collection_id: int,
                 asset_ids: Iterable[int]) -> list[int]:
    """Take assets out of a collection; returns those removed.

    An event's own assets (whose event is its name) stay: only those added by hand leave.
    """
    require_editor(actor)
    collection = get_collection(session, collection_id)
    ids = _distinct(asset_ids)
    items: list[CollectionItem] = []
    for chunk in _chunks(ids):
        items += session.scalars(
            select(CollectionItem).where(CollectionItem.collection_id == collection.id,
                                         CollectionItem.asset_id.in_(chunk))
        )
    removed = []
    for item in items:
        removed.append(item.asset_id)
        audit.record(session, actor, "collection_remove", asset_id=item.asset_id,
                     collection_id=collection.id, detail=collection.title)
        session.delete(item)
    session.flush()
    cover = collection.cover_asset_id
    if cover in removed and not is_member(session, collection, cover):
        update(session, actor, collection.id, clear_cover=True)
    if removed:
        collection.updated_at = utcnow()
        session.flush()
    return removed


def _ordered_items(session: Session, collection_id: int) -> list[CollectionItem]:
    return list(session.scalars(
        select(CollectionItem).where(CollectionItem.collection_id == collection_id)
        .order_by(CollectionItem.position, CollectionItem.id)
    ))


def _require_album(collection: Collection) -> None:
    if collection.kind != CollectionKind.ALBUM:
        raise CollectionError("an event's collection is ordered by the date taken")


def reorder(session: Session, actor: Actor, collection_id: int,
            ordered_asset_ids: Sequence[int], *, within: bool = False) -> None:
    """Rewrite the album's order in one transaction.

    ``ordered_asset_ids`` must be a permutation of the members; with ``within`` it may be some of
    them (a page), which then take the places they held among themselves in the new order.
    """
    require_editor(actor)
    collection = get_collection(session, collection_id)
    _require_album(collection)
    ids = [int(i) for i in ordered_asset_ids]
    items = _ordered_items(session, collection.id)
    if len({item.position for item in items}) != len(items):
        _renumber(items)
    by_asset = {item.asset_id: item for item in items}
    if len(set(ids)) != len(ids) or not set(ids) <= by_asset.keys():
        raise CollectionError("the new order must list members of the collection, once each")
    if not within and len(ids) != len(items):
        raise CollectionError("the new order must list every member of the collection")
    slots = sorted(by_asset[i].position for i in ids)
    moved = [i for i, slot in zip(ids, slots, strict=True) if by_asset[i].position != slot]
    for asset_id, slot in zip(ids, slots, strict=True):
        by_asset[asset_id].position = slot
    if moved:
        audit.record(session, actor, "collection", collection_id=collection.id, field="order",
                     detail=f"{len(moved)} moved")
        collection.updated_at = utcnow()
    session.flush()


def _renumber(items: Sequence[CollectionItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


def move_item(session: Session, actor: Actor, collection_id: int, asset_id: int,
              steps: int) -> None:
    """Move one asset of an album ``steps`` places (negative: towards the start)."""
    require_editor(actor)
    collection = get_collection(session, collection_id)
    _require_album(collection)
    items = _ordered_items(session, collection.id)
    order = [item.asset_id for item in items]
    if asset_id not in order:
        raise CollectionError(f"asset {asset_id} is not in this album")
    index = order.index(asset_id)
    target = max(0, min(len(order) - 1, index + steps))
    if target == index:
        return
    order.insert(target, order.pop(index))
    reorder(session, actor, collection.id, order)


def event_collection(session: Session, event_name: str, create: bool = True,
                     actor: Actor | None = None) -> Collection | None:
    """The collection of kind "event" for an event name, made when missing if ``create``.

    Making one needs an asset that carries the event, and (when ``actor`` is given) an editor.
    """
    name = (event_name or "").strip()
    if not name or len(name) > TITLE_MAX:
        raise CollectionError("an event name of at most 500 characters is needed")

    def existing() -> Collection | None:
        return session.scalar(select(Collection).where(Collection.event == name))

    found = existing()
    if found is not None or not create:
        return found
    if actor is not None:
        require_editor(actor)
    if session.scalar(select(Asset.id).where(Asset.event == name).limit(1)) is None:
        raise NotFoundError(f"no asset belongs to the event {name!r}")
    collection = _insert(session, lambda slug: Collection(
        kind=CollectionKind.EVENT, title=name, slug=slug, event=name,
        created_by=actor.user_id if actor else None,
    ), slugify(name), existing)
    if actor is not None and collection.created_by == actor.user_id:
        audit.record(session, actor, "collection", collection_id=collection.id,
                     field="created", new=name)
    return collection

