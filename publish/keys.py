"""Signing keys: the development C2PA chain and the gallery manifest's Ed25519 key.

C2PA signing needs a certificate chain (the signing certificate, then the CA that issued it) and
the signing certificate's private key; c2pa refuses a lone self-signed certificate. `dam init`
makes a development chain so signing works out of the box, and says that production needs the
office's real certificate. Existing files are never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dam.config import Settings
from dam.errors import DamError

DEV_CA_NAME = "Acervo desarrollo CA"
DEV_SIGNER_NAME = "Acervo desarrollo firma de contenido"
DEV_UNIT = "Desarrollo: no válido para producción"
_CA_YEARS = 10
_LEAF_YEARS = 2


class CredentialsError(DamError):
    """A signing certificate or key is present but cannot be used; the message says why."""


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _private_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_UNIT),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
    ])


def _key_usage(*, sign: bool, certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=certs,
                         crl_sign=certs, encipher_only=False, decipher_only=False)


def _dev_ca(organisation: str, now: dt.datetime
            ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(DEV_CA_NAME, organisation)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * _CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign=False, certs=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def dev_chain(organisation: str) -> tuple[bytes, bytes]:
    """A development chain PEM (signing certificate, then its CA) and the signer's key PEM.

    ES256 (P-256) with the profile c2pa checks: digitalSignature key usage, the
    emailProtection extended key usage (c2pa 0.38 refuses the document-signing OID), key
    identifiers linking the signing certificate to its CA.
    """
    now = dt.datetime.now(dt.UTC)
    ca, ca_key = _dev_ca(organisation, now)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(DEV_SIGNER_NAME, organisation))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * _LEAF_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign=True, certs=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return _pem(leaf) + _pem(ca), _private_pem(key)


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a file that must not exist yet, created with ``mode`` (no umask race)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed or widened nothing: be explicit
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
    finally:
        os.close(fd)


def _init_c2pa(settings: Settings) -> list[str]:
    cert_path, key_path = Path(settings.c2pa_cert_path), Path(settings.c2pa_key_path)
    cert_there, key_there = cert_path.exists(), key_path.exists()
    if cert_there and key_there:
        return [f"C2PA signing certificate: {cert_path}"]
    if cert_there != key_there:
        missing = key_path if cert_there else cert_path
        return [f"WARNING: C2PA signing is off: {missing} is missing (the other file of the pair "
                "exists, so no development pair was made; set c2pa_cert_path and c2pa_key_path)"]
    chain, key = dev_chain(settings.agency_name)
    write_new_file(key_path, key, 0o600)
    write_new_file(cert_path, chain, 0o644)
    return [
        f"created a DEVELOPMENT C2PA certificate chain: {cert_path} (key: {key_path})",
        "  it signs content credentials that read as valid but untrusted; for production set "
        "c2pa_cert_path and c2pa_key_path to the office's real certificate chain and key",
    ]


def _init_manifest_key(settings: Settings) -> list[str]:
    path = Path(settings.manifest_key_path)
    if path.exists():
        return [f"gallery manifest key: {path}"]
    write_new_file(path, _private_pem(ed25519.Ed25519PrivateKey.generate()), 0o600)
    return [f"created the gallery manifest signing key (Ed25519): {path}",
            "  keep it private and back it up: the gallery publishes its public key, and "
            "verifiers trust a copy of that public key kept elsewhere"]


def init_keys(settings: Settings) -> list[str]:
    """For `dam init`: create the missing development keys; the lines to print."""
    return _init_c2pa(settings) + _init_manifest_key(settings)


def load_manifest_key(settings: Settings) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 key that signs the gallery manifest; CredentialsError if missing or not one."""
    path = Path(settings.manifest_key_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CredentialsError(
            f"the gallery manifest key {path} does not exist: run `dam init` to create one, "
            "or set manifest_key_path") from None
    except OSError as exc:
        raise CredentialsError(f"cannot read the gallery manifest key {path}: {exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise CredentialsError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def public_key_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    """The public half of ``key`` as PEM (SubjectPublicKeyInfo), as the gallery publishes it."""
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
