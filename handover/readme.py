"""LEEME.txt: what a handover bag holds and how to check it, in Spanish, for people."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dam.context import Context

if TYPE_CHECKING:
    from handover.export import ExportOptions, ExportSummary
    from handover.selection import Selection


def _period(sel: Selection) -> str:
    if not sel.date_from and not sel.date_to:
        return "todo el acervo"
    return f"del {sel.date_from or 'inicio'} al {sel.date_to or 'día de hoy'}"


def readme_text(ctx: Context, opts: ExportOptions, summary: ExportSummary, sel: Selection
                ) -> str:
    now = dt.datetime.now(dt.UTC)
    scope = _period(sel) + (f", colección {sel.collection_id}" if sel.collection_id else "")
    gb = summary.bytes / 1e9
    return f"""ENTREGA-RECEPCIÓN DEL ACERVO FOTOGRÁFICO Y DOCUMENTAL
{ctx.settings.agency_name}

Paquete elaborado por {opts.made_by} el {now:%Y-%m-%d a las %H:%M} (UTC) con Acervo.
Identificador interno: {summary.sender_id}
Alcance: {scope}.

QUÉ CONTIENE
- {summary.assets} archivos originales, idénticos bit a bit a los que se recibieron, en
  data/originales/AAAA/MM/<evento>/<archivo> (año y mes de la toma; si no se conoce, de su
  registro). Junto a cada original hay un archivo .xmp con su descripción (pie de foto,
  autor, créditos, derechos, licencia, personas, lugar). Si el archivo de un material se
  reemplazó (una edición corregida, un video exportado de nuevo), sus versiones anteriores
  están junto a él en versiones/<archivo>/v<N>-<nombre>; la columna "versiones" de
  catalogo.json dice quién, cuándo y por qué.
- {summary.restricted} de ellos tienen restricciones (embargo, solo uso interno, menores sin
  consentimiento, consentimiento vencido o revocado, contenido sensible). Se incluyen porque
  este paquete es para la administración que recibe, no para el público: están marcados en
  las columnas "restringido" y "restricciones" del catálogo. No los publique sin revisarlos.
- {summary.renditions} derivados (miniaturas, vistas previas) en data/derivados/, si se pidieron.
- data/catalogo/catalogo.csv: el catálogo en hoja de cálculo (UTF-8; ábrala con Excel o
  LibreOffice). data/catalogo/catalogo.json: todos los campos de cada archivo.
- data/catalogo/colecciones.json ({summary.collections} colecciones y sus archivos),
  data/catalogo/consentimientos.json ({summary.consents} formatos de consentimiento, a quién
  cubren y qué archivos; el escaneo de cada formato está entre los originales),
  data/catalogo/bitacora.jsonl ({summary.audit_entries} movimientos de la bitácora: quién
  cambió qué y cuándo).
- data/catalogo/tablas/: las tablas del catálogo, para importarlas en otro Acervo con
  `dam handover import`.
En total {summary.files} archivos, {summary.bytes} bytes ({gb:.2f} GB).

CÓMO VERIFICARLO
El paquete sigue la norma BagIt 1.0 (RFC 8493). manifest-sha256.txt lista la huella SHA-256
de cada archivo de data/; bag-info.txt dice quién lo hizo, cuándo, y cuántos bytes y archivos
contiene (Payload-Oxum). Para comprobar que nada falta ni cambió:
    dam handover verify <carpeta>        (con Acervo instalado), o
    bagit.py --validate <carpeta>        (herramienta libre de la Biblioteca del Congreso de EUA)
La huella SHA-256 de cada original es también su identificador en el catálogo (columna sha256).
"""
