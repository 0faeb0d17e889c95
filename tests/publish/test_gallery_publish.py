"""End-to-end publication of the gallery into a folder: what leaves, what is held, what changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.enums import CollectionKind, PublishStatus, WorkflowState
from dam.models import Asset, Collection, CollectionItem, PublishRun
from publish.gallery import targets
from publish.gallery.build import publish_gallery
from publish.keys import init_keys
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo
from tests.publish.kit_fixtures import ingest

NOW = dt.datetime(2025, 6, 1, 18, 0, tzinfo=dt.UTC)
GPS = (19.3574, -99.0671)
SECRET = {"restricted": "SECRETO-INTERNO", "embargoed": "EMBARGO-OCULTO",
          "minor": "MENOR-SIN-PERMISO", "draft": "BORRADOR-PENDIENTE"}


@dataclass
class Gallery:
    clean: list[int]  # published to the gallery
    held: dict[str, int]  # restricted, embargoed, minor, draft -> asset id
    collection_id: int
    target: Path

    @property
    def current(self) -> Path:
        return self.target / "current"


def add_collection(ctx: Context, slug: str, ids: list[int], *, exception: str | None = None,
                   published: dt.datetime = NOW - dt.timedelta(days=1)) -> int:
    with ctx.catalog.write() as session:
        collection = Collection(kind=CollectionKind.ALBUM, title=f"Álbum «{slug}»", slug=slug,
                                description="Recorrido <b>sin</b> etiquetas",
                                published_at=published,
                                blackout_exception=exception,
                                blackout_exception_reason="Alerta sanitaria" if exception else None)
        session.add(collection)
        session.flush()
        for position, asset_id in enumerate(ids):
            session.add(CollectionItem(collection_id=collection.id, asset_id=asset_id,
                                       position=position))
        return collection.id


def make_gallery(ctx: Context, folder: Path, clean: int = 2) -> Gallery:
    """Approved clean photos (the first with GPS in the file) and four that must stay out."""
    init_keys(ctx.settings)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [make_photo(folder / f"foto_{i}.jpg", (640, 480), seed=i + 5,
                        gps=GPS if i == 0 else None) for i in range(clean + 4)]
    ids = ingest(ctx, paths)
    held = dict(zip(SECRET, ids[clean:], strict=True))
    with ctx.catalog.write() as session:
        for n, asset_id in enumerate(ids):
            asset = session.get(Asset, asset_id)
            asset.caption = f"Entrega de apoyos número {n} en la colonia <Centro> «ñ» ✓"
            asset.sublocation, asset.city = "Santa Cruz Meyehualco", "Iztapalapa"
            asset.workflow_state = WorkflowState.APPROVED
        for name, asset_id in held.items():
            asset = session.get(Asset, asset_id)
            asset.caption = f"{SECRET[name]}: no debe salir"
            asset.headline = SECRET[name]
        session.get(Asset, held["restricted"]).internal_only = True
        session.get(Asset, held["embargoed"]).embargo_until = NOW + dt.timedelta(days=10)
        session.get(Asset, held["minor"]).contains_minors = True
        session.get(Asset, held["draft"]).workflow_state = WorkflowState.DRAFT
        record_fixture_writes(session)
    collection_id = add_collection(ctx, "entrega-de-apoyos", ids)
    return Gallery(ids[:clean], held, collection_id, folder / "galeria")


def publish(ctx: Context, gallery: Gallery, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("now", NOW)
    return publish_gallery(ctx, SYSTEM, target=str(gallery.target), **options)  # type: ignore[arg-type]


def site_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def exif_of(paths: list[Path]) -> list[dict[str, object]]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-n", *map(str, paths)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture
def gallery(ctx: Context, tmp_path: Path) -> Gallery:
    return make_gallery(ctx, tmp_path / "fotos")


def test_publish_shows_the_clean_photos_and_nothing_restricted(ctx: Context,
                                                                gallery: Gallery) -> None:
    result = publish(ctx, gallery)

    assert result.status == "done" and result.collections == 1 and result.photos == 2
    assert {h.asset_id: h.reasons for h in result.held} == {
        gallery.held["restricted"]: ("internal_only",),
        gallery.held["embargoed"]: ("embargoed",),
        gallery.held["minor"]: ("minors_without_consent",),
        gallery.held["draft"]: ("unapproved",),
    }
    files = site_files(gallery.current)
    for asset_id in gallery.clean:
        assert f"fotos/{asset_id}/index.html" in files
        assert any(p.startswith(f"media/{asset_id}/") for p in files)
    for name, asset_id in gallery.held.items():
        assert not any(f"/{asset_id}/" in f"/{p}" for p in files), name
        for path, data in files.items():
            assert SECRET[name].encode() not in data, (name, path)
    assert "colecciones/entrega-de-apoyos/index.html" in files
    for required in ("index.html", "feed.atom", "sitemap.xml", targets.MANIFEST_NAME):
        assert required in files


def test_public_copies_carry_no_position_and_pages_show_none(ctx: Context,
                                                             gallery: Gallery) -> None:
    publish(ctx, gallery)
    jpegs = sorted(gallery.current.glob("media/*/*.jpg"))
    assert len(jpegs) >= 2
    for tags in exif_of(jpegs):
        leaked = [k for k in tags if "GPS" in k or "SerialNumber" in k]
        assert not leaked, (tags["SourceFile"], leaked)
    page = (gallery.current / f"fotos/{gallery.clean[0]}/index.html").read_text()
    assert "19.357" not in page and "99.067" not in page
    assert "Santa Cruz Meyehualco" in page
    assert "&lt;Centro&gt;" in page and "<Centro>" not in page


def test_run_is_recorded_and_approved_photos_become_published(ctx: Context,
                                                              gallery: Gallery) -> None:
    result = publish(ctx, gallery)
    with ctx.catalog.read() as session:
        run = session.get(PublishRun, result.run_id)
        assert run is not None and run.status == PublishStatus.DONE and run.error is None
        assert run.stats["photos"] == 2 and run.stats["written"] == len(result.written)
        held = {h["asset_id"]: h for h in run.stats["held"]}
        assert held[gallery.held["restricted"]]["reasons"] == ["internal_only"]
        assert held[gallery.held["restricted"]]["collection"] == "entrega-de-apoyos"
        states = dict(session.execute(select(Asset.id, Asset.workflow_state)).all())
    assert all(states[i] == WorkflowState.PUBLISHED for i in gallery.clean)
    assert states[gallery.held["restricted"]] == WorkflowState.APPROVED


def test_republishing_unchanged_writes_nothing(ctx: Context, gallery: Gallery) -> None:
    first = publish(ctx, gallery)
    again = publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))
    assert again.written == [] and again.removed == [] and again.encoded == 0
    assert again.unchanged == len(first.written)
    live = site_files(gallery.current)
    assert all(data == site_files(gallery.current)[p] for p, data in live.items())
    releases = sorted(p.name for p in (gallery.target / "releases").iterdir())
    assert len(releases) == 2  # the live one and the one before


def test_caption_change_rewrites_only_that_photo(ctx: Context, gallery: Gallery) -> None:
    publish(ctx, gallery)
    changed, other = gallery.clean
    with ctx.catalog.write() as session:
        session.get(Asset, changed).caption = "Pie de foto corregido"
        record_fixture_writes(session)
    result = publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))

    assert result.encoded == 1
    assert f"fotos/{changed}/index.html" in result.written
    assert any(p.startswith(f"media/{changed}/") for p in result.written)
    assert not any(f"/{other}/" in f"/{p}" for p in result.written)
    assert all(p.startswith(f"media/{changed}/") for p in result.removed)
    assert "Pie de foto corregido" in (gallery.current / f"fotos/{changed}/index.html").read_text()
    same_inode = (gallery.current / f"fotos/{other}/index.html").stat().st_nlink
    assert same_inode == 2  # hard-linked from the previous release, not written again


def test_collection_taken_out_of_the_gallery_is_removed(ctx: Context, gallery: Gallery) -> None:
    other = add_collection(ctx, "otra-coleccion", [gallery.clean[1]])
    publish(ctx, gallery)
    with ctx.catalog.write() as session:
        session.get(Collection, gallery.collection_id).published_at = None
        record_fixture_writes(session)
    result = publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))

    files = site_files(gallery.current)
    assert "colecciones/entrega-de-apoyos/index.html" in result.removed
    assert "colecciones/entrega-de-apoyos/index.html" not in files
    assert not any(f"/{gallery.clean[0]}/" in f"/{p}" for p in files)
    assert f"fotos/{gallery.clean[1]}/index.html" in files and other


def test_failure_mid_write_leaves_the_live_gallery_intact(
        ctx: Context, gallery: Gallery, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(ctx, gallery)
    before_link = os.readlink(gallery.current)
    before = site_files(gallery.current)
    with ctx.catalog.write() as session:
        session.get(Asset, gallery.clean[0]).caption = "Un cambio que no llegará"
        record_fixture_writes(session)
    written = []
    original = targets.FolderRelease.write

    def failing_write(self: targets.FolderRelease, path: str, data: bytes) -> None:
        if len(written) >= 3:
            raise OSError("disco lleno (simulado)")
        written.append(path)
        original(self, path, data)

    monkeypatch.setattr(targets.FolderRelease, "write", failing_write)
    with pytest.raises(OSError, match="disco lleno"):
        publish(ctx, gallery, now=NOW + dt.timedelta(hours=1))

    assert os.readlink(gallery.current) == before_link
    assert site_files(gallery.current) == before
    assert len(list((gallery.target / "releases").iterdir())) == 1
    with ctx.catalog.read() as session:
        run = session.scalars(select(PublishRun).order_by(PublishRun.id.desc())).first()
        assert run is not None and run.status == PublishStatus.FAILED
        assert "disco lleno" in (run.error or "")


def test_dry_run_writes_nothing(ctx: Context, gallery: Gallery) -> None:
    result = publish(ctx, gallery, dry_run=True)
    assert result.dry_run and result.run_id is None and result.encoded == 2
    assert not gallery.target.joinpath("current").exists()
    with ctx.catalog.read() as session:
        assert session.get(Asset, gallery.clean[0]).workflow_state == WorkflowState.APPROVED


def test_manifest_verifies_and_public_jpegs_carry_credentials(ctx: Context,
                                                              gallery: Gallery) -> None:
    manifest = pytest.importorskip("publish.manifest")
    credentials = pytest.importorskip("publish.credentials")
    publish(ctx, gallery)
    report = manifest.verify_gallery(gallery.current)
    assert report.ok, report
    for path in gallery.current.glob("media/*/*.jpg"):
        found = credentials.read_credentials(path.read_bytes(), "image/jpeg")
        assert found.present and found.ok, (path, found)


def test_the_open_data_licence_is_the_offices_choice(ctx: Context, gallery: Gallery) -> None:
    """The transparency office may publish its records under Mexico's Libre Uso MX terms."""
    chosen = dataclasses.replace(ctx, settings=ctx.settings.replace(
        open_data_licence="Términos de Libre Uso MX",
        open_data_licence_url="https://datos.gob.mx/libreusomx"))
    assert publish(chosen, gallery).status == "done"
    files = site_files(gallery.current)
    data = json.loads(files["datos/catalogo.json"])
    assert data["licencia_metadatos"] == {"nombre": "Términos de Libre Uso MX",
                                          "url": "https://datos.gob.mx/libreusomx"}
    dcat = json.loads(files["datos/dcat.jsonld"])
    assert dcat["dcat:dataset"][0]["dct:license"]["@id"] == "https://datos.gob.mx/libreusomx"
    page = files["datos/index.html"].decode()
    assert 'href="https://datos.gob.mx/libreusomx" rel="license">Términos de Libre Uso MX' in page
