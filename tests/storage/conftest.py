"""Fixtures for the storage tests: the `store` fixture runs each test on every backend."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from storage import LocalStore, ObjectStore
from storage.s3 import S3Store

SIGNING_KEY = b"acervo-test-signing-key"
S3_PREFIX = "acervo-test"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ObjectStore:
    """A fresh, empty store of each backend (S3 under a key prefix, to test prefix handling)."""
    if request.param == "local":
        return LocalStore(tmp_path_factory.mktemp("store"), signing_key=SIGNING_KEY)
    # Looked up lazily so that running only local tests never starts the moto server.
    endpoint_url, bucket = request.getfixturevalue("s3_bucket")
    return S3Store(bucket, S3_PREFIX, endpoint_url=endpoint_url)


@pytest.fixture
def local_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    """A fresh local store with a signing key."""
    return LocalStore(tmp_path_factory.mktemp("store"), signing_key=SIGNING_KEY)


@pytest.fixture
def s3_store(s3_bucket: tuple[str, str]) -> S3Store:  # noqa: F811
    """A fresh S3 store (under a prefix) on the moto server."""
    endpoint_url, bucket = s3_bucket
    return S3Store(bucket, S3_PREFIX, endpoint_url=endpoint_url)


BIG_FILE_SIZE = 40 * 1024 * 1024


@pytest.fixture(scope="session")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 40 MiB file of random bytes, written in chunks; yields (path, sha256 hex)."""
    path = tmp_path_factory.mktemp("big") / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(BIG_FILE_SIZE // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            out.write(chunk)
    return path, digest.hexdigest()
