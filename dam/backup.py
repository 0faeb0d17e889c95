"""Catalog backups: a consistent copy (SQLite's online backup, pg_dump) and the store's manifest.

A backup is a folder: ``catalogo.sqlite3`` or ``catalogo.pgdump``, ``almacen.tsv`` (every object
key of the store with its size and SHA-256) and ``respaldo.json`` (when, what, which schema).
Originals are content-addressed, so their SHA-256 is their key's last segment (checked by
``dam fixity``); other objects are hashed while the manifest is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from dam.db import Catalog, current_revision
from dam.errors import DamError
from storage import ObjectStore

MANIFEST = "almacen.tsv"
INFO = "respaldo.json"
SQLITE_FILE = "catalogo.sqlite3"
PG_FILE = "catalogo.pgdump"
CHUNK = 1024 * 1024


class BackupError(DamError):
    """A backup could not be made or restored."""


@dataclass
class BackupInfo:
    made_at: str
    catalog: str  # sqlite or postgresql
    schema: str | None
    store: str
    objects: int = 0
    bytes: int = 0
    tools: dict[str, str] = field(default_factory=dict)


@dataclass
class StoreCheck:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(f"cannot back up an in-memory SQLite catalog: {url}")
    return Path(url.database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments and environment (the password never in argv)."""
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (the PostgreSQL client tools)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        hint = ""
        if "version mismatch" in done.stderr:
            hint = " (install the client tools of the server's major version)"
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:1000]}{hint}")
    return done.stdout


def _tool_version(name: str) -> str:
    try:
        return subprocess.run([name, "--version"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except FileNotFoundError:
        return "missing"


def dump_catalog(catalog: Catalog, folder: Path) -> str:
    """A consistent copy of the catalog into ``folder``; returns the file's name."""
    url = make_url(catalog.url)
    if catalog.is_sqlite:
        target = folder / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # the online backup API: a snapshot, writers may go on
        finally:
            dest.close()
            source.close()
        return SQLITE_FILE
    args, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(folder / PG_FILE), *args],
         env)
    return PG_FILE


def _object_hash(store: ObjectStore, key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    if key.startswith("originals/") and len(name) == 64:
        return name
    return _object_hash_read(store, key)


def write_manifest(store: ObjectStore, path: Path) -> tuple[int, int]:
    """``key<TAB>size<TAB>sha256`` for every object; returns (objects, bytes)."""
    count = size = 0
    with open(path, "w", encoding="utf-8") as out:
        for info in store.list(""):
            out.write(f"{info.key}\t{info.size}\t{_object_hash(store, info.key)}\n")
            count, size = count + 1, size + info.size
    return count, size


def make_backup(catalog: Catalog, store: ObjectStore, target: Path) -> tuple[Path, BackupInfo]:
    """A new backup folder under ``target``: the catalog copy, the store's manifest, its info."""
    now = dt.datetime.now(dt.UTC)
    folder = target / f"acervo-respaldo-{now:%Y%m%dT%H%M%S%fZ}"
    folder.mkdir(parents=True)
    schema = current_revision(catalog.engine)
    dump_catalog(catalog, folder)
    info = BackupInfo(made_at=now.isoformat(), catalog="sqlite" if catalog.is_sqlite
                      else "postgresql", schema=schema, store=store.url)
    if not catalog.is_sqlite:
        info.tools = {"pg_dump": _tool_version("pg_dump")}
    info.objects, info.bytes = write_manifest(store, folder / MANIFEST)
    (folder / INFO).write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    return folder, info


def restore_catalog(catalog_url: str, folder: Path) -> None:
    """Replace the catalog with the backup's copy (stop every server and worker first)."""
    url = make_url(catalog_url)
    if url.get_backend_name() == "sqlite":
        source = folder / SQLITE_FILE
        if not source.is_file():
            raise BackupError(f"{folder} holds no SQLite catalog ({SQLITE_FILE})")
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, part)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(part, target)
        return
    source = folder / PG_FILE
    if not source.is_file():
        raise BackupError(f"{folder} holds no PostgreSQL dump ({PG_FILE})")
    args, env = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          *args, str(source)], env)


def check_store(store: ObjectStore, folder: Path, *, hashes: bool = False) -> StoreCheck:
    """Every object the backup's manifest lists is in the store, with its size (and hash)."""
    report = StoreCheck()
    with open(folder / MANIFEST, encoding="utf-8") as fh:
        for line in fh:
            key, size, sha256 = line.rstrip("\n").split("\t")
            report.checked += 1
            try:
                actual = store.size(key)
            except FileNotFoundError:
                report.missing.append(key)
                continue
            if actual != int(size) or (hashes and _object_hash_read(store, key) != sha256):
                report.changed.append(key)
    return report


def _object_hash_read(store: ObjectStore, key: str) -> str:
    digest = hashlib.sha256()
    with store.open_read(key) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
