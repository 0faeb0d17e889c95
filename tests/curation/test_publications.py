"""Series of publications in order with their gaps; press clippings by medium and month."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dam.context import Context
from dam.curation.edits import edit_asset
from dam.enums import PublicationKind, Tone
from dam.models import Asset, AuditEntry, PublicationImage, PublicationPhoto
from dam.publications import (
    ClippingFilter,
    gap_ranges,
    list_clippings,
    list_series,
    photos_used_by_media,
    series_issues,
)
from tests.curation.conftest import make_actors
from tests.curation.test_workflow import make_assets

CLIP = PublicationKind.CLIPPING


def test_gap_ranges_start_at_one() -> None:
    assert gap_ranges([3, 1, 2, 7, 7, None, 10]) == [(4, 6), (8, 9)]
    assert gap_ranges([2]) == [(1, 1)]
    assert gap_ranges([]) == []


def test_series_in_order_with_the_missing_numbers(any_ctx: Context) -> None:
    for number in (5, 1, 2, 9):
        make_assets(any_ctx, 1, series="Gaceta Iztapalapa", issue_number=number,
                    distribution_date=dt.date(2024, number, 1),
                    publication_kind=PublicationKind.BULLETIN)
    make_assets(any_ctx, 1, series="Gaceta Iztapalapa")  # not numbered yet: shown last
    make_assets(any_ctx, 2, series="Boletín Verde", issue_number=1)
    with any_ctx.catalog.read() as session:
        summaries = {s.name: s for s in list_series(session)}
        issues = series_issues(session, "Gaceta Iztapalapa")
    gaceta = summaries["Gaceta Iztapalapa"]
    assert (gaceta.issues, gaceta.first, gaceta.last, gaceta.missing) == (5, 1, 9, 5)
    assert gaceta.latest_date == dt.date(2024, 9, 1)
    assert [s for s in summaries] == ["Boletín Verde", "Gaceta Iztapalapa"]
    assert [i.number for i in issues.issues] == [1, 2, 5, 9, None]
    assert issues.gaps == [(3, 4), (6, 8)]


def test_clippings_facet_by_medium_month_and_tone(any_ctx: Context) -> None:
    def clip(medium: str, day: str, tone: Tone | None = None) -> int:
        return make_assets(any_ctx, 1, publication_kind=CLIP, medium=medium, tone=tone,
                           distribution_date=dt.date.fromisoformat(day))[0]

    a = clip("Reforma", "2025-03-03", Tone.NEGATIVE)
    b = clip("Reforma", "2025-03-28", Tone.POSITIVE)
    c = clip("La Jornada", "2025-03-11")
    d = clip("Reforma", "2025-04-01", Tone.POSITIVE)
    make_assets(any_ctx, 1, medium="Reforma", publication_kind=PublicationKind.POSTER)  # no clip
    with any_ctx.catalog.read() as session:
        everything = list_clippings(session, ClippingFilter())
        march = list_clippings(session, ClippingFilter(month="2025-03"))
        reforma_march = list_clippings(session, ClippingFilter(medium="Reforma", month="2025-03"))
        positive = list_clippings(session, ClippingFilter(tone=Tone.POSITIVE))
        bad_month = list_clippings(session, ClippingFilter(month="2025-13"))
    assert everything.ids == [d, b, c, a] and everything.total == 4  # newest first
    assert everything.media == [("Reforma", 3), ("La Jornada", 1)]
    assert everything.months == [("2025-04", 1), ("2025-03", 3)]
    assert dict(everything.tones) == {"positive": 2, "negative": 1}
    assert set(march.ids) == {a, b, c} and dict(march.media) == {"Reforma": 2, "La Jornada": 1}
    # a facet counts within the other filters: the months of Reforma, the media of March
    assert reforma_march.ids == [b, a] and dict(reforma_march.months) == {"2025-03": 2,
                                                                           "2025-04": 1}
    assert set(positive.ids) == {b, d}
    assert bad_month.ids == [] and bad_month.total == 0


def test_tone_edit_goes_through_the_edit_service_and_is_audited(any_ctx: Context) -> None:
    actors = make_actors(any_ctx)
    (clip,) = make_assets(any_ctx, 1, publication_kind=CLIP, medium="Reforma")
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], clip, {"tone": "negative"}, expected_version=1)
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, clip)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.asset_id == clip)).one()
        assert asset.tone is Tone.NEGATIVE and "tone" in asset.edited_fields
        assert (entry.action, entry.field, entry.old_value, entry.new_value) == (
            "edit", "tone", None, "negative")
        assert entry.username == actors["editora"].username


def test_photos_the_media_used(any_ctx: Context) -> None:
    photo, other = make_assets(any_ctx, 2)
    (clip,) = make_assets(any_ctx, 1, publication_kind=CLIP, medium="Reforma")
    (gaceta,) = make_assets(any_ctx, 1, publication_kind=PublicationKind.BULLETIN)
    with any_ctx.catalog.write() as session:
        for pub, pic in ((clip, photo), (gaceta, other)):
            image = PublicationImage(asset_id=pub, page=1, width=400, height=300,
                                     phash="0" * 16, phash_q0=0, phash_q1=0, phash_q2=0,
                                     phash_q3=0)
            session.add(image)
            session.flush()
            session.add(PublicationPhoto(publication_id=pub, photo_id=pic, image_id=image.id,
                                         page=1, distance=0))
    with any_ctx.catalog.read() as session:
        assert photos_used_by_media(session) == [(photo, 1)]
