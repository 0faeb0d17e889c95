"""Each kind of job has its own time limit: a long recording's proxy is not a hung photo."""

from __future__ import annotations

from dam.config import Settings
from dam.enums import JobKind
from ingest.worker import job_time_limit
from tests.conftest import make_settings


def test_proxy_jobs_get_hours_and_processing_jobs_minutes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(
        tmp_path, job_timeout_seconds=600, proxy_timeout_seconds=14_400
    )
    assert job_time_limit(settings, JobKind.PROCESS_ASSET) == 600
    assert job_time_limit(settings, JobKind.MAKE_PROXY) == 14_400
    assert all(job_time_limit(settings, kind) >= 600 for kind in JobKind)
