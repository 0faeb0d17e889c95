"""Index snapshots in the object store, so that a node joining later does not rebuild.

Every node keeps its own index replica (``dam.search.store``). Rebuilding one from the catalog
at a million assets takes many minutes, so nodes publish a snapshot of theirs to the shared
object store from time to time (``search_snapshot_hours``, by the node's housekeeping, or
``dam search snapshot``): a tar of the current generation under
``search-snapshots/<engine>-v<schema>/<time>-<seq>.tar``, and a small pointer,
``latest.json``, naming it with its SHA-256 and the change-feed sequence it reflects.

A node that finds no usable index of its own fetches the latest snapshot of its engine and
schema version, checks its SHA-256, unpacks it as a new generation and swaps it in; it then
follows the change feed from the snapshot's sequence like any replica (the feed keeps every
change, so the snapshot's age only costs catching up). With no snapshot, a snapshot of
another engine or schema version, or a damaged one, the node rebuilds from the catalog.

The snapshot is taken under the node's writer lock, so no change is applied while the files
are read; searches go on meanwhile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from dam.search.engine import SCHEMA_VERSION
from dam.search.store import META_FILE, IndexLocation, read_meta
from storage import ObjectStore

log = logging.getLogger(__name__)

PREFIX = "search-snapshots/"
POINTER = "latest.json"
KEEP = 2  # snapshots kept per engine and schema version (the pointer names the newest)
COPY_BUFFER = 1024 * 1024


@dataclass
class Snapshot:
    key: str
    engine: str
    schema_version: int
    last_seq: int
    published_at: float
    byte_size: int
    sha256: str


def _folder(engine: str, schema_version: int = SCHEMA_VERSION) -> str:
    return f"{PREFIX}{engine}-v{schema_version}/"


def latest(store: ObjectStore, engine: str) -> Snapshot | None:
    """The newest snapshot of ``engine`` at this schema version, or None."""
    try:
        data = json.loads(store.read_bytes(_folder(engine) + POINTER))
        return Snapshot(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        log.warning("search snapshot pointer unreadable: %s", exc)
        return None


def is_due(store: ObjectStore, engine: str, every: dt.timedelta,
           now: dt.datetime | None = None) -> bool:
    """Whether the newest snapshot is older than ``every`` (or there is none)."""
    found = latest(store, engine)
    moment = (now or dt.datetime.now(dt.UTC)).timestamp()
    return found is None or moment - found.published_at >= every.total_seconds()


def publish(location: IndexLocation, store: ObjectStore) -> Snapshot | None:
    """Put a snapshot of the node's current index in the store; None when it has none."""
    with tempfile.TemporaryDirectory(prefix="acervo-snapshot-") as scratch:
        tar_path = Path(scratch) / "index.tar"
        with location.writer_lock():  # no change applied while the files are read
            generation = location.current()
            meta = read_meta(generation) if generation else None
            if generation is None or meta is None:
                return None
            with tarfile.open(tar_path, "w") as tar:
                for path in sorted(generation.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        tar.add(path, arcname=str(path.relative_to(generation)))
        digest = _sha256(tar_path)
        now = time.time()
        folder = _folder(meta.engine, meta.schema_version)
        stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%dT%H%M%S")
        key = f"{folder}{stamp}-{meta.last_seq:012d}.tar"
        store.put_file(key, tar_path, content_type="application/x-tar")
        snapshot = Snapshot(key, meta.engine, meta.schema_version, meta.last_seq, now,
                            tar_path.stat().st_size, digest)
    store.put_bytes(folder + POINTER, json.dumps(asdict(snapshot)).encode(),
                    content_type="application/json")
    _prune(store, folder, snapshot.key)
    log.info("search snapshot published: %s (%d bytes, seq %d)", snapshot.key,
             snapshot.byte_size, snapshot.last_seq)
    return snapshot


def _prune(store: ObjectStore, folder: str, newest: str) -> None:
    tars = sorted(info.key for info in store.list(folder) if info.key.endswith(".tar"))
    for key in tars[:-KEEP]:
        if key != newest:
            store.delete(key)


def join(location: IndexLocation, store: ObjectStore, engine: str) -> Snapshot | None:
    """Install the latest snapshot of ``engine`` as this node's current index.

    Returns it, or None when there is none to use (the caller rebuilds from the catalog).
    A snapshot whose bytes do not match its SHA-256 is refused (and logged).
    """
    found = latest(store, engine)
    if found is None or found.engine != engine or found.schema_version != SCHEMA_VERSION:
        return None
    generation = location.new_generation(engine)
    try:
        with tempfile.TemporaryDirectory(prefix="acervo-snapshot-", dir=location.root) as tmp:
            tar_path = Path(tmp) / "index.tar"
            digest = hashlib.sha256()
            with store.open_read(found.key) as stream, tar_path.open("wb") as out:
                while block := stream.read(COPY_BUFFER):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != found.sha256:
                raise ValueError(f"snapshot {found.key} does not match its SHA-256")
            with tarfile.open(tar_path) as tar:
                tar.extractall(generation, filter="data")
        meta = read_meta(generation)
        if meta is None or meta.engine != engine or meta.schema_version != SCHEMA_VERSION:
            raise ValueError(f"snapshot {found.key} holds no usable {META_FILE}")
    except FileNotFoundError:
        _discard(generation)
        return None  # pruned meanwhile by a newer snapshot
    except (OSError, ValueError, tarfile.TarError) as exc:
        log.warning("search snapshot not used: %s", exc)
        _discard(generation)
        return None
    location.swap(generation)
    log.info("search index joined from snapshot %s (seq %d)", found.key, found.last_seq)
    return found


def _discard(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(COPY_BUFFER):
            digest.update(block)
    return digest.hexdigest()
