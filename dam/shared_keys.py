"""The secrets every node must share, their fingerprints, and the catalog's record of them.

A node signs download links and web sessions with the URL-signing key, and the gallery and
downloads with the C2PA chain and key and the manifest key. Every node of one Acervo must hold
the same copies: the catalog keeps the SHA-256 of each (never the key itself), recorded by the
first `dam init` that has it, and `dam check` compares each node's copy with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from dam.config import Settings
from dam.context import SECRET_FILE, signing_key
from dam.db import Catalog
from dam.models import SharedKey


@dataclass(frozen=True)
class LocalKey:
    """One shared secret as this node has it: where it comes from and its fingerprint."""

    name: str
    source: str  # the file, or the setting, it is read from
    fingerprint: str | None  # None: this node does not have it


def fingerprint(data: bytes) -> str:
    """SHA-256 of the key's bytes (surrounding whitespace ignored), in hex."""
    return hashlib.sha256(data.strip()).hexdigest()


def _file_key(name: str, path: Path) -> LocalKey:
    try:
        return LocalKey(name, str(path), fingerprint(path.read_bytes()))
    except OSError:
        return LocalKey(name, str(path), None)


def local_keys(settings: Settings) -> list[LocalKey]:
    """This node's copy of each shared secret."""
    key = signing_key(settings)
    source = ("url_signing_key (setting)" if settings.url_signing_key
              else str(Path(settings.data_dir) / SECRET_FILE))
    return [
        LocalKey("url_signing_key", source, fingerprint(key) if key else None),
        _file_key("c2pa_cert", Path(settings.c2pa_cert_path)),
        _file_key("c2pa_key", Path(settings.c2pa_key_path)),
        _file_key("manifest_key", Path(settings.manifest_key_path)),
    ]


def recorded_fingerprints(catalog: Catalog) -> dict[str, str]:
    with catalog.read() as session:
        return {k.name: k.fingerprint for k in session.scalars(select(SharedKey))}


def record_missing(catalog: Catalog, keys: list[LocalKey]) -> list[LocalKey]:
    """Record the fingerprints the catalog does not have yet; return the keys that differ from
    the ones recorded (another node's copy came first)."""
    differing = []
    with catalog.write() as session:
        recorded = {k.name: k for k in session.scalars(select(SharedKey))}
        for key in keys:
            if key.fingerprint is None:
                continue
            if key.name not in recorded:
                session.add(SharedKey(name=key.name, fingerprint=key.fingerprint))
            elif recorded[key.name].fingerprint != key.fingerprint:
                differing.append(key)
    return differing
