"""Fixtures for the storage tests: the `store` fixture runs each test on every backend."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import LocalStore, ObjectStore
from storage.s3 import S3Store
from tests.conftest_s3 import S3_SERVERS, fresh_bucket

SIGNING_KEY = b"acervo-test-signing-key"
S3_PREFIX = "acervo-test"


@pytest.fixture(params=["local", "s3-moto", "s3-seaweedfs"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ObjectStore:
    """A fresh, empty store of each backend (S3 under a key prefix, to test prefix handling),
    S3 both on moto and on a real SeaweedFS."""
    if request.param == "local":
        return LocalStore(tmp_path_factory.mktemp("store"), signing_key=SIGNING_KEY)
    # Looked up lazily so that running only local tests never starts an S3 server.
    server = request.getfixturevalue(S3_SERVERS[request.param.removeprefix("s3-")])
    bucket = request.getfixturevalue("_bucket_for_store")
    endpoint_url, name = bucket(server)
    return S3Store(name, S3_PREFIX, endpoint_url=endpoint_url)


@pytest.fixture
def _bucket_for_store() -> Iterator[Callable[[str], tuple[str, str]]]:
    """Make a fresh bucket on a server; all of them are removed after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda endpoint_url: stack.enter_context(fresh_bucket(endpoint_url))


@pytest.fixture
def local_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    """A fresh local store with a signing key."""
    return LocalStore(tmp_path_factory.mktemp("store"), signing_key=SIGNING_KEY)


@pytest.fixture
def s3_store(any_s3_bucket: tuple[str, str]) -> S3Store:
    """A fresh S3 store (under a prefix) on moto, then on SeaweedFS."""
    endpoint_url, bucket = any_s3_bucket
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
