"""Tests specific to the S3 backend, run against a real moto server over HTTP."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from storage import S3Limits, StoreError, StoreUnavailableError, open_store
from storage.s3 import S3Store, _BodyReader
from tests.conftest_s3 import fake_aws_env, make_test_client

MiB = 1024 * 1024


def closed_port() -> int:
    """A localhost port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def etag_of(s3_store: S3Store, key: str) -> str:
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=s3_store.prefix + key)
    return head["ETag"].strip('"')


# -- failures ---------------------------------------------------------------------------------


def test_unreachable_endpoint_fails_fast_with_store_unavailable() -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with fake_aws_env():
        store = S3Store("acervo", "pre", endpoint_url=endpoint)
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as excinfo:
            store.stat("a/k")
        with pytest.raises(StoreUnavailableError):
            store.put_bytes("a/k", b"x")
        with pytest.raises(StoreUnavailableError):
            list(store.list())
        elapsed = time.monotonic() - started

    assert elapsed < 30
    assert isinstance(excinfo.value, OSError)
    message = str(excinfo.value)
    assert endpoint in message and "s3://acervo/pre" in message


def test_a_silent_endpoint_is_given_up_within_the_limits() -> None:
    """Connections accepted, never answered: each request is tried ``attempts`` times, each
    waiting ``read_seconds``, then the store is reported unavailable (no hang)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts; nobody reads or answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        limits = S3Limits(connect_seconds=1, read_seconds=0.5, attempts=2)
        with fake_aws_env():
            store = open_store("s3://acervo/pre", endpoint_url=endpoint, s3_limits=limits)
            assert isinstance(store, S3Store)
            config = store.client.meta.config
            assert (config.connect_timeout, config.read_timeout) == (1, 0.5)
            assert config.retries["total_max_attempts"] == 2  # the first try included
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError, match="Read timeout"):
                store.stat("a/k")
            elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 6  # two tries of 0.5 s, and botocore's backoff between them


def test_missing_bucket_is_store_unavailable(any_s3_server: str) -> None:
    store = S3Store("acervo-no-such-bucket", endpoint_url=any_s3_server)

    with pytest.raises(StoreUnavailableError, match="acervo-no-such-bucket.*NoSuchBucket"):
        store.read_bytes("a/k")
    with pytest.raises(StoreUnavailableError, match="NoSuchBucket"):
        store.put_bytes("a/k", b"x")
    with pytest.raises(StoreUnavailableError, match="NoSuchBucket"):
        list(store.list())


def test_server_errors_and_denials_are_translated(s3_store: S3Store) -> None:
    with Stubber(s3_store.client) as stubber:
        stubber.add_client_error("head_object", "ServiceUnavailable", http_status_code=503)
        stubber.add_client_error("head_object", "AccessDenied", http_status_code=403)
        with pytest.raises(StoreUnavailableError, match="ServiceUnavailable"):
            s3_store.stat("a/k")
        with pytest.raises(StoreError, match="AccessDenied") as excinfo:
            s3_store.stat("a/k")

    assert not isinstance(excinfo.value, StoreUnavailableError)


def test_connection_lost_mid_read_is_store_unavailable() -> None:
    class DroppingBody:
        def read(self, amount: int) -> bytes:
            raise ReadTimeoutError(endpoint_url="http://s3.example")

        def close(self) -> None:
            pass

    store = S3Store("b", client=make_test_client("http://127.0.0.1:1"))
    stream = io.BufferedReader(_BodyReader(DroppingBody(), store._translate))

    with stream, pytest.raises(StoreUnavailableError, match="s3.example"):
        stream.read()


# -- uploads ----------------------------------------------------------------------------------


def test_large_upload_uses_multipart(any_s3_bucket: tuple[str, str], tmp_path: Path) -> None:
    endpoint_url, bucket = any_s3_bucket
    # moto, like S3, refuses parts under 5 MiB except the last one.
    store = S3Store(
        bucket,
        "acervo-test",
        endpoint_url=endpoint_url,
        multipart_threshold=5 * MiB,
        multipart_chunksize=5 * MiB,
    )
    data = bytes(range(256)) * (11 * MiB // 256)
    source = tmp_path / "video.mp4"
    source.write_bytes(data)

    store.put_file("originals/big", source)
    store.put_file("originals/big-stream", io.BytesIO(data))
    store.put_bytes("originals/small", data[: 4 * MiB])

    assert etag_of(store, "originals/big").endswith("-3")
    assert etag_of(store, "originals/big-stream").endswith("-3")
    assert "-" not in etag_of(store, "originals/small")
    assert store.read_bytes("originals/big") == data
    assert store.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_content_type_is_recorded(s3_store: S3Store) -> None:
    s3_store.put_bytes("a/photo", b"x", content_type="image/jpeg")

    assert s3_store.stat("a/photo").content_type == "image/jpeg"


# -- prefix -----------------------------------------------------------------------------------


def test_prefix_is_transparent(s3_store: S3Store) -> None:
    client, bucket = s3_store.client, s3_store.bucket
    s3_store.put_bytes("originals/ab/k", b"x")
    client.put_object(Bucket=bucket, Key="elsewhere/y", Body=b"y")
    client.put_object(Bucket=bucket, Key="acervo-testing/z", Body=b"z")
    client.put_object(Bucket=bucket, Key="acervo-test/folder/", Body=b"")

    names = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]

    assert "acervo-test/originals/ab/k" in names
    assert [info.key for info in s3_store.list()] == ["originals/ab/k"]
    assert not s3_store.exists("elsewhere/y")


def test_store_without_prefix(any_s3_bucket: tuple[str, str]) -> None:
    endpoint_url, bucket = any_s3_bucket
    store = S3Store(bucket, endpoint_url=endpoint_url)

    store.put_bytes("a/k", b"x")

    assert store.url == f"s3://{bucket}"
    assert (
        make_test_client(endpoint_url).get_object(Bucket=bucket, Key="a/k")["Body"].read() == b"x"
    )
    assert [info.key for info in store.list()] == ["a/k"]


def test_open_store_s3_url(any_s3_bucket: tuple[str, str]) -> None:
    endpoint_url, bucket = any_s3_bucket

    store = open_store(f"s3://{bucket}/acervo/prod/", endpoint_url=endpoint_url, region="eu-west-1")

    assert isinstance(store, S3Store)
    assert store.url == f"s3://{bucket}/acervo/prod"
    store.put_bytes("a/k", b"x")
    assert store.client.head_object(Bucket=bucket, Key="acervo/prod/a/k")["ContentLength"] == 1


# -- reads and URLs ---------------------------------------------------------------------------


def test_local_path_is_a_temporary_copy(s3_store: S3Store) -> None:
    s3_store.put_bytes("renditions/x/preview.jpg", b"jpeg bytes")

    with s3_store.local_path("renditions/x/preview.jpg") as path:
        assert path.suffix == ".jpg"
        assert path.read_bytes() == b"jpeg bytes"

    assert not path.exists()


def test_presigned_url_is_sigv4(s3_store: S3Store) -> None:
    url = s3_store.presigned_url("originals/ab/cd/abcd", expires_in=120)

    assert "/acervo-test/originals/ab/cd/abcd?" in url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=120" in url
    with pytest.raises(ValueError):
        s3_store.presigned_url("a/k", expires_in=8 * 24 * 3600)


def test_open_read_closes_an_unfinished_body(s3_store: S3Store) -> None:
    s3_store.put_bytes("a/k", b"x" * 100_000)
    stream: Any

    with s3_store.open_read("a/k") as stream:
        assert stream.read(10) == b"x" * 10

    assert stream.closed
