"""The `dam publish` commands: the public gallery, and checking a published gallery."""

from __future__ import annotations

import click

from publish.gallery.cli import gallery
from publish.verify_cli import verify


@click.group()
def publish() -> None:
    """Publish approved material: the public gallery, and checking what was published."""


publish.add_command(gallery)
publish.add_command(verify)

commands = [publish]
