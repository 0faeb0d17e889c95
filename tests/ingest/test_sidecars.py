"""XMP sidecars beside a picture of the same name are joined to it, never assets of their own."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import IntakeOutcome
from dam.models import Asset
from ingest.batching import ingest_paths
from ingest.intake import intake_file
from ingest.sidecars import picture_stem
from ingest.worker import LoopOptions, work_loop
from tests.ingest.test_metadata import xmp_packet
from tests.media import make_photo

SIDECAR = xmp_packet(
    "<photoshop:Headline>Entrega de becas en Iztapalapa</photoshop:Headline>"
    "<dc:subject><rdf:Bag><rdf:li>becas</rdf:li><rdf:li>educación</rdf:li></rdf:Bag></dc:subject>"
    "<dc:creator><rdf:Seq><rdf:li>Lucía Ortega</rdf:li></rdf:Seq></dc:creator>"
    "<exif:DateTimeOriginal>2025-05-02T17:45:10-06:00</exif:DateTimeOriginal>"
)


def _work(ctx: Context) -> None:
    work_loop(ctx, LoopOptions(until_idle=True), threading.Event())


def _check_joined(asset: dict) -> None:  # type: ignore[type-arg]
    assert asset["headline"] == "Entrega de becas en Iztapalapa"
    assert asset["keywords"] == ["becas", "educación"]
    assert asset["creator"] == "Lucía Ortega"
    assert str(asset["taken_at"]).startswith("2025-05-02") and "17:45:10" in str(asset["taken_at"])
    assert asset["camera_make"] == "Canon"  # what the sidecar does not say comes from the file


def test_names_pair_whatever_the_case_or_darktable_style() -> None:
    stems = {picture_stem(n) for n in ("IMG_0042.CR3", "img_0042.xmp", "IMG_0042.CR3.xmp")}
    assert stems == {"img_0042"}
    assert picture_stem("acto.final.jpg") == picture_stem("acto.final.xmp") == "acto.final"


def test_sidecar_in_the_same_batch_wins_and_is_no_asset(any_ctx: Context, tmp_path: Path) -> None:
    ctx = any_ctx
    make_photo(tmp_path / "IMG_0042.jpg", (300, 200))  # EXIF: Canon, taken 2025-03-14 11:30
    (tmp_path / "IMG_0042.xmp").write_bytes(SIDECAR)
    report = ingest_paths(ctx, [tmp_path], BatchInfo(event="becas"))
    outcomes = sorted(result.outcome for result in report.results)
    assert outcomes == [IntakeOutcome.NEW, IntakeOutcome.SIDECAR]
    _work(ctx)
    with ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 1
    picture = next(r for r in report.results if r.outcome == IntakeOutcome.NEW)
    _check_joined(get_asset(ctx.catalog, picture.asset_id))


def test_sidecar_arriving_after_its_picture_reprocesses_it(ctx: Context, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "DSC_7.jpg", (300, 200))
    sidecar = tmp_path / "later" / "DSC_7.JPG.xmp"
    sidecar.parent.mkdir()
    sidecar.write_bytes(SIDECAR)
    report = ingest_paths(ctx, [photo], BatchInfo(event="becas"))
    _work(ctx)
    asset_id = report.results[0].asset_id
    assert get_asset(ctx.catalog, asset_id)["headline"] is None
    joined = intake_file(ctx, report.batch_id, sidecar)
    assert (joined.outcome, joined.asset_id) == (IntakeOutcome.SIDECAR, asset_id)
    _work(ctx)
    _check_joined(get_asset(ctx.catalog, asset_id))


def test_an_xmp_without_a_picture_is_kept_as_a_sidecar_only(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "lonely.xmp").write_bytes(SIDECAR)
    report = ingest_paths(ctx, [tmp_path], BatchInfo(event="becas"))
    assert [(r.outcome, r.asset_id) for r in report.results] == [(IntakeOutcome.SIDECAR, None)]


def test_sidecar_arriving_while_its_picture_is_processed_is_not_lost(
    ctx: Context, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from ingest import pipeline

    photo = make_photo(tmp_path / "P1.jpg", (300, 200))
    sidecar = tmp_path / "later" / "P1.xmp"
    sidecar.parent.mkdir()
    sidecar.write_bytes(SIDECAR)
    report = ingest_paths(ctx, [photo], BatchInfo(event="becas"))
    real_extract = pipeline.extract
    arrived = []

    def extract_then_sidecar_arrives(state):  # type: ignore[no-untyped-def]
        real_extract(state)
        if not arrived:
            arrived.append(intake_file(ctx, report.batch_id, sidecar))

    monkeypatch.setitem(pipeline.PIPELINES, pipeline.MediaType.PHOTO,
                        (extract_then_sidecar_arrives, *pipeline.PHOTO_STAGES[1:]))
    _work(ctx)
    assert arrived and arrived[0].asset_id == report.results[0].asset_id
    _check_joined(get_asset(ctx.catalog, report.results[0].asset_id))
