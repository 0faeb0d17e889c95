"""Open data of the public gallery: the catalog as CSV and JSON, described in DCAT (JSON-LD).

Only what the Site holds leaves (never a GPS position). The CSV starts with a UTF-8 byte order
mark, so Excel opens accents right on a double click, and cells a spreadsheet would run as a
formula get a leading apostrophe. Dates are the collections' own, so the same Site gives the
same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from publish.gallery.site import Site, SiteCollection, SiteItem
from publish.gallery.urls import absolute_url, rfc3339

CSV_COLUMNS = ("id", "titulo", "pie_de_foto", "fecha", "lugar", "evento", "credito", "licencia",
               "url_licencia", "url_pagina", "url_imagen", "colecciones", "tipo")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLLECTION_SEPARATOR = " | "
DATASET_KEYWORDS = ("fotografía", "video", "comunicación social", "galería pública")
LANGUAGE_IRI = "http://id.loc.gov/vocabulary/iso639-1/es"
PATHS = {"csv": "datos/catalogo.csv", "json": "datos/catalogo.json", "dcat": "datos/dcat.jsonld",
         "page": "datos/index.html", "report_csv": "datos/informe.csv",
         "report_json": "datos/informe.json"}
REPORT_COLUMNS = ("grafica", "etiqueta", "cantidad", "eventos")


def open_data_files(site: Site) -> dict[str, bytes]:
    """``datos/catalogo.csv``, ``datos/catalogo.json`` and ``datos/dcat.jsonld`` of ``site``."""
    records = catalog_records(site)
    files = {PATHS["csv"]: catalog_csv(records), PATHS["json"]: catalog_json(site, records),
             PATHS["dcat"]: dcat_catalog(site)}
    if site.report:
        files[PATHS["report_csv"]] = report_csv(site.report)
        files[PATHS["report_json"]] = report_json(site, site.report)
    return files


def report_csv(counts: dict[str, Any]) -> bytes:
    """The published report as one long table: chart, label, count (events for months)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for chart in counts.get("graficas", []):
        for row in chart.get("filas", []):
            writer.writerow([csv_cell(chart.get("titulo")), csv_cell(row.get("etiqueta")),
                             int(row.get("cantidad") or 0),
                             "" if row.get("eventos") is None else int(row["eventos"])])
    return buffer.getvalue().encode("utf-8-sig")


def report_json(site: Site, counts: dict[str, Any]) -> bytes:
    """The published report's counts with what describes them; aggregate numbers only."""
    document = {"titulo": report_title(site, counts), "publicador": site.agency, "idioma": "es",
                "licencia": {"nombre": site.data_licence[0], "url": site.data_licence[1]},
                "url": absolute_url(site.base_url, PATHS["report_json"]), **counts}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def report_title(site: Site, counts: dict[str, Any]) -> str:
    return f"Informe de cobertura de {site.agency}: {counts.get('periodo', '')}"


def report_dataset(site: Site, counts: dict[str, Any]) -> dict[str, Any]:
    """The published report as a ``dcat:Dataset`` (counts per chart, CSV and JSON)."""
    return {
        "@id": absolute_url(site.base_url, PATHS["page"]) + "#informe",
        "@type": "dcat:Dataset",
        "dct:title": {"@value": report_title(site, counts), "@language": "es"},
        "dct:description": {"@value": (
            "Conteos agregados del material publicado en el periodo: eventos cubiertos, "
            "material por mes, tipo, área, campaña, evento, dirección territorial, colonia y "
            "fotógrafo(a), paquetes para prensa y enlaces compartidos. Solo números, nunca "
            "material."), "@language": "es"},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": site.agency},
        "dct:license": {"@id": site.data_licence[1]},
        "dct:modified": {"@value": str(counts.get("generado", "")), "@type": "xsd:dateTime"},
        "dct:temporal": {"@type": "dct:PeriodOfTime",
                         "dcat:startDate": {"@value": counts.get("desde"), "@type": "xsd:date"},
                         "dcat:endDate": {"@value": counts.get("hasta"), "@type": "xsd:date"}},
        "dct:language": {"@id": LANGUAGE_IRI},
        "dcat:keyword": [{"@value": w, "@language": "es"}
                         for w in ("rendición de cuentas", "comunicación social", "informe")],
        "dcat:landingPage": {"@id": absolute_url(site.base_url, PATHS["page"])},
        "dcat:distribution": [
            distribution(site, "report_csv", "Informe en CSV", "text/csv", "CSV"),
            distribution(site, "report_json", "Informe en JSON", "application/json", "JSON"),
        ],
    }


def collections_by_item(
    site: Site,
) -> tuple[dict[int, SiteItem], dict[int, tuple[SiteCollection, ...]]]:
    """Each item once (first appearance, in the Site's order) and the collections holding it."""
    items: dict[int, SiteItem] = {}
    memberships: dict[int, list[SiteCollection]] = {}
    for collection in site.collections:
        for item in collection.items:
            items.setdefault(item.asset_id, item)
            memberships.setdefault(item.asset_id, []).append(collection)
    return items, {key: tuple(value) for key, value in memberships.items()}


def item_licence(site: Site, item: SiteItem) -> tuple[str | None, str | None]:
    """(label, url) of the item's licence, completed from the Site's table; only web URLs."""
    label, url = item.licence_label, item.licence_url
    if item.licence_code and item.licence_code in site.licences:
        known_label, known_url = site.licences[item.licence_code]
        label, url = label or known_label, url or known_url
    if url and not url.startswith(("https://", "http://")):
        url = None
    return label or item.licence_code, url


