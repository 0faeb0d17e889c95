"""C2PA content credentials: sign them into public images, and read them back.

Every image the public profiles export carries a manifest signed with the office's certificate:
who made it (author, credit, copyright, licence), that Acervo produced the file, and a hash of
the pixels so any change shows. The c2pa Signer is built once and reused for every file.

Thread and process notes: c2pa objects belong to the process that made them (a forked child
sees them as closed), so each worker process calls :func:`load_signer` itself; within a process
one :class:`C2paSigner` may be shared by threads (calls are serialised; a signature costs a few
milliseconds).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from PIL import Image

from dam import __version__
from dam.config import Settings
from publish.embed import PressInfo
from publish.export import Edit
from publish.keys import CredentialsError

__all__ = ["C2paSigner", "CredentialState", "CredentialsError", "CredentialsReport",
           "load_signer", "read_credentials", "shared_signer"]

log = logging.getLogger(__name__)

CLAIM_GENERATOR = "Acervo"
DIGITAL_CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
UNTRUSTED = "signingCredential.untrusted"
_TITLE_LENGTH = 120
# The claim thumbnail costs ~25x the signature's time and tens of kB per file, and repeats the
# picture it is embedded in: public images go without it.
_SIGN_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}


class C2paSigner:
    """Signs C2PA manifests into images; implements ``publish.export.ContentSigner``.

    ``source_type`` is the IPTC digital source type of the pictures (the office's photographs
    are camera captures); the file is declared created from it, then transcoded by Acervo.
    """

    def __init__(self, chain_pem: bytes, key_pem: bytes, alg: c2pa.C2paSigningAlg, *,
                 source_type: str = DIGITAL_CAPTURE) -> None:
        self._signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain_pem, key_pem, None))
        self._context = c2pa.Context(c2pa.Settings.from_dict(_SIGN_SETTINGS))
        self._source_type = source_type
        self._lock = threading.Lock()

    def __call__(self, data: bytes, mime_type: str, info: PressInfo,
                 edits: Sequence[Edit] = ()) -> bytes:
        """``data`` with a signed manifest describing ``info`` and the ``edits`` made."""
        out = io.BytesIO()
        manifest = self.manifest(info, edits)
        with self._lock, c2pa.Builder(manifest, context=self._context) as builder:
            try:
                builder.sign(self._signer, mime_type, io.BytesIO(data), out)
            except c2pa.C2paError as exc:
                raise CredentialsError(f"C2PA signing failed: {exc}") from exc
        return out.getvalue()

    def manifest(self, info: PressInfo, edits: Sequence[Edit] = ()) -> dict[str, Any]:
        """The manifest definition signed into a file described by ``info``.

        The picture was created (captured), then each of ``edits`` was made by Acervo, then it
        was re-encoded (``c2pa.transcoded``) unless it is the stored file with its metadata.
        """
        agent = {"name": CLAIM_GENERATOR, "version": __version__}
        actions: list[dict[str, Any]] = [
            {"action": "c2pa.created", "digitalSourceType": self._source_type}]
        for edit in edits:
            action: dict[str, Any] = {"action": edit.action, "softwareAgent": agent}
            if edit.description:
                action["description"] = edit.description
            actions.append(action)
        if not any(e.action == "c2pa.edited.metadata" for e in edits):
            actions.append({"action": "c2pa.transcoded", "softwareAgent": agent})
        assertions: list[dict[str, Any]] = [{"label": "c2pa.actions", "data": {"actions": actions}}]
        work = creative_work(info)
        if work:
            assertions.append({"label": "stds.schema-org.CreativeWork", "data": work})
        return {"claim_generator_info": [{"name": CLAIM_GENERATOR, "version": __version__}],
                "title": title_of(info), "assertions": assertions}

    def close(self) -> None:
        self._signer.close()
        self._context.close()


def title_of(info: PressInfo) -> str:
    """A short title for the manifest: headline, else the caption's start, else the event."""
    text = info.headline or info.caption or info.event or "Imagen"
    text = " ".join(text.split())
    return text if len(text) <= _TITLE_LENGTH else text[: _TITLE_LENGTH - 1].rstrip() + "…"


