"""One contract suite that every ObjectStore backend must pass (run via the `store` fixture)."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from storage import LocalStore, ObjectInfo, ObjectStore

ALL_BYTES = bytes(range(256)) * 64
BAD_KEYS = [
    "",
    "/abs/key",
    "a/../b",
    "..",
    "./a",
    "a/./b",
    "a//b",
    "a/",
    "a\\b",
    "a\x00b",
    ".acervo-tmp-x",
]


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """Return (sha256 hex, size) of a stream read in 1 MiB chunks."""
    digest, total = hashlib.sha256(), 0
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def download(store: ObjectStore, url: str) -> bytes:
    """Fetch a presigned URL the way its consumer would."""
    if isinstance(store, LocalStore):
        # What the web app's file route does: check the signature, then stream the object.
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        key = unquote(parts.path.removeprefix(store.url_base + "/"))
        expires, signature = int(query["expires"][0]), query["signature"][0]
        assert store.verify_signature(key, expires, signature)
        return store.read_bytes(key)
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


class UnseekableStream(io.RawIOBase):
    """A pipe-like stream: readable in small pieces, no seek or tell."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self._data, self._piece, self._pos = data, piece, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data[self._pos : self._pos + min(len(buffer), self._piece)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


class FailingStream(io.RawIOBase):
    """Yields `good` bytes, then fails like a dropped network upload."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise OSError("source went away")
        n = min(len(buffer), self._left)
        buffer[:n] = b"x" * n
        self._left -= n
        return n


# -- writing and reading --------------------------------------------------------------------------


def test_put_bytes_roundtrip_is_bit_exact(store: ObjectStore) -> None:
    info = store.put_bytes("originals/ab/cd/blob", ALL_BYTES)

    assert info.key == "originals/ab/cd/blob"
    assert info.size == len(ALL_BYTES)
    assert store.read_bytes("originals/ab/cd/blob") == ALL_BYTES


def test_put_file_from_path(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(ALL_BYTES)

    assert store.put_file("a/photo.jpg", source).size == len(ALL_BYTES)
    assert store.put_file("a/photo-str.jpg", str(source)).size == len(ALL_BYTES)
    assert store.read_bytes("a/photo.jpg") == ALL_BYTES
    assert store.read_bytes("a/photo-str.jpg") == ALL_BYTES


def test_put_own_file_stores_its_bytes_and_the_file_may_then_be_deleted(
    store: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "upload.jpg"
    source.write_bytes(ALL_BYTES)

    assert store.put_own_file("originals/ab/own", source).size == len(ALL_BYTES)
    source.unlink()
    assert store.read_bytes("originals/ab/own") == ALL_BYTES
    assert [i.key for i in store.list("originals/ab/")] == ["originals/ab/own"]


def test_put_file_from_file_object_reads_from_current_position(store: ObjectStore) -> None:
    stream = io.BytesIO(b"HEADER" + ALL_BYTES)
    stream.seek(6)

    store.put_file("a/stream", stream)

    assert store.read_bytes("a/stream") == ALL_BYTES


def test_put_file_from_unseekable_stream(store: ObjectStore) -> None:
    store.put_file("a/pipe", io.BufferedReader(UnseekableStream(ALL_BYTES)))

    assert store.read_bytes("a/pipe") == ALL_BYTES


def test_put_empty_object(store: ObjectStore) -> None:
    assert store.put_bytes("a/empty", b"").size == 0
    assert store.read_bytes("a/empty") == b""
    assert store.exists("a/empty")


def test_put_file_missing_source_raises_and_stores_nothing(
    store: ObjectStore, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        store.put_file("a/x", tmp_path / "nope")
    assert not store.exists("a/x")


def test_failing_source_leaves_no_object(store: ObjectStore) -> None:
    store.put_bytes("a/kept", b"old")

    with pytest.raises(OSError, match="source went away"):
        store.put_file("a/new", io.BufferedReader(FailingStream(300_000)))
    with pytest.raises(OSError, match="source went away"):
        store.put_file("a/kept", io.BufferedReader(FailingStream(300_000)))

    assert not store.exists("a/new")
    assert store.read_bytes("a/kept") == b"old"
    assert [info.key for info in store.list()] == ["a/kept"]


def test_overwrite_replaces_content(store: ObjectStore) -> None:
    store.put_bytes("a/k", b"first version")
    info = store.put_bytes("a/k", b"second")

    assert info.size == 6
    assert store.read_bytes("a/k") == b"second"
    assert store.size("a/k") == 6
    assert [i.key for i in store.list("a/")] == ["a/k"]


def test_open_read_streams_in_chunks(store: ObjectStore) -> None:
    store.put_bytes("a/k", ALL_BYTES)

    with store.open_read("a/k") as stream:
        first = stream.read(10)
        rest = stream.read()

    assert first + rest == ALL_BYTES
    assert stream.closed


@pytest.mark.parametrize(("start", "length"), [(0, 10), (100, 50), (250, 6), (0, 0), (200, 500)])
def test_open_range_gives_exactly_those_bytes(store: ObjectStore, start: int, length: int
                                              ) -> None:
    store.put_bytes("a/k", ALL_BYTES)

    with store.open_range("a/k", start, length) as stream:
        data = stream.read()

    assert data == ALL_BYTES[start:start + length]


def test_open_range_of_a_missing_object_raises_file_not_found(store: ObjectStore) -> None:
    with pytest.raises(FileNotFoundError), store.open_range("a/missing", 0, 10) as stream:
        stream.read()


def test_non_ascii_key_with_spaces(store: ObjectStore) -> None:
    key = "fotos/año 2025/mercado sobre ruedas #1.jpg"
    store.put_bytes(key, b"jpeg")

    assert store.read_bytes(key) == b"jpeg"
    assert [i.key for i in store.list("fotos/")] == [key]
    assert download(store, store.presigned_url(key)) == b"jpeg"


# -- metadata ---------------------------------------------------------------------------------


def test_exists_size_stat(store: ObjectStore) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    store.put_bytes("renditions/x/thumb.webp", b"12345", content_type="image/webp")

    info = store.stat("renditions/x/thumb.webp")

    assert store.exists("renditions/x/thumb.webp")
    assert store.size("renditions/x/thumb.webp") == 5
    assert info.key == "renditions/x/thumb.webp"
    assert info.size == 5
    assert info.modified is not None and info.modified.tzinfo is not None
    assert before < info.modified < datetime.now(UTC) + timedelta(minutes=5)
    # Backends that record content types must return the one given.
    assert info.content_type in (None, "image/webp")


def test_folders_are_not_objects(store: ObjectStore) -> None:
    store.put_bytes("a/b/c", b"x")

    assert not store.exists("a/b")
    with pytest.raises(FileNotFoundError):
        store.stat("a/b")
    store.delete("a/b")  # deleting a "folder" is a no-op, not an error
    assert store.exists("a/b/c")


@pytest.mark.parametrize(
    "operation",
    [
        lambda s, k: s.read_bytes(k),
        lambda s, k: s.open_read(k).__enter__(),
        lambda s, k: s.size(k),
        lambda s, k: s.stat(k),
        lambda s, k: s.local_path(k).__enter__(),
    ],
    ids=["read_bytes", "open_read", "size", "stat", "local_path"],
)
def test_missing_key_raises_file_not_found(
    store: ObjectStore, operation: Callable[[ObjectStore, str], object]
) -> None:
    with pytest.raises(FileNotFoundError) as excinfo:
        operation(store, "originals/no/such/key")

    assert "originals/no/such/key" in str(excinfo.value)
    assert not store.exists("originals/no/such/key")


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.delete("a/never-stored")
    store.put_bytes("a/k", b"x")
    store.put_bytes("a/other", b"y")

    store.delete("a/k")
    store.delete("a/k")

    assert not store.exists("a/k")
    assert store.exists("a/other")


# -- listing ----------------------------------------------------------------------------------

LIST_KEYS = {"b/2": 2, "a/1": 1, "a/10": 10, "a-x": 3, "a/sub/3": 3, "ab": 4, "a.b/c": 5}


def _fill(store: ObjectStore) -> None:
    for key, size in LIST_KEYS.items():
        store.put_bytes(key, b"z" * size)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", sorted(LIST_KEYS)),
        ("a/", ["a/1", "a/10", "a/sub/3"]),
        ("a", ["a-x", "a.b/c", "a/1", "a/10", "a/sub/3", "ab"]),
        ("a/1", ["a/1", "a/10"]),
        ("a/s", ["a/sub/3"]),
        ("a/sub/", ["a/sub/3"]),
        ("b/2", ["b/2"]),
        ("zzz", []),
        ("no/such/folder/", []),
    ],
)
def test_list_by_prefix_is_sorted_with_sizes(
    store: ObjectStore, prefix: str, expected: list[str]
) -> None:
    _fill(store)

    listed = list(store.list(prefix))

    assert [info.key for info in listed] == expected
    assert all(isinstance(info, ObjectInfo) for info in listed)
    assert [info.size for info in listed] == [LIST_KEYS[key] for key in expected]
    assert all(info.modified is not None and info.modified.tzinfo for info in listed)


def test_list_empty_store(store: ObjectStore) -> None:
    assert list(store.list()) == []


@pytest.mark.parametrize("prefix", ["/a", "../", "a/../", "a\\b"])
def test_list_rejects_bad_prefix(store: ObjectStore, prefix: str) -> None:
    with pytest.raises(ValueError):
        list(store.list(prefix))


# -- local paths and URLs ---------------------------------------------------------------------


def test_local_path_is_a_readable_file_with_the_same_bytes(store: ObjectStore) -> None:
    store.put_bytes("renditions/x/preview.jpg", ALL_BYTES)

    with store.local_path("renditions/x/preview.jpg") as path:
        assert isinstance(path, Path)
        assert path.read_bytes() == ALL_BYTES

    assert store.read_bytes("renditions/x/preview.jpg") == ALL_BYTES


def test_presigned_url_downloads_the_object(store: ObjectStore) -> None:
    store.put_bytes("originals/ab/cd/abcd", ALL_BYTES)

    url = store.presigned_url("originals/ab/cd/abcd", expires_in=120)

    assert isinstance(url, str)
    assert download(store, url) == ALL_BYTES


@pytest.mark.parametrize("expires_in", [0, -5])
def test_presigned_url_rejects_non_positive_expiry(store: ObjectStore, expires_in: int) -> None:
    with pytest.raises(ValueError):
        store.presigned_url("a/k", expires_in=expires_in)


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
def test_every_method_rejects_bad_keys(store: ObjectStore, key: str) -> None:
    operations: list[Callable[[], object]] = [
        lambda: store.put_bytes(key, b"x"),
        lambda: store.put_file(key, io.BytesIO(b"x")),
        lambda: store.open_read(key).__enter__(),
        lambda: store.read_bytes(key),
        lambda: store.local_path(key).__enter__(),
        lambda: store.exists(key),
        lambda: store.size(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.presigned_url(key),
    ]
    for operation in operations:
        with pytest.raises(ValueError):
            operation()
    assert list(store.list()) == []


# -- large files ------------------------------------------------------------------------------


def test_large_file_streams_through(store: ObjectStore, big_file: tuple[Path, str]) -> None:
    path, digest = big_file
    size = path.stat().st_size

    assert store.put_file("originals/big", path).size == size
    with store.open_read("originals/big") as stream:
        assert sha256_of(stream) == (digest, size)
    with path.open("rb") as source:
        store.put_file("originals/big-from-stream", source)
    assert store.size("originals/big-from-stream") == size
