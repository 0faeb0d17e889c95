"""A handover bag written to an S3 prefix (``s3://bucket/prefix``), streamed and resumable.

Originals go straight from the object store to the bucket: each is read once, hashed as it
streams, and uploaded by boto3's managed transfer (multipart above 16 MiB, a few 8 MiB parts
in memory at most), through :class:`storage.s3.S3Store`. Every payload object carries its
SHA-256 as user metadata (``x-amz-meta-sha256``), so a second run skips each object already
there with the right size and checksum, and the manifest is written without reading anything
back. The bag's small files (catalog, manifests, tag files) are made in a local staging folder
and uploaded at the end; ``bagit.txt`` goes last, so a bag with it is complete.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urlsplit

from dam.config import Settings
from dam.context import s3_limits
from handover.payload import CHUNK, HandoverError, Local, Payload, _Copied, hash_file

if TYPE_CHECKING:  # boto3 loads only for an S3 target (a folder export starts faster)
    from storage.s3 import S3Store

SHA_META = "sha256"
SENDER = ".acervo-sender"
TAG_FILES = ("manifest-sha256.txt", "bag-info.txt", "LEEME.txt", "tagmanifest-sha256.txt",
             "bagit.txt")  # in upload order: bagit.txt marks a finished bag


def is_s3_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith("s3://")


def open_target(settings: Settings, url: str, endpoint_url: str | None = None) -> S3Store:
    """The bucket and prefix of ``s3://bucket/prefix`` (endpoint and region as the store's,
    unless ``endpoint_url`` names another S3 service)."""
    from storage.s3 import S3Store  # noqa: PLC0415 - see TYPE_CHECKING above

    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise HandoverError(f"not an S3 target: {url!r} (expected s3://bucket/prefix)")
    return S3Store(parts.netloc, unquote(parts.path).strip("/"),
                   endpoint_url=endpoint_url or settings.s3_endpoint_url or None,
                   region=settings.s3_region or None, limits=s3_limits(settings))


class _HashingReader(io.RawIOBase):
    """A stream that hashes what is read through it (boto3 reads it once, in order)."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self.source, self.digest, self.size = source, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.source.read(len(buffer))
        self.digest.update(data)
        self.size += len(data)
        buffer[: len(data)] = data
        return len(data)


class S3Payload(Payload):
    """:class:`Payload` whose ``data/`` files are objects under an S3 prefix.

    The local ``root`` is a staging folder: the catalog files are written there (and uploaded
    as they are listed), and so are the manifest and tag files.
    """

    def __init__(self, root: Path, target: S3Store,
                 progress: Callable[[int], object] = lambda n: None) -> None:
        super().__init__(root, progress)
        self.target = target

    def _existing(self, key: str, size: int, sha256: str | None) -> str | None:
        """The recorded checksum of an object already uploaded whole, if it is the one wanted."""
        try:
            if self.target.stat(key).size != size:
                return None
            recorded = self.target.metadata(key).get(SHA_META)
        except FileNotFoundError:
            return None
        if recorded is None or (sha256 is not None and recorded != sha256):
            return None
        return recorded

    def _copy_now(self, rel: str, stream_opener: Callable[[], BinaryIO], size: int,
                  sha256: str | None, local: Local) -> _Copied:
        key = f"data/{rel}"
        done = self._existing(key, size, sha256)
        if done is not None:
            return _Copied(done, size, skipped=True, journal=False)
        local = local() if callable(local) else local
        if sha256 is None:  # a rendition: its checksum goes with it, so hash it first
            sha256 = self._hash_source(stream_opener, local)
        with (open(local, "rb") if local is not None else stream_opener()) as source:
            reader = _HashingReader(source)
            self.target.put_file(key, io.BufferedReader(reader, CHUNK),
                                 metadata={SHA_META: sha256})
        actual = reader.digest.hexdigest()
        if actual != sha256:
            self.target.delete(key)
            raise HandoverError(f"{rel}: the stored file's SHA-256 is {actual}, the catalog "
                                f"recorded {sha256} (run `dam fixity`)")
        return _Copied(actual, reader.size, skipped=False, journal=False)

    @staticmethod
    def _hash_source(stream_opener: Callable[[], BinaryIO], local: Path | None) -> str:
        if local is not None:
            return hash_file(local)[0]
        digest = hashlib.sha256()
        with stream_opener() as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def write_bytes(self, rel: str, data: bytes) -> None:
        """A sidecar, uploaded in a copying thread (each upload waits on the network)."""
        self._submit(rel, self._copier.submit(self._write_now, rel, data))

    def _write_now(self, rel: str, data: bytes) -> _Copied:
        digest = hashlib.sha256(data).hexdigest()
        key = f"data/{rel}"
        if self._existing(key, len(data), digest) is None:
            self.target.put_file(key, io.BytesIO(data), metadata={SHA_META: digest})
        return _Copied(digest, len(data), skipped=False, journal=False, counted=False)

    def add_existing(self, rel: str) -> None:
        path = self.data / rel
        digest, size = hash_file(path)
        key = f"data/{rel}"
        if self._existing(key, size, digest) is None:
            self.target.put_file(key, path, metadata={SHA_META: digest})
        self._add(rel, digest, size, journal=False)


def upload_tag_files(root: Path, target: S3Store) -> None:
    """The manifest and tag files, ``bagit.txt`` last; then the resume marker goes."""
    for name in TAG_FILES:
        path = root / name
        if path.is_file():
            target.put_file(name, path, content_type="text/plain; charset=utf-8")
    target.delete(SENDER)


def check_target(target: S3Store) -> None:
    """An empty prefix, or a bag (finished or interrupted) to resume; never anything else."""
    names = {info.key for _, info in zip(range(1000), target.list(""), strict=False)}
    if names and not names & {"bagit.txt", SENDER} and not any(
            n.startswith("data/") for n in names):
        raise HandoverError(f"{target.url} is not empty and holds no bag: choose a new prefix")


def sender_id(target: S3Store, make: Callable[[], str]) -> str:
    """The bag's identifier, kept (as a marker object) across a resumed export."""
    try:
        return target.read_bytes(SENDER).decode().strip()
    except FileNotFoundError:
        pass
    try:
        return _finished_sender(target) or _new_sender(target, make)
    except FileNotFoundError:
        return _new_sender(target, make)


def _finished_sender(target: S3Store) -> str | None:
    for line in target.read_bytes("bag-info.txt").decode("utf-8").splitlines():
        if line.startswith("Internal-Sender-Identifier:"):
            return line.partition(":")[2].strip()
    return None


def _new_sender(target: S3Store, make: Callable[[], str]) -> str:
    value = make()
    target.put_bytes(SENDER, value.encode())
    return value


def staging_folder(settings: Settings) -> tempfile.TemporaryDirectory[str]:
    """Where the bag's small files are made before they are uploaded."""
    folder = Path(settings.data_dir) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=folder, prefix="entrega-s3-")
