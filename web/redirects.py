"""Where a form or a link may send people back to: paths of this site, never another site."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import url_for

MAX_LENGTH = 2000


def _tricky(text: str) -> bool:
    """Characters a browser strips, reinterprets or shows misleadingly in a URL.

    Browsers drop tab, CR and LF anywhere in a URL and read ``\\`` as ``/``, so ``/\\t/evil.com``
    and ``/\\evil.com`` both become ``//evil.com``: another site. Format characters (right-to-left
    overrides, zero-width spaces) and line separators have no place in a path of ours either.
    """
    return "\\" in text or any(
        unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text
    )


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/…``), else None.

    Refused: anything with a scheme or a host (``https:evil.com``, ``//evil.com``), and paths that
    become one after a browser's normalisation or one more round of percent-decoding.
    """
    if not target or len(target) > MAX_LENGTH:
        return None
    for text in (target, unquote(target)):
        if _tricky(text) or not text.startswith("/") or text.startswith("//"):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(target: str | None, default: str | None = None) -> str:
    """Where to go after a form: ``target`` if it is a local path, else ``default`` (a path of
    ours) or the home page."""
    return local_path(target) or default or url_for("browse.index")
