"""`dam replace` and `dam versions`: an asset's file replaced, its versions listed and restored."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dam.cli import get_context
from dam.curation.actor import shell_actor
from dam.curation.versions import list_versions
from ingest.replace import replace_asset_file, restore_asset_version


class _VersionsGroup(click.Group):
    """`dam versions ASSET_ID` lists; `dam versions restore ASSET_ID N` restores."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.command("replace")
@click.argument("asset_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the file is replaced (kept with the version).")
@click.pass_context
def replace_cmd(ctx: click.Context, asset_id: int, file: Path, reason: str) -> None:
    """Replace ASSET_ID's file with FILE; the earlier file stays as an earlier version."""
    version = replace_asset_file(get_context(ctx), shell_actor(), asset_id, file, reason)
    click.echo(f"asset {asset_id}: version {version.number} ({version.original_filename}, "
               f"{version.sha256[:12]}) is now current; the worker makes its renditions")


@click.group("versions", cls=_VersionsGroup)
def versions() -> None:
    """The files an asset has had: `dam versions ASSET_ID`, `dam versions restore ASSET_ID N`."""


@versions.command("list")
@click.argument("asset_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Every field, for scripts.")
@click.pass_context
def list_cmd(ctx: click.Context, asset_id: int, as_json: bool) -> None:
    """List ASSET_ID's versions, oldest first (the current one marked)."""
    context = get_context(ctx)
    with context.catalog.read() as session:
        found = list_versions(session, asset_id)
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in found], ensure_ascii=False, indent=1))
        return
    for v in found:
        mark = "*" if v.current else " "
        why = f" — {v.reason}" if v.reason else ""
        click.echo(f"{mark} v{v.number}  {v.created_at:%Y-%m-%d %H:%M}  {v.username or '?'}  "
                   f"{v.action}  {v.original_filename} ({v.byte_size} bytes, "
                   f"{v.sha256[:12]}){why}")


@versions.command("restore")
@click.argument("asset_id", type=int)
@click.argument("number", type=int)
@click.option("--reason", default=None, help="Why (kept with the new version).")
@click.pass_context
def restore_cmd(ctx: click.Context, asset_id: int, number: int, reason: str | None) -> None:
    """Make version NUMBER of ASSET_ID current again (recorded as a new version)."""
    version = restore_asset_version(get_context(ctx), shell_actor(), asset_id, number, reason)
    click.echo(f"asset {asset_id}: version {number} restored as version {version.number}")


commands = [replace_cmd, versions]
