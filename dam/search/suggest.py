"""'Did you mean': the closest words of the index's own vocabulary to words it does not know."""

from __future__ import annotations

from dam.search.analysis import fold
from dam.search.engine import SearchEngine

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
