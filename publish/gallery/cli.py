"""`dam publish gallery`: render the published collections as a static site."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from dam.cli import get_context
from dam.context import Context
from dam.curation.actor import SYSTEM, Actor
from dam.errors import DamError
from dam.models import User
from publish.gallery.build import PublishResult, publish_gallery
from publish.gallery.plan import PublishRefusedError

LISTED = 30  # paths shown per list; the count is always given
REASONS = {
    "embargoed": "bajo embargo",
    "internal_only": "solo para uso interno",
    "minors_without_consent": "menores sin consentimiento",
    "consent_expired": "consentimiento vencido",
    "consent_revoked": "consentimiento revocado",
    "unapproved": "no aprobado",
    "no_web_video": "video web no generado aún",
}


def actor_named(context: Context, username: str | None) -> Actor:
    if username is None:
        return SYSTEM
    with context.catalog.read() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise click.ClickException(f"no active account named {username!r}")
        return Actor(user.id, user.username, user.role)


def _echo_paths(title: str, paths: list[str]) -> None:
    click.echo(f"{title}: {len(paths)}")
    for path in paths[:LISTED]:
        click.echo(f"  {path}")
    if len(paths) > LISTED:
        click.echo(f"  ... y {len(paths) - LISTED} más")


def echo_result(result: PublishResult) -> None:
    verb = "se publicaría en" if result.dry_run else "publicada en"
    click.echo(f"Galería {verb} {result.target} ({result.seconds:.1f} s)")
    if result.notice:
        click.echo("  con el aviso de veda electoral")
    click.echo(f"colecciones: {result.collections}  fotos: {result.photos}  "
               f"videos: {result.videos}  imágenes codificadas: {result.encoded}")
    _echo_paths("escritos" if not result.dry_run else "por escribir", result.written)
    click.echo(f"sin cambios: {result.unchanged}")
    _echo_paths("retirados", result.removed)
    click.echo(f"retenidos: {len(result.held)}")
    for held in result.held:
        reasons = ", ".join(REASONS.get(r, r) for r in held.reasons)
        click.echo(f"  #{held.asset_id} ({held.collection}): {reasons}")


@click.command()
@click.option("--target", help="A folder or s3://bucket/prefix (default: gallery_target).")
@click.option("--notice", is_flag=True,
              help="During an electoral blackout: publish the notice and the excepted collections.")
@click.option("--dry-run", is_flag=True, help="Say what would be published; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
@click.option("--as", "username", help="Publish as this account (default: the system).")
@click.pass_context
def gallery(ctx: click.Context, target: str | None, notice: bool, dry_run: bool,
            as_json: bool, username: str | None) -> None:
    """Render the published collections as a static site (only what changed is written)."""
    context = get_context(ctx)
    actor = actor_named(context, username)
    try:
        result = publish_gallery(context, actor, target=target, notice=notice, dry_run=dry_run)
    except PublishRefusedError as exc:
        click.secho(str(exc), fg="red", err=True)
        ctx.exit(1)
    except (DamError, OSError) as exc:
        click.secho(f"error: la galería no se publicó: {exc}", fg="red", err=True)
        ctx.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        echo_result(result)
