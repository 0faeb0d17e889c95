"""Ingest on S3, and a failing store: retried, then failed with the reason, never half-recorded."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context, open_context
from dam.enums import AssetState, IntakeOutcome
from dam.models import Asset
from ingest.batching import ingest_paths
from ingest.worker import run_workers
from tests.conftest import init_catalog, make_settings
from tests.media import make_photo


def _open(tmp_path: Path, **overrides: object) -> Context:
    settings = make_settings(tmp_path, **overrides)
    init_catalog(settings)
    return open_context(settings)


def _asset_count(ctx: Context) -> int:
    with ctx.catalog.read() as session:
        return session.scalar(select(func.count()).select_from(Asset))


def test_ingest_and_process_on_s3(tmp_path: Path, any_s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = any_s3_bucket
    ctx = _open(tmp_path, store_url=f"s3://{bucket}/acervo", s3_endpoint_url=endpoint)
    make_photo(tmp_path / "card" / "a.jpg", seed=1, orientation=8)
    report = ingest_paths(ctx, [tmp_path / "card"], BatchInfo(event="S3"))
    assert report.count(IntakeOutcome.NEW) == 1
    assert run_workers(ctx.settings, 1, until_idle=True) == 0
    asset = get_asset(ctx.catalog, report.results[0].asset_id)
    assert asset["state"] == AssetState.READY
    keys = sorted(o.key for o in ctx.store.list())
    assert keys == sorted([asset["original_key"], *(r["key"] for r in asset["renditions"])])
    assert ctx.store.read_bytes(asset["original_key"]) == (tmp_path / "card" / "a.jpg").read_bytes()
    ctx.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_s3_fails_intake_with_the_reason(tmp_path: Path, s3_server: str) -> None:
    ctx = _open(tmp_path, store_url="s3://nowhere/acervo",
                s3_endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    make_photo(tmp_path / "a.jpg", seed=2)
    report = ingest_paths(ctx, [tmp_path / "a.jpg"], BatchInfo())
    (result,) = report.results
    assert result.outcome == IntakeOutcome.FAILED
    assert "could not store the original" in result.error and "127.0.0.1" in result.error
    assert _asset_count(ctx) == 0  # never half-recorded
    ctx.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, to fill up for real (needs root and mount; skipped elsewhere)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_fails_intake_and_leaves_nothing_behind(tmp_path: Path, tiny_disk: Path) -> None:
    ctx = _open(tmp_path, store_url=tiny_disk.as_uri())
    small = make_photo(tmp_path / "small.jpg", (300, 200), seed=3)
    big = tmp_path / "big.tif"
    big.write_bytes(b"II*\x00" + bytes(3 * 1024 * 1024))  # 3 MB: cannot fit on the 2 MB disk
    report = ingest_paths(ctx, [small, big], BatchInfo())
    outcomes = {Path(r.source_path).name: r for r in report.results}
    assert outcomes["small.jpg"].outcome == IntakeOutcome.NEW
    assert outcomes["big.tif"].outcome == IntakeOutcome.FAILED
    assert "No space left on device" in outcomes["big.tif"].error
    assert _asset_count(ctx) == 1
    stored = [o.key for o in ctx.store.list()]
    assert stored == [get_asset(ctx.catalog, outcomes["small.jpg"].asset_id)["original_key"]]
    leftovers = [p for p in tiny_disk.rglob("*") if p.is_file()]
    assert len(leftovers) == 1  # no partial object, no temp file
    ctx.close()
