"""`dam import folders ROOT` and `dam import sheet FILE`: bringing in the old archive."""

from __future__ import annotations

from pathlib import Path

import click

from dam.catalog import BatchInfo
from dam.cli import get_context
from dam.context import Context
from dam.curation.actor import shell_actor
from dam.curation.sheet_import import (
    SheetImportError,
    SheetPlan,
    apply_plan,
    load_mapping,
    plan_sheet,
)
from dam.enums import IntakeOutcome
from dam.sheets import SheetReadError, read_sheets
from ingest.batching import BatchReport
from ingest.folder_import import FolderPlan, describe_plan, import_folders, plan_folders


@click.group("import")
def import_group() -> None:
    """Bring in the old archive: a folder tree as batches, a catalogue spreadsheet as metadata."""


@import_group.command("folders")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what each folder becomes; change nothing.")
@click.option("--area", help="Area of government (área) for every batch.")
@click.option("--photographer", help="Photographer (fotógrafo/a) for every batch.")
@click.option("--by", "created_by", help="Who hands the files in.")
@click.pass_context
def folders(ctx: click.Context, root: Path, dry_run: bool, area: str | None,
            photographer: str | None, created_by: str | None) -> None:
    """A year/month/event folder tree: one batch per event folder (see README for the names)."""
    plans = plan_folders(root.resolve())
    if dry_run:
        for line in describe_plan(plans):
            click.echo(line)
        return
    context = get_context(ctx)
    base = BatchInfo(source="import", created_by=created_by or photographer, area=area,
                     photographer=photographer)

    def on_batch(plan: FolderPlan, report: BatchReport) -> None:
        click.echo(f"batch #{report.batch_id} {plan.relative}: "
                   f"{report.count(IntakeOutcome.NEW)} new, "
                   f"{report.count(IntakeOutcome.DUPLICATE)} duplicate, "
                   f"{report.count(IntakeOutcome.FAILED)} failed")
        for failure in report.failures:
            click.echo(f"  {failure.source_path}: {failure.error}")

    reports = import_folders(context, plans, base, on_batch=on_batch)
    click.echo(f"{len(reports)} batch(es); queued for processing: run `dam worker`")
    failed = sum(len(r.failures) for r in reports)
    if failed and failed == sum(len(r.results) for r in reports):
        ctx.exit(1)


def describe_sheet(plan: SheetPlan) -> list[str]:
    """The dry run of one sheet, for people: matched, unmatched, clashes, errors."""
    lines = [f"sheet {plan.name!r}: {plan.rows} rows, {len(plan.matched)} matched, "
             f"{len(plan.unmatched)} unmatched, {len(plan.conflicts)} conflicts, "
             f"{len(plan.errors)} errors; {plan.change_count} values to change on "
             f"{len(plan.changes)} items"]
    lines.append("  columns: " + ", ".join(f"{h} -> {f}" for h, f in plan.columns.items()))
    if plan.unknown_columns:
        lines.append("  columns not imported: " + ", ".join(plan.unknown_columns))
    lines += [f"  row {n}: unmatched {key!r}: {why}" for n, key, why in plan.unmatched]
    lines += [f"  row {c.row}: conflict on #{c.asset_id} {c.field}: archive has {c.current!r}, "
              f"sheet says {c.sheet!r} (kept; --overwrite replaces)" for c in plan.conflicts]
    lines += [f"  row {n}: error: {why}" for n, why in plan.errors]
    return lines


def _import_one(context: Context, sheet: object, mapping: dict[str, str] | None, source: str,
                dry_run: bool, overwrite: bool) -> SheetPlan:
    with context.catalog.write() as session:
        plan = plan_sheet(session, sheet, mapping, overwrite=overwrite)  # type: ignore[arg-type]
        if not dry_run:
            apply_plan(session, shell_actor(), plan, source)
        return plan


@import_group.command("sheet")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON or TOML file mapping other headers to fields.")
@click.option("--dry-run", is_flag=True, help="Show matches, unmatched rows and conflicts only.")
@click.option("--overwrite", is_flag=True, help="Replace values the archive already holds.")
@click.pass_context
def sheet(ctx: click.Context, file: Path, mapping: Path | None, dry_run: bool,
          overwrite: bool) -> None:
    """The old catalogue (.xlsx or .csv): captions, people, places, credits, rights by file."""
    context = get_context(ctx)
    try:
        columns = load_mapping(mapping) if mapping else None
        sheets = read_sheets(file)
    except (SheetReadError, SheetImportError) as exc:
        raise click.ClickException(str(exc)) from exc
    failed = 0
    for one in sheets:
        try:
            plan = _import_one(context, one, columns, file.name, dry_run, overwrite)
        except SheetImportError as exc:
            failed += 1
            click.echo(f"sheet {one.name!r}: NOT imported, nothing changed: {exc}", err=True)
            continue
        for line in describe_sheet(plan):
            click.echo(line)
        if plan.applied:
            click.echo(f"  imported: {plan.change_count} values on {len(plan.changes)} items")
    if failed:
        ctx.exit(1)
