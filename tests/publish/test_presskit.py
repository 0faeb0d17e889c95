"""Press kits: a streamed ZIP of press JPEGs, pies_de_foto.txt and LICENCIA.txt, no held back."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.collections import create_album
from dam.enums import BlackoutException, WorkflowState
from dam.models import Asset, Collection
from publish import presskit
from publish.presskit import PressKitBlackoutError, PressKitEmptyError, press_kit
from tests.changefeed_check import record_fixture_writes
from tests.media import QUADRANTS, quadrant_image, write_picture
from tests.publish.kit_fixtures import NOW, add_blackout, add_described_photos, ingest


def _assets(ctx: Context, ids: list[int]) -> list[Asset]:
    """Detached, loaded assets (as the web's ``reading`` gives them)."""
    with ctx.catalog.read() as session:
        assets = [session.get(Asset, i) for i in ids]
        session.expunge_all()
    return assets


def _zip(kit: presskit.PressKit) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(kit.chunks())))


@pytest.fixture
def photos(ctx: Context, tmp_path: Path) -> list[int]:
    return add_described_photos(ctx, tmp_path / "fotos", count=3)


def test_the_zip_holds_press_jpegs_captions_and_licence(ctx: Context, photos: list[int]) -> None:
    kit = press_kit(ctx, _assets(ctx, photos), title="Jornada de salud", now=NOW)
    assert kit.filename == "paquete-para-prensa-jornada-de-salud-2025-06-01.zip"
    assert kit.count == 3 and kit.held == []
    archive = _zip(kit)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == ["01-jornada-de-salud-0.jpg", "02-jornada-de-salud-1.jpg",
                     "03-jornada-de-salud-2.jpg", "pies_de_foto.txt", "LICENCIA.txt"]
    kinds = {i.filename: i.compress_type for i in archive.infolist()}
    assert kinds["01-jornada-de-salud-0.jpg"] == zipfile.ZIP_STORED
    assert kinds["pies_de_foto.txt"] == zipfile.ZIP_DEFLATED
    assert archive.read("02-jornada-de-salud-1.jpg")[:2] == b"\xff\xd8"
    raw = archive.read("pies_de_foto.txt")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\n" not in raw.replace(
        b"\r\n", b"")
    captions = raw.decode("utf-8-sig")
    for n in range(3):
        assert f"Vacunación en la colonia número {n}, «ñandú» ✓" in captions
        assert f"Foto: Ana Peña {n} / Alcaldía" in captions
        assert f"0{n + 1}-jornada-de-salud-{n}.jpg" in captions
    assert "Santa Cruz Meyehualco" in captions and "2025-03-14 11:30" in captions
    licence = archive.read("LICENCIA.txt").decode("utf-8-sig")
    assert "Todos los derechos reservados" in licence or "todos-los-derechos" in licence


