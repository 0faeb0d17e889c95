"""Informes: counts that agree with the search, Mexico City periods, roles, public reports,
CSV, PDF, the map of territorial divisions and the open data."""

from __future__ import annotations

import datetime as dt
import json
from itertools import count

from flask import Flask

from dam.curation.actor import Actor
from dam.curation.audit import record
from dam.enums import AssetState, MediaType, Role, VocabularyKind, WorkflowState
from dam.models import Asset, Batch, PublishingSetting, VocabularyTerm
from dam.search.documents import WORKFLOW_SLUGS
from publish.gallery.plan import published_report
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import csrf, ctx_of, post_form, signed_in, state_of

_serial = count(1)
MARCH = {"periodo": "mes", "mes": "2025-03"}
OBRAS, CULTURA, SALUD = ("Dirección General de Obras", "Dirección de Cultura",
                         "=HYPERLINK(\"http://x\")")


def _asset(session, *, taken: dt.datetime | None, batch: Batch | None = None,  # type: ignore[no-untyped-def]
           **fields) -> Asset:
    n = next(_serial)
    asset = Asset(sha256=f"{n:064x}", byte_size=100, original_filename=f"f{n}.jpg",
                  original_key=f"originals/{n}", media_type=fields.pop("media_type",
                                                                        MediaType.PHOTO),
                  state=AssetState.READY, taken_at=taken, batch=batch, **fields)
    session.add(asset)
    record_fixture_writes(session)
    return asset


def _archive(app: Flask) -> None:
    """March 2025 in Mexico City, its edges, one photo dated only by its batch, and February."""
    with ctx_of(app).catalog.write() as session:
        batch = Batch(event="Feria de la salud", event_date=dt.date(2025, 3, 15), area=CULTURA,
                      programme="Utopías", place="San Lorenzo Tezonco",
                      photographer="Luis Gómez")
        session.add(batch)
        published = WorkflowState.PUBLISHED
        for day, area, event, place, who, state, programme in (
            (3, OBRAS, "Inauguración del mercado", "Santa Cruz Meyehualco", "Ana Peña", published,
             "Mercomuna"),
            (3, OBRAS, "Inauguración del mercado", "Santa Cruz Meyehualco", "Ana Peña", published,
             "Mercomuna"),
            (9, OBRAS, "Recorrido de obra", "Cabeza de Juárez", "Ana Peña", WorkflowState.DRAFT,
             None),
            (20, CULTURA, "Festival de la primavera", "Santa Cruz Meyehualco", "Luis Gómez",
             WorkflowState.APPROVED, "Utopías"),
        ):
            _asset(session, taken=dt.datetime(2025, 3, day, 12), area=area, event=event,
                   sublocation=place, creator=who, workflow_state=state, programme=programme,
                   campaign="Iztapalapa limpia" if day == 9 else None)
        _asset(session, taken=dt.datetime(2025, 3, 31, 23, 30), area=SALUD, event="Jornada",
               sublocation="Cabeza de Juárez", creator="Ana Peña",
               workflow_state=published, media_type=MediaType.VIDEO, programme=" ")
        _asset(session, taken=None, batch=batch)  # the search dates it (and its programme)
        _asset(session, taken=dt.datetime(2025, 4, 1, 0, 10), area=OBRAS, event="Abril",
               programme="Mercomuna")
        _asset(session, taken=dt.datetime(2025, 2, 28, 23, 59), area=OBRAS, event="Febrero",
               programme="Mercomuna")
        division = VocabularyTerm(vocabulary=VocabularyKind.TERRITORY, label="Aculco")
        session.add(division)
        session.flush()
        for colonia in ("Santa Cruz Meyehualco", "Cabeza de Juarez"):  # accents differ
            session.add(VocabularyTerm(vocabulary=VocabularyKind.COLONIA, label=colonia,
                                       parent_id=division.id))
    state_of(app).search.sync()


def _table(html: str, key: str) -> dict[str, int]:
    """A chart's table on the page: first column -> second, as numbers."""
    import re

    section = html.split(f'id="grafica-{key}-seccion"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<th scope="row" dir="auto">([^<]*)</th><td class="num">([\d,]+)</td>',
                      section)
    return {label.replace("&#34;", '"').replace("&quot;", '"'): int(n.replace(",", ""))
            for label, n in rows}


