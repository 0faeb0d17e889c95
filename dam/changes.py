"""The change feed: every flush that changes what an asset is appends AssetChange rows.

Installed once on the ORM Session class, so every catalog write path records its changes in the
same transaction as the change itself. Its readers (each node's search index, the store's
metadata records) rebuild what they hold of an asset from its columns, so an update counts only
when it changes a column they read: a fixity check, which writes only ``fixity_checked_at`` and
``fixity_ok``, is not a change to follow (the fixity history is in ``fixity_checks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session

from dam.models import Asset, AssetChange, Rendition

if TYPE_CHECKING:
    from dam.db import Catalog


#: Asset columns no reader of the feed needs to follow: the fixity check's bookkeeping.
UNFOLLOWED_COLUMNS = frozenset({"fixity_checked_at", "fixity_ok", "updated_at"})


def changed_columns(asset: Asset) -> set[str]:
    """The columns (and many-to-one links) of ``asset`` changed in this flush."""
    state = inspect(asset)
    names = [attr.key for attr in state.mapper.column_attrs]
    names += [rel.key for rel in state.mapper.relationships if not rel.uselist]
    return {name for name in names if state.attrs[name].history.has_changes()}


def _changed_asset_ids(session: Session) -> Iterator[tuple[int, str]]:
    for obj in session.new:
        if isinstance(obj, Asset):
            yield obj.id, "created"
        elif isinstance(obj, Rendition) and obj.asset_id:
            yield obj.asset_id, "updated"
    for obj in session.dirty:
        if isinstance(obj, Asset) and changed_columns(obj) - UNFOLLOWED_COLUMNS:
            yield obj.id, "updated"
    for obj in session.deleted:
        if isinstance(obj, Asset):
            yield obj.id, "deleted"


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _context: Any) -> None:
    seen: dict[int, str] = {}
    for asset_id, kind in _changed_asset_ids(session):
        if asset_id is None:
            continue
        if kind == "deleted" or asset_id not in seen:
            seen[asset_id] = kind
    if seen:
        session.execute(insert(AssetChange), [{"asset_id": a, "kind": k} for a, k in seen.items()])


def last_seq(catalog: Catalog) -> int:
    with catalog.read() as session:
        return session.scalar(select(func.coalesce(func.max(AssetChange.seq), 0))) or 0


def changes_since(catalog: Catalog, seq: int, limit: int = 1000) -> list[tuple[int, int, str]]:
    """(seq, asset_id, kind) after ``seq``, oldest first."""
    with catalog.read() as session:
        rows = session.execute(
            select(AssetChange.seq, AssetChange.asset_id, AssetChange.kind)
            .where(AssetChange.seq > seq)
            .order_by(AssetChange.seq)
            .limit(limit)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def pending_after(catalog: Catalog, seq: int) -> int:
    """How many changes of the feed come after ``seq`` (how far behind a reader at ``seq`` is)."""
    with catalog.read() as session:
        return session.scalar(select(func.count()).select_from(AssetChange)
                              .where(AssetChange.seq > seq)) or 0