def test_the_zip_streams_one_picture_at_a_time(ctx: Context, photos: list[int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    exported: list[int] = []
    real = presskit.export_image

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        exported.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(presskit, "export_image", counting)
    kit = press_kit(ctx, _assets(ctx, photos), title="x", now=NOW)
    assert exported == []  # nothing is rendered before the client reads
    chunks = kit.chunks()
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04")
    assert len(exported) == 1  # the first bytes leave before the other JPEGs exist
    rest = list(chunks)
    assert len(exported) == 3 and len(rest) >= 3


def test_exported_jpegs_carry_credit_and_no_gps(ctx: Context, photos: list[int],
                                                tmp_path: Path) -> None:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed")
    archive = _zip(press_kit(ctx, _assets(ctx, photos[:1]), title="x", now=NOW))
    path = tmp_path / "kit.jpg"
    path.write_bytes(archive.read(archive.namelist()[0]))
    tags = json.loads(subprocess.run(["exiftool", "-j", "-G1", "-n", str(path)],
                                     capture_output=True, check=True).stdout)[0]
    values = " ".join(str(v) for v in tags.values())
    assert "Vacunación en la colonia número 0" in values
    assert "Foto: Ana Peña 0 / Alcaldía" in values
    assert not [k for k in tags if "GPS" in k]
    assert not [k for k in tags if "Serial" in k]


def test_held_back_assets_are_left_out_and_counted(ctx: Context, photos: list[int]) -> None:
    with ctx.catalog.write() as session:
        session.get(Asset, photos[0]).embargo_until = NOW + dt.timedelta(days=2)
        session.get(Asset, photos[2]).workflow_state = WorkflowState.DRAFT
        record_fixture_writes(session)
    kit = press_kit(ctx, _assets(ctx, photos), title="x", now=NOW)
    assert kit.count == 1
    assert {h.asset_id: h.reasons for h in kit.held} == {photos[0]: ("embargoed",),
                                                         photos[2]: ("unapproved",)}
    archive = _zip(kit)
    assert [n for n in archive.namelist() if n.endswith(".jpg")] == ["01-jornada-de-salud-1.jpg"]
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8", "replace")
    assert "número 0" not in everything and "número 2" not in everything
    assert "foto_0" not in everything and "foto_2" not in everything


def test_nothing_cleared_is_refused(ctx: Context, photos: list[int]) -> None:
    with ctx.catalog.write() as session:
        for asset_id in photos:
            session.get(Asset, asset_id).internal_only = True
        record_fixture_writes(session)
    with pytest.raises(PressKitEmptyError) as refused:
        press_kit(ctx, _assets(ctx, photos), title="x", now=NOW)
    assert len(refused.value.held) == 3


def test_a_blackout_refuses_kits_unless_the_collection_is_excepted(
        ctx: Context, photos: list[int]) -> None:
    add_blackout(ctx)
    with ctx.catalog.write() as session:
        album = create_album(session, SYSTEM, "Campaña de vacunación")
    with pytest.raises(PressKitBlackoutError, match="Proceso electoral local 2027"):
        press_kit(ctx, _assets(ctx, photos), title="x", now=NOW, collection=album)
    with pytest.raises(PressKitBlackoutError):  # a loose selection has no exception
        press_kit(ctx, _assets(ctx, photos), title="x", now=NOW)
    with ctx.catalog.write() as session:
        row = session.get(Collection, album.id)
        row.blackout_exception = BlackoutException.HEALTH
        row.blackout_exception_reason = "Campaña de vacunación contra sarampión"
        session.flush()
        session.expunge(row)
        album = row
        record_fixture_writes(session)
    kit = press_kit(ctx, _assets(ctx, photos), title="x", now=NOW, collection=album)
    assert kit.count == 3
    # After the blackout, no exception is needed.
    later = NOW + dt.timedelta(days=31)
    assert press_kit(ctx, _assets(ctx, photos), title="x", now=later).count == 3


def test_press_jpegs_carry_content_credentials_when_the_office_has_keys(
        ctx: Context, photos: list[int]) -> None:
    from publish.credentials import CredentialState, read_credentials
    from publish.keys import init_keys

    unsigned = _zip(press_kit(ctx, _assets(ctx, photos[:1]), title="Sin llaves", now=NOW))
    name = unsigned.namelist()[0]
    assert read_credentials(unsigned.read(name), "image/jpeg").state == CredentialState.NONE
    init_keys(ctx.settings)  # the development chain, as `dam init` makes it
    signed = _zip(press_kit(ctx, _assets(ctx, photos[:1]), title="Con llaves", now=NOW))
    report = read_credentials(signed.read(signed.namelist()[0]), "image/jpeg")
    assert report.state == CredentialState.VALID and report.claim_generator
    assert report.credit == "Foto: Ana Peña 0 / Alcaldía"


@pytest.mark.parametrize("fmt", ["PSD", "JPEG2000", "JXL"])
def test_a_kit_takes_any_rendered_type_from_its_original(ctx: Context, tmp_path: Path,
                                                         fmt: str) -> None:
    """PSD, JPEG 2000 and JPEG XL originals decode as ingest decodes them: full size, not the
    preview's, and the colours of the original."""
    folder = tmp_path / "originales"
    folder.mkdir()
    size = (ctx.settings.preview_size + 560, 1200)
    original = write_picture(quadrant_image(size), folder / "original.bin", fmt)
    (asset_id,) = ingest(ctx, [original])
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.workflow_state = WorkflowState.APPROVED
        record_fixture_writes(session)
    kit = press_kit(ctx, _assets(ctx, [asset_id]), title="Originales", now=NOW)
    archive = _zip(kit)
    assert kit.count == 1, kit.held
    (name,) = [n for n in archive.namelist() if n.endswith(".jpg")]
    with Image.open(io.BytesIO(archive.read(name))) as picture:
        assert picture.size == size  # the original's pixels: the preview is smaller
        rgb = picture.convert("RGB")
        corners = [rgb.getpixel((x, y)) for y in (300, 900) for x in (400, size[0] - 400)]
    assert all(max(abs(a - b) for a, b in zip(c, q, strict=True)) < 40
               for c, q in zip(corners, QUADRANTS, strict=True)), corners
