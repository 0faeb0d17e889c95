"""`dam faces`: find faces in an archive that existed before, list the groups, regroup."""

from __future__ import annotations

import json

import click

from dam import faces as catalog_faces
from dam.cli import get_context


@click.group("faces", invoke_without_command=True)
@click.option("--all", "every", is_flag=True,
              help="Queue the faces of every ready photo and video poster (run `dam worker`).")
@click.pass_context
def faces_group(ctx: click.Context, every: bool) -> None:
    """Faces in the pictures, grouped into people (internal data, never public)."""
    if ctx.invoked_subcommand is not None:
        return
    if not every:
        click.echo(ctx.get_help())
        return
    from ingest.faces import queue_all_faces  # noqa: PLC0415 - dlib only when needed

    queued = queue_all_faces(get_context(ctx))
    click.echo(f"{queued} asset(s) queued to look for faces: run `dam worker`")


@faces_group.command("groups")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.option("--limit", type=int, default=None, help="At most this many groups.")
@click.pass_context
def groups(ctx: click.Context, as_json: bool, limit: int | None) -> None:
    """The groups (named first, then the largest) with their faces: asset id and box."""
    context = get_context(ctx)
    with context.catalog.read() as session:
        listing = catalog_faces.group_listing(session, limit)
    if as_json:
        click.echo(json.dumps(listing, ensure_ascii=False, indent=1))
        return
    for group in listing:
        assets = sorted({f["asset_id"] for f in group["faces"]})  # type: ignore[union-attr]
        click.echo(f"#{group['group_id']} {group['person'] or '(sin nombre)'}: "
                   f"{group['face_count']} face(s) in asset(s) {', '.join(map(str, assets))}")


@faces_group.command("recluster")
@click.pass_context
def recluster(ctx: click.Context) -> None:
    """Regroup every face (named groups keep their name and confirmed faces)."""
    context = get_context(ctx)
    with context.catalog.write() as session:
        counts = catalog_faces.recluster(session, context.settings.face_group_distance)
    catalog_faces.forget_index(context.catalog.url)
    click.echo(f"{counts['faces']} face(s) in {counts['groups']} group(s)")
