"""C2PA content credentials: signed into exported JPEGs with the dev chain, and read back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image

from dam.config import Settings
from publish.credentials import (
    C2paSigner,
    CredentialsError,
    CredentialState,
    load_signer,
    read_credentials,
)
from publish.embed import PressInfo
from publish.export import export_image, export_images
from publish.keys import dev_chain, init_keys
from publish.profiles import DEFAULT_PROFILES
from tests.media import make_photo

INFO = PressInfo(
    caption="Entrega de apoyos en la colonia Santa Cruz Meyehualco",
    headline="Entrega de apoyos",
    credit="Alcaldía Iztapalapa / Ana López",
    creator="Ana López",
    copyright="© 2025 Alcaldía Iztapalapa",
    licence="CC BY 4.0",
    licence_url="https://creativecommons.org/licenses/by/4.0/deed.es",
)


@pytest.fixture
def signer(settings: Settings) -> Iterator[C2paSigner]:
    init_keys(settings)
    loaded = load_signer(settings)
    assert loaded is not None
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_photo(tmp_path_factory.mktemp("photo") / "p.jpg", (960, 640)).read_bytes()


def _export(photo: bytes, signer: C2paSigner | None, seed: int = 0) -> bytes:
    info = PressInfo(**{**INFO.__dict__, "caption": f"{INFO.caption} {seed}"})
    return export_image(io.BytesIO(photo), info, DEFAULT_PROFILES["publico"], long_edge=640,
                        signer=signer).data


def _exiftool(data: bytes, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "read.jpg"
    path.write_bytes(data)
    out = subprocess.run(["exiftool", "-j", "-G1", "-n", str(path)], capture_output=True,
                         check=True)
    return json.loads(out.stdout)[0]


def test_an_exported_public_jpeg_carries_valid_credentials(
        photo: bytes, signer: C2paSigner, tmp_path: Path) -> None:
    data = _export(photo, signer)

    found = read_credentials(data, "image/jpeg")

    assert found.present and found.ok
    assert found.state is CredentialState.VALID  # the dev chain is not on any trust list
    assert found.errors == ()
    assert found.claim_generator == "Acervo"
    assert found.actions[0] == "c2pa.created"
    assert found.actions == ("c2pa.created", "c2pa.resized", "c2pa.transcoded")  # 960 -> 640
    assert found.authors == ("Ana López",)
    assert found.credit == "Alcaldía Iztapalapa / Ana López"
    assert found.copyright == "© 2025 Alcaldía Iztapalapa"
    assert found.title == "Entrega de apoyos"
    assert found.signer == "Acervo desarrollo firma de contenido"
    assert found.assertions["stds.schema-org.CreativeWork"]["license"] == INFO.licence_url
    # Signing keeps the embedded IPTC/XMP description intact.
    tags = _exiftool(data, tmp_path)
    assert tags["XMP-dc:Rights"] == INFO.copyright
    assert tags["XMP-photoshop:Credit"] == INFO.credit
    assert "XMP-dc:Description" in tags


def test_a_social_format_declares_its_crop_and_band(photo: bytes, signer: C2paSigner) -> None:
    band = Image.new("RGB", (400, 40), (0, 120, 60))
    out = io.BytesIO()
    band.save(out, "PNG")
    data = export_images(io.BytesIO(photo), INFO, DEFAULT_PROFILES["redes"], frame=(600, 600),
                         band=out.getvalue(), signer=signer)[0].data

    found = read_credentials(data, "image/jpeg")

    assert found.state is CredentialState.VALID
    assert found.actions == ("c2pa.created", "c2pa.cropped", "c2pa.resized", "c2pa.edited",
                             "c2pa.transcoded")
    actions = (found.assertions.get("c2pa.actions.v2") or found.assertions["c2pa.actions"])
    edited = [a for a in actions["actions"] if a["action"] == "c2pa.edited"][0]
    assert "band" in edited.get("description", edited.get("parameters", {}).get("description", ""))


def test_the_archived_original_declares_only_its_metadata(photo: bytes, settings: Settings,
                                                          signer: C2paSigner) -> None:
    profile = dataclasses.replace(DEFAULT_PROFILES["archivo"], c2pa=True)
    data = export_image(io.BytesIO(photo), INFO, profile, signer=signer).data

    found = read_credentials(data, "image/jpeg")

    assert found.state is CredentialState.VALID
    assert found.actions == ("c2pa.created", "c2pa.edited.metadata")  # pixels as stored


def test_credentials_are_trusted_with_the_ca_as_trust_anchor(
        photo: bytes, signer: C2paSigner, settings: Settings) -> None:
    ca = x509.load_pem_x509_certificates(settings.c2pa_cert_path.read_bytes())[1]

    found = read_credentials(_export(photo, signer), "image/jpeg",
                             trust_anchors=ca.public_bytes(serialization.Encoding.PEM))

    assert found.state is CredentialState.TRUSTED


def test_one_changed_byte_in_the_picture_makes_them_invalid(
        photo: bytes, signer: C2paSigner) -> None:
    data = bytearray(_export(photo, signer))
    position = len(data) - 64  # inside the last scan's compressed data, before the EOI marker
    data[position] = (data[position] + 1) % 0xFF

    found = read_credentials(bytes(data), "image/jpeg")

    assert found.present and not found.ok
    assert found.state is CredentialState.INVALID
    assert any(error.startswith("assertion.dataHash.mismatch") for error in found.errors)


def test_a_file_without_credentials_reads_as_none(photo: bytes) -> None:
    found = read_credentials(_export(photo, None), "image/jpeg")

    assert found.state is CredentialState.NONE and not found.present and not found.ok


def test_one_signer_signs_many_files_from_many_threads(photo: bytes, signer: C2paSigner) -> None:
    with ThreadPoolExecutor(4) as pool:
        signed = list(pool.map(lambda seed: _export(photo, signer, seed), range(8)))

    reports = [read_credentials(data, "image/jpeg") for data in signed]
    assert all(report.state is CredentialState.VALID for report in reports)
    assert len(set(signed)) == 8


def test_missing_files_turn_signing_off_with_a_warning(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="publish.credentials"):
        assert load_signer(settings) is None

    assert "C2PA signing is off" in caplog.text and "dam init" in caplog.text


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Solo")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write_pair(settings: Settings, chain: bytes, key: bytes) -> None:
    settings.c2pa_cert_path.parent.mkdir(parents=True, exist_ok=True)
    settings.c2pa_cert_path.write_bytes(chain)
    settings.c2pa_key_path.write_bytes(key)


def test_a_lone_self_signed_certificate_is_refused_clearly(settings: Settings) -> None:
    _write_pair(settings, *_self_signed())

    with pytest.raises(CredentialsError, match="lone self-signed certificate.*followed by"):
        load_signer(settings)


def test_c2pa_itself_refuses_a_lone_self_signed_certificate(photo: bytes) -> None:
    cert, key = _self_signed()
    signer = C2paSigner(cert, key, c2pa.C2paSigningAlg.ES256)

    with pytest.raises(CredentialsError, match="C2PA signing failed"):
        signer(_export(photo, None), "image/jpeg", INFO)


def test_a_key_that_is_not_the_certificates_is_refused(settings: Settings) -> None:
    chain, _ = dev_chain("Alcaldía")
    _, other_key = dev_chain("Alcaldía")
    _write_pair(settings, chain, other_key)

    with pytest.raises(CredentialsError, match="is not the key of the first certificate"):
        load_signer(settings)


def test_a_file_that_is_not_a_certificate_is_refused(settings: Settings) -> None:
    _, key = dev_chain("Alcaldía")
    _write_pair(settings, b"not a certificate", key)

    with pytest.raises(CredentialsError, match="not a PEM certificate chain"):
        load_signer(settings)
