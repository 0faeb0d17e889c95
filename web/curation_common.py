"""Helpers the curation blueprints share: who is acting, as the curation services see it."""

from __future__ import annotations

from dam.curation.actor import Actor
from web.accounts import CurrentUser


def actor_of(user: CurrentUser) -> Actor:
    return Actor(user.id, user.username, user.role)
