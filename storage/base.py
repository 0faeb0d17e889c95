"""The ObjectStore interface shared by every storage backend, and the ObjectInfo record."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

#: Size of the buffer used when copying streams; large enough for throughput, small for memory.
COPY_BUFFER = 1024 * 1024

Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object."""

    key: str
    size: int
    modified: datetime | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class S3Limits:
    """How long an S3 request may wait, and how often it is tried, before the store is reported
    unavailable: at worst about ``attempts`` x (``connect_seconds`` + ``read_seconds``)."""

    connect_seconds: float = 3.0  # to open a connection to the endpoint
    read_seconds: float = 30.0  # for each answer (or part of one) once the request is sent
    attempts: int = 3  # tries of each request, the first included


class ObjectStore(ABC):
    """A flat namespace of immutable-by-convention objects addressed by '/'-separated keys.

    Every method validates its key (ValueError for an unsafe key), raises the built-in
    FileNotFoundError for a missing object, and StoreUnavailableError when the backend fails.
    """

    url: str

    @abstractmethod
    def put_file(self, key: str, source: Source, *, content_type: str | None = None) -> ObjectInfo:
        """Store the bytes of ``source`` (a path or a binary file object) atomically under ``key``.

        The copy is streamed; a file object is read from its current position to its end.
        """

    def put_own_file(self, key: str, path: Path, *, content_type: str | None = None
                     ) -> ObjectInfo:
        """Store a file the caller made and will only delete, never change, after this call.

        Stores that can take such a file without copying its bytes do (the local folder links
        it); this default is :meth:`put_file`.
        """
        return self.put_file(key, path, content_type=content_type)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        """Store ``data`` atomically under ``key``."""
        return self.put_file(key, io.BytesIO(data), content_type=content_type)

    @abstractmethod
    def open_read(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Open the object for streaming reads; FileNotFoundError if it does not exist."""

    @contextlib.contextmanager
    def open_range(self, key: str, start: int, length: int) -> Iterator[BinaryIO]:
        """Open ``length`` bytes of the object from offset ``start`` for streaming reads.

        This default reads and discards the bytes before ``start``; backends that can ask for a
        byte range (S3's Range header) override it.
        """
        if start < 0 or length < 0:
            raise ValueError(f"invalid byte range: start {start}, length {length}")
        with self.open_read(key) as stream:
            remaining = start
            while remaining:
                skipped = len(stream.read(min(remaining, COPY_BUFFER)))
                if not skipped:
                    break
                remaining -= skipped
            yield _Limited(stream, length)

    def read_bytes(self, key: str) -> bytes:
        """Return the whole object; meant for small objects only."""
        with self.open_read(key) as stream:
            return stream.read()

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """Yield a path to a local file holding the object, valid until the context exits.

        This default streams the object into a temporary file (keeping the key's extension, as
        some tools sniff it) and deletes the file afterwards.
        """
        suffix = PurePosixPath(key).suffix
        with self.open_read(key) as stream:
            fd, name = tempfile.mkstemp(prefix="acervo-", suffix=suffix)
            path = Path(name)
            try:
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(stream, out, COPY_BUFFER)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Return whether an object is stored under ``key``."""

    def size(self, key: str) -> int:
        """Return the object's size in bytes; FileNotFoundError if it does not exist."""
        return self.stat(key).size

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Return the object's info; FileNotFoundError if it does not exist."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object is not an error."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Yield every object whose key starts with ``prefix``, sorted by key."""

    @abstractmethod
    def presigned_url(self, key: str, expires_in: int = 3600) -> str:
        """Return a URL that downloads the object without credentials for ``expires_in`` seconds."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """Yield a binary stream for ``source``: open (and later close) a path, pass a stream on."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


def check_expires_in(expires_in: int, maximum: int | None = None) -> int:
    """Return ``expires_in`` if it is a positive number of seconds (up to ``maximum``)."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise ValueError(f"expires_in must be a positive number of seconds: {expires_in!r}")
    if maximum is not None and expires_in > maximum:
        raise ValueError(f"expires_in must be at most {maximum} seconds: {expires_in}")
    return expires_in


class _Limited(io.RawIOBase):
    """At most ``length`` bytes of ``stream``."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        super().__init__()
        self._stream = stream
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        data = self._stream.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)
