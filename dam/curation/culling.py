"""Culling: stars, pick or reject and colour labels on assets, and the loupe's sequences.

Marks are decisions about which photos to keep, not descriptions of them: setting one is audited
but does not bump ``Asset.edit_version``, so a quick cull never makes an editor's open caption
edit conflict. Each mark is one small transaction, so culling 500 photos stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select, true
from sqlalchemy.orm import Session

from dam import changes as change_feed
from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import CollectionKind, ColorLabel, CullMark, Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, Batch, Collection, CollectionItem

MAX_RATING = 5
PICKS = ("picked", "rejected", "unmarked")
NO_COLOR = "none"  # a colour filter value: assets without a label
COLOR_CYCLE: tuple[str | None, ...] = (*(c.value for c in ColorLabel), None)
CHUNK = 500  # ids per IN (...) list: SQLite limits bound variables
MAX_SEQUENCE = 3000  # assets in one loupe: more is not a cull, it is a search


class CullError(DamError):
    """A mark or a loupe request that cannot be honoured."""


class MarkValueError(CullError):
    """A rating, pick or colour that is not one of the allowed values."""


class CullPermissionError(CullError):
    """The actor may not mark this asset (a photographer marking another's photo, a viewer)."""


@dataclass(frozen=True)
class Marks:
    """An asset's culling marks."""

    rating: int
    cull_mark: int
    color_label: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"rating": self.rating, "cull_mark": self.cull_mark,
                "color_label": self.color_label}


def may_mark(actor: Actor, batch_owner_id: int | None) -> bool:
    """Editors and admins mark everything; photographers the assets of batches they uploaded."""
    if actor.at_least(Role.EDITOR):
        return True
    if not actor.at_least(Role.PHOTOGRAPHER):
        return False
    return actor.user_id is not None and batch_owner_id == actor.user_id


