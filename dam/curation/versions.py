"""File versions: replace an asset's file, restore an earlier one, list them, and name every
store object an asset owns.

An asset keeps its id, descriptive metadata, rights, collections and links when its file is
replaced; the earlier original stays in the store under its SHA-256 and is listed as an earlier
version (``asset_versions``). The first replacement writes version 1 (the file taken in) from
the asset itself, so assets never replaced have no rows. The new file is then processed again
by the ordinary pipeline: renditions and technical fields (dimensions, capture time, camera,
duration...) follow the new file; the fields people describe (``KEPT_ON_REPLACE``) stay.
Sniffing, hashing and storing the new file is ingest's work (``ingest.replace``); this module
records it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import changes
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.edit_fields import FIELDS
from dam.curation.edits import check_can_edit
from dam.enums import AssetState, JobKind, MediaType, RenditionKind, Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, AssetVersion, Rendition
from dam.queue import requeue_for_asset
from dam.storemeta import meta_key
from storage import ObjectStore, original_key

#: Fields people describe: a replaced file never overwrites them (captions, people, place...).
KEPT_ON_REPLACE = frozenset(FIELDS)
MAX_REASON = 2000


class VersionError(DamError):
    """A file cannot replace an asset's, or a version cannot be restored."""


class DuplicateFileError(VersionError):
    """The new file is already the original (or an earlier version) of another asset."""

    def __init__(self, asset_id: int, other_id: int) -> None:
        super().__init__(f"that file is already in the archive as asset {other_id}: it cannot "
                         f"also be a version of asset {asset_id}")
        self.other_id = other_id


class VersionForbiddenError(VersionError):
    """The actor may not replace or restore this asset's file."""


@dataclass(frozen=True)
class NewFile:
    """What ingest learned of a replacement file (already in the store)."""

    sha256: str
    byte_size: int
    mime_type: str
    media_type: MediaType
    original_filename: str


@dataclass(frozen=True)
class VersionInfo:
    """One version as people see it; ``current`` marks the file the asset has now."""

    number: int
    sha256: str
    byte_size: int
    mime_type: str
    original_filename: str
    action: str  # ingest, replace, restore
    restored_from: int | None
    username: str | None
    reason: str | None
    created_at: dt.datetime
    current: bool

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "created_at": self.created_at.isoformat()}


