"""The publishing part of the OpenAPI document: press kits, social formats, the gallery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def publishing_paths(op: Callable[..., dict[str, Any]], path: Callable[..., dict[str, Any]],
                     q: Callable[..., dict[str, Any]],
                     json_body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Paths of the publishing routes, built with openapi.py's helpers (``op``, ``path`` ...)."""
    return {}
