"""`dam handover verify`: the bag is complete and intact, and its catalog matches its payload."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit

from handover.payload import HandoverError, read_jsonl

CATALOG = Path("data/catalogo")


@dataclass
class VerifyReport:
    files: int = 0
    assets: int = 0
    problems: list[str] = field(default_factory=list)


def json_array(path: Path) -> Iterator[dict[str, Any]]:
    """The records of catalogo.json, read one line at a time (it is written one per line)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip().strip(",")
            if line.startswith("{"):
                yield json.loads(line)


def open_bag(path: Path, *, fast: bool = False) -> bagit.Bag:
    """The bag at ``path``, validated (every file re-hashed unless ``fast``)."""
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1, fast=fast)
    except bagit.BagError as exc:
        details = "; ".join(str(d) for d in getattr(exc, "details", []) or [])[:2000]
        raise HandoverError(f"{path}: not a valid bag: {exc}" + (f" ({details})" if details
                                                                 else "")) from exc
    return bag


def cross_check(root: Path, bag: bagit.Bag) -> VerifyReport:
    """Every catalogued original is in the payload with its SHA-256; nothing is unaccounted."""
    return check_catalog(root, {path: hashes.get("sha256")
                                for path, hashes in bag.payload_entries().items()})


def check_catalog(root: Path, sha: dict[str, str | None]) -> VerifyReport:
    """The bag's catalog files (under ``root``) against its manifest (``sha``: payload path to
    SHA-256): every original and version listed, with its hash; nothing unaccounted."""
    report = VerifyReport(files=len(sha))
    routes = {r["key"]: r for r in read_jsonl(root / CATALOG / "rutas.jsonl")}
    originals: set[str] = set()
    ids: set[int] = set()
    for asset in read_jsonl(root / CATALOG / "tablas" / "assets.jsonl"):
        ids.add(asset["id"])
        route = routes.get(asset["original_key"])
        if route is None:
            report.problems.append(f"asset {asset['id']}: its original is not in the bag")
            continue
        rel = f"data/{route['ruta']}"
        originals.add(rel)
        if sha.get(rel) != asset["sha256"]:
            report.problems.append(f"asset {asset['id']}: {rel} does not hold SHA-256 "
                                   f"{asset['sha256']}")
    for version in _versions(root):
        route = routes.get(f"originals/{version['sha256'][:2]}/{version['sha256'][2:4]}/"
                           f"{version['sha256']}")
        if route is None:
            report.problems.append(f"asset {version['asset_id']}: version {version['number']}'s "
                                   "original is not in the bag")
            continue
        rel = f"data/{route['ruta']}"
        originals.add(rel)
        if sha.get(rel) != version["sha256"]:
            report.problems.append(f"asset {version['asset_id']}: {rel} does not hold SHA-256 "
                                   f"{version['sha256']}")
    report.assets = len(ids)
    listed = {r["id"]: r for r in json_array(root / CATALOG / "catalogo.json")}
    if set(listed) != ids:
        report.problems.append(f"catalogo.json lists {len(listed)} assets, the tables {len(ids)}")
    for asset_id, record in listed.items():
        if record.get("ruta") not in originals and asset_id in ids:
            report.problems.append(f"catalogo.json: asset {asset_id} points to {record['ruta']}")
    with open(root / CATALOG / "catalogo.csv", encoding="utf-8-sig", newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    if rows != len(ids):
        report.problems.append(f"catalogo.csv has {rows} rows for {len(ids)} assets")
    strays = [p for p in sha if p.startswith("data/originales/") and not p.endswith(".xmp")
              and p not in originals]
    report.problems += [f"{p}: in the bag but in no catalog record" for p in strays[:20]]
    return report


def _versions(root: Path) -> Iterator[dict[str, Any]]:
    """The file versions the bag's catalog lists (none in bags made before versions)."""
    path = root / CATALOG / "tablas" / "asset_versions.jsonl"
    if path.is_file():
        yield from read_jsonl(path)


def verify_bag(path: Path, *, fast: bool = False) -> VerifyReport:
    bag = open_bag(path, fast=fast)
    return cross_check(path, bag)
