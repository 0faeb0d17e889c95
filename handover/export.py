"""`dam handover export`: the archive as a BagIt 1.0 bag, streamed from the object store."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import platform
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dam.context import Context
from dam.curation.rights import chunks
from dam.models import Asset, AssetVersion, AuditEntry
from dam.rows import dump_rows, row_dict
from handover.paths import (
    PathPlanner,
    asset_day,
    formula_safe,
    rendition_path,
    version_path,
)
from handover.payload import JOURNAL, HandoverError, Payload, read_jsonl
from handover.readme import readme_text
from handover.records import CSV_COLUMNS, describe_page, json_record
from handover.s3target import (
    S3Payload,
    check_target,
    is_s3_url,
    open_target,
    sender_id,
    staging_folder,
    upload_tag_files,
)
from handover.selection import Selection, select_assets
from publish.describe import press_info
from publish.embed import xmp_sidecar
from storage import LocalStore, ObjectStore, original_key

CATALOG = "catalogo"
# Tables carried whole (every column) so `dam handover import` rebuilds the same catalog.
USER_FIELDS = ("id", "username", "display_name", "email", "role", "locale", "created_at")


@dataclass
class ExportOptions:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    collection_id: int | None = None
    with_renditions: bool = False
    made_by: str = field(default_factory=getpass.getuser)


@dataclass
class ExportSummary:
    path: str
    assets: int = 0
    restricted: int = 0
    renditions: int = 0
    collections: int = 0
    consents: int = 0
    audit_entries: int = 0
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    sender_id: str = ""


class _CatalogWriters:
    """catalogo.json (a streamed array), catalogo.csv (UTF-8 BOM) and the path map."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.json = open(folder / "catalogo.json", "w", encoding="utf-8")  # noqa: SIM115
        self.json.write("[")
        self.csv_file = open(folder / "catalogo.csv", "w", encoding="utf-8-sig",  # noqa: SIM115
                             newline="")
        self.csv = csv.writer(self.csv_file)
        self.csv.writerow([h for h, _ in CSV_COLUMNS])
        self.routes = open(folder / "rutas.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        self.json.write(("," if self.count else "") + "\n"
                        + json.dumps(json_record(record), ensure_ascii=False))
        self.csv.writerow([formula_safe(record.get(k)) for _, k in CSV_COLUMNS])
        self.count += 1

    def route(self, key: str, rel: str, sha256: str | None = None) -> None:
        self.routes.write(json.dumps({"key": key, "ruta": rel, "sha256": sha256},
                                     ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.json.write("\n]\n")
        for fh in (self.json, self.csv_file, self.routes):
            fh.close()


def _write_assets(ctx: Context, sel: Selection, payload: Payload, out: _CatalogWriters,
                  opts: ExportOptions, summary: ExportSummary) -> None:
    planner, now, store = PathPlanner(), dt.datetime.now(dt.UTC), ctx.store
    for chunk in chunks(sel.asset_ids):
        with ctx.catalog.read() as session:
            assets = list(session.scalars(select(Asset).where(Asset.id.in_(chunk))
                                          .order_by(Asset.id)
                                          .options(selectinload(Asset.renditions),
                                                   selectinload(Asset.appears_in),
                                                   selectinload(Asset.photos_printed))))
            records = describe_page(session, assets, ctx.settings, now)
            earlier = _earlier_versions(session, chunk)
            for asset, record in zip(assets, records, strict=True):
                rel = planner.original(asset_day(asset.taken_at, asset.created_at), asset.event,
                                       asset.original_filename, asset.id)
                payload.copy(rel, lambda k=asset.original_key: store.open_read(k),
                             asset.byte_size, asset.sha256,
                             local=_local(store, asset.original_key),
                             missing=f"asset {asset.id}: its original is missing from the "
                                     f"store ({asset.original_key}); run `dam fixity`")
                payload.write_bytes(rel + ".xmp", xmp_sidecar(press_info(asset, ctx.settings)))
                out.route(asset.original_key, rel, asset.sha256)
                record["ruta"], record["ruta_xmp"] = f"data/{rel}", f"data/{rel}.xmp"
                if asset.id in earlier:
                    record["versiones"] = _write_versions(store, earlier[asset.id], rel,
                                                          payload, out)
                if opts.with_renditions:
                    record["rutas_derivados"] = _write_renditions(store, asset, rel, payload, out)
                    summary.renditions += len(asset.renditions)
                summary.assets += 1
                summary.restricted += bool(record["restringido"])
                out.add(record)


def _earlier_versions(session: Any, asset_ids: Any) -> dict[int, list[AssetVersion]]:
    """Each replaced asset's earlier files (each content once, its latest number)."""
    found: dict[int, dict[str, AssetVersion]] = {}
    rows = session.execute(select(AssetVersion, Asset.sha256)
                           .join(Asset, Asset.id == AssetVersion.asset_id)
                           .where(AssetVersion.asset_id.in_(asset_ids))
                           .order_by(AssetVersion.asset_id, AssetVersion.number))
    for version, current in rows:
        if version.sha256 != current:
            found.setdefault(version.asset_id, {})[version.sha256] = version
    return {a: sorted(v.values(), key=lambda r: r.number) for a, v in found.items()}


def _write_versions(store: ObjectStore, versions: list[AssetVersion], rel: str,
                    payload: Payload, out: _CatalogWriters) -> list[dict[str, Any]]:
    """Earlier originals beside the current one, under ``versiones/<archivo>/``."""
    listed = []
    for v in versions:
        target = version_path(rel, v.number, v.original_filename)
        key = original_key(v.sha256)
        payload.copy(target, lambda k=key: store.open_read(k), v.byte_size, v.sha256,
                     local=_local(store, key),
                     missing=f"asset {v.asset_id}: version {v.number}'s original is missing "
                             f"from the store ({key}); run `dam fixity`")
        out.route(key, target, v.sha256)
        listed.append({"version": v.number, "ruta": f"data/{target}", "sha256": v.sha256,
                       "archivo": v.original_filename, "motivo": v.reason,
                       "por": v.username, "fecha": v.created_at.isoformat()})
    return listed


def _local(store: ObjectStore, key: str) -> Path | None:
    """The object's own file when the store is a local folder (copied by the kernel); a
    missing one is found by the copy (the payload's ``missing`` message)."""
    if not isinstance(store, LocalStore):
        return None
    try:
        with store.local_path(key) as path:  # the store's file itself: nothing to clean up
            return path
    except FileNotFoundError:
        return None


def _write_renditions(store: Any, asset: Asset, rel: str, payload: Payload,
                      out: _CatalogWriters) -> list[str]:
    paths = []
    for r in asset.renditions:
        target = rendition_path(rel, str(r.kind), r.page, r.key)
        payload.copy(target, lambda k=r.key: store.open_read(k), r.byte_size,
                     local=_local(store, r.key))
        out.route(r.key, target)
        paths.append(f"data/{target}")
    return paths


def _jsonl(path: Path, rows: Any) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _audit_rows(session: Any, sel: Selection) -> Any:
    """Audit entries of the period (all of them when no period is given), oldest first."""
    tbl = AuditEntry.__table__
    query = select(tbl).order_by(tbl.c.id)
    if sel.date_from:
        query = query.where(tbl.c.at >= dt.datetime.combine(sel.date_from, dt.time(), dt.UTC))
    if sel.date_to:
        end = dt.datetime.combine(sel.date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(tbl.c.at < end)
    for row in session.execute(query.execution_options(yield_per=500)):
        yield row_dict(tbl, row._mapping)


def _tables(session: Any, sel: Selection) -> dict[str, Any]:
    """Every table the catalog of the selection needs, by name, as row iterators."""
    ids, chosen = sel.asset_ids, set(sel.asset_ids)
    batch_ids = [b for chunk in chunks(ids) for b in session.scalars(
        select(Asset.batch_id).where(Asset.id.in_(chunk), Asset.batch_id.is_not(None)))]
    return {
        "users": ({k: u[k] for k in USER_FIELDS} for u in dump_rows(session, "users")),
        "batches": dump_rows(session, "batches", column="id", ids=batch_ids),
        "assets": dump_rows(session, "assets", column="id", ids=ids),
        "renditions": dump_rows(session, "renditions", column="asset_id", ids=ids),
        "asset_versions": dump_rows(session, "asset_versions", column="asset_id", ids=ids),
        "publication_images": dump_rows(session, "publication_images", column="asset_id",
                                        ids=ids),
        "publication_photos": (r for r in dump_rows(session, "publication_photos",
                                                   column="photo_id", ids=ids)
                               if r["publication_id"] in chosen),
        "vocabulary_terms": dump_rows(session, "vocabulary_terms"),
        "collections": dump_rows(session, "collections"),
        "collection_items": dump_rows(session, "collection_items", column="asset_id", ids=ids),
        "consent_forms": dump_rows(session, "consent_forms", column="id", ids=sel.consent_ids),
        "consent_assets": (r for r in dump_rows(session, "consent_assets", column="consent_id",
                                                ids=sel.consent_ids)
                           if r["asset_id"] in chosen),
        "audit_log": _audit_rows(session, sel),
    }


def _write_tables(ctx: Context, sel: Selection, folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    with ctx.catalog.read() as session:
        for name, rows in _tables(session, sel).items():
            counts[name] = _jsonl(folder / f"{name}.jsonl", rows)
    return counts


def _readable_lists(ctx: Context, sel: Selection, folder: Path) -> None:
    """colecciones.json, consentimientos.json and bitacora.jsonl, for people."""
    tables = folder / "tablas"
    collections = list(read_jsonl(tables / "collections.jsonl"))
    members: dict[int, list[int]] = {}
    for item in read_jsonl(tables / "collection_items.jsonl"):
        members.setdefault(item["collection_id"], []).append(item["asset_id"])
    for c in collections:
        c["activos"] = members.get(c["id"], [])
    (folder / "colecciones.json").write_text(
        json.dumps(collections, ensure_ascii=False, indent=1), encoding="utf-8")
    covered: dict[int, list[int]] = {}
    for link in read_jsonl(tables / "consent_assets.jsonl"):
        covered.setdefault(link["consent_id"], []).append(link["asset_id"])
    forms = list(read_jsonl(tables / "consent_forms.jsonl"))
    for f in forms:
        f["activos_que_cubre"] = covered.get(f["id"], [])
    (folder / "consentimientos.json").write_text(
        json.dumps(forms, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "bitacora.jsonl").write_bytes((tables / "audit_log.jsonl").read_bytes())


def _bag_info(ctx: Context, opts: ExportOptions, summary: ExportSummary, payload: Payload
              ) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    period = ""
    if opts.date_from or opts.date_to:
        period = f"{opts.date_from or '...'} / {opts.date_to or '...'}"
    info = {
        "Source-Organization": ctx.settings.agency_name,
        "Bagging-Date": now.date().isoformat(),
        "Payload-Oxum": f"{payload.bytes}.{payload.files}",
        "Internal-Sender-Identifier": summary.sender_id,
        "Internal-Sender-Description": "Entrega-recepción del acervo (Acervo DAM)",
        "Contact-Name": opts.made_by,
        "Bag-Software-Agent": f"Acervo handover (bagit {bagit.VERSION}) on {platform.node()}",
        "Bag-Count": "1 of 1",
    }
    if period:
        info["Bag-Group-Identifier"] = period
    return info


def export_bag(ctx: Context, target: Path | str, opts: ExportOptions,
               progress: Callable[[int], Callable[[int], object]] | None = None, *,
               endpoint_url: str | None = None) -> ExportSummary:
    """Write (or finish writing) the bag at ``target``, a folder or ``s3://bucket/prefix``;
    returns what it holds."""
    if is_s3_url(target):
        return _export_to_s3(ctx, str(target), opts, progress, endpoint_url)
    target = Path(target)
    _check_target(target)
    with ctx.catalog.read() as session:
        sel = select_assets(session, opts.date_from, opts.date_to, opts.collection_id)
    summary = ExportSummary(path=str(target), sender_id=_sender_id(target))
    payload = Payload(target, progress(sel.byte_size) if progress else lambda n: None)
    _fill_bag(ctx, sel, payload, opts, summary)
    (target / ".acervo-sender").unlink(missing_ok=True)
    return summary


def _export_to_s3(ctx: Context, url: str, opts: ExportOptions,
                  progress: Callable[[int], Callable[[int], object]] | None,
                  endpoint_url: str | None) -> ExportSummary:
    """The bag under an S3 prefix: originals streamed from the store, the rest staged here."""
    dest = open_target(ctx.settings, url, endpoint_url)
    check_target(dest)
    with ctx.catalog.read() as session:
        sel = select_assets(session, opts.date_from, opts.date_to, opts.collection_id)
    summary = ExportSummary(path=dest.url, sender_id=sender_id(dest, _new_sender_id))
    with staging_folder(ctx.settings) as staging:
        payload = S3Payload(Path(staging), dest,
                            progress(sel.byte_size) if progress else lambda n: None)
        _fill_bag(ctx, sel, payload, opts, summary)
        upload_tag_files(Path(staging), dest)
    return summary


def _fill_bag(ctx: Context, sel: Selection, payload: Payload, opts: ExportOptions,
              summary: ExportSummary) -> None:
    """The payload, the catalog files, the manifest, and the tag files in ``payload.root``."""
    root = payload.root
    catalog_dir = payload.data / CATALOG
    try:
        writers = _CatalogWriters(catalog_dir)
        try:
            _write_assets(ctx, sel, payload, writers, opts, summary)
        finally:
            writers.close()
        counts = _write_tables(ctx, sel, catalog_dir / "tablas")
        _readable_lists(ctx, sel, catalog_dir)
        summary.collections = counts["collections"]
        summary.consents = counts["consent_forms"]
        summary.audit_entries = counts["audit_log"]
        for path in sorted(catalog_dir.rglob("*")):
            if path.is_file():
                payload.add_existing(path.relative_to(payload.data).as_posix())
        payload.finish()
    finally:
        payload.close()
    summary.files, summary.bytes, summary.skipped = payload.files, payload.bytes, payload.skipped
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
                                    encoding="utf-8")
    (root / "LEEME.txt").write_text(readme_text(ctx, opts, summary, sel), encoding="utf-8")
    # bagit's own writers (not Bag.save, which re-reads and re-checks every manifest line).
    bagit._make_tag_file(str(root / "bag-info.txt"), _bag_info(ctx, opts, summary, payload))
    bagit._make_tagmanifest_file("sha256", str(root))


def _check_target(target: Path) -> None:
    """A new or empty folder, or a bag (finished or interrupted) to resume; never anything else."""
    target.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in target.iterdir()}
    if names and not names & {"bagit.txt", JOURNAL, ".acervo-sender"}:
        raise HandoverError(f"{target} is not empty and holds no bag: choose a new folder")


def _sender_id(target: Path) -> str:
    """The bag's internal identifier; kept across a resumed export."""
    marker = target / ".acervo-sender"
    if marker.is_file():
        return marker.read_text().strip()
    value = _new_sender_id()
    marker.write_text(value)
    return value


def _new_sender_id() -> str:
    return f"acervo-entrega-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
