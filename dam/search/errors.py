"""Search errors: a query people can fix, an index that is not there yet."""

from __future__ import annotations

from dam.errors import DamError


class QuerySyntaxError(DamError):
    """A query that cannot be understood; the message says why in Spanish, then in English."""

    def __init__(self, spanish: str, english: str, position: int | None = None) -> None:
        super().__init__(f"{spanish} / {english}")
        self.spanish = spanish
        self.english = english
        self.position = position


class QueryTooComplexError(QuerySyntaxError):
    """A query too long, or nested too deep, to parse safely: the message says what to trim."""


class SearchIndexError(DamError):
    """The search index is missing, corrupt, or being rebuilt."""
