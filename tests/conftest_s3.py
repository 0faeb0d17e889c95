"""Pytest fixtures for S3 servers on localhost (moto; SeaweedFS in conftest_seaweedfs); conftest
files import them by name."""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

#: Fake credentials, and config files that cannot point boto3 at a real account or endpoint.
#: No session token: SeaweedFS takes one for temporary (STS) credentials and refuses the keys.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
#: Variables removed while the fake credentials are in place.
UNSET_AWS_ENV = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")


@contextlib.contextmanager
def fake_aws_env() -> Iterator[None]:
    """Set FAKE_AWS_ENV in os.environ, restoring the previous values on exit."""
    saved = {name: os.environ.get(name) for name in (*FAKE_AWS_ENV, *UNSET_AWS_ENV)}
    os.environ.update(FAKE_AWS_ENV)
    for name in UNSET_AWS_ENV:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@functools.cache
def make_test_client(endpoint_url: str) -> Any:
    """Return a plain boto3 S3 client for a test S3 server (for setup and inspection)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """Run moto's S3 server on a free localhost port; yield its endpoint URL.

    Fake credentials stay in os.environ while the server runs, so stores opened the ordinary
    way (open_store / S3Store without a client) find them.
    """
    with fake_aws_env():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@contextlib.contextmanager
def fresh_bucket(endpoint_url: str) -> Iterator[tuple[str, str]]:
    """Create a fresh, uniquely named bucket; yield (endpoint_url, bucket_name); then remove it."""
    client = make_test_client(endpoint_url)
    name = f"acervo-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    try:
        yield endpoint_url, name
    finally:
        _remove_bucket(client, name)


@pytest.fixture
def s3_bucket(s3_server: str) -> Iterator[tuple[str, str]]:
    """A fresh bucket on the moto server: (endpoint_url, bucket_name)."""
    with fresh_bucket(s3_server) as endpoint_and_name:
        yield endpoint_and_name


#: The S3 servers the "any" fixtures run on: moto (in process) and SeaweedFS (a real store).
S3_SERVERS = {"moto": "s3_server", "seaweedfs": "seaweedfs_server"}


@pytest.fixture(params=sorted(S3_SERVERS))
def any_s3_server(request: pytest.FixtureRequest) -> str:
    """The endpoint URL of each S3 server in turn (moto, then SeaweedFS)."""
    return str(request.getfixturevalue(S3_SERVERS[request.param]))


@pytest.fixture
def any_s3_bucket(any_s3_server: str) -> Iterator[tuple[str, str]]:
    """A fresh bucket on each S3 server in turn: (endpoint_url, bucket_name)."""
    with fresh_bucket(any_s3_server) as endpoint_and_name:
        yield endpoint_and_name


def _remove_bucket(client: Any, name: str) -> None:
    # moto keeps objects in memory for the whole session, SeaweedFS a collection on disk: free them.
    uploads = client.list_multipart_uploads(Bucket=name).get("Uploads", [])
    for upload in uploads:
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
