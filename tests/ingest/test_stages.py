"""The declared stages, run one at a time on one file, each doing exactly its own job."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dam.catalog import BatchInfo, create_batch, get_asset
from dam.context import Context
from dam.enums import AssetState, IntakeOutcome, MediaType
from ingest import intake, pipeline
from storage import original_key
from tests.media import make_photo


def test_intake_stages_in_order(ctx: Context, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "Inauguración.jpg", seed=4)
    batch = create_batch(ctx.catalog, BatchInfo(event="Feria"))
    state = intake.IntakeState(ctx=ctx, batch_id=batch, path=photo, filename=photo.name)
    assert [s.__name__ for s in intake.INTAKE_STAGES] == [
        "sniff",
        "hash_file",
        "refuse_erased",
        "find_duplicate",
        "store_original",
        "record",
    ]
    intake.sniff(state)
    assert (state.sniffed.mime_type, state.sniffed.media_type) == ("image/jpeg", MediaType.PHOTO)
    intake.hash_file(state)
    assert state.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert state.byte_size == photo.stat().st_size
    intake.find_duplicate(state)
    assert not state.done  # nothing like it yet
    intake.store_original(state)
    assert ctx.store.read_bytes(original_key(state.sha256)) == photo.read_bytes()
    intake.record(state)
    assert state.result.outcome == IntakeOutcome.NEW
    assert get_asset(ctx.catalog, state.result.asset_id)["state"] == AssetState.PENDING

    again = intake.IntakeState(ctx=ctx, batch_id=batch, path=photo, filename=photo.name)
    intake.sniff(again)
    intake.hash_file(again)
    intake.find_duplicate(again)
    assert again.done and again.result.outcome == IntakeOutcome.DUPLICATE
    assert again.result.asset_id == state.result.asset_id


def test_photo_stages_in_order(ctx: Context, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "a.jpg", (800, 600), seed=5, orientation=8)
    result = intake.intake_file(ctx, create_batch(ctx.catalog, BatchInfo()), photo)
    asset = get_asset(ctx.catalog, result.asset_id)
    state = pipeline.ProcessState(
        ctx, asset["id"], asset["sha256"], "image/jpeg", MediaType.PHOTO, photo
    )
    assert pipeline.PIPELINES[MediaType.PHOTO][:4] == (
        pipeline.extract,
        pipeline.render,
        pipeline.store_renditions,
        pipeline.record,
    )
    pipeline.extract(state)
    assert state.metadata.orientation == 8 and state.metadata.camera_model == "Canon EOS R6"
    pipeline.render(state)
    sizes = {i.kind: (i.width, i.height) for i in state.renditions.images}
    assert sizes == {"preview": (600, 800), "thumbnail": (300, 400)}  # rotated, never upscaled
    assert get_asset(ctx.catalog, asset["id"])["renditions"] == []  # nothing recorded yet
    pipeline.store_renditions(state)
    assert all(ctx.store.exists(r.key) for r in state.stored)
    pipeline.record(state)
    done = get_asset(ctx.catalog, asset["id"])
    assert done["state"] == AssetState.READY and len(done["renditions"]) == 2
    assert done["orientation"] == 8 and done["phash"] == state.renditions.phash
