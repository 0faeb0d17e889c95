"""The search commands of `dam`: search, reindex, search-sync (registered by entry point)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from sqlalchemy import select

from dam.cli import get_context
from dam.models import Asset
from dam.search import snapshot
from dam.search.fields import SORT_ALIASES, SORTS
from dam.search.service import Hit, SearchResults, SearchService


def _service(ctx: click.Context) -> SearchService:
    context = get_context(ctx)
    service = SearchService(context.settings, context.catalog, store=context.store)
    ctx.call_on_close(service.close)
    return service


def _print_hits(ctx: click.Context, hits: list[Hit], first: int) -> None:
    ids = [h.asset_id for h in hits]
    with get_context(ctx).catalog.read() as session:
        rows = {a.id: (a.headline or a.caption or a.original_filename)
                for a in session.scalars(select(Asset).where(Asset.id.in_(ids)))}
    for n, hit in enumerate(hits, first + 1):
        click.echo(f"{n:>4}. #{hit.asset_id} {rows.get(hit.asset_id, '?')[:90]}")


def _print_results(ctx: click.Context, results: SearchResults) -> None:
    if results.corrected:
        click.echo(f"Sin resultados; se muestran los de: {results.suggestion}")
    elif results.suggestion:
        click.echo(f"¿Quiso decir: {results.suggestion}?")
    for word, others in results.also.items():
        click.echo(f"{word}: también {', '.join(others)}")
    for date in results.dates:
        click.echo(f"Fecha: {date.text} ({date.first.isoformat()} a {date.last.isoformat()})")
    for word in results.missing_words:
        click.echo(f"Ningún material menciona «{word}».")
    first = (results.page - 1) * results.per_page
    click.echo(f"{results.total} resultado(s) ({results.took_ms:.0f} ms)")
    _print_hits(ctx, results.hits, first)
    if results.relaxed:
        click.echo("Ningún material tiene todas las palabras. Con algunas de ellas "
                   f"({results.partial_total}, primero los que tienen más):")
        _print_hits(ctx, results.partial, first)
    for name, values in results.facets.items():
        if values:
            shown = ", ".join(f"{v} ({c})" for v, c in values[:8])
            click.echo(f"  {name}: {shown}")


@click.command("search")
@click.argument("query", nargs=-1)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=20, show_default=True)
@click.option("--sort", type=click.Choice(sorted([*SORTS, *SORT_ALIASES])), default="relevance")
@click.option("--no-facets", is_flag=True, help="Do not count facet values.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--no-sync", is_flag=True,
              help="Search the index as it is (say how far behind the catalog it is).")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], page: int, per_page: int, sort: str,
           no_facets: bool, as_json: bool, no_sync: bool) -> None:
    """Search the archive: dam search 'mercado fotografo:lopez fecha:2025-03'.

    The index first applies the catalog's pending changes (nothing to do when it is up to
    date; `dam serve` or `dam search-sync` may be doing it already); whatever it still lacks
    is said.
    """
    service = _service(ctx)
    if not no_sync:
        service.sync()
    results = service.search(" ".join(query), page=page, per_page=per_page, sort=sort,
                             facets=not no_facets)
    behind = service.behind()
    if as_json:
        click.echo(json.dumps({**asdict(results), "index_behind": behind},
                              ensure_ascii=False, indent=2, default=str))
    elif results.error is None:
        _print_results(ctx, results)
    if behind:
        click.secho(f"Aviso: el índice de búsqueda va {behind} cambio(s) atrás del catálogo; "
                    "estos resultados no los incluyen.", fg="yellow", err=True)
    if results.error is not None:
        click.secho(f"error: {results.error}", fg="red", err=True)
        ctx.exit(1)


@click.command("reindex")
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the search index from the catalog into a new folder and swap it in."""
    report = _service(ctx).rebuild()
    click.echo(f"index rebuilt: {report.documents} asset(s) in {report.seconds:.1f} s "
               f"({report.generation})")


@click.command("search-sync")
@click.option("--once", is_flag=True, help="Apply pending changes and exit.")
@click.pass_context
def search_sync(ctx: click.Context, once: bool) -> None:
    """Keep this node's search index in step with the catalog (Ctrl-C stops)."""
    service = _service(ctx)
    if once:
        click.echo(f"{service.sync()} change(s) applied")
        return
    service.start(service.settings.search_sync_seconds)
    try:
        while service._thread is not None and service._thread.is_alive():
            service._thread.join(1.0)
    except KeyboardInterrupt:
        service.stop()


@click.command("search-snapshot")
@click.pass_context
def search_snapshot(ctx: click.Context) -> None:
    """Publish this node's search index to the object store, for nodes that join later."""
    service = _service(ctx)
    service.engine()  # builds (or joins) the index when this node has none yet
    published = snapshot.publish(service.location, get_context(ctx).store)
    if published is None:
        raise click.ClickException("this node has no search index to publish")
    click.echo(f"snapshot {published.key}: {published.byte_size} bytes, "
               f"change feed at {published.last_seq}")


commands = [search, reindex, search_sync, search_snapshot]