def check_rating(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATING:
        raise MarkValueError(f"rating must be a whole number from 0 to {MAX_RATING}: {value!r}")
    return value


def check_cull_mark(value: Any) -> CullMark:
    try:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        return CullMark(value)
    except ValueError:
        raise MarkValueError(
            f"cull_mark must be 1 (picked), 0 (none) or -1 (rejected): {value!r}"
        ) from None


def check_color(value: Any) -> ColorLabel | None:
    """A colour label, or None for "" (clear)."""
    if value == "":
        return None
    try:
        return ColorLabel(value)
    except ValueError:
        allowed = ", ".join(c.value for c in ColorLabel)
        raise MarkValueError(f"color_label must be one of {allowed} or empty: {value!r}") from None


def next_color(current: str | None) -> str | None:
    """The colour after ``current`` in the C key's cycle (red ... purple, then none)."""
    index = COLOR_CYCLE.index(current) if current in COLOR_CYCLE else -1
    return COLOR_CYCLE[(index + 1) % len(COLOR_CYCLE)]


def _load(session: Session, asset_id: int) -> tuple[Asset, int | None]:
    row = session.execute(
        select(Asset, Batch.user_id).outerjoin(Batch, Asset.batch_id == Batch.id)
        .where(Asset.id == asset_id)
    ).first()
    if row is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    return row[0], row[1]


def set_marks(
    session: Session,
    actor: Actor,
    asset_id: int,
    *,
    rating: int | None = None,
    cull_mark: int | None = None,
    color_label: str | None = None,
) -> Marks:
    """Set the given marks (None leaves one as it is; ``color_label=""`` clears the colour).

    Each change that alters a value is audited (action ``cull``); the asset's edit_version is
    left alone. Raises NotFoundError, CullPermissionError or MarkValueError.
    """
    changes: dict[str, Any] = {}
    if rating is not None:
        changes["rating"] = check_rating(rating)
    if cull_mark is not None:
        changes["cull_mark"] = int(check_cull_mark(cull_mark))
    if color_label is not None:
        changes["color_label"] = check_color(color_label)
    asset, owner = _load(session, asset_id)
    if not may_mark(actor, owner):
        raise CullPermissionError(f"{actor.username} may not mark asset {asset_id}")
    for field, new in changes.items():
        old = getattr(asset, field)
        if old == new:
            continue
        setattr(asset, field, new)
        change_feed.record(session, [asset_id], "updated")
        audit.record(session, actor, "cull", asset_id=asset_id, field=field, old=old, new=new)
    return marks_of(asset)


def marks_of(asset: Asset) -> Marks:
    color = asset.color_label
    return Marks(asset.rating or 0, int(asset.cull_mark or 0),
                 color.value if isinstance(color, ColorLabel) else color)


@dataclass(frozen=True)
class MarkFilter:
    """What the loupe shows of a sequence: a minimum of stars, picks, one colour."""

    min_rating: int | None = None
    picks: str | None = None  # picked, rejected, unmarked
    color: str | None = None  # a ColorLabel value, or "none"


def mark_filter(min_rating: int | None = None, picks: str | None = None,
                color: str | None = None) -> ColumnElement[bool]:
    """A condition on Asset for the given marks (every part optional; none: every asset)."""
    parts: list[ColumnElement[bool]] = []
    if min_rating:
        parts.append(Asset.rating >= check_rating(min_rating))
    if picks is not None:
        if picks not in PICKS:
            raise MarkValueError(f"picks must be one of {', '.join(PICKS)}: {picks!r}")
        value = {"picked": CullMark.PICKED, "rejected": CullMark.REJECTED}.get(picks,
                                                                               CullMark.NONE)
        parts.append(Asset.cull_mark == int(value))
    if color == NO_COLOR:
        parts.append(Asset.color_label.is_(None))
    elif color:
        parts.append(Asset.color_label == check_color(color))
    return and_(true(), *parts)


def filter_clause(f: MarkFilter) -> ColumnElement[bool]:
    return mark_filter(f.min_rating, f.picks, f.color)


def _in_chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _taken_order(query: Select[Any]) -> Select[Any]:
    # Undated assets last on both SQLite and PostgreSQL (their NULL orders differ).
    return query.order_by(Asset.taken_at.is_(None), Asset.taken_at, Asset.id)


def ordered_ids(session: Session, ids: Sequence[int], filters: ColumnElement[bool],
                visible: ColumnElement[bool]) -> list[int]:
    """``ids`` in the order given (repeats dropped), keeping those that exist and pass."""
    unique = list(dict.fromkeys(ids))[:MAX_SEQUENCE]
    kept: set[int] = set()
    for chunk in _in_chunks(unique):
        kept.update(session.scalars(
            select(Asset.id).where(Asset.id.in_(chunk), filters, visible)
        ))
    return [i for i in unique if i in kept]


def _batch_ids(session: Session, batch_id: int, where: ColumnElement[bool]) -> list[int]:
    if session.get(Batch, batch_id) is None:
        raise NotFoundError(f"batch {batch_id} does not exist")
    query = select(Asset.id).where(Asset.batch_id == batch_id, where)
    return list(session.scalars(_taken_order(query).limit(MAX_SEQUENCE)))


def _event_ids(session: Session, name: str, where: ColumnElement[bool]) -> list[int]:
    query = select(Asset.id).where(Asset.event == name, where)
    return list(session.scalars(_taken_order(query).limit(MAX_SEQUENCE)))


def _collection_ids(session: Session, collection_id: int, where: ColumnElement[bool]
                    ) -> list[int]:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(f"collection {collection_id} does not exist")
    ids: list[int] = []
    if collection.kind == CollectionKind.EVENT and collection.event:
        ids = _event_ids(session, collection.event, where)
    items = session.scalars(
        select(CollectionItem.asset_id).join(Asset, Asset.id == CollectionItem.asset_id)
        .where(CollectionItem.collection_id == collection_id, where)
        .order_by(CollectionItem.position, CollectionItem.id)
    )
    return list(dict.fromkeys([*ids, *items]))[:MAX_SEQUENCE]


def parse_ids(text: str) -> list[int]:
    """Asset ids from a comma list (``"12,7,30"``); anything else is a MarkValueError."""
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise MarkValueError(f"not a list of asset ids: {text[:80]!r}") from None
    if any(i < 1 for i in ids):
        raise MarkValueError("asset ids are positive numbers")
    return ids


def loupe_sequence(session: Session, source: str, filters: ColumnElement[bool],
                   visible: ColumnElement[bool]) -> list[int]:
    """The ordered asset ids of a loupe source that pass ``filters`` and ``visible``.

    Sources: ``batch:<id>`` and ``event:<name>`` (by time taken, then id),
    ``collection:<id>`` (an event collection's assets by time, then its items by position) and
    ``ids:<comma list>`` (as given). ``search:<query>`` is the web app's (it owns the index).
    Raises NotFoundError for a missing batch or collection, CullError for an unknown source.
    """
    kind, _, value = source.partition(":")
    where = and_(filters, visible)
    if kind == "ids":
        return ordered_ids(session, parse_ids(value), filters, visible)
    if kind == "event" and value.strip():
        return _event_ids(session, value.strip(), where)
    if kind in ("batch", "collection") and value.isdigit() and len(value) < 19:
        if kind == "batch":
            return _batch_ids(session, int(value), where)
        return _collection_ids(session, int(value), where)
    raise CullError(f"unknown loupe source {source[:80]!r}: use batch:, collection:, event:, "
                    "ids: or search:")
