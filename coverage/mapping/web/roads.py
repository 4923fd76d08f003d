"""The road network as a light web-map layer: lines by road class, simplified for display.

A prefecture's road graph has some 10^5 edges; drawn as they are, they would make the map's page
tens of megabytes.  :func:`road_lines` merges the edges of each display class into long lines,
simplifies them by a tolerance in metres (applied in degrees, never more than that on the ground) and
rounds the coordinates to 1e-5 degree (about 1 m); :func:`add_roads` draws the classes with the minor
ones only when zoomed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.errors import InputError
from coverage.mapping.web.base import _cached, _geojson_text, _is_gcj, _prepare, _simplify_m
from coverage.mapping.web.elements import _ShapeLayer
from coverage.mapping.web.text import _t
from coverage.model import WGS84

__all__ = ["ROAD_STYLES", "RoadStyle", "add_roads", "road_class_of", "road_lines", "road_lines_from_edges"]


@dataclass(frozen=True)
class RoadStyle:
    """How one display class of roads is drawn.

    Attributes
    ----------
    zh, en
        Name in the layer control and the legend.
    colour, weight_px
        Line colour and width [px].
    min_zoom
        The class shows from this zoom on (None: at every zoom).
    tolerance_m
        Display simplification tolerance [m].
    """

    zh: str
    en: str
    colour: str
    weight_px: float
    min_zoom: float | None
    tolerance_m: float

    def label(self, lang: str) -> str:
        """The class name in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


#: Display classes, most important first (drawn last, on top).
ROAD_STYLES: dict[str, RoadStyle] = {
    "major": RoadStyle("高速公路、国道、省道", "Expressways, national and provincial roads", "#d9822b", 2.4, None,
                       40.0),
    "county": RoadStyle("县道", "County roads", "#c9a227", 1.6, None, 40.0),
    "township": RoadStyle("乡道", "Township roads", "#8c8c8c", 1.1, 10.0, 25.0),
    "minor": RoadStyle("村道及其他道路", "Village and other roads", "#b3b3b3", 0.8, 12.0, 15.0),
}

_MAJOR = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"})
_COUNTY = frozenset({"secondary", "secondary_link"})
_TOWNSHIP = frozenset({"tertiary", "tertiary_link"})


def road_class_of(highway: object) -> str:
    """The display class (a key of :data:`ROAD_STYLES`) of an OSM ``highway`` value.

    A list (OSM ways merged by osmnx) takes its most important class; anything unknown is "minor".

    Example
    -------
    >>> road_class_of("trunk"), road_class_of(["tertiary", "residential"]), road_class_of(None)
    ('major', 'township', 'minor')
    """
    values = highway if isinstance(highway, (list, tuple, set)) else [highway]
    names = {str(v).strip().lower() for v in values if v is not None}
    for key, members in (("major", _MAJOR), ("county", _COUNTY), ("township", _TOWNSHIP)):
        if names & members:
            return key
    return "minor"


def road_lines(G: nx.MultiDiGraph, *, tolerance_m: float | None = None) -> gpd.GeoDataFrame:
    """The graph's roads as one simplified MultiLineString per display class, in WGS-84.

    Parameters
    ----------
    G
        An osmnx-style road graph (``G.graph["crs"]``, nodes ``x``/``y``, edges ``highway`` and optional
        ``geometry``); each road drawn once whatever its directions.
    tolerance_m
        Simplification tolerance [m] for every class (default: each class's ``tolerance_m``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``road_class`` (keys of :data:`ROAD_STYLES`, in that order, classes without roads left
        out), ``n_edges`` and ``geometry`` (EPSG:4326, coordinates rounded to 1e-5 degree).

    Raises
    ------
    InputError
        The graph has no ``crs`` or a node lacks ``x``/``y``.

    Example
    -------
    >>> roads = road_lines(load_demo("yuxi").graph())   # doctest: +SKIP
    """
    crs = G.graph.get("crs")
    if crs is None:
        raise InputError("road graph: no coordinate system (G.graph['crs']); set it, e.g. 'EPSG:4326' "
                         "/ 道路网络没有坐标系，请设置 G.graph['crs']")
    columns = ["road_class", "n_edges", "geometry"]
    if G.number_of_edges() == 0:
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry="geometry", crs=WGS84)
    index = {n: i for i, n in enumerate(G.nodes)}
    try:
        xy = np.array([(float(d["x"]), float(d["y"])) for _, d in G.nodes(data=True)])
    except KeyError as exc:
        raise InputError(f"road graph: a node has no {exc.args[0]!r} coordinate / 道路网络的节点缺少坐标") from exc
    classes_of: dict[object, str] = {}  # a few distinct highway values for 10^5 edges
    seen: set[tuple[int, int]] = set()
    a_l: list[int] = []
    b_l: list[int] = []
    cls_l: list[str] = []
    own_geoms: list[shapely.Geometry] = []
    own_cls: list[str] = []
    for u, v, data in G.edges(data=True):
        a, b = index[u], index[v]
        pair = (a, b) if a <= b else (b, a)
        if pair in seen:
            continue
        seen.add(pair)
        hw = data.get("highway")
        hw_key = tuple(hw) if isinstance(hw, (list, tuple, set)) else hw
        cls = classes_of.get(hw_key)
        if cls is None:
            cls = classes_of[hw_key] = road_class_of(hw)
        geom = data.get("geometry")
        if geom is not None:
            own_geoms.append(geom)
            own_cls.append(cls)
        else:
            a_l.append(a)
            b_l.append(b)
            cls_l.append(cls)
    pts = np.stack([xy[a_l], xy[b_l]], axis=1) if a_l else np.empty((0, 2, 2))
    straight = shapely.linestrings(pts) if len(pts) else np.empty(0, dtype=object)
    lines = gpd.GeoSeries(np.concatenate([straight, np.asarray(own_geoms, dtype=object)]), crs=crs)
    classes = np.array(cls_l + own_cls, dtype=object)
    return _by_class(lines, classes, crs, tolerance_m)


