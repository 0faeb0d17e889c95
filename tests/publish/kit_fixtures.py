"""Photos in a catalog for press-kit and social-format tests: ingested, processed, described."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from dam.catalog import BatchInfo
from dam.context import Context
from dam.enums import WorkflowState
from dam.models import Asset, BlackoutPeriod
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo

INFO = BatchInfo(event="Jornada de salud", area="Comunicación Social",
                 place="Santa Cruz Meyehualco", photographer="Ana Peña")
NOW = dt.datetime(2025, 6, 1, 18, 0, tzinfo=dt.UTC)


def ingest(ctx: Context, paths: Sequence[Path]) -> list[int]:
    report = ingest_paths(ctx, list(paths), INFO)
    ids = [r.asset_id for r in report.results if r.asset_id]
    for asset_id in ids:
        process_asset(ctx, asset_id)
    return ids


def add_described_photos(ctx: Context, folder: Path, count: int = 3,
                         gps: tuple[float, float] | None = (19.3574, -99.0671)) -> list[int]:
    """``count`` approved photos (640 px) with GPS in the file, each with its own caption."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [make_photo(folder / f"foto_{i}.jpg", (640, 480), seed=i + 3, gps=gps)
             for i in range(count)]
    ids = ingest(ctx, paths)
    with ctx.catalog.write() as session:
        for n, asset_id in enumerate(ids):
            asset = session.get(Asset, asset_id)
            asset.caption = f"Vacunación en la colonia número {n}, «ñandú» ✓"
            asset.headline = f"Jornada de salud {n}"
            asset.credit = f"Foto: Ana Peña {n} / Alcaldía"
            asset.workflow_state = WorkflowState.APPROVED
        record_fixture_writes(session)
    return ids


def bright_corner_photo(path: Path, size: tuple[int, int] = (900, 600),
                        corner: tuple[float, float] = (0.85, 0.2)) -> Path:
    """A flat grey picture with one bright, busy square around ``corner`` (fractions)."""
    image = Image.new("RGB", size, (90, 90, 90))
    draw = ImageDraw.Draw(image)
    cx, cy = int(corner[0] * size[0]), int(corner[1] * size[1])
    half = min(size) // 12
    draw.rectangle([cx - half, cy - half, cx + half, cy + half], fill=(255, 240, 0))
    for i in range(0, 2 * half, 6):  # texture: edges as well as colour
        draw.line([cx - half + i, cy - half, cx - half + i, cy + half], fill=(200, 30, 30), width=2)
    image.save(path, "JPEG", quality=92)
    return path


def add_blackout(ctx: Context, now: dt.datetime = NOW) -> None:
    with ctx.catalog.write() as session:
        session.add(BlackoutPeriod(starts_at=now - dt.timedelta(days=1),
                                   ends_at=now + dt.timedelta(days=30),
                                   reason="Proceso electoral local 2027"))
