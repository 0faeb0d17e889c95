"""Several worker machines on one PostgreSQL catalog and one S3 bucket share the work once."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import open_context
from dam.enums import AssetState, JobState
from dam.models import Asset, Job
from ingest.batching import ingest_paths
from tests.conftest import init_catalog, make_settings
from tests.ingest.test_worker_kill import DAM, worker_env
from tests.media import make_photo


def test_two_worker_pools_share_one_catalog_and_bucket(
    tmp_path: Path, postgres_url: str, s3_bucket: tuple[str, str]
) -> None:
    endpoint, bucket = s3_bucket
    settings = make_settings(tmp_path, catalog_url=postgres_url,
                             store_url=f"s3://{bucket}/acervo", s3_endpoint_url=endpoint)
    init_catalog(settings)
    ctx = open_context(settings)
    for i in range(16):
        make_photo(tmp_path / "card" / f"{i:02}.jpg", (1500, 1000), seed=i)
    ingest_paths(ctx, [tmp_path / "card"], BatchInfo(event="dos máquinas"))

    env = worker_env(settings)
    env.update(DAM_STORE_URL=settings.store_url, DAM_S3_ENDPOINT_URL=endpoint)
    # Two "machines": separate supervisors with separate data folders, sharing catalog and bucket.
    pools = []
    for name in ("nodo-a", "nodo-b"):
        node_env = dict(env, DAM_DATA_DIR=str(tmp_path / name))
        pools.append(subprocess.Popen([DAM, "worker", "-n", "1", "--until-idle"], env=node_env,
                                      stderr=subprocess.PIPE, text=True))
    for proc in pools:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err

    with ctx.catalog.read() as session:
        assert session.scalars(select(Asset.state)).all() == [AssetState.READY] * 16
        jobs = session.scalars(select(Job)).all()
        assert all(j.state == JobState.DONE and j.attempts == 1 for j in jobs)
    assert len(list(ctx.store.list("renditions/"))) == 32
    ctx.close()
