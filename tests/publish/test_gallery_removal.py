"""The public gallery and removals: trashed material leaves at the next publish and comes back
when restored; erased material leaves for good; clearance holds the trash whatever the profile."""

from __future__ import annotations

import datetime as dt

from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.erasure import erase_asset
from dam.curation.trash import restore_assets, trash_assets
from dam.models import Asset
from publish.clearance import clear_for_export
from publish.profiles import load_profile
from tests.publish.test_gallery_publish import NOW, Gallery, gallery, publish, site_files

__all__ = ["gallery"]  # the fixture


def _shown(gallery: Gallery, asset_id: int) -> bool:
    return any(f"/{asset_id}/" in f"/{p}" for p in site_files(gallery.current))


def test_trash_leaves_the_gallery_at_the_next_publish_and_restore_brings_it_back(
        ctx: Context, gallery: Gallery) -> None:
    first, second = gallery.clean
    publish(ctx, gallery)
    assert _shown(gallery, first) and _shown(gallery, second)
    with ctx.catalog.write() as session:
        trash_assets(session, SYSTEM, [first], NOW)
    result = publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))
    assert not _shown(gallery, first) and _shown(gallery, second)
    assert any(f"/{first}/" in f"/{p}" for p in result.removed)
    with ctx.catalog.write() as session:
        restore_assets(session, SYSTEM, [first])
    publish(ctx, gallery, now=NOW + dt.timedelta(hours=2))
    assert _shown(gallery, first)


def test_erased_material_leaves_the_gallery_at_the_next_publish(ctx: Context,
                                                                gallery: Gallery) -> None:
    first, second = gallery.clean
    publish(ctx, gallery)
    erase_asset(ctx.catalog, [ctx.store], SYSTEM, first, "Revocación de consentimiento 17/2026")
    publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))
    assert not _shown(gallery, first) and _shown(gallery, second)


def test_clearance_holds_the_trash_for_every_profile(ctx: Context, gallery: Gallery) -> None:
    first = gallery.clean[0]
    with ctx.catalog.write() as session:
        trash_assets(session, SYSTEM, [first], NOW)
    with ctx.catalog.read() as session:
        asset = session.get(Asset, first)
        for name in ("publico", "prensa", "redes", "archivo"):
            cleared, held = clear_for_export(session, [asset], load_profile(session, name), NOW)
            assert cleared == [] and [h.reasons for h in held] == [("trashed",)], name
