"""The gallery's signed SHA-256 manifest, and `dam publish verify`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from dam.cli import get_cli
from dam.config import Settings
from publish.credentials import load_signer
from publish.embed import PressInfo
from publish.export import export_image
from publish.keys import init_keys
from publish.manifest import (
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    SIGNATURE_NAME,
    ManifestError,
    manifest_files,
    manifest_json,
    sha256_file,
    verify_gallery,
)
from publish.profiles import DEFAULT_PROFILES
from tests.conftest import make_settings
from tests.media import make_photo

WHEN = dt.datetime(2025, 3, 14, 18, 30, tzinfo=dt.UTC)
SITE = "https://galeria.example.mx/"
FILES = {
    "index.html": b"<!doctype html><title>Galer\xc3\xada</title>",
    "colecciones/mercado/index.html": b"<h1>Mercado sobre ruedas</h1>",
    "media/12/9f2c-800.jpg": b"\xff\xd8 not really a jpeg \xff\xd9",
    "feed.xml": b"<feed/>",
}


def build_site(folder: Path, settings: Settings, files: dict[str, bytes] = FILES) -> Path:
    """Write ``files`` and the manifest the gallery builder would add."""
    entries = {}
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entries[name] = (sha256_file(path), len(data))
    for name, data in manifest_files(entries, WHEN, SITE, settings).items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def site(tmp_path: Path, settings: Settings) -> Path:
    init_keys(settings)
    return build_site(tmp_path / "site", settings)


def test_manifest_lists_every_file_sorted_and_signs_the_exact_bytes(
        settings: Settings, site: Path) -> None:
    document = json.loads((site / MANIFEST_NAME).read_bytes())

    assert list(document["files"]) == sorted(FILES)
    assert document["files"]["feed.xml"] == {
        "sha256": hashlib.sha256(b"<feed/>").hexdigest(), "size": 7}
    assert document["site"] == SITE and document["generated_at"] == "2025-03-14T18:30:00+00:00"
    public = serialization.load_pem_public_key((site / PUBLIC_KEY_NAME).read_bytes())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(base64.b64decode((site / SIGNATURE_NAME).read_bytes()),
                  (site / MANIFEST_NAME).read_bytes())


def test_an_intact_gallery_verifies(site: Path) -> None:
    report = verify_gallery(site)

    assert report.ok and report.signature_valid and report.key_from_folder
    assert report.checked == len(FILES)
    assert (report.missing, report.changed, report.extra) == ([], [], [])


def test_a_modified_file_is_reported_changed(site: Path) -> None:
    (site / "colecciones/mercado/index.html").write_bytes(b"<h1>Mercado sobre ruedaS</h1>")

    report = verify_gallery(site)

    assert not report.ok and report.signature_valid
    assert report.changed == ["colecciones/mercado/index.html"]


def test_a_deleted_file_is_missing_and_an_added_one_extra(site: Path) -> None:
    (site / "feed.xml").unlink()
    (site / "media/12/intruso.jpg").write_bytes(b"x")

    report = verify_gallery(site)

    assert report.missing == ["feed.xml"]
    assert report.extra == ["media/12/intruso.jpg"]
    assert not report.ok


def test_a_tampered_manifest_fails_its_signature(site: Path) -> None:
    # Someone swaps a picture and rewrites its hash in the manifest to match.
    (site / "media/12/9f2c-800.jpg").write_bytes(b"another picture")
    document = json.loads((site / MANIFEST_NAME).read_bytes())
    document["files"]["media/12/9f2c-800.jpg"] = {
        "sha256": sha256_file(site / "media/12/9f2c-800.jpg"), "size": 15}
    (site / MANIFEST_NAME).write_text(json.dumps(document, indent=1) + "\n")

    report = verify_gallery(site)

    assert not report.signature_valid and not report.ok
    assert "does not match" in (report.signature_problem or "")
    assert report.changed == []  # the files match the forged manifest: only the signature tells


def test_another_public_key_fails_the_signature(site: Path) -> None:
    stranger = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    report = verify_gallery(site, stranger)

    assert not report.signature_valid and not report.key_from_folder and not report.ok


def test_the_offices_own_public_key_verifies(site: Path) -> None:
    report = verify_gallery(site, (site / PUBLIC_KEY_NAME).read_bytes())

    assert report.ok and not report.key_from_folder


def test_a_missing_signature_is_reported(site: Path) -> None:
    (site / SIGNATURE_NAME).unlink()

    report = verify_gallery(site)

    assert not report.ok and report.signature_problem == f"{SIGNATURE_NAME} is missing"


def test_a_folder_without_a_manifest_is_not_a_gallery(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a published gallery"):
        verify_gallery(tmp_path)


@pytest.mark.parametrize("path", ["/etc/passwd", "../fuera.html", "a/./b.html", "a\\b.html",
                                  "", MANIFEST_NAME])
def test_entries_must_be_relative_posix_paths(path: str) -> None:
    with pytest.raises(ManifestError):
        manifest_json({path: ("0" * 64, 1)}, WHEN, SITE)


def test_entries_need_a_sha256_and_the_time_a_zone() -> None:
    with pytest.raises(ManifestError, match="bad SHA-256"):
        manifest_json({"a.html": ("abc", 1)}, WHEN, SITE)
    with pytest.raises(ManifestError, match="time zone"):
        manifest_json({}, WHEN.replace(tzinfo=None), SITE)


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


# `dam publish verify`


def run_verify(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(get_cli(), ["publish", "verify", *args],
                              obj={"settings": settings})


def test_cli_verifies_a_good_gallery(settings: Settings, site: Path) -> None:
    result = run_verify(settings, str(site))

    assert result.exit_code == 0, result.output
    assert "signature: valid" in result.output and "OK" in result.output
    assert "--public-key" in result.output  # says what a key from the folder proves


def test_cli_exits_1_on_a_changed_file(settings: Settings, site: Path) -> None:
    (site / "index.html").write_bytes(b"defaced")

    result = run_verify(settings, str(site))

    assert result.exit_code == 1
    assert "changed: 1" in result.output and "index.html" in result.output


def test_cli_exits_1_with_another_key(settings: Settings, site: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "otra.pem"
    stranger.write_bytes(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    result = run_verify(settings, str(site), "--public-key", str(stranger))

    assert result.exit_code == 1 and "signature: INVALID" in result.output


def test_cli_defaults_to_the_live_gallery(settings: Settings) -> None:
    init_keys(settings)
    target = Path(settings.gallery_target)
    release = build_site(target / "releases" / "r1", settings)
    (target / "current").symlink_to(release, target_is_directory=True)

    result = run_verify(settings)

    assert result.exit_code == 0, result.output
    assert f"gallery: {target / 'current'}" in result.output


def test_cli_on_a_folder_that_is_not_a_gallery(settings: Settings, tmp_path: Path) -> None:
    result = run_verify(settings, str(tmp_path))

    assert result.exit_code == 1 and "not a published gallery" in result.output


def test_cli_c2pa_reports_pictures_without_valid_credentials(
        settings: Settings, tmp_path: Path) -> None:
    init_keys(settings)
    signer = load_signer(settings)
    photo = make_photo(tmp_path / "p.jpg", (640, 480)).read_bytes()
    profile, info = DEFAULT_PROFILES["publico"], PressInfo(credit="Alcaldía", creator="Ana")

    def picture(sign: bool) -> bytes:
        return export_image(io.BytesIO(photo), info, profile, long_edge=320,
                            signer=signer if sign else None).data

    good = build_site(tmp_path / "good", settings, {"media/1/a-320.jpg": picture(True)})
    assert run_verify(settings, str(good), "--c2pa").exit_code == 0
    site = build_site(tmp_path / "site", settings, {
        "media/1/a-320.jpg": picture(True), "media/2/b-320.jpg": picture(False)})
    result = run_verify(settings, str(site), "--c2pa")

    assert result.exit_code == 1
    assert "2 JPEG files read, 1 with problems" in result.output
    assert "media/2/b-320.jpg: no content credentials" in result.output
    assert "media/1/a-320.jpg" not in result.output


def test_cli_asks_for_a_folder_when_the_gallery_is_on_s3(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, gallery_target="s3://galeria/publica")

    result = run_verify(settings)

    assert result.exit_code == 1 and "is not a folder" in result.output
