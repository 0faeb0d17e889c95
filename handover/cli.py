"""The handover commands of `dam`: handover export/verify/import, backup, restore, catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from tqdm import tqdm

from dam.backup import check_store, make_backup, restore_catalog
from dam.cli import get_context, get_settings
from dam.context import open_context
from handover.export import ExportOptions, export_bag
from handover.importer import import_bag
from handover.payload import HandoverError
from handover.s3target import is_s3_url, open_target
from handover.s3verify import verify_s3_bag
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
@click.argument("target")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (of the capture, else of the record).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--collection", "collection_id", type=int, help="Only this collection's assets.")
@click.option("--with-renditions", is_flag=True, help="Carry thumbnails and previews too.")
@click.option("--by", "made_by", help="Who makes the handover (default: the system user).")
@click.option("--s3-endpoint", help="S3 endpoint of an s3:// TARGET (default: the store's).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def export_cmd(ctx: click.Context, target: str, date_from: dt.datetime | None,
               date_to: dt.datetime | None, collection_id: int | None, with_renditions: bool,
               made_by: str | None, s3_endpoint: str | None, quiet: bool) -> None:
    """Write the handover bag into TARGET, a folder or s3://bucket/prefix (run again to finish
    an interrupted export: what is already there is skipped)."""
    opts = ExportOptions(date_from.date() if date_from else None,
                         date_to.date() if date_to else None, collection_id, with_renditions)
    if made_by:
        opts.made_by = made_by
    where: Path | str = target if is_s3_url(target) else Path(target)
    s = export_bag(get_context(ctx), where, opts, progress=_bar(quiet), endpoint_url=s3_endpoint)
    click.echo(f"bag {s.path}: {s.assets} assets ({s.restricted} restricted), {s.renditions} "
               f"renditions, {s.collections} collections, {s.consents} consent forms, "
               f"{s.audit_entries} audit entries; {s.files} files, {s.bytes} bytes"
               + (f" ({s.skipped} already in place)" if s.skipped else ""))


@handover.command("verify")
@click.argument("bag")
@click.option("--fast", is_flag=True, help="Check counts and sizes only, not every hash.")
@click.option("--s3-endpoint", help="S3 endpoint of an s3:// BAG (default: the store's).")
@click.pass_context
def verify_cmd(ctx: click.Context, bag: str, fast: bool, s3_endpoint: str | None) -> None:
    """Validate BAG, a folder or s3://bucket/prefix (BagIt), and check its catalog files
    against its payload."""
    if is_s3_url(bag):
        obj = ctx.ensure_object(dict)
        settings = obj["context"].settings if "context" in obj else get_settings(ctx)
        target = open_target(settings, bag, s3_endpoint)
        report = verify_s3_bag(target, fast=fast)
        bag = target.url
    else:
        if not Path(bag).is_dir():
            raise HandoverError(f"{bag}: no such folder")
        report = verify_bag(Path(bag), fast=fast)
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


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def backup_cmd(ctx: click.Context, target: Path) -> None:
    """Back up the catalog (consistent copy) and list the store's objects with their hashes."""
    context = get_context(ctx)
    folder, info = make_backup(context.catalog, context.store, target)
    click.echo(f"backup {folder}: {info.catalog} catalog (schema {info.schema}), manifest of "
               f"{info.objects} objects ({info.bytes} bytes) in {context.store.url}\n"
               "copy the store itself with your storage tools (rsync, aws s3 sync)")


@click.command("restore")
@click.argument("backup", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--check-hashes", is_flag=True, help="Re-hash every object listed, not only sizes.")
@click.option("--yes", is_flag=True, help="Do not ask before replacing the catalog.")
@click.pass_context
def restore_cmd(ctx: click.Context, backup: Path, check_hashes: bool, yes: bool) -> None:
    """Replace the catalog with BACKUP's copy, then check the store against its manifest.

    Stop `dam serve` and every worker first.
    """
    settings = get_settings(ctx)
    if not yes:
        click.confirm(f"Replace the catalog {settings.catalog_url} with {backup}?", abort=True)
    restore_catalog(settings.catalog_url, backup)
    context = open_context(settings)
    try:
        report = check_store(context.store, backup, hashes=check_hashes)
    finally:
        context.close()
    click.echo(f"catalog restored from {backup}; store: {report.checked} objects checked, "
               f"{len(report.missing)} missing, {len(report.changed)} changed")
    for key in report.missing[:50]:
        click.secho(f"  missing: {key}", fg="red", err=True)
    for key in report.changed[:50]:
        click.secho(f"  changed: {key}", fg="red", err=True)
    if report.missing or report.changed:
        raise HandoverError("the store does not match the backup: restore its objects from "
                            "the store's own copy")


commands = [handover, backup_cmd, restore_cmd]