def _load(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFoundError(f"no asset with id {asset_id}")
    return asset


def _rows(session: Session, asset_id: int) -> list[AssetVersion]:
    return list(session.scalars(select(AssetVersion).where(AssetVersion.asset_id == asset_id)
                                .order_by(AssetVersion.number)))


def _first_version(asset: Asset) -> AssetVersion:
    """Version 1, the file taken in, as the asset records it before its first replacement."""
    batch = asset.batch
    return AssetVersion(asset_id=asset.id, number=1, sha256=asset.sha256,
                        byte_size=asset.byte_size, mime_type=asset.mime_type,
                        original_filename=asset.original_filename, action="ingest",
                        user_id=batch.user_id if batch else None,
                        username=(batch.created_by or batch.photographer) if batch else None,
                        created_at=asset.created_at)


def list_versions(session: Session, asset_id: int) -> list[VersionInfo]:
    """Every file the asset has had, oldest first (one when it was never replaced)."""
    asset = _load(session, asset_id)
    rows = _rows(session, asset_id) or [_first_version(asset)]
    last = rows[-1].number
    return [VersionInfo(r.number, r.sha256, r.byte_size, r.mime_type, r.original_filename,
                        r.action, r.restored_from, r.username, r.reason, r.created_at,
                        current=r.number == last) for r in rows]


def owner_of_content(session: Session, sha256: str) -> int | None:
    """The asset whose current file or earlier version has this content, if any."""
    found = session.scalar(select(Asset.id).where(Asset.sha256 == sha256))
    if found is not None:
        return found
    return session.scalar(select(AssetVersion.asset_id).where(AssetVersion.sha256 == sha256)
                          .limit(1))


def check_replacement(session: Session, actor: Actor, asset_id: int, new: NewFile) -> Asset:
    """The asset, if ``new`` may replace its file (raises VersionError saying why not).

    Editors replace any file, photographers the files of their own batches. The new file must
    be of the same kind (a photo for a photo) and not be another asset's file: content is kept
    once, under one asset, so that erasing one asset never removes another's original.
    """
    asset = _load(session, asset_id)
    if not actor.at_least(Role.PHOTOGRAPHER):
        raise VersionForbiddenError(f"{actor.username} may not replace files")
    try:
        check_can_edit(session, actor, asset)
    except DamError as exc:
        raise VersionForbiddenError(f"{actor.username} may not replace the file of asset "
                                    f"{asset_id}: it is not of their batches") from exc
    if new.sha256 == asset.sha256:
        raise VersionError(f"that file is already the current version of asset {asset_id}")
    if MediaType(new.media_type) != MediaType(asset.media_type):
        raise VersionError(f"asset {asset_id} is a {asset.media_type}; the new file is a "
                           f"{new.media_type} ({new.mime_type}): replace it with the same kind")
    other = owner_of_content(session, new.sha256)
    if other is not None and other != asset_id:
        raise DuplicateFileError(asset_id, other)
    return asset


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise VersionError("say why the file is replaced (a reason is required)")
    return text[:MAX_REASON]


def _switch(session: Session, asset: Asset, sha256: str, byte_size: int, mime_type: str,
            filename: str, max_attempts: int) -> None:
    """Make this content the asset's current file and queue it to be processed again."""
    asset.sha256, asset.original_key = sha256, original_key(sha256)
    asset.byte_size, asset.mime_type, asset.original_filename = byte_size, mime_type, filename
    asset.state, asset.error = AssetState.PENDING, None
    asset.fixity_checked_at = asset.fixity_ok = None
    changes.record(session, [asset.id], "updated")
    # The web proxy was made from the earlier file: the proxy job makes it again.
    for proxy in session.scalars(select(Rendition).where(
            Rendition.asset_id == asset.id, Rendition.kind == RenditionKind.PROXY)):
        session.delete(proxy)
    if "proxy" in (asset.metadata_json or {}):
        asset.metadata_json = {k: v for k, v in asset.metadata_json.items() if k != "proxy"}
    requeue_for_asset(session, asset.id, JobKind.PROCESS_ASSET, max_attempts)


def _history(session: Session, asset: Asset) -> list[AssetVersion]:
    """The asset's version rows, writing version 1 (the file taken in) when there are none."""
    rows = _rows(session, asset.id)
    if not rows:
        rows = [_first_version(asset)]
        session.add(rows[0])
        session.flush()
    return rows


def _add_version(session: Session, asset: Asset, number: int, actor: Actor, action: str,
                 reason: str | None, restored_from: int | None = None) -> AssetVersion:
    """The row of the asset's (new) current file."""
    version = AssetVersion(asset_id=asset.id, number=number, sha256=asset.sha256,
                           byte_size=asset.byte_size, mime_type=asset.mime_type,
                           original_filename=asset.original_filename, action=action,
                           restored_from=restored_from, user_id=actor.user_id,
                           username=actor.username, reason=reason)
    session.add(version)
    session.flush()
    return version


def _describe(row: AssetVersion) -> dict[str, object]:
    return {"version": row.number, "sha256": row.sha256, "file": row.original_filename}


def replace_file(session: Session, actor: Actor, asset_id: int, new: NewFile,
                 reason: str | None, *, max_attempts: int) -> AssetVersion:
    """Record ``new`` (already stored) as the asset's file: a new version, audited."""
    why = _clean_reason(reason)
    asset = check_replacement(session, actor, asset_id, new)
    current = _history(session, asset)[-1]
    _switch(session, asset, new.sha256, new.byte_size, new.mime_type, new.original_filename,
            max_attempts)
    version = _add_version(session, asset, current.number + 1, actor, "replace", why)
    audit.record(session, actor, "replace_file", asset_id=asset.id, field="file",
                 old=_describe(current), new=_describe(version), detail=why)
    return version


def restore_version(session: Session, actor: Actor, asset_id: int, number: int,
                    reason: str | None = None, *, max_attempts: int) -> AssetVersion:
    """Make version ``number`` current again, recorded as a new version (editors only)."""
    if not actor.at_least(Role.EDITOR):
        raise VersionForbiddenError(f"{actor.username} may not restore versions (editors do)")
    asset = _load(session, asset_id)
    rows = {r.number: r for r in _history(session, asset)}
    if number not in rows:
        raise NotFoundError(f"asset {asset_id} has no version {number}")
    chosen, current = rows[number], rows[max(rows)]
    if chosen.sha256 == asset.sha256:
        raise VersionError(f"version {number} is already the current file of asset {asset_id}")
    why = " ".join((reason or "").split())[:MAX_REASON] or None
    _switch(session, asset, chosen.sha256, chosen.byte_size, chosen.mime_type,
            chosen.original_filename, max_attempts)
    version = _add_version(session, asset, current.number + 1, actor, "restore", why,
                           restored_from=number)
    audit.record(session, actor, "restore_version", asset_id=asset.id, field="file",
                 old=_describe(current), new={**_describe(version), "restored_from": number},
                 detail=why)
    return version


def version_file(session: Session, asset_id: int, number: int) -> VersionInfo:
    """One version of the asset (for downloading it), or NotFoundError."""
    for version in list_versions(session, asset_id):
        if version.number == number:
            return version
    raise NotFoundError(f"asset {asset_id} has no version {number}")


def earlier_originals(session: Session, asset_ids: Sequence[int] | None = None
                      ) -> dict[int, list[tuple[int, str, int]]]:
    """(version number, SHA-256, size) of each asset's earlier files other than its current
    one, each content once (its latest number), by asset id; assets never replaced are absent.
    ``None`` reads every asset's (the versions table holds replaced assets only)."""
    found: dict[int, dict[str, tuple[int, str, int]]] = {}
    query = (select(AssetVersion.asset_id, AssetVersion.number, AssetVersion.sha256,
                    AssetVersion.byte_size, Asset.sha256)
             .join(Asset, Asset.id == AssetVersion.asset_id)
             .order_by(AssetVersion.asset_id, AssetVersion.number))
    if asset_ids is not None:
        if not asset_ids:
            return {}
        query = query.where(AssetVersion.asset_id.in_(list(asset_ids)))
    for asset_id, number, sha256, size, current in session.execute(query):
        if sha256 != current:
            found.setdefault(asset_id, {})[sha256] = (number, sha256, size)
    return {a: sorted(v.values()) for a, v in found.items()}


def contents_of(session: Session, asset_id: int) -> list[str]:
    """Every SHA-256 the asset owns: its current file's and its earlier versions'."""
    asset = _load(session, asset_id)
    shas = [asset.sha256]
    for sha256 in session.scalars(select(AssetVersion.sha256).where(
            AssetVersion.asset_id == asset_id).order_by(AssetVersion.number)):
        if sha256 not in shas:
            shas.append(sha256)
    return shas


def store_keys(session: Session, store: ObjectStore, asset_id: int) -> list[str]:
    """Every store object the asset owns, for legal erasure: the originals of all its versions,
    their renditions (recorded or left under the content's folder) and metadata records.

    Content is owned by one asset only (replacement refuses another asset's file, and intake
    treats an earlier version's content as a duplicate), so all of these may be removed.
    """
    shas = contents_of(session, asset_id)
    keys: list[str] = []
    for key in content_keys(store, shas):
        if key not in keys:
            keys.append(key)
    for key in session.scalars(select(Rendition.key).where(Rendition.asset_id == asset_id)):
        if key not in keys:
            keys.append(key)
    return keys


def content_keys(store: ObjectStore, shas: Iterable[str]) -> Iterable[str]:
    """The store objects of these contents: originals, their rendition folders, records."""
    for sha in shas:
        yield original_key(sha)
        yield from (info.key for info in store.list(f"renditions/{sha[:2]}/{sha[2:4]}/{sha}/"))
        yield meta_key(sha)

