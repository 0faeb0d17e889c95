"""Tests specific to the local folder backend, the key helpers and open_store."""

from __future__ import annotations

import errno
import io
import os
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from storage import (
    LocalStore,
    StoreError,
    open_store,
    original_key,
    rendition_key,
    validate_key,
)
from storage.keys import RESERVED_PREFIX
from tests.storage.test_contract import FailingStream

SHA = "ab" + "cd" + "0123456789abcdef" * 3 + "0123456789ab"


def all_files(root: Path) -> list[str]:
    """Every file under root, as sorted relative POSIX paths (temporary files included)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- atomic writes ----------------------------------------------------------------------------


def test_failing_source_leaves_no_object_and_no_temp_file(local_store: LocalStore) -> None:
    local_store.put_bytes("a/kept", b"old")

    with pytest.raises(OSError, match="source went away"):
        local_store.put_file("a/new", io.BufferedReader(FailingStream(3_000_000)))
    with pytest.raises(OSError, match="source went away"):
        local_store.put_file("a/kept", io.BufferedReader(FailingStream(3_000_000)))

    assert all_files(local_store.root) == ["a/kept"]
    assert local_store.read_bytes("a/kept") == b"old"


def test_full_disk_propagates_as_oserror_and_cleans_up(
    local_store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_store.put_bytes("a/kept", b"old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError) as excinfo:
        local_store.put_bytes("a/kept", b"new")

    assert excinfo.value.errno == errno.ENOSPC
    assert all_files(local_store.root) == ["a/kept"]
    assert local_store.read_bytes("a/kept") == b"old"


def test_temp_files_are_not_listed(local_store: LocalStore) -> None:
    local_store.put_bytes("a/real", b"x")
    (local_store.root / "a" / f"{RESERVED_PREFIX}123.tmp").write_bytes(b"partial")
    (local_store.root / f"{RESERVED_PREFIX}dir").mkdir()
    (local_store.root / f"{RESERVED_PREFIX}dir" / "f").write_bytes(b"partial")

    assert [info.key for info in local_store.list()] == ["a/real"]
    assert [info.key for info in local_store.list("a/")] == ["a/real"]


def test_files_get_ordinary_permissions(local_store: LocalStore) -> None:
    local_store.put_bytes("a/k", b"x")
    umask = os.umask(0)
    os.umask(umask)

    assert (local_store.root / "a" / "k").stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_own_file_is_linked_not_copied_with_ordinary_permissions(
    local_store: LocalStore, tmp_path: Path
) -> None:
    source = tmp_path / "upload.jpg"
    source.write_bytes(b"photo")
    source.chmod(0o600)
    umask = os.umask(0)
    os.umask(umask)

    local_store.put_own_file("originals/ab/k", source)
    stored = local_store.root / "originals" / "ab" / "k"
    assert stored.stat().st_ino == source.stat().st_ino
    assert stored.stat().st_mode & 0o777 == 0o666 & ~umask
    assert all_files(local_store.root) == ["originals/ab/k"]  # no temporary name left


def test_an_own_file_on_another_file_system_is_copied(
    local_store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(*_: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    source = tmp_path / "upload.jpg"
    source.write_bytes(b"photo")
    monkeypatch.setattr(os, "link", cross_device)

    local_store.put_own_file("originals/ab/k", source)
    stored = local_store.root / "originals" / "ab" / "k"
    assert stored.read_bytes() == b"photo" and stored.stat().st_ino != source.stat().st_ino
    assert all_files(local_store.root) == ["originals/ab/k"]


def test_streaming_copy_uses_bounded_memory(
    local_store: LocalStore, big_file: tuple[Path, str]
) -> None:
    path, _ = big_file
    tracemalloc.start()
    try:
        local_store.put_file("originals/big", path)
        with local_store.open_read("originals/big") as stream:
            while stream.read(1024 * 1024):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * 1024 * 1024


# -- layout on disk ---------------------------------------------------------------------------


def test_keys_map_to_files_under_root(local_store: LocalStore) -> None:
    local_store.put_bytes("a/b/c.txt", b"x")

    with local_store.local_path("a/b/c.txt") as path:
        assert path == local_store.root / "a" / "b" / "c.txt"
    assert path.exists()  # the real file, not a temporary copy
    assert local_store.url == local_store.root.as_uri()


def test_delete_prunes_empty_folders_but_not_root(local_store: LocalStore) -> None:
    local_store.put_bytes("a/b/c", b"x")
    local_store.put_bytes("a/d", b"y")

    local_store.delete("a/b/c")
    assert not (local_store.root / "a" / "b").exists()
    assert (local_store.root / "a").is_dir()

    local_store.delete("a/d")
    assert local_store.root.is_dir()
    assert list(local_store.root.iterdir()) == []


def test_missing_root_is_an_empty_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "not" / "yet")

    assert list(store.list()) == []
    assert not store.exists("a/k")
    store.put_bytes("a/k", b"x")
    assert store.read_bytes("a/k") == b"x"


def test_key_under_an_existing_object_is_an_oserror(local_store: LocalStore) -> None:
    # A file system cannot hold both "a" and "a/b"; S3 can. Our key layout never needs both.
    local_store.put_bytes("a", b"x")

    with pytest.raises(OSError):
        local_store.put_bytes("a/b", b"y")
    assert not local_store.exists("a/b")
    with pytest.raises(FileNotFoundError):
        local_store.stat("a/b")
    with pytest.raises(FileNotFoundError):
        local_store.read_bytes("a/b")
    local_store.delete("a/b")


# -- signed URLs ------------------------------------------------------------------------------


def _parse(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["expires"][0]), query["signature"][0]


def test_presigned_url_format_and_verification(local_store: LocalStore) -> None:
    url = local_store.presigned_url("originals/ab/cd/abcd", expires_in=60)
    path, expires, signature = _parse(url)

    assert path == "/files/originals/ab/cd/abcd"
    assert len(signature) == 64 and int(signature, 16) >= 0
    assert local_store.verify_signature("originals/ab/cd/abcd", expires, signature)
    assert local_store.verify_signature("originals/ab/cd/abcd", expires, signature, now=expires)


def test_signature_is_rejected_when_expired_or_tampered(local_store: LocalStore) -> None:
    key = "originals/ab/cd/abcd"
    _, expires, signature = _parse(local_store.presigned_url(key, expires_in=60))
    verify = local_store.verify_signature

    assert not verify(key, expires, signature, now=expires + 1)
    assert not verify("originals/ab/cd/abce", expires, signature)
    assert not verify("../etc/passwd", expires, signature)
    assert not verify(key, expires + 3600, signature)
    assert not verify(key, expires, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    assert not verify(key, expires, "")
    assert not verify(key, expires, "ñ" * 64)


def test_signature_depends_on_the_signing_key(tmp_path: Path) -> None:
    one = LocalStore(tmp_path, signing_key=b"one")
    two = LocalStore(tmp_path, signing_key=b"two")
    _, expires, signature = _parse(one.presigned_url("a/k"))

    assert not two.verify_signature("a/k", expires, signature)


def test_presigned_url_needs_a_signing_key(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)

    with pytest.raises(StoreError, match="signing key"):
        store.presigned_url("a/k")
    with pytest.raises(StoreError, match="signing key"):
        store.verify_signature("a/k", 1, "00")
    with pytest.raises(ValueError):
        LocalStore(tmp_path, signing_key=b"")


def test_url_base_is_configurable(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, signing_key=b"k", url_base="https://cdn.example/media/")

    url = store.presigned_url("a/b c.jpg")

    assert url.startswith("https://cdn.example/media/a/b%20c.jpg?expires=")


# -- key helpers ------------------------------------------------------------------------------


def test_original_and_rendition_keys() -> None:
    assert original_key(SHA) == f"originals/ab/cd/{SHA}"
    assert rendition_key(SHA, "thumb", "webp") == f"renditions/ab/cd/{SHA}/thumb.webp"
    assert rendition_key(SHA, "preview_1080", "jpg").endswith("/preview_1080.jpg")
    assert validate_key(original_key(SHA)) == original_key(SHA)


@pytest.mark.parametrize("sha", ["", "abc", SHA.upper(), SHA[:-1] + "g", SHA + "0", None])
def test_keys_reject_bad_digests(sha: Any) -> None:
    with pytest.raises(ValueError):
        original_key(sha)
    with pytest.raises(ValueError):
        rendition_key(sha, "thumb", "webp")


@pytest.mark.parametrize(
    ("kind", "ext"), [("", "jpg"), ("thumb", ""), ("a/b", "jpg"), ("t", ".jpg")]
)
def test_rendition_key_rejects_bad_kind_or_ext(kind: str, ext: str) -> None:
    with pytest.raises(ValueError):
        rendition_key(SHA, kind, ext)


@pytest.mark.parametrize("key", ["a", "a/b", ".hidden/x", "a/..b", "año/b c#1.jpg"])
def test_validate_key_accepts_ordinary_keys(key: str) -> None:
    assert validate_key(key) == key


# -- open_store -------------------------------------------------------------------------------


def test_open_store_file_url(tmp_path: Path) -> None:
    store = open_store(tmp_path.as_uri(), signing_key=b"k")

    assert isinstance(store, LocalStore)
    assert store.root == tmp_path.resolve()
    assert store.presigned_url("a/k").startswith("/files/a/k?")


def test_open_store_decodes_percent_escapes(tmp_path: Path) -> None:
    folder = tmp_path / "with space"

    store = open_store(folder.as_uri())

    assert isinstance(store, LocalStore)
    assert store.root == folder.resolve()


@pytest.mark.parametrize(
    "url",
    ["", "/plain/path", "file:relative/path", "file://host/path", "http://x/y", "s3://", "ftp://a"],
)
def test_open_store_rejects_other_urls(url: str) -> None:
    with pytest.raises(ValueError, match="store URL|URL"):
        open_store(url)
