"""Where the public gallery goes: a folder of releases switched atomically (S3: targets_s3).

A folder target keeps each publication in ``<target>/releases/<name>/`` and serves the one that
``<target>/current`` points at: **the web server's document root must be ``<target>/current``**
(a symlink). A publication writes a new release (files unchanged since the live one are
hard-linked from it), and only when it is complete replaces ``current`` with ``os.replace`` of a
temporary symlink, which is atomic: visitors see the old gallery or the new one, never a mix.
The previous release is kept (a quick way back: point ``current`` at it); older ones are pruned.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dam.config import Settings
from dam.context import s3_limits
from dam.errors import DamError
from storage.local import fsync_dir

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest-sha256.json"
COPY_BUFFER = 1024 * 1024
KEEP_RELEASES = 2  # the live one and the one before it


class TargetError(DamError):
    """The gallery's target could not be read or written."""


class TargetBusyError(TargetError):
    """Another publication is writing to the same target."""


@dataclass(frozen=True)
class LiveFile:
    """A file of the gallery as the live manifest lists it."""

    sha256: str
    size: int


class Release(ABC):
    """A publication being written; nothing is visible until :meth:`commit`."""

    @abstractmethod
    def write(self, path: str, data: bytes) -> None:
        """Write a new or changed file."""

    @abstractmethod
    def write_stream(self, path: str, stream: BinaryIO) -> tuple[str, int]:
        """Copy a new or changed file from ``stream``; its (sha256, size)."""

    @abstractmethod
    def keep(self, path: str) -> None:
        """Carry over a file unchanged since the live gallery."""

    @abstractmethod
    def commit(self, paths: set[str]) -> list[str]:
        """Make the release (every file of ``paths``) live; the live paths it removed."""

    @abstractmethod
    def abort(self) -> None:
        """Throw the half-written release away; the live gallery is untouched."""


class GalleryTarget(ABC):
    """A place the gallery is published to."""

    url: str

    @abstractmethod
    def live_files(self) -> dict[str, LiveFile]:
        """Every file of the live gallery with its hash (empty before the first publication)."""

    @abstractmethod
    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Held while publishing: TargetBusyError if another publication holds it."""

    @abstractmethod
    def begin(self, name: str) -> Release:
        """Start writing a new release called ``name``."""


def parse_manifest(data: bytes) -> dict[str, LiveFile]:
    """The files a gallery manifest lists, whatever of the usual shapes it takes.

    Accepts ``{"files": {path: {"sha256", "size"}}}``, ``{"files": [{"path", "sha256",
    "size"}]}`` and either without the ``files`` wrapper; anything else gives no files (the
    next publication then writes everything again, which is slow but right).
    """
    try:
        document: Any = json.loads(data)
    except ValueError:
        log.warning("the live gallery manifest is not JSON; publishing every file again")
        return {}
    entries = document.get("files", document) if isinstance(document, dict) else document
    if isinstance(entries, Mapping):
        items = list(entries.items())
    elif isinstance(entries, list):
        items = [(e.get("path"), e) for e in entries if isinstance(e, Mapping)]
    else:
        items = []
    found: dict[str, LiveFile] = {}
    for path, entry in items:
        if isinstance(path, str) and isinstance(entry, Mapping) and "sha256" in entry:
            found[path] = LiveFile(str(entry["sha256"]), int(entry.get("size", -1)))
    return found


def hash_stream(stream: BinaryIO, out: BinaryIO | None = None) -> tuple[str, int]:
    """(sha256, size) of what ``stream`` holds, copied to ``out`` on the way if given."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(COPY_BUFFER):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def default_target(settings: Settings) -> str:
    return settings.gallery_target or str(Path(settings.data_dir) / "gallery")


def open_target(url: str, settings: Settings) -> GalleryTarget:
    """The target at ``url``: ``s3://bucket/prefix`` or a folder path."""
    if url.startswith("s3://"):
        from publish.gallery.targets_s3 import S3Target

        return S3Target(url, endpoint_url=settings.s3_endpoint_url or None,
                        region=settings.s3_region or None, limits=s3_limits(settings))
    if "://" in url and not url.startswith("file://"):
        raise TargetError(f"unsupported gallery target {url!r}: use a folder or s3://bucket/prefix")
    return FolderTarget(Path(url.removeprefix("file://")))


class FolderTarget(GalleryTarget):
    """Releases in ``<root>/releases/``, the live one behind the ``<root>/current`` symlink."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.url = str(self.root)
        self.current = self.root / "current"
        self.releases = self.root / "releases"

    def live_release(self) -> Path | None:
        if not self.current.exists():
            return None
        if not self.current.is_symlink():
            raise TargetError(f"{self.current} must be a symlink made by dam publish gallery; "
                              "move that folder away first")
        return self.current.resolve()

    def live_files(self) -> dict[str, LiveFile]:
        live = self.live_release()
        if live is None:
            return {}
        manifest = live / MANIFEST_NAME
        if manifest.is_file():
            listed = parse_manifest(manifest.read_bytes())
            return {p: f for p, f in listed.items() if (live / p).is_file()}
        log.info("no manifest in %s: hashing the live files", live)
        return {path: LiveFile(*_hash_file(live / path)) for path in _walk(live)}

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TargetBusyError(f"another publication is writing to {self.root}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def begin(self, name: str) -> FolderRelease:
        self.releases.mkdir(parents=True, exist_ok=True)
        folder = self.releases / name
        if folder.exists():
            shutil.rmtree(folder)  # a leftover of a crashed run with the same name
        folder.mkdir()
        return FolderRelease(self, folder, self.live_release())


class FolderRelease(Release):
    """A release folder being filled."""

    def __init__(self, target: FolderTarget, folder: Path, live: Path | None) -> None:
        self.target = target
        self.folder = folder
        self.live = live

    def _path(self, path: str) -> Path:
        if path.startswith("/") or ".." in path.split("/") or not path:
            raise TargetError(f"unsafe gallery path {path!r}")
        full = self.folder / path
        full.parent.mkdir(parents=True, exist_ok=True)
        return full

    def write(self, path: str, data: bytes) -> None:
        self._path(path).write_bytes(data)

    def write_stream(self, path: str, stream: BinaryIO) -> tuple[str, int]:
        with open(self._path(path), "wb") as out:
            return hash_stream(stream, out)

    def keep(self, path: str) -> None:
        if self.live is None:
            raise TargetError(f"{path} is not in a live gallery")
        source, dest = self.live / path, self._path(path)
        try:
            os.link(source, dest)
        except OSError:  # another file system, or links not allowed: copy
            shutil.copyfile(source, dest)

    def commit(self, paths: set[str]) -> list[str]:
        live_paths = set(_walk(self.live)) if self.live is not None else set()
        link = self.target.root / f".current-{self.folder.name}"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(self.folder, self.target.root))
        os.replace(link, self.target.current)
        fsync_dir(self.target.root)
        log.info("gallery at %s now serves %s", self.target.root, self.folder.name)
        self._prune()
        return sorted(live_paths - paths)

    def _prune(self) -> None:
        keep = {self.folder.name} | ({self.live.name} if self.live is not None else set())
        for old in self.target.releases.iterdir():
            if old.name not in keep and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _walk(folder: Path) -> Iterator[str]:
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            yield Path(dirpath, name).relative_to(folder).as_posix()


def _hash_file(path: Path) -> tuple[str, int]:
    with open(path, "rb") as stream:
        return hash_stream(stream)
