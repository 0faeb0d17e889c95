"""What a command, a worker or the web app needs at hand: settings, the catalog and the store."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from dam.config import Settings
from dam.db import Catalog, check_ready
from storage import ObjectStore, S3Limits, open_store

SECRET_FILE = "secret.key"


@dataclass
class Context:
    settings: Settings
    catalog: Catalog
    store: ObjectStore

    def close(self) -> None:
        self.catalog.dispose()


def signing_key(settings: Settings, *, create: bool = False) -> bytes | None:
    """The key for time-limited local URLs: from settings, else the data folder's secret file."""
    if settings.url_signing_key:
        return settings.url_signing_key.encode()
    path = Path(settings.data_dir) / SECRET_FILE
    if path.is_file():
        return path.read_bytes().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key)
    path.chmod(0o600)
    return key


def s3_limits(settings: Settings) -> S3Limits:
    """The S3 timeouts and tries the settings ask for."""
    return S3Limits(connect_seconds=settings.s3_connect_timeout_seconds,
                    read_seconds=settings.s3_read_timeout_seconds,
                    attempts=settings.s3_max_attempts)


def open_configured_store(settings: Settings, url: str | None = None, *,
                          signing_key: bytes | None = None) -> ObjectStore:
    """The store at ``url`` (default: ``store_url``) with the S3 endpoint, region, timeouts
    and tries of ``settings``."""
    return open_store(url or settings.store_url, endpoint_url=settings.s3_endpoint_url or None,
                      region=settings.s3_region or None, signing_key=signing_key,
                      s3_limits=s3_limits(settings))


def open_context(settings: Settings, *, check: bool = True) -> Context:
    """Open the catalog and the store; unless ``check`` is False, insist the schema is current."""
    catalog = Catalog(settings.catalog_url)
    if check:
        check_ready(catalog)
    store = open_configured_store(settings, signing_key=signing_key(settings))
    return Context(settings=settings, catalog=catalog, store=store)
