"""Social formats: exact sizes, crops around the point of interest, the band, POI edits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from dam.context import Context
from dam.curation.actor import Actor
from dam.enums import Role, WorkflowState
from dam.errors import NotFoundError
from dam.models import Asset, AuditEntry
from dam.publishing.point_of_interest import (
    PointOfInterestError,
    PointOfInterestPermissionError,
    set_point_of_interest,
)
from publish.focus import focus_for, guess_focus
from publish.social import PRESETS, HeldBackError, UnknownPresetError, social_image
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors
from tests.publish.kit_fixtures import NOW, add_described_photos, bright_corner_photo, ingest


def _asset(ctx: Context, asset_id: int) -> Asset:
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge_all()
    return asset


def _yellow_share(data: bytes) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)
    yellow = (pixels[..., 0] > 200) & (pixels[..., 1] > 180) & (pixels[..., 2] < 90)
    return float(yellow.mean())


@pytest.fixture
def corner_photo(ctx: Context, tmp_path: Path) -> int:
    (asset_id,) = ingest(ctx, [bright_corner_photo(tmp_path / "esquina.jpg")])
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.workflow_state = WorkflowState.APPROVED
        asset.caption = "Entrega de apoyos"
        record_fixture_writes(session)
    return asset_id


def test_every_preset_has_its_exact_size(ctx: Context, tmp_path: Path) -> None:
    (asset_id,) = add_described_photos(ctx, tmp_path / "f", count=1)
    asset = _asset(ctx, asset_id)
    for code, preset in PRESETS.items():
        made = social_image(ctx, asset, code, NOW)
        picture = Image.open(io.BytesIO(made.data))
        assert picture.format == "JPEG", code
        assert picture.size == (preset.width, preset.height) == (made.width, made.height), code
        assert not picture.getexif().get_ifd(0x8825), f"{code}: GPS left in the file"
    assert {p.code for p in PRESETS.values()} == {"cuadrado", "vertical", "horizontal",
                                                  "historia"}
    with pytest.raises(UnknownPresetError):
        social_image(ctx, asset, "panoramica", NOW)


def test_guess_focus_finds_an_object_off_centre(tmp_path: Path) -> None:
    for corner in ((0.85, 0.2), (0.15, 0.75)):
        image = Image.open(bright_corner_photo(tmp_path / "g.jpg", corner=corner))
        x, y = guess_focus(image)
        assert abs(x - corner[0]) < 0.08 and abs(y - corner[1]) < 0.08, (corner, (x, y))
    flat = Image.new("RGB", (300, 200), (120, 120, 120))
    assert guess_focus(flat) == (0.5, 0.5)


def test_the_crop_follows_the_point_of_interest(ctx: Context, corner_photo: int) -> None:
    actors = make_actors(ctx)
    guessed = social_image(ctx, _asset(ctx, corner_photo), "historia", NOW)
    assert _yellow_share(guessed.data) > 0.02  # the automatic guess keeps the bright square
    with ctx.catalog.write() as session:  # an editor points at the far side instead
        set_point_of_interest(session, actors["editora"], corner_photo, 0.05, 0.5)
    away = social_image(ctx, _asset(ctx, corner_photo), "historia", NOW)
    assert _yellow_share(away.data) == 0.0
    with ctx.catalog.write() as session:
        set_point_of_interest(session, actors["editora"], corner_photo, 0.85, 0.2)
    asset = _asset(ctx, corner_photo)
    assert focus_for(asset, Image.new("RGB", (10, 10))) == (0.85, 0.2)
    assert _yellow_share(social_image(ctx, asset, "historia", NOW).data) > 0.02


def test_setting_and_resetting_the_point_is_audited(ctx: Context, corner_photo: int) -> None:
    actors = make_actors(ctx)
    version = _asset(ctx, corner_photo).edit_version
    with ctx.catalog.write() as session:
        set_point_of_interest(session, actors["editora"], corner_photo, 0.25, 0.75)
    asset = _asset(ctx, corner_photo)
    assert (asset.poi_x, asset.poi_y, asset.edit_version) == (0.25, 0.75, version + 1)
    with ctx.catalog.write() as session:
        set_point_of_interest(session, actors["admin"], corner_photo, None, None)
    asset = _asset(ctx, corner_photo)
    assert (asset.poi_x, asset.poi_y, asset.edit_version) == (None, None, version + 2)
    with ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.field == "poi")
                                  .order_by(AuditEntry.id)).all()
        assert [(e.username, e.action, e.old_value, e.new_value) for e in entries] == [
            ("editora", "edit", None, [0.25, 0.75]), ("admin", "edit", [0.25, 0.75], None)]
    with ctx.catalog.write() as session:
        for x, y in ((1.2, 0.5), (0.5, -0.1), (float("nan"), 0.5), (0.5, None)):
            with pytest.raises(PointOfInterestError):
                set_point_of_interest(session, actors["editora"], corner_photo, x, y)
        with pytest.raises(PointOfInterestPermissionError):
            set_point_of_interest(session, actors["foto1"], corner_photo, 0.5, 0.5)
        with pytest.raises(PointOfInterestPermissionError):
            set_point_of_interest(session, Actor(None, "x", Role.VIEWER), corner_photo, 0.5, 0.5)
        with pytest.raises(NotFoundError):
            set_point_of_interest(session, actors["editora"], 999_999, 0.5, 0.5)


def test_a_held_back_asset_gets_no_social_format(ctx: Context, corner_photo: int) -> None:
    with ctx.catalog.write() as session:
        session.get(Asset, corner_photo).contains_minors = True
        record_fixture_writes(session)
    with pytest.raises(HeldBackError) as refused:
        social_image(ctx, _asset(ctx, corner_photo), "cuadrado", NOW)
    assert refused.value.held.reasons == ("minors_without_consent",)


def test_the_band_lies_along_the_bottom(ctx: Context, corner_photo: int) -> None:
    branding = pytest.importorskip("publish.branding")
    actors = make_actors(ctx)
    band = Image.new("RGB", (1080, 120), (128, 0, 64))  # the office's guinda
    out = io.BytesIO()
    band.save(out, "PNG")
    with ctx.catalog.write() as session:
        branding.save_band(session, ctx.store, actors["admin"], out.getvalue())
    made = Image.open(io.BytesIO(social_image(ctx, _asset(ctx, corner_photo), "cuadrado",
                                              NOW).data)).convert("RGB")
    bottom = np.asarray(made.crop((0, made.height - 40, made.width, made.height)), dtype=float)
    top = np.asarray(made.crop((0, 0, made.width, 40)), dtype=float)
    guinda = np.array([128, 0, 64])
    assert np.abs(bottom - guinda).mean() < 20
    assert np.abs(top - guinda).mean() > 40


def test_an_electoral_blackout_stops_social_formats_except_excepted_collections(
        ctx: Context, corner_photo: int) -> None:
    import datetime as dt

    from dam.curation.collections import add_items, create_album
    from dam.enums import BlackoutException
    from dam.publishing.blackout import add_period, set_exception
    from publish.social import SocialBlackoutError

    actors = make_actors(ctx)
    with ctx.catalog.write() as session:
        add_period(session, actors["admin"], NOW - dt.timedelta(days=1),
                   NOW + dt.timedelta(days=1), "Proceso electoral local")
    asset = _asset(ctx, corner_photo)
    with pytest.raises(SocialBlackoutError) as refused:
        social_image(ctx, asset, "cuadrado", NOW)
    assert refused.value.reason == "Proceso electoral local"
    with ctx.catalog.write() as session:
        album = create_album(session, actors["admin"], "Alerta sísmica")
        add_items(session, actors["admin"], album.id, [corner_photo])
        set_exception(session, actors["admin"], album.id, BlackoutException.CIVIL_PROTECTION,
                      "Simulacro y alerta sísmica: información de protección civil")
    assert social_image(ctx, asset, "cuadrado", NOW).width == 1080
