"""Worker processes yield the CPU to the web: they run at the niceness `worker_nice` asks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from dam.errors import ConfigError
from ingest.worker import LoopOptions, Supervisor
from tests.conftest import init_catalog, make_settings


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_workers_run_at_the_niceness_asked_and_the_web_keeps_its_own(tmp_path: Path) -> None:
    mine = os.nice(0)
    settings = make_settings(tmp_path, worker_nice=10)
    init_catalog(settings)
    supervisor = Supervisor(settings, 2, LoopOptions())
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    found: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each child lowers itself first thing
            pids = [p.pid for p in supervisor.children if p is not None and p.pid]
            found = [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids]
            if len(found) == 2 and all(n != mine for n in found):
                break
            time.sleep(0.1)
    finally:
        supervisor.stop()
        thread.join(timeout=30)
    assert found == [min(19, mine + 10)] * 2
    assert os.nice(0) == mine  # the serving process is untouched


def test_niceness_is_checked() -> None:
    with pytest.raises(ConfigError, match="worker_nice"):
        make_settings(Path("/tmp"), worker_nice=20)
