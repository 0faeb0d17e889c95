"""`dam catalog`: keep the catalog's copy in the store, and rebuild a catalog from it."""

from __future__ import annotations

import click

from dam.cli import get_context, get_settings
from dam.context import open_context
from dam.rebuild import rebuild_from_store
from dam.storemeta import catch_up


@click.group("catalog")
def catalog_group() -> None:
    """The catalog's records in the object store (meta/), and rebuilding from them."""


@catalog_group.command("write-store")
@click.pass_context
def write_store(ctx: click.Context) -> None:
    """Bring the store's metadata records up to date with the change feed now."""
    context = get_context(ctx)
    report = catch_up(context.catalog, context.store)
    click.echo(f"{report.written} asset record(s) written, {report.groups} collection/consent "
               f"file(s); change feed applied up to {report.seq}")


@catalog_group.command("rebuild")
@click.option("--from-store", "from_store", is_flag=True, required=True,
              help="Read the records the store keeps beside the originals.")
@click.pass_context
def rebuild(ctx: click.Context, from_store: bool) -> None:
    """Recreate assets, metadata, rights, collections and consents into an empty catalog.

    Run `dam init` on the new, empty catalog first; accounts are not in the store.
    """
    context = open_context(get_settings(ctx))
    try:
        report = rebuild_from_store(context.catalog, context.store)
    finally:
        context.close()
    click.echo("rebuilt: " + ", ".join(f"{k} {v}" for k, v in report.rows.items()))
    for problem in report.unreadable[:50]:
        click.secho(f"  unreadable: {problem}", fg="red", err=True)
    click.echo("run `dam search rebuild` so the search index knows them")


commands = [catalog_group]
