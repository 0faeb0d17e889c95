"""Worker processes keep freed buffers for the next photo (ingest.allocator), unless told not to."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from ingest import allocator

ASK = "from ingest.allocator import keep_freed_memory; print(keep_freed_memory())"


def _ask(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", ASK], env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip()


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_thresholds_are_set_in_a_glibc_process() -> None:
    env = {k: v for k, v in os.environ.items() if k not in allocator.ENVIRONMENT}
    assert _ask(env) == "True"


def test_thresholds_chosen_in_the_environment_are_left_alone() -> None:
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": str(1 << 20)}
    assert _ask(env) == "False"
