"""Hot folder: files that stop growing are ingested with the folder's batch settings, once only.

A file is taken when its size and modification time have not changed for ``settle`` seconds.
What was taken is recorded in the catalog (folder, relative path, size, mtime), so a restart of
the watcher never takes a file twice; a changed file (new size or mtime) is taken again, and if
its bytes are the same it is reported as a duplicate of the asset it already is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from dam.catalog import BatchInfo, IntakeResult, create_batch
from dam.context import Context
from dam.models import IntakeItem, WatchedFile
from ingest.discover import find_files
from ingest.intake import intake_file

log = logging.getLogger(__name__)


@dataclass
class HotFolder:
    ctx: Context
    folder: Path
    info: BatchInfo
    settle_seconds: float
    batch_id: int | None = None
    _seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)

    def _already_taken(self, rel: str, size: int, mtime_ns: int) -> bool:
        with self.ctx.catalog.read() as session:
            query = select(WatchedFile.id).where(
                WatchedFile.folder == str(self.folder),
                WatchedFile.relative_path == rel,
                WatchedFile.byte_size == size,
                WatchedFile.mtime_ns == mtime_ns,
            )
            return session.scalars(query).first() is not None

    def _remember(self, rel: str, size: int, mtime_ns: int, result: IntakeResult) -> None:
        with self.ctx.catalog.write() as session:
            item_id = session.scalars(
                select(IntakeItem.id)
                .where(
                    IntakeItem.batch_id == self.batch_id,
                    IntakeItem.source_path == result.source_path,
                )
                .order_by(IntakeItem.id.desc())
            ).first()
            session.add(
                WatchedFile(
                    folder=str(self.folder),
                    relative_path=rel,
                    byte_size=size,
                    mtime_ns=mtime_ns,
                    intake_item_id=item_id,
                )
            )

    def scan_once(self, now: float | None = None) -> list[IntakeResult]:
        """Look once; take the files that have settled. Returns what was taken."""
        now = time.time() if now is None else now
        taken: list[IntakeResult] = []
        for found in find_files([self.folder], recursive=True):
            if found.problem:
                continue
            try:
                st = found.path.stat()
            except OSError:
                continue
            sig = (st.st_size, st.st_mtime_ns)
            prev = self._seen.get(found.path)
            if prev is None or prev[:2] != sig:
                self._seen[found.path] = (*sig, now)
                continue
            if now - prev[2] < self.settle_seconds or st.st_size == 0:
                continue
            rel = found.path.relative_to(self.folder).as_posix()
            if self._already_taken(rel, *sig):
                continue
            if self.batch_id is None:
                self.batch_id = create_batch(self.ctx.catalog, self.info)
            result = intake_file(self.ctx, self.batch_id, found.path)
            self._remember(rel, *sig, result)
            taken.append(result)
        return taken

    def run(
        self,
        stop: threading.Event,
        poll_seconds: float = 1.0,
        on_result: Callable[[IntakeResult], None] | None = None,
    ) -> None:
        while not stop.is_set():
            for result in self.scan_once():
                if on_result:
                    on_result(result)
            stop.wait(poll_seconds)
