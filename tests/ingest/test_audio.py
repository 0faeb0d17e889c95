"""Audio: MP3, WAV, M4A/AAC, Ogg/Opus and FLAC probed, tagged, drawn as a waveform, proxied."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, JobKind, MediaType
from dam.models import Job
from ingest.batching import ingest_paths
from ingest.media.probe import describe_proxy
from ingest.pipeline import process_asset
from ingest.proxy import make_proxy
from tests.conftest import FIXTURES

AUDIO = FIXTURES / "audio"

# file -> (codec, channels, sample rate, duration, whether it needs a proxy)
EXPECTED = {
    "spot.mp3": ("mp3", 1, 44100, 2.0, False),
    "speech.wav": ("pcm_s16le", 1, 16000, 1.5, True),
    "tone.flac": ("flac", 2, 44100, 1.0, True),
    "voice.opus": ("opus", 1, 48000, 1.0, True),
    "song.m4a": ("aac", 2, 44100, 1.0, False),
}


def _process(ctx: Context, name: str) -> dict:
    report = ingest_paths(ctx, [AUDIO / name], BatchInfo())
    asset_id = report.results[0].asset_id
    assert asset_id is not None
    assert process_asset(ctx, asset_id) == AssetState.READY
    return get_asset(ctx.catalog, asset_id)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_audio_formats(ctx: Context, name: str) -> None:
    codec, channels, rate, duration, needs_proxy = EXPECTED[name]
    asset = _process(ctx, name)
    assert asset["media_type"] == MediaType.AUDIO
    assert (asset["audio_codec"], asset["audio_channels"], asset["sample_rate"]) == (
        codec,
        channels,
        rate,
    )
    assert asset["duration_seconds"] == pytest.approx(duration, abs=0.05)
    assert asset["video_codec"] is None and asset["width"] is None
    renditions = {r["kind"]: r for r in asset["renditions"]}
    assert set(renditions) == {"waveform", "thumbnail"}
    thumb = renditions["thumbnail"]
    assert thumb["mime_type"] == "image/png" and thumb["width"] == 400
    with ctx.catalog.read() as session:
        jobs = session.scalars(select(Job.kind).where(Job.asset_id == asset["id"])).all()
    assert (JobKind.MAKE_PROXY in jobs) is needs_proxy


def test_tags_become_catalog_fields(ctx: Context) -> None:
    spot = _process(ctx, "spot.mp3")
    assert (spot["headline"], spot["creator"]) == ("Cápsula informativa", "Radio Iztapalapa")
    assert spot["taken_at"] == dt.datetime(2025, 3, 14).isoformat()
    flac = _process(ctx, "tone.flac")
    assert (flac["headline"], flac["creator"]) == ("Himno", "Banda de la Alcaldía")


def test_waveform_shows_the_swell(ctx: Context) -> None:
    asset = _process(ctx, "spot.mp3")
    wave = next(r for r in asset["renditions"] if r["kind"] == "waveform")
    image = Image.open(io.BytesIO(ctx.store.read_bytes(wave["key"]))).convert("L")
    assert image.size == (1440, 240)
    heights = (np.asarray(image) < 128).sum(axis=0)  # dark pixels per column
    # The tone swells and fades at 1.5 Hz: tall and short columns, not a flat band.
    assert heights.max() > 0.8 * image.height and heights.min() < 0.3 * image.height


def test_audio_proxy_is_aac_in_mp4(ctx: Context) -> None:
    asset = _process(ctx, "voice.opus")
    assert make_proxy(ctx, asset["id"]) is True
    proxy = next(
        r for r in get_asset(ctx.catalog, asset["id"])["renditions"] if r["kind"] == "proxy"
    )
    assert proxy["mime_type"] == "audio/mp4" and proxy["key"].endswith(".m4a")
    with ctx.store.local_path(proxy["key"]) as path:
        facts = describe_proxy(Path(path))
    assert (facts["audio_codec"], facts["video_codec"], facts["faststart"]) == ("aac", None, True)
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)
