"""Ingesting a set of paths as one batch, reporting each file's outcome as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dam.catalog import BatchInfo, IntakeResult, create_batch, record_failure
from dam.context import Context
from dam.enums import IntakeOutcome
from ingest.discover import find_files
from ingest.intake import display_name, intake_file


@dataclass
class BatchReport:
    batch_id: int
    results: list[IntakeResult] = field(default_factory=list)

    def count(self, outcome: IntakeOutcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failures(self) -> list[IntakeResult]:
        return [r for r in self.results if r.outcome == IntakeOutcome.FAILED]


def ingest_paths(
    ctx: Context,
    paths: list[Path],
    info: BatchInfo,
    *,
    recursive: bool = False,
    exclude: tuple[str, ...] = (),
    on_found: Callable[[int], None] | None = None,
    on_result: Callable[[IntakeResult], None] | None = None,
) -> BatchReport:
    """Take in every file under ``paths`` as one batch; never stops on a bad file."""
    found = list(find_files(paths, recursive=recursive, exclude=exclude))
    if on_found:
        on_found(len(found))
    report = BatchReport(batch_id=create_batch(ctx.catalog, info))
    for item in found:
        if item.problem:
            result = record_failure(
                ctx.catalog, report.batch_id, str(item.path), display_name(item.path), item.problem
            )
        else:
            result = intake_file(ctx, report.batch_id, item.path)
        report.results.append(result)
        if on_result:
            on_result(result)
    return report
