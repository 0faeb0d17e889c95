"""A minor's face without consent: blurred in every public export when the collection's policy
says so, else the photo is held back. Checked on the pixels of the exported files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.faces import mark_minor, minor_faces_to_blur
from dam.enums import WorkflowState
from dam.faces import to_bytes
from dam.models import Asset, Collection, ConsentAsset, ConsentForm, Face
from publish.blur import blur_faces
from publish.clearance import faces_to_blur
from publish.presskit import PressKitEmptyError, press_kit
from publish.profiles import default_profile
from publish.social import social_image
from tests.changefeed_check import record_fixture_writes
from tests.publish.kit_fixtures import NOW, ingest
from tests.publish.test_gallery_publish import Gallery, add_collection, publish

BOX = (0.4, 0.3, 0.6, 0.7)  # the minor's face, fractions of the picture


def _busy_photo(path: Path) -> Path:
    """Fine noise everywhere: any blur shows as lost detail."""
    pixels = np.random.default_rng(7).integers(0, 256, (600, 900, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=95)
    return path


def detail(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    """Mean difference between neighbouring pixels inside ``box`` (fractions)."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    height, width = grey.shape
    left, top, right, bottom = box
    part = grey[int(top * height):int(bottom * height), int(left * width):int(right * width)]
    return float(np.abs(np.diff(part, axis=1)).mean())


def assert_blurred(data: bytes, face: tuple[float, float, float, float], where: str) -> None:
    image = Image.open(io.BytesIO(data))
    inside = detail(image, face)
    outside = detail(image, (0.02, 0.02, 0.2, 0.2))
    assert outside > 20, f"{where}: the picture lost its detail everywhere ({outside:.1f})"
    assert inside < 0.1 * outside, f"{where}: the face keeps detail ({inside:.1f}/{outside:.1f})"


@pytest.fixture
def minor_photo(ctx: Context, tmp_path: Path) -> int:
    folder = tmp_path / "fotos"
    folder.mkdir()
    [asset_id] = ingest(ctx, [_busy_photo(folder / "patio.jpg")])
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.workflow_state = WorkflowState.APPROVED
        asset.caption, asset.poi_x, asset.poi_y = "Festival en el patio", 0.5, 0.5
        face = Face(asset_id=asset_id, left=BOX[0], top=BOX[1], right=BOX[2], bottom=BOX[3],
                    descriptor=to_bytes(np.zeros(128)))
        session.add(face)
        session.flush()
        mark_minor(session, SYSTEM, face.id, True)
        assert asset.contains_minors  # marking the face marks the photo
        record_fixture_writes(session)
    return asset_id


def _policy(ctx: Context, collection_id: int, blur: bool) -> None:
    with ctx.catalog.write() as session:
        session.get(Collection, collection_id).blur_minors = blur
        record_fixture_writes(session)


def _asset(ctx: Context, asset_id: int) -> Asset:
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge_all()
    return asset


def test_blurred_in_the_gallery_press_kit_and_social_formats(ctx: Context, minor_photo: int,
                                                              tmp_path: Path) -> None:
    from publish.keys import init_keys

    init_keys(ctx.settings)
    collection_id = add_collection(ctx, "festival", [minor_photo])
    _policy(ctx, collection_id, True)
    gallery = Gallery([minor_photo], {}, collection_id, tmp_path / "galeria")
    result = publish(ctx, gallery)
    assert result.held == [] and result.photos == 1
    jpegs = sorted(gallery.current.glob(f"media/{minor_photo}/*.jpg"))
    assert jpegs
    for path in jpegs:
        assert_blurred(path.read_bytes(), BOX, path.name)

    with ctx.catalog.read() as session:
        collection = session.get(Collection, collection_id)
        session.expunge(collection)
    kit = press_kit(ctx, [_asset(ctx, minor_photo)], title="Festival", now=NOW,
                    collection=collection)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(kit.chunks())))
    [name] = [n for n in archive.namelist() if n.endswith(".jpg")]
    assert_blurred(archive.read(name), BOX, name)

    # the square crop (600 x 600 of 900 x 600 around the centre) puts the face at x 0.35-0.65
    square = social_image(ctx, _asset(ctx, minor_photo), "cuadrado", NOW)
    assert_blurred(square.data, (0.37, 0.32, 0.63, 0.68), "cuadrado")


def test_held_back_when_the_policy_is_to_hold(ctx: Context, minor_photo: int,
                                              tmp_path: Path) -> None:
    from publish.keys import init_keys

    init_keys(ctx.settings)
    collection_id = add_collection(ctx, "festival", [minor_photo])
    gallery = Gallery([], {}, collection_id, tmp_path / "galeria")
    result = publish(ctx, gallery)
    assert [(h.asset_id, h.reasons) for h in result.held] == [
        (minor_photo, ("minors_without_consent",))]
    with pytest.raises(PressKitEmptyError):
        press_kit(ctx, [_asset(ctx, minor_photo)], title="Festival", now=NOW)


def test_a_valid_consent_for_minors_leaves_the_face_alone(ctx: Context, minor_photo: int
                                                          ) -> None:
    with ctx.catalog.write() as session:
        assert set(minor_faces_to_blur(session, [minor_photo], NOW)) == {minor_photo}
        assert faces_to_blur(session, [minor_photo], default_profile("archivo"), NOW) == {}
        form = ConsentForm(persons=["Niña"], covers_minor=True, guardian="Madre")
        session.add(form)
        session.flush()
        session.add(ConsentAsset(consent_id=form.id, asset_id=minor_photo))
        session.flush()
        assert minor_faces_to_blur(session, [minor_photo], NOW) == {}


def test_blur_changes_only_the_face_and_its_margin() -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (400, 400, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    blurred = blur_faces(image, [(0.4, 0.4, 0.6, 0.6)])
    before, after = np.asarray(image), np.asarray(blurred)
    changed = np.argwhere((before != after).any(axis=2))
    assert changed.min(axis=0).tolist() >= [140, 140]  # within the box and its 25 % margin
    assert changed.max(axis=0).tolist() <= [261, 261]
    assert detail(blurred, (0.42, 0.42, 0.58, 0.58)) < 0.1 * detail(image, (0.42, 0.42, 0.58, 0.58))
    assert blur_faces(image, []) is image


def test_a_video_with_a_minor_is_held_back_whatever_the_policy(ctx: Context,
                                                                minor_photo: int) -> None:
    from dam.enums import MediaType
    from publish.clearance import clear_for_export

    with ctx.catalog.write() as session:
        session.get(Asset, minor_photo).media_type = MediaType.VIDEO  # its frames cannot be blurred
        record_fixture_writes(session)
    with ctx.catalog.read() as session:
        asset = session.get(Asset, minor_photo)
        cleared, held = clear_for_export(session, [asset], default_profile("publico"), NOW,
                                         blur_minors=True)
    assert cleared == [] and held[0].reasons == ("minors_without_consent",)
