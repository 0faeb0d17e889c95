"""'Did you mean': the closest words of the index's own vocabulary to words it does not know."""

from __future__ import annotations

from dam.search.analysis import STOP_WORDS, fold
from dam.search.engine import SearchEngine
from dam.search.fields import FIELD_ALIASES, QUERY_FIELDS, VALUE_ALIASES, canonical_field

CANDIDATES = 5000


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), or ``limit + 1`` once beyond it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def suggest_word(engine: SearchEngine, word: str) -> str | None:
    """The most frequent indexed word within one or two edits of ``word`` (accents ignored)."""
    target = fold(word)
    if len(target) < 4 or target.isdigit():
        return None
    limit = 1 if len(target) <= 5 else 2
    prefixes = {word.lower()[:1], target[:1]}
    best: tuple[int, int, str] | None = None
    for prefix in prefixes:
        for term, freq in engine.vocabulary(prefix, CANDIDATES):
            d = edit_distance(fold(term), target, limit)
            if d <= limit and d > 0 and (best is None or (d, -freq) < best[:2]):
                best = (d, -freq, term)
    return best[2] if best else None


def suggest_query(engine: SearchEngine, source: str, free_words: list[str]) -> str | None:
    """The query with each unknown word replaced by its closest known word, or None."""
    out = source
    changed = False
    for word in free_words:
        if engine.knows(word):
            continue
        better = suggest_word(engine, word)
        if better:
            out = out.replace(word, better, 1)
            changed = True
    return out if changed else None


# How a field is written in a suggestion: the office's spelling (see shared/GLOSARIO.md).
FIELD_SPELLING = {"fotografo": "fotógrafo", "area": "área", "camara": "cámara",
                  "credito": "crédito", "titulo": "título", "orientacion": "orientación",
                  "seleccion": "selección", "seccion": "sección", "campana": "campaña"}
_ENGLISH = {"photographer", "creator", "by", "person", "people", "place", "where", "event",
            "keyword", "keywords", "tag", "camera", "file", "filename", "credit", "headline",
            "type", "state", "status", "workflow", "rights", "orientation", "date", "taken",
            "uploaded", "added", "year", "month", "processing", "pick", "picks", "stars",
            "rating", "colour", "label", "marca", "palabra", "unidad", "quien", "medium",
            "section", "series", "tone", "publication", "medios", "periodico", "publicacion",
            "programme", "program", "campaign"}
FIELD_WORDS = {fold(w) for w in (*QUERY_FIELDS, *FIELD_ALIASES) if w not in _ENGLISH}


def _field_value(name: str, value: str) -> str | None:
    """``value`` as the field takes it, or None when the field cannot take it."""
    spec = QUERY_FIELDS[name]
    if spec.kind == "name":
        return value
    aliases = VALUE_ALIASES.get(spec.target)
    if spec.kind == "keyword" and aliases is not None and fold(value) in aliases:
        return value
    return None


def field_form(source: str) -> str | None:
    """The query with a field word and the word after it joined as ``campo:valor``
    ("fotografo lopez" → "fotógrafo:lopez"), or None when it has no such pair.

    Field words without a colon stay words when searching; this is only the offer.
    """
    tokens = source.split()
    changed = False
    for i in range(len(tokens) - 1):
        word, value = tokens[i], tokens[i + 1]
        if fold(word) not in FIELD_WORDS or not value.replace("-", "").isalnum() \
                or value.startswith("-") or fold(value) in FIELD_WORDS | STOP_WORDS:
            continue
        name = canonical_field(word) or canonical_field(fold(word))
        if name is None or (typed := _field_value(name, value)) is None:
            continue
        tokens[i], tokens[i + 1] = f"{FIELD_SPELLING.get(name, name)}:{typed}", ""
        changed = True
    return " ".join(t for t in tokens if t) if changed else None
