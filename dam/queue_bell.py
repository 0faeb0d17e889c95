"""The queue's bell: wakes an idle worker as soon as the catalog may hold new work.

An idle worker used to find new jobs only at its next poll, up to ``POLL_MAX`` (half a second)
after they were queued: a batch of photos waited that long before any processing began. Now it
waits on a bell between claims, and still claims at least every ``POLL_MAX`` (jobs put back for
later fall due without anyone writing):

* SQLite: ``PRAGMA data_version`` on a connection of its own changes whenever another connection
  commits a change to the catalog file; it is read every 10 ms at first, then every
  ``SQLITE_STEP_MAX`` while nothing changes (a few microseconds each).
* PostgreSQL: ``LISTEN``; ``dam.queue.enqueue`` sends a ``NOTIFY`` in the transaction that queues
  the job, delivered when it commits.

A ring only means "try to claim": a spurious one costs a claim that finds nothing. A bell that
fails (the catalog went away) falls back to plain sleeping and is opened again at the next wait.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import text

from dam.db import Catalog

log = logging.getLogger(__name__)

CHANNEL = "dam_jobs"
SQLITE_STEP_MIN, SQLITE_STEP_MAX = 0.01, 0.05


class JobBell:
    """Waits until the catalog may hold new work, another process having committed to it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.dialect = catalog.engine.dialect.name
        self._conn: Any = None
        self._seen: Any = None

    def mark(self) -> None:
        """Call just before looking for work: what changes after this rings the next wait."""
        try:
            self._seen = self._read()
        except Exception as exc:  # noqa: BLE001 - the bell is an optimisation; polling remains
            self._broken(exc)

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Wait up to ``timeout`` seconds (less if ``stop`` is set); True if the bell rang."""
        deadline = time.monotonic() + timeout
        try:
            if self.dialect == "sqlite" and self._usable_sqlite():
                return self._wait_sqlite(deadline, stop)
            if self.dialect == "postgresql":
                return self._wait_postgres(deadline, stop)
        except Exception as exc:  # noqa: BLE001 - the bell is an optimisation; polling remains
            self._broken(exc)
        stop.wait(max(deadline - time.monotonic(), 0.0))
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:  # noqa: BLE001 - closing a broken connection
                log.debug("closing the job bell: %s", exc)
            self._conn = None
        self._seen = None

    # -- SQLite ---------------------------------------------------------------------------------

    def _usable_sqlite(self) -> bool:
        database = self.catalog.engine.url.database
        return bool(database) and database != ":memory:"  # one connection per memory database

    def _wait_sqlite(self, deadline: float, stop: threading.Event) -> bool:
        step = SQLITE_STEP_MIN
        while not stop.is_set():
            version = self._read()
            if self._seen is not None and version != self._seen:
                self._seen = version
                return True
            self._seen = version
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            stop.wait(min(step, left))
            step = min(step * 2, SQLITE_STEP_MAX)
        return False

    # -- PostgreSQL -----------------------------------------------------------------------------

    def _wait_postgres(self, deadline: float, stop: threading.Event) -> bool:
        self._connection()
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # Slices, so that a stopping worker is not held up to ``timeout``.
            for _ in self._conn.notifies(timeout=min(left, 0.1), stop_after=1):
                return True
        return False

    # -- shared ---------------------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            raw = self.catalog.engine.raw_connection()
            conn = raw.driver_connection
            raw.detach()  # ours alone for the worker's life, never back in the pool
            if self.dialect == "postgresql":
                conn.autocommit = True
                conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        return self._conn

    def _read(self) -> Any:
        """SQLite: the data version. PostgreSQL: drains the notifications already received (the
        claim that follows sees their jobs), so the next wait rings only for later ones."""
        if self.dialect == "sqlite":
            if not self._usable_sqlite():
                return None
            cursor = self._connection().cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return cursor.fetchone()[0]
            finally:
                cursor.close()
        if self.dialect == "postgresql":
            conn = self._connection()
            return any(True for _ in conn.notifies(timeout=0))  # drain what came before
        return None

    def _broken(self, exc: BaseException) -> None:
        log.debug("job bell unavailable, polling instead: %s", exc)
        self.close()


def ring(session: Any) -> None:
    """Ring the bell when ``session``'s transaction commits (PostgreSQL; SQLite needs nothing)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
