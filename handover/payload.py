"""Writing payload files into a bag: streamed, hashed on the way, skipped when already there."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import bagit

from dam.errors import DamError

CHUNK = 4 * 1024 * 1024
JOURNAL = "manifest-sha256.txt.part"
COPIERS = 2  # files copied at once
WINDOW = 8  # files copied ahead of the caller, at most (memory stays flat)
JOURNAL_FLUSH_SECONDS = 1.0

Local = Path | Callable[[], Path | None] | None


class HandoverError(DamError):
    """A handover package could not be written, read or trusted."""


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSON-lines file, one at a time."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class _Copied:
    digest: str
    size: int
    skipped: bool
    journal: bool
    counted: bool = True  # in the progress bar (originals and renditions, not sidecars)


class Payload:
    """The bag's ``data/`` folder and its SHA-256 manifest, written as files arrive.

    Copies run in two threads a few files ahead of the caller (which meanwhile describes the
    next assets); each file is written beside its place and renamed when complete, and its line
    goes to a journal that a later run reads back, so an interrupted export skips what it wrote.
    """

    def __init__(self, root: Path, progress: Callable[[int], object] = lambda n: None) -> None:
        self.root, self.data, self.progress = root, root / "data", progress
        self.data.mkdir(parents=True, exist_ok=True)
        self.journal_path = root / JOURNAL
        self.known = self._read_journal()
        self._journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115
        self.lines: dict[str, str] = {}
        self.files = self.bytes = self.skipped = 0
        self._hasher = ThreadPoolExecutor(COPIERS, thread_name_prefix="handover-hash")
        self._copier = ThreadPoolExecutor(COPIERS, thread_name_prefix="handover-copy")
        self._flushed = time.monotonic()
        self._pending: deque[tuple[str, Future[_Copied], str | None]] = deque()
        self._folders: set[Path] = set()

    def _folder(self, path: Path) -> None:
        """Make the file's folder once (a mkdir per file costs more than the small files)."""
        folder = path.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)

    def _read_journal(self) -> dict[str, str]:
        known: dict[str, str] = {}
        if self.journal_path.is_file():
            for line in self.journal_path.read_text(encoding="utf-8").splitlines():
                digest, _, rel = line.partition("  ")
                if rel:
                    known[rel] = digest
        return known

    def _intact(self, rel: str, size: int, sha256: str | None) -> str | None:
        """The file's hash if it is already in place with the expected size and hash."""
        path = self.data / rel
        expected = sha256 or self.known.get(rel)
        if expected is None or not path.is_file() or path.stat().st_size != size:
            return None
        actual, _ = hash_file(path)
        return actual if actual == expected else None

    def copy(self, rel: str, stream_opener: Callable[[], BinaryIO], size: int,
             sha256: str | None = None, local: Local = None, missing: str | None = None
             ) -> None:
        """Copy a stream (or the local file) to ``data/rel``; with ``sha256``, content that does
        not match is refused (HandoverError, raised by a later call or :meth:`drain`).

        ``local`` is the object's own file, or a function that finds it (called in the copying
        thread, so the caller's thread makes no system call for it). ``missing`` is the error
        message when the source is missing from the store."""
        self._submit(rel, self._copier.submit(self._copy_now, rel, stream_opener, size, sha256,
                                              local), missing)

    def _submit(self, rel: str, future: Future[_Copied], missing: str | None = None) -> None:
        self._pending.append((rel, future, missing))
        while len(self._pending) > WINDOW:
            self._settle(*self._pending.popleft())

    def _copy_now(self, rel: str, stream_opener: Callable[[], BinaryIO], size: int,
                  sha256: str | None, local: Local) -> _Copied:
        done = self._intact(rel, size, sha256)
        if done is not None:
            return _Copied(done, size, skipped=True, journal=rel not in self.known)
        path = self.data / rel
        self._folder(path)
        source = local() if callable(local) else local
        # Written in place: a file cut short by an interruption is never trusted on resume,
        # since _intact wants the catalog's or the journal's hash (the journal lists a file
        # only once it is complete).
        if source is not None:
            actual, written = self._copy_local(source, path)
        else:
            actual, written = self._stream(stream_opener, path)
        if sha256 is not None and actual != sha256:
            path.unlink(missing_ok=True)
            raise HandoverError(f"{rel}: the stored original's SHA-256 is {actual}, "
                                f"the catalog recorded {sha256} (run `dam fixity`)")
        return _Copied(actual, written, skipped=False, journal=True)

    def _settle(self, rel: str, future: Future[_Copied], missing: str | None = None) -> None:
        try:
            copied = future.result()
        except FileNotFoundError as exc:
            raise HandoverError(missing or f"{rel}: missing from the store ({exc})") from exc
        self.skipped += copied.skipped
        if copied.counted:
            self.progress(copied.size)
        self._add(rel, copied.digest, copied.size, journal=copied.journal)

    def drain(self) -> None:
        """Wait for every copy under way."""
        while self._pending:
            self._settle(*self._pending.popleft())

    def _stream(self, stream_opener: Callable[[], BinaryIO], part: Path) -> tuple[str, int]:
        """Copy to ``part``, hashing each chunk in a thread while it is written (both release
        the GIL), so hashing costs little more than the copy itself."""
        digest, written = hashlib.sha256(), 0
        with stream_opener() as source, open(part, "wb") as out:
            while chunk := source.read(CHUNK):
                hashing = self._hasher.submit(digest.update, chunk)
                out.write(chunk)
                hashing.result()
                written += len(chunk)
        return digest.hexdigest(), written

    def _copy_local(self, source: Path, part: Path) -> tuple[str, int]:
        """A file on this machine: the kernel copies it (as ``cp`` does) while a thread hashes
        it from the page cache; both run outside the GIL."""
        hashing = self._hasher.submit(hash_file, source)
        shutil.copyfile(source, part)
        return hashing.result()

    def write_bytes(self, rel: str, data: bytes) -> None:
        """A small file made here (a sidecar): written again by every run."""
        copied = self._write_now(rel, data)
        self._add(rel, copied.digest, copied.size, journal=False)

    def _write_now(self, rel: str, data: bytes) -> _Copied:
        path = self.data / rel
        self._folder(path)
        path.write_bytes(data)
        return _Copied(hashlib.sha256(data).hexdigest(), len(data), skipped=False,
                       journal=False, counted=False)

    def add_existing(self, rel: str) -> None:
        """A file written in place (a catalog file): hash it and list it."""
        digest, size = hash_file(self.data / rel)
        self._add(rel, digest, size, journal=False)

    def _add(self, rel: str, digest: str, size: int, *, journal: bool) -> None:
        self.lines[rel] = digest
        self.files += 1
        self.bytes += size
        if journal:
            self._journal.write(f"{digest}  {rel}\n")
            now = time.monotonic()
            if now - self._flushed >= JOURNAL_FLUSH_SECONDS:  # a lost line: one file re-copied
                self._journal.flush()
                self._flushed = now

    def finish(self) -> None:
        """Write the manifest (sorted) and drop the journal."""
        self.drain()
        self._journal.close()
        with open(self.root / "manifest-sha256.txt", "w", encoding="utf-8") as out:
            for rel in sorted(self.lines):
                out.write(f"{self.lines[rel]}  {bagit._encode_filename('data/' + rel)}\n")
        self.journal_path.unlink(missing_ok=True)

    def close(self) -> None:
        self._copier.shutdown(cancel_futures=True)
        self._hasher.shutdown(cancel_futures=True)
        if not self._journal.closed:
            self._journal.close()
