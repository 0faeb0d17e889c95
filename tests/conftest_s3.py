"""Pytest fixtures for a real moto S3 server on localhost; conftest files import them by name."""

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
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@contextlib.contextmanager
def fake_aws_env() -> Iterator[None]:
    """Set FAKE_AWS_ENV in os.environ, restoring the previous values on exit."""
    saved = {name: os.environ.get(name) for name in FAKE_AWS_ENV}
    os.environ.update(FAKE_AWS_ENV)
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
    """Return a plain boto3 S3 client for the moto server (for setup and inspection)."""
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


@pytest.fixture
def s3_bucket(s3_server: str) -> Iterator[tuple[str, str]]:
    """Create a fresh, uniquely named bucket; yield (endpoint_url, bucket_name); then remove it."""
    client = make_test_client(s3_server)
    name = f"acervo-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    try:
        yield s3_server, name
    finally:
        _remove_bucket(client, name)


def _remove_bucket(client: Any, name: str) -> None:
    # moto keeps objects in memory for the whole session: free them after each test.
    uploads = client.list_multipart_uploads(Bucket=name).get("Uploads", [])
    for upload in uploads:
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
