"""The admin queue page shows the jobs an outage holds back, with the reason, in Spanish."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from dam import queue
from dam.enums import JobKind
from tests.web.conftest import PASSWORD, add_photos, ctx_of, login


def test_queue_page_shows_jobs_waiting_for_the_store(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "w", count=1)
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        queue.enqueue(session, JobKind.MAKE_PROXY, archive.asset_ids[0])
    job = queue.claim(ctx.catalog, "w", 30)
    assert job is not None
    queue.fail(ctx.catalog, job.id, "w", "the object store is unavailable: <s3>", transient=True,
               retry_base_seconds=60, retry_max_seconds=60)
    admin = app.test_client()
    login(admin, "admin", PASSWORD)
    page = admin.get("/admin/cola")
    assert page.status_code == 200
    assert "En espera del almacén, el catálogo o el disco" in page.text
    assert "1 tarea(s) se reintentarán" in page.text
    assert "the object store is unavailable: &lt;s3&gt;" in page.text
