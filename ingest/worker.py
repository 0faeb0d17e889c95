"""Workers: processes that claim jobs from the catalog, run them, and survive bad files.

``run_workers`` starts N worker processes and watches them: a process that dies (a segfault in a
decoder, SIGKILL, OOM) is replaced, and one stuck on a job past its time limit is killed and
replaced. The job it held is not lost: its lease expires and a worker claims it again, up to the
job's maximum tries, after which the job and its asset are recorded as failed with the reason.

A job that meets transient trouble (``dam.faults``: store, catalog or disk unavailable) is put
back with a capped backoff and keeps its tries, and its worker pauses as long before the next
claim. Worker processes stop when their supervisor dies (even by SIGKILL), giving their job
back, and work in a temporary folder that the next worker removes if they were killed
(``ingest.scratch``).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from dam import queue
from dam.config import Settings
from dam.context import Context, open_context
from dam.enums import JobKind, JobState
from dam.errors import IngestError
from dam.faults import classify, is_catalog_error
from dam.queue_bell import JobBell
from ingest.allocator import keep_freed_memory
from ingest.lifeline import watch_parent
from ingest.pipeline import process_asset
from ingest.renditions import warm_up
from ingest.scratch import close_scratch, open_scratch

log = logging.getLogger(__name__)

# An idle worker is woken by the queue's bell (dam.queue_bell) as soon as work is queued, and
# claims at least this often anyway (jobs put back for later fall due silently).
POLL_MIN, POLL_MAX = 0.05, 0.5
_STOPPING: list[threading.Event] = []  # this worker process's stop event, once it has one


def is_stopping() -> bool:
    """True once this worker process was asked to stop: a long job may end early (and give
    back what it has not finished) instead of holding the shutdown."""
    return any(event.is_set() for event in _STOPPING)
WATCHDOG_GRACE_SECONDS = 30


class JobTimeoutError(IngestError):
    """A job ran past job_timeout_seconds (a permanent failure: it would time out again)."""


def run_process_asset(ctx: Context, job: queue.ClaimedJob) -> bool | None:
    if job.asset_id is None:
        return None
    completion = queue.Completion(job.id, job.owner) if job.owner else None
    process_asset(ctx, job.asset_id, completion=completion)
    return completion.done if completion is not None else None


def run_make_proxy(ctx: Context, job: queue.ClaimedJob) -> None:
    from ingest.proxy import make_proxy  # loads FFmpeg's libraries only where proxies are made

    if job.asset_id is not None:
        make_proxy(ctx, job.asset_id)


def run_find_faces(ctx: Context, job: queue.ClaimedJob) -> None:
    from ingest.faces import run_find_faces_job  # loads dlib only where faces are looked for

    run_find_faces_job(ctx, job)


def run_ocr_pages(ctx: Context, job: queue.ClaimedJob) -> None:
    from ingest.ocr_job import run_ocr_job  # loads Tesseract only where pages are read

    run_ocr_job(ctx, job)


#: A handler returns None, and the worker then marks the job done; or, having marked it done
#: itself in the transaction that recorded its work (``queue.complete_in``), whether it could
#: (False: another worker had taken the job over).
JobHandler = Callable[[Context, queue.ClaimedJob], bool | None]
HANDLERS: dict[JobKind, JobHandler] = {
    JobKind.PROCESS_ASSET: run_process_asset,
    JobKind.MAKE_PROXY: run_make_proxy,
    JobKind.FIND_FACES: run_find_faces,
    JobKind.OCR_PAGES: run_ocr_pages,
}


def handler_for(kind: JobKind) -> JobHandler:
    """The function that runs jobs of ``kind``: ingest's own, or one another package declares
    in the ``dam.jobs`` entry point group (publish runs the gallery), so ingest imports none."""
    if kind not in HANDLERS:
        for entry in entry_points(group="dam.jobs", name=kind.value):
            HANDLERS[kind] = entry.load()
    try:
        return HANDLERS[kind]
    except KeyError:
        raise IngestError(f"no handler for jobs of kind {kind.value!r}") from None


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
            except Exception as exc:
                if not is_catalog_error(exc):
                    raise
                log.warning("job %s: could not renew lease: %s", self.job_id, exc)


def job_time_limit(settings: Settings, kind: JobKind) -> int:
    """Seconds a job of this kind may run: a proxy of a long recording takes hours."""
    if kind == JobKind.MAKE_PROXY:
        return settings.proxy_timeout_seconds
    return settings.job_timeout_seconds


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise JobTimeoutError("processing took longer than the job time limit")


def run_job(
    ctx: Context, job: queue.ClaimedJob, owner: str, stop: threading.Event | None = None
) -> JobState | None:
    """Run one claimed job and record its outcome; never raises for the job's own errors.

    Returns the job's new state (None if another worker took it over meanwhile).
    """
    if job.owner != owner:
        job = dataclasses.replace(job, owner=owner)
    keeper = LeaseKeeper(ctx, job.id, owner)
    keeper.start()
    use_alarm = threading.current_thread() is threading.main_thread()
    if use_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(job_time_limit(ctx.settings, job.kind))
    try:
        finished = handler_for(job.kind)(ctx, job)
    except Exception as exc:
        if use_alarm:
            signal.alarm(0)
        fault = classify(exc, ctx.store)
        if not fault.transient and not isinstance(exc, IngestError):
            log.exception("job %s (%s, asset %s) failed", job.id, job.kind, job.asset_id)
        settings = ctx.settings
        return _record(ctx, stop, lambda: queue.fail(
            ctx.catalog, job.id, owner, fault.reason, transient=fault.transient,
            retry_base_seconds=settings.job_retry_base_seconds,
            retry_max_seconds=settings.job_retry_max_seconds,
        ))
    else:
        if use_alarm:
            signal.alarm(0)
        if finished is None:
            finished = _record(ctx, stop, lambda: queue.complete(ctx.catalog, job.id, owner))
        return JobState.DONE if finished else None
    finally:
        if use_alarm:
            signal.alarm(0)
        keeper.finished.set()
        keeper.join()


def _record(ctx: Context, stop: threading.Event | None, write: Callable[[], Any]) -> Any:
    """Write a job's outcome, waiting out a catalog outage (else its try would be lost)."""
    settings, retries = ctx.settings, 0
    while True:
        try:
            return write()
        except Exception as exc:
            if not is_catalog_error(exc) or (stop is not None and stop.is_set()):
                raise
            retries += 1
            delay = queue.retry_delay(
                settings.job_retry_base_seconds, settings.job_retry_max_seconds, retries
            )
            log.warning("catalog unavailable, recording the job's outcome in %.1f s: %s",
                        delay, exc)
            time.sleep(delay)


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class LoopOptions:
    until_idle: bool = False
    max_jobs: int | None = None