def creative_work(info: PressInfo) -> dict[str, Any]:
    """schema.org CreativeWork with who made the picture and on what terms (empty if nothing)."""
    work: dict[str, Any] = {}
    if info.creator:
        work["author"] = [{"@type": "Person", "name": info.creator}]
    if info.credit:
        work["creditText"] = info.credit
    if info.copyright:
        work["copyrightNotice"] = info.copyright
    if info.licence_url or info.licence:
        work["license"] = info.licence_url or info.licence
    if info.usage_terms:
        work["usageInfo"] = info.usage_terms
    if not work:
        return {}
    return {"@context": "https://schema.org", "@type": "CreativeWork", **work}


def _probe_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 128, 128)).save(out, "JPEG")
    return out.getvalue()


_CURVES = {"secp256r1": c2pa.C2paSigningAlg.ES256, "secp384r1": c2pa.C2paSigningAlg.ES384,
           "secp521r1": c2pa.C2paSigningAlg.ES512}


def _algorithm(key: object, key_path: Path) -> c2pa.C2paSigningAlg:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    raise CredentialsError(f"{key_path}: C2PA cannot sign with a {type(key).__name__} key "
                           "(use EC P-256/384/521, Ed25519 or RSA)")


def _public_der(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def check_chain(chain_pem: bytes, key_pem: bytes, cert_path: Path,
                key_path: Path) -> c2pa.C2paSigningAlg:
    """The signing algorithm of a usable pair; CredentialsError saying what is wrong otherwise."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise CredentialsError(f"{cert_path} is not a PEM certificate chain: {exc}") from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"{key_path} is not an unencrypted PEM private key: {exc}") from exc
    leaf = chain[0]
    if len(chain) == 1 and leaf.issuer == leaf.subject:
        raise CredentialsError(
            f"{cert_path} holds a lone self-signed certificate, which C2PA refuses: it needs the "
            "signing certificate followed by the certificate of the CA that issued it")
    if _public_der(key.public_key()) != _public_der(leaf.public_key()):
        raise CredentialsError(f"the key {key_path} is not the key of the first certificate "
                               f"in {cert_path} (the signing certificate comes first)")
    now = dt.datetime.now(dt.UTC)
    if leaf.not_valid_after_utc < now:
        raise CredentialsError(f"the signing certificate in {cert_path} expired on "
                               f"{leaf.not_valid_after_utc:%Y-%m-%d}")
    if leaf.not_valid_before_utc > now:
        raise CredentialsError(f"the signing certificate in {cert_path} is not valid before "
                               f"{leaf.not_valid_before_utc:%Y-%m-%d}")
    return _algorithm(key, key_path)


def _read_pair(cert_path: Path, key_path: Path) -> tuple[bytes, bytes] | None:
    missing = [str(p) for p in (cert_path, key_path) if not p.exists()]
    if missing:
        log.warning("C2PA signing is off: %s missing (run `dam init` for a development pair, "
                    "or set c2pa_cert_path and c2pa_key_path)", " and ".join(missing))
        return None
    try:
        return cert_path.read_bytes(), key_path.read_bytes()
    except OSError as exc:
        raise CredentialsError(f"cannot read the C2PA certificate or key: {exc}") from exc


def load_signer(settings: Settings) -> C2paSigner | None:
    """The office's C2PA signer, checked by signing a tiny picture; None if files are missing.

    CredentialsError says why files that are present cannot sign (a lone self-signed
    certificate, a key that is not the certificate's, an expired certificate ...).
    """
    cert_path, key_path = Path(settings.c2pa_cert_path), Path(settings.c2pa_key_path)
    pair = _read_pair(cert_path, key_path)
    if pair is None:
        return None
    chain_pem, key_pem = pair
    alg = check_chain(chain_pem, key_pem, cert_path, key_path)
    try:
        signer = C2paSigner(chain_pem, key_pem, alg)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"c2pa refused the certificate {cert_path}: {exc}") from exc
    try:
        signer(_probe_jpeg(), "image/jpeg", PressInfo(caption="prueba"))
    except CredentialsError as exc:
        signer.close()
        raise CredentialsError(
            f"the certificate {cert_path} and key {key_path} cannot sign C2PA credentials: "
            f"{exc.__cause__ or exc}") from exc
    return signer


class CredentialState(StrEnum):
    """What reading a file's content credentials found."""

    NONE = "none"  # no manifest in the file
    TRUSTED = "trusted"  # intact, signed by a certificate of a given trust anchor
    VALID = "valid"  # intact and well signed, by a certificate not in the trust list
    INVALID = "invalid"  # the file or the manifest was changed, or the signature is bad


@dataclass(frozen=True)
class CredentialsReport:
    """The content credentials found in one file."""

    state: CredentialState
    errors: tuple[str, ...] = ()  # "code: explanation" of every failure but untrusted
    claim_generator: str | None = None
    title: str | None = None
    actions: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    credit: str | None = None
    copyright: str | None = None
    signer: str | None = None  # the signing certificate's common name
    issuer: str | None = None
    assertions: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def present(self) -> bool:
        return self.state is not CredentialState.NONE

    @property
    def ok(self) -> bool:
        """Present and intact (trusted, or valid with an untrusted signer)."""
        return self.state in (CredentialState.TRUSTED, CredentialState.VALID)


def _reader_context(trust_anchors: bytes | None) -> c2pa.Context | None:
    if trust_anchors is None:
        return None
    return c2pa.Context(c2pa.Settings.from_dict(
        {"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust_anchors.decode()}}))


def read_credentials(data: bytes, mime_type: str, *,
                     trust_anchors: bytes | None = None) -> CredentialsReport:
    """The content credentials in ``data``; ``trust_anchors`` (PEM CAs) can make them trusted."""
    context = _reader_context(trust_anchors)
    try:
        reader = c2pa.Reader.try_create(mime_type, io.BytesIO(data), context=context)
    except c2pa.C2paError as exc:
        return CredentialsReport(CredentialState.INVALID, errors=(f"unreadable manifest: {exc}",))
    if reader is None:
        return CredentialsReport(CredentialState.NONE)
    with reader:
        store = json.loads(reader.json())
    return _report(store)


def _report(store: dict[str, Any]) -> CredentialsReport:
    manifest = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = results.get("failure", [])
    errors = tuple(f"{f.get('code')}: {f.get('explanation', '')}" for f in failures
                   if f.get("code") != UNTRUSTED)
    raw = str(store.get("validation_state", "")).lower()
    state = (CredentialState.INVALID if errors or raw == "invalid" or not manifest
             else CredentialState.TRUSTED if raw == "trusted" else CredentialState.VALID)
    assertions = {a.get("label"): a.get("data") for a in manifest.get("assertions", [])}
    actions_data = assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}
    work = assertions.get("stds.schema-org.CreativeWork") or {}
    generator = (manifest.get("claim_generator_info") or [{}])[0]
    signature = manifest.get("signature_info", {})
    return CredentialsReport(
        state=state, errors=errors,
        claim_generator=generator.get("name") or manifest.get("claim_generator"),
        title=manifest.get("title"),
        actions=tuple(a.get("action", "") for a in actions_data.get("actions", [])),
        authors=tuple(a.get("name", "") for a in work.get("author", [])),
        credit=work.get("creditText"), copyright=work.get("copyrightNotice"),
        signer=signature.get("common_name"), issuer=signature.get("issuer"),
        assertions=assertions)


_shared: dict[tuple[str, str, float, float], C2paSigner | None] = {}
_shared_lock = threading.Lock()


def shared_signer(settings: Settings) -> C2paSigner | None:
    """:func:`load_signer`, once per process for the same certificate and key files.

    For requests that sign a few pictures each (press kits, social formats): the signer is
    checked once, then reused (its calls are serialised). New files (a renewed certificate)
    are picked up because the key includes their modification times.
    """
    cert_path, key_path = Path(settings.c2pa_cert_path), Path(settings.c2pa_key_path)
    try:
        stamp = (str(cert_path), str(key_path), cert_path.stat().st_mtime,
                 key_path.stat().st_mtime)
    except OSError:
        return load_signer(settings)  # missing files: None, with the usual warning
    with _shared_lock:
        if stamp not in _shared:
            _shared[stamp] = load_signer(settings)
        return _shared[stamp]
