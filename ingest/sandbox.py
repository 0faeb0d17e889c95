"""Running one decoding step in a forked child process, with a time limit and a memory limit.

Decoders (FFmpeg through PyAV, PDFium) are C code fed with files from outside: a crafted or
damaged file can make them spin, allocate without bound, or crash. Each step runs in a child
forked from the worker, whose address space may grow by at most ``memory_mb`` and which is
killed after ``timeout`` seconds; the worker gets the step's result, or an IngestError that says
what went wrong. A crash of the decoder is then a clear failure of one file, not a dead worker.
Forking costs a few milliseconds and needs no re-import, unlike a fresh interpreter.
"""

from __future__ import annotations

import faulthandler
import logging
import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from dam.errors import IngestError
from ingest.lifeline import die_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")
MIB = 1024 * 1024


class StepInterruptedError(IngestError):
    """The step was stopped on purpose (more urgent work came): nothing is wrong with the file."""

    def __init__(self, label: str) -> None:
        super().__init__(f"{label} was interrupted for more urgent work", transient=True)


def run_limited(
    func: Callable[..., T], *args: Any, label: str, timeout: float, memory_mb: int,
    interrupt: Callable[[], bool] | None = None, check_every: float = 1.0,
) -> T:
    """``func(*args)`` run in a child process; its result, or IngestError naming ``label``.

    ``func`` and its result must be picklable; IngestError raised in the child keeps its message
    and ``transient`` flag. ``interrupt``, asked every ``check_every`` seconds, may stop the
    child early (StepInterruptedError): a long, unhurried step gives way to urgent work.
    """
    context = mp.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(writer, func, args, memory_mb, os.getpid()),
        name=f"acervo-{label}",
    )
    started = time.monotonic()
    child.start()
    writer.close()
    grace = 0.5
    try:
        try:
            _wait_for(reader, timeout, label, interrupt, check_every)
        except StepInterruptedError:
            grace = 0.0  # its work is thrown away: no need to let it finish writing
            raise
        try:
            status, payload = reader.recv()
        except (EOFError, OSError):
            child.join(5)
            raise IngestError(f"{label} crashed ({_exit_reason(child.exitcode)})") from None
    finally:
        reader.close()
        _reap(child, grace)
    log.debug("%s took %.0f ms in a child process", label, (time.monotonic() - started) * 1000)
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    message, transient = payload
    raise IngestError(message, transient=transient)


def _wait_for(reader: Any, timeout: float, label: str, interrupt: Callable[[], bool] | None,
              check_every: float) -> None:
    """Until the child answers; IngestError past ``timeout``, or when ``interrupt`` says so."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise IngestError(f"{label} took longer than {timeout:g} s and was stopped")
        if reader.poll(min(left, check_every) if interrupt is not None else left):
            return
        if interrupt is not None and interrupt():
            raise StepInterruptedError(label)


def _child_main(
    writer: Any, func: Callable[..., Any], args: tuple[Any, ...], memory_mb: int, parent: int
) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)  # the worker's handlers do not apply here
    die_with_parent(parent)  # a killed worker leaves no decoder running
    faulthandler.disable()  # a decoder's crash is reported by the parent, once
    _limit_memory(memory_mb)
    try:
        result: tuple[str, Any] = ("ok", func(*args))
    except IngestError as exc:
        result = ("error", (str(exc), exc.transient))
    except MemoryError:
        result = ("error", (f"needs more than the {memory_mb} MiB allowed to decode it", False))
    except Exception as exc:  # noqa: BLE001 - the edge of the child: report, never hang
        log.exception("unexpected error in a decoding step")
        result = ("error", (f"internal error ({type(exc).__name__}): {exc}", False))
    try:
        writer.send(result)
    except MemoryError:
        writer.send(("error", ("the step's result is too large to hand back", False)))
    writer.close()


def _limit_memory(memory_mb: int) -> None:
    """Let the address space grow by ``memory_mb`` MiB from what the forked worker already maps."""
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = mapped + memory_mb * MIB
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError) as exc:  # not Linux: run without the limit rather than fail
        log.debug("cannot limit the memory of a decoding step: %s", exc)


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "no exit status"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


def _reap(child: Any, grace: float = 0.5) -> None:
    child.join(grace)
    if child.is_alive():
        child.kill()
        child.join(5)
    if not child.is_alive():
        child.close()
