"""How a search sidebar and its filter chips name a facet's values ("elegida" → "Picked")."""

from __future__ import annotations

from collections.abc import Callable

from web.grid_html import type_names
from web.i18n import request_translations


def _tables(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "pick": {"elegida": _("Picked"), "descartada": _("Rejected"),
                 "sin-marcar": _("Unmarked")},
        "tone": {"positiva": _("Positive"), "neutral": _("Neutral"), "negativa": _("Negative")},
        "pubkind": {"cartel": _("Poster"), "folleto": _("Leaflet"), "gaceta": _("Bulletin"),
                    "revista": _("Magazine"), "lona": _("Banner"),
                    "comunicado": _("Press release"), "recorte": _("Press clipping")},
        "color": {"rojo": _("Red"), "amarillo": _("Yellow"), "verde": _("Green"),
                  "azul": _("Blue"), "morado": _("Purple"), "sin-color": _("No colour")},
        "type": type_names(_),
    }


class FacetText:
    """The page's names of facet values, its translations looked up once."""

    def __init__(self) -> None:
        catalog = request_translations()
        self._ = catalog.ugettext
        self.ngettext = catalog.ungettext
        self.tables = _tables(self._)

    def value(self, facet: str, value: str) -> str:
        if facet == "stars":
            return self._stars(value)
        table = self.tables.get(facet)
        return table.get(value, value) if table is not None else value

    def _stars(self, value: str) -> str:
        if value == "0":
            return self._("No stars")
        try:
            count = int(value)
        except ValueError:
            count = 0
        ngettext = self.ngettext
        return ngettext("%(num)s star or more", "%(num)s stars or more", count) % {"num": value}
