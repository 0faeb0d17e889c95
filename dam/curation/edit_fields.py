"""The descriptive fields people edit: their kinds, limits, and how typed values are normalised.

Text is NFC-normalised and trimmed (single-line fields also have their whitespace collapsed);
list values are de-duplicated ignoring case and accents, keeping the first spelling; ``=code``
short codes expand to the vocabulary term they name.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation.templates import expand_codes
from dam.enums import PublicationKind, Tone, VocabularyKind
from dam.errors import DamError
from dam.models import VocabularyTerm

MAX_LIST_ITEMS = 500
MAX_LIST_ITEM_LENGTH = 200


class EditError(DamError):
    """A value that cannot be stored in a field (unknown field, wrong type, too long)."""


class Kind(enum.StrEnum):
    LINE = "line"  # one line of text
    TEXT = "text"  # text with line breaks
    LIST = "list"  # a list of short texts (keywords, people)
    INT = "int"  # a whole number >= 0
    DATE = "date"
    CHOICE = "choice"  # one of an enum's values, or empty
    URL = "url"  # a web address (http or https only: it is shown as a link)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    max_length: int = 500
    suggest: VocabularyKind | None = None  # the vocabulary its suggestions come from
    choices: type[enum.Enum] | None = None

    @property
    def templated(self) -> bool:
        """Whether a batch edit may fill it from a caption template."""
        return self.kind in (Kind.LINE, Kind.TEXT)


def _specs(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {s.name: s for s in specs}


FIELDS: dict[str, FieldSpec] = _specs(
    FieldSpec("headline", Kind.LINE, 2000),
    FieldSpec("caption", Kind.TEXT, 100_000),
    FieldSpec("alt_text", Kind.TEXT, 10_000),
    FieldSpec("keywords", Kind.LIST, suggest=VocabularyKind.KEYWORD),
    FieldSpec("persons_shown", Kind.LIST, suggest=VocabularyKind.PERSON),
    FieldSpec("event", Kind.LINE, 500),
    FieldSpec("area", Kind.LINE, 500, suggest=VocabularyKind.AREA),
    FieldSpec("programme", Kind.LINE, 500, suggest=VocabularyKind.PROGRAMME),
    FieldSpec("sublocation", Kind.LINE, 500, suggest=VocabularyKind.COLONIA),
    FieldSpec("city", Kind.LINE, 200),
    FieldSpec("state_province", Kind.LINE, 200),
    FieldSpec("country", Kind.LINE, 200),
    FieldSpec("country_code", Kind.LINE, 8),
    FieldSpec("creator", Kind.LINE, 500),
    FieldSpec("credit", Kind.LINE, 500),
    FieldSpec("source", Kind.LINE, 500),
    FieldSpec("copyright_notice", Kind.TEXT, 5000),
    FieldSpec("usage_terms", Kind.TEXT, 10_000),
    FieldSpec("campaign", Kind.LINE, 500, suggest=VocabularyKind.CAMPAIGN),
    FieldSpec("publication_kind", Kind.CHOICE, choices=PublicationKind),
    FieldSpec("print_run", Kind.INT),
    FieldSpec("distribution_date", Kind.DATE),
    # Publications of a series and press clippings (see PUBLICATION_FIELDS).
    FieldSpec("series", Kind.LINE, 300),
    FieldSpec("issue_number", Kind.INT),
    FieldSpec("publication_format", Kind.LINE, 200),
    FieldSpec("distribution", Kind.LINE, 500),
    FieldSpec("medium", Kind.LINE, 300),
    FieldSpec("section", Kind.LINE, 300),
    FieldSpec("clipping_page", Kind.LINE, 40),
    FieldSpec("web_url", Kind.URL, 2000),
    FieldSpec("captured_on", Kind.DATE),
    FieldSpec("tone", Kind.CHOICE, choices=Tone),
)
# The fields of a publication or a press clipping record (grouped apart on the edit page).
PUBLICATION_FIELDS: tuple[str, ...] = (
    "campaign", "publication_kind", "print_run", "distribution_date", "series", "issue_number",
    "publication_format", "distribution", "medium", "section", "clipping_page", "web_url",
    "captured_on", "tone",
)
# The office's words for choices (a spreadsheet says "negativa", "gaceta"), folded.
CHOICE_WORDS: dict[str, str] = {
    "positiva": "positive", "positivo": "positive", "neutra": "neutral", "negativa": "negative",
    "negativo": "negative", "cartel": "poster", "folleto": "leaflet", "volante": "leaflet",
    "boletin": "bulletin", "gaceta": "bulletin", "revista": "magazine", "lona": "banner",
    "comunicado": "press_release", "boletin de prensa": "press_release", "recorte": "clipping",
    "nota": "clipping", "nota de prensa": "clipping", "nota web": "clipping",
}
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)

_LIST_SPLIT = re.compile(r"[,;\n]")


def spec_of(name: object) -> FieldSpec:
    if not isinstance(name, str) or name not in FIELDS:
        raise EditError(f"{name!r} is not an editable field")
    return FIELDS[name]


def vocabulary_codes(session: Session) -> dict[str, str]:
    """Short codes of active vocabulary terms, ``{"cb": "Cuauhtémoc Blanco"}``."""
    rows = session.execute(
        select(VocabularyTerm.code, VocabularyTerm.label).where(
            VocabularyTerm.code.is_not(None), VocabularyTerm.active.is_(True)
        )
    )
    return {code: label for code, label in rows if code}


def fold(text: str) -> str:
    """A key that ignores case and accents ("Peña" and "pena" are the same keyword)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_text(text: str, *, single_line: bool, codes: Mapping[str, str]) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if codes:
        text = expand_codes(text, codes)
    if single_line:
        return " ".join(text.split())
    return text.strip()


