"""The gallery's signed SHA-256 manifest: what every published file must hash to, and checking it.

The gallery builder adds three files to the site's root: ``manifest-sha256.json`` (every other
file's SHA-256 and size, by POSIX path), its Ed25519 signature ``manifest-sha256.json.sig``
(base64 of the signature over the exact bytes of the JSON) and the public key
``clave-publica-ed25519.pem``. Anyone can check a copy of the site with the public key; the key
published next to the files only shows they match the manifest, a copy of the office's key kept
elsewhere also shows who signed it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from dam.config import Settings
from dam.errors import DamError
from publish.keys import load_manifest_key, public_key_pem

MANIFEST_NAME = "manifest-sha256.json"
SIGNATURE_NAME = "manifest-sha256.json.sig"
PUBLIC_KEY_NAME = "clave-publica-ed25519.pem"
OWN_FILES = frozenset({MANIFEST_NAME, SIGNATURE_NAME, PUBLIC_KEY_NAME})
FORMAT_VERSION = 1
_CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ManifestError(DamError):
    """A manifest cannot be built or read: bad entries, or a folder that is not a gallery."""


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file at ``path`` (hex), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _checked_path(path: str) -> str:
    pure = PurePosixPath(path)
    if (not path or "\\" in path or pure.is_absolute() or pure.as_posix() != path
            or any(part in ("..", ".") for part in pure.parts)):
        raise ManifestError(f"manifest entry {path!r} is not a relative POSIX path")
    if path in OWN_FILES:
        raise ManifestError(f"{path} is written by the manifest itself and cannot be an entry")
    return path


def manifest_json(entries: Mapping[str, tuple[str, int]], generated_at: dt.datetime,
                  site_url: str) -> bytes:
    """The manifest's bytes: sorted paths with their SHA-256 and size, when, and which site."""
    files: dict[str, dict[str, Any]] = {}
    for path, (sha256, size) in sorted(entries.items()):
        if not _HEX64.fullmatch(sha256) or size < 0:
            raise ManifestError(f"manifest entry {path!r}: bad SHA-256 {sha256!r} or size {size}")
        files[_checked_path(path)] = {"sha256": sha256, "size": size}
    if generated_at.tzinfo is None:
        raise ManifestError("the manifest's generated_at needs a time zone")
    document = {
        "version": FORMAT_VERSION,
        "algorithm": "sha256",
        "site": site_url,
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def sign_manifest(data: bytes, key: ed25519.Ed25519PrivateKey) -> bytes:
    """The signature file's content: base64 of the Ed25519 signature over ``data``, one line."""
    return base64.b64encode(key.sign(data)) + b"\n"


def manifest_files(entries: Mapping[str, tuple[str, int]], generated_at: dt.datetime,
                   site_url: str, settings: Settings) -> dict[str, bytes]:
    """The manifest, its signature and the public key, by their path in the site."""
    key = load_manifest_key(settings)
    data = manifest_json(entries, generated_at, site_url)
    return {MANIFEST_NAME: data, SIGNATURE_NAME: sign_manifest(data, key),
            PUBLIC_KEY_NAME: public_key_pem(key)}


@dataclass
class VerifyReport:
    """What checking a gallery folder against its manifest found."""

    folder: Path
    signature_valid: bool = False
    signature_problem: str | None = None
    key_from_folder: bool = False  # checked with the key published next to the files
    site: str | None = None
    generated_at: str | None = None
    checked: int = 0  # files listed in the manifest
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # content or size differ
    extra: list[str] = field(default_factory=list)  # present but not in the manifest

    @property
    def ok(self) -> bool:
        return self.signature_valid and not (self.missing or self.changed or self.extra)


def _verify_signature(data: bytes, signature_text: bytes | None,
                      public_key_pem: bytes | None) -> str | None:
    """None if the signature is good, else why not."""
    if signature_text is None:
        return f"{SIGNATURE_NAME} is missing"
    if public_key_pem is None:
        return f"no public key: {PUBLIC_KEY_NAME} is missing and none was given"
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except ValueError as exc:
        return f"the public key is not a PEM public key: {exc}"
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return f"the public key is a {type(key).__name__}, not Ed25519"
    try:
        key.verify(base64.b64decode(signature_text.strip(), validate=True), data)
    except (binascii.Error, ValueError):
        return f"{SIGNATURE_NAME} is not base64"
    except InvalidSignature:
        return "the signature does not match the manifest and this public key"
    return None


def _read_optional(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _walk(folder: Path) -> Iterator[str]:
    """POSIX paths of the files under ``folder`` (symlinked folders inside are not followed)."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        base = Path(root).relative_to(folder)
        for name in sorted(files):
            yield (base / name).as_posix()


def _parse(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
        files = document["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{MANIFEST_NAME} cannot be read: {exc}") from exc
    return document


def verify_gallery(folder: Path, public_key_pem: bytes | None = None) -> VerifyReport:
    """Check every file under ``folder`` against its manifest and the manifest's signature.

    Without ``public_key_pem`` the key published in the folder is used (``key_from_folder``).
    ManifestError if the folder has no readable manifest.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ManifestError(f"{folder} is not a folder")
    data = _read_optional(folder / MANIFEST_NAME)
    if data is None:
        raise ManifestError(f"{folder} has no {MANIFEST_NAME}: it is not a published gallery")
    report = VerifyReport(folder)
    if public_key_pem is None:
        public_key_pem = _read_optional(folder / PUBLIC_KEY_NAME)
        report.key_from_folder = True
    report.signature_problem = _verify_signature(
        data, _read_optional(folder / SIGNATURE_NAME), public_key_pem)
    report.signature_valid = report.signature_problem is None
    document = _parse(data)
    report.site, report.generated_at = document.get("site"), document.get("generated_at")
    _compare(folder, document["files"], report)
    return report


def _compare(folder: Path, files: Mapping[str, Any], report: VerifyReport) -> None:
    report.checked = len(files)
    present = {path for path in _walk(folder) if path not in OWN_FILES}
    report.extra = sorted(present - files.keys())
    for path, expected in sorted(files.items()):
        if path not in present:
            report.missing.append(path)
            continue
        target = folder / path
        try:
            same = (target.stat().st_size == expected.get("size")
                    and sha256_file(target) == expected.get("sha256"))
        except (OSError, AttributeError):
            same = False
        if not same:
            report.changed.append(path)
