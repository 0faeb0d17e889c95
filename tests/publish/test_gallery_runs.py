"""Publishing the gallery: the blackout, the CLI, the worker's queue and the S3 target."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dam.cli import get_cli
from dam.context import Context, open_context
from dam.curation.actor import SYSTEM, Actor
from dam.enums import BlackoutException, PublishStatus, Role
from dam.models import Asset, AuditEntry, BlackoutPeriod, Collection, PublishRun, User
from dam.publishing.runs import fail_abandoned_runs, lease
from publish.gallery import targets_s3
from publish.gallery.build import publish_gallery
from publish.gallery.plan import PublishRefusedError
from publish.jobs import run_queued_publications
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog, make_settings
from tests.conftest_s3 import make_test_client
from tests.publish.test_gallery_publish import NOW, Gallery, add_collection, make_gallery


@pytest.fixture
def gallery(ctx: Context, tmp_path: Path) -> Gallery:
    return make_gallery(ctx, tmp_path / "fotos")


def add_blackout(ctx: Context, notice: str | None = None, around: dt.datetime = NOW) -> None:
    with ctx.catalog.write() as session:
        session.add(BlackoutPeriod(starts_at=around - dt.timedelta(days=1),
                                   ends_at=around + dt.timedelta(days=30),
                                   reason="Proceso electoral local 2027", notice=notice))


def test_blackout_refuses_and_writes_nothing(ctx: Context, gallery: Gallery) -> None:
    add_blackout(ctx)
    with pytest.raises(PublishRefusedError,
                       match="Veda electoral vigente hasta .*: Proceso electoral local 2027"):
        publish_gallery(ctx, SYSTEM, target=str(gallery.target), now=NOW)
    assert not (gallery.target / "current").exists()
    with ctx.catalog.read() as session:
        run = session.scalars(select(PublishRun)).one()
        assert run.status == PublishStatus.REFUSED and "Veda electoral" in (run.error or "")
        assert session.get(Asset, gallery.clean[0]).workflow_state == "approved"


def test_cli_refusal_exits_1_with_the_reason(ctx: Context, gallery: Gallery) -> None:
    add_blackout(ctx, around=dt.datetime.now(dt.UTC))
    runner = CliRunner()
    result = runner.invoke(get_cli(), ["publish", "gallery", "--target", str(gallery.target)],
                           obj={"settings": ctx.settings, "context": ctx})
    assert result.exit_code == 1
    assert "Veda electoral vigente hasta" in result.output


def test_cli_prints_written_and_held(ctx: Context, gallery: Gallery) -> None:
    runner = CliRunner()
    result = runner.invoke(get_cli(), ["publish", "gallery", "--target", str(gallery.target)],
                           obj={"settings": ctx.settings, "context": ctx})
    assert result.exit_code == 0, result.output
    assert "escritos:" in result.output and "solo para uso interno" in result.output
    assert f"#{gallery.held['minor']}" in result.output


def test_notice_mode_keeps_only_the_excepted_collection(ctx: Context, gallery: Gallery) -> None:
    add_blackout(ctx, notice="Aviso: veda electoral en curso")
    health = add_collection(ctx, "salud-vacunacion", [gallery.clean[1]],
                            exception=BlackoutException.HEALTH)
    result = publish_gallery(ctx, SYSTEM, target=str(gallery.target), notice=True, now=NOW)

    current = gallery.target / "current"
    assert "Aviso: veda electoral en curso" in (current / "index.html").read_text()
    assert (current / "colecciones/salud-vacunacion/index.html").is_file()
    assert not (current / "colecciones/entrega-de-apoyos").exists()
    assert not (current / f"fotos/{gallery.clean[0]}").exists()
    assert result.collections == 1
    with ctx.catalog.read() as session:
        audited = session.scalars(select(AuditEntry.collection_id).where(
            AuditEntry.action == "blackout_exception_published")).all()
    assert audited == [health]


def test_worker_runs_the_queued_publication(ctx: Context, gallery: Gallery) -> None:
    from dam.publishing.runs import request_publication

    settings = ctx.settings.replace(gallery_target=str(gallery.target))
    context = Context(settings, ctx.catalog, ctx.store)
    with ctx.catalog.write() as session:
        user = User(username="editora", role=Role.EDITOR)
        session.add(user)
        session.flush()
        run_id = request_publication(session, Actor(user.id, "editora", Role.EDITOR), settings).id
    assert run_queued_publications(context) == [run_id]
    assert run_queued_publications(context) == []
    with ctx.catalog.read() as session:
        run = session.get(PublishRun, run_id)
        assert run is not None and run.status == PublishStatus.DONE, run.error
        # The worker publishes at the real time: the fixture's embargo (June 2025) is over.
        assert run.stats["photos"] == 3 and run.finished_at is not None
    assert (gallery.target / "current" / "index.html").is_file()


def test_a_run_left_running_is_marked_failed(ctx: Context, gallery: Gallery) -> None:
    with ctx.catalog.write() as session:
        session.add(PublishRun(target=str(gallery.target), status="running",
                               started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    run_queued_publications(ctx)
    with ctx.catalog.read() as session:
        run = session.scalars(select(PublishRun)).one()
        assert run.status == PublishStatus.FAILED and "abandoned" in (run.error or "")


def test_a_publisher_whose_run_was_taken_over_makes_nothing_live(
        ctx: Context, gallery: Gallery, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its lease ran out (say, the catalog was away for longer), another node failed the run:
    this publisher finds out before the switch and stops, the live gallery untouched."""
    from publish.gallery import build
    from publish.gallery.runlog import LeaseLostError

    first = publish_gallery(ctx, SYSTEM, target=str(gallery.target), now=NOW)
    live = (gallery.target / "current").resolve()
    real_build_site = build.build_site

    def taken_over_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        with ctx.catalog.write() as session:  # what another node's request does then
            assert fail_abandoned_runs(session, later, lease(ctx.settings))
        return real_build_site(*args, **kwargs)

    monkeypatch.setattr(build, "build_site", taken_over_meanwhile)
    with pytest.raises(LeaseLostError, match="taken over"):
        publish_gallery(ctx, SYSTEM, target=str(gallery.target), now=NOW)
    assert (gallery.target / "current").resolve() == live
    with ctx.catalog.read() as session:
        runs = session.scalars(select(PublishRun).order_by(PublishRun.id)).all()
        assert [r.id for r in runs][0] == first.run_id and runs[-1].status == "failed"
        assert "taken over" in (runs[-1].error or "")


