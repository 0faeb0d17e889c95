"""`dam handover verify s3://bucket/prefix`: a bag under an S3 prefix is complete and intact.

The same checks as for a folder, without downloading the payload: the tag files against the
tag manifest, every payload object against the manifest (its size always; its SHA-256 by
streaming it, unless ``fast``), Payload-Oxum, no object outside the manifest, and the catalog
files (downloaded to a temporary folder) against the payload.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import bagit

from handover.payload import CHUNK, HandoverError
from handover.verify import CATALOG, VerifyReport, check_catalog

if TYPE_CHECKING:
    from storage.s3 import S3Store


def _lines(target: S3Store, name: str) -> list[str]:
    try:
        return target.read_bytes(name).decode("utf-8").splitlines()
    except FileNotFoundError as exc:
        raise HandoverError(f"{target.url}: no {name}: not a finished bag (run the export "
                            "again to finish it)") from exc


def _manifest(target: S3Store, name: str) -> dict[str, str]:
    entries = {}
    for line in _lines(target, name):
        digest, _, path = line.partition("  ")
        if path:
            entries[bagit._decode_filename(path.strip())] = digest.strip()
    return entries


def _sha256(target: S3Store, key: str) -> str:
    digest = hashlib.sha256()
    with target.open_read(key) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_payload(target: S3Store, manifest: dict[str, str], fast: bool,
                   problems: list[str]) -> tuple[int, int]:
    sizes = {info.key: info.size for info in target.list("data/")}
    total = 0
    for path, digest in manifest.items():
        if path not in sizes:
            problems.append(f"{path}: missing")
            continue
        total += sizes[path]
        if not fast and _sha256(target, path) != digest:
            problems.append(f"{path}: SHA-256 differs from the manifest")
    problems += [f"{p}: in the bag but not in its manifest"
                 for p in sorted(set(sizes) - set(manifest))[:20]]
    return len(manifest), total


def _check_oxum(target: S3Store, files: int, size: int, problems: list[str]) -> None:
    for line in _lines(target, "bag-info.txt"):
        if line.startswith("Payload-Oxum:"):
            expected = line.partition(":")[2].strip()
            if expected != f"{size}.{files}":
                problems.append(f"Payload-Oxum is {expected}, the payload {size}.{files}")
            return
    problems.append("bag-info.txt has no Payload-Oxum")


def verify_s3_bag(target: S3Store, *, fast: bool = False) -> VerifyReport:
    """Check the bag under ``target``'s prefix; problems are listed in the report."""
    problems: list[str] = []
    _lines(target, "bagit.txt")
    for name, digest in _manifest(target, "tagmanifest-sha256.txt").items():
        try:
            if hashlib.sha256(target.read_bytes(name)).hexdigest() != digest:
                problems.append(f"{name}: SHA-256 differs from the tag manifest")
        except FileNotFoundError:
            problems.append(f"{name}: missing")
    manifest = _manifest(target, "manifest-sha256.txt")
    files, size = _check_payload(target, manifest, fast, problems)
    _check_oxum(target, files, size, problems)
    with tempfile.TemporaryDirectory(prefix="verifica-entrega-") as tmp:
        root = Path(tmp)
        for info in target.list(f"{CATALOG.as_posix()}/"):
            path = root / info.key
            path.parent.mkdir(parents=True, exist_ok=True)
            with target.open_read(info.key) as stream, open(path, "wb") as out:
                while chunk := stream.read(CHUNK):
                    out.write(chunk)
        report = check_catalog(root, dict(manifest))
    report.problems = problems + report.problems
    return report
