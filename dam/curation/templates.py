"""Caption templates with variables, and short codes (``=cb``) that expand to vocabulary terms.

A template such as ``"{fotografo} / {evento}, {lugar}, {fecha}."`` is filled per asset from its
own fields; unknown variables are refused when the template is saved, and a variable with no
value becomes empty (with the punctuation around it tidied), so a batch caption never shows
``{lugar}`` to the public.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from dam.errors import DamError

VARIABLES = ("evento", "fecha", "lugar", "fotografo", "area", "colonia", "persona", "año")
# "=code" at the start or after a space or an opening bracket or quote (not in "a@=b" or "x=y").
_CODE = re.compile(r"(?<![^\s(\[«\"“'])=([a-z0-9][a-z0-9_-]{0,31})\b", re.IGNORECASE)
_EMPTY_SEPARATORS = re.compile(r"(\s*[,;/·-]\s*)(?:[,;/·-]\s*)+")


class TemplateError(DamError):
    """A caption template that cannot be used (a malformed brace or an unknown variable)."""


def template_variables(body: str) -> list[str]:
    """The variables a template uses, in order; raises TemplateError when it is malformed."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError(f"malformed template: {exc}") from exc
    names = [name for _text, name, _spec, _conv in parsed if name is not None]
    unknown = sorted({n for n in names if n not in VARIABLES})
    if unknown:
        raise TemplateError(
            f"unknown variable(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"use {', '.join('{' + v + '}' for v in VARIABLES)}"
        )
    return names


def fill_template(body: str, values: Mapping[str, str | None]) -> str:
    """The template with each variable replaced by its value (missing values leave no trace)."""
    template_variables(body)
    out: list[str] = []
    for text, name, _spec, _conv in string.Formatter().parse(body):
        out.append(text)
        if name is not None:
            out.append((values.get(name) or "").strip())
    filled = "".join(out)
    filled = _EMPTY_SEPARATORS.sub(r"\1", filled)  # keep the first of separators left empty
    filled = re.sub(r"\s+([,.;])", r"\1", filled)
    filled = re.sub(r"[,;/·-]\s*\.", ".", filled)  # "del mercado,." when the rest is empty
    filled = re.sub(r"^[\s,;/·-]+|[\s,;/·-]+$", "", filled)
    filled = re.sub(r"[ \t]{2,}", " ", filled)
    return filled.strip()


def expand_codes(text: str, codes: Mapping[str, str]) -> str:
    """``=code`` replaced by its term (codes are case-insensitive); unknown codes stay as typed."""
    lowered = {k.lower(): v for k, v in codes.items()}

    def _replace(match: re.Match[str]) -> str:
        return lowered.get(match.group(1).lower(), match.group(0))

    return _CODE.sub(_replace, text)
