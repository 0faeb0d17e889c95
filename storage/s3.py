"""Object store backed by an S3 (or S3-compatible) bucket, through boto3."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any, BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from storage.base import ObjectInfo, ObjectStore, S3Limits, Source, check_expires_in
from storage.errors import StoreError, StoreUnavailableError
from storage.keys import validate_key, validate_prefix

MiB = 1024 * 1024
#: SigV4 presigned URLs cannot live longer than a week.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600

# head_object answers a missing key with a bare 404 (no body, so no "NoSuchKey" code).
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_UNAVAILABLE_CODES = frozenset(
    {"NoSuchBucket", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}
)
# Connection refused, DNS failure, timeouts, connection dropped mid-response.
_UNAVAILABLE_ERRORS = (BotoConnectionError, HTTPClientError, IncompleteReadError)


_session_lock = threading.Lock()
_session: boto3.session.Session | None = None


def make_client(endpoint_url: str | None = None, region: str | None = None,
                limits: S3Limits | None = None) -> Any:
    """Return a boto3 S3 client that gives up within ``limits`` when the endpoint does not
    answer (refused, unreachable or silent), instead of waiting for the OS's TCP timeouts."""
    limits = limits or S3Limits()
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        # total_max_attempts counts the first try too (botocore's max_attempts does not).
        "retries": {"total_max_attempts": limits.attempts, "mode": "standard"},
        "connect_timeout": limits.connect_seconds,
        "read_timeout": limits.read_seconds,
    }
    if endpoint_url:
        # S3-compatible servers (MinIO, Ceph, moto) expect path-style URLs, and several reject
        # the streaming checksums botocore sends by default since 1.36.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    global _session
    # One shared session: a fresh one reloads the service model (~0.2 s), and sessions are
    # not thread-safe, hence the lock.
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=Config(**options)
        )


