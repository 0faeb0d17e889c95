"""Fixity checks: re-hash stored originals against their recorded SHA-256 and record the outcome."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from dam.curation.versions import earlier_originals
from dam.db import Catalog
from dam.models import Asset, FixityCheck, utcnow
from storage import ObjectStore, original_key

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FixityProblem:
    asset_id: int
    filename: str
    detail: str


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    problems: list[FixityProblem] = field(default_factory=list)


def hash_object(store: ObjectStore, key: str) -> tuple[str, int]:
    """SHA-256 and size of a stored object, streamed."""
    digest, size = hashlib.sha256(), 0
    with store.open_read(key) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_asset(store: ObjectStore, sha256: str, key: str, byte_size: int) -> str | None:
    """None if the original is intact, else what is wrong."""
    try:
        actual, size = hash_object(store, key)
    except FileNotFoundError:
        return f"original missing from the store ({key})"
    if actual != sha256:
        return f"content changed: SHA-256 is {actual}, recorded {sha256} ({size} bytes)"
    if size != byte_size:
        return f"size is {size} bytes, recorded {byte_size}"
    return None


def check_versions(store: ObjectStore, versions: list[tuple[int, str, int]]) -> str | None:
    """None if every earlier version's original is intact, else what is wrong, by version."""
    problems = []
    for number, sha256, byte_size in versions:
        detail = check_asset(store, sha256, original_key(sha256), byte_size)
        if detail is not None:
            problems.append(f"version {number}: {detail}")
    return "; ".join(problems) or None


def _joined(*details: str | None) -> str | None:
    return "; ".join(d for d in details if d) or None


def still_kept(catalog: Catalog, asset_id: int) -> bool:
    """Whether the asset is still in the catalog. One removed since it was read (purged from
    the trash, or erased by legal mandate: dam.curation.erasure) is an expected absence:
    no report, no repair from the replica, no check row."""
    with catalog.read() as session:
        return session.get(Asset, asset_id) is not None


def run_fixity(catalog: Catalog, store: ObjectStore, *, sample: int | None = None) -> FixityReport:
    """Check all originals, or ``sample`` of them, least recently checked first; an asset's
    check covers the originals of its earlier versions too."""
    with catalog.read() as session:
        earlier = earlier_originals(session)
        query = select(
            Asset.id, Asset.sha256, Asset.original_key, Asset.byte_size, Asset.original_filename
        )
        query = query.order_by(
            Asset.fixity_checked_at.is_not(None), Asset.fixity_checked_at, Asset.id
        )
        if sample is not None:
            query = query.limit(sample)
        rows = session.execute(query).all()
    report = FixityReport()
    for asset_id, sha256, key, byte_size, filename in rows:
        detail = _joined(check_asset(store, sha256, key, byte_size),
                         check_versions(store, earlier.get(asset_id, [])))
        now = utcnow()
        with catalog.write() as session:
            asset = session.get(Asset, asset_id)
            if asset is None:
                continue  # removed meanwhile (trash purge, legal erasure): expected
            session.add(
                FixityCheck(asset_id=asset_id, checked_at=now, ok=detail is None, detail=detail)
            )
            asset.fixity_checked_at, asset.fixity_ok = now, detail is None
        report.checked += 1
        if detail is None:
            report.ok += 1
        else:
            log.error("fixity: asset %s (%s): %s", asset_id, filename, detail)
            report.problems.append(FixityProblem(asset_id, filename, detail))
    return report
