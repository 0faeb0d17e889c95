"""A worker killed with SIGKILL mid-job loses nothing: its lease expires and another finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.config import Settings
from dam.context import open_context
from dam.enums import AssetState, JobState
from dam.models import Asset, Job
from ingest.batching import ingest_paths
from tests.conftest import init_catalog, make_settings
from tests.media import make_photo

DAM = str(Path(sys.executable).with_name("dam"))


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
    env.update(
        DAM_DATA_DIR=str(settings.data_dir),
        DAM_CATALOG_URL=settings.catalog_url,
        DAM_JOB_LEASE_SECONDS=str(settings.job_lease_seconds),
        DAM_JOB_RETRY_BASE_SECONDS="0.1",
        DAM_FACES="true" if settings.faces else "false",
    )
    return env


def _running_jobs(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    with ctx.catalog.read() as session:
        return list(session.scalars(select(Job.id).where(Job.state == JobState.RUNNING)))


def _kill_mid_job(ctx, env: dict[str, str], deadline: float) -> list[int]:  # type: ignore[no-untyped-def]
    """Start a worker, SIGKILL its whole process group while it holds a job."""
    proc = subprocess.Popen(
        [DAM, "worker", "-n", "1"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() < deadline:
            running = _running_jobs(ctx)
            if running:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return running
            time.sleep(0.005)
        raise AssertionError("the worker never started a job")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_sigkilled_worker_loses_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, job_lease_seconds=2)
    init_catalog(settings)
    ctx = open_context(settings)
    for i in range(12):
        make_photo(tmp_path / "card" / f"{i:02}.jpg", (3000, 2000), seed=i)
    report = ingest_paths(ctx, [tmp_path / "card"], BatchInfo(event="kill test"))
    assert len(report.results) == 12
    env = worker_env(settings)

    killed = _kill_mid_job(ctx, env, time.monotonic() + 60)
    with ctx.catalog.read() as session:
        orphan = session.get(Job, killed[0])
        assert orphan.state == JobState.RUNNING  # held by a dead worker until its lease expires

    done = subprocess.run(
        [DAM, "worker", "-n", "2", "--until-idle"],
        env=env,
        timeout=180,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with ctx.catalog.read() as session:
        states = session.scalars(select(Asset.state)).all()
        assert states == [AssetState.READY] * 12
        jobs = session.scalars(select(Job)).all()
        assert {j.state for j in jobs} == {JobState.DONE} and len(jobs) == 12
        assert session.get(Job, killed[0]).attempts == 2  # taken over after the lease expired
    renditions = [o.key for o in ctx.store.list("renditions/")]
    assert len(renditions) == 24
    ctx.close()
