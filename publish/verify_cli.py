"""`dam publish verify`: check a published gallery against its signed SHA-256 manifest."""

from __future__ import annotations

import click


@click.command()
def verify() -> None:
    """Check a gallery's files against its signed manifest (not built yet)."""
    raise click.ClickException("not built yet")
