"""The handover commands of `dam`: handover export/verify/import, backup, restore, catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from tqdm import tqdm

from dam.cli import get_context
from handover.export import ExportOptions, export_bag
from handover.importer import import_bag
from handover.payload import HandoverError
from handover.verify import verify_bag


def _bar(quiet: bool):  # type: ignore[no-untyped-def]
    def make(total: int):  # type: ignore[no-untyped-def]
        bar = tqdm(total=total, unit="B", unit_scale=True, disable=quiet, leave=False)
        return bar.update
    return make


@click.group()
def handover() -> None:
    """Entrega-recepción: the archive as a BagIt bag, checked, and taken in elsewhere."""


@handover.command("export")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (of the capture, else of the record).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--collection", "collection_id", type=int, help="Only this collection's assets.")
@click.option("--with-renditions", is_flag=True, help="Carry thumbnails and previews too.")
@click.option("--by", "made_by", help="Who makes the handover (default: the system user).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def export_cmd(ctx: click.Context, target: Path, date_from: dt.datetime | None,
               date_to: dt.datetime | None, collection_id: int | None, with_renditions: bool,
               made_by: str | None, quiet: bool) -> None:
    """Write the handover bag into TARGET (run again to finish an interrupted export)."""
    opts = ExportOptions(date_from.date() if date_from else None,
                         date_to.date() if date_to else None, collection_id, with_renditions)
    if made_by:
        opts.made_by = made_by
    s = export_bag(get_context(ctx), target, opts, progress=_bar(quiet))
    click.echo(f"bag {s.path}: {s.assets} assets ({s.restricted} restricted), {s.renditions} "
               f"renditions, {s.collections} collections, {s.consents} consent forms, "
               f"{s.audit_entries} audit entries; {s.files} files, {s.bytes} bytes"
               + (f" ({s.skipped} already in place)" if s.skipped else ""))


@handover.command("verify")
@click.argument("bag", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--fast", is_flag=True, help="Check counts and sizes only, not every hash.")
def verify_cmd(bag: Path, fast: bool) -> None:
    """Validate BAG (BagIt) and check its catalog files against its payload."""
    report = verify_bag(bag, fast=fast)
    for problem in report.problems:
        click.secho(f"  {problem}", fg="red", err=True)
    if report.problems:
        raise HandoverError(f"{bag}: {len(report.problems)} problem(s)")
    click.echo(f"bag {bag} is valid: {report.files} files, {report.assets} assets catalogued")


@handover.command("import")
@click.argument("bag", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def import_cmd(ctx: click.Context, bag: Path, quiet: bool) -> None:
    """Take BAG into this (empty) Acervo: originals into the store, catalog into the catalog."""
    with tqdm(unit="B", unit_scale=True, disable=quiet, leave=False) as bar:
        s = import_bag(get_context(ctx), bag, progress=bar.update)
    rows = ", ".join(f"{k} {v}" for k, v in (s.rows or {}).items())
    click.echo(f"imported {s.objects} files ({s.bytes} bytes); rows: {rows}\n"
               "run `dam search rebuild` so the search index knows them")


commands = [handover]
