"""The catalog's copy in the store: a small JSON record beside each original, kept by the feed.

Each asset has ``meta/ab/cd/<sha256>.json`` beside its current original (every column of the
asset, its batch, its renditions and its file versions); ``meta/colecciones.json`` and
``meta/consentimientos.json`` hold the collections and consent forms with their members;
``meta/borrados.json`` the tombstones of legal erasures (so a rebuilt catalog still refuses an
erased file); ``meta/estado.json`` the last change-feed sequence applied.
:func:`sync_store_meta` follows the change feed (the node's housekeeping runs it every minute);
:mod:`dam.rebuild` reads the records back into an empty catalog. Accounts are not in the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dam.db import Catalog
from dam.models import Asset, AssetChange, AssetVersion, Batch, Rendition
from dam.rows import dump_rows, row_dict, table
from storage import ObjectStore

PREFIX = "meta/"
STATE_KEY = "meta/estado.json"
GROUPS = {"meta/colecciones.json": ("collections", "collection_items"),
          "meta/consentimientos.json": ("consent_forms", "consent_assets")}
TOMBSTONES_KEY = "meta/borrados.json"  # the erasures table (dam.curation.erasure)
FORMAT = 1
GAP_SECONDS = 120  # changes this recent are applied again (a slow commit may land late)
PAGE = 500


@dataclass
class MetaReport:
    written: int = 0  # asset records
    groups: int = 0  # collection / consent files rewritten
    seq: int = 0


def meta_key(sha256: str) -> str:
    return f"{PREFIX}{sha256[0:2]}/{sha256[2:4]}/{sha256}.json"


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def asset_record(session: Session, asset: Asset) -> dict[str, Any]:
    batch = session.get(Batch, asset.batch_id) if asset.batch_id else None
    return {
        "format": FORMAT,
        # Face data stays in the catalog (it is found again with `dam faces --all`).
        "asset": row_dict(table("assets"), {**_columns(asset), "face_people": []}),
        "batch": row_dict(table("batches"), _columns(batch)) if batch else None,
        "renditions": [row_dict(table("renditions"), _columns(r))
                       for r in session.scalars(select(Rendition).where(
                           Rendition.asset_id == asset.id).order_by(Rendition.id))],
        "versions": [row_dict(table("asset_versions"), _columns(v))
                     for v in session.scalars(select(AssetVersion).where(
                         AssetVersion.asset_id == asset.id).order_by(AssetVersion.number))],
    }


def _columns(obj: Any) -> dict[str, Any]:
    return {c.name: getattr(obj, c.key) for c in obj.__table__.columns}


def write_records(catalog: Catalog, store: ObjectStore, asset_ids: Sequence[int]) -> int:
    """Write the records of these assets (those still in the catalog); returns how many.

    An asset removed (purged from the trash, erased) while its record was being written would
    leave the record behind, with the personal data an erasure removes: the ids are read again
    after writing and the records of the ones gone are deleted.
    """
    written = 0
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), PAGE):
        with catalog.read() as session:
            assets = session.scalars(select(Asset).where(Asset.id.in_(ids[start:start + PAGE])))
            records = [(a.id, a.sha256, asset_record(session, a)) for a in assets]
        for _, sha256, record in records:
            store.put_bytes(meta_key(sha256), _dump(record), content_type="application/json")
            # A replaced file's record sits beside the current original only: the one left
            # beside an earlier version would bring the asset back twice in a rebuild.
            for earlier in {v["sha256"] for v in record["versions"]} - {sha256}:
                store.delete(meta_key(earlier))
            written += 1
        if records:
            with catalog.read() as session:
                still = set(session.scalars(select(Asset.id).where(
                    Asset.id.in_([i for i, _, _ in records]))))
            for asset_id, sha256, _ in records:
                if asset_id not in still:
                    store.delete(meta_key(sha256))
                    written -= 1
    return written


def _signature(session: Session, parent: str, child: str) -> str:
    """Changes whenever a collection (consent form) or its members change."""
    p, c = table(parent), table(child)
    stamp = p.c.updated_at if "updated_at" in p.c else p.c.created_at
    revoked = [func.count(p.c.revoked_at)] if "revoked_at" in p.c else []
    row = session.execute(select(func.count(), func.max(stamp), func.sum(p.c.id),
                                 *revoked)).one()
    items = session.execute(select(func.count(), func.sum(c.c.id))).one()
    return hashlib.sha256(repr((tuple(row), tuple(items))).encode()).hexdigest()


def write_groups(catalog: Catalog, store: ObjectStore, state: dict[str, Any]) -> int:
    """Rewrite the collections and consents files whose contents changed; returns how many."""
    rewritten = 0
    for key, (parent, child) in GROUPS.items():
        with catalog.read() as session:
            signature = _signature(session, parent, child)
            if state.get(key) == signature:
                continue
            data = {"format": FORMAT, parent: list(dump_rows(session, parent)),
                    child: list(dump_rows(session, child))}
        store.put_bytes(key, _dump(data), content_type="application/json")
        state[key] = signature
        rewritten += 1
    return rewritten


def write_tombstones(catalog: Catalog, store: ObjectStore, state: dict[str, Any]) -> int:
    """Rewrite the tombstones file when an erasure was added or finished; 1 if rewritten."""
    with catalog.read() as session:
        erasures = table("erasures")
        row = session.execute(select(func.count(), func.max(erasures.c.id),
                                     func.count(erasures.c.files_removed_at))).one()
        signature = repr(tuple(row))
        if state.get(TOMBSTONES_KEY) == signature:
            return 0
        data = {"format": FORMAT, "erasures": list(dump_rows(session, "erasures"))}
    store.put_bytes(TOMBSTONES_KEY, _dump(data), content_type="application/json")
    state[TOMBSTONES_KEY] = signature
    return 1


def read_state(store: ObjectStore) -> dict[str, Any]:
    try:
        return json.loads(store.read_bytes(STATE_KEY))
    except FileNotFoundError:
        return {"seq": 0}


def sync_store_meta(catalog: Catalog, store: ObjectStore, *, limit: int = 1000) -> MetaReport:
    """Apply the change feed since the last pass to the store's records (at most ``limit``)."""
    state = read_state(store)
    report = MetaReport(seq=int(state.get("seq", 0)))
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=GAP_SECONDS)
    with catalog.read() as session:
        rows = session.execute(
            select(AssetChange.seq, AssetChange.asset_id)
            .where(or_(AssetChange.seq > report.seq, AssetChange.changed_at >= recent))
            .order_by(AssetChange.seq).limit(limit)).all()
    if rows:
        report.written = write_records(catalog, store, [a for _, a in rows])
        report.seq = max(report.seq, max(int(s) for s, _ in rows))
    report.groups = write_groups(catalog, store, state) + write_tombstones(catalog, store, state)
    if report.seq != state.get("seq") or report.groups:
        state["seq"] = report.seq
        store.put_bytes(STATE_KEY, _dump(state), content_type="application/json")
    return report


def catch_up(catalog: Catalog, store: ObjectStore) -> MetaReport:
    """Run :func:`sync_store_meta` until the feed is applied (for `dam catalog write-store`)."""
    total = MetaReport()
    while True:
        report = sync_store_meta(catalog, store)
        total.written += report.written
        total.groups += report.groups
        if report.seq == total.seq:
            return total
        total.seq = report.seq