def catalog_records(site: Site) -> list[dict[str, Any]]:
    """One record per published item (once, whatever its collections), by identifier."""
    items, memberships = collections_by_item(site)
    return [item_record(site, items[key], memberships[key]) for key in sorted(items)]


def item_record(site: Site, item: SiteItem,
                collections: tuple[SiteCollection, ...]) -> dict[str, Any]:
    label, url = item_licence(site, item)
    return {
        "id": item.asset_id,
        "titulo": item.title,
        "pie_de_foto": item.caption,
        "fecha": item.taken_on.isoformat() if item.taken_on else None,
        "lugar": item.place,
        "evento": item.event,
        "credito": item.credit,
        "licencia": label or item.licence_code,
        "url_licencia": url,
        "url_pagina": absolute_url(site.base_url, item.path),
        "url_imagen": absolute_url(site.base_url, item.images[0].path) if item.images else None,
        "colecciones": [{"id": c.collection_id, "titulo": c.title,
                         "url": absolute_url(site.base_url, c.path)} for c in collections],
        "tipo": "video" if item.kind == "video" else "foto",
        "url_video": absolute_url(site.base_url, item.video.path) if item.video else None,
        "texto_alternativo": item.alt_text,
        "palabras_clave": list(item.keywords),
        "derechos": item.copyright,
    }


def neutralise_formula(text: str) -> str:
    """``'=SUM(A1)``: a cell a spreadsheet would evaluate, made plain text (OWASP's advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = COLLECTION_SEPARATOR.join(str(entry["titulo"]) for entry in value)
    return neutralise_formula(str(value))


def catalog_csv(records: list[dict[str, Any]]) -> bytes:
    """The records as CSV (RFC 4180: commas, CRLF, quotes where needed), UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([csv_cell(record[column]) for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def modified_at(site: Site) -> str:
    """When the catalog last changed: its newest collection's change (else the publication)."""
    return max((rfc3339(c.updated_at) for c in site.collections),
               default=rfc3339(site.generated_at))


def catalog_json(site: Site, records: list[dict[str, Any]]) -> bytes:
    """The same records with what describes them: title, publisher, licence, date, fields."""
    document = {
        "titulo": f"Catálogo de {site.title}",
        "descripcion": dataset_description(site),
        "publicador": site.agency,
        "modificado": modified_at(site),
        "idioma": "es",
        "licencia_metadatos": {"nombre": site.data_licence[0], "url": site.data_licence[1]},
        "url": absolute_url(site.base_url, PATHS["json"]),
        "pagina": absolute_url(site.base_url, PATHS["page"]),
        "campos": list(CSV_COLUMNS),
        "total": len(records),
        "registros": records,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def dataset_description(site: Site) -> str:
    return (f"Fotografías y videos publicados por {site.agency} en su galería pública: "
            "título, pie de foto, fecha, lugar, evento, crédito, licencia y direcciones de cada "
            "material. Cada material se rige por la licencia de su registro.")


def distribution(site: Site, key: str, title: str, media_type: str, fmt: str) -> dict[str, Any]:
    url = absolute_url(site.base_url, PATHS[key])
    return {
        "@id": url + "#distribucion",
        "@type": "dcat:Distribution",
        "dct:title": {"@value": title, "@language": "es"},
        "dcat:downloadURL": {"@id": url},
        "dcat:accessURL": {"@id": absolute_url(site.base_url, PATHS["page"])},
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{media_type}"},
        "dct:format": fmt,
        "dct:license": {"@id": site.data_licence[1]},
    }


def dcat_catalog(site: Site) -> bytes:
    """A ``dcat:Catalog`` holding one ``dcat:Dataset`` with its CSV and JSON distributions."""
    modified = {"@value": modified_at(site), "@type": "xsd:dateTime"}
    publisher = {"@type": "foaf:Organization", "foaf:name": site.agency}
    dataset = {
        "@id": absolute_url(site.base_url, PATHS["page"]) + "#catalogo",
        "@type": "dcat:Dataset",
        "dct:title": {"@value": f"Catálogo de {site.title}", "@language": "es"},
        "dct:description": {"@value": dataset_description(site), "@language": "es"},
        "dct:publisher": publisher,
        "dct:license": {"@id": site.data_licence[1]},
        "dct:modified": modified,
        "dct:language": {"@id": LANGUAGE_IRI},
        "dcat:keyword": [{"@value": word, "@language": "es"} for word in DATASET_KEYWORDS],
        "dcat:landingPage": {"@id": absolute_url(site.base_url, PATHS["page"])},
        "dcat:distribution": [
            distribution(site, "csv", "Catálogo en CSV", "text/csv", "CSV"),
            distribution(site, "json", "Catálogo en JSON", "application/json", "JSON"),
        ],
    }
    document = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": absolute_url(site.base_url, PATHS["dcat"]),
        "@type": "dcat:Catalog",
        "dct:title": {"@value": site.title, "@language": "es"},
        "dct:description": {"@value": f"Datos abiertos de {site.title}.", "@language": "es"},
        "dct:publisher": publisher,
        "dct:license": {"@id": site.data_licence[1]},
        "dct:modified": modified,
        "dct:language": {"@id": LANGUAGE_IRI},
        "foaf:homepage": {"@id": absolute_url(site.base_url, "index.html")},
        "dcat:dataset": [dataset] + ([report_dataset(site, site.report)] if site.report else []),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
