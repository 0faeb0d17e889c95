"""Each worker's temporary files in one folder, removed when its worker is gone.

A worker process works in ``<data_dir>/tmp/worker-<pid>-<start>`` (``<start>`` is the process's
start time, so a reused pid is not mistaken for the old owner): proxy transcodes, storyboard and
PDF steps, originals copied out of S3. It is the process's temporary folder (``tempfile`` and
``$TMPDIR``, inherited by decoders and ffmpeg). A worker killed with SIGKILL cannot clean up, so
every worker, when it starts, removes the folders of workers that no longer run.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "worker-"


def scratch_root(data_dir: Path | str) -> Path:
    return Path(data_dir) / "tmp"


def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks after boot), or None when it is not running."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): the pid alone has to do
        return _pid_alive(pid)
    # Field 22; the command name (field 2) may hold spaces and parentheses: split after it.
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def _pid_alive(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "0"


def folder_name(pid: int) -> str:
    return f"{PREFIX}{pid}-{start_time(pid) or 0}"


def owner_running(name: str) -> bool:
    """Whether the worker that made folder ``name`` still runs (unknown names count as running)."""
    try:
        pid_text, tag = name.removeprefix(PREFIX).split("-", 1)
        pid = int(pid_text)
    except ValueError:
        return True
    now = start_time(pid)
    return now is not None and (now == tag or now == "0")


def remove_stale(root: Path) -> list[Path]:
    """Remove the folders under ``root`` of workers that no longer run; returns them."""
    try:
        entries = [e for e in root.iterdir() if e.name.startswith(PREFIX)]
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        if owner_running(entry.name):
            continue
        shutil.rmtree(entry, ignore_errors=True)  # another worker starting may remove it first
        log.info("removed the temporary folder %s of a worker that stopped", entry)
        removed.append(entry)
    return removed


def open_scratch(data_dir: Path | str) -> Path:
    """Clean up after dead workers, then make and use this process's temporary folder."""
    root = scratch_root(data_dir)
    remove_stale(root)
    folder = root / folder_name(os.getpid())
    folder.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    return folder


def close_scratch(folder: Path) -> None:
    """Stop using ``folder`` and remove it (at a clean stop of the worker)."""
    if tempfile.tempdir == str(folder):
        tempfile.tempdir = None
    shutil.rmtree(folder, ignore_errors=True)
