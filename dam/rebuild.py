"""`dam catalog rebuild --from-store`: an empty catalog filled from the records in the store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dam import changes
from dam.db import Catalog
from dam.errors import DamError
from dam.models import Asset, User
from dam.rows import advance_sequences, insert_rows, table
from dam.storemeta import GROUPS, PREFIX, TOMBSTONES_KEY
from storage import ObjectStore

_RECORD = re.compile(r"meta/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.json")
TABLES = ("batches", "assets", "renditions", "asset_versions", "collections",
          "collection_items", "consent_forms", "consent_assets", "erasures")


class RebuildError(DamError):
    """The catalog could not be rebuilt from the store."""


@dataclass
class RebuildReport:
    rows: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def _without_accounts(session: Session, name: str, row: dict[str, Any]) -> dict[str, Any]:
    """Accounts are not in the store: references to ones this catalog lacks are dropped."""
    for column in table(name).columns:
        if any(fk.column.table.name == "users" for fk in column.foreign_keys) and row.get(
                column.name) is not None and session.get(User, row[column.name]) is None:
            row[column.name] = None
    return row


def _records(store: ObjectStore, report: RebuildReport) -> Iterator[dict[str, Any]]:
    for info in store.list(PREFIX):
        if not _RECORD.fullmatch(info.key):
            continue
        try:
            yield json.loads(store.read_bytes(info.key))
        except (ValueError, OSError) as exc:
            report.unreadable.append(f"{info.key}: {exc}")


def rebuild_from_store(catalog: Catalog, store: ObjectStore) -> RebuildReport:
    """Recreate assets, batches, renditions, collections and consents into an empty catalog."""
    report = RebuildReport(rows=dict.fromkeys(TABLES, 0))
    with catalog.write() as session:
        if session.scalar(select(func.count()).select_from(Asset)):
            raise RebuildError("the catalog is not empty: rebuild into a new, empty catalog")
        batches: set[int] = set()
        taken: dict[int, int] = {}  # asset id -> versions in the record taken
        for record in _records(store, report):
            batch = record.get("batch")
            if batch and batch["id"] not in batches:
                batches.add(batch["id"])
                report.rows["batches"] += insert_rows(
                    session, "batches", [_without_accounts(session, "batches", batch)])
            asset_id, versions = record["asset"]["id"], record.get("versions", [])
            if asset_id in taken:
                if taken[asset_id] >= len(versions):
                    continue  # a stale record of a replaced file (the newer one has more)
                _forget(session, asset_id, report)
            report.rows["assets"] += insert_rows(session, "assets", [record["asset"]])
            report.rows["renditions"] += insert_rows(session, "renditions", record["renditions"])
            report.rows["asset_versions"] += insert_rows(session, "asset_versions", versions)
            taken[asset_id] = len(versions)
        asset_ids = list(taken)
        known = set(asset_ids)
        for key, names in GROUPS.items():
            _insert_group(session, store, key, names, known, report)
        report.rows["erasures"] += _insert_tombstones(session, store)
        changes.record(session, asset_ids, "created")
        advance_sequences(session, TABLES)
    return report


def _forget(session: Session, asset_id: int, report: RebuildReport) -> None:
    """Take back an asset inserted from an older record (its file was replaced since)."""
    for name, column in (("renditions", "asset_id"), ("asset_versions", "asset_id"),
                         ("assets", "id")):
        tbl = table(name)
        report.rows[name] -= session.execute(
            delete(tbl).where(tbl.c[column] == asset_id)).rowcount or 0


def _insert_tombstones(session: Session, store: ObjectStore) -> int:
    """The tombstones of legal erasures: a rebuilt catalog still refuses an erased file."""
    try:
        data = json.loads(store.read_bytes(TOMBSTONES_KEY))
    except FileNotFoundError:
        return 0
    return insert_rows(session, "erasures", data.get("erasures", []))


def _insert_group(session: Session, store: ObjectStore, key: str, names: tuple[str, str],
                  known: set[int], report: RebuildReport) -> None:
    try:
        data = json.loads(store.read_bytes(key))
    except FileNotFoundError:
        return
    parent, child = names
    parents = [_without_accounts(session, parent, r) for r in data.get(parent, [])]
    for row in parents:
        for column in ("cover_asset_id", "document_asset_id"):
            if row.get(column) is not None and row[column] not in known:
                row[column] = None
    report.rows[parent] += insert_rows(session, parent, parents)
    children = [_without_accounts(session, child, r) for r in data.get(child, [])
                if r["asset_id"] in known]
    report.rows[child] += insert_rows(session, child, children)