# -- S3 -----------------------------------------------------------------------------------


@pytest.fixture
def s3_ctx(tmp_path: Path, any_s3_bucket: tuple[str, str]):  # type: ignore[no-untyped-def]
    endpoint, bucket = any_s3_bucket
    settings = make_settings(tmp_path, s3_endpoint_url=endpoint,
                             gallery_target=f"s3://{bucket}/galeria")
    init_catalog(settings)
    context = open_context(settings)
    yield context, bucket
    context.close()


def objects(endpoint: str, bucket: str) -> dict[str, dict[str, object]]:
    client = make_test_client(endpoint)
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: o for o in listed}


def test_s3_publish_republish_and_withdraw(s3_ctx, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, bucket = s3_ctx
    endpoint = ctx.settings.s3_endpoint_url
    gallery = make_gallery(ctx, tmp_path / "fotos")
    first = publish_gallery(ctx, SYSTEM, now=NOW)
    live = objects(endpoint, bucket)
    assert f"galeria/fotos/{gallery.clean[0]}/index.html" in live
    assert not any(".staging/" in key for key in live)
    client = make_test_client(endpoint)
    media_key = next(k for k in live if k.startswith("galeria/media/"))
    head = client.head_object(Bucket=bucket, Key=media_key)
    assert head["ContentType"] == "image/jpeg" and "immutable" in head["CacheControl"]
    page = client.head_object(Bucket=bucket, Key="galeria/index.html")
    assert page["ContentType"].startswith("text/html") and "max-age=60" in page["CacheControl"]
    assert len(first.written) == len(live) - 3  # the manifest's three files are not counted

    staged = []
    original = targets_s3.S3Release.write_stream
    monkeypatch.setattr(targets_s3.S3Release, "write_stream",
                        lambda self, path, stream: staged.append(path) or original(
                            self, path, stream))
    changed = gallery.clean[0]
    with ctx.catalog.write() as session:
        session.get(Asset, changed).caption = "Pie corregido"
        record_fixture_writes(session)
    again = publish_gallery(ctx, SYSTEM, now=NOW + dt.timedelta(hours=1))
    manifest_files = {"manifest-sha256.json", "manifest-sha256.json.sig",
                      "clave-publica-ed25519.pem"}
    assert set(staged) - manifest_files == set(again.written)
    assert f"fotos/{changed}/index.html" in staged
    assert not any(f"/{gallery.clean[1]}/" in f"/{p}" for p in staged)
    after = objects(endpoint, bucket)
    assert not any(".staging/" in key for key in after)
    assert all(f"galeria/{p}" not in after for p in again.removed)

    with ctx.catalog.write() as session:
        session.get(Collection, gallery.collection_id).published_at = None
        record_fixture_writes(session)
    publish_gallery(ctx, SYSTEM, now=NOW + dt.timedelta(hours=2))
    final = objects(endpoint, bucket)
    assert not any(k.startswith("galeria/fotos/") or k.startswith("galeria/media/") for k in final)


def test_s3_failure_while_staging_leaves_live_untouched(
        s3_ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx, bucket = s3_ctx
    endpoint = ctx.settings.s3_endpoint_url
    gallery = make_gallery(ctx, tmp_path / "fotos")
    publish_gallery(ctx, SYSTEM, now=NOW)
    before = {k: o["ETag"] for k, o in objects(endpoint, bucket).items()}
    with ctx.catalog.write() as session:
        session.get(Asset, gallery.clean[0]).caption = "No llegará"
        record_fixture_writes(session)
    calls = []
    original = targets_s3.S3Release.write_stream

    def failing(self, path, stream):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) > 2:
            raise targets_s3.TargetError("red caída (simulada)")
        return original(self, path, stream)

    monkeypatch.setattr(targets_s3.S3Release, "write_stream", failing)
    with pytest.raises(targets_s3.TargetError, match="red caída"):
        publish_gallery(ctx, SYSTEM, now=NOW + dt.timedelta(hours=1))
    assert {k: o["ETag"] for k, o in objects(endpoint, bucket).items()} == before
