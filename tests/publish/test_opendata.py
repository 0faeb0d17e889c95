"""Open data of the gallery: CSV (BOM, formulas neutralised), JSON and the DCAT description."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from publish.gallery.site import Site
from publish.opendata import CSV_COLUMNS, neutralise_formula, open_data_files
from tests.publish.gallery_site import (
    ARABIC,
    BASE_URL,
    HEBREW,
    INJECTED_ATTRIBUTE,
    TRICKY,
    make_site,
)


@pytest.fixture(scope="module")
def site() -> Site:
    return make_site()


@pytest.fixture(scope="module")
def files(site: Site) -> dict[str, bytes]:
    return open_data_files(site)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_bom_and_one_row_per_item(files: dict[str, bytes]) -> None:
    data = files["datos/catalogo.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").split("\r\n", 1)[0]
    assert tuple(header.split(",")) == CSV_COLUMNS
    rows = csv_rows(data)
    assert [row["id"] for row in rows] == ["1", "3", "4", "7", "9"]  # photo 1 once, though twice
    by_id = {row["id"]: row for row in rows}
    assert by_id["1"]["colecciones"] == f"Jornada {TRICKY} {HEBREW} | Mercados sobre ruedas"
    assert by_id["9"]["tipo"] == "video" and by_id["1"]["tipo"] == "foto"
    assert by_id["1"]["url_pagina"] == BASE_URL + "fotos/1/index.html"
    assert by_id["9"]["url_imagen"] == BASE_URL + "media/9/a0009-1600.jpg"
    assert by_id["1"]["fecha"] == "2025-03-12" and by_id["1"]["licencia"] == "CC BY 4.0"
    assert by_id["4"]["licencia"] == "" and by_id["4"]["url_licencia"] == ""


def test_csv_round_trips_tricky_text_and_neutralises_formulas(files: dict[str, bytes]) -> None:
    row = {row["id"]: row for row in csv_rows(files["datos/catalogo.csv"])}["7"]
    assert row["titulo"] == f"{TRICKY} {ARABIC}"
    assert row["pie_de_foto"] == f"Pie {TRICKY}\n\n{HEBREW} {INJECTED_ATTRIBUTE}"
    assert row["lugar"] == f"Lugar {ARABIC} <i>"
    assert row["evento"] == "'=HYPERLINK(\"http://malo.example\")"
    assert row["credito"] == "'+Crédito & <Compañía>"
    assert row["licencia"] == "Todos los derechos reservados" and row["url_licencia"] == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+52 55", "'+52 55"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Mercado", "Mercado"), ("", ""), ("a=b", "a=b"),
])
def test_formula_cells_get_an_apostrophe(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


def test_json_holds_the_same_records_unchanged(files: dict[str, bytes], site: Site) -> None:
    document = json.loads(files["datos/catalogo.json"])
    assert document["publicador"] == "Alcaldía Iztapalapa" and document["idioma"] == "es"
    assert document["modificado"] == "2025-03-13T03:00:00Z"
    assert document["campos"] == list(CSV_COLUMNS) and document["total"] == 5
    records = {record["id"]: record for record in document["registros"]}
    assert sorted(records) == [1, 3, 4, 7, 9]
    tricky = records[7]
    assert tricky["evento"] == "=HYPERLINK(\"http://malo.example\")"  # JSON keeps the text
    assert tricky["titulo"] == f"{TRICKY} {ARABIC}"
    assert tricky["palabras_clave"] == ["<kw>", HEBREW, "@arroba"]
    assert [c["url"] for c in records[1]["colecciones"]] == [
        BASE_URL + "colecciones/jornada-de-salud/index.html",
        BASE_URL + "colecciones/mercados/index.html"]
    assert records[9]["url_video"] == BASE_URL + "media/9/v0009.mp4"
    assert set(tricky) == set(CSV_COLUMNS) | {"url_video", "texto_alternativo",
                                               "palabras_clave", "derechos"}
    assert "gps" not in files["datos/catalogo.json"].decode().lower()


def test_dcat_describes_the_catalog_and_its_distributions(files: dict[str, bytes]) -> None:
    catalog = json.loads(files["datos/dcat.jsonld"])
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert catalog["@context"]["dct"] == "http://purl.org/dc/terms/"
    (dataset,) = catalog["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset"
    assert dataset["dct:title"]["@language"] == "es" and dataset["dct:title"]["@value"]
    assert dataset["dct:description"]["@language"] == "es"
    assert dataset["dct:publisher"]["foaf:name"] == "Alcaldía Iztapalapa"
    assert dataset["dct:license"]["@id"].startswith("https://creativecommons.org/")
    assert dataset["dct:modified"]["@value"] == "2025-03-13T03:00:00Z"
    assert dataset["dct:language"]["@id"].endswith("/es")
    downloads = {d["dct:format"]: d for d in dataset["dcat:distribution"]}
    assert downloads["CSV"]["dcat:downloadURL"]["@id"] == BASE_URL + "datos/catalogo.csv"
    assert downloads["CSV"]["dcat:mediaType"]["@id"].endswith("/text/csv")
    assert downloads["JSON"]["dcat:downloadURL"]["@id"] == BASE_URL + "datos/catalogo.json"
    assert downloads["JSON"]["dcat:mediaType"]["@id"].endswith("/application/json")


def test_open_data_is_deterministic(site: Site) -> None:
    later = dataclasses.replace(site, generated_at=site.generated_at.replace(year=2031))
    assert open_data_files(site) == open_data_files(make_site()) == open_data_files(later)


def test_an_empty_catalog_is_still_valid(site: Site) -> None:
    files = open_data_files(dataclasses.replace(site, collections=()))
    assert csv_rows(files["datos/catalogo.csv"]) == []
    assert json.loads(files["datos/catalogo.json"])["registros"] == []
    assert json.loads(files["datos/dcat.jsonld"])["dct:modified"]["@value"] == (
        "2025-04-01T12:00:00Z")


REPORT = {"periodo": "marzo de 2025", "desde": "2025-03-01", "hasta": "2025-03-31",
          "generado": "2025-04-02T10:00:00+00:00", "material": 3, "eventos": 2,
          "graficas": [{"clave": "area", "titulo": "Material por área",
                        "filas": [{"etiqueta": "=Obras", "cantidad": 2},
                                  {"etiqueta": "Cultura", "cantidad": 1}]},
                       {"clave": "month", "titulo": "Material y eventos cubiertos por mes",
                        "filas": [{"etiqueta": "2025-03", "cantidad": 3, "eventos": 2}]}]}


def test_a_published_report_is_open_data_as_counts_listed_in_dcat(site: Site) -> None:
    assert "datos/informe.csv" not in open_data_files(site)  # none published: none written
    files = open_data_files(dataclasses.replace(site, report=REPORT))
    rows = csv_rows(files["datos/informe.csv"])
    assert files["datos/informe.csv"].startswith(b"\xef\xbb\xbf")
    assert rows == [
        {"grafica": "Material por área", "etiqueta": "'=Obras", "cantidad": "2", "eventos": ""},
        {"grafica": "Material por área", "etiqueta": "Cultura", "cantidad": "1", "eventos": ""},
        {"grafica": "Material y eventos cubiertos por mes", "etiqueta": "2025-03",
         "cantidad": "3", "eventos": "2"}]
    document = json.loads(files["datos/informe.json"])
    assert document["material"] == 3 and document["graficas"] == REPORT["graficas"]
    datasets = json.loads(files["datos/dcat.jsonld"])["dcat:dataset"]
    report = next(d for d in datasets if d["@id"].endswith("#informe"))
    urls = [d["dcat:downloadURL"]["@id"] for d in report["dcat:distribution"]]
    assert urls == [f"{BASE_URL}datos/informe.csv", f"{BASE_URL}datos/informe.json"]
    assert report["dct:temporal"]["dcat:startDate"]["@value"] == "2025-03-01"
