"""The change feed: the services that change what an asset is say so, in the same transaction.

Its readers (each node's search index, the store's metadata records, `dam check`) rebuild what
they hold of an asset from the catalog as it is when they read, so one row per asset and
transaction is enough, and the kind (created, updated, deleted) is for people reading the feed.
Every service that changes an asset calls :func:`record` in the transaction of its change; there
is no hook on the ORM session. What :func:`record` wrote is remembered on the session
(:func:`recorded`), so a second call for the same asset in the same transaction writes nothing
more, and the test suite checks that every transaction that changes a followed column of an
asset has recorded it (tests/changefeed_check.py).

What is followed: every column of the asset except the fixity check's bookkeeping
(``UNFOLLOWED_COLUMNS``: a fixity check is not a change, its history is in ``fixity_checks``),
its renditions and file versions (the store's record holds them), and its batch's columns, which
an asset inherits where its own are empty (event, area, place, photographer, date): a change to
a batch records every asset of the batch.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dam.models import Asset, AssetChange

if TYPE_CHECKING:
    from dam.db import Catalog

Kind = Literal["created", "updated", "deleted"]
KINDS: tuple[Kind, ...] = ("created", "updated", "deleted")

#: Asset columns no reader of the feed needs to follow: the fixity check's bookkeeping.
UNFOLLOWED_COLUMNS = frozenset({"fixity_checked_at", "fixity_ok", "updated_at"})

_MEMORY = "dam.changes"  # session.info key: (weak reference to the transaction, {id: kind})
PAGE = 500


def transaction_memory(session: Session, key: str) -> dict[int, str]:
    """A dict kept under ``key`` for ``session``'s current transaction (a fresh one for a new
    transaction)."""
    transaction = session.get_transaction()
    held = session.info.get(key)
    if held is not None and transaction is not None and held[0]() is transaction:
        return held[1]
    ids: dict[int, str] = {}
    if transaction is not None:
        session.info[key] = (weakref.ref(transaction), ids)
    return ids


def _memory(session: Session) -> dict[int, str]:
    """What this session's current transaction recorded so far."""
    return transaction_memory(session, _MEMORY)


def recorded(session: Session) -> dict[int, str]:
    """The assets recorded in this session's current transaction, with the kind recorded."""
    return dict(_memory(session))


def record(session: Session, assets: Iterable[int | Asset], kind: Kind) -> int:
    """Append ``assets`` (ids or Asset objects) to the change feed in ``session``'s transaction.

    Call it in the transaction that makes the change, from the service that makes it. An asset
    already recorded in this transaction is not written again (a deletion always is). Asset
    objects not flushed yet are flushed, to know their ids. Returns how many rows were written.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    ids: list[int] = []
    for item in assets:
        if isinstance(item, Asset):
            if item.id is None:
                session.flush()
            ids.append(int(item.id))
        else:
            ids.append(int(item))
    if session.get_transaction() is None:
        session.connection()  # begins the transaction the memory belongs to
    memory = _memory(session)
    # Inside a savepoint, a row may be rolled back with it: write it whatever was remembered.
    nested = session.in_nested_transaction()
    new = [a for a in dict.fromkeys(ids)
           if nested or a not in memory or (kind == "deleted" and memory[a] != "deleted")]
    for start in range(0, len(new), PAGE):
        session.execute(insert(AssetChange),
                        [{"asset_id": a, "kind": kind} for a in new[start : start + PAGE]])
    for a in new:
        if memory.get(a) not in ("created", "deleted") or kind == "deleted":
            memory[a] = kind
    return len(new)


def record_batch(session: Session, batch_id: int) -> int:
    """Record every asset of batch ``batch_id`` as updated (its assets inherit its columns)."""
    ids = session.scalars(select(Asset.id).where(Asset.batch_id == batch_id)).all()
    return record(session, ids, "updated")


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
