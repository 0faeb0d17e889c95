"""Workers: processes that claim jobs from the catalog, run them, and survive bad files.

``run_workers`` starts N worker processes and watches them: a process that dies (a segfault in a
decoder, SIGKILL, OOM) is replaced, and one stuck on a job past its time limit is killed and
replaced. The job it held is not lost: its lease expires and a worker claims it again, up to the
job's maximum tries, after which the job and its asset are recorded as failed with the reason.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from dam import queue
from dam.config import Settings
from dam.context import Context, open_context
from dam.enums import JobKind
from dam.errors import IngestError
from ingest.pipeline import process_asset

log = logging.getLogger(__name__)

POLL_MIN, POLL_MAX = 0.05, 0.5  # an idle worker notices new work within half a second
WATCHDOG_GRACE_SECONDS = 30


class JobTimeoutError(Exception):
    """A job ran past job_timeout_seconds."""


def run_process_asset(ctx: Context, job: queue.ClaimedJob) -> None:
    if job.asset_id is not None:
        process_asset(ctx, job.asset_id)


def run_make_proxy(ctx: Context, job: queue.ClaimedJob) -> None:
    from ingest.proxy import make_proxy  # loads FFmpeg's libraries only where proxies are made

    if job.asset_id is not None:
        make_proxy(ctx, job.asset_id)


def run_publish_gallery(ctx: Context, job: queue.ClaimedJob) -> None:
    from publish.jobs import run_queued_publications  # the gallery, asked for from the web

    run_queued_publications(ctx)


HANDLERS: dict[JobKind, Callable[[Context, queue.ClaimedJob], None]] = {
    JobKind.PROCESS_ASSET: run_process_asset,
    JobKind.MAKE_PROXY: run_make_proxy,
    JobKind.PUBLISH_GALLERY: run_publish_gallery,
}


def classify_error(exc: BaseException) -> tuple[str, bool]:
    """(reason for people, whether trying again later may help)."""
    if isinstance(exc, IngestError):
        return str(exc), exc.transient
    if isinstance(exc, JobTimeoutError):
        return str(exc), False
    if isinstance(exc, FileNotFoundError):
        return f"the original is missing from the store: {exc}", False
    if isinstance(exc, OperationalError | DBAPIError):
        return f"catalog database error: {exc.orig}", True
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}", True
    return f"internal error ({type(exc).__name__}): {exc}", False


class LeaseKeeper(threading.Thread):
    """Renews a job's lease while it runs."""

    def __init__(self, ctx: Context, job_id: int, owner: str) -> None:
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.ctx, self.job_id, self.owner = ctx, job_id, owner
        self.finished = threading.Event()
        self.lost = False

    def run(self) -> None:
        every = max(self.ctx.settings.job_lease_seconds / 3, 0.2)
        while not self.finished.wait(every):
            try:
                if not queue.renew(
                    self.ctx.catalog, self.job_id, self.owner, self.ctx.settings.job_lease_seconds
                ):
                    self.lost = True
                    log.warning("job %s: lease lost to another worker", self.job_id)
                    return
            except (OperationalError, DBAPIError) as exc:
                log.warning("job %s: could not renew lease: %s", self.job_id, exc)


def job_time_limit(settings: Settings, kind: JobKind) -> int:
    """Seconds a job of this kind may run: a proxy of a long recording takes hours."""
    if kind == JobKind.MAKE_PROXY:
        return settings.proxy_timeout_seconds
    return settings.job_timeout_seconds


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise JobTimeoutError("processing took longer than the job time limit")


def run_job(ctx: Context, job: queue.ClaimedJob, owner: str) -> None:
    """Run one claimed job and record its outcome; never raises for the job's own errors."""
    keeper = LeaseKeeper(ctx, job.id, owner)
    keeper.start()
    use_alarm = threading.current_thread() is threading.main_thread()
    if use_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(job_time_limit(ctx.settings, job.kind))
    try:
        HANDLERS[job.kind](ctx, job)
    except Exception as exc:
        reason, transient = classify_error(exc)
        if not transient and not isinstance(exc, IngestError | JobTimeoutError):
            log.exception("job %s (%s, asset %s) failed", job.id, job.kind, job.asset_id)
        queue.fail(
            ctx.catalog,
            job.id,
            owner,
            reason,
            transient=transient,
            retry_base_seconds=ctx.settings.job_retry_base_seconds,
        )
    else:
        queue.complete(ctx.catalog, job.id, owner)
    finally:
        if use_alarm:
            signal.alarm(0)
        keeper.finished.set()
        keeper.join()


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class LoopOptions:
    until_idle: bool = False
    max_jobs: int | None = None