class S3Store(ObjectStore):
    """Objects live in ``bucket`` under ``prefix``; key "a/b" is the object "{prefix}/a/b".

    Uploads use boto3's managed transfer: one PUT below ``multipart_threshold``, otherwise a
    multipart upload of ``multipart_chunksize`` parts, with memory bounded by about
    ``max_concurrency`` parts. S3 makes an object visible only once its upload completes.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
        limits: S3Limits | None = None,
        multipart_threshold: int = 16 * MiB,
        multipart_chunksize: int = 8 * MiB,
        max_concurrency: int = 4,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ValueError(f"invalid S3 bucket name: {bucket!r}")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self._client = (client if client is not None
                        else make_client(endpoint_url, region, limits))
        self._where = f"{self.url} at {self._client.meta.endpoint_url}"
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
        )
        # s3transfer buffers up to 10 parts read from a stream by default; keep it to the workers.
        self._transfer.max_in_memory_upload_chunks = max_concurrency

    @property
    def client(self) -> Any:
        """The underlying boto3 client (for tests and administrative tasks)."""
        return self._client

    # -- writing --------------------------------------------------------------------------------

    def put_file(self, key: str, source: Source, *, content_type: str | None = None,
                 metadata: dict[str, str] | None = None) -> ObjectInfo:
        """As :meth:`ObjectStore.put_file`; ``metadata`` is stored with the object as S3 user
        metadata (``x-amz-meta-*``, ASCII), read back by :meth:`metadata`."""
        name = self._name(key)
        extra: dict[str, Any] | None = {"ContentType": content_type} if content_type else None
        if metadata:
            extra = {**(extra or {}), "Metadata": dict(metadata)}
        with self._translate(key):
            if isinstance(source, str | os.PathLike):
                self._client.upload_file(
                    os.fspath(source), self.bucket, name, ExtraArgs=extra, Config=self._transfer
                )
            else:
                self._client.upload_fileobj(
                    source, self.bucket, name, ExtraArgs=extra, Config=self._transfer
                )
        return self.stat(key)

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._translate(key):
            self._client.delete_object(Bucket=self.bucket, Key=name)

    # -- reading --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def open_read(self, key: str) -> Iterator[BinaryIO]:
        name = self._name(key)
        with self._translate(key):
            response = self._client.get_object(Bucket=self.bucket, Key=name)
        raw = _BodyReader(response["Body"], lambda: self._translate(key))
        with io.BufferedReader(raw) as stream:
            yield stream

    @contextlib.contextmanager
    def open_range(self, key: str, start: int, length: int) -> Iterator[BinaryIO]:
        if start < 0 or length < 0:
            raise ValueError(f"invalid byte range: start {start}, length {length}")
        if length == 0:
            yield io.BytesIO(b"")
            return
        name = self._name(key)
        with self._translate(key):
            response = self._client.get_object(
                Bucket=self.bucket, Key=name, Range=f"bytes={start}-{start + length - 1}")
        raw = _BodyReader(response["Body"], lambda: self._translate(key))
        with io.BufferedReader(raw) as stream:
            yield stream

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except FileNotFoundError:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        name = self._name(key)
        with self._translate(key):
            head = self._client.head_object(Bucket=self.bucket, Key=name)
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            modified=head["LastModified"].astimezone(UTC),
            content_type=head.get("ContentType"),
        )

    def metadata(self, key: str) -> dict[str, str]:
        """The object's user metadata (what ``put_file(metadata=...)`` stored); FileNotFoundError
        if it does not exist."""
        name = self._name(key)
        with self._translate(key):
            head = self._client.head_object(Bucket=self.bucket, Key=name)
        return dict(head.get("Metadata") or {})

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        # S3 lists keys in UTF-8 byte order, which is the same as Python's str order. SeaweedFS
        # lists folder by folder ("a/1" before "a-x"): there, walk it like the local store.
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translate():
            pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
            for number, page in enumerate(pages):
                if number == 0 and _lists_folder_by_folder(page):
                    yield from self._walk(self.prefix + prefix)
                    return
                yield from self._infos(page.get("Contents", []))

    def _walk(self, name_prefix: str) -> Iterator[ObjectInfo]:
        # One folder at a time; a folder sorts as "name/", so a depth-first walk is in str order.
        paginator = self._client.get_paginator("list_objects_v2")
        entries: list[str | dict[str, Any]] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=name_prefix, Delimiter="/"):
            entries.extend(common["Prefix"] for common in page.get("CommonPrefixes", []))
            entries.extend(page.get("Contents", []))
        entries.sort(key=lambda entry: entry if isinstance(entry, str) else entry["Key"])
        for entry in entries:
            if isinstance(entry, str):
                yield from self._walk(entry)
            else:
                yield from self._infos([entry])

    def _infos(self, items: list[dict[str, Any]]) -> Iterator[ObjectInfo]:
        for item in items:
            key = item["Key"][len(self.prefix) :]
            if not key or key.endswith("/"):
                continue  # "folder" markers some consoles create
            modified = item["LastModified"].astimezone(UTC)
            yield ObjectInfo(key=key, size=item["Size"], modified=modified)

    def presigned_url(self, key: str, expires_in: int = 3600) -> str:
        name = self._name(key)
        check_expires_in(expires_in, MAX_PRESIGN_SECONDS)
        with self._translate(key):
            return self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": name}, ExpiresIn=expires_in
            )

    # -- helpers --------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    @contextlib.contextmanager
    def _translate(self, key: str | None = None) -> Iterator[None]:
        """Turn boto3 failures into FileNotFoundError, StoreUnavailableError or StoreError."""
        try:
            yield
        except ClientError as exc:
            raise self._from_client_error(exc, key) from exc
        except S3UploadFailedError as exc:
            # boto3 raises this while handling the ClientError that explains it.
            if isinstance(exc.__context__, ClientError):
                raise self._from_client_error(exc.__context__, key) from exc
            raise StoreError(f"{self._where}: upload of {key!r} failed: {exc}") from exc
        except _UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailableError(f"{self._where} is unavailable: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"{self._where}: {exc}") from exc

    def _from_client_error(self, exc: ClientError, key: str | None) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        detail = f"{exc.operation_name} {key or ''} failed: {code} {error.get('Message', '')}"
        if key is not None and code in _NOT_FOUND_CODES:
            return FileNotFoundError(errno.ENOENT, f"No such object in {self.url}", key)
        if code in _UNAVAILABLE_CODES or status >= 500:
            return StoreUnavailableError(f"{self._where} is unavailable: {detail.strip()}")
        return StoreError(f"{self._where}: {detail.strip()}")


class _BodyReader(io.RawIOBase):
    """A raw stream over a botocore StreamingBody that reports network failures as store errors."""

    def __init__(
        self, body: Any, translate: Callable[[], contextlib.AbstractContextManager[None]]
    ) -> None:
        super().__init__()
        self._body = body
        self._translate = translate

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._translate():
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _lists_folder_by_folder(page: dict[str, Any]) -> bool:
    """Whether the server that answered lists keys folder by folder, not in byte order."""
    server = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("server", "")
    return str(server).lower().startswith("seaweedfs")
