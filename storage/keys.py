"""Object key layout (originals and renditions) and key validation."""

from __future__ import annotations

import re

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

#: Key segments starting with this are reserved for a store's own temporary files.
RESERVED_PREFIX = ".acervo-tmp-"


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe object key, else raise ValueError.

    A key is a '/'-separated relative path: not empty, no leading '/', no empty, '.' or '..'
    segments (so it cannot escape a local root or alias another key), no backslash, no NUL,
    and no segment starting with RESERVED_PREFIX.
    """
    if not isinstance(key, str):
        raise ValueError(f"object key must be a str, not {type(key).__name__}")
    if not key:
        raise ValueError("object key is empty")
    if key.startswith("/"):
        raise ValueError(f"object key must not start with '/': {key!r}")
    if "\\" in key:
        raise ValueError(f"object key must not contain a backslash: {key!r}")
    if "\x00" in key:
        raise ValueError(f"object key must not contain NUL: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"object key has an empty, '.' or '..' segment: {key!r}")
        if segment.startswith(RESERVED_PREFIX):
            raise ValueError(f"object key segment starts with {RESERVED_PREFIX!r}: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start a valid key ("" lists everything); else ValueError."""
    if not prefix:
        return prefix
    head, _, last = prefix.rpartition("/")
    # The last segment may be partial (".hid" can start ".hidden"); complete ones must be valid.
    validate_key(f"{head}/x" if head else "x")
    if prefix.startswith("/") or "\\" in last or "\x00" in last:
        raise ValueError(f"invalid listing prefix: {prefix!r}")
    return prefix


def _check_sha256(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256 digest: {sha256!r}")
    return sha256


def original_key(sha256: str) -> str:
    """Return the key of an original file, content-addressed by its SHA-256 hex digest."""
    sha = _check_sha256(sha256)
    return f"originals/{sha[0:2]}/{sha[2:4]}/{sha}"


def rendition_key(sha256: str, kind: str, ext: str) -> str:
    """Return the key of a rendition (``kind`` e.g. "thumb", ``ext`` e.g. "webp") of an original."""
    sha = _check_sha256(sha256)
    for label, value in (("kind", kind), ("ext", ext)):
        if not isinstance(value, str) or not _NAME_PART.fullmatch(value):
            raise ValueError(f"rendition {label} must be alphanumeric, '-' or '_': {value!r}")
    return f"renditions/{sha[0:2]}/{sha[2:4]}/{sha}/{kind}.{ext}"