def clean_list(value: Any, codes: Mapping[str, str]) -> list[str]:
    """A list from a list or from text separated by commas, semicolons or lines."""
    if isinstance(value, str):
        value = _LIST_SPLIT.split(value)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise EditError("expected a list of texts")
    seen: dict[str, str] = {}
    for raw in value:
        item = clean_text(raw, single_line=True, codes=codes)
        if len(item) > MAX_LIST_ITEM_LENGTH:
            raise EditError(f"{item[:40]!r}… is longer than {MAX_LIST_ITEM_LENGTH} characters")
        if item and fold(item) not in seen:
            seen[fold(item)] = item
    if len(seen) > MAX_LIST_ITEMS:
        raise EditError(f"more than {MAX_LIST_ITEMS} values")
    return list(seen.values())


def _clean_scalar(spec: FieldSpec, value: Any) -> Any:
    if spec.kind is Kind.INT:
        if isinstance(value, str):
            value = value.strip()
            if not re.fullmatch(r"\d{1,12}", value):
                raise EditError(f"{spec.name}: expected a whole number")
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EditError(f"{spec.name}: expected a whole number of 0 or more")
        return value
    if spec.kind is Kind.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise EditError(f"{spec.name}: expected a date like 2025-03-31") from exc
    assert spec.choices is not None
    word = fold(str(value).strip())
    try:
        return spec.choices(CHOICE_WORDS.get(word, word))
    except ValueError as exc:
        raise EditError(f"{spec.name}: {value!r} is not one of the choices") from exc


def clean_value(spec: FieldSpec, value: Any, codes: Mapping[str, str] | None = None) -> Any:
    """The value as stored: None for an empty text, number, date or choice; [] for a list."""
    codes = codes or {}
    if spec.kind is Kind.LIST:
        return clean_list([] if value is None else value, codes)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.kind is Kind.URL:
        text = value.strip() if isinstance(value, str) else ""
        if not _URL.fullmatch(text) or len(text) > spec.max_length:
            raise EditError(f"{spec.name}: expected a web address starting with http:// or "
                            "https://")
        return text
    if spec.kind in (Kind.LINE, Kind.TEXT):
        if not isinstance(value, str):
            raise EditError(f"{spec.name}: expected text")
        text = clean_text(value, single_line=spec.kind is Kind.LINE, codes=codes)
        if len(text) > spec.max_length:
            raise EditError(f"{spec.name}: longer than {spec.max_length:,} characters")
        return text or None
    return _clean_scalar(spec, value)


def current_value(asset: object, name: str) -> Any:
    value = getattr(asset, name)
    if FIELDS[name].kind is Kind.LIST:
        return list(value or [])
    return value


def plain(value: Any) -> Any:
    """A value as the audit log stores it (dates as ISO text, enums as their value)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def from_plain(spec: FieldSpec, value: Any) -> Any:
    """A value of the audit log back as the field's type."""
    if spec.kind is Kind.LIST:
        return list(value or [])
    if value is None:
        return None
    if spec.kind is Kind.DATE:
        return dt.date.fromisoformat(value)
    if spec.kind is Kind.CHOICE and spec.choices is not None:
        return spec.choices(value)
    return value
