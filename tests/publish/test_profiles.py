"""Export profiles: admins' changes stored as differences from the defaults, checked, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.models import AuditEntry
from dam.models import ExportProfile as ProfileRow
from publish.profiles import (
    DEFAULT_PROFILES,
    ProfileError,
    load_profile,
    load_profiles,
    reset_profile,
    save_profile,
)
from tests.curation.conftest import make_actors


def _entries(ctx: Context) -> list[AuditEntry]:
    with ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "export_profile")
                                  .order_by(AuditEntry.id)).all()
        session.expunge_all()
        return list(entries)


def test_defaults_are_in_force_until_an_admin_changes_them(ctx: Context) -> None:
    with ctx.catalog.read() as session:
        assert load_profiles(session) == DEFAULT_PROFILES
        with pytest.raises(ProfileError, match="unknown export profile"):
            load_profile(session, "nope")


def test_save_stores_only_what_differs_and_audits_old_and_new(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        saved = save_profile(session, admin, "publico", {
            "sizes": [800, 2000, 800], "quality": "75", "watermark": "  Alcaldía   Iztapalapa ",
            "c2pa": True, "blocks": ["embargoed", "unapproved"]})
    assert saved.sizes == (2000, 800) and saved.quality == 75
    assert saved.watermark == "Alcaldía Iztapalapa"
    with ctx.catalog.read() as session:
        row = session.get(ProfileRow, "publico")
        assert row is not None and row.updated_by == admin.user_id
        # c2pa was already True: not stored; blocks stored sorted.
        assert row.settings == {"sizes": [2000, 800], "quality": 75,
                                "watermark": "Alcaldía Iztapalapa",
                                "blocks": ["embargoed", "unapproved"]}
        assert load_profile(session, "publico") == saved
        assert load_profile(session, "prensa") == DEFAULT_PROFILES["prensa"]
    [entry] = _entries(ctx)
    assert entry.field == "publico" and entry.username == "admin"
    assert entry.old_value["quality"] == 82 and entry.new_value["quality"] == 75
    assert set(entry.new_value) == {"sizes", "quality", "watermark", "blocks"}


def test_saving_the_same_values_again_writes_nothing(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    for _ in range(2):
        with ctx.catalog.write() as session:
            save_profile(session, admin, "redes", {"quality": 70})
    assert len(_entries(ctx)) == 1


def test_later_changes_keep_earlier_ones(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        save_profile(session, admin, "prensa", {"quality": 70})
        save_profile(session, admin, "prensa", {"keep_camera": False})
    with ctx.catalog.read() as session:
        profile = load_profile(session, "prensa")
    assert profile.quality == 70 and profile.keep_camera is False


@pytest.mark.parametrize(("changes", "message"), [
    ({"keep_gps": True}, "never keeps GPS"),
    ({"format": "original"}, "cannot export the original"),
    ({"format": "tiff"}, "format must be"),
    ({"quality": 0}, "between 1 and 100"),
    ({"quality": "alta"}, "whole number"),
    ({"sizes": [32]}, "between 64 and 12000"),
    ({"sizes": ["grande"]}, "whole number"),
    ({"sizes": "1600"}, "list"),
    ({"sizes": []}, "at least one size"),
    ({"blocks": ["whatever"]}, "unknown restriction"),
    ({"label": "   "}, "cannot be empty"),
    ({"watermark": "x" * 101}, "at most 100"),
    ({"band": "yes"}, "true or false"),
    ({"public": False}, "not a profile setting"),
])
def test_bad_values_are_refused_and_nothing_is_stored(ctx: Context, changes: dict[str, object],
                                                      message: str) -> None:
    admin = make_actors(ctx)["admin"]
    with pytest.raises(ProfileError, match=message), ctx.catalog.write() as session:
        save_profile(session, admin, "publico", changes)
    with ctx.catalog.read() as session:
        assert session.get(ProfileRow, "publico") is None
    assert _entries(ctx) == []


def test_archivo_may_keep_gps_and_the_original(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        profile = save_profile(session, admin, "archivo", {"keep_gps": False})
    assert profile.format == "original" and not profile.keep_gps


def test_only_admins_change_profiles(ctx: Context) -> None:
    editor = make_actors(ctx)["editora"]
    with pytest.raises(ProfileError, match="administrators"), ctx.catalog.write() as session:
        save_profile(session, editor, "publico", {"quality": 50})
    with pytest.raises(ProfileError, match="administrators"), ctx.catalog.write() as session:
        reset_profile(session, editor, "publico")


def test_reset_brings_back_the_defaults_and_is_audited(ctx: Context) -> None:
    admin = make_actors(ctx)["admin"]
    with ctx.catalog.write() as session:
        save_profile(session, admin, "redes", {"quality": 60, "band": False})
    with ctx.catalog.write() as session:
        assert reset_profile(session, admin, "redes") == DEFAULT_PROFILES["redes"]
    with ctx.catalog.read() as session:
        assert load_profile(session, "redes") == DEFAULT_PROFILES["redes"]
        assert session.get(ProfileRow, "redes").settings == {}
    saved, reset = _entries(ctx)
    assert reset.old_value == {"quality": 60, "band": False}
    assert reset.new_value == {"quality": 88, "band": True}
    with ctx.catalog.write() as session:
        reset_profile(session, admin, "redes")  # already the defaults: nothing to log
    assert len(_entries(ctx)) == 2