def test_counts_agree_with_the_search_facets_for_the_same_days(app: Flask) -> None:
    _archive(app)
    editor = signed_in(app, "editora")
    page = editor.get("/informes", query_string=MARCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    results = state_of(app).search.search(
        "fecha:2025-03-01..2025-03-31", per_page=1,
        facets=("area", "event", "photographer", "place", "workflow", "type", "programme",
                "campaign"))
    assert results.total == 6
    facets = {name: dict(values) for name, values in results.facets.items()}
    assert _table(html, "area") == facets["area"]
    assert _table(html, "programme") == facets["programme"] | {"Sin dato": 2}
    assert facets["programme"] == {"Mercomuna": 2, "Utopías": 2}  # one by its batch
    assert _table(html, "campaign") == facets["campaign"] | {"Sin dato": 5}
    assert _table(html, "event") == facets["event"]
    assert _table(html, "photographer") == facets["photographer"]
    assert _table(html, "colonia") == facets["place"]
    states = {WORKFLOW_SLUGS[k]: v for k, v in _report_rows(app, "workflow").items() if v}
    assert states == facets["workflow"]
    assert '<dd>6</dd>' in html  # material; events: 5 distinct names
    assert '<dd>5</dd>' in html


def _report_rows(app: Flask, key: str, public: bool = False) -> dict[str, int]:
    from dam.curation.rights import public_clause
    from dam.reports.figures import build_report
    from dam.reports.period import month

    with ctx_of(app).catalog.read() as session:
        report = build_report(session, month(2025, 3), now=dt.datetime.now(dt.UTC),
                              public_clause=public_clause if public else None)
        return {row.label: row.count for row in report.figure(key).rows}


def test_periods_are_mexico_city_days(app: Flask) -> None:
    _archive(app)
    months = _report_rows(app, "month")
    assert months == {"2025-03": 6}  # 31 March 23:30 in; 1 April 00:10 and 28 Feb out
    actor = Actor(None, "enlace 1", Role.VIEWER)
    with ctx_of(app).catalog.write() as session:
        # 05:30 UTC on 1 April is 23:30 on 31 March in Mexico City (UTC-6): it counts.
        for at, action in ((dt.datetime(2025, 4, 1, 5, 30, tzinfo=dt.UTC), "share_view"),
                           (dt.datetime(2025, 4, 1, 6, 30, tzinfo=dt.UTC), "share_view"),
                           (dt.datetime(2025, 3, 1, 5, 0, tzinfo=dt.UTC), "presskit"),
                           (dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC), "presskit")):
            entry = record(session, actor, action)
            entry.at = at
        record_fixture_writes(session)
    activity = _report_rows(app, "activity")
    assert activity["share_view"] == 1 and activity["presskit"] == 1
    html = signed_in(app, "admin").get(
        "/informes", query_string={"periodo": "rango", "desde": "2025-03-31",
                                   "hasta": "2025-03-31"}).get_data(as_text=True)
    assert "del 2025-03-31 al 2025-03-31" in html
    assert _table(html, "media-type") == {"Video": 1}


def test_only_editors_and_admins_open_reports(app: Flask) -> None:
    for user, status in (("admin", 200), ("editora", 200), ("fotografa", 403), ("prensa", 403)):
        client = signed_in(app, user)
        assert client.get("/informes").status_code == status, user
        assert client.get("/informes/area.csv").status_code == status, user
    assert app.test_client().get("/informes").status_code == 302
    assert signed_in(app, "editora").get("/informes/nada.csv").status_code == 404
    bad = signed_in(app, "editora").get("/informes", query_string={"periodo": "mes",
                                                                   "mes": "2025-13"})
    assert bad.status_code == 400 and "2025-13" in bad.get_data(as_text=True)


def test_a_public_report_counts_only_what_the_public_may_see(app: Flask) -> None:
    _archive(app)
    with ctx_of(app).catalog.write() as session:
        hidden = _asset(session, taken=dt.datetime(2025, 3, 5, 10), area="Área secreta",
                        event="Evento interno", workflow_state=WorkflowState.PUBLISHED,
                        internal_only=True)
        embargoed = _asset(session, taken=dt.datetime(2025, 3, 6, 10), area="Área embargada",
                           workflow_state=WorkflowState.PUBLISHED,
                           embargo_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        assert hidden and embargoed
    editor = signed_in(app, "editora")
    staff = editor.get("/informes", query_string=MARCH).get_data(as_text=True)
    assert "Área secreta" in staff and "Área embargada" in staff
    public = editor.get("/informes", query_string={**MARCH, "publico": "1"})
    html = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "Área secreta" not in html and "Evento interno" not in html
    assert "Área embargada" not in html and "Recorrido de obra" not in html  # a draft
    assert _table(html, "area") == {OBRAS: 2, SALUD: 1}
    assert 'id="grafica-workflow-seccion"' not in html
    csv = editor.get("/informes/area.csv", query_string={**MARCH, "publico": "1"})
    assert "Área secreta" not in csv.get_data().decode("utf-8-sig")


def test_csv_and_pdf_downloads(app: Flask) -> None:
    _archive(app)
    editor = signed_in(app, "editora")
    response = editor.get("/informes/area.csv", query_string=MARCH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "informe-2025-03-area.csv" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Área,Material"
    assert lines[1] == f"{OBRAS},3"
    assert "'=HYPERLINK" in body.decode("utf-8-sig")  # a formula is made plain text
    programmes = editor.get("/informes/programme.csv", query_string=MARCH)
    assert programmes.status_code == 200
    assert "informe-2025-03-programme.csv" in programmes.headers["Content-Disposition"]
    assert programmes.get_data().decode("utf-8-sig").split("\r\n")[:4] == [
        "Programa,Material", "Mercomuna,2", "Utopías,2", "Sin dato,2"]
    months = editor.get("/informes/month.csv", query_string={"periodo": "trimestre",
                                                             "trimestre": "2025-T1"})
    assert months.get_data().decode("utf-8-sig").split("\r\n")[1:4] == [
        "2025-01,0,0", "2025-02,1,1", "2025-03,6,5"]
    pdf = editor.get("/informes/informe.pdf", query_string=MARCH)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
    assert "informe-2025-03.pdf" in pdf.headers["Content-Disposition"]


def test_every_chart_is_an_svg_with_a_title_and_a_table(app: Flask) -> None:
    _archive(app)
    html = signed_in(app, "editora").get("/informes", query_string=MARCH).get_data(as_text=True)
    sections = html.split('class="report-chart')[1:]
    assert len(sections) == 14  # the printed archive: series, medium, tone
    for section in sections:
        assert 'role="img"' in section and '<title id="grafica-' in section
        assert "<desc id=" in section and "<table>" in section
    assert "Material por área" in html and "Notas de prensa por tono" in html  # Spanish
    assert "Material por programa" in html
    assert "<script" not in html.split('class="report-chart', 1)[1]


GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"nombre": "ACULCO"},
     "geometry": {"type": "Polygon", "coordinates": [[[-99.10, 19.35], [-99.05, 19.35],
                                                      [-99.05, 19.40], [-99.10, 19.35]]]}},
    {"type": "Feature", "properties": {"NOMBRE": "Cabeza de Juárez"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[-99.05, 19.35], [-99.0, 19.35],
                                                            [-99.0, 19.40],
                                                            [-99.05, 19.35]]]]}},
]}


