"""Reading what people send: the batch form, search filters in the URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from dam.catalog import BatchInfo
from web.accounts import CurrentUser
from web.errors import RequestError

BATCH_FIELDS = {"event": 500, "area": 500, "programme": 500, "place": 500, "photographer": 200,
                "caption": 10_000}

# URL parameter (Spanish, ASCII) -> search facet, for the page and the API alike.
FILTER_PARAMS: dict[str, str] = {
    "tipo": "type", "anio": "year", "mes": "month", "evento": "event", "area": "area",
    "programa": "programme", "campana": "campaign",
    "fotografo": "photographer", "lugar": "place", "etiqueta": "keywords", "derechos": "rights",
    "estado": "workflow", "persona": "people", "seleccion": "pick", "estrellas": "stars",
    "color": "color", "medio": "medium", "serie": "series", "tono": "tone", "impreso": "pubkind",
}
FACET_PARAMS = {facet: param for param, facet in FILTER_PARAMS.items()}
SIDEBAR_FACETS = ("type", "year", "event", "area", "programme", "campaign", "photographer",
                  "place", "keywords", "rights", "pick", "pubkind", "medium", "tone")
MAX_FILTER_VALUES = 20


def _text(data: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(400, "invalid", _("The field %(name)s must be text.", name=name))
    value = value.strip()
    if len(value) > limit:
        raise RequestError(400, "invalid", _("The field %(name)s is too long (at most %(n)d "
                                             "characters).", name=name, n=limit))
    return value or None


def batch_info(data: Mapping[str, Any], user: CurrentUser) -> BatchInfo:
    """The batch fields (event, date, area, programme, place, photographer, caption) from a form
    or JSON."""
    values = {name: _text(data, name, limit) for name, limit in BATCH_FIELDS.items()}
    raw_date = _text(data, "date", 10)
    event_date = None
    if raw_date:
        try:
            event_date = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise RequestError(400, "invalid", _("The date must look like 2025-03-14.")) from None
    return BatchInfo(source="web", created_by=user.username, event_date=event_date, **values)


def search_filters(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """Facet values picked in the URL (?tipo=photo&anio=2025), as the search service wants."""
    filters: dict[str, list[str]] = {}
    for param, facet in FILTER_PARAMS.items():
        values = [v.strip()[:300] for v in args.getlist(param) if v.strip()]
        if values:
            filters[facet] = list(dict.fromkeys(values))[:MAX_FILTER_VALUES]
    return filters
