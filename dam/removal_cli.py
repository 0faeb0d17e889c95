"""`dam trash` and `dam erase`: the trash and legal erasure at the shell (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from dam.context import Context
from dam.curation.actor import shell_actor
from dam.curation.erasure import erase_asset
from dam.curation.trash import empty_trash, list_trash, purge_due, restore_assets, trash_assets
from dam.fixity_schedule import replica_store
from dam.models import utcnow
from storage import ObjectStore


def _context(ctx: click.Context) -> Context:
    from dam.cli import get_context  # dam.cli adds these commands: imported when run

    return get_context(ctx)


def _stores(context: Context) -> list[ObjectStore]:
    replica = replica_store(context.settings)
    return [context.store] + ([replica] if replica is not None else [])


class TrashGroup(click.Group):
    """`dam trash 12 13` moves assets to the trash; `dam trash list|restore|purge` the rest."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].isdigit():
            args = ["move", *args]
        return super().parse_args(ctx, args)


@click.group("trash", cls=TrashGroup)
def trash() -> None:
    """The trash (papelera): `dam trash ID...` moves assets there; list, restore, purge."""


@trash.command("move")
@click.argument("asset_ids", nargs=-1, type=int, required=True)
@click.pass_context
def move(ctx: click.Context, asset_ids: tuple[int, ...]) -> None:
    """Move assets to the trash (hidden everywhere; restorable for trash_days)."""
    context = _context(ctx)
    with context.catalog.write() as session:
        result = trash_assets(session, shell_actor(), list(asset_ids))
    days = context.settings.trash_days
    click.echo(f"moved to the trash: {len(result.changed)} (restorable for {days} days)"
               + (f"; skipped (missing or already there): {_ids(result.skipped)}"
                  if result.skipped else ""))


@trash.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """What is in the trash, newest first, with who put it there and the days left."""
    import json

    context = _context(ctx)
    now = utcnow()
    with context.catalog.read() as session:
        items, total = list_trash(session, context.settings.trash_days, limit=100_000)
    if as_json:
        click.echo(json.dumps([_item_json(i, now) for i in items], ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(f"#{item.asset_id:<7} {item.trashed_at:%Y-%m-%d %H:%M}  "
                   f"{item.trashed_by or '-':<12} {item.days_left(now):>3} days left  "
                   f"{item.title}")
    click.echo(f"{total} in the trash")


def _item_json(item: Any, now: dt.datetime) -> dict[str, Any]:
    return {"asset_id": item.asset_id, "title": item.title, "media_type": item.media_type,
            "trashed_at": item.trashed_at.isoformat(), "trashed_by": item.trashed_by,
            "purge_on": item.purge_on.isoformat(), "days_left": item.days_left(now)}


@trash.command("restore")
@click.argument("asset_ids", nargs=-1, type=int, required=True)
@click.pass_context
def restore(ctx: click.Context, asset_ids: tuple[int, ...]) -> None:
    """Bring assets back from the trash, as they were."""
    with _context(ctx).catalog.write() as session:
        result = restore_assets(session, shell_actor(), list(asset_ids))
    click.echo(f"restored: {len(result.changed)}"
               + (f"; not in the trash: {_ids(result.skipped)}" if result.skipped else ""))


@trash.command("purge")
@click.option("--all", "everything", is_flag=True,
              help="Empty the whole trash now, not only what is past trash_days.")
@click.pass_context
def purge(ctx: click.Context, everything: bool) -> None:
    """Delete for good what has been in the trash longer than trash_days (housekeeping does
    this every minute inside `dam serve`)."""
    context = _context(ctx)
    stores = _stores(context)
    if everything:
        report = empty_trash(context.catalog, stores, shell_actor())
    else:
        report = purge_due(context.catalog, stores, context.settings.trash_days)
    click.echo(f"purged: {len(report.purged)} asset(s); files deleted: "
               f"{len(report.removal.deleted)}, kept (used by another asset): "
               f"{len(report.removal.kept)}")
    for failure in report.removal.failed:
        click.secho(f"  not deleted: {failure}", fg="red", err=True)


@click.command("erase")
@click.argument("asset_id", type=int)
@click.option("--reason", required=True,
              help="The written reason: the mandate, request or revoked consent (required).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def erase(ctx: click.Context, asset_id: int, reason: str, yes: bool) -> None:
    """Erase an asset by legal mandate: its original and every rendition leave the store(s),
    the index and the gallery's next publish; a tombstone keeps SHA-256, reason, who, when."""
    if not yes:
        click.confirm(f"Erase asset {asset_id} for good? This cannot be undone", abort=True)
    context = _context(ctx)
    report = erase_asset(context.catalog, _stores(context), shell_actor(), asset_id, reason)
    click.echo(f"asset {asset_id} erased (tombstone {report.erasure_id}, SHA-256 "
               f"{report.sha256}); files deleted: {len(report.removal.deleted)}")
    for failure in report.removal.failed:
        click.secho(f"  not deleted yet (housekeeping retries): {failure}", fg="red", err=True)


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))


COMMANDS = [trash, erase]
