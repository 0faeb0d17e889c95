"""Development signing keys: made once by `dam init`, private, never overwritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dam.config import Settings
from publish.keys import (
    DEV_CA_NAME,
    CredentialsError,
    init_keys,
    load_manifest_key,
    public_key_pem,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_dev_chain_and_manifest_key_with_private_permissions(
        settings: Settings) -> None:
    lines = init_keys(settings)

    text = "\n".join(lines)
    assert "DEVELOPMENT" in text and "c2pa_cert_path" in text and "c2pa_key_path" in text
    assert "manifest" in text
    assert _mode(settings.c2pa_key_path) == 0o600
    assert _mode(settings.manifest_key_path) == 0o600
    assert _mode(settings.c2pa_key_path.parent) == 0o700
    chain = x509.load_pem_x509_certificates(settings.c2pa_cert_path.read_bytes())
    leaf, ca = chain
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEV_CA_NAME
    assert ca.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_init_twice_keeps_the_existing_files(settings: Settings) -> None:
    init_keys(settings)
    paths = (settings.c2pa_cert_path, settings.c2pa_key_path, settings.manifest_key_path)
    before = [p.read_bytes() for p in paths]

    lines = init_keys(settings)

    assert [p.read_bytes() for p in paths] == before
    assert not any("created" in line for line in lines)


def test_half_a_pair_is_not_completed_with_a_new_key(settings: Settings) -> None:
    settings.c2pa_cert_path.parent.mkdir(parents=True)
    settings.c2pa_cert_path.write_bytes(b"the office's chain")

    lines = init_keys(settings)

    assert not settings.c2pa_key_path.exists()
    assert settings.c2pa_cert_path.read_bytes() == b"the office's chain"
    assert any("WARNING" in line and str(settings.c2pa_key_path) in line for line in lines)


def test_load_manifest_key(settings: Settings) -> None:
    with pytest.raises(CredentialsError, match="run `dam init`"):
        load_manifest_key(settings)
    init_keys(settings)

    key = load_manifest_key(settings)

    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert public_key_pem(key).startswith(b"-----BEGIN PUBLIC KEY-----")


def test_load_manifest_key_refuses_another_kind_of_key(settings: Settings) -> None:
    init_keys(settings)
    settings.manifest_key_path.unlink()
    settings.manifest_key_path.write_bytes(settings.c2pa_key_path.read_bytes())  # an EC key

    with pytest.raises(CredentialsError, match="not an Ed25519 key"):
        load_manifest_key(settings)
