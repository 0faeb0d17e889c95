"""Legal erasure: an asset removed for good by mandate (revoked consent, a data-protection request).

An admin gives a written reason. In one transaction the catalog keeps a tombstone
(:class:`dam.models.Erasure`: the SHA-256, the reason, who, when, the former id), writes the
bitácora entry and deletes the asset with everything that hangs on it; then every store key
that belongs to it (dam.curation.removal: original, renditions, store metadata record) is
deleted from the store and from the replica store. The search index drops it from the change
feed; the public gallery on its next publish. When a file with the same SHA-256 is handed in
again, intake refuses it with :func:`returned_reason` (it is not stored). Fixity treats the
erased originals as expected absences.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dam.curation import audit, versions
from dam.curation.actor import Actor
from dam.curation.removal import Removal, delete_asset_rows, delete_keys, keys_in_use, store_keys_of
from dam.curation.rights import OFFICE_TZ, as_utc
from dam.db import Catalog
from dam.enums import Role
from dam.errors import DamError
from dam.models import Asset, Erasure, utcnow
from dam.storemeta import meta_key
from storage import ObjectStore, original_key

log = logging.getLogger(__name__)

MIN_REASON = 10  # characters: a mandate is named, not "x"
RECHECK = dt.timedelta(days=1)  # housekeeping looks for late renditions this long


class ErasureError(DamError):
    """An erasure that is not allowed or cannot be done as asked; ``code`` says which:
    forbidden, reason, missing, shared (another asset's file is the same object)."""

    def __init__(self, message: str, code: str, others: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.code, self.others = code, list(others)


@dataclass
class ErasureReport:
    erasure_id: int
    asset_id: int
    sha256: str
    removal: Removal


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise ErasureError(f"a written reason of at least {MIN_REASON} characters is required "
                           "(the mandate, its number or the request)", "reason")
    return reason


def erase_asset(catalog: Catalog, stores: Sequence[ObjectStore], actor: Actor, asset_id: int,
                reason: str, now: dt.datetime | None = None) -> ErasureReport:
    """Erase one asset (admins only); raises ErasureError, or the store's error after the
    catalog part is done (the tombstone then says the files are still to go: housekeeping
    finishes them with :func:`finish_erasures`)."""
    if not actor.at_least(Role.ADMIN):
        raise ErasureError("only admins may erase material by legal mandate", "forbidden")
    reason = check_reason(reason)
    now = now or utcnow()
    with catalog.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            raise ErasureError(f"asset {asset_id} does not exist", "missing")
        keys = store_keys_of(session, stores[0], asset)
        shared = keys_in_use(session, [asset.original_key], [asset.id])
        if shared:
            others = list(session.scalars(select(Asset.id).where(
                Asset.original_key.in_(shared), Asset.id != asset.id)))
            raise ErasureError(f"the original of asset {asset_id} is also the file of "
                               f"asset(s) {', '.join(map(str, others))}: erase those too",
                               "shared", others)
        # One tombstone per content the asset owned: its file and each earlier version's,
        # so none of them is taken in again.
        tombstones = [Erasure(asset_id=asset.id, sha256=sha256, reason=reason, erased_at=now,
                              user_id=actor.user_id, username=actor.username)
                      for sha256 in versions.contents_of(session, asset.id)]
        session.add_all(tombstones)
        audit.record(session, actor, "erase", asset_id=asset.id, detail=reason)
        delete_asset_rows(session, [asset.id])
        session.flush()
        report = ErasureReport(tombstones[0].id, asset_id, asset.sha256, Removal())
        tombstone_ids = [t.id for t in tombstones]
    report.removal = delete_keys(catalog, stores, keys)
    if not report.removal.failed:
        for erasure_id in tombstone_ids:
            _mark_removed(catalog, erasure_id)
    log.warning("erased asset %s by legal mandate (%s): %d file(s) deleted, %d failed",
                asset_id, actor.username, len(report.removal.deleted),
                len(report.removal.failed))
    return report


def _mark_removed(catalog: Catalog, erasure_id: int) -> None:
    with catalog.write() as session:
        tombstone = session.get(Erasure, erasure_id)
        if tombstone is not None:
            tombstone.files_removed_at = utcnow()


def erased_keys(sha256: str) -> list[str]:
    """The keys an erased original had, known from its SHA-256 alone (the rows are gone)."""
    return [original_key(sha256), meta_key(sha256)]


def finish_erasures(catalog: Catalog, stores: Sequence[ObjectStore],
                    now: dt.datetime | None = None) -> int:
    """Housekeeping: delete the files of erasures whose store deletion failed, and look again
    for a day at recent ones (a worker that was rendering the asset may have written a
    rendition after the erasure); how many pending ones were finished."""
    recent = (now or utcnow()) - RECHECK
    with catalog.read() as session:
        pending = list(session.execute(select(Erasure.id, Erasure.sha256, Erasure.files_removed_at)
                                       .where(or_(Erasure.files_removed_at.is_(None),
                                                  Erasure.erased_at >= recent))))
    done = 0
    for erasure_id, sha, removed_at in pending:
        keys = erased_keys(sha)
        for store in stores:  # what is left may differ from store to store
            keys += [i.key for i in store.list(f"renditions/{sha[0:2]}/{sha[2:4]}/{sha}/")
                     if i.key not in keys]
        if not delete_keys(catalog, stores, keys).failed and removed_at is None:
            _mark_removed(catalog, erasure_id)
            done += 1
    return done


def find_erasure(session: Session, sha256: str) -> Erasure | None:
    """The latest tombstone of this content, if it was ever erased."""
    return session.scalars(select(Erasure).where(Erasure.sha256 == sha256)
                           .order_by(Erasure.id.desc())).first()


def erased_ids(session: Session, asset_ids: Sequence[int]) -> set[int]:
    """Which of these asset ids were erased (their absence is expected)."""
    if not asset_ids:
        return set()
    return set(session.scalars(select(Erasure.asset_id).where(
        Erasure.asset_id.in_(list(asset_ids)))))


RETURNED = "erased by legal mandate on {day}: {reason}"  # read back by web.reasons


def returned_reason(tombstone: Erasure) -> str:
    """Why intake refuses a file that was erased: the recorded (technical) text, which the web
    shows in the reader's language ("este archivo fue borrado por mandato legal el ...")."""
    when = as_utc(tombstone.erased_at).astimezone(OFFICE_TZ)  # type: ignore[union-attr]
    return RETURNED.format(day=f"{when:%Y-%m-%d}", reason=tombstone.reason)