def work_loop(
    ctx: Context,
    options: LoopOptions,
    stop: threading.Event,
    on_job: Callable[[float], None] | None = None,
) -> int:
    """Claim and run jobs until stopped (or idle, or max_jobs); returns jobs run."""
    owner, ran, poll = make_owner(), 0, POLL_MIN
    settings = ctx.settings
    while not stop.is_set():
        if options.max_jobs is not None and ran >= options.max_jobs:
            break
        try:
            job = queue.claim(ctx.catalog, owner, settings.job_lease_seconds)
            if job is None:
                if options.until_idle and not queue.has_pending_work(ctx.catalog):
                    break
                stop.wait(poll)
                poll = min(poll * 2, POLL_MAX)
                continue
        except (OperationalError, DBAPIError) as exc:
            log.warning("catalog unavailable, waiting: %s", exc)
            stop.wait(POLL_MAX)
            continue
        poll = POLL_MIN
        if on_job:  # the supervisor kills this process if the job is still running past this
            on_job(time.time() + job_time_limit(settings, job.kind) + WATCHDOG_GRACE_SECONDS)
        run_job(ctx, job, owner)
        if on_job:
            on_job(0.0)
        ran += 1
    return ran


def _child_main(settings: Settings, options: LoopOptions, slots: Any, index: int) -> None:
    """Entry point of one worker process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    ctx = open_context(settings, check=False)  # the supervisor checked the schema

    def mark(deadline: float) -> None:
        slots[index] = deadline

    try:
        work_loop(ctx, options, stop, on_job=mark)
    finally:
        ctx.close()


class Supervisor:
    """Starts worker processes, replaces dead ones, kills ones stuck past the time limit."""

    def __init__(self, settings: Settings, processes: int, options: LoopOptions) -> None:
        self.settings, self.count, self.options = settings, processes, options
        self.mp = mp.get_context("spawn")
        self.slots = self.mp.Array("d", processes, lock=False)
        self.children: list[Any] = [None] * processes
        self.stopping = False
        self.restarts = 0

    def _start(self, index: int) -> None:
        self.slots[index] = 0.0
        proc = self.mp.Process(
            target=_child_main,
            args=(self.settings, self.options, self.slots, index),
            name=f"dam-worker-{index}",
            daemon=False,
        )
        proc.start()
        self.children[index] = proc

    def stop(self, *_: Any) -> None:
        self.stopping = True
        for proc in self.children:
            if proc is not None and proc.is_alive():
                proc.terminate()

    def run(self) -> int:
        """Run until every worker finished (until_idle) or stop() was called; returns restarts."""
        for i in range(self.count):
            self._start(i)
        while True:
            alive = 0
            for i, proc in enumerate(self.children):
                proc.join(timeout=0)
                if proc.is_alive():
                    alive += 1
                    deadline = self.slots[i]
                    if deadline and time.time() > deadline:
                        log.error("worker %s stuck past its job's time limit: killing it", proc.pid)
                        proc.kill()
                    continue
                if self.stopping or (self.options.until_idle and proc.exitcode == 0):
                    continue
                log.error("worker %s exited with %s: starting another", proc.pid, proc.exitcode)
                self.restarts += 1
                self._start(i)
                alive += 1
            if alive == 0:
                return self.restarts
            time.sleep(0.5)


def run_workers(
    settings: Settings, processes: int | None = None, *, until_idle: bool = False
) -> int:
    """Run the worker pool here (as its supervisor); returns how many workers were replaced."""
    sup = Supervisor(settings, processes or settings.workers, LoopOptions(until_idle=until_idle))
    previous = {sig: signal.signal(sig, sup.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return sup.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sup.stop()
        for proc in sup.children:
            if proc is not None:
                proc.join(timeout=30)
