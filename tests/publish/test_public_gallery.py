"""The gallery and its open data show a published photo through the public projection only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dam.config import Settings
from dam.context import Context
from dam.enums import CullMark, MediaType, WorkflowState
from dam.models import Asset
from publish.keys import init_keys
from publish.profiles import default_profile
from publish.public_view import OPTIONAL_FACTS, public_facts, public_fields
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo
from tests.public_leaks import FILE_STEM, GPS, PERSON, TAGS, Secrets, add_named_face
from tests.publish.kit_fixtures import ingest
from tests.publish.test_gallery_publish import Gallery, add_collection, publish, site_files

TEXT_FILES = (".html", ".xml", ".atom", ".json", ".jsonld", ".csv", ".txt", ".css", ".svg")


def _private_photo(ctx: Context, folder: Path) -> tuple[int, Secrets]:
    path = make_photo(folder / f"{FILE_STEM}.jpg", (640, 480), seed=3, gps=GPS, private=TAGS)
    [asset_id] = ingest(ctx, [path])
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.caption = "Entrega de luminarias en la colonia Centro"
        asset.sublocation, asset.city = "Colonia Centro", "Iztapalapa"
        asset.persons_shown = [PERSON]
        add_named_face(session, asset_id)
        asset.cull_mark, asset.rating = CullMark.REJECTED, 1
        asset.workflow_state = WorkflowState.APPROVED
        assert asset.gps_latitude is not None and asset.camera_serial
        record_fixture_writes(session)
        return asset_id, Secrets(asset.sha256, asset.original_key, asset.batch_id or 0)


def test_the_gallery_and_open_data_give_away_nothing_private(ctx: Context,
                                                            tmp_path: Path) -> None:
    init_keys(ctx.settings)
    asset_id, secrets = _private_photo(ctx, tmp_path / "fotos")
    collection = add_collection(ctx, "luminarias", [asset_id])
    gallery = Gallery([asset_id], {}, collection, tmp_path / "galeria")
    assert publish(ctx, gallery).photos == 1
    files = site_files(gallery.current)
    assert f"fotos/{asset_id}/index.html" in files and "datos/catalogo.csv" in files
    leaks: list[str] = []
    for path, data in files.items():
        if path.endswith(TEXT_FILES):
            leaks += secrets.found_in_text(data.decode("utf-8"), path)
        else:
            leaks += secrets.found_in_file(data, path)
    assert not leaks, "\n".join(leaks)
    assert "Entrega de luminarias" in files[f"fotos/{asset_id}/index.html"].decode()
    assert any(path.endswith(".jpg") for path in files)  # the pictures were walked too


def _asset(**values: object) -> Asset:
    asset = Asset(id=5, media_type=MediaType.PHOTO, sha256="ab" * 32, byte_size=1,
                  original_filename=f"{FILE_STEM}.jpg", original_key="originals/ab/ab/x",
                  keywords=["luminarias"], persons_shown=[PERSON], camera_make="Canon",
                  camera_model="Canon EOS R6", camera_serial=TAGS.body_serial,
                  gps_latitude=GPS[0], gps_longitude=GPS[1], taken_at=dt.datetime(2025, 3, 14),
                  metadata_json={"exif": {"BodySerialNumber": TAGS.body_serial}},
                  cull_mark=-1, created_at=dt.datetime(2025, 3, 15))
    for name, value in values.items():
        setattr(asset, name, value)
    return asset


def test_the_projection_is_what_the_publico_profile_keeps(settings: Settings) -> None:
    publico = default_profile("publico")
    fields = public_fields(_asset(), publico, settings)
    assert fields["keywords"] == ["luminarias"] and fields["taken_at"] == dt.datetime(2025, 3, 14)
    assert not {"camera_make", "camera_serial", "gps_latitude", "persons_shown", "sha256",
                "original_filename", "metadata_json", "cull_mark"} & set(fields)
    assert public_facts(_asset(), publico).gps_latitude is None
    assert public_facts(_asset(), publico).camera_make is None  # keep_camera=False
    prensa = default_profile("prensa")  # keeps the camera, never a position (public)
    assert public_fields(_asset(), prensa, settings)["camera_make"] == "Canon"
    assert "gps_latitude" not in public_fields(_asset(), prensa, settings)
    archivo = default_profile("archivo")  # internal: the only one that keeps GPS
    assert set(OPTIONAL_FACTS) <= set(public_fields(_asset(), archivo, settings))
