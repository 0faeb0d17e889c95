"""``dam import folders ROOT``: an old archive's year/month/event folder tree becomes batches.

Each event folder (the first folder below the year and month folders that is neither) becomes
one batch tagged with the event, date and place its name gives (ingest/folder_names.py declares
the patterns), and every file under it, sub-folders included, goes through the normal intake.
Files lying directly in a year or month folder (or in ROOT) become a batch of their own with no
event. :func:`plan_folders` only reads the tree, so the dry run shows exactly what would happen.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from dam.catalog import BatchInfo, IntakeResult
from dam.context import Context
from ingest.batching import BatchReport, ingest_paths
from ingest.discover import SYSTEM_FILES, find_files
from ingest.folder_names import read_event, read_month, read_year


@dataclass(frozen=True)
class FolderPlan:
    """One batch to be: the folder, what its name says, and how many files it holds."""

    path: Path
    relative: str
    event: str | None
    event_date: dt.date | None
    place: str | None
    files: int
    recursive: bool  # an event folder takes its sub-folders; a year/month folder only its files
    notes: list[str] = field(default_factory=list)  # what the dry run should point out


def _files_here(folder: Path) -> int:
    try:
        return sum(1 for e in os.scandir(folder) if e.is_file() and not _hidden(e.name))
    except OSError:
        return 0


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in SYSTEM_FILES


def _count(folder: Path) -> int:
    return sum(1 for f in find_files([folder], recursive=True) if f.problem is None)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder)
                      if e.is_dir() and not _hidden(e.name))
    except OSError:
        return []


def plan_folders(root: Path) -> list[FolderPlan]:
    """What each folder under ``root`` becomes, in the tree's order; nothing is written."""
    year = read_year(root.name)  # ROOT may itself be a year's folder (.../2019)
    return list(_plan(root, root, year, None))


def _plan(root: Path, folder: Path, year: int | None, month: int | None
          ) -> Iterator[FolderPlan]:
    loose = _files_here(folder)
    if loose:
        note = [] if folder == root else ["files beside the event folders: a batch with no event"]
        yield FolderPlan(folder, _relative(root, folder), None, None, None, loose, False, note)
    for sub in _subfolders(folder):
        if year is None and (found_year := read_year(sub.name)) is not None:
            yield from _plan(root, sub, found_year, None)
        elif year is not None and month is None and (found := read_month(sub.name)) is not None:
            yield from _plan(root, sub, year, found)
        else:
            yield _event_plan(root, sub, year, month)


def _event_plan(root: Path, folder: Path, year: int | None, month: int | None) -> FolderPlan:
    name = read_event(folder.name, year)
    notes = [name.problem] if name.problem else []
    if name.date is None and not name.problem:
        notes.append("no date in the folder name: the batch has no date")
    elif name.date is not None and year is not None and (
            name.date.year != year or (month is not None and name.date.month != month)):
        notes.append(f"the date {name.date.isoformat()} is not in the year/month folder above")
    return FolderPlan(folder, _relative(root, folder), name.event, name.date, name.place,
                      _count(folder), True, notes)


def _relative(root: Path, folder: Path) -> str:
    rel = folder.relative_to(root).as_posix()
    return "." if rel == "." else rel


def describe_plan(plans: list[FolderPlan]) -> list[str]:
    """The dry run's lines: each folder, then what its batch would carry."""
    lines = []
    for p in plans:
        lines.append(f"{p.relative}/  ({p.files} file{'s' if p.files != 1 else ''})")
        lines.append(f"    event: {p.event or '-'}")
        lines.append(f"    date:  {p.event_date.isoformat() if p.event_date else '-'}")
        lines.append(f"    place: {p.place or '-'}")
        lines += [f"    note:  {n}" for n in p.notes]
    files = sum(p.files for p in plans)
    lines.append(f"{len(plans)} batch(es), {files} file(s)")
    return lines


def import_folders(
    ctx: Context,
    plans: list[FolderPlan],
    base: BatchInfo,
    on_batch: Callable[[FolderPlan, BatchReport], None] | None = None,
    on_result: Callable[[IntakeResult], None] | None = None,
) -> list[BatchReport]:
    """Ingest each planned folder as one batch (folders without files are skipped)."""
    reports = []
    for plan in plans:
        if not plan.files:
            continue
        info = replace(base, event=plan.event or base.event,
                       event_date=plan.event_date or base.event_date,
                       place=plan.place or base.place)
        report = ingest_paths(ctx, [plan.path], info, recursive=plan.recursive,
                              on_result=on_result)
        reports.append(report)
        if on_batch:
            on_batch(plan, report)
    return reports
