"""An outage of the object store uses up no job's tries: every queued asset finishes after it.

The outages are real: the S3 server (moto) is stopped and started again on the same port, and a
local store's folder is swapped for a file and back. Retries are made quick (0.05 s, capped at
0.2 s) so that an outage of a few seconds stands for the ten minutes of the issue: many times
``job_max_attempts`` tries, each of which would have used one up before.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.cli import cli
from dam.context import Context, open_context
from dam.enums import AssetState, JobState
from dam.models import Asset, Job
from ingest.batching import ingest_paths
from ingest.worker import LoopOptions, Supervisor, work_loop
from tests.conftest import init_catalog, make_settings
from tests.conftest_s3 import fake_aws_env, make_test_client
from tests.media import make_photo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
MAX_ATTEMPTS = 2
RETRIES_WANTED = MAX_ATTEMPTS + 2  # transient retries each job must see during the outage
QUICK = {"job_max_attempts": MAX_ATTEMPTS, "job_retry_base_seconds": 0.05,
         "job_retry_max_seconds": 0.2}


StartPool = Callable[[Context], tuple[threading.Thread, Supervisor]]


class S3Outage:
    """A moto S3 server of our own, to stop and start again on the same port."""

    def __init__(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, self.port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()  # moto keeps its buckets in this process: they are all still there


@pytest.fixture
def s3_outage() -> Iterator[S3Outage]:
    with fake_aws_env():
        outage = S3Outage()
        try:
            yield outage
        finally:
            outage.stop()


def _ingest(ctx: Context, tmp_path: Path, good: int) -> tuple[list[int], int]:
    """``good`` photos and one truncated JPEG queued; their asset ids."""
    for i in range(good):
        make_photo(tmp_path / "card" / f"{i}.jpg", (640, 480), seed=i)
    shutil.copy(FIXTURES / "truncated_jpeg.jpg", tmp_path / "card" / "zz-bad.jpg")
    report = ingest_paths(ctx, [tmp_path / "card"], BatchInfo(event="outage"))
    ids = {Path(r.source_path).name: r.asset_id for r in report.results}
    bad = ids.pop("zz-bad.jpg")
    assert len(ids) == good and None not in ids.values()
    return list(ids.values()), bad  # type: ignore[arg-type]


def _wait_through_outage(ctx: Context, seconds: float) -> None:
    """Until every job has met the outage RETRIES_WANTED times; none may fail meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        with ctx.catalog.read() as session:
            jobs = session.execute(select(Job.id, Job.state, Job.attempts,
                                          Job.transient_retries)).all()
            failed = session.scalars(select(Asset.id).where(Asset.state == AssetState.FAILED))
            assert not failed.all(), "an asset failed during the outage"
        assert all(j.state in (JobState.QUEUED, JobState.RUNNING) for j in jobs)
        assert all(j.attempts <= 1 for j in jobs), "a transient failure used up a try"
        if min(j.transient_retries for j in jobs) >= RETRIES_WANTED:
            return
        assert time.monotonic() < deadline, [(j.id, j.transient_retries) for j in jobs]
        time.sleep(0.05)


def _check_all_finished(ctx: Context, good: list[int], bad: int) -> None:
    with ctx.catalog.read() as session:
        states = {a.id: a for a in session.execute(select(Asset.id, Asset.state, Asset.error))}
        jobs = session.execute(select(Job.state, Job.attempts, Job.transient_retries)).all()
    assert {states[i].state for i in good} == {AssetState.READY}  # no `dam reprocess` needed
    assert states[bad].state == AssetState.FAILED  # the bad file still fails, for its own reason
    assert "truncated" in states[bad].error
    assert {j.state for j in jobs} == {JobState.DONE}
    assert all(j.transient_retries >= RETRIES_WANTED for j in jobs)
    assert all(j.attempts == 1 for j in jobs)  # only the try that worked counted


@pytest.fixture
def pool() -> Iterator[StartPool]:
    """Start two real worker processes (until idle) in the background; stopped at the end."""
    started: list[Supervisor] = []

    def start(ctx: Context) -> tuple[threading.Thread, Supervisor]:
        supervisor = Supervisor(ctx.settings, 2, LoopOptions(until_idle=True))
        thread = threading.Thread(target=supervisor.run, daemon=True)
        thread.start()
        started.append(supervisor)
        return thread, supervisor

    yield start
    for supervisor in started:
        supervisor.stop()


def test_s3_outage_longer_than_all_tries_loses_no_asset(
    tmp_path: Path, s3_outage: S3Outage, pool: StartPool
) -> None:
    bucket = "acervo-outage"
    make_test_client(s3_outage.endpoint).create_bucket(Bucket=bucket)
    settings = make_settings(tmp_path, store_url=f"s3://{bucket}/acervo",
                             s3_endpoint_url=s3_outage.endpoint, **QUICK)
    init_catalog(settings)
    ctx = open_context(settings)
    good, bad = _ingest(ctx, tmp_path, 3)  # the originals are stored; then the store goes away
    s3_outage.stop()
    thread, supervisor = pool(ctx)  # two real worker processes
    try:
        _wait_through_outage(ctx, 60)
        with pytest.raises(OSError):
            ctx.store.stat("originals")  # still away, for real
        with ctx.catalog.read() as session:
            reasons = set(session.scalars(select(Job.transient_error)))
        assert all("object store is unavailable" in r for r in reasons), reasons
    finally:
        s3_outage.start()
    thread.join(60)
    assert not thread.is_alive() and supervisor.restarts == 0
    _check_all_finished(ctx, good, bad)
    ctx.close()


def test_local_store_folder_gone_and_back_loses_no_asset(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **QUICK)
    init_catalog(settings)
    ctx = open_context(settings)
    good, bad = _ingest(ctx, tmp_path, 2)
    root = Path(ctx.store.root)  # type: ignore[attr-defined]
    aside = tmp_path / "store-aside"
    root.rename(aside)
    root.write_bytes(b"")  # the store's folder is gone (a file in its place: an unmounted disk)
    stop = threading.Event()
    worker = threading.Thread(target=work_loop, args=(ctx, LoopOptions(until_idle=True), stop))
    worker.start()
    try:
        _wait_through_outage(ctx, 30)
        with ctx.catalog.read() as session:
            reasons = set(session.scalars(select(Job.transient_error)))
        assert all("store folder is missing" in r for r in reasons), reasons
        status = CliRunner().invoke(cli, ["status"], env={"DAM_DATA_DIR": str(settings.data_dir)})
        assert "Waiting for the store, catalog or disk to answer: 3 job(s)" in status.output
        assert "store folder is missing" in status.output
    finally:
        root.unlink()
        aside.rename(root)
    worker.join(30)
    assert not worker.is_alive()
    _check_all_finished(ctx, good, bad)
    ctx.close()
