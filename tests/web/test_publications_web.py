"""Publicaciones, notas de prensa, the web-note form and the old catalogue's sheet from the web."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from dam.enums import PublicationKind, Tone
from dam.models import Asset, AuditEntry, Batch
from tests.changefeed_check import record_fixture_writes
from tests.conftest import FIXTURES
from tests.web.conftest import csrf, ctx_of, signed_in, use_english

CLIP = PublicationKind.CLIPPING


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)


def _add(app: Flask, **values: object) -> int:
    with ctx_of(app).catalog.write() as session:
        start = session.scalar(select(Asset.id).order_by(Asset.id.desc()).limit(1)) or 0
        asset = Asset(sha256=f"{start + 1:064x}", byte_size=1, original_filename="x.pdf",
                      original_key=f"originals/{start}", **values)
        session.add(asset)
        session.flush()
        record_fixture_writes(session)
        return asset.id


def test_series_page_lists_issues_in_order_and_the_gaps(app: Flask) -> None:
    for n in (3, 1, 6):
        _add(app, series="Gaceta Iztapalapa", issue_number=n, headline=f"Gaceta {n}",
             distribution_date=dt.date(2025, n, 1))
    client = signed_in(app, "prensa")
    index = client.get("/publicaciones").get_data(as_text=True)
    assert "Gaceta Iztapalapa" in index and "1–6" in index
    page = client.get("/publicaciones/serie?nombre=Gaceta+Iztapalapa").get_data(as_text=True)
    assert page.index("No. 1") < page.index("No. 3") < page.index("No. 6")
    assert '<span class="gap">2</span>' in page and '<span class="gap">4–5</span>' in page
    assert client.get("/publicaciones/serie?nombre=Nada").status_code == 404


def test_clippings_facet_by_medium_and_month_and_editors_set_the_tone(app: Flask) -> None:
    a = _add(app, publication_kind=CLIP, medium="Reforma", headline="Bache en Ermita",
             distribution_date=dt.date(2025, 3, 3))
    _add(app, publication_kind=CLIP, medium="La Jornada", headline="Agua",
         distribution_date=dt.date(2025, 4, 9))
    viewer = signed_in(app, "prensa")
    page = viewer.get("/notas-de-prensa?medio=Reforma").get_data(as_text=True)
    assert "Bache en Ermita" in page and "Agua" not in page
    assert "1 clipping" in page and 'name="tone"' not in page  # press staff read only
    march = viewer.get("/notas-de-prensa?mes=2025-04").get_data(as_text=True)
    assert "Agua" in march and "Bache" not in march
    refused = viewer.post(f"/notas-de-prensa/{a}/tono",
                          data={"csrf_token": csrf(viewer), "tone": "negative"})
    assert refused.status_code == 403

    editor = signed_in(app, "editora")
    assert 'name="tone"' in editor.get("/notas-de-prensa").get_data(as_text=True)
    done = editor.post(f"/notas-de-prensa/{a}/tono", data={
        "csrf_token": csrf(editor), "tone": "negative", "edit_version": "1",
        "next": "/notas-de-prensa?medio=Reforma"})
    assert done.status_code == 302 and done.headers["Location"].endswith("medio=Reforma")
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, a).tone is Tone.NEGATIVE
        entry = session.scalars(select(AuditEntry).where(AuditEntry.asset_id == a)).one()
        assert (entry.field, entry.new_value, entry.username) == ("tone", "negative", "editora")
    negative = editor.get("/notas-de-prensa?tono=negative").get_data(as_text=True)
    assert "Bache en Ermita" in negative and "Agua" not in negative
    bad = editor.post(f"/notas-de-prensa/{a}/tono", data={"csrf_token": csrf(editor),
                                                         "tone": "feliz"})
    assert bad.status_code == 400


def test_a_web_note_keeps_its_address_and_capture_date(app: Flask) -> None:
    client = signed_in(app, "fotografa")
    pdf = (FIXTURES / "pdf" / "pdflatex-4-pages.pdf").read_bytes()
    bad = client.post("/notas-de-prensa/nota-web", data={
        "csrf_token": csrf(client), "web_url": "javascript:alert(1)",
        "file": (io.BytesIO(pdf), "nota.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "web address" in bad.get_data(as_text=True)
    done = client.post("/notas-de-prensa/nota-web", data={
        "csrf_token": csrf(client), "web_url": "https://www.reforma.com/nota/123",
        "medium": "Reforma", "headline": "Nuevo mercado", "author": "Redacción",
        "date": "2025-03-20", "captured_on": "2025-03-21",
        "file": (io.BytesIO(pdf), "nota.pdf")}, content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    asset_id = int(done.headers["Location"].rsplit("/", 1)[1])
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        batch = session.get(Batch, asset.batch_id)
        assert (asset.web_url, asset.captured_on, asset.medium, asset.creator) == (
            "https://www.reforma.com/nota/123", dt.date(2025, 3, 21), "Reforma", "Redacción")
        assert asset.publication_kind is CLIP and asset.distribution_date == dt.date(2025, 3, 20)
        assert batch.user_id is not None and asset.mime_type == "application/pdf"
    page = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert 'href="https://www.reforma.com/nota/123"' in page and "Reforma" in page


def _sheet_bytes() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Fotos"
    for row in (["Archivo", "Pie de foto", "Crédito"], ["x.pdf", "Pie nuevo", "Foto: Ana"],
                ["falta.jpg", "Nada", ""]):
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_admins_upload_a_sheet_see_the_dry_run_and_apply_it(app: Flask) -> None:
    asset_id = _add(app, credit="Foto: Archivo")
    editor = signed_in(app, "editora")
    assert editor.get("/admin/importar-hoja").status_code == 403
    admin = signed_in(app, "admin")
    shown = admin.post("/admin/importar-hoja", data={
        "csrf_token": csrf(admin), "sheet": (io.BytesIO(_sheet_bytes()), "catalogo.xlsx")},
        content_type="multipart/form-data")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Matched: 1" in page and "Unmatched: 1" in page and "Conflicts: 1" in page
    assert "falta.jpg" in page and "Foto: Archivo" in page
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, asset_id).caption is None  # the dry run wrote nothing
    token = page.split('name="token" value="')[1].split('"')[0]
    applied = admin.post("/admin/importar-hoja/aplicar", data={
        "csrf_token": csrf(admin), "token": token, "filename": "catalogo.xlsx"})
    assert "Sheet Fotos imported: 1 values changed on 1 items." in applied.get_data(as_text=True)
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert (asset.caption, asset.credit) == ("Pie nuevo", "Foto: Archivo")
        summary = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "sheet_import")).one()
        assert summary.username == "admin"
    again = admin.post("/admin/importar-hoja/aplicar", data={"csrf_token": csrf(admin),
                                                            "token": token})
    assert again.status_code == 404  # applied once; the file is gone
    assert not list((Path(ctx_of(app).settings.data_dir) / "tmp" / "sheets").iterdir())


def test_a_web_note_of_someone_elses_file_is_refused_not_a_server_error(app: Flask,
                                                                         tmp_path: Path) -> None:
    from dam.catalog import BatchInfo
    from ingest.batching import ingest_paths

    pdf = FIXTURES / "pdf" / "pdflatex-4-pages.pdf"
    ingest_paths(ctx_of(app), [pdf], BatchInfo(event="Archivo"))  # a batch of nobody's
    client = signed_in(app, "fotografa")
    refused = client.post("/notas-de-prensa/nota-web", data={
        "csrf_token": csrf(client), "web_url": "https://example.org/nota",
        "file": (io.BytesIO(pdf.read_bytes()), "nota.pdf")}, content_type="multipart/form-data")
    assert refused.status_code == 400
    with ctx_of(app).catalog.read() as session:
        assert session.scalars(select(Asset.web_url)).all() == [None]  # nothing changed


def test_the_search_page_facets_clippings_by_medium_and_tone(app: Flask) -> None:
    from tests.web.conftest import state_of

    _add(app, publication_kind=CLIP, medium="Reforma", tone=Tone.NEGATIVE, headline="Bache",
         distribution_date=dt.date(2025, 3, 3))
    _add(app, publication_kind=CLIP, medium="La Jornada", headline="Agua",
         distribution_date=dt.date(2025, 3, 9))
    state_of(app).search.sync()
    client = signed_in(app, "prensa")
    page = client.get("/buscar?q=impreso:recorte").get_data(as_text=True)
    assert "Medium" in page and "Tone" in page and "Press clipping" in page
    assert "medio=Reforma" in page and "tono=negativa" in page
    only = client.get("/buscar?q=mes:2025-03&medio=Reforma").get_data(as_text=True)
    assert "Bache" in only and "Agua" not in only
    words = client.get("/buscar?q=medio:jornada+mes:2025-03").get_data(as_text=True)
    assert "Agua" in words and "Bache" not in words
