"""Synonyms applied at query time: "sismo = temblor" makes either word find both.

The groups live in the synonym vocabulary (VocabularyKind.SYNONYM), one term a group, its label
the members separated by "=" ("cubrebocas = tapabocas = mascarilla", "DGODU = Dirección General
de Obras y Desarrollo Urbano"). A free word of the query whose stem is a one-word member's stem
becomes "any member": words as words, several words as a phrase. The expansion is a parsed
query tree, so both engines apply it alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dam.search.analysis import fold, keep_enie, stem, words
from dam.search.query import And, Node, Not, Or, Phrase, Word

SEPARATOR = "="
MAX_MEMBERS = 20


def split_group(label: str) -> list[str]:
    """The members of one group as written ("sismo = temblor" → ["sismo", "temblor"])."""
    members = [" ".join(m.split()) for m in label.split(SEPARATOR)]
    return list(dict.fromkeys(m for m in members if words(m)))[:MAX_MEMBERS]


def _key(member: str) -> str | None:
    """The stem a query word must have to expand to the group (one-word members only)."""
    parts = words(member)
    return stem(fold(keep_enie(parts[0].lower()))) if len(parts) == 1 else None


def _node(member: str) -> Node:
    parts = words(member)
    return Word(parts[0]) if len(parts) == 1 else Phrase(tuple(parts))


@dataclass
class Synonyms:
    """Groups of members, indexed by the stem of each one-word member."""

    groups: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key: dict[str, list[str]] = {}
        for group in self.groups:
            for member in group:
                key = _key(member)
                if key is not None:
                    known = self._by_key.setdefault(key, [])
                    known.extend(m for m in group if m not in known)

    @classmethod
    def of(cls, labels: list[str]) -> Synonyms:
        return cls([g for g in (split_group(label) for label in labels) if len(g) > 1])

    def others(self, word: str) -> list[str]:
        """The other members of the groups of ``word`` (empty when it has none)."""
        members = self._by_key.get(stem(fold(keep_enie(word.lower()))), [])
        mine = stem(fold(keep_enie(word.lower())))
        return [m for m in members if _key(m) != mine]

    def expand(self, node: Node | None, used: dict[str, list[str]]) -> Node | None:
        """``node`` with each free word that has synonyms replaced by "any of them"; the
        alternatives added are recorded in ``used`` (word → members) for the page."""
        if node is None or not self._by_key:
            return node
        if isinstance(node, Word) and node.field is None:
            others = self.others(node.text)
            if not others:
                return node
            used[node.text] = others
            return Or((node, *(_node(m) for m in others)), alternatives=True)
        if isinstance(node, Not):
            return Not(self.expand(node.node, {}) or node.node)  # excluded too, not shown
        if isinstance(node, And | Or):
            parts = tuple(self.expand(n, used) or n for n in node.nodes)
            return And(parts) if isinstance(node, And) else Or(parts, node.alternatives)
        return node
