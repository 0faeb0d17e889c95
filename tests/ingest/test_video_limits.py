"""The child-process limits every decoding step runs under: time, memory, crashes, errors."""

from __future__ import annotations

import os
import signal
import time

import pytest

from dam.errors import IngestError
from ingest.sandbox import run_limited


def _double(value: int) -> int:
    return value * 2


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _refuse() -> None:
    raise IngestError("unreadable on purpose", transient=True)


def _bug() -> None:
    raise ZeroDivisionError("oops")


def test_result_comes_back() -> None:
    assert run_limited(_double, 21, label="double", timeout=10, memory_mb=256) == 42


def test_a_step_past_its_time_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(IngestError, match="sleep took longer than 0.5 s"):
        run_limited(_sleep, 30, label="sleep", timeout=0.5, memory_mb=256)
    assert time.monotonic() - started < 10


def test_a_step_past_its_memory_fails_clearly() -> None:
    with pytest.raises(IngestError, match="more than the 256 MiB"):
        run_limited(_allocate, 2048, label="allocation", timeout=30, memory_mb=256)
    assert run_limited(_allocate, 64, label="allocation", timeout=30, memory_mb=256) > 0


def test_a_crash_is_a_failure_of_the_file_not_of_the_worker() -> None:
    with pytest.raises(IngestError, match="decoder crashed .*SIGSEGV"):
        run_limited(_crash, label="decoder", timeout=10, memory_mb=256)


def test_errors_keep_their_message_and_kind() -> None:
    with pytest.raises(IngestError, match="unreadable on purpose") as caught:
        run_limited(_refuse, label="step", timeout=10, memory_mb=256)
    assert caught.value.transient
    with pytest.raises(IngestError, match="internal error .ZeroDivisionError"):
        run_limited(_bug, label="step", timeout=10, memory_mb=256)
