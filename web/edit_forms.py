"""Reading the edit forms: one asset's fields, a selection's ids, a batch edit's operations."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from dam.curation.edit_fields import FIELDS, EditError, FieldSpec, Kind, clean_value, plain
from dam.curation.edits import field_values
from dam.models import Asset
from web.errors import RequestError
from web.params import bounded_int

MAX_SELECTION = 20_000
BATCH_TEXT_FIELDS = ("headline", "event", "area", "programme", "sublocation", "city", "creator",
                     "credit", "copyright_notice", "usage_terms", "alt_text", "campaign")
BATCH_LIST_FIELDS = ("keywords", "persons_shown")


def shown(value: Any) -> str:
    """A field's value as a form shows it (lists joined by commas)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def shown_values(values: dict[str, Any]) -> dict[str, str]:
    return {name: shown(value) for name, value in values.items()}


def asset_form_values(asset: Asset) -> dict[str, str]:
    return shown_values(field_values(asset))


def base_json(asset: Asset) -> str:
    """The values the form starts from, sent back so only the fields changed are written."""
    return json.dumps(plain(field_values(asset)), ensure_ascii=False)


def _int(value: str | None, name: str) -> int:
    number = bounded_int(value, low=0)
    if number is None:
        raise RequestError(400, "invalid", _("The field %(name)s is not valid.", name=name))
    return number


def read_asset_form(form: MultiDict[str, str]) -> tuple[dict[str, str], int, dict[str, Any]]:
    """(changes, edit_version, base) from the edit form of one asset."""
    changes = {name: form.get(name, "") for name in FIELDS if name in form}
    version = _int(form.get("edit_version"), "edit_version")
    try:
        base = json.loads(form.get("base") or "{}")
    except ValueError:
        base = None
    if not isinstance(base, dict):
        raise RequestError(400, "invalid", _("The field %(name)s is not valid.", name="base"))
    return changes, version, base


def user_changed(spec: FieldSpec, mine: str, base: Any) -> bool:
    """Whether the editor changed this field in the form (compared as stored values)."""
    try:
        return clean_value(spec, mine) != clean_value(spec, base)
    except EditError:
        return True


def selection_ids(values: list[str]) -> list[int]:
    """Asset ids of a selection (repeated ``asset_id`` fields), in order, without repeats."""
    ids: dict[int, None] = {}
    for raw in values:
        for part in raw.split(","):
            if part.strip():
                ids[_int(part.strip(), "asset_id")] = None
    if not ids:
        raise RequestError(400, "empty", _("Select at least one item."))
    if len(ids) > MAX_SELECTION:
        raise RequestError(400, "too_many", _("Select at most %(n)s items at once.",
                                                n=MAX_SELECTION))
    return list(ids)


def _caption_operation(form: MultiDict[str, str], templates: dict[int, str]) -> dict | None:
    op, value = form.get("op_caption", ""), form.get("value_caption", "")
    picked = form.get("template_id", "")
    if picked and (op in ("", "template")) and not value.strip():
        body = templates.get(_int(picked, "template_id"))
        if body is None:
            raise RequestError(400, "invalid", _("That caption template does not exist."))
        return {"field": "caption", "op": "template", "value": body}
    if op in ("set", "template", "clear"):
        return {"field": "caption", "op": op, "value": value}
    return None


def batch_operations(form: MultiDict[str, str], templates: dict[int, str]) -> list[dict]:
    """Operations of the batch edit form: ``op_<field>`` (keep when empty) and ``value_<field>``."""
    ops: list[dict[str, Any]] = []
    for name in (*BATCH_LIST_FIELDS, *BATCH_TEXT_FIELDS):
        op = form.get(f"op_{name}", "")
        allowed = ("set", "add", "remove", "clear") if FIELDS[name].kind is Kind.LIST else (
            "set", "clear")
        if op in allowed:
            ops.append({"field": name, "op": op, "value": form.get(f"value_{name}", "")})
        elif op:
            raise RequestError(400, "invalid", _("The field %(name)s is not valid.", name=op))
    caption = _caption_operation(form, templates)
    if caption:
        ops.append(caption)
    if not ops:
        raise RequestError(400, "nothing", _("Choose at least one change to make."))
    return ops
