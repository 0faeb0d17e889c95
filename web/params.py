"""Bounded integers from paths, query strings, forms and JSON: nothing past 64 bits reaches the
catalog (werkzeug's ``int`` and Python's ``int()`` take any size, the database does not)."""

from __future__ import annotations

from typing import Any, overload

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from web.errors import RequestError

MAX_ID = 2**63 - 1  # the largest value of a signed 64-bit column (SQLite and PostgreSQL bigint)
MAX_DIGITS = 20  # longer text is never a bounded integer; int() of it is not even tried


class IdConverter(IntegerConverter):
    """``<int:name>`` of every route: 1 to 2**63-1; any other number is no such page (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def bounded_int(raw: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``raw`` (text of decimal digits) as an integer in ``low..high``, else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > MAX_DIGITS:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if low <= number <= high else None


@overload
def query_int(name: str, default: int, *, low: int = ..., high: int = ...) -> int: ...


@overload
def query_int(name: str, default: None = None, *, low: int = ..., high: int = ...
              ) -> int | None: ...


def query_int(name: str, default: int | None = None, *, low: int = 1,
              high: int = MAX_ID) -> int | None:
    """The query-string integer ``name`` in ``low..high``; ``default`` when absent or not one
    (a hand-edited or stale link falls back to the first page, as ``type=int`` did)."""
    found = bounded_int(request.args.get(name), low=low, high=high)
    return default if found is None else found


def form_id(raw: str | None, name: str) -> int:
    """An id typed or posted in a form: 400 with the field's name unless it is 1..2**63-1."""
    found = bounded_int(raw)
    if found is None:
        raise RequestError(400, "invalid", _("The field %(name)s must be a number.", name=name))
    return found


def json_id(value: Any, name: str) -> int:
    """An id of a JSON body: an integer 1..2**63-1 (not a boolean, text or float), else 400."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise RequestError(400, "invalid", _(
            "%(name)s must be a whole number between 1 and %(max)d.", name=name, max=MAX_ID),
            field=name)
    return value


def json_ids(values: Any, name: str, *, limit: int | None = None) -> list[int]:
    """A JSON list of ids (each as ``json_id``), at most ``limit`` of them, else 400."""
    if not isinstance(values, list):
        raise RequestError(400, "invalid", _("%(name)s must be a list of ids.", name=name),
                           field=name)
    if limit is not None and len(values) > limit:
        raise RequestError(400, "invalid", _("Select at most %(n)d items.", n=limit), field=name)
    return [json_id(value, name) for value in values]


def register_converters(url_map: Map) -> None:
    """Replace werkzeug's unbounded ``int`` before any route is added."""
    url_map.converters["int"] = IdConverter
