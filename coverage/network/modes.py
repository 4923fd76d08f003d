"""Travel modes and road classes: how fast each mode moves on each kind of road.

A :class:`TravelMode` holds an editable speed table (km/h) keyed by OpenStreetMap
``highway`` class, the classes the mode may not use, whether it respects
``oneway`` and how a point reaches the network (the *access leg*: straight-line
distance to the nearest road point times a detour factor, walked at
``access_speed_kph``).  :data:`MODES` holds the three defaults: ``walk``
(older people, 3.6 km/h), ``ebike`` (e-bike / motorcycle, common in rural
Yunnan) and ``car``.

Chinese road classes (国道/省道/县道/乡道/村道, 高速, 城市道路, and the route
letters G/S/X/Y/C/Z) map to OSM classes through :data:`ROAD_CLASSES` and
:func:`road_class`, so a local road layer gets the same speeds as OSM.

Example
-------
>>> from coverage.network import MODES
>>> MODES["walk"].speed_kph("primary")
3.6
>>> slow = MODES["car"].with_speeds(unclassified=20.0)
>>> slow.speed_kph("unclassified"), MODES["car"].speed_kph("unclassified")
(20.0, 30.0)
>>> road_class("县道")
'secondary'
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from coverage.errors import UnknownCategoryError
from coverage.taxonomy import TRAVEL_MODES, Term, normalize_label

__all__ = ["MODES", "NETWORK_TYPES_ATTR", "OSM_NETWORK_TYPES", "ROAD_CLASSES", "TravelMode", "get_mode",
           "network_types_of", "parse_maxspeed_kph", "road_class"]

logger = logging.getLogger(__name__)

#: Walking speed of older people (km/h), the default access speed of every mode.
WALK_SPEED_KPH = 3.6

#: Default detour factor of an access leg (network distance / straight-line distance).
ACCESS_DETOUR_FACTOR = 1.3

#: osmnx network types an OpenStreetMap way is checked against when a file is read without a mode: the
#: graph keeps the ways of any of them, each edge saying which (see :data:`NETWORK_TYPES_ATTR`).
OSM_NETWORK_TYPES = ("walk", "bike", "drive")

#: Edge attribute listing the osmnx network types whose filter the edge's OSM way passes, e.g.
#: ``"walk,bike,drive"`` or ``"walk"`` (a footway).  Set when an OpenStreetMap file is read; absent on
#: networks without OSM tags (road layers, the demo), where every edge is open to every mode whose speed
#: table does not exclude its class.
NETWORK_TYPES_ATTR = "network_types"


@dataclass(frozen=True)
class TravelMode:
    """A way of travelling, with its speed table.

    Parameters
    ----------
    key
        Stable identifier ("walk", "ebike", "car").
    zh, en
        Chinese and English labels.
    speeds_kph
        Speed (km/h) per OSM ``highway`` class.  Classes absent from the table
        use ``default_speed_kph``.
    default_speed_kph
        Speed (km/h) on a road whose class is missing or not in the table.
    excluded
        ``highway`` classes the mode may not use (e.g. footways for cars).
    use_maxspeed
        Use the tagged ``maxspeed`` where present; ``"cap"`` uses
        ``min(table speed, maxspeed)``, ``True`` uses the maxspeed itself,
        ``False`` ignores it.
    respect_oneway
        Follow edge direction (vehicles).  When False every edge is usable both
        ways (walking, as osmnx's walk networks do).
    access_speed_kph
        Speed (km/h) of the access leg between a point and the road network.
    access_detour_factor
        Straight-line access distance is multiplied by this factor (>= 1).
    osm_network_type
        The osmnx network type ("walk", "bike", "drive") whose way filter decides which OpenStreetMap ways
        the mode may use (``area=yes``, ``access=private``, ``foot=no``, service roads for cars, ...): an
        edge whose :data:`NETWORK_TYPES_ATTR` does not list it is not used.  None: no such filter.
    """

    key: str
    zh: str
    en: str
    speeds_kph: Mapping[str, float]
    default_speed_kph: float
    excluded: frozenset[str] = frozenset()
    use_maxspeed: bool | str = False
    respect_oneway: bool = True
    access_speed_kph: float = WALK_SPEED_KPH
    access_detour_factor: float = ACCESS_DETOUR_FACTOR
    osm_network_type: str | None = None

    def __post_init__(self) -> None:
        speeds = {str(k): float(v) for k, v in dict(self.speeds_kph).items()}
        bad = {k: v for k, v in speeds.items() if not (v > 0 and math.isfinite(v))}
        if bad:
            raise ValueError(f"travel mode '{self.key}': speeds must be positive km/h, got {bad}")
        for name in ("default_speed_kph", "access_speed_kph"):
            value = float(getattr(self, name))
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"travel mode '{self.key}': {name} must be a positive number of km/h, got {value}")
        if not float(self.access_detour_factor) >= 1.0:
            raise ValueError(
                f"travel mode '{self.key}': access_detour_factor must be >= 1 (a straight line is the shortest), "
                f"got {self.access_detour_factor}"
            )
        if self.osm_network_type is not None and self.osm_network_type not in OSM_NETWORK_TYPES:
            raise ValueError(f"travel mode '{self.key}': osm_network_type must be one of {OSM_NETWORK_TYPES} or None, "
                             f"got {self.osm_network_type!r}")
        object.__setattr__(self, "speeds_kph", MappingProxyType(speeds))
        object.__setattr__(self, "excluded", frozenset(self.excluded))

    def __reduce__(self) -> tuple[Any, ...]:  # mappingproxy does not pickle
        return (_rebuild_mode, (self._as_kwargs(),))

    def _as_kwargs(self) -> dict[str, Any]:
        return {
            "key": self.key, "zh": self.zh, "en": self.en, "speeds_kph": dict(self.speeds_kph),
            "default_speed_kph": self.default_speed_kph, "excluded": frozenset(self.excluded),
            "use_maxspeed": self.use_maxspeed, "respect_oneway": self.respect_oneway,
            "access_speed_kph": self.access_speed_kph, "access_detour_factor": self.access_detour_factor,
            "osm_network_type": self.osm_network_type,
        }

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en

    def with_speeds(self, **speeds_kph: float) -> TravelMode:
        """A copy with some classes' speeds (km/h) changed, e.g. ``with_speeds(track=8)``."""
        return replace(self, speeds_kph={**self.speeds_kph, **speeds_kph})

    def replace(self, **changes: Any) -> TravelMode:
        """A copy with fields changed (``access_detour_factor=1.5``, ``respect_oneway=False``...)."""
        return replace(self, **changes)

    def allows(self, highway: object) -> bool:
        """Whether the mode may use a road of this ``highway`` class (a list: any of them)."""
        classes = _classes(highway)
        if not classes:
            return True
        return any(c not in self.excluded for c in classes)

    def uses_network(self, network_types: object) -> bool:
        """Whether an edge whose OSM way passed the filters ``network_types`` is open to this mode.

        ``network_types`` is an edge's :data:`NETWORK_TYPES_ATTR` value (``"walk,bike"``, a list of such
        values when osmnx merged ways, or None/NaN when the network carries no such information: open).
        """
        if self.osm_network_type is None:
            return True
        types = network_types_of(network_types)
        return types is None or self.osm_network_type in types

    def speed_kph(self, highway: object, maxspeed: object = None) -> float:
        """Speed (km/h) on a road of class ``highway`` with the tagged ``maxspeed``.

        A list of classes (osmnx merges ways when simplifying) uses the first
        usable one.  Returns NaN for a class the mode may not use.
        """
        classes = [c for c in _classes(highway) if c not in self.excluded]
        if _classes(highway) and not classes:
            return math.nan
        speed = self.speeds_kph.get(classes[0], self.default_speed_kph) if classes else self.default_speed_kph
        if self.use_maxspeed:
            tagged = parse_maxspeed_kph(maxspeed)
            if tagged is not None:
                speed = min(speed, tagged) if self.use_maxspeed == "cap" else tagged
        return float(speed)


def _rebuild_mode(kwargs: dict[str, Any]) -> TravelMode:
    return TravelMode(**kwargs)


def _classes(highway: object) -> list[str]:
    if highway is None:
        return []
    if isinstance(highway, float) and math.isnan(highway):
        return []
    if isinstance(highway, (list, tuple, set)):
        return [str(h) for h in highway if h is not None]
    text = str(highway).strip()
    if text.startswith("[") and text.endswith("]"):  # a list written to GraphML / a file as text
        return [p.strip(" '\"") for p in text[1:-1].split(",") if p.strip(" '\"")]
    return [text] if text else []


def network_types_of(value: object) -> frozenset[str] | None:
    """The osmnx network types an edge's :data:`NETWORK_TYPES_ATTR` value lists (None: no information).

    A list (ways merged when simplifying; they are merged only when their types agree) is the union.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    parts = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    types: set[str] = set()
    for part in parts:
        for text in _classes(part):
            types.update(t.strip(" '\"") for t in text.split(",") if t.strip(" '\""))
    return frozenset(types)


_MPH = re.compile(r"mph", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_maxspeed_kph(maxspeed: object) -> float | None:
    """The speed (km/h) of an OSM ``maxspeed`` tag, or None when it has no number.

    Handles ``"50"``, ``"30 mph"``, lists (``["40", "60"]`` -> the mean, as
    osmnx does) and text such as ``"CN:urban"`` (None: use the table).
    """
    if maxspeed is None:
        return None
    if isinstance(maxspeed, (int, float)):
        return float(maxspeed) if math.isfinite(maxspeed) and maxspeed > 0 else None
    values = maxspeed if isinstance(maxspeed, (list, tuple)) else _classes(maxspeed)
    speeds: list[float] = []
    for value in values:
        text = str(value)
        number = _NUMBER.search(text)
        if number is None:
            continue
        speed = float(number.group())
        if _MPH.search(text):
            speed *= 1.609344
        if speed > 0:
            speeds.append(speed)
    return sum(speeds) / len(speeds) if speeds else None


_NOT_FOR_VEHICLES = frozenset({
    "footway", "path", "pedestrian", "steps", "bridleway", "corridor", "elevator", "platform",
    "escalator", "proposed", "construction", "abandoned", "razed", "bus_guideway", "raceway",
})

#: The default modes.  Edit a copy with :meth:`TravelMode.with_speeds` / :meth:`TravelMode.replace`.
MODES: dict[str, TravelMode] = {
    "walk": TravelMode(
        key="walk", zh=TRAVEL_MODES["walk"].zh, en=TRAVEL_MODES["walk"].en,
        speeds_kph={},
        default_speed_kph=WALK_SPEED_KPH,
        excluded=frozenset({"motorway", "motorway_link", "proposed", "construction", "abandoned", "razed",
                            "bus_guideway", "raceway"}),
        use_maxspeed=False,
        respect_oneway=False,
        osm_network_type="walk",
    ),
    "ebike": TravelMode(
        key="ebike", zh=TRAVEL_MODES["ebike"].zh, en=TRAVEL_MODES["ebike"].en,
        speeds_kph={
            "trunk": 30.0, "trunk_link": 25.0, "primary": 30.0, "primary_link": 25.0,
            "secondary": 28.0, "secondary_link": 25.0, "tertiary": 25.0, "tertiary_link": 22.0,
            "unclassified": 20.0, "residential": 20.0, "living_street": 12.0, "service": 15.0,
            "road": 20.0, "track": 12.0, "cycleway": 18.0,
        },
        default_speed_kph=15.0,
        excluded=frozenset({"motorway", "motorway_link", "steps", "corridor", "elevator", "platform",
                            "escalator", "proposed", "construction", "abandoned", "razed", "bus_guideway",
                            "raceway"}),
        use_maxspeed="cap",
        respect_oneway=True,
        osm_network_type="bike",
    ),
    "car": TravelMode(
        key="car", zh=TRAVEL_MODES["car"].zh, en=TRAVEL_MODES["car"].en,
        speeds_kph={
            "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
            "primary": 60.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 35.0,
            "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 30.0, "residential": 25.0,
            "living_street": 10.0, "service": 15.0, "road": 30.0, "track": 15.0,
        },
        default_speed_kph=25.0,
        excluded=_NOT_FOR_VEHICLES | frozenset({"cycleway"}),
        use_maxspeed=True,
        respect_oneway=True,
        osm_network_type="drive",
    ),
}


def get_mode(mode: str | TravelMode) -> TravelMode:
    """The :class:`TravelMode` for a key ("walk", "ebike", "car", 步行, 驾车...) or a mode itself.

    Raises
    ------
    UnknownCategoryError
        The key names no mode; the message lists the known ones.
    """
    if isinstance(mode, TravelMode):
        return mode
    wanted = normalize_label(mode)
    for m in MODES.values():
        names = {m.key, m.zh, m.en, *_MODE_ALIASES.get(m.key, ())}
        if wanted in {normalize_label(n) for n in names}:
            return m
    known = ", ".join(f"{m.key} ({m.zh})" for m in MODES.values())
    raise UnknownCategoryError(f"unknown travel mode '{mode}'. Known: {known}")


#: Other names of each mode: the travel-mode vocabulary of :mod:`coverage.taxonomy`.
_MODE_ALIASES: dict[str, tuple[str, ...]] = {key: term.aliases for key, term in TRAVEL_MODES.items()}


def _road(key: str, zh: str, en: str, *aliases: str) -> tuple[str, Term]:
    return zh, Term(key=key, zh=zh, en=en, aliases=aliases)


#: Road classes a local road layer may use, keyed by Chinese name; each term's
#: ``key`` is the OSM ``highway`` class whose speeds it takes.  OSM class names
#: themselves (``primary``, ``track``...) are accepted too.
ROAD_CLASSES: dict[str, Term] = dict([
    _road("motorway", "高速公路", "Expressway", "高速", "G高速", "expressway", "freeway"),
    _road("motorway_link", "高速匝道", "Expressway ramp", "匝道", "互通"),
    _road("trunk", "国道", "National road", "G", "国道公路", "national road", "一级公路"),
    _road("primary", "省道", "Provincial road", "S", "省道公路", "provincial road", "城市主干道", "主干道",
          "主干路", "快速路", "城市快速路"),
    _road("secondary", "县道", "County road", "X", "county road", "城市次干道", "次干道", "次干路",
          "二级公路"),
    _road("tertiary", "乡道", "Township road", "Y", "township road", "三级公路"),
    _road("unclassified", "村道", "Village road", "C", "village road", "四级公路", "通村公路", "农村公路"),
    _road("residential", "城市道路", "Urban street", "支路", "街道", "城市支路", "小区道路", "urban road",
          "street"),
    _road("service", "专用公路", "Service road", "Z", "专用道路", "厂矿道路", "service road"),
    _road("track", "机耕路", "Track", "等外公路", "田间道路", "林区道路", "土路", "机耕道", "farm track"),
    _road("path", "小路", "Path", "步道", "乡间小道", "山路", "小道"),
    _road("footway", "人行道", "Footway", "步行道", "步行街"),
    _road("steps", "台阶", "Steps", "阶梯"),
    _road("cycleway", "非机动车道", "Cycleway", "自行车道"),
])

_OSM_CLASSES = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road", "track", "path", "footway", "pedestrian", "steps", "cycleway", "bridleway",
})
_ROAD_INDEX: dict[str, str] = {}
for _term in ROAD_CLASSES.values():
    for _name in (_term.zh, _term.en, *_term.aliases):
        _ROAD_INDEX.setdefault(normalize_label(_name), _term.key)
for _osm in _OSM_CLASSES:
    _ROAD_INDEX.setdefault(normalize_label(_osm), _osm)
_ROUTE_NUMBER = re.compile(r"^([GSXYCZ])\d+", re.IGNORECASE)
_ROUTE_LETTER = {"G": "trunk", "S": "primary", "X": "secondary", "Y": "tertiary", "C": "unclassified",
                 "Z": "service"}


def road_class(value: object) -> str:
    """The OSM ``highway`` class of a road class written in Chinese, English, OSM or as a route number.

    ``"县道"`` -> ``"secondary"``, ``"G213"`` -> ``"trunk"``, ``"X105"`` -> ``"secondary"``,
    ``"residential"`` -> ``"residential"``.

    Raises
    ------
    UnknownCategoryError
        The value names no known class; the message lists the known classes.
    """
    text = str(value).strip()
    key = _ROAD_INDEX.get(normalize_label(text))
    if key is not None:
        return key
    if text.startswith("G") and "高速" in text:
        return "motorway"
    match = _ROUTE_NUMBER.match(text)
    if match:
        return _ROUTE_LETTER[match.group(1).upper()]
    known = "、".join(t.zh for t in ROAD_CLASSES.values())
    raise UnknownCategoryError(
        f"unknown road class '{value}'. Known: {known} (or an OSM highway class such as primary, track; "
        f"or a route number such as G213, S214, X105, Y003, C001)"
    )
