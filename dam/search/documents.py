"""Turn a catalog asset into the engine-neutral document the search index holds."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Any

from dam.search.analysis import enie_words, fold, keep_enie
from dam.search.fields import MISSING_INT

EPOCH = dt.date(1970, 1, 1)
MAX_VALUE = 200
_FILENAME_SEPARATORS = re.compile(r"[_\-.]+")


@dataclass
class SearchDoc:
    """What one asset contributes to the index, independent of the engine."""

    asset_id: int
    text: str = ""
    stem_text: str = ""  # ``text`` with ñ spelled "nh" (see analysis.keep_enie)
    ntilde: str = ""
    names: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    ints: dict[str, int] = field(default_factory=dict)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: dates as integers, so a range filter is two comparisons."""
    return (day - EPOCH).days


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None) if obj is not None else None
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _clean(values: Any, limit: int = MAX_VALUE) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    seen: list[str] = []
    for v in values:
        if v is None:
            continue
        text = " ".join(str(v).split())[:limit]
        if text and text not in seen:
            seen.append(text)
    return seen


# The Spanish words users type after estado: (and see as facet values).
WORKFLOW_SLUGS = {"draft": "borrador", "reviewed": "revisado", "approved": "aprobado",
                  "published": "publicado", "withdrawn": "retirado"}


def _workflow(asset: Any) -> list[str]:
    state = _value(asset, "workflow_state")
    return [WORKFLOW_SLUGS.get(state, fold(state))] if state else []


def utc_now() -> dt.datetime:
    """The moment restrictions are judged at when a document is built (tests move it)."""
    return dt.datetime.now(dt.UTC)


# Culling marks as the glossary says them: elegida, descartada; colours in Spanish.
PICK_SLUGS = {1: "elegida", -1: "descartada", 0: "sin-marcar"}
COLOR_SLUGS = {"red": "rojo", "yellow": "amarillo", "green": "verde", "blue": "azul",
               "purple": "morado"}


def _pick(asset: Any) -> list[str]:
    return [PICK_SLUGS.get(int(_value(asset, "cull_mark") or 0), "sin-marcar")]


def _stars(asset: Any) -> list[str]:
    """``estrellas:3`` finds three stars or more: a rating of r holds "1" to "r" ("0": none)."""
    rating = int(_value(asset, "rating") or 0)
    return [str(n) for n in range(1, rating + 1)] if rating > 0 else ["0"]


def _color(asset: Any) -> list[str]:
    color = _value(asset, "color_label")
    return [COLOR_SLUGS.get(color, fold(color))] if color else ["sin-color"]


def _rights(asset: Any, now: dt.datetime | None = None) -> list[str]:
    """Restriction words (embargado, interno, menores, sensible), or "libre" when none.

    An embargo counts while its moment is ahead at indexing time; the public's view never relies
    on this (it is checked in SQL on each request), it only helps editors find restricted work.
    """
    slugs = []
    until = _value(asset, "embargo_until")
    if until is not None:
        now = now or utc_now()
        if until.tzinfo is None:
            until = until.replace(tzinfo=dt.UTC)
        if until > now:
            slugs.append("embargado")
    for name, slug in (("internal_only", "interno"), ("contains_minors", "menores"),
                       ("sensitive", "sensible")):
        if _value(asset, name):
            slugs.append(slug)
    return slugs or ["libre"]


def _orientation(asset: Any) -> str | None:
    width, height = _value(asset, "width"), _value(asset, "height")
    if not width or not height:
        return None
    if (_value(asset, "orientation") or 1) in (5, 6, 7, 8):
        width, height = height, width
    if abs(width - height) <= 0.02 * max(width, height):
        return "cuadrada"
    return "vertical" if height > width else "horizontal"


# Tones and kinds of publication as the office says them (tono:negativa, impreso:recorte).
TONE_SLUGS = {"positive": "positiva", "neutral": "neutral", "negative": "negativa"}
PUBKIND_SLUGS = {"poster": "cartel", "leaflet": "folleto", "bulletin": "gaceta",
                 "magazine": "revista", "banner": "lona", "press_release": "comunicado",
                 "clipping": "recorte"}


def _slug(asset: Any, name: str, slugs: dict[str, str]) -> list[str]:
    value = _value(asset, name)
    return [slugs.get(value, fold(value))] if value else []


def _taken(asset: Any, batch: Any) -> dt.datetime | None:
    """The asset's date: a publication's or clipping's date of publication, else date taken."""
    published = _value(asset, "distribution_date")
    if published is not None:
        return dt.datetime(published.year, published.month, published.day)
    taken = _value(asset, "taken_at")
    if taken is None and _value(batch, "event_date") is not None:
        day = _value(batch, "event_date")
        taken = dt.datetime(day.year, day.month, day.day)
    return taken


