"""What the catalog files say of each asset: every field, words for codes, restrictions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.catalog import asset_to_dict
from dam.config import Settings
from dam.curation.rights import consent_blockers, linked_consents, restriction_blockers
from dam.models import Asset, Collection, CollectionItem

WORKFLOW = {"draft": "borrador", "reviewed": "revisado", "approved": "aprobado",
            "published": "publicado", "withdrawn": "retirado"}
MEDIA = {"photo": "foto", "video": "video", "audio": "audio", "document": "documento",
         "other": "otro"}
COLOURS = {"red": "rojo", "yellow": "amarillo", "green": "verde", "blue": "azul",
           "purple": "morado"}
RESTRICTIONS = {"embargoed": "embargo", "internal_only": "solo uso interno",
                "minors_without_consent": "menores sin consentimiento válido",
                "consent_expired": "consentimiento vencido",
                "consent_revoked": "consentimiento revocado", "sensitive": "contenido sensible"}

#: The spreadsheet's columns: (header, record key).
CSV_COLUMNS = (
    ("id", "id"), ("ruta", "ruta"), ("archivo_original", "original_filename"),
    ("sha256", "sha256"), ("bytes", "byte_size"), ("tipo", "tipo"), ("mime", "mime_type"),
    ("fecha_toma", "taken_at"), ("evento", "event"), ("area", "area"),
    ("titular", "headline"), ("pie_de_foto", "caption"), ("palabras_clave", "palabras_clave"),
    ("personas", "personas"), ("autor", "creator"), ("credito", "credit"),
    ("derechos", "copyright_notice"), ("condiciones_de_uso", "usage_terms"),
    ("licencia", "licencia"), ("lugar", "sublocation"), ("ciudad", "city"),
    ("estado", "state_province"), ("pais", "country"), ("estado_editorial", "estado_editorial"),
    ("restringido", "restringido_texto"), ("restricciones", "restricciones_texto"),
    ("embargo_hasta", "embargo_until"), ("colecciones", "colecciones_texto"),
    ("consentimientos", "consentimientos_texto"), ("texto_alternativo", "alt_text"),
)


def _collections(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(CollectionItem.asset_id, Collection.title).join(Collection)
        .where(CollectionItem.asset_id.in_(ids)).order_by(Collection.id))
    for asset_id, title in rows:
        out[asset_id].append(title)
    return out


def describe_page(session: Session, assets: Sequence[Asset], settings: Settings,
                  now: dt.datetime) -> list[dict[str, Any]]:
    """One record per asset: ``asset_to_dict`` plus words, restrictions, collections, consents."""
    ids = [a.id for a in assets]
    consents = linked_consents(session, ids)
    collections = _collections(session, ids)
    records = []
    for asset in assets:
        forms = consents.get(asset.id, [])
        codes = [b.code for b in restriction_blockers(asset, now)
                 + consent_blockers(asset, forms, now)]
        if asset.sensitive:
            codes.append("sensitive")
        words = [RESTRICTIONS.get(c, c) for c in dict.fromkeys(codes)]
        record = asset_to_dict(asset)
        record.update({
            "tipo": MEDIA.get(str(asset.media_type), str(asset.media_type)),
            "estado_editorial": WORKFLOW.get(str(asset.workflow_state)),
            "etiqueta_color": COLOURS.get(str(asset.color_label)) if asset.color_label else None,
            "licencia": settings.licences.label(asset.licence) or asset.licence,
            "restringido": bool(words), "restricciones": words,
            "colecciones": collections.get(asset.id, []),
            "consentimientos": sorted(f.id for f in forms),
            "palabras_clave": "; ".join(asset.keywords or []),
            "personas": "; ".join(asset.persons_shown or []),
        })
        record["restringido_texto"] = "sí" if words else "no"
        record["restricciones_texto"] = "; ".join(words)
        record["colecciones_texto"] = "; ".join(record["colecciones"])
        record["consentimientos_texto"] = "; ".join(str(c) for c in record["consentimientos"])
        records.append(record)
    return records


def json_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record for catalogo.json (without the flattened spreadsheet columns)."""
    return {k: v for k, v in record.items() if not k.endswith("_texto")}
