"""Removing assets for good: their catalog rows and every store key that belongs to them.

The one place that knows what goes with an asset, for the trash's purge (dam.curation.trash)
and legal erasure (dam.curation.erasure):

- rows: most tables that point at ``assets`` do so with ON DELETE CASCADE (renditions, jobs,
  collection items, consent links, publication links, fixity checks) or SET NULL (covers,
  consent documents, uploads); :data:`DEPENDENTS` lists the rest, which are cleared here by
  hand (intake items keep their history without the link; share links forget the id);
- store keys: :func:`store_keys_of` gathers them from :data:`KEY_SOURCES`, one small function
  per kind of file (the original, renditions listed in the catalog and any left under the
  original's rendition folder, the store metadata record, and every earlier version's original,
  renditions and record: ``dam.curation.versions.content_keys``).

A key still referenced by an asset that stays is never deleted (the store is content-addressed:
the same bytes are one object).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dam import changes
from dam.curation import versions
from dam.db import Catalog
from dam.models import Asset, IntakeItem, Rendition, ShareLink
from dam.storemeta import meta_key
from storage import ObjectStore

log = logging.getLogger(__name__)

KeySource = Callable[[Session, ObjectStore, Asset], Iterable[str]]


def _original(_session: Session, _store: ObjectStore, asset: Asset) -> Iterable[str]:
    return [asset.original_key]


def _renditions(session: Session, store: ObjectStore, asset: Asset) -> Iterable[str]:
    """The catalog's renditions and anything else under the original's rendition folder."""
    keys = set(session.scalars(select(Rendition.key).where(Rendition.asset_id == asset.id)))
    sha = asset.sha256
    keys.update(info.key for info in store.list(f"renditions/{sha[0:2]}/{sha[2:4]}/{sha}/"))
    return sorted(keys)


def _meta_record(_session: Session, _store: ObjectStore, asset: Asset) -> Iterable[str]:
    return [meta_key(asset.sha256)]


def _versions(session: Session, store: ObjectStore, asset: Asset) -> Iterable[str]:
    """The files of the asset's earlier versions (a replaced file stays in the store); the
    current file's are the other sources'."""
    return list(versions.content_keys(store, versions.contents_of(session, asset.id)[1:]))


#: Where an asset's files are, in the order they are gathered. Append to extend.
KEY_SOURCES: list[KeySource] = [_original, _renditions, _meta_record, _versions]


def store_keys_of(session: Session, store: ObjectStore, asset: Asset) -> list[str]:
    """Every store key belonging to ``asset`` (whether or not another asset also uses it)."""
    keys: dict[str, None] = {}
    for source in KEY_SOURCES:
        keys.update(dict.fromkeys(source(session, store, asset)))
    return list(keys)


def keys_in_use(session: Session, keys: Sequence[str], leaving: Sequence[int]) -> set[str]:
    """Those of ``keys`` that an asset other than ``leaving`` still refers to."""
    if not keys:
        return set()
    used: set[str] = set()
    others = Asset.id.not_in(list(leaving)) if leaving else Asset.id.is_not(None)
    for start in range(0, len(keys), 500):
        part = list(keys[start:start + 500])
        used.update(session.scalars(select(Asset.original_key).where(
            Asset.original_key.in_(part), others)))
        used.update(session.scalars(select(Rendition.key).where(
            Rendition.key.in_(part), Rendition.asset_id.not_in(list(leaving)))))
        shas = {k.rsplit("/", 1)[-1].removesuffix(".json") for k in part if k.startswith("meta/")}
        if shas:
            used.update(meta_key(s) for s in session.scalars(select(Asset.sha256).where(
                Asset.sha256.in_(shas), others)))
    return used


def _clear_share_links(session: Session, asset_ids: set[int]) -> None:
    """Share links keep a selection as a JSON list of ids: the removed ones leave it."""
    for link in session.scalars(select(ShareLink)):
        kept = [i for i in link.asset_ids or [] if i not in asset_ids]
        if kept != list(link.asset_ids or []):
            link.asset_ids = kept


def _unlink_intake_items(session: Session, asset_ids: set[int]) -> None:
    session.execute(update(IntakeItem).where(IntakeItem.asset_id.in_(asset_ids))
                    .values(asset_id=None))


#: Rows that refer to an asset without a cascading foreign key, cleared before it goes.
DEPENDENTS: list[Callable[[Session, set[int]], None]] = [_unlink_intake_items, _clear_share_links]


def delete_asset_rows(session: Session, asset_ids: Iterable[int]) -> int:
    """Delete the assets and everything that hangs on them; how many assets went.

    The change feed records each as "deleted" (the search index and the store metadata follow
    it); the database cascades the rest.
    """
    ids = set(asset_ids)
    if not ids:
        return 0
    for clear in DEPENDENTS:
        clear(session, ids)
    assets = list(session.scalars(select(Asset).where(Asset.id.in_(ids))))
    changes.record(session, [a.id for a in assets], "deleted")
    for asset in assets:
        session.delete(asset)
    session.flush()
    return len(assets)


@dataclass
class Removal:
    """What a removal deleted from the store, and what it kept or could not delete."""

    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # still used by another asset
    failed: list[str] = field(default_factory=list)  # the store refused: "key: reason"


def delete_keys(catalog: Catalog, stores: Sequence[ObjectStore], keys: Sequence[str]
                ) -> Removal:
    """Delete ``keys`` from every store, after the asset rows are gone (committed).

    Checked again just before deleting: a key some asset refers to now (the same file taken in
    again meanwhile) is kept.
    """
    removal = Removal()
    with catalog.read() as session:
        in_use = keys_in_use(session, list(keys), [])
    for key in keys:
        if key in in_use:
            removal.kept.append(key)
            continue
        for store in stores:
            try:
                store.delete(key)
            except OSError as exc:
                log.error("removal: %s not deleted from %r: %s", key, store, exc)
                removal.failed.append(f"{key}: {exc}")
        removal.deleted.append(key)
    return removal
