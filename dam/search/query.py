"""The query language: parsed once into a small tree that every engine translates.

Examples (Spanish field names; English aliases such as ``photographer:`` work too)::

    mercado Meyehualco                   both words, accents optional, plurals match
    "inauguración del mercado"           the exact phrase (ranked above stemmed matches)
    mercado -tianguis                    without the word "tianguis"
    merc*   inaugur*                     words that begin so (mercado, mercados, Mercedes ...)
    mercado OR tianguis                  either word (OR binds tighter than the implied AND)
    (mercado OR tianguis) -estado:retirado
    fotografo:lopez                      photographer "López" (whole word or prefix: fotografo:lop)
    persona:"clara brugada"              a person shown, whole name (typed, or a named face)
    persona:"clara brugada" con "ana lópez"   both people in the same picture (con: "with")
    evento:inauguracion lugar:meyehualco area:obras
    tipo:foto | tipo:video | tipo:audio | tipo:pdf
    estado:aprobado   -estado:embargado  workflow state (borrador, revisado, aprobado, publicado,
                                         retirado) or restriction (embargado, interno, menores,
                                         sensible, libre): both words work after estado:
    derechos:menores  derechos:libre     restrictions only
    fecha:2025-03-01..2025-03-31         date taken, inclusive; also fecha:2025-03, fecha:2025,
    fecha:2025-03..2025-04  fecha:..2024-12-31  fecha:2024-06..  fecha:14/03/2025
    año:2024   año:2020..2022   mes:2025-03   subida:2025-05  (date the file was uploaded)
    mes:marzo   mes:"marzo 2025"   fecha:"14 de marzo de 2025"   dates in words after a field
    programa:utopias   campaña:"iztapalapa limpia"   a government programme, a campaign
    medio:reforma   seccion:ciudad   serie:gaceta   tono:negativa   impreso:recorte
                                         press clippings and publications (their date is
                                         the date of publication)
    orientacion:vertical   gps:si
    seleccion:elegida   -seleccion:descartada   estrellas:3 (three stars or more)   color:rojo
                                         culling marks of the loupe

``parse_query`` returns a :class:`ParsedQuery` whose ``text`` part is scored and whose
``filter`` part only restricts; a malformed query raises :class:`QuerySyntaxError` with a message
that says what to change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from dam.search.analysis import STOP_WORDS, fold, keep_enie, words
from dam.search.date_words import MONTHS, DateWords, find_dates
from dam.search.dates import parse_date_range
from dam.search.documents import day_number
from dam.search.errors import QuerySyntaxError, QueryTooComplexError
from dam.search.fields import QUERY_FIELDS, VALUE_ALIASES, canonical_field


@dataclass(frozen=True)
class Word:
    """A free word (field None: all text) or a word of a name field, matched whole or by prefix."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class Prefix:
    """A free word typed with a final ``*``: every indexed word that begins with it.

    The index holds stems of folded words, and a word's stem is a beginning of the word, so a
    word that begins with ``folded`` has a stem that either begins with ``folded`` or is one of
    its ``heads`` ("inauguracio*" reaches the stem "inaugur" of "inauguración"). ``exact`` is
    the beginning as typed, lower-cased, for the unstemmed spellings.
    """

    folded: str
    exact: str

    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(self.folded[:k] for k in range(MIN_PREFIX, len(self.folded)))


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Keyword:
    """Exact values of keyword fields: any of ``values`` in any of ``fields``."""

    fields: tuple[str, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """An inclusive range over an integer field; None is open."""

    field: str
    low: int | None
    high: int | None


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Any of the nodes; ``alternatives``: spellings of one word (synonyms), which count as one
    word when ranking by how many of the query's words an asset has."""

    nodes: tuple[Node, ...]
    alternatives: bool = False


Node = Word | Prefix | Phrase | Keyword | Range | Not | And | Or


@dataclass
class ParsedQuery:
    """A parsed query: ``text`` is scored, ``filter`` only restricts; either may be None."""

    source: str
    text: Node | None
    filter: Node | None
    free_words: list[str] = field(default_factory=list)
    dates: list[DateWords] = field(default_factory=list)  # dates in words, now date filters


def is_filter(node: Node) -> bool:
    """True when the node restricts without words to score (values, ranges, and their logic)."""
    if isinstance(node, Keyword | Range):
        return True
    if isinstance(node, Not):
        return is_filter(node.node)
    if isinstance(node, And | Or):
        return all(is_filter(n) for n in node.nodes)
    return False


DATE_FIELD = "taken_day"  # what dates in words filter on (as fecha:)
MIN_PREFIX = 3  # "me*" would expand to half the vocabulary
MAX_LENGTH = 2000  # characters of a query
MAX_DEPTH = 20  # brackets within brackets: people write two or three; hundreds exhaust the stack
MAX_TERMS = 200  # words, phrases, filters and operators of one query
_TOKEN = re.compile(r'\s+|\(|\)|"[^"]*"?|[^\s()"]+')
_FIELD = re.compile(r"^([^\W\d_][\w]*):(.*)$", re.UNICODE)


@dataclass
class _Token:
    kind: str  # word, phrase, lp, rp, or, not, field
    text: str
    pos: int
    negated: bool = False
    field: str = ""


def _lex(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(source):
        raw, pos = m.group(), m.start()
        if raw.isspace():
            continue
        negated = raw.startswith("-") and len(raw) > 1
        body = raw[1:] if negated else raw
        tokens.extend(_lex_one(body, pos, negated, source))
    return _join_with(_join_field_phrases(tokens))


def _lex_one(body: str, pos: int, negated: bool, source: str) -> list[_Token]:
    if body == "(":
        return [_Token("lp", body, pos, negated)]
    if body == ")":
        return [_Token("rp", body, pos)]
    if body.startswith('"'):
        if len(body) == 1 or not body.endswith('"'):
            raise QuerySyntaxError(
                f"faltan las comillas de cierre en {source[pos:pos + 30]!r}",
                "a quoted phrase is not closed",
                pos,
            )
        return [_Token("phrase", body[1:-1], pos, negated)]
    if body in ("OR", "|", "O") and not negated:
        return [_Token("or", body, pos)]
    if body in ("AND", "Y", "&") and not negated:
        return []
    if body in ("NOT", "NO") and not negated:
        return [_Token("not", body, pos)]
    m = _FIELD.match(body)
    if m:
        return [_Token("field", m.group(2), pos, negated, field=m.group(1))]
    return [_Token("word", body, pos, negated)]


def _join_field_phrases(tokens: list[_Token]) -> list[_Token]:
    """``campo:"una frase"`` lexes as a field with an empty value, then a phrase: join them."""
    out: list[_Token] = []
    for tok in tokens:
        prev = out[-1] if out else None
        if (
            tok.kind == "phrase"
            and prev is not None
            and prev.kind == "field"
            and prev.text == ""
            and tok.pos == prev.pos + len(prev.field) + 1 + int(prev.negated)
        ):
            prev.text, prev.kind = tok.text, "field_phrase"
            continue
        out.append(tok)
    return out


WITH_WORDS = ("con", "with")  # persona:"X" con "Y": the person Y too, in the same picture


def _join_with(tokens: list[_Token]) -> list[_Token]:
    """``campo:X con Y`` (a name field): Y is a value of the same field, not a free word."""
    out: list[_Token] = []
    for tok in tokens:
        prev = out[-2] if len(out) >= 2 else None
        joiner = out[-1] if out else None
        if (prev is not None and joiner is not None and joiner.kind == "word"
                and not joiner.negated and joiner.text.lower() in WITH_WORDS
                and prev.kind in ("field", "field_phrase") and not prev.negated
                and tok.kind in ("word", "phrase")
                and (spec := canonical_field(prev.field)) is not None
                and QUERY_FIELDS[spec].kind == "name"):
            out[-1] = _Token("field_phrase" if tok.kind == "phrase" else "field", tok.text,
                             tok.pos, tok.negated, field=prev.field)
            continue
        out.append(tok)
    return out


class _Parser:
    """Recursive descent: or := and ('OR' and)* ; and := unary+ ; unary := ['-'|NOT] atom."""

    def __init__(self, source: str, today: dt.date | None = None) -> None:
        self.source = source
        self.today = today
        self.tokens = _lex(source)
        self.i = 0
        self.depth = 0
        self.free_words: list[str] = []
        if len(self.tokens) > MAX_TERMS:
            raise QueryTooComplexError(
                f"la búsqueda es demasiado compleja: tiene más de {MAX_TERMS} palabras, filtros "
                "u operadores; simplifíquela",
                f"the query is too complex: more than {MAX_TERMS} terms")

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            raise QuerySyntaxError(
                f"sobra un paréntesis de cierre en la posición {tok.pos + 1}",
                "unbalanced closing parenthesis",
                tok.pos,
            )
        return node

    def parse_or(self) -> Node | None:
        start = self.i
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            before_or = self.i
            self.i += 1
            parts.append(self.parse_and())
            if before_or == start or self.i == before_or + 1:
                raise QuerySyntaxError(
                    "OR necesita una palabra o un filtro a cada lado",
                    "OR needs a term on both sides",
                    tok.pos,
                )
        kept = tuple(p for p in parts if p is not None)
        if len(kept) <= 1:
            return kept[0] if kept else None
        return Or(kept)

    def parse_and(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("or", "rp"):
            node = self.parse_unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self) -> Node | None:
        tok = self.peek()
        assert tok is not None
        negated = False
        if tok.kind == "not":
            self.i += 1
            negated = True
            tok = self.peek()
            if tok is None or tok.kind in ("or", "rp"):
                raise QuerySyntaxError(
                    "NOT debe ir seguido de una palabra o un filtro",
                    "NOT must be followed by a term",
                    self.tokens[self.i - 1].pos,
                )
        node = self.parse_atom(tok)
        if node is None:
            return None
        return Not(node) if negated or tok.negated else node

    def parse_atom(self, tok: _Token) -> Node | None:
        self.i += 1
        if tok.kind == "lp":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryTooComplexError(
                    f"la búsqueda es demasiado compleja: tiene más de {MAX_DEPTH} paréntesis "
                    "uno dentro de otro; simplifíquela",
                    f"the query is too complex: brackets nested more than {MAX_DEPTH} deep",
                    tok.pos,
                )
            inner = self.parse_or()
            self.depth -= 1
            close = self.peek()
            if close is None or close.kind != "rp":
                raise QuerySyntaxError(
                    f"falta cerrar el paréntesis abierto en la posición {tok.pos + 1}",
                    "unbalanced opening parenthesis",
                    tok.pos,
                )
            self.i += 1
            return inner
        if tok.kind == "phrase":
            return self.free_text(tok.text, phrase=True)
        if tok.kind in ("field", "field_phrase"):
            return self.field_atom(tok)
        return self.free_text(tok.text, phrase=False)

    def free_text(self, text: str, *, phrase: bool) -> Node | None:
        parts = words(text)
        if not phrase and text.endswith("*") and len(parts) == 1:
            return self.prefix(parts[0], text)
        if not parts:
            return None
        if len(parts) == 1 and not phrase:
            if fold(parts[0]) in STOP_WORDS:
                return None
            self.free_words.append(parts[0])
            return Word(parts[0])
        self.free_words.extend(p for p in parts if fold(p) not in STOP_WORDS)
        return Phrase(tuple(parts)) if len(parts) > 1 else Word(parts[0])

    def prefix(self, word: str, typed: str) -> Prefix:
        if len(word) < MIN_PREFIX:
            raise QuerySyntaxError(
                f"'{typed}': escriba al menos {MIN_PREFIX} letras antes de '*'",
                f"a prefix needs at least {MIN_PREFIX} letters before '*'",
                None,
            )
        return Prefix(fold(keep_enie(word)), word.lower())

    def field_atom(self, tok: _Token) -> Node:
        name = canonical_field(tok.field)
        if name is None:
            raise _unknown_field(tok)
        spec = QUERY_FIELDS[name]
        value = tok.text.strip()
        if not value:
            raise QuerySyntaxError(
                f"falta el valor después de '{tok.field}:' ({spec.help})",
                f"'{tok.field}:' needs a value",
                tok.pos,
            )
        if spec.kind == "name":
            parts = [fold(p) for p in words(value)]
            if not parts:
                raise QuerySyntaxError(
                    f"'{tok.field}:{value}' no tiene letras ni números",
                    "the value has no letters or digits",
                    tok.pos,
                )
            if len(parts) == 1:
                return Word(parts[0], spec.target)
            return Phrase(tuple(parts), spec.target)
        if spec.kind == "keyword":
            return Keyword(spec.targets, (_keyword_value(spec.target, value, tok),))
        spoken = _date_in_words(value, self.today)
        if spoken is not None and spec.kind in ("date", "month"):
            return Range(spec.target, day_number(spoken.first), day_number(spoken.last))
        low, high = parse_date_range(value, spec.kind, tok.field)
        return Range(spec.target, low, high)


def _date_in_words(value: str, today: dt.date | None) -> DateWords | None:
    """``marzo``, ``marzo 2025``, ``14 de marzo``: a field's value that is one date in words."""
    if not any(name in fold(value) for name in MONTHS):
        return None  # "ayer" and "2025-03" keep their own reading
    rest, dates = find_dates(value, today)
    return dates[0] if len(dates) == 1 and not rest.strip() else None


def _keyword_value(target: str, value: str, tok: _Token) -> str:
    key = fold(value)
    aliases = VALUE_ALIASES.get(target)
    if aliases is None:
        return key
    if key in aliases:
        return aliases[key]
    words_only = {k for k in aliases if k.isalpha()}
    allowed = ", ".join(sorted(words_only or set(aliases)))
    raise QuerySyntaxError(
        f"valor desconocido '{value}' para '{tok.field}:'; use uno de: {allowed}",
        f"unknown value {value!r} for '{tok.field}:'",
        tok.pos,
    )


def _unknown_field(tok: _Token) -> QuerySyntaxError:
    known = sorted(QUERY_FIELDS)
    close = difflib.get_close_matches(fold(tok.field), [fold(k) for k in known], n=1)
    hint = f" ¿Quiso decir '{close[0]}:'?" if close else ""
    return QuerySyntaxError(
        f"campo desconocido '{tok.field}:'.{hint} Campos: {', '.join(known)}",
        f"unknown field {tok.field!r}",
        tok.pos,
    )


def _split(node: Node | None) -> tuple[Node | None, Node | None]:
    """Top-level conjuncts that only restrict become the filter; the rest is scored."""
    if node is None:
        return None, None
    if is_filter(node):
        return None, node
    if not isinstance(node, And):
        return node, None
    text = [n for n in node.nodes if not is_filter(n)]
    filters = [n for n in node.nodes if is_filter(n)]
    text_node = text[0] if len(text) == 1 else And(tuple(text))
    filter_node = None if not filters else filters[0] if len(filters) == 1 else And(tuple(filters))
    return text_node, filter_node


def parse_query(source: str, today: dt.date | None = None) -> ParsedQuery:
    """Parse a query of the search box; raise QuerySyntaxError with a helpful message.

    Dates in words ("marzo 2025", "ayer": dam.search.date_words) become a filter on the date
    taken, judged on ``today`` (default: today in Mexico City).
    """
    if len(source) > MAX_LENGTH:
        raise QueryTooComplexError(
            f"la búsqueda es demasiado larga (más de {MAX_LENGTH} caracteres)",
            f"the query is too long (more than {MAX_LENGTH} characters)")
    rest, dates = find_dates(source, today)
    if dates:
        try:
            parser = _Parser(rest, today)
            text, filters = _split(parser.parse())
        except QuerySyntaxError:  # the date was part of the logic ("x OR 2019"): read it as typed
            dates = []
    if not dates:
        parser = _Parser(source, today)
        text, filters = _split(parser.parse())
    return ParsedQuery(source, text, _with_dates(filters, dates), parser.free_words, dates)


def _with_dates(filters: Node | None, dates: list[DateWords]) -> Node | None:
    """The filters, and the dates in words (any of them, when several were written)."""
    if not dates:
        return filters
    ranges = tuple(Range(DATE_FIELD, d.low, d.high) for d in dates)
    node: Node = ranges[0] if len(ranges) == 1 else Or(ranges)
    if filters is None:
        return node
    return And((*filters.nodes, node)) if isinstance(filters, And) else And((filters, node))
