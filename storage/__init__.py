"""Object storage for originals and renditions: one interface, a local folder and an S3 backend."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from storage.base import ObjectInfo, ObjectStore, S3Limits
from storage.errors import StoreError, StoreUnavailableError
from storage.keys import original_key, rendition_key, validate_key
from storage.local import LocalStore

__all__ = [
    "LocalStore",
    "ObjectInfo",
    "ObjectStore",
    "S3Limits",
    "StoreError",
    "StoreUnavailableError",
    "open_store",
    "original_key",
    "rendition_key",
    "validate_key",
]


def open_store(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    signing_key: bytes | None = None,
    s3_limits: S3Limits | None = None,
) -> ObjectStore:
    """Open the store at ``url``: "file:///abs/path" or "s3://bucket[/prefix]".

    ``endpoint_url``, ``region`` and ``s3_limits`` (timeouts and tries) apply to S3 only
    (credentials come from the usual boto3 sources); ``signing_key`` signs the local store's
    download URLs.
    """
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValueError(f"store URL must not have a query or fragment: {url!r}")
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ValueError(f"file store URL must be file:///absolute/path, got {url!r}")
        return LocalStore(path, signing_key=signing_key)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"S3 store URL must be s3://bucket[/prefix], got {url!r}")
        # Imported here so that code using only local stores never loads boto3.
        from storage.s3 import S3Store

        return S3Store(parts.netloc, unquote(parts.path), endpoint_url=endpoint_url, region=region,
                       limits=s3_limits)
    raise ValueError(
        f"unsupported store URL {url!r}: expected file:///absolute/path or s3://bucket[/prefix]"
    )
