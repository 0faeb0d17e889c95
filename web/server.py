"""Serving the web app with waitress: in this process, or in several sharing one socket.

One Python process runs one request at a time on the CPU (the GIL), so `dam serve` starts one
serving process per core by default. The parent binds the listening socket once and hands it
to each child; every child runs the whole app (its own catalog connections and search reader)
and takes connections from the shared socket, so an idle child answers first. The parent only
watches: a child that dies is replaced, and one that keeps dying at start stops the server.

Nothing a request relies on lives in one process only: sessions are signed cookies, sign-in
failures and upload offsets are in the catalog, and a running upload hash that another child
lacks is made up by reading the file once at completion.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
import time
from multiprocessing.connection import wait
from typing import Any

from dam.config import Settings

log = logging.getLogger(__name__)

MAX_AUTO_PROCESSES = 8
EARLY_EXIT_SECONDS = 10.0  # a child gone sooner than this after starting failed to start
MAX_EARLY_EXITS = 3
STOP_SECONDS = 30.0


class ServerError(RuntimeError):
    """The web server could not start or keep running."""


def process_count(settings: Settings, requested: int | None = None) -> int:
    """How many serving processes: as asked, else the setting; 0 means one per CPU core."""
    count = settings.web_processes if requested is None else requested
    if count <= 0:
        count = min(_usable_cores(), MAX_AUTO_PROCESSES)
    return max(1, count)


def _usable_cores() -> int:
    """Cores this process may run on (a container's CPU set), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    try:
        return socket.create_server((host, port), backlog=backlog,
                                    family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


# waitress reads a socket 8 KiB at a time by default: an upload chunk of a few megabytes took
# hundreds of turns of its loop (a few Python calls and a buffer write each), about a tenth of
# a serving process's CPU during an upload burst. 256 KiB reads take a 3 MB photo in a dozen.
RECV_BYTES = 256 * 1024


def _waitress(app: Any, sock: socket.socket, threads: int) -> Any:
    from waitress import create_server

    return create_server(app, sockets=[sock], threads=threads, ident="Acervo",
                         channel_timeout=300, recv_bytes=RECV_BYTES)


def serve_app(settings: Settings, sock: socket.socket, threads: int, index: int = 0) -> None:
    """The app, served in this process until KeyboardInterrupt (Ctrl-C, or SIGTERM made one)."""
    from web import create_app

    # The index has one writer per node: the first serving process follows the catalog (as it
    # runs the housekeeping); the others reopen their readers when the index changes. With every
    # process syncing, they took the writer lock in turn, each from where it had last been, and
    # re-indexed what the other had just done: about twice the indexing during an upload burst.
    app = create_app(settings, sync_search=index == 0)
    log.info("web process %d (pid %d) serving", index, os.getpid())
    housekeeper = _start_housekeeping(app, index)
    server = _waitress(app, sock, threads)
    try:
        server.run()
    finally:
        server.close()
        if housekeeper is not None:
            housekeeper.stop()
        app.extensions["acervo"].close()


def _start_housekeeping(app: Any, index: int) -> Any:
    """The node's housekeeping (web.housekeeping) runs in the first serving process only."""
    if index != 0:
        return None
    from web.housekeeping import Housekeeper

    housekeeper = Housekeeper(app.extensions["acervo"].ctx)
    housekeeper.start()
    return housekeeper


def interrupt_on_sigterm() -> None:
    """SIGTERM stops like Ctrl-C: a KeyboardInterrupt, so ``finally`` blocks close cleanly."""
    signal.signal(signal.SIGTERM, _interrupt)


_stop_reasons: list[str] = []


def stop_reason() -> str:
    """Why this process was asked to stop (a signal's name, or Ctrl-C when none was caught)."""
    return _stop_reasons[-1] if _stop_reasons else "interrupted (Ctrl-C)"


def _interrupt(signum: int, *_: Any) -> None:
    _stop_reasons.append(f"signal {signal.Signals(signum).name}")
    raise KeyboardInterrupt


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Stop (as on SIGTERM) if the parent goes away without stopping us (kill -9): an orphan
    would keep the port, and the next `dam serve` could not bind it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        log.warning("web process %d: the server's parent process is gone; stopping", os.getpid())
        _stop_reasons.append("the parent process is gone")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _child_main(settings: Settings, sock: socket.socket, threads: int, index: int) -> None:
    from web.logs import configure_logging

    interrupt_on_sigterm()
    configure_logging()
    _exit_with_parent(os.getppid())
    with contextlib.suppress(KeyboardInterrupt):
        serve_app(settings, sock, threads, index)


class ProcessGroup:
    """N serving processes on one socket, replaced when they die."""

    def __init__(self, settings: Settings, sock: socket.socket, count: int, threads: int) -> None:
        self.settings, self.sock, self.count, self.threads = settings, sock, count, threads
        self.mp = mp.get_context("spawn")  # nothing of this process (threads, connections) leaks
        self.children: list[Any] = [None] * count
        self.started: list[float] = [0.0] * count
        self.early_exits = 0

    def _start(self, index: int) -> None:
        child = self.mp.Process(target=_child_main, name=f"dam-web-{index}",
                                args=(self.settings, self.sock, self.threads, index))
        child.start()
        self.children[index], self.started[index] = child, time.monotonic()

    def start(self) -> None:
        for index in range(self.count):
            self._start(index)

    def watch(self) -> None:
        """Replace children that die; returns never (stop with KeyboardInterrupt)."""
        while True:
            wait([c.sentinel for c in self.children], timeout=1.0)
            for index, child in enumerate(self.children):
                if child.exitcode is None:
                    continue
                lived = time.monotonic() - self.started[index]
                self.early_exits = self.early_exits + 1 if lived < EARLY_EXIT_SECONDS else 0
                if self.early_exits >= MAX_EARLY_EXITS:
                    raise ServerError(f"web process {index} keeps exiting at start "
                                      f"(exit code {child.exitcode}): see the log above")
                log.error("web process %d (pid %s) exited with %s: starting another", index,
                          child.pid, child.exitcode)
                self._start(index)

    def stop(self) -> None:
        for child in self.children:
            if child is not None and child.exitcode is None:
                child.terminate()  # SIGTERM: the child finishes its requests and closes
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.children:
            if child is None:
                continue
            child.join(max(0.0, deadline - time.monotonic()))
            if child.exitcode is None:
                log.warning("web process pid %s did not stop in time: killing it", child.pid)
                child.kill()
                child.join()