@dataclass
class Shift:
    """A worker's name on its leases (its parent watch gives back what it holds)."""

    owner: str = field(default_factory=make_owner)


def work_loop(
    ctx: Context,
    options: LoopOptions,
    stop: threading.Event,
    on_job: Callable[[float], None] | None = None,
    shift: Shift | None = None,
) -> int:
    """Claim and run jobs until stopped (or idle, or max_jobs); returns jobs run.

    After a transient failure the worker waits (doubling, capped) before its next claim, so an
    outage is not met with a storm of doomed tries; a success resets the wait. Just after a
    catalog outage, it leaves jobs with a lapsed lease alone for a lease period: their workers
    were cut off too and are about to renew them.
    """
    shift = shift or Shift()
    bell = JobBell(ctx.catalog)
    try:
        return _work(ctx, options, stop, on_job, shift, bell)
    finally:
        bell.close()


def _work(
    ctx: Context,
    options: LoopOptions,
    stop: threading.Event,
    on_job: Callable[[float], None] | None,
    shift: Shift,
    bell: JobBell,
) -> int:
    ran, poll, trouble, quiet_until = 0, POLL_MIN, 0, 0.0
    settings = ctx.settings
    while not stop.is_set():
        if options.max_jobs is not None and ran >= options.max_jobs:
            break
        try:
            bell.mark()  # what is queued after this wakes the wait below
            job = queue.claim(ctx.catalog, shift.owner, settings.job_lease_seconds,
                              take_over=time.monotonic() >= quiet_until)
            if job is None:
                if options.until_idle and not queue.has_pending_work(ctx.catalog):
                    break
                poll = POLL_MIN if bell.wait(poll, stop) else min(poll * 2, POLL_MAX)
                continue
        except Exception as exc:
            if not is_catalog_error(exc):
                raise
            log.warning("catalog unavailable, waiting: %s", exc)
            quiet_until = time.monotonic() + settings.job_lease_seconds
            stop.wait(POLL_MAX)
            continue
        poll = POLL_MIN
        if on_job:  # the supervisor kills this process if the job is still running past this
            on_job(time.time() + job_time_limit(settings, job.kind) + WATCHDOG_GRACE_SECONDS)
        state = run_job(ctx, job, shift.owner, stop)
        if on_job:
            on_job(0.0)
        ran += 1
        trouble = trouble + 1 if state == JobState.QUEUED else 0
        if trouble:
            stop.wait(queue.retry_delay(settings.job_retry_base_seconds,
                                        settings.job_retry_max_seconds, trouble))
    return ran


def _child_main(
    settings: Settings, options: LoopOptions, slots: Any, index: int, parent: int
) -> None:
    """Entry point of one worker process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    stop = threading.Event()
    _STOPPING.append(stop)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    if settings.worker_nice and hasattr(os, "nice"):
        os.nice(settings.worker_nice)  # renditions wait for pages and searches, not the reverse
    scratch = open_scratch(settings.data_dir)
    keep_freed_memory()  # before the first photo's buffers (ingest.allocator)
    warm_up()
    ctx = open_context(settings, check=False)  # the supervisor checked the schema
    shift = Shift()
    watch_parent(parent, lambda: _orphaned(ctx, shift, stop, scratch))

    def mark(deadline: float) -> None:
        slots[index] = deadline

    try:
        work_loop(ctx, options, stop, on_job=mark, shift=shift)
    finally:
        ctx.close()
        close_scratch(scratch)


def _orphaned(ctx: Context, shift: Shift, stop: threading.Event, scratch: Any) -> None:
    """The supervisor died (SIGKILL, OOM): give the job back untried and stop at once.

    Every job on this worker's lease is released, not only ``shift.job``: one may have been
    claimed a moment ago. Decoding steps and ffmpeg die with this process
    (``ingest.lifeline.die_with_parent``).
    """
    stop.set()  # no new claims
    for wait in (0.0, 0.2, 0.5, 1.0, 2.0):  # the main thread may hold the catalog's write lock
        time.sleep(wait)
        try:
            queue.release(ctx.catalog, shift.owner)
            break
        except Exception as exc:  # noqa: BLE001 - stopping anyway; a lease left will lapse
            log.warning("could not give the job back: %s", exc)
    close_scratch(scratch)
    logging.shutdown()
    os._exit(0)


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
            args=(self.settings, self.options, self.slots, index, os.getpid()),
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
