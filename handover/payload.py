"""Writing payload files into a bag: streamed, hashed on the way, skipped when already there."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import bagit

from dam.errors import DamError

CHUNK = 4 * 1024 * 1024
JOURNAL = "manifest-sha256.txt.part"


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


class Payload:
    """The bag's ``data/`` folder and its SHA-256 manifest, written as files arrive.

    Each file is written beside its place and renamed when complete; its line goes to a journal
    that a later run reads back, so an interrupted export skips what it already wrote.
    """

    def __init__(self, root: Path, progress: Callable[[int], object] = lambda n: None) -> None:
        self.root, self.data, self.progress = root, root / "data", progress
        self.data.mkdir(parents=True, exist_ok=True)
        self.journal_path = root / JOURNAL
        self.known = self._read_journal()
        self._journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115
        self.lines: dict[str, str] = {}
        self.files = self.bytes = self.skipped = 0
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="handover-hash")

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
             sha256: str | None = None, local: Path | None = None) -> None:
        """Copy a stream to ``data/rel``; with ``sha256``, refuse content that does not match."""
        done = self._intact(rel, size, sha256)
        if done is not None:
            self.skipped += 1
            self.progress(size)
            self._add(rel, done, size, journal=rel not in self.known)
            return
        path = self.data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        if local is not None:
            actual, written = self._copy_local(local, part)
        else:
            actual, written = self._stream(stream_opener, part)
        if sha256 is not None and actual != sha256:
            part.unlink(missing_ok=True)
            raise HandoverError(f"{rel}: the stored original's SHA-256 is {actual}, "
                                f"the catalog recorded {sha256} (run `dam fixity`)")
        os.replace(part, path)
        self._add(rel, actual, written, journal=True)

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
                self.progress(len(chunk))
        return digest.hexdigest(), written

    def _copy_local(self, source: Path, part: Path) -> tuple[str, int]:
        """A file on this machine: the kernel copies it (as ``cp`` does) while a thread hashes
        it from the page cache; both run outside the GIL."""
        hashing = self._hasher.submit(hash_file, source)
        shutil.copyfile(source, part)
        actual, written = hashing.result()
        self.progress(written)
        return actual, written

    def write_bytes(self, rel: str, data: bytes) -> None:
        path = self.data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        os.replace(part, path)
        self._add(rel, hashlib.sha256(data).hexdigest(), len(data), journal=False)

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
            self._journal.flush()

    def finish(self) -> None:
        """Write the manifest (sorted) and drop the journal."""
        self._journal.close()
        with open(self.root / "manifest-sha256.txt", "w", encoding="utf-8") as out:
            for rel in sorted(self.lines):
                out.write(f"{self.lines[rel]}  {bagit._encode_filename('data/' + rel)}\n")
        self.journal_path.unlink(missing_ok=True)

    def close(self) -> None:
        self._hasher.shutdown()
        if not self._journal.closed:
            self._journal.close()