def _timestamp(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def publication_text(asset: Any) -> str:
    """Text extracted from a publication (PDF): the catalog's ``document_text``."""
    direct = _value(asset, "document_text") or _value(asset, "publication_text")
    if direct:
        return str(direct)
    meta = _value(asset, "metadata_json") or {}
    text = meta.get("text") if isinstance(meta, dict) else None
    return str(text) if text else ""


def _names(asset: Any, batch: Any) -> dict[str, list[str]]:
    make, model = _value(asset, "camera_make"), _value(asset, "camera_model")
    filename = _value(asset, "original_filename") or ""
    return {
        "headline": _clean(_value(asset, "headline"), limit=2000),
        "event": _clean(_value(asset, "event") or _value(batch, "event")),
        "keywords": _clean(_value(asset, "keywords")),
        # typed names and the names of named faces (dam.faces) alike
        "people": _clean([*(_value(asset, "persons_shown") or []),
                          *(_value(asset, "face_people") or [])]),
        "place": _clean(
            [_value(asset, "sublocation"), _value(asset, "city"), _value(batch, "place")]
        ),
        "area": _clean(_value(asset, "area") or _value(batch, "area")),
        "programme": _clean(_value(asset, "programme") or _value(batch, "programme")),
        "campaign": _clean(_value(asset, "campaign")),
        "creator": _clean(_value(asset, "creator") or _value(batch, "photographer")),
        "credit": _clean(_value(asset, "credit")),
        "camera": _clean(" ".join(v for v in (make, model) if v)),
        "filename": _clean(_FILENAME_SEPARATORS.sub(" ", filename)),
        "medium": _clean(_value(asset, "medium")),
        "series": _clean(_value(asset, "series")),
        "section": _clean(_value(asset, "section")),
    }


def _dates(asset: Any, batch: Any) -> tuple[dict[str, int], dict[str, list[str]]]:
    ints = dict.fromkeys(("taken_day", "taken_ts", "added_day", "added_ts"), MISSING_INT)
    keywords: dict[str, list[str]] = {"year": [], "month": []}
    taken = _taken(asset, batch)
    if taken is not None:
        ints["taken_day"] = day_number(taken.date())
        ints["taken_ts"] = _timestamp(taken)
        keywords["year"] = [f"{taken.year:04}"]
        keywords["month"] = [f"{taken.year:04}-{taken.month:02}"]
    added = _value(asset, "created_at")
    if added is not None:
        ints["added_day"] = day_number(added.date())
        ints["added_ts"] = _timestamp(added)
    return ints, keywords


def build_document(asset: Any, batch: Any = None) -> SearchDoc:
    """The index document of an asset (an ORM Asset or any object with the same attributes).

    ``workflow`` holds the Spanish state word and ``rights`` the restriction words, so that
    ``estado:aprobado -estado:embargado`` reads as users say it.
    """
    if batch is None:
        batch = getattr(asset, "batch", None)
    names = _names(asset, batch)
    caption = " ".join(_clean(_value(asset, "caption"), limit=1_000_000))
    parts = [v for key in ("headline", "event", "keywords", "people", "place", "area", "programme",
                           "campaign", "creator", "medium", "series", "section")
             for v in names[key]]
    parts += [caption, *names["credit"], *names["filename"], *names["camera"],
              publication_text(asset)]
    ints, date_keywords = _dates(asset, batch)
    gps = _value(asset, "gps_latitude") is not None and _value(asset, "gps_longitude") is not None
    keywords = {
        "type": _clean(_value(asset, "media_type") or "other"),
        **date_keywords,
        "event": names["event"],
        "area": names["area"],
        "programme": names["programme"],
        "campaign": names["campaign"],
        "photographer": names["creator"],
        "workflow": _workflow(asset),
        "rights": _rights(asset),
        "orientation": _clean(_orientation(asset)),
        "gps": ["si" if gps else "no"],
        "state": _clean(_value(asset, "state")),
        "pick": _pick(asset),
        "color": _color(asset),
        "stars": _stars(asset),
        "place": names["place"],
        "keywords": names["keywords"],
        "people": names["people"],
        "medium": names["medium"],
        "series": names["series"],
        "tone": _slug(asset, "tone", TONE_SLUGS),
        "pubkind": _slug(asset, "publication_kind", PUBKIND_SLUGS),
    }
    text = "\n".join(p for p in parts if p)
    return SearchDoc(
        asset_id=int(asset.id),
        text=text,
        stem_text=keep_enie(text),
        ntilde=enie_words(text),
        names={k: " ".join(v) for k, v in names.items() if v},
        keywords={k: v for k, v in keywords.items() if v},
        ints=ints,
    )
