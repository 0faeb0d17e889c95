"""The gallery in an S3 bucket: new files staged under ``.staging/``, then promoted in order.

Nothing under the live prefix changes until every new or changed file is staged. Promotion is
a server-side copy per file with its Content-Type and Cache-Control: media first (immutable:
their names change when their content does), then pages, then the index, feed, sitemap and
manifest last, so a visitor never gets a page whose pictures are not there yet. Objects no
longer in the gallery are deleted after that, and the staging prefix last.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import mimetypes
from collections.abc import Iterator
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from publish.gallery.targets import (
    MANIFEST_NAME,
    GalleryTarget,
    LiveFile,
    Release,
    TargetError,
    parse_manifest,
)
from storage import S3Limits
from storage.s3 import make_client

log = logging.getLogger(__name__)

STAGING = ".staging/"
MEDIA_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "public, max-age=300"
ENTRY_CACHE = "public, max-age=60"
ENTRY_FILES = frozenset({"index.html", "feed.atom", "sitemap.xml", "robots.txt"})
TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8", ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
    ".json": "application/json", ".jsonld": "application/ld+json", ".jpg": "image/jpeg",
    ".mp4": "video/mp4", ".sig": "application/octet-stream", ".pem": "application/x-pem-file",
}


def content_type(path: str) -> str:
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def promotion_rank(path: str) -> int:
    """0 media, 1 pages and data, 2 the entry points and the manifest (promoted last)."""
    if path.startswith("media/"):
        return 0
    if path in ENTRY_FILES or path.startswith("manifest"):
        return 2
    return 1


def cache_control(path: str) -> str:
    return (MEDIA_CACHE, PAGE_CACHE, ENTRY_CACHE)[promotion_rank(path)]


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise TargetError(f"S3 gallery target: {what} failed: {exc}") from exc


class S3Target(GalleryTarget):
    """The gallery under ``s3://bucket/prefix``; the bucket's website serves ``prefix/``."""

    def __init__(self, url: str, *, endpoint_url: str | None = None, region: str | None = None,
                 limits: S3Limits | None = None, client: Any = None) -> None:
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise TargetError(f"no bucket in the gallery target {url!r}")
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self.client = client if client is not None else make_client(endpoint_url, region, limits)

    def key(self, path: str) -> str:
        return self.prefix + path

    def live_files(self) -> dict[str, LiveFile]:
        with _translated("reading the live manifest"):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(MANIFEST_NAME))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                    return {}
                raise
            return parse_manifest(body["Body"].read())

    def list_paths(self, under: str = "") -> list[str]:
        """Paths (relative to the prefix) of every object under ``under``."""
        paginator = self.client.get_paginator("list_objects_v2")
        found = []
        with _translated("listing the bucket"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.key(under)):
                found += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
        return found

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        # Two publications to one bucket are kept apart by the catalog: a "running" PublishRun,
        # started under a lock on the target (runlog.start_run, serialize_on).
        yield

    def begin(self, name: str) -> S3Release:
        return S3Release(self, f"{STAGING}{name}/")


class S3Release(Release):
    """Files staged under ``<prefix>/.staging/<name>/`` until :meth:`commit`."""

    def __init__(self, target: S3Target, staging: str) -> None:
        self.target = target
        self.staging = staging
        self.staged: list[str] = []

    def write(self, path: str, data: bytes) -> None:
        self.write_stream(path, io.BytesIO(data))

    def write_stream(self, path: str, stream: BinaryIO) -> tuple[str, int]:
        hashing = _HashingReader(stream)
        with _translated(f"staging {path}"):
            self.target.client.upload_fileobj(
                hashing, self.target.bucket, self.target.key(self.staging + path),
                ExtraArgs={"ContentType": content_type(path)})
        self.staged.append(path)
        return hashing.digest.hexdigest(), hashing.size

    def keep(self, path: str) -> None:
        """Unchanged files stay where they are: nothing to upload."""

    def commit(self, paths: set[str]) -> list[str]:
        client, bucket = self.target.client, self.target.bucket
        for path in sorted(self.staged, key=lambda p: (promotion_rank(p), p)):
            with _translated(f"promoting {path}"):
                client.copy_object(
                    Bucket=bucket, Key=self.target.key(path),
                    CopySource={"Bucket": bucket, "Key": self.target.key(self.staging + path)},
                    MetadataDirective="REPLACE", ContentType=content_type(path),
                    CacheControl=cache_control(path))
        live = [p for p in self.target.list_paths() if not p.startswith(STAGING)]
        removed = sorted(set(live) - paths)
        self._delete([self.target.key(p) for p in removed])
        self.abort()
        return removed

    def abort(self) -> None:
        try:
            staged = self.target.list_paths(self.staging)
            self._delete([self.target.key(p) for p in staged])
        except TargetError:
            log.exception("could not remove the staging prefix %s", self.staging)

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            with _translated("deleting objects"):
                self.target.client.delete_objects(
                    Bucket=self.target.bucket, Delete={"Objects": batch, "Quiet": True})


class _HashingReader(io.RawIOBase):
    """Reads through a stream, hashing what passes."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
