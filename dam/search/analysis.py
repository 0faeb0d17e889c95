"""Spanish text analysis shared by the engines: folding, stop words, Whoosh's analyzer chains."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.analysis.analyzers import Analyzer
from whoosh.lang import stopwords_for_language

from dam.search.stemmer import stem_folded

WORD_PATTERN = r"\w+"
MAX_TOKEN = 40
_WORD = re.compile(WORD_PATTERN)


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip accents, diaeresis and ñ's tilde: "Peña" → "pena"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text`` as the engines' tokenizers split them (letters and digits)."""
    return _WORD.findall(text)


STOP_WORDS: frozenset[str] = frozenset(stopwords_for_language("es")) | frozenset(
    fold(w) for w in stopwords_for_language("es")
)
# Stop words are removed before folding; both spellings are listed so "mas" and "más" go alike.


@functools.lru_cache(maxsize=65536)
def stem(folded_word: str) -> str:
    """The stem of a lower-case, folded word (dam.search.stemmer: Snowball plus plurals)."""
    return stem_folded(folded_word)


class FoldFilter(Filter):
    """Whoosh filter: accent and ñ folding (after lower-casing)."""

    def __call__(self, tokens: Iterator) -> Iterator:  # type: ignore[override]
        for t in tokens:
            t.text = fold(t.text)
            yield t


class SpanishStemFilter(Filter):
    """Whoosh filter: the folded Spanish stemmer, cached."""

    def __call__(self, tokens: Iterator) -> Iterator:  # type: ignore[override]
        for t in tokens:
            t.text = stem(t.text)
            yield t


def _tokenizer() -> RegexTokenizer:
    return RegexTokenizer(WORD_PATTERN)


def stemming_analyzer() -> Analyzer:
    """Lower-case, drop Spanish stop words, fold accents, then stem (the order matters)."""
    return (
        _tokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1, maxsize=MAX_TOKEN, renumber=False)
        | FoldFilter()
        | SpanishStemFilter()
    )


def exact_analyzer() -> Analyzer:
    """Lower-case words with their accents and ñ, nothing removed: exact spellings rank first."""
    return _tokenizer() | LowercaseFilter()


def folded_analyzer() -> Analyzer:
    """Folded, unstemmed words: names of people and places, matched whole or by prefix."""
    return _tokenizer() | LowercaseFilter() | FoldFilter()


def keep_enie(text: str) -> str:
    """Spell ñ as "nh" before folding, so "peña" and "pena" stem apart ("penh", "pen").

    Folding would otherwise merge them; "pena" finds "Peña" only through the low-weight
    NTILDE field, which holds the fully folded forms of the words that have an ñ.
    """
    return text.replace("ñ", "nh").replace("Ñ", "NH")


def enie_words(text: str) -> str:
    """The words of ``text`` that have an ñ, fully folded: the ñ fallback ("Peña" → "pena")."""
    return " ".join(fold(w) for w in words(text) if "ñ" in w or "Ñ" in w)


def analyze_stemmed(text: str) -> list[tuple[int, str]]:
    """(position, stem) of the words in ``text`` that are not stop words."""
    out = []
    for pos, word in enumerate(words(text.lower())):
        if word in STOP_WORDS or len(word) > MAX_TOKEN:
            continue
        out.append((pos, stem(fold(word))))
    return out


GAP = "·"  # stands for a stop word in pre-analysed text: tantivy drops it, keeping positions


def stem_tokens(text: str) -> str:
    """``text`` as the space-separated stems the STEM field holds (tantivy indexes this as is).

    Both engines thus index the same tokens at the same positions: Whoosh by running
    :func:`stemming_analyzer`, tantivy by splitting this string on spaces and dropping GAP.
    """
    stems = analyze_stemmed(text)
    out: list[str] = []
    for pos, token in stems:
        out.extend([GAP] * (pos - len(out)))
        out.append(token)
    return " ".join(out)


def plain_tokens(text: str, *, folded: bool) -> str:
    """Lower-cased words (folded or not) separated by spaces: the EXACT and name fields."""
    return " ".join(fold(w) if folded else w.lower() for w in words(text))