def road_lines_from_edges(node_xy: npt.ArrayLike, u: npt.ArrayLike, v: npt.ArrayLike, highway: npt.ArrayLike, *,
                          crs: Any, tolerance_m: float | None = None) -> gpd.GeoDataFrame:
    """As :func:`road_lines`, from arrays of straight edges (no networkx graph: the demo's stored roads).

    Parameters
    ----------
    node_xy
        (n, 2) node coordinates in ``crs``.
    u, v
        Node positions of each edge; an edge and its reverse are drawn once.
    highway
        OSM road class of each edge.
    crs
        Coordinate system of ``node_xy``.
    tolerance_m
        As for :func:`road_lines`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`road_lines`.
    """
    xy = np.asarray(node_xy, dtype=float)
    a, b = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, first = np.unique(lo * (len(xy) + 1) + hi, return_index=True)  # each road once, whatever its directions
    first.sort()
    hw = np.asarray(highway, dtype=object)[first]
    codes, values = pd.factorize(hw, use_na_sentinel=False)
    classes = np.array([road_class_of(x) for x in values], dtype=object)[codes]
    lines = gpd.GeoSeries(shapely.linestrings(np.stack([xy[lo[first]], xy[hi[first]]], axis=1)), crs=crs)
    return _by_class(lines, classes, crs, tolerance_m)


def _by_class(lines: gpd.GeoSeries, classes: np.ndarray, crs: Any, tolerance_m: float | None) -> gpd.GeoDataFrame:
    """One merged, simplified MultiLineString per display class (WGS-84, 1e-5 degree)."""
    columns = ["road_class", "n_edges", "geometry"]
    rows = []
    for key, road_style in ROAD_STYLES.items():
        mask = classes == key
        if not mask.any():
            continue
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines.values[mask])))
        tol = road_style.tolerance_m if tolerance_m is None else float(tolerance_m)
        # each chain on its own, without topology checks: 20x faster than simplifying the whole network
        simple = _simplify_m(gpd.GeoSeries(merged, crs=crs), tol)
        simple = simple[~shapely.is_empty(simple)]
        rows.append({"road_class": key, "n_edges": int(mask.sum()), "geometry": shapely.multilinestrings(simple)})
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=WGS84)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-5, mode="pointwise")
    return out


def add_roads(m: folium.Map, roads: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> list[str]:
    """Roads by display class (from :func:`road_lines`), minor classes only when zoomed in.

    Returns
    -------
    list of str
        The classes drawn (keys of :data:`ROAD_STYLES`), for the legend.

    Raises
    ------
    InputError
        ``roads`` has no ``road_class`` column.
    """
    gdf = _prepare(m, roads, "roads")
    if gdf is None or gdf.empty:
        return []
    if "road_class" not in gdf.columns:
        raise InputError("roads layer: no 'road_class' column; make it with road_lines(G) "
                         "/ 道路图层缺少 road_class 列")
    fg = folium.FeatureGroup(name=_t("roads", lang), show=show).add_to(m)

    def texts() -> list[tuple[str, str]]:
        out = []
        for key in reversed(list(ROAD_STYLES)):  # minor first, major on top
            part = gdf[gdf["road_class"] == key]
            if not part.empty:
                out.append((key, _geojson_text(part.geometry.values)))
        return out

    # the same roads on every rerun that shows them: their GeoJSON text is made once per road table
    drawn = []
    for key, text in _cached(roads, ("road_text", _is_gcj(m)), texts):
        rs = ROAD_STYLES[key]
        fg.add_child(_ShapeLayer(text, style={"color": rs.colour, "weight": rs.weight_px, "opacity": 0.9,
                                              "fill": False, "lineCap": "round"}, min_zoom=rs.min_zoom,
                                 pane="covRoads"))
        drawn.append(key)
    return [k for k in ROAD_STYLES if k in drawn]
