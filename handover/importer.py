"""`dam handover import`: a bag into a fresh Acervo, with the same catalog and the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dam import changes
from dam.context import Context
from dam.models import Asset, User
from dam.rows import advance_sequences, insert_rows, table
from handover.payload import HandoverError, read_jsonl
from handover.verify import CATALOG, open_bag

#: Tables a fresh catalog already holds rows of (migrations seed starter terms, such as the
#: search's synonym groups): the bag's own rows replace them, since it carries the source's.
SEEDED = ("vocabulary_terms",)

#: Tables in the order their foreign keys need.
ORDER = ("users", "batches", "assets", "renditions", "asset_versions", "publication_images",
         "publication_photos",
         "vocabulary_terms", "collections", "collection_items", "consent_forms",
         "consent_assets", "audit_log")


@dataclass
class ImportSummary:
    objects: int = 0
    bytes: int = 0
    rows: dict[str, int] | None = None


def _columns_to(name: str, target: str) -> list[str]:
    """The nullable columns of table ``name`` that refer to table ``target``."""
    return [c.name for c in table(name).columns if c.nullable
            and any(fk.column.table.name == target for fk in c.foreign_keys)]


def _rows(root: Path, name: str, users: set[int], assets: set[int]
          ) -> Iterator[dict[str, Any]]:
    """A table's rows, without references to accounts or assets the bag does not carry
    (an album's cover outside the period, say)."""
    known = {"users": users, "assets": assets}
    columns = [(c, known[t]) for t in known for c in _columns_to(name, t)]
    for row in read_jsonl(root / CATALOG / "tablas" / f"{name}.jsonl"):
        for column, ids in columns:
            if row.get(column) not in ids:
                row[column] = None
        yield row


def _import_users(session: Session, root: Path) -> set[int]:
    """Accounts come disabled and without passwords: the receiving office enables its own."""
    taken_ids = set(session.scalars(select(User.id)))
    taken_names = set(session.scalars(select(User.username)))
    fresh = [dict(u, active=False, password_hash=None)
             for u in read_jsonl(root / CATALOG / "tablas" / "users.jsonl")
             if u["id"] not in taken_ids and u["username"] not in taken_names]
    insert_rows(session, "users", fresh)
    return taken_ids | {u["id"] for u in fresh}


def copy_objects(ctx: Context, root: Path, progress: Callable[[int], object]) -> tuple[int, int]:
    """Put every payload file back under its store key (skipping objects already there)."""
    count = size = 0
    for route in read_jsonl(root / CATALOG / "rutas.jsonl"):
        path = root / "data" / route["ruta"]
        length = path.stat().st_size
        if not (ctx.store.exists(route["key"]) and ctx.store.size(route["key"]) == length):
            ctx.store.put_file(route["key"], path)
        count, size = count + 1, size + length
        progress(length)
    return count, size


def import_bag(ctx: Context, root: Path, *, validate: bool = True,
               progress: Callable[[int], object] = lambda n: None) -> ImportSummary:
    """Validate the bag, copy its files into the store and its tables into an empty catalog."""
    with ctx.catalog.read() as session:
        if session.scalar(select(func.count()).select_from(Asset)):
            raise HandoverError("the catalog already has assets: import a handover into a "
                                "fresh Acervo (`dam init` on an empty catalog)")
    if validate:
        open_bag(root)
    summary = ImportSummary()
    summary.objects, summary.bytes = copy_objects(ctx, root, progress)
    with ctx.catalog.write() as session:
        for name in SEEDED:
            session.execute(delete(table(name)))
        users = _import_users(session, root)
        assets = {a["id"] for a in read_jsonl(root / CATALOG / "tablas" / "assets.jsonl")}
        summary.rows = {"users": len(users)}
        for name in ORDER[1:]:
            summary.rows[name] = insert_rows(session, name, _rows(root, name, users, assets))
        changes.record(session, sorted(assets), "created")
        advance_sequences(session, ORDER)
    return summary


def describe(summary: ImportSummary) -> str:
    return json.dumps(summary.rows, ensure_ascii=False)
