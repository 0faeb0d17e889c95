"""Domain errors: every error Acervo raises on purpose derives from DamError."""

from __future__ import annotations


class DamError(Exception):
    """Base of Acervo's errors; the message says what failed and why."""


class ConfigError(DamError):
    """A setting is missing or invalid."""


class CatalogNotReadyError(DamError):
    """The catalog database is missing or not migrated to the current schema."""


class NotFoundError(DamError):
    """A catalog record that was asked for does not exist."""


class IngestError(DamError):
    """A file could not be ingested; the message is the reason shown to users."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class UnsupportedMediaError(IngestError):
    """The file is preserved but Acervo cannot read or render its type."""
