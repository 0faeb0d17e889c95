"""What travels with a file: the descriptive and rights metadata embedded in every download."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dam.errors import DamError

# Characters XML 1.0 cannot carry (controls other than tab and newlines, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class EmbedError(DamError):
    """A file's metadata could not be rewritten: it is truncated, corrupt or not the type said."""


@dataclass(frozen=True)
class PressInfo:
    """The current description of an asset, as IPTC and XMP carry it."""

    caption: str | None = None
    headline: str | None = None
    credit: str | None = None
    creator: str | None = None
    copyright: str | None = None
    usage_terms: str | None = None
    licence: str | None = None  # the licence's label, e.g. "CC BY 4.0"
    licence_url: str | None = None  # its text on the web
    alt_text: str | None = None
    keywords: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    event: str | None = None
    sublocation: str | None = None
    city: str | None = None
    state_province: str | None = None
    country: str | None = None
    country_code: str | None = None


def clean_text(value: str) -> str:
    """``value`` without the characters XML forbids (so a packet always parses)."""
    return _NOT_XML.sub("", value)