def test_the_admin_uploads_the_map_of_divisions(app: Flask) -> None:
    _archive(app)
    from io import BytesIO

    editor = signed_in(app, "editora")
    data = json.dumps(GEOJSON).encode()
    refused = editor.post("/informes/mapa", data={"csrf_token": csrf(editor),
                                                 "mapa": (BytesIO(data), "dt.geojson")})
    assert refused.status_code == 403
    admin = signed_in(app, "admin")
    bad = admin.post("/informes/mapa", data={"csrf_token": csrf(admin),
                                            "mapa": (BytesIO(b"{}"), "dt.geojson")},
                     follow_redirects=True)
    assert "FeatureCollection" in bad.get_data(as_text=True)
    done = admin.post("/informes/mapa", data={"csrf_token": csrf(admin),
                                             "mapa": (BytesIO(data), "dt.geojson")},
                      follow_redirects=True)
    assert "2 direcciones" in done.get_data(as_text=True), done.get_data(as_text=True)[-3000:]
    html = admin.get("/informes", query_string=MARCH).get_data(as_text=True)
    section = html.split('id="grafica-division-seccion"', 1)[1].split("</section>", 1)[0]
    # Matched without regard to accents or case: Santa Cruz Meyehualco (3) and Cabeza de
    # Juárez (2, "Juarez" in the vocabulary) are colonias of Aculco; San Lorenzo Tezonco is
    # not in the vocabulary.
    assert "<path d=" in section and "<title>ACULCO: 5</title>" in section, section
    assert "<title>Cabeza de Juárez: 0</title>" in section  # not a division in the vocabulary
    assert _table(html, "division") == {"Aculco": 5, "Cabeza de Juárez": 0, "Sin dato": 1}


def test_a_public_report_is_published_to_open_data_as_counts(app: Flask) -> None:
    _archive(app)
    editor = signed_in(app, "editora")
    response = post_form(editor, "/informes/datos-abiertos", **MARCH)
    assert response.status_code == 303
    with ctx_of(app).catalog.read() as session:
        counts = session.get(PublishingSetting, "open_data_report").value
        assert published_report(session) == counts  # what the gallery's next build writes
    assert counts["material"] == 3 and counts["periodo"] == "marzo de 2025"
    areas = next(c for c in counts["graficas"] if c["clave"] == "area")
    assert areas["titulo"] == "Material por área"
    assert areas["filas"] == [{"etiqueta": OBRAS, "cantidad": 2},
                              {"etiqueta": SALUD, "cantidad": 1}]
    assert not any(c["clave"] == "workflow" for c in counts["graficas"])
    text = json.dumps(counts, ensure_ascii=False)
    assert "Recorrido de obra" not in text and "originals/" not in text


def test_the_pdf_carries_the_offices_band(app: Flask) -> None:
    import io

    from PIL import Image

    from publish import branding

    editor = signed_in(app, "editora")
    plain = editor.get("/informes/informe.pdf", query_string=MARCH).get_data()
    assert b"/Image" not in plain  # no band yet: the agency's name in a coloured strip
    band = io.BytesIO()
    Image.new("RGB", (1200, 120), (107, 29, 92)).save(band, "PNG")
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        branding.save_band(session, ctx.store, Actor(1, "admin", Role.ADMIN), band.getvalue())
    assert b"/Image" in editor.get("/informes/informe.pdf", query_string=MARCH).get_data()
