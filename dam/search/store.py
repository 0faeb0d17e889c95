"""Where a node's index replica lives: generations, the ``current`` pointer, and its metadata.

``<index_path>/current`` is a symlink to one ``gen-…`` folder; a rebuild fills a new generation
and renames a fresh symlink over ``current``, which is atomic, so readers always find a whole
index. Each generation keeps ``acervo.json``: engine, schema version, and the last change-feed
sequence applied (each node follows the catalog on its own).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

META_FILE = "acervo.json"
DATA_DIR = "data"
CURRENT = "current"
LOCK_FILE = "writer.lock"
REBUILD_LOCK_FILE = "rebuild.lock"


@dataclass
class IndexMeta:
    engine: str
    schema_version: int
    last_seq: int = 0
    built_at: float = 0.0
    # Embargoes that ended up to this moment (epoch seconds) are reflected in the index.
    embargo_checked_at: float = 0.0


class IndexLocation:
    """The folder that holds a node's index generations."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def current(self) -> Path | None:
        link = self.root / CURRENT
        if not link.is_symlink() and not link.is_dir():
            return None
        target = link.resolve()
        return target if target.is_dir() else None

    def new_generation(self, engine: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"gen-{time.time_ns()}-{engine}"
        (path / DATA_DIR).mkdir(parents=True)
        return path

    def swap(self, generation: Path) -> None:
        """Point ``current`` at ``generation`` atomically, then remove older generations."""
        tmp = self.root / f".current-{os.getpid()}-{time.time_ns()}"
        os.symlink(generation.name, tmp)
        os.replace(tmp, self.root / CURRENT)
        self.cleanup(keep={generation.name})

    def cleanup(self, keep: set[str]) -> None:
        """Remove generations but ``keep`` and the newest other one (readers may still use it)."""
        gens = sorted((p for p in self.root.glob("gen-*") if p.name not in keep),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in gens[1:]:
            shutil.rmtree(old, ignore_errors=True)

    @contextlib.contextmanager
    def writer_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """The node's one-writer lock; yields False when not waiting and another holds it."""
        with self._flock(LOCK_FILE, None if wait else 0.0) as mine:
            yield mine

    @contextlib.contextmanager
    def rebuild_lock(self, wait_seconds: float | None = None) -> Iterator[bool]:
        """Held by the one process of the node that rebuilds the index (several serve).

        Yields False when another still holds it after ``wait_seconds`` (None: wait for it).
        """
        with self._flock(REBUILD_LOCK_FILE, wait_seconds) as mine:
            yield mine

    @contextlib.contextmanager
    def _flock(self, name: str, wait_seconds: float | None) -> Iterator[bool]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / name, "a+") as fh:
            if wait_seconds is None:
                fcntl.flock(fh, fcntl.LOCK_EX)
            elif not _try_flock(fh, wait_seconds):
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _try_flock(fh: object, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[call-overload]
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def read_meta(generation: Path) -> IndexMeta | None:
    try:
        data = json.loads((generation / META_FILE).read_text())
        return IndexMeta(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_meta(generation: Path, meta: IndexMeta) -> None:
    tmp = generation / f".{META_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(meta)))
    os.replace(tmp, generation / META_FILE)


def meta_stamp(generation: Path) -> tuple[str, int]:
    """Changes whenever the generation or its metadata does: readers refresh on a new stamp."""
    try:
        return generation.name, (generation / META_FILE).stat().st_mtime_ns
    except OSError:
        return generation.name, 0
