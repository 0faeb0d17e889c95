"""The institutional band: checked, stored content-addressed as PNG, its key audited."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import select

from dam.context import Context
from dam.models import AuditEntry, PublishingSetting
from publish.branding import (
    BAND_KEY,
    MAX_BYTES,
    BrandingError,
    current_key,
    load_band,
    remove_band,
    save_band,
)
from tests.curation.conftest import make_actors


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 120, 60, 200) if mode == "RGBA" else (0, 120, 60)).save(out, fmt)
    return out.getvalue()


def test_a_png_band_is_stored_and_loaded(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        key = save_band(session, ctx.store, admin, image_bytes((1200, 120)))
    stored = ctx.store.read_bytes(key)
    assert key == f"branding/band-{hashlib.sha256(stored).hexdigest()}.png"
    with ctx.catalog.read() as session:
        assert current_key(session) == key
        band = load_band(session, ctx.store)
    assert band == stored
    with Image.open(io.BytesIO(band)) as image:
        assert image.format == "PNG" and image.size == (1200, 120) and image.mode == "RGBA"
        assert image.getpixel((5, 5)) == (0, 120, 60, 200)  # transparency kept


def test_a_jpeg_band_is_stored_as_png(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        key = save_band(session, ctx.store, admin, image_bytes((900, 90), "JPEG", "RGB"))
    assert Image.open(io.BytesIO(ctx.store.read_bytes(key))).format == "PNG"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"this is text, renamed band.png", "not a PNG or JPEG"),
    (image_bytes((1200, 120), "GIF", "RGB"), "not a PNG or JPEG"),
    (image_bytes((1200, 120))[:200], "damaged"),
    (image_bytes((100, 20)), "wide"),
    (image_bytes((1200, 900)), "2 times as wide"),
    (b"\x89PNG" + b"\x00" * (MAX_BYTES + 10), "limit"),
])
def test_bad_bands_are_refused(ctx: Context, data: bytes, message: str) -> None:
    admin = make_actors(ctx)["admin"]
    with pytest.raises(BrandingError, match=message), ctx.catalog.write() as session:
        save_band(session, ctx.store, admin, data)
    with ctx.catalog.read() as session:
        assert current_key(session) is None
    assert list(ctx.store.list("branding/")) == []


def test_changes_are_audited_and_removal_leaves_no_band(ctx: Context) -> None:
    actors = make_actors(ctx)
    with ctx.catalog.write() as session:
        first = save_band(session, ctx.store, actors["admin"], image_bytes((1200, 120)))
    with ctx.catalog.write() as session:
        second = save_band(session, ctx.store, actors["admin"], image_bytes((800, 100)))
    with ctx.catalog.write() as session:
        remove_band(session, actors["admin"])
    with ctx.catalog.read() as session:
        assert load_band(session, ctx.store) is None
        assert session.get(PublishingSetting, BAND_KEY).value is None
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "branding")
                                  .order_by(AuditEntry.id)).all()
        assert [(e.old_value, e.new_value) for e in entries] == [
            (None, first), (first, second), (second, None)]
    with pytest.raises(BrandingError, match="administrators"), ctx.catalog.write() as session:
        save_band(session, ctx.store, actors["editora"], image_bytes((1200, 120)))


def test_a_band_missing_from_the_store_is_none(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        key = save_band(session, ctx.store, admin, image_bytes((1200, 120)))
    ctx.store.delete(key)
    with ctx.catalog.read() as session:
        assert load_band(session, ctx.store) is None
