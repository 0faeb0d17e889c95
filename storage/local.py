"""Object store backed by a folder on the local file system."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import io
import os
import secrets
import shutil
import stat as stat_mode
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from storage.base import COPY_BUFFER, ObjectInfo, ObjectStore, Source, check_expires_in, open_source
from storage.errors import StoreError
from storage.keys import RESERVED_PREFIX, validate_key, validate_prefix


def _read_umask() -> int:
    # Python has no getter; set-and-restore once at import, before worker threads exist.
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: mkstemp creates 0600 files; objects get the permissions a plain open() would give them.
_FILE_MODE = 0o666 & ~_read_umask()


class LocalStore(ObjectStore):
    """Objects are files under ``root``; key "a/b/c" is the file ``root/a/b/c``.

    Writes go to a temporary file in the target folder, are fsynced, then renamed over the final
    name, so readers never see a partial object. Content types are not recorded (always None).
    """

    def __init__(
        self, root: str | Path, *, signing_key: bytes | None = None, url_base: str = "/files"
    ) -> None:
        if signing_key is not None and not signing_key:
            raise ValueError("signing_key must not be empty (pass None to disable presigned URLs)")
        self.root = Path(root).expanduser().resolve()
        self.url = self.root.as_uri()
        self.url_base = url_base.rstrip("/")
        self._signing_key = signing_key

    # -- writing --------------------------------------------------------------------------------

    def put_file(self, key: str, source: Source, *, content_type: str | None = None) -> ObjectInfo:
        path = self._path(key)
        with open_source(source) as stream:
            self._write_atomically(path, stream)
        return self._info(key, path.stat())

    def put_own_file(self, key: str, path: Path, *, content_type: str | None = None
                     ) -> ObjectInfo:
        """A second name (hard link) for the file under ``key``, its bytes not copied; a copy
        when it cannot be linked (another file system, links not supported)."""
        target = self._path(key)
        try:
            with open(path, "rb") as source:  # its bytes are on disk before its new name is
                os.fchmod(source.fileno(), _FILE_MODE)
                os.fsync(source.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.parent / f"{RESERVED_PREFIX}{secrets.token_hex(8)}.tmp"
            os.link(path, tmp)
        except OSError:
            return self.put_file(key, path, content_type=content_type)
        try:
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return self._info(key, target.stat())

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return  # nothing stored under this key (a folder is not an object)
        self._prune_empty_dirs(path.parent)

    def _write_atomically(self, path: Path, stream: BinaryIO) -> None:
        fd, name = self._make_temp(path.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                _copy(stream, out)
                out.flush()
                os.fchmod(out.fileno(), _FILE_MODE)
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)

    def _make_temp(self, folder: Path) -> tuple[int, str]:
        for attempt in range(3):
            folder.mkdir(parents=True, exist_ok=True)
            try:
                return tempfile.mkstemp(dir=folder, prefix=RESERVED_PREFIX, suffix=".tmp")
            except FileNotFoundError:
                # A concurrent delete() pruned the folder between mkdir and mkstemp; redo both.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _prune_empty_dirs(self, folder: Path) -> None:
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or already gone): stop climbing
            folder = folder.parent

    # -- reading --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except (IsADirectoryError, NotADirectoryError) as exc:
            raise _not_found(path) from exc
        with stream:
            yield stream

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """Yield the object's own file; callers must only read it."""
        path = self._path(key)
        self._stat(path)
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stat(self, key: str) -> ObjectInfo:
        return self._info(key, self._stat(self._path(key)))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        head, _, partial = prefix.rpartition("/")
        folder = self.root.joinpath(*head.split("/")) if head else self.root
        return self._walk(folder, f"{head}/" if head else "", partial)

    def _walk(self, folder: Path, key_base: str, name_start: str = "") -> Iterator[ObjectInfo]:
        try:
            with os.scandir(folder) as scan:
                entries = [
                    entry
                    for entry in scan
                    if entry.name.startswith(name_start)
                    and not entry.name.startswith(RESERVED_PREFIX)
                ]
        except (FileNotFoundError, NotADirectoryError):
            return
        # Ordering folders as "name/" makes a depth-first walk yield keys in plain string order.
        entries.sort(key=lambda entry: entry.name + "/" if entry.is_dir() else entry.name)
        for entry in entries:
            key = key_base + entry.name
            if entry.is_dir():
                yield from self._walk(Path(entry.path), key + "/")
            elif entry.is_file():
                try:
                    yield self._info(key, entry.stat())
                except FileNotFoundError:
                    continue  # deleted while we were listing

    def _stat(self, path: Path) -> os.stat_result:
        try:
            result = path.stat()
        except NotADirectoryError as exc:
            raise _not_found(path) from exc
        if not stat_mode.S_ISREG(result.st_mode):
            raise _not_found(path)
        return result

    # -- signed URLs ----------------------------------------------------------------------------

    def presigned_url(self, key: str, expires_in: int = 3600) -> str:
        self._path(key)
        check_expires_in(expires_in)
        expires = int(time.time()) + expires_in
        signature = self._sign(key, expires)
        return f"{self.url_base}/{quote(key, safe='/')}?expires={expires}&signature={signature}"

    def verify_signature(
        self, key: str, expires: int, signature: str, now: float | None = None
    ) -> bool:
        """Return whether ``signature`` was made by presigned_url for ``key`` and is unexpired."""
        expected = self._sign(key, expires)
        if (time.time() if now is None else now) > expires:
            return False
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def _sign(self, key: str, expires: int) -> str:
        if self._signing_key is None:
            raise StoreError(f"{self.url}: presigned URLs need a signing key (signing_key=...)")
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    # -- helpers --------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    @staticmethod
    def _info(key: str, result: os.stat_result) -> ObjectInfo:
        modified = datetime.fromtimestamp(result.st_mtime, tz=UTC)
        return ObjectInfo(key=key, size=result.st_size, modified=modified)


def _not_found(path: Path) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, "No such object", str(path))


def fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable, not just the file contents.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(stream: BinaryIO, out: BinaryIO) -> None:
    """Copy in the kernel (sendfile) when the source is a plain file, else through a buffer.

    For a 10 MB photo this saves a user-space copy: a few milliseconds of CPU per original.
    """
    try:
        src_fd = stream.fileno()
        offset = stream.tell()
        if not stat_mode.S_ISREG(os.fstat(src_fd).st_mode):
            raise OSError("not a regular file")
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        shutil.copyfileobj(stream, out, COPY_BUFFER)
        return
    out.flush()
    while sent := os.sendfile(out.fileno(), src_fd, offset, COPY_BUFFER):
        offset += sent
    stream.seek(offset)
