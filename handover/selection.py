"""Which assets a handover carries: a period, a collection, and the consent forms they need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation.rights import chunks
from dam.enums import CollectionKind
from dam.errors import NotFoundError
from dam.models import Asset, Collection, CollectionItem, ConsentAsset, ConsentForm
from handover.paths import asset_day

PAGE = 1000


@dataclass
class Selection:
    """The assets' ids (sorted), their bytes, and the filter that chose them."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    collection_id: int | None = None
    asset_ids: list[int] = field(default_factory=list)
    consent_ids: list[int] = field(default_factory=list)
    byte_size: int = 0


def _in_period(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    if start is None and end is None:
        return True
    if day is None:
        return False
    return (start is None or day >= start) and (end is None or day <= end)


def _collection_ids(session: Session, collection_id: int) -> set[int] | None:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(f"no collection with id {collection_id}")
    ids = set(session.scalars(select(CollectionItem.asset_id).where(
        CollectionItem.collection_id == collection_id)))
    if collection.kind == CollectionKind.EVENT and collection.event:
        ids |= set(session.scalars(select(Asset.id).where(Asset.event == collection.event)))
    return ids


def select_assets(session: Session, date_from: dt.date | None = None,
                  date_to: dt.date | None = None, collection_id: int | None = None) -> Selection:
    """The chosen assets plus the scanned consent forms of the consents that cover them."""
    within = _collection_ids(session, collection_id) if collection_id is not None else None
    chosen: set[int] = set()
    last = 0
    while True:
        rows = session.execute(
            select(Asset.id, Asset.taken_at, Asset.created_at, Asset.trashed_at)
            .where(Asset.id > last).order_by(Asset.id).limit(PAGE)).all()
        if not rows:
            break
        for asset_id, taken, created, trashed in rows:
            if trashed is not None:  # the trash is not handed over (purged in trash_days)
                continue
            if (within is None or asset_id in within) and _in_period(
                    asset_day(taken, created), date_from, date_to):
                chosen.add(asset_id)
        last = rows[-1][0]
    consents: set[int] = set()
    for chunk in chunks(sorted(chosen)):
        consents |= set(session.scalars(select(ConsentAsset.consent_id).where(
            ConsentAsset.asset_id.in_(chunk))))
    for chunk in chunks(sorted(consents)):
        chosen |= {d for d in session.scalars(select(ConsentForm.document_asset_id).where(
            ConsentForm.id.in_(chunk))) if d is not None}
    selection = Selection(date_from, date_to, collection_id, sorted(chosen), sorted(consents))
    for chunk in chunks(selection.asset_ids):
        selection.byte_size += sum(session.scalars(select(Asset.byte_size).where(
            Asset.id.in_(chunk))))
    return selection
