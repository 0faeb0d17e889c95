"""Hit highlighting: the part of a caption where a query's words matched, with those words marked.

Works from the parsed query, not the engine, so both engines highlight alike: a word of the
caption is a hit when its folded, stemmed form is a stem the query looks for ("inauguracion"
marks "Inauguración", "mercados" marks "mercado"), when it is a word a name field looks for, or
when it begins with a prefix typed with ``*``. Words under a NOT are never marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dam.search.analysis import STOP_WORDS, WORD_PATTERN, fold, stem
from dam.search.query import And, Or, ParsedQuery, Phrase, Prefix, Word

_WORD = re.compile(WORD_PATTERN)
ELLIPSIS = "…"


@dataclass(frozen=True)
class Fragment:
    """A run of text, marked when it is a hit (templates escape ``text``)."""

    text: str
    hit: bool = False


@dataclass
class Highlighter:
    """What a query looks for in free text, and how to show where a text has it."""

    stems: set[str] = field(default_factory=set)
    wholes: set[str] = field(default_factory=set)
    prefixes: tuple[str, ...] = ()
    # Each distinct word judged once: a page of captions repeats most of its words.
    _verdicts: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, parsed: ParsedQuery) -> Highlighter:
        found = cls()
        prefixes: list[str] = []
        found._collect(parsed.text, prefixes)
        found.prefixes = tuple(prefixes)
        return found

    def _collect(self, node: object, prefixes: list[str]) -> None:
        if isinstance(node, Word):
            self._add(node.text)
        elif isinstance(node, Phrase):
            for word in node.words:
                self._add(word)
        elif isinstance(node, Prefix):
            prefixes.append(node.folded)
        elif isinstance(node, And | Or):
            for child in node.nodes:
                self._collect(child, prefixes)
        # Not, Keyword, Range: nothing a caption shows as a match

    def _add(self, word: str) -> None:
        for part in _WORD.findall(fold(word)):
            if part not in STOP_WORDS:
                self.wholes.add(part)
                self.stems.add(stem(part))

    def __bool__(self) -> bool:
        return bool(self.stems or self.prefixes)

    def is_hit(self, word: str) -> bool:
        verdict = self._verdicts.get(word)
        if verdict is None:
            verdict = self._verdicts[word] = self._judge(word)
        return verdict

    def _judge(self, word: str) -> bool:
        folded = fold(word)
        if len(folded) < 2 or folded in STOP_WORDS:
            return False
        return (folded in self.wholes or stem(folded) in self.stems
                or any(folded.startswith(p) for p in self.prefixes))

    def fragments(self, text: str | None, width: int = 120) -> list[Fragment] | None:
        """About ``width`` characters of ``text`` around its first hit, hits marked; None when
        the text has no hit (the query matched another field)."""
        if not text or not self:
            return None
        first = next((m for m in _WORD.finditer(text) if self.is_hit(m.group())), None)
        if first is None:
            return None
        start = max(0, min(first.start() - width // 3, len(text) - width))  # fill the width
        start = _word_start(text, start)
        end = _word_end(text, min(len(text), start + width))
        out: list[Fragment] = [Fragment(ELLIPSIS)] if start > 0 else []
        position = start
        for match in _WORD.finditer(text, start, end):
            if self.is_hit(match.group()):
                if match.start() > position:
                    out.append(Fragment(text[position:match.start()]))
                out.append(Fragment(match.group(), hit=True))
                position = match.end()
        if end > position:
            out.append(Fragment(text[position:end]))
        if end < len(text):
            out.append(Fragment(ELLIPSIS))
        return out


def _word_start(text: str, index: int) -> int:
    """``index`` moved back to the start of the word it falls in."""
    while index > 0 and not text[index - 1].isspace():
        index -= 1
    return index


def _word_end(text: str, index: int) -> int:
    """``index`` moved on to the end of the word it falls in."""
    while index < len(text) and not text[index].isspace():
        index += 1
    return index
