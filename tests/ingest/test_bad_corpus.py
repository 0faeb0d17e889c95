"""Every file under the corpus's bad/ ends as a recorded failure with a reason, or a real asset."""

from __future__ import annotations

from pathlib import Path

import pytest

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, IntakeOutcome
from ingest.batching import ingest_paths
from ingest.worker import run_workers
from tests.conftest import require_corpus


@pytest.mark.corpus
def test_bad_files_never_crash_hang_or_vanish(ctx: Context) -> None:
    bad = require_corpus() / "bad"
    files = sorted(p for p in bad.rglob("*") if p.is_file())
    report = ingest_paths(ctx, [bad], BatchInfo(event="bad corpus"), recursive=True)
    # Every file handed in has an outcome; none vanished.
    assert sorted(Path(r.source_path) for r in report.results) == files
    assert run_workers(ctx.settings, 2, until_idle=True) == 0, "a worker process died"
    problems = []
    for result in report.results:
        if result.outcome == IntakeOutcome.FAILED:
            assert result.error, result.source_path
            continue
        asset = get_asset(ctx.catalog, result.asset_id)
        if asset["state"] == AssetState.FAILED:
            if not asset["error"]:
                problems.append(f"{result.source_path}: failed without a reason")
        elif asset["state"] != AssetState.READY:
            problems.append(f"{result.source_path}: left in state {asset['state']}")
        assert ctx.store.exists(asset["original_key"])  # preserved bit-exact either way
    assert not problems, problems
