"""`dam publish gallery`: render the published collections as a static site."""

from __future__ import annotations

import click


@click.command()
def gallery() -> None:
    """Render the published collections as a static site (not built yet)."""
    raise click.ClickException("not built yet")
