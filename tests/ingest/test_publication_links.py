"""Where a photo was printed: a publication links to exactly the archive photos it shows."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageOps
from sqlalchemy import delete, func, select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, MediaType
from dam.models import Asset, IntakeItem, PublicationImage, PublicationPhoto
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from ingest.publications import hamming, near_values, quarter_radius
from ingest.worker import run_workers
from tests.changefeed_check import record_fixture_writes
from tests.conftest import FIXTURES

PHOTOS = FIXTURES / "photos"
# Two photos the office printed, and others of the archive that it did not print.
PRINTED = ("london-srgb.jpg", "waterfall-orientation-6.jpg")
NOT_PRINTED = ("tokyo-gps.jpg", "park.png", "spring.heic", "mountains.avif")
A4 = (595, 842)


def printed_copy(photo: Path, scale: float, quality: int) -> bytes:
    """The photo as a designer places it: upright, scaled, recompressed as a JPEG."""
    with Image.open(photo) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    size = (round(upright.width * scale), round(upright.height * scale))
    buffer = io.BytesIO()
    upright.resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def build_publication(path: Path, pages: list[list[bytes]]) -> Path:
    """An A4 PDF with the given JPEGs placed on each page (as separate picture objects)."""
    pdf = pdfium.PdfDocument.new()
    for pictures in pages:
        page = pdf.new_page(*A4)
        for index, jpeg in enumerate(pictures):
            image = pdfium.PdfImage.new(pdf)
            image.load_jpeg(io.BytesIO(jpeg), inline=False)
            width, height = Image.open(io.BytesIO(jpeg)).size
            box_w = 400.0
            box_h = box_w * height / width
            image.set_matrix(pdfium.PdfMatrix(box_w, 0, 0, box_h, 100, 60 + index * 380))
            page.insert_obj(image)
        page.gen_content()
    pdf.save(str(path))
    return path


def _ingest(ctx: Context, paths: list[Path]) -> dict[str, int]:
    report = ingest_paths(ctx, paths, BatchInfo(event="Campaña de vacunación"))
    ids = {}
    for result in report.results:
        assert result.asset_id is not None, result.error
        ids[Path(result.source_path).name] = result.asset_id
    return ids


def _links(ctx: Context) -> set[tuple[int, int, int]]:
    with ctx.catalog.read() as session:
        rows = session.execute(
            select(
                PublicationPhoto.publication_id, PublicationPhoto.photo_id, PublicationPhoto.page
            )
        ).all()
    return {tuple(row) for row in rows}  # type: ignore[misc]


def test_publication_links_exactly_the_photos_it_printed(any_ctx: Context, tmp_path: Path) -> None:
    ctx = any_ctx
    archive = _ingest(ctx, [PHOTOS / name for name in PRINTED + NOT_PRINTED])
    poster = build_publication(
        tmp_path / "cartel-vacunación.pdf",
        [
            [printed_copy(PHOTOS / PRINTED[0], 0.45, 55)],
            [
                printed_copy(PHOTOS / PRINTED[1], 0.6, 70),
                printed_copy(PHOTOS / PRINTED[0], 0.3, 80),
            ],
        ],
    )
    publication = _ingest(ctx, [poster])[poster.name]
    assert run_workers(ctx.settings, 2, until_idle=True) == 0

    london, waterfall = archive[PRINTED[0]], archive[PRINTED[1]]
    assert _links(ctx) == {
        (publication, london, 1),
        (publication, waterfall, 2),
        (publication, london, 2),
    }
    pub = get_asset(ctx.catalog, publication)
    assert pub["state"] == AssetState.READY and pub["media_type"] == MediaType.DOCUMENT
    assert {(p["photo_id"], p["page"]) for p in pub["photos_printed"]} == {
        (london, 1),
        (waterfall, 2),
        (london, 2),
    }
    assert pub["metadata_json"]["pdf"]["photos_linked"] == 2
    photo = get_asset(ctx.catalog, london)
    assert sorted(p["page"] for p in photo["appears_in"]) == [1, 2]
    assert all(
        p["distance"] <= ctx.settings.publication_match_distance for p in photo["appears_in"]
    )
    for name in NOT_PRINTED:
        assert get_asset(ctx.catalog, archive[name])["appears_in"] == []


def test_a_photo_catalogued_after_the_publication_is_linked_too(
    ctx: Context, tmp_path: Path
) -> None:
    poster = build_publication(
        tmp_path / "boletín.pdf", [[printed_copy(PHOTOS / PRINTED[1], 0.5, 60)]]
    )
    publication = _ingest(ctx, [poster])[poster.name]
    assert process_asset(ctx, publication) == AssetState.READY
    assert _links(ctx) == set()
    later = tmp_path / "llegó-después.jpg"
    shutil.copy(PHOTOS / PRINTED[1], later)
    ids = _ingest(ctx, [later, PHOTOS / NOT_PRINTED[0]])
    for asset_id in ids.values():
        assert process_asset(ctx, asset_id) == AssetState.READY
    assert _links(ctx) == {(publication, ids[later.name], 1)}

    # The links and printed pictures go with the publication (ON DELETE CASCADE).
    with ctx.catalog.write() as session:
        session.execute(delete(IntakeItem).where(IntakeItem.asset_id == publication))
        session.delete(session.get(Asset, publication))
        record_fixture_writes(session)
    assert _links(ctx) == set()
    with ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(PublicationImage)) == 0


def test_burst_neighbours_are_not_all_linked(ctx: Context, tmp_path: Path) -> None:
    """Of several near-identical archive photos, only the closest to the print are linked."""
    from tests.media import make_photo

    original = make_photo(tmp_path / "rafaga-1.jpg", (1200, 800), seed=11)
    with Image.open(original) as image:
        shifted = image.copy()
    shifted.paste((200, 40, 40), (500, 300, 700, 500))  # the next frame: someone moved
    neighbour = tmp_path / "rafaga-2.jpg"
    shifted.save(neighbour, "JPEG", quality=90)
    ids = _ingest(ctx, [original, neighbour])
    for asset_id in ids.values():
        process_asset(ctx, asset_id)
    poster = build_publication(tmp_path / "folleto.pdf", [[printed_copy(original, 0.5, 60)]])
    publication = _ingest(ctx, [poster])[poster.name]
    process_asset(ctx, publication)
    assert _links(ctx) == {(publication, ids[original.name], 1)}


@pytest.mark.parametrize("distance", [0, 3, 7, 8, 11])
def test_quarter_lookup_never_misses_a_match(distance: int) -> None:
    """Pigeonhole: any hash within ``distance`` agrees on a quarter within the searched radius."""
    radius = quarter_radius(distance)
    base = 0x8F373714ACFCF4D0
    for start in range(0, 64 - distance + 1, 5):
        other = base ^ sum(1 << bit for bit in range(start, start + distance))
        assert hamming(f"{base:016x}", f"{other:016x}") == distance
        quarters = [(other >> (48 - 16 * i)) & 0xFFFF for i in range(4)]
        found = [
            (base >> (48 - 16 * i)) & 0xFFFF in near_values(q, radius)
            for i, q in enumerate(quarters)
        ]
        assert any(found)
