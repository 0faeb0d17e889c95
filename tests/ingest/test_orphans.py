"""Killed processes leave nothing behind: workers stop with their parent, scratch folders go.

`dam serve` and `dam worker` are run as real processes and killed with SIGKILL; what is left is
checked by pid in /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import open_context
from dam.enums import JobState
from dam.models import Job
from ingest.batching import ingest_paths
from ingest.scratch import folder_name, scratch_root
from ingest.worker import run_workers
from tests.conftest import init_catalog, make_settings
from tests.media import make_photo
from tests.web.live import run_dam, start_server


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()  # [state, ppid, ...]


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _workers_of(parent: int) -> list[int]:
    """Living child processes of ``parent`` started by multiprocessing (spawn)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is None or int(fields[1]) != parent or not _alive(int(entry)):
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if b"spawn_main" in cmdline:
            found.append(int(entry))
    return found


def _wait_for(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_worker_processes_stop_when_dam_serve_is_killed(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=2, env={"DAM_WEB_PROCESSES": "1"})
    workers: list[int] = []
    try:
        assert _wait_for(lambda: len(_workers_of(server.process.pid)) == 2, 60)
        workers = _workers_of(server.process.pid)
        server.process.kill()  # SIGKILL: the server cannot stop them itself
        server.process.wait()
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 5), (
            f"worker processes {[p for p in workers if _alive(p)]} outlived `dam serve`"
        )
    finally:
        server.stop()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_killed_dam_worker_takes_its_workers_along_and_gives_their_jobs_back(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, job_lease_seconds=60)
    init_catalog(settings)
    ctx = open_context(settings)
    for i in range(6):  # more than the worker can finish between the kill and its noticing
        make_photo(tmp_path / "card" / f"{i}.jpg", (6000, 4000), seed=i)
    ingest_paths(ctx, [tmp_path / "card"], BatchInfo())
    worker = run_dam(tmp_path, "worker", "-n", "1", log=tmp_path / "worker.log")
    children: list[int] = []
    try:
        assert _wait_for(lambda: _running(ctx), 60), "the worker never took a job"
        children = _workers_of(worker.pid)
        worker.kill()
        worker.wait()
        assert children and _wait_for(lambda: not any(_alive(p) for p in children), 5)
        with ctx.catalog.read() as session:
            jobs = session.execute(select(Job.id, Job.state, Job.attempts)).all()
        assert not [j for j in jobs if j.state == JobState.RUNNING]  # none waits for a lease
        queued = [j for j in jobs if j.state == JobState.QUEUED]
        assert queued, f"the orphaned worker kept on working: {[tuple(j) for j in jobs]}"
        assert all(j.attempts == 0 for j in queued)  # the try it was on was given back
        assert not any(scratch_root(settings.data_dir).glob("worker-*"))
    finally:
        _kill(worker, children)
    ctx.close()


def _kill(process: subprocess.Popen[str], children: list[int]) -> None:
    """Leave no process of a failed test behind."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in children:
        if pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _running(ctx) -> bool:  # type: ignore[no-untyped-def]
    with ctx.catalog.read() as session:
        return session.scalar(select(Job.id).where(Job.state == JobState.RUNNING)) is not None


def test_scratch_folders_of_dead_workers_are_removed_when_a_worker_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    init_catalog(settings)
    root = scratch_root(settings.data_dir)
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    dead = root / folder_name(done.pid)  # its worker is gone: a SIGKILL left it behind
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as running:
        live = root / folder_name(running.pid)  # a worker still at work (another `dam worker`)
        reused = root / f"worker-{running.pid}-1"  # same pid, another process: the old one died
        for folder in (dead, live, reused):
            (folder / "acervo-proxy-x").mkdir(parents=True)
            (folder / "acervo-proxy-x" / "proxy.mp4").write_bytes(b"\0" * 1000)
        try:
            assert run_workers(settings, 1, until_idle=True) == 0
            assert not dead.exists() and not reused.exists()
            assert (live / "acervo-proxy-x" / "proxy.mp4").exists()
            assert sorted(root.iterdir()) == [live]  # the worker removed its own at its stop
        finally:
            running.kill()


def test_a_sigkilled_workers_scratch_folder_goes_when_it_is_replaced(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    init_catalog(settings)
    root = scratch_root(settings.data_dir)
    worker = run_dam(tmp_path, "worker", "-n", "1")
    first = 0
    try:
        assert _wait_for(lambda: len(_workers_of(worker.pid)) == 1, 60)
        (first,) = _workers_of(worker.pid)
        assert _wait_for(lambda: list(root.glob(f"worker-{first}-*")), 30)
        (folder,) = root.glob(f"worker-{first}-*")
        (folder / "acervo-proxy-y").mkdir()
        os.kill(first, signal.SIGKILL)  # as the out-of-memory killer would
        assert _wait_for(lambda: _workers_of(worker.pid) not in ([], [first]), 30)
        assert _wait_for(lambda: not folder.exists(), 30)  # the new worker removed it
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        _kill(worker, [first])
