"""The search index's logical fields, facets and the query language's Spanish field names."""

from __future__ import annotations

from dataclasses import dataclass

# Free text: every text source goes into STEM (folded, stemmed) and EXACT (lower-case only).
STEM = "stem"
EXACT = "exact"
NTILDE = "ntilde"  # folded words that had an ñ: "pena" finds "Peña" below "pena" itself

# Folded, unstemmed word fields that field queries (persona:, lugar:) search, whole or by prefix.
NAME_FIELDS: tuple[str, ...] = (
    "people", "place", "creator", "event", "area", "keywords", "camera", "filename", "credit",
    "headline", "medium", "series", "section", "programme", "campaign",
)

# Exact values (facets and filters): one keyword per value, shown as stored.
SINGLE_FACETS: tuple[str, ...] = (
    "type", "year", "month", "event", "area", "photographer", "workflow",
    "orientation", "gps", "state", "pick", "color", "medium", "series", "tone", "pubkind",
    "programme", "campaign",
)
# An asset can carry several rights restrictions at once (embargado and menores); "stars" holds
# 1..rating, so that a filter on 3 finds three stars or more.
MULTI_FACETS: tuple[str, ...] = ("place", "keywords", "people", "rights", "stars")
KEYWORD_FIELDS: tuple[str, ...] = SINGLE_FACETS + MULTI_FACETS

# Integer fields: days since 1970-01-01 for ranges, seconds for sorting.
INT_FIELDS: tuple[str, ...] = ("taken_day", "taken_ts", "added_day", "added_ts")
MISSING_INT = -(2**40)  # sorts before every real date; never inside a range a user can type

DEFAULT_FACETS: tuple[str, ...] = (
    "type", "year", "month", "event", "area", "photographer", "place", "keywords", "workflow",
    "rights",
)

SORTS: dict[str, tuple[str | None, bool]] = {
    # name: (int field, descending)
    "relevance": (None, True),
    "taken_desc": ("taken_ts", True),
    "taken_asc": ("taken_ts", False),
    "added_desc": ("added_ts", True),
    "added_asc": ("added_ts", False),
}
SORT_ALIASES = {
    "relevancia": "relevance", "fecha": "taken_desc", "recientes": "taken_desc",
    "antiguas": "taken_asc", "date": "taken_desc", "date_desc": "taken_desc",
    "date_asc": "taken_asc", "subidas": "added_desc", "added": "added_desc",
}


@dataclass(frozen=True)
class QueryField:
    """A field name users may type, and what it searches."""

    kind: str  # "name": words of a NAME_FIELD; "keyword": values of KEYWORD_FIELDS; "date"; "year"
    target: str  # one field, or several separated by spaces (any of them may hold the value)
    help: str

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.target.split())


QUERY_FIELDS: dict[str, QueryField] = {
    "fotografo": QueryField("name", "creator", "fotógrafo(a) o videógrafo(a)"),
    "persona": QueryField("name", "people", "personas que aparecen"),
    "lugar": QueryField("name", "place", "colonia, barrio, lugar o ciudad"),
    "evento": QueryField("name", "event", "evento"),
    "area": QueryField("name", "area", "área o unidad administrativa"),
    "programa": QueryField("name", "programme", "programa de gobierno, p. ej. Utopías"),
    "campaña": QueryField("name", "campaign", "campaña de difusión"),
    "etiqueta": QueryField("name", "keywords", "palabras clave"),
    "camara": QueryField("name", "camera", "marca o modelo de cámara"),
    "archivo": QueryField("name", "filename", "nombre del archivo original"),
    "credito": QueryField("name", "credit", "línea de crédito"),
    "titulo": QueryField("name", "headline", "título o cabeza"),
    "medio": QueryField("name", "medium", "medio de una nota de prensa: periódico, sitio, radio"),
    "seccion": QueryField("name", "section", "sección de una nota de prensa"),
    "serie": QueryField("name", "series", "serie de una publicación, p. ej. Gaceta Iztapalapa"),
    "tono": QueryField("keyword", "tone", "positiva, neutral o negativa (análisis de medios)"),
    "impreso": QueryField(
        "keyword", "pubkind", "cartel, folleto, gaceta, revista, lona, comunicado o recorte"
    ),
    "tipo": QueryField("keyword", "type", "foto, video, audio, pdf"),
    "estado": QueryField(
        "keyword", "workflow rights",
        "borrador, revisado, aprobado, publicado, retirado; o embargado, interno, menores...",
    ),
    "derechos": QueryField(
        "keyword", "rights", "embargado, interno, menores, sensible o libre"
    ),
    "orientacion": QueryField("keyword", "orientation", "vertical, horizontal, cuadrada"),
    "gps": QueryField("keyword", "gps", "si o no"),
    "procesamiento": QueryField("keyword", "state", "pending, ready, failed"),
    "seleccion": QueryField("keyword", "pick", "elegida, descartada o sin-marcar (edición)"),
    "estrellas": QueryField("keyword", "stars", "3: tres estrellas o más; 0: sin estrellas"),
    "color": QueryField("keyword", "color", "rojo, amarillo, verde, azul, morado, sin-color"),
    "fecha": QueryField("date", "taken_day", "fecha de toma: 2025-03-01..2025-03-31"),
    "subida": QueryField("date", "added_day", "fecha en que se subió"),
    "año": QueryField("year", "taken_day", "año de toma: 2024 o 2020..2022"),
    "mes": QueryField("month", "taken_day", "mes de toma: 2025-03"),
}

