"""Child processes that do not outlive their parent: the kernel's parent-death signal, or a watch.

A worker's children (decoding steps, ffmpeg) ask the kernel to kill them when the worker dies
(``die_with_parent``). A worker process itself watches its supervisor (``watch_parent``): when
`dam serve` or `dam worker` is killed with SIGKILL, its workers give their jobs back and stop
within a second instead of running on as orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_INTERVAL = 0.25


def die_with_parent(parent: int | None = None, signum: int = signal.SIGKILL) -> None:
    """Have the kernel send ``signum`` to this process when its parent dies (Linux only).

    With ``parent`` given, a parent that died before the request was made is noticed too.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: other limits still hold
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signum)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signum)


def watch_parent(
    parent: int, on_gone: Callable[[], None], interval: float = WATCH_INTERVAL
) -> threading.Thread:
    """Call ``on_gone`` (in a daemon thread) once process ``parent`` is no longer our parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        log.warning("process %d: its parent %d is gone", os.getpid(), parent)
        on_gone()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
