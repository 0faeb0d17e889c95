"""Scheduled fixity: a rolling re-hash covering the store every cycle, repairing from a replica.

The node's housekeeping calls :func:`rolling_fixity` at each pass (every minute): it checks the
originals least recently checked, as many as keep the whole store within ``fixity_cycle_days``.
A damaged or missing original is copied back from ``replica_store_url`` when the replica's copy
has the recorded SHA-256; otherwise it is reported (``fixity_ok`` false, a FixityCheck row).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from dam.config import Settings
from dam.context import open_configured_store, signing_key
from dam.curation.versions import earlier_originals
from dam.db import Catalog
from dam.fixity import FixityProblem, check_asset, hash_object, still_kept
from dam.models import Asset, FixityCheck, utcnow
from storage import ObjectStore, original_key

log = logging.getLogger(__name__)

DAY = 86_400
_replicas: dict[str, ObjectStore] = {}


@dataclass
class RollingReport:
    checked: int = 0
    ok: int = 0
    repaired: int = 0
    problems: list[FixityProblem] = field(default_factory=list)


def due_per_pass(total: int, cycle_days: int, interval_seconds: float) -> int:
    """How many originals one pass checks so that ``total`` are covered in ``cycle_days``."""
    if total <= 0 or cycle_days <= 0:
        return 0
    return max(1, math.ceil(total * interval_seconds / (cycle_days * DAY)))


def replica_store(settings: Settings) -> ObjectStore | None:
    """The second copy of the store, if one is configured (opened once per process)."""
    url = settings.replica_store_url
    if not url:
        return None
    if url not in _replicas:
        _replicas[url] = open_configured_store(settings, url, signing_key=signing_key(settings))
    return _replicas[url]


def repair(store: ObjectStore, replica: ObjectStore, key: str, sha256: str) -> bool:
    """Copy the replica's object back if it holds the recorded content; whether it did."""
    try:
        if hash_object(replica, key)[0] != sha256:
            return False
        with replica.open_read(key) as stream:
            store.put_file(key, stream)
    except FileNotFoundError:
        return False
    return True


def check_one(store: ObjectStore, replica: ObjectStore | None,
              row: tuple[int, str, str, int, str],
              versions: list[tuple[int, str, int]] | None = None,
              catalog: Catalog | None = None) -> tuple[str | None, bool]:
    """(what is still wrong or None, whether something was repaired) for one asset row, its
    current original and those of its earlier ``versions`` (number, SHA-256, size).

    With ``catalog``, an asset removed since the row was read is never repaired (an erased
    original must not come back from the replica): its absence is reported as None.
    """
    asset_id, sha256, key, byte_size, _filename = row

    def removed() -> bool:
        return catalog is not None and not still_kept(catalog, asset_id)

    problems, repaired = [], False
    for number, v_sha, v_size in versions or []:
        v_detail, v_repaired = _check_original(store, replica, v_sha, original_key(v_sha),
                                               v_size, removed)
        repaired |= v_repaired
        if v_detail is not None:
            problems.append(f"version {number}: {v_detail}")
    detail, fixed = _check_original(store, replica, sha256, key, byte_size, removed)
    return "; ".join(([detail] if detail else []) + problems) or None, repaired or fixed


def _check_original(store: ObjectStore, replica: ObjectStore | None, sha256: str, key: str,
                    byte_size: int, removed: Callable[[], bool]) -> tuple[str | None, bool]:
    detail = check_asset(store, sha256, key, byte_size)
    if detail is not None and removed():
        return None, False  # purged or erased meanwhile: an expected absence, never restored
    if detail is None or replica is None or not repair(store, replica, key, sha256):
        return detail, False
    still = check_asset(store, sha256, key, byte_size)
    return (None, True) if still is None else (still, False)


def rolling_fixity(catalog: Catalog, store: ObjectStore, settings: Settings, *,
                   interval_seconds: float = 60.0, limit: int | None = None) -> RollingReport:
    """One pass: check the originals due now (``limit`` overrides the computed number)."""
    with catalog.read() as session:
        total = session.scalar(select(func.count()).select_from(Asset)) or 0
        due = limit if limit is not None else due_per_pass(
            total, settings.fixity_cycle_days, interval_seconds)
        rows = session.execute(
            select(Asset.id, Asset.sha256, Asset.original_key, Asset.byte_size,
                   Asset.original_filename)
            .order_by(Asset.fixity_checked_at.is_not(None), Asset.fixity_checked_at, Asset.id)
            .limit(due)).all() if due else []
        earlier = earlier_originals(session, [row[0] for row in rows])
    replica = replica_store(settings)
    report = RollingReport()
    for row in rows:
        detail, repaired = check_one(store, replica, tuple(row), earlier.get(row[0]), catalog)
        if not _record(catalog, row[0], detail, repaired):
            continue  # removed meanwhile (trash purge, legal erasure): an expected absence
        report.checked += 1
        report.repaired += repaired
        if detail is None:
            report.ok += 1
        else:
            log.error("fixity: asset %s (%s): %s", row[0], row[4], detail)
            report.problems.append(FixityProblem(row[0], row[4], detail))
    return report


def _record(catalog: Catalog, asset_id: int, detail: str | None, repaired: bool) -> bool:
    """Record the check; False when the asset is no longer in the catalog (nothing recorded)."""
    now = utcnow()
    note = "restored from the replica store" if repaired else detail
    with catalog.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return False
        session.add(FixityCheck(asset_id=asset_id, checked_at=now, ok=detail is None,
                                detail=note))
        asset.fixity_checked_at, asset.fixity_ok = now, detail is None
    return True


def fixity_status(catalog: Catalog, cycle_days: int, now: dt.datetime | None = None
                  ) -> dict[str, object]:
    """For /healthz and the queue page: coverage of the current cycle and damaged originals."""
    now = now or utcnow()
    since = now - dt.timedelta(days=max(cycle_days, 1))
    with catalog.read() as session:
        total = session.scalar(select(func.count()).select_from(Asset)) or 0
        recent = session.scalar(select(func.count()).select_from(Asset).where(
            Asset.fixity_checked_at >= since)) or 0
        damaged = list(session.scalars(select(Asset.id).where(
            Asset.fixity_ok.is_(False)).order_by(Asset.id).limit(100)))
        oldest = session.scalar(select(func.min(Asset.fixity_checked_at)))
        never = session.scalar(select(func.count()).select_from(Asset).where(
            Asset.fixity_checked_at.is_(None))) or 0
    return {"assets": total, "checked_this_cycle": recent, "cycle_days": cycle_days,
            "never_checked": never,
            "damaged": damaged, "oldest_check": oldest.isoformat() if oldest else None}