FIELD_ALIASES: dict[str, str] = {
    "fotógrafo": "fotografo", "fotografa": "fotografo", "fotógrafa": "fotografo",
    "videografo": "fotografo", "autor": "fotografo", "photographer": "fotografo",
    "creator": "fotografo", "by": "fotografo",
    "personas": "persona", "person": "persona", "people": "persona", "quien": "persona",
    "place": "lugar", "colonia": "lugar", "barrio": "lugar", "where": "lugar",
    "event": "evento", "área": "area", "unidad": "area",
    "programas": "programa", "programme": "programa", "program": "programa",
    "campana": "campaña", "campañas": "campaña", "campanas": "campaña", "campaign": "campaña",
    "etiquetas": "etiqueta", "palabra": "etiqueta", "keyword": "etiqueta", "keywords": "etiqueta",
    "tag": "etiqueta", "cámara": "camara", "camera": "camara", "file": "archivo",
    "filename": "archivo", "crédito": "credito", "credit": "credito", "título": "titulo",
    "headline": "titulo", "type": "tipo", "state": "estado", "status": "estado",
    "workflow": "estado", "rights": "derechos", "orientación": "orientacion",
    "orientation": "orientacion", "date": "fecha", "taken": "fecha", "uploaded": "subida",
    "added": "subida", "ano": "año", "anio": "año", "year": "año", "month": "mes",
    "processing": "procesamiento", "selección": "seleccion", "marca": "seleccion",
    "pick": "seleccion", "picks": "seleccion", "estrella": "estrellas", "stars": "estrellas",
    "rating": "estrellas", "colour": "color", "label": "color",
    "medium": "medio", "medios": "medio", "periodico": "medio", "periódico": "medio",
    "sección": "seccion", "section": "seccion", "series": "serie", "tone": "tono",
    "publicación": "impreso", "publicacion": "impreso", "publication": "impreso",
}

# Values users type for keyword fields, mapped to what the index holds.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "type": {
        "foto": "photo", "fotos": "photo", "fotografia": "photo", "imagen": "photo",
        "photo": "photo", "video": "video", "videos": "video", "audio": "audio",
        "audios": "audio", "pdf": "document", "publicacion": "document", "impreso": "document",
        "documento": "document", "document": "document", "otro": "other", "other": "other",
    },
    "gps": {"si": "si", "yes": "si", "true": "si", "1": "si", "no": "no", "false": "no", "0": "no"},
    "pick": {
        "elegida": "elegida", "elegidas": "elegida", "elegido": "elegida", "elegidos": "elegida",
        "picked": "elegida", "pick": "elegida", "si": "elegida",
        "descartada": "descartada", "descartadas": "descartada", "descartado": "descartada",
        "rechazada": "descartada", "rejected": "descartada", "reject": "descartada",
        "sin-marcar": "sin-marcar", "sinmarcar": "sin-marcar", "ninguna": "sin-marcar",
        "unmarked": "sin-marcar", "no": "sin-marcar",
    },
    "stars": {str(n): str(n) for n in range(6)},
    "color": {
        "rojo": "rojo", "red": "rojo", "amarillo": "amarillo", "yellow": "amarillo",
        "verde": "verde", "green": "verde", "azul": "azul", "blue": "azul", "morado": "morado",
        "purple": "morado", "violeta": "morado", "sin-color": "sin-color", "ninguno": "sin-color",
        "none": "sin-color",
    },
    "tone": {
        "positiva": "positiva", "positivo": "positiva", "positive": "positiva",
        "neutral": "neutral", "neutra": "neutral", "negativa": "negativa",
        "negativo": "negativa", "negative": "negativa",
    },
    "pubkind": {
        "cartel": "cartel", "poster": "cartel", "folleto": "folleto", "volante": "folleto",
        "leaflet": "folleto", "gaceta": "gaceta", "boletin": "gaceta", "bulletin": "gaceta",
        "revista": "revista", "magazine": "revista", "lona": "lona", "banner": "lona",
        "comunicado": "comunicado", "press_release": "comunicado", "recorte": "recorte",
        "nota": "recorte", "notas": "recorte", "recortes": "recorte", "clipping": "recorte",
    },
    "orientation": {
        "vertical": "vertical", "portrait": "vertical", "horizontal": "horizontal",
        "landscape": "horizontal", "cuadrada": "cuadrada", "square": "cuadrada",
    },
}


def canonical_field(name: str) -> str | None:
    """The query field a typed name stands for (Spanish or English, any accents), or None."""
    key = name.lower()
    if key in QUERY_FIELDS:
        return key
    if key in FIELD_ALIASES:
        return FIELD_ALIASES[key]
    return None
