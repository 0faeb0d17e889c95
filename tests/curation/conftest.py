"""Curation fixtures: one account per role, as the Actors the services take."""

from __future__ import annotations

from dam.context import Context
from dam.curation.actor import Actor
from dam.enums import Role
from dam.models import User

ACCOUNTS = (("admin", Role.ADMIN), ("editora", Role.EDITOR), ("foto1", Role.PHOTOGRAPHER),
            ("foto2", Role.PHOTOGRAPHER), ("prensa", Role.VIEWER))


def make_actors(ctx: Context) -> dict[str, Actor]:
    """admin, editora, foto1, foto2 (photographers) and prensa (press staff), by username."""
    actors = {}
    with ctx.catalog.write() as session:
        for name, role in ACCOUNTS:
            user = User(username=name, role=role)
            session.add(user)
            session.flush()
            actors[name] = Actor(user.id, name, role)
    return actors
