"""Signing keys: the development C2PA chain and the gallery manifest's Ed25519 key."""

from __future__ import annotations

from dam.config import Settings


def init_keys(settings: Settings) -> list[str]:
    """For `dam init`: create missing development keys; the lines to print (not built yet)."""
    return []
