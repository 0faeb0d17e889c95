"""The map of the borough's territorial divisions: a GeoJSON file the admin uploads.

The file is checked (a FeatureCollection of Polygons or MultiPolygons in longitude/latitude,
each feature named), stored in the object store under ``reports/territorios-<sha256>.geojson``
(content-addressed, like the institutional band) and its key kept in the publishing setting
``territory_map_key``. Features are matched to the vocabulary's territorial divisions by name,
without regard to accents or case.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.vocabulary import fold
from dam.enums import Role
from dam.errors import DamError
from dam.models import PublishingSetting
from storage import ObjectStore

log = logging.getLogger(__name__)

MAP_KEY = "territory_map_key"
MAX_BYTES = 10 * 1024 * 1024
MAX_FEATURES = 500
NAME_PROPERTIES = ("nombre", "name", "nom_dt", "nomgeo", "territorial", "direccion_territorial",
                   "dt", "label")
Ring = tuple[tuple[float, float], ...]


class TerritoryMapError(DamError):
    """A GeoJSON file that cannot serve as the map of territorial divisions."""


@dataclass(frozen=True)
class Territory:
    """One named area of the map: its polygons, each a list of rings (the first the outline)."""

    name: str
    polygons: tuple[tuple[Ring, ...], ...]

    @property
    def folded(self) -> str:
        return fold(self.name)


def _name(properties: Any, number: int) -> str:
    if not isinstance(properties, dict):
        raise TerritoryMapError(f"feature {number} has no properties to name it")
    by_folded = {fold(str(k)): v for k, v in properties.items()}
    for key in NAME_PROPERTIES:
        value = by_folded.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    for value in properties.values():
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    raise TerritoryMapError(f"feature {number} has no name (a 'nombre' property)")


def _ring(points: Any, number: int) -> Ring:
    if not isinstance(points, list) or len(points) < 4:
        raise TerritoryMapError(f"feature {number}: a ring needs four positions or more")
    ring = []
    for point in points:
        if (not isinstance(point, list) or len(point) < 2
                or not all(isinstance(c, int | float) for c in point[:2])):
            raise TerritoryMapError(f"feature {number}: a position is not [longitude, latitude]")
        lon, lat = float(point[0]), float(point[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise TerritoryMapError(f"feature {number}: {lon}, {lat} is not a longitude and "
                                    "latitude (the map must be in WGS 84, EPSG:4326)")
        ring.append((lon, lat))
    return tuple(ring)


def _polygons(geometry: Any, number: int) -> tuple[tuple[Ring, ...], ...]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Polygon" and isinstance(coords, list):
        return (tuple(_ring(r, number) for r in coords),)
    if kind == "MultiPolygon" and isinstance(coords, list):
        return tuple(tuple(_ring(r, number) for r in p) for p in coords if isinstance(p, list))
    raise TerritoryMapError(f"feature {number} is a {kind or 'shape without type'}; "
                            "only Polygon and MultiPolygon are drawn")


def read_territories(data: bytes) -> list[Territory]:
    """The named areas of a GeoJSON FeatureCollection; TerritoryMapError says what is wrong."""
    if not data:
        raise TerritoryMapError("the file is empty")
    if len(data) > MAX_BYTES:
        raise TerritoryMapError(f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TerritoryMapError(f"the file is not GeoJSON: {exc}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise TerritoryMapError("the file is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise TerritoryMapError("the collection has no features")
    if len(features) > MAX_FEATURES:
        raise TerritoryMapError(f"the map has {len(features)} features; at most {MAX_FEATURES}")
    territories = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise TerritoryMapError(f"feature {number} is not a GeoJSON Feature")
        territories.append(Territory(_name(feature.get("properties"), number),
                                     _polygons(feature.get("geometry"), number)))
    return territories


def current_key(session: Session) -> str | None:
    setting = session.get(PublishingSetting, MAP_KEY)
    value = setting.value if setting is not None else None
    return value if isinstance(value, str) and value else None


def save_map(session: Session, store: ObjectStore, actor: Actor, data: bytes) -> list[Territory]:
    """Check ``data``, store it and make it the map reports draw (admins only, audited)."""
    if not actor.at_least(Role.ADMIN):
        raise TerritoryMapError("only administrators change the map of territorial divisions")
    territories = read_territories(data)
    key = f"reports/territorios-{hashlib.sha256(data).hexdigest()}.geojson"
    if not store.exists(key):
        store.put_bytes(key, data, content_type="application/geo+json")
    setting = session.get(PublishingSetting, MAP_KEY)
    old = setting.value if setting is not None else None
    if setting is None:
        session.add(PublishingSetting(key=MAP_KEY, value=key, updated_by=actor.user_id))
    else:
        setting.value, setting.updated_by = key, actor.user_id
    if old != key:
        audit.record(session, actor, "territory_map", field=MAP_KEY, old=old, new=key,
                     detail=f"{len(territories)} territorial divisions")
    return territories


def load_map(session: Session, store: ObjectStore) -> list[Territory]:
    """The map in use (empty when none was uploaded, or its object is missing, logged)."""
    key = current_key(session)
    if key is None:
        return []
    try:
        return read_territories(store.read_bytes(key))
    except FileNotFoundError:
        log.error("the map of territorial divisions %s is missing from the store", key)
    except TerritoryMapError as exc:
        log.error("the map of territorial divisions %s cannot be read: %s", key, exc)
    return []
