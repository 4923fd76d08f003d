"""Road-network sources, all returning one format: an osmnx-style ``networkx.MultiDiGraph``.

Nodes carry ``x``/``y`` (longitude/latitude, ``G.graph["crs"] == "EPSG:4326"``); edges carry ``length``
(metres), ``highway`` (OSM class), optional ``maxspeed``, ``oneway`` and ``geometry``.  A two-way road is
two directed edges; a oneway road one.  ``G.graph["source"]`` says where the network came from.

- :func:`download_osm_graph`: OpenStreetMap via osmnx, by place name, polygon or bounding box, cached to
  disk as GraphML; offline it fails within seconds with :class:`~coverage.errors.DownloadError`.
- :func:`graph_from_osm_file`: ``.osm`` / ``.osm.bz2`` XML (osmnx), ways filtered as osmnx's network types
  filter them (a ``highway`` tag, not ``area=yes``, not ``access=private``...); without a network type the
  graph keeps the ways of any of walk / bike / drive and each edge lists them in ``network_types``, which
  the travel-time engine reads to open each edge only to the modes whose osmnx filter it passes.
- :func:`graph_from_graphml`: GraphML (osmnx's or networkx's), with a ``crs`` graph attribute or ``crs=``.
- :func:`graph_from_pbf`: ``.osm.pbf`` (pyrosm).
- :func:`graph_from_road_layer`: a road-lines layer (GeoPackage / Shapefile / GeoJSON or a GeoDataFrame)
  with a road-class column (国道/省道/县道/乡道/村道, 高速, OSM classes or route numbers), noded into a graph.
- :func:`load_graph`: any of the above from one argument ("demo:yuxi", "osm:红塔区, 玉溪市", a path, a graph).

Every file-based source checks what it built: no edges, only self-loops, negative / infinite / non-numeric
lengths and nodes without coordinates are :class:`~coverage.errors.NetworkError` naming the file (and edge);
a closed loop road attached to the rest at one junction (osmnx: an edge whose start is its end) is split
in two at its middle vertex so that it can be routed on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from shapely.errors import ShapelyError

from coverage.errors import (
    CRSError,
    DownloadError,
    FileReadError,
    MissingColumnError,
    NetworkError,
    UnknownCategoryError,
)
from coverage.network.modes import NETWORK_TYPES_ATTR, OSM_NETWORK_TYPES, ROAD_CLASSES, road_class

__all__ = [
    "download_osm_graph",
    "graph_from_graphml",
    "graph_from_osm_file",
    "graph_from_pbf",
    "graph_from_road_layer",
    "load_graph",
    "osm_way_network_types",
]

logger = logging.getLogger(__name__)

#: Where downloaded networks are cached (GraphML), unless ``cache_dir`` is given.
DEFAULT_CACHE_DIR = Path(os.environ.get("COVERAGE_CACHE_DIR", Path.home() / ".cache" / "coverage" / "osm"))

#: Column names a road layer may use for its road class, tried in this order (case-insensitive).
CLASS_COLUMNS = ("road_class", "class", "highway", "fclass", "道路等级", "等级", "公路等级", "技术等级",
                 "行政等级", "道路类型", "类型", "type", "kind", "rclass", "grade")
ONEWAY_COLUMNS = ("oneway", "单行", "单向", "是否单行", "单行线")
MAXSPEED_COLUMNS = ("maxspeed", "speed_kph", "限速", "设计速度", "speed")
_TRUE = {"yes", "true", "1", "y", "t", "是", "单行", "单向", "正向"}
_REVERSE = {"-1", "reverse", "反向"}

LAYER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".zip", ".fgb")
OSM_SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.xml", ".bz2")


# ---------------------------------------------------------------- OpenStreetMap download
def download_osm_graph(*, place: str | None = None, polygon: Any = None,
                       bbox: tuple[float, float, float, float] | None = None, network_type: str = "all",
                       cache_dir: str | os.PathLike[str] | None = None, timeout_s: float = 10.0,
                       refresh: bool = False) -> nx.MultiDiGraph:
    """Download an OpenStreetMap road network with osmnx, cached to disk as GraphML.

    Give exactly one of ``place``, ``polygon`` or ``bbox``.

    Parameters
    ----------
    place
        A place name osmnx can geocode (Nominatim), e.g. ``"Hongta District, Yuxi, Yunnan, China"``.
    polygon
        A shapely (Multi)Polygon in WGS-84, or a GeoDataFrame / GeoSeries (any CRS) whose union is used,
        e.g. a county boundary.
    bbox
        ``(west, south, east, north)`` in degrees (WGS-84).
    network_type
        osmnx network type; ``"all"`` (default) serves every travel mode from one download.
    cache_dir
        Folder of cached GraphML files (default ``~/.cache/coverage/osm`` or ``$COVERAGE_CACHE_DIR``).
    timeout_s
        Network timeout (seconds).  The Overpass rate-limit check (which waits up to 60 s offline) is off.
    refresh
        Download again even if a cached copy exists.

    Returns
    -------
    networkx.MultiDiGraph
        The road graph (EPSG:4326).

    Raises
    ------
    DownloadError
        OpenStreetMap could not be reached (offline, blocked, timed out) or returned nothing.
    ValueError
        Not exactly one of place / polygon / bbox.

    Example
    -------
    >>> G = download_osm_graph(bbox=(102.52, 24.33, 102.57, 24.37))  # doctest: +SKIP
    """
    given = [x is not None for x in (place, polygon, bbox)]
    if sum(given) != 1:
        raise ValueError("give exactly one of place=, polygon= or bbox= to download an OpenStreetMap network")
    if polygon is not None and hasattr(polygon, "geometry"):
        if polygon.crs is None:
            raise CRSError("the polygon layer has no CRS; set it before downloading roads inside it")
        polygon = shapely.union_all(polygon.to_crs("EPSG:4326").geometry.to_numpy())
    query: dict[str, Any] = {"network_type": network_type}
    if place is not None:
        query["place"] = place
    elif polygon is not None:
        query["polygon"] = shapely.to_wkt(polygon, rounding_precision=6)
    else:
        west, south, east, north = (float(v) for v in bbox)  # type: ignore[union-attr]
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError(f"bbox must be (west, south, east, north) in degrees, got {bbox}")
        query["bbox"] = [west, south, east, north]
    key = hashlib.sha1(json.dumps(query, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    path = folder / f"osm_{network_type}_{key}.graphml"
    if path.exists() and not refresh:
        logger.info("OpenStreetMap network from cache %s", path)
        G = graph_from_graphml(path)
        G.graph["source"] = f"OpenStreetMap (cached {path.name})"
        return G

    import osmnx as ox

    saved = {name: getattr(ox.settings, name) for name in ("overpass_rate_limit", "requests_timeout", "use_cache",
                                                           "useful_tags_way")}
    access = str(ox.settings.default_access)
    filter_keys = sorted({key for t in OSM_NETWORK_TYPES for key, _, _ in _osm_way_filter(t, access)})
    started = time.monotonic()
    what = place or ("polygon" if polygon is not None else f"bbox {query.get('bbox')}")
    try:
        ox.settings.overpass_rate_limit = False
        ox.settings.requests_timeout = timeout_s
        ox.settings.use_cache = False
        ox.settings.useful_tags_way = sorted({*ox.settings.useful_tags_way, *filter_keys})  # for the mode filters
        options = {"network_type": network_type, "retain_all": True, "simplify": False}
        if place is not None:
            G = ox.graph_from_place(place, **options)
        elif polygon is not None:
            G = ox.graph_from_polygon(polygon, **options)
        else:
            G = ox.graph_from_bbox(tuple(query["bbox"]), **options)
    except Exception as exc:  # requests errors, osmnx InsufficientResponseError, geocoding failures
        elapsed = time.monotonic() - started
        msg = (f"could not download the OpenStreetMap road network for {what} ({type(exc).__name__} after "
               f"{elapsed:.1f} s: {exc}). Are you offline? Use a local network instead: a .osm/.osm.pbf file, a "
               "GraphML file, a road layer (GeoPackage/Shapefile with a road-class column) or the demo network")
        raise DownloadError(msg) from exc
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)
    G = _with_network_types(G, what)
    _check_graph(G, f"OpenStreetMap download for {what}")
    folder.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(G, path)
    logger.info("downloaded %d nodes, %d edges; cached as %s", len(G), G.number_of_edges(), path)
    G.graph["source"] = f"OpenStreetMap ({what})"
    return G


# ---------------------------------------------------------------- OpenStreetMap way filters (osmnx's)
_FILTER_CLAUSE = re.compile(r'\["([^"]+)"(?:(!=|=|!~|~)"([^"]*)"(,i)?)?\]')


@functools.lru_cache(maxsize=8)
def _osm_way_filter(network_type: str, default_access: str) -> tuple[tuple[str, str | None, Any], ...]:
    """osmnx's Overpass way filter of ``network_type`` as clauses ``(key, operator, value or regex)``.

    The filter text is osmnx's own (``osmnx._overpass._get_network_filter``, with ``ox.settings.default_access``),
    so ways are kept exactly as an osmnx download of that network type keeps them.
    """
    from osmnx import _overpass

    try:
        text = _overpass._get_network_filter(network_type)
    except ValueError as exc:
        raise ValueError(f"unknown OpenStreetMap network type {network_type!r}; use walk, bike, drive, "
                         "drive_service, all_public or all") from exc
    clauses: list[tuple[str, str | None, Any]] = []
    end = 0
    for match in _FILTER_CLAUSE.finditer(text):
        if match.start() != end:
            break
        end = match.end()
        key, op, value, ci = match.groups()
        if op in ("~", "!~"):
            clauses.append((key, op, re.compile(value, re.IGNORECASE if ci else 0)))
        else:
            clauses.append((key, op, value))
    if end != len(text) or not clauses:  # osmnx changed its filter syntax: refuse rather than guess
        raise NetworkError(f"cannot interpret osmnx's way filter for network type {network_type!r}: {text!r} "
                           f"(default_access {default_access!r})")
    return tuple(clauses)


def _failed_clause(tags: dict[str, str], clauses: Iterable[tuple[str, str | None, Any]]) -> str | None:
    """The first clause (as ``key=value``) an OSM way's tags fail, Overpass semantics; None when all pass."""
    for key, op, value in clauses:
        tag = tags.get(key)
        if op is None:
            ok = tag is not None
        elif op == "!~":
            ok = tag is None or value.search(tag) is None
        elif op == "~":
            ok = tag is not None and value.search(tag) is not None
        elif op == "=":
            ok = tag == value
        else:  # "!="
            ok = tag != value
        if not ok:
            return f"{key}={tag}" if tag is not None else f"no '{key}' tag"
    return None


def osm_way_network_types(tags: dict[str, str], network_types: Sequence[str] = OSM_NETWORK_TYPES) -> list[str]:
    """The osmnx network types whose way filter an OpenStreetMap way with these tags passes.

    Parameters
    ----------
    tags
        The way's tags, e.g. ``{"highway": "service", "access": "private"}``.
    network_types
        Which osmnx network types to check (default walk, bike, drive).

    Returns
    -------
    list of str
        E.g. ``["walk", "bike", "drive"]`` for a residential street, ``["walk"]`` for a footway, ``[]`` for a
        building outline or a private road.

    Example
    -------
    >>> osm_way_network_types({"highway": "footway"})
    ['walk']
    """
    import osmnx as ox

    access = str(ox.settings.default_access)
    return [t for t in network_types if _failed_clause(tags, _osm_way_filter(t, access)) is None]


def _with_network_types(G: nx.MultiDiGraph, what: str) -> nx.MultiDiGraph:
    """Annotate an unsimplified osmnx download with :data:`NETWORK_TYPES_ATTR` (from its way tags), drop the
    roads no network type admits, then simplify without merging ways of different types."""
    import osmnx as ox

    if G.graph.get("simplified"):  # already simplified (and annotated, if it came from this module)
        return G
    access = str(ox.settings.default_access)
    keys = sorted({key for t in OSM_NETWORK_TYPES for key, _, _ in _osm_way_filter(t, access)})
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        tags = {key: str(d[key]) for key in keys if d.get(key) is not None}
        types = osm_way_network_types(tags)
        if types:
            d[NETWORK_TYPES_ATTR] = ",".join(types)
        else:
            drop.append((u, v, k))
    if drop:
        logger.warning("%s: %d road segments left out, as osmnx's walk/bike/drive filters leave them out (private "
                       "access ...)", what, len(drop))
        G.remove_edges_from(drop)
        G.remove_nodes_from(list(nx.isolates(G)))
    G = ox.simplify_graph(G, edge_attrs_differ=[NETWORK_TYPES_ATTR])
    return _split_rings(G)


# ---------------------------------------------------------------- local OSM files
def graph_from_osm_file(path: str | os.PathLike[str], *, network_type: str | None = None, simplify: bool = True,
                        retain_all: bool = True) -> nx.MultiDiGraph:
    """Read an OpenStreetMap XML file (``.osm``, ``.osm.bz2``) with osmnx, keeping only road ways.

    Ways are kept as osmnx's network types keep them (osmnx's own Overpass filters, applied to the file):
    a ``highway`` tag, not ``area=yes``, not ``access=private``, not a road under construction..., and per
    type foot / bicycle / motor-vehicle rules.  Building outlines, land use and other non-road ways never
    become edges.

    Parameters
    ----------
    path
        The file.
    network_type
        An osmnx network type ("walk", "bike", "drive", "drive_service", "all_public", "all"): keep only
        its ways, as ``osmnx.graph_from_place(..., network_type=...)`` would.  None (default): keep the
        ways of any of walk / bike / drive, each edge listing those it belongs to in ``network_types``
        (the travel-time engine opens an edge only to the modes whose type it lists).
    simplify
        Merge chains of nodes into edges with geometries (osmnx's simplification; ways of different
        ``network_types`` are not merged).
    retain_all
        Keep every piece of the network, not only the largest connected one.

    Returns
    -------
    networkx.MultiDiGraph
        EPSG:4326.  ``G.graph["rejected_roads"]`` lists the ways with a ``highway`` tag that no network
        type admits (way id, value, reason).

    Raises
    ------
    FileReadError
        The file is missing, empty or is not OSM XML.
    NetworkError
        The file has no ways, no road ways, or nothing routable.
    ValueError
        Unknown ``network_type``.

    Example
    -------
    >>> G = graph_from_osm_file("West-Oakland.osm.bz2")  # doctest: +SKIP
    """
    import osmnx as ox
    from osmnx import _osm_xml
    from osmnx import graph as ox_graph

    path = _existing(path)
    _not_empty(path)
    types = tuple(OSM_NETWORK_TYPES) if network_type is None else (str(network_type),)
    access = str(ox.settings.default_access)
    filters = {t: _osm_way_filter(t, access) for t in types}
    try:
        data = _osm_xml._overpass_json_from_xml(path, "utf-8")
    except Exception as exc:  # xml.sax SAXParseException, ElementTree ParseError, bz2 OSError, UnicodeError
        raise FileReadError(f"{path}: cannot read it as an OpenStreetMap XML file ({type(exc).__name__}: {exc}); "
                            "is it complete? Export it again (JOSM, openstreetmap.org Export) or use a .osm.pbf "
                            "extract") from exc
    nodes: dict[int, dict[str, Any]] = {}
    ways: list[dict[str, Any]] = []
    for element in data.get("elements", []):
        if element.get("type") == "node":
            nodes[element["id"]] = element
        elif element.get("type") == "way":
            ways.append(element)
    if not ways:
        raise NetworkError(f"{path}: the file has {len(nodes)} nodes but no ways (roads), so there is no road "
                           "network in it; export the area again with its roads / OSM 文件中没有道路")

    kept: list[dict[str, Any]] = []
    types_of_way: dict[int, str] = {}
    not_roads = 0
    rejected: list[dict[str, Any]] = []
    missing_refs = 0
    piece_of: dict[int, int] = {}  # synthetic id of a further piece of a cut way -> the way's id
    for way in ways:
        tags = way.get("tags", {})
        if "highway" not in tags:
            not_roads += 1
            continue
        passing = [t for t in types if _failed_clause(tags, filters[t]) is None]
        if not passing:
            reason = _failed_clause(tags, filters[types[0]])
            rejected.append({"way": way["id"], "column": "highway", "value": tags.get("highway"),
                             "message": f"not a road for {'/'.join(types)} in osmnx's filters ({reason})"})
            continue
        types_of_way[way["id"]] = ",".join(passing)
        run: list[int] = []
        for ref in [*way["nodes"], None]:  # a clipped extract may lack some nodes: keep the runs it has
            if ref is not None and ref in nodes:
                run.append(ref)
                continue
            missing_refs += ref is not None
            if len(run) >= 2:
                piece = way["id"]
                if kept and way["id"] in (kept[-1]["id"], piece_of.get(kept[-1]["id"])):
                    piece = -1 - len(piece_of)  # osmnx keys paths by id: give each piece its own
                    piece_of[piece] = way["id"]
                kept.append({**way, "id": piece, "nodes": run})
            run = []
    if not_roads:
        logger.info("%s: %d of %d ways are not roads (no 'highway' tag: buildings, land use, areas); not used",
                    path.name, not_roads, len(ways))
    if rejected:
        counts = Counter(r["message"].rsplit("(", 1)[-1].rstrip(")") for r in rejected)
        logger.warning("%s: %d roads left out, as osmnx's %s filters leave them out: %s", path.name,
                       len(rejected), "/".join(types), ", ".join(f"{k} ({n})" for k, n in counts.most_common(8)))
    if missing_refs:
        logger.warning("%s: %d node references of road ways are not in the file (a clipped extract); the roads "
                       "are cut there", path.name, missing_refs)
    if not kept:
        raise NetworkError(
            f"{path}: none of the {len(ways)} ways is a road usable for {'/'.join(types)} ({not_roads} without a "
            f"'highway' tag, {len(rejected)} roads excluded: private, area=yes, under construction...); nothing "
            "to build a road network from / OSM 文件中没有可通行的道路")
    used = {ref for way in kept for ref in way["nodes"]}
    response = {"elements": [nodes[n] for n in used] + kept}
    bidirectional = network_type in ox.settings.bidirectional_network_types
    try:
        G = ox_graph._create_graph([response], bidirectional)
    except Exception as exc:  # malformed coordinates and the like
        raise FileReadError(f"{path}: cannot build a road network from this OpenStreetMap file "
                            f"({type(exc).__name__}: {exc})") from exc
    for _, _, d in G.edges(data=True):
        d["osmid"] = piece_of.get(d["osmid"], d["osmid"])
        if network_type is None:
            d[NETWORK_TYPES_ATTR] = types_of_way[d["osmid"]]
    if not retain_all:
        G = ox.truncate.largest_component(G, strongly=False)
    if simplify:
        G = ox.simplify_graph(G, edge_attrs_differ=[NETWORK_TYPES_ATTR] if network_type is None else None)
    G = _split_rings(G)
    G.graph["crs"] = "EPSG:4326"  # osmnx writes "epsg:4326"
    G.graph["source"] = f"OpenStreetMap file {path.name}"
    G.graph["rejected_roads"] = rejected
    _check_graph(G, str(path))
    logger.info("%s: %d road ways -> %d nodes, %d edges (%d ways not roads, %d roads left out)", path.name,
                len(types_of_way), len(G), G.number_of_edges(), not_roads, len(rejected))
    return G


def graph_from_pbf(path: str | os.PathLike[str], *, network_type: str = "all") -> nx.MultiDiGraph:
    """Read an OpenStreetMap ``.osm.pbf`` extract with pyrosm.

    Oneway ways (``oneway=yes/-1``) become single directed edges; other ways two.

    Parameters
    ----------
    path
        The extract.
    network_type
        pyrosm network type ("all", "driving", "walking", "cycling").

    Raises
    ------
    FileReadError
        The file is missing or unreadable.
    NetworkError
        The extract holds no roads.
    """
    import pyrosm

    path = _existing(path)
    try:
        osm = pyrosm.OSM(str(path))
        got = osm.get_network(nodes=True, network_type=network_type)
    except Exception as exc:
        raise FileReadError(f"{path}: cannot read it as an OpenStreetMap PBF extract ({exc})") from exc
    if got is None:
        raise NetworkError(f"{path}: the extract contains no roads of network type '{network_type}'")
    nodes, edges = got
    edges = edges[edges["highway"].notna()]
    types = _pbf_network_types(edges)
    rejected_rows = types == ""
    rejected = [{"way": int(w), "column": "highway", "value": h,
                 "message": "not a road for walk/bike/drive in osmnx's filters"}
                for w, h in zip(edges.loc[rejected_rows, "id"], edges.loc[rejected_rows, "highway"], strict=True)]
    if rejected:
        logger.warning("%s: %d road segments left out, as osmnx's walk/bike/drive filters leave them out (private "
                       "access, area=yes ...)", path.name, len(rejected))
    edges = edges.assign(_types=types)[~rejected_rows]
    if edges.empty:
        raise NetworkError(f"{path}: the extract has no road usable for walk/bike/drive (private roads, areas ...)")
    nodes = nodes.drop_duplicates("id").set_index("id")
    G = nx.MultiDiGraph(crs="EPSG:4326", source=f"OpenStreetMap file {path.name}")
    used = pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    xy = nodes.loc[used, ["lon", "lat"]].to_numpy(dtype=float)
    G.add_nodes_from((int(n), {"x": float(x), "y": float(y)}) for n, (x, y) in zip(used, xy, strict=True))
    oneway = edges["oneway"].astype(str).str.lower().to_numpy() if "oneway" in edges else np.full(len(edges), "")
    maxspeed = edges["maxspeed"].to_numpy() if "maxspeed" in edges else np.full(len(edges), None)
    for u, v, hw, length, ms, ow, geom, osmid, nets in zip(
            edges["u"].to_numpy(), edges["v"].to_numpy(), edges["highway"].to_numpy(),
            edges["length"].to_numpy(dtype=float), maxspeed, oneway, edges.geometry.to_numpy(),
            edges["id"].to_numpy(), edges["_types"].to_numpy(), strict=True):
        attrs = {"osmid": int(osmid), "highway": hw, "length": float(length), "geometry": geom,
                 "oneway": ow in _TRUE or ow in _REVERSE, NETWORK_TYPES_ATTR: nets}
        if ms is not None and not (isinstance(ms, float) and math.isnan(ms)):
            attrs["maxspeed"] = ms
        if ow in _REVERSE:
            G.add_edge(int(v), int(u), **{**attrs, "geometry": shapely.reverse(geom), "reversed": True})
            continue
        G.add_edge(int(u), int(v), **attrs, reversed=False)
        if ow not in _TRUE:
            G.add_edge(int(v), int(u), **{**attrs, "geometry": shapely.reverse(geom), "reversed": True})
    G.graph["rejected_roads"] = rejected
    G = _split_rings(G)
    _check_graph(G, str(path))
    logger.info("%s: %d nodes, %d edges", path.name, len(G), G.number_of_edges())
    return G


def _pbf_network_types(edges: pd.DataFrame) -> npt.NDArray[np.object_]:
    """The osmnx network types (``"walk,bike,drive"``, ``""`` for none) of each pyrosm edge, from its tag
    columns and its ``tags`` JSON (tags without a column of their own)."""
    import osmnx as ox

    access = str(ox.settings.default_access)
    keys = sorted({key for t in OSM_NETWORK_TYPES for key, _, _ in _osm_way_filter(t, access)})
    extra = edges["tags"] if "tags" in edges.columns else pd.Series([None] * len(edges), index=edges.index)
    table = pd.DataFrame({k: edges[k] if k in edges.columns else pd.Series(None, index=edges.index, dtype=object)
                          for k in keys})
    missing = [k for k in keys if k not in edges.columns]
    if missing:
        def from_json(text: object) -> list[object]:
            if not isinstance(text, str) or not any(k in text for k in missing):
                return [None] * len(missing)
            try:
                tags = json.loads(text)
            except ValueError:
                return [None] * len(missing)
            return [tags.get(k) for k in missing]

        table[missing] = pd.DataFrame(extra.map(from_json).tolist(), index=edges.index, columns=missing)
    table = table.astype(object).where(table.notna(), None)
    inverse, combos = pd.factorize(pd.Series([repr(r) for r in table.itertuples(index=False, name=None)]))
    first = pd.Series(np.arange(len(inverse))).groupby(inverse).first().to_numpy()
    types = np.empty(len(combos), dtype=object)
    for code, row in enumerate(first):
        tags = {k: str(v) for k, v in zip(keys, table.iloc[int(row)], strict=True) if v is not None}
        types[code] = ",".join(osm_way_network_types(tags))
    return types[inverse]


# ---------------------------------------------------------------- road-lines layers
def _find_column(columns: Sequence[str], wanted: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for name in wanted:
        if name.lower() in lower:
            return str(lower[name.lower()])
    return None


def graph_from_road_layer(source: Any, *, class_column: str | None = None, oneway_column: str | None = None,
                          maxspeed_column: str | None = None, layer: str | None = None,
                          node_intersections: bool = True, tolerance_m: float = 0.5,
                          strict: bool = False, offset: str | None = None) -> nx.MultiDiGraph:
    """Build a road graph from a road-lines layer with a road-class column.

    Parameters
    ----------
    source
        A GeoPackage / Shapefile / GeoJSON path, or a GeoDataFrame of (Multi)LineStrings with a CRS.
    class_column
        Column holding the road class (国道/省道/县道/乡道/村道, 高速公路, 城市道路..., an OSM class such as
        ``primary``, or a route number such as G213 / X105).  Default: the first of
        :data:`CLASS_COLUMNS` present.
    oneway_column
        Optional column marking one-way roads (yes/1/是 = in drawing direction, -1 = against it).
    maxspeed_column
        Optional column of speed limits (km/h).
    layer
        Layer inside a multi-layer file (GeoPackage), e.g. "roads".
    node_intersections
        Split lines where they cross or touch (True), or connect them at shared end points only (False:
        for layers already noded at junctions, where crossings without a junction are bridges).
    tolerance_m
        End points closer than this (metres) are the same node.
    strict
        Raise on an unknown road class instead of leaving those roads out.
    offset
        ``"gcj02"`` or ``"bd09"``: the layer's longitudes/latitudes are GCJ-02 (Amap, Tencent) or BD-09
        (Baidu) although its CRS says WGS-84; they are converted to WGS-84 first.

    Returns
    -------
    networkx.MultiDiGraph
        EPSG:4326; edges carry ``highway`` (OSM class), ``road_class`` (as written in the layer), ``length``
        (metres, geodesic on the WGS-84 ellipsoid as osmnx measures it), ``geometry``, ``oneway``,
        ``maxspeed`` when given.  ``G.graph["rejected_roads"]`` lists the
        roads left out (row, value, reason).

    Raises
    ------
    CRSError
        The layer has no CRS.
    MissingColumnError
        No road-class column.
    UnknownCategoryError
        ``strict=True`` and a road class is unknown (the message lists the known classes).
    NetworkError
        No usable road lines.

    Notes
    -----
    Edge lengths are measured on the WGS-84 ellipsoid (:class:`pyproj.Geod`, vertex to vertex), like osmnx
    and the demo networks, not in the UTM zone used for noding (up to 0.1 % too long far from the zone's
    central meridian).  A length column of the layer itself is not used: its unit and the projection it was
    measured in are rarely documented, and it belongs to the whole line, not to the pieces the line is
    split into at junctions.
    """
    import geopandas as gpd

    layer_name = layer
    if isinstance(source, gpd.GeoDataFrame):
        name = "road layer"
        layer = source
    else:
        path = _existing(source)
        _not_empty(path)
        kwargs: dict[str, Any] = {"layer": layer_name} if layer_name else {}
        encoding = _shapefile_encoding(path)
        if encoding:
            kwargs["encoding"] = encoding
        try:
            layer = gpd.read_file(path, **kwargs)
        except Exception as exc:  # pyogrio DataSourceError / DataLayerError, fiona errors, zip errors
            raise FileReadError(f"{path}: cannot read it as a GIS layer ({type(exc).__name__}: {exc}); a road "
                                "layer is a GeoPackage, Shapefile (.shp with its .shx/.dbf/.prj, or a .zip of "
                                "them) or GeoJSON of lines") from exc
        name = path.name if not layer_name else f"{path.name} (layer {layer_name})"
        if not isinstance(layer, gpd.GeoDataFrame) or layer.geometry.name not in layer.columns:
            raise FileReadError(f"{name}: the file holds a table without geometries, not a road layer")
    if len(layer) == 0:
        raise NetworkError(f"{name}: the road layer has no features (0 roads); nothing to build a network from / 道路图层为空")
    if layer.crs is None:
        raise CRSError(f"{name}: the road layer has no coordinate reference system (a Shapefile without its .prj?); "
                       "set it, e.g. gdf.set_crs('EPSG:4490') for CGCS2000 or 'EPSG:4326' for WGS-84")
    col = class_column or _find_column(list(layer.columns), CLASS_COLUMNS)
    if col is None or col not in layer.columns:
        raise MissingColumnError(
            f"{name}: no road-class column{f' {class_column!r}' if class_column else ''}; columns are "
            f"{[c for c in layer.columns if c != layer.geometry.name]}. Name it with class_column=... "
            f"(values such as 国道, 县道, 村道, primary)")
    _check_line_geometries(layer, name)
    ow_col = oneway_column or _find_column(list(layer.columns), ONEWAY_COLUMNS)
    ms_col = maxspeed_column or _find_column(list(layer.columns), MAXSPEED_COLUMNS)
    layer = layer.reset_index(drop=True)
    layer["_row"] = np.arange(len(layer)) + (2 if name.lower().endswith((".csv", ".xlsx")) else 1)

    # road classes: map each distinct value once, collect the unknown ones
    rejected: list[dict[str, Any]] = []
    classes: dict[Any, str | None] = {}
    for value in pd.unique(layer[col]):
        if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
            classes[value] = None
            continue
        try:
            classes[value] = road_class(value)
        except UnknownCategoryError as exc:
            if strict:
                rows = layer.loc[layer[col] == value, "_row"].tolist()[:5]
                raise UnknownCategoryError(f"{name}: rows {rows}, column '{col}': {exc}") from exc
            classes[value] = None
    osm_class = layer[col].map(lambda v: classes.get(v))
    bad = osm_class.isna()
    if bad.all():
        values = sorted({str(v) for v in layer[col] if classes.get(v) is None and str(v).strip() not in ("", "nan",
                                                                                                       "None")})
        known = "、".join(t.zh for t in ROAD_CLASSES.values())
        what = (f"values {', '.join(values[:8])}{' ...' if len(values) > 8 else ''}" if values
                else "the column is empty")
        raise NetworkError(
            f"{name}: none of the {len(layer)} roads has a known road class in column '{col}' ({what}). Known "
            f"classes: {known} (or OSM classes such as primary, track; or route numbers G213, X105). Fill the "
            "column, or name the right one with class_column=... / 道路等级列没有可识别的等级")
    if bad.any():
        bad_values = sorted({str(v) for v in layer.loc[bad, col]})
        known = "、".join(t.zh for t in ROAD_CLASSES.values())
        logger.warning("%s: %d roads with an unknown or empty class in column '%s' were left out (%s). Known "
                       "classes: %s (or OSM classes such as primary, track; or route numbers G213, X105)",
                       name, int(bad.sum()), col, ", ".join(bad_values[:10]), known)
        for row, value in zip(layer.loc[bad, "_row"], layer.loc[bad, col], strict=True):
            rejected.append({"row": int(row), "column": col, "value": value,
                             "message": f"unknown road class '{value}'; known: {known}"})
    layer = layer.assign(_highway=osm_class)[~bad]
    if offset is not None:
        from coverage.inputs import crs as chinese

        convert = {"gcj02": chinese.gcj02_to_wgs84, "bd09": chinese.bd09_to_wgs84}.get(str(offset).lower())
        if convert is None:
            raise ValueError(f"offset must be 'gcj02' or 'bd09', not {offset!r}")
        layer = layer.to_crs("EPSG:4326")
        layer = layer.set_geometry(shapely.transform(
            layer.geometry.to_numpy(), lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))), crs="EPSG:4326")
    no_line = layer.geometry.isna() | layer.geometry.is_empty | ~layer.geom_type.isin(["LineString", "MultiLineString"])
    if no_line.any():
        kinds = layer.loc[no_line].geometry.apply(lambda g: "empty" if g is None or g.is_empty else g.geom_type)
        logger.warning("%s: %d features are not lines (%s) and were left out", name, int(no_line.sum()),
                       ", ".join(f"{k} {n}" for k, n in kinds.value_counts().items()))
        for row, kind in zip(layer.loc[no_line, "_row"], kinds, strict=True):
            rejected.append({"row": int(row), "column": "geometry", "value": kind,
                             "message": f"{kind} geometry, not a road line"})
    layer = layer[~no_line]
    layer = layer.explode(index_parts=False)
    layer = layer[layer.geom_type == "LineString"]
    if layer.empty:
        raise NetworkError(f"{name}: no road lines with a known class; nothing to build a network from")

    # work in metres
    lonlat = layer.to_crs("EPSG:4326")
    c = lonlat.geometry.union_all().centroid if len(lonlat) < 50_000 else lonlat.geometry.iloc[0].centroid
    from coverage.crs import metric_crs_for

    metric = metric_crs_for(np.array([c.x]), np.array([c.y]))
    lines = layer.to_crs(metric)
    geoms = lines.geometry.to_numpy()
    if node_intersections:
        noded = shapely.get_parts(shapely.union_all(geoms))
        noded = noded[shapely.get_type_id(noded) == 1]
        tree = shapely.STRtree(geoms)
        mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        src = tree.query_nearest(mid, all_matches=False)
        owner = np.empty(len(noded), dtype=np.int64)
        owner[src[0]] = src[1]
    else:
        noded = geoms
        owner = np.arange(len(geoms))
    orig = geoms[owner]
    start_at = shapely.line_locate_point(orig, shapely.get_point(noded, 0))
    end_at = shapely.line_locate_point(orig, shapely.get_point(noded, -1))
    flipped = start_at > end_at  # piece drawn against its road's direction
    noded = np.where(flipped, shapely.reverse(noded), noded)
    noded, owner = _split_closed_lines(noded, owner, tolerance_m)

    starts = shapely.get_coordinates(shapely.get_point(noded, 0))
    ends = shapely.get_coordinates(shapely.get_point(noded, -1))
    ends_all = np.vstack([starts, ends])
    keys = np.round(ends_all / tolerance_m).astype(np.int64)
    uniq, node_of = np.unique(keys, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    node_xy_m = np.zeros((len(uniq), 2))
    node_xy_m[node_of] = ends_all
    to_ll = pyproj.Transformer.from_crs(metric, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(node_xy_m[:, 0], node_xy_m[:, 1])
    u = node_of[: len(noded)]
    v = node_of[len(noded):]
    coords, part = shapely.get_coordinates(noded, return_index=True)
    cx, cy = (np.asarray(a, dtype=float) for a in to_ll.transform(coords[:, 0], coords[:, 1]))
    geoms_ll = shapely.linestrings(np.column_stack([cx, cy]), indices=part)
    length_m = geodesic_lengths_m(cx, cy, part, len(noded))

    attrs = lines.iloc[owner]
    hw = attrs["_highway"].to_numpy()
    rc = attrs[col].to_numpy()
    rows = attrs["_row"].to_numpy()
    ow = attrs[ow_col].astype(str).str.strip().str.lower().to_numpy() if ow_col else np.full(len(noded), "")
    ms = attrs[ms_col].to_numpy() if ms_col else np.full(len(noded), None)
    G = nx.MultiDiGraph(crs="EPSG:4326", source=f"road layer {name}", rejected_roads=rejected)
    G.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
    for k in range(len(noded)):
        if u[k] == v[k] or length_m[k] <= 0:
            continue
        data = {"highway": hw[k], "road_class": rc[k], "length": float(length_m[k]), "layer_row": int(rows[k]),
                "oneway": ow[k] in _TRUE or ow[k] in _REVERSE}
        if ms_col and ms[k] is not None and not (isinstance(ms[k], float) and math.isnan(ms[k])):
            data["maxspeed"] = ms[k]
        g = geoms_ll[k]
        if ow[k] in _REVERSE:
            G.add_edge(int(v[k]), int(u[k]), **data, geometry=shapely.reverse(g), reversed=True)
            continue
        G.add_edge(int(u[k]), int(v[k]), **data, geometry=g, reversed=False)
        if ow[k] not in _TRUE:
            G.add_edge(int(v[k]), int(u[k]), **data, geometry=shapely.reverse(g), reversed=True)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    _check_graph(G, name)
    logger.info("%s: %d road lines -> %d nodes, %d edges (%d roads left out)", name, len(layer), len(G),
                G.number_of_edges(), len(rejected))
    return G


def _check_line_geometries(layer: Any, name: str) -> None:
    """Raise :class:`NetworkError` when a layer holds no line at all (points, polygons, empty geometries)."""
    kinds = layer.geom_type.dropna()
    if kinds.isin(["LineString", "MultiLineString"]).any():
        return
    found = ", ".join(f"{k} {n}" for k, n in kinds.value_counts().items()) or "only empty geometries"
    raise NetworkError(f"{name}: the layer holds no lines ({found}); a road network needs (Multi)LineString roads. "
                       "Is this the points or the boundary layer? Choose the roads layer / 该图层不是线状道路图层")


def _split_closed_lines(noded: npt.NDArray[Any], owner: npt.NDArray[np.int64],
                        tolerance_m: float) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Split every closed piece (a loop road meeting the network at one point) in two halves, so that its two
    ends are different nodes; lines in metres."""
    gap = shapely.distance(shapely.get_point(noded, 0), shapely.get_point(noded, -1))
    length = shapely.length(noded)
    closed = np.flatnonzero((gap <= tolerance_m) & (length > 4 * tolerance_m))
    if len(closed) == 0:
        return noded, owner
    from shapely.ops import substring

    halves = [substring(noded[i], start, end, normalized=True) for i in closed for start, end in ((0, .5), (.5, 1))]
    keep = np.ones(len(noded), dtype=bool)
    keep[closed] = False
    logger.info("%d closed loop roads split in two so that they can be routed on", len(closed))
    return (np.concatenate([noded[keep], np.array(halves, dtype=object)]),
            np.concatenate([owner[keep], np.repeat(owner[closed], 2)]))


def _shapefile_encoding(path: Path) -> str | None:
    """Encoding of a Shapefile's .dbf (also inside a .zip) that has no .cpg: UTF-8 when a sample of its field
    names and first records decodes as UTF-8, else GB18030 (GBK, as Chinese GIS software writes it).
    None when there is a .cpg (GDAL reads it) or no .dbf."""
    import zipfile

    lower = path.name.lower()
    if lower.endswith(".shp"):
        if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
            return None
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        if dbf is None:
            return None
        with open(dbf, "rb") as f:
            return _dbf_sample_encoding(f)
    if lower.endswith(".zip") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            for member in names:
                if member.endswith(".shp"):
                    stem = member[:-4]
                    if stem + ".cpg" in names or stem + ".dbf" not in names:
                        return None
                    with zf.open(names[stem + ".dbf"]) as f:
                        return _dbf_sample_encoding(f)
    return None


#: How many bytes of .dbf records are read to guess their encoding.
DBF_SAMPLE_BYTES = 1 << 20


def _dbf_sample_encoding(f: Any) -> str:
    """UTF-8 or GB18030 for an open .dbf: decodes the field names and whole records within the first
    :data:`DBF_SAMPLE_BYTES` (never the whole file; the binary parts of the header are skipped)."""
    head = f.read(32)
    if len(head) < 32:
        return "utf-8"
    header_len = int.from_bytes(head[8:10], "little")
    record_len = max(1, int.from_bytes(head[10:12], "little"))
    descriptors = f.read(max(0, header_len - 32))
    names = b"".join(descriptors[i:i + 11].split(b"\x00", 1)[0]
                     for i in range(0, len(descriptors) - 31, 32) if descriptors[i:i + 1] != b"\r")
    records = f.read(max(record_len, DBF_SAMPLE_BYTES // record_len * record_len))
    records = records[: len(records) // record_len * record_len]
    for encoding in ("utf-8", "gb18030"):
        try:
            (names + records).decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "gb18030"  # undecodable bytes either way: GBK is what Chinese GIS software writes


def geodesic_lengths_m(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], part: npt.NDArray[np.int64],
                       n_lines: int) -> npt.NDArray[np.float64]:
    """Lengths (metres) of lines on the WGS-84 ellipsoid, as osmnx measures edges.

    Parameters
    ----------
    lon, lat
        Vertex longitudes and latitudes (degrees) of all lines, one line after the other.
    part
        Line index of each vertex (non-decreasing, as :func:`shapely.get_coordinates` returns it).
    n_lines
        Number of lines (lines without vertices get 0).

    Returns
    -------
    numpy.ndarray
        Sum of the geodesic distances between consecutive vertices of each line, metres.
    """
    same = part[1:] == part[:-1]
    _, _, step_m = pyproj.Geod(ellps="WGS84").inv(lon[:-1][same], lat[:-1][same], lon[1:][same], lat[1:][same])
    return np.bincount(part[1:][same], weights=np.asarray(step_m, dtype=float), minlength=n_lines)


# ---------------------------------------------------------------- dispatch
def load_graph(source: Any, **options: Any) -> nx.MultiDiGraph:
    """A road graph from whatever names it.

    Parameters
    ----------
    source
        - a ``networkx.MultiDiGraph``: returned as is;
        - ``"demo:yuxi"`` / ``"demo:dali"``: the demo region's network (:mod:`coverage.demo`);
        - ``"osm:<place name>"``: download from OpenStreetMap (cached), see :func:`download_osm_graph`;
        - a path: ``.graphml``; ``.osm`` / ``.osm.bz2``; ``.osm.pbf``; ``.gpkg`` / ``.shp`` / ``.geojson``
          road layer; a GeoDataFrame of road lines is taken as a road layer.
    **options
        Passed to the reader (e.g. ``class_column=`` for a road layer, ``cache_dir=`` for a download,
        ``network_type=`` for an OSM file, ``crs=`` for a GraphML file without a ``crs`` attribute).

    Raises
    ------
    FileReadError
        The file does not exist, is empty, cannot be parsed or its kind is unknown.
    CRSError
        A GraphML file or road layer without a coordinate system.
    NetworkError
        The file holds no usable road network (no roads, no edges, only self-loops, bad lengths).
    """
    if isinstance(source, nx.MultiDiGraph):
        return source
    if hasattr(source, "geometry") and hasattr(source, "crs"):
        return graph_from_road_layer(source, **options)
    text = str(source)
    if text.startswith("demo:"):
        from coverage.demo import load_demo

        G = load_demo(text.split(":", 1)[1].strip()).graph()
        return G
    if text.startswith("osm:"):
        return download_osm_graph(place=text.split(":", 1)[1].strip(), **options)
    path = _existing(source)
    lower = path.name.lower()
    if lower.endswith(".graphml"):
        return graph_from_graphml(path, crs=options.get("crs"))
    if lower.endswith(".pbf"):
        return graph_from_pbf(path, **options)
    if lower.endswith(OSM_SUFFIXES):
        return graph_from_osm_file(path, **options)
    if lower.endswith(LAYER_SUFFIXES):
        return graph_from_road_layer(path, **options)
    raise FileReadError(f"{path}: unknown kind of road network file; use .graphml, .osm, .osm.bz2, .osm.pbf, "
                        f".gpkg, .shp or .geojson")


def graph_from_graphml(path: str | os.PathLike[str], *, crs: Any = None) -> nx.MultiDiGraph:
    """Read a road network saved as GraphML (``osmnx.save_graphml``, ``networkx.write_graphml``, QGIS...).

    Attribute values are converted as osmnx converts them (``x``/``y``/``length`` numbers, ``oneway``
    true/false, stringified lists, ``geometry`` as WKT); typed GraphML (numbers stored as numbers, as
    networkx writes them) reads too.  An undirected graph becomes two directed edges per road.  A graph in
    a projected CRS is converted to longitude/latitude (EPSG:4326).

    Parameters
    ----------
    path
        The ``.graphml`` file.
    crs
        Coordinate system of the nodes' ``x``/``y`` when the file does not say (no ``crs`` graph
        attribute), e.g. ``"EPSG:4326"``; it must agree with the file's when both are given.

    Returns
    -------
    networkx.MultiDiGraph
        EPSG:4326.

    Raises
    ------
    FileReadError
        The file is missing, empty or not GraphML, or an attribute cannot be read.
    CRSError
        Neither the file nor ``crs`` gives the coordinate system, it is not a valid CRS, or they disagree.
    NetworkError
        No edges, only self-loops, a node without coordinates, or an edge length that is negative,
        infinite or not a number (the message names the edge).

    Example
    -------
    >>> G = graph_from_graphml("roads.graphml", crs="EPSG:4326")  # doctest: +SKIP
    """
    from xml.etree.ElementTree import ParseError

    path = _existing(path)
    _not_empty(path)
    try:
        try:
            G = nx.read_graphml(path, node_type=int, force_multigraph=True)
        except ValueError:  # node ids that are not integers (a GraphML not written by osmnx)
            G = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except (ParseError, nx.NetworkXError, ValueError, KeyError, TypeError, UnicodeError, OSError) as exc:
        raise FileReadError(f"{path}: cannot read it as a GraphML road network ({type(exc).__name__}: {exc}); is "
                            "the file complete? Save it again, e.g. with osmnx.save_graphml") from exc
    if not G.is_directed():
        logger.info("%s: undirected GraphML; every edge is usable in both directions", path.name)
        G = nx.MultiDiGraph(G)
    if G.number_of_edges() == 0:
        _check_graph(G, str(path))
    G.graph.pop("node_default", None)
    G.graph.pop("edge_default", None)
    for key in ("simplified", "consolidated"):
        if key in G.graph:
            G.graph[key] = _to_bool(G.graph[key])
    bad_xy = []
    for n, d in G.nodes(data=True):
        for attr, value in list(d.items()):
            d[attr] = _literal(value)
        for attr in ("x", "y"):
            d[attr] = _to_float(d.get(attr))
        if not (math.isfinite(d["x"]) and math.isfinite(d["y"])):
            bad_xy.append(n)
        for attr in ("osmid", "street_count"):
            if attr in d:
                d[attr] = _to_int(d[attr])
    if bad_xy:
        raise NetworkError(f"{path}: {len(bad_xy)} node(s) have no numeric x/y coordinates, e.g. node {bad_xy[0]!r}; "
                           "every node needs x (longitude) and y (latitude)")
    for u, v, d in G.edges(data=True):
        d.pop("id", None)
        for attr, value in list(d.items()):
            d[attr] = _literal(value)
        if "length" in d:  # checked by _check_graph, which names the edge and its value as written
            number = _to_float(d["length"])
            if not math.isnan(number) or str(d["length"]).strip().lower() == "nan":
                d["length"] = number
        for attr in ("oneway", "reversed"):
            if attr in d:
                d[attr] = _to_bool(d[attr])
        for attr in ("speed_kph", "travel_time", "bearing", "grade", "grade_abs"):
            if attr in d:
                d[attr] = _to_float(d[attr])
        if isinstance(d.get("geometry"), str):
            try:
                d["geometry"] = shapely.from_wkt(d["geometry"])
            except ShapelyError as exc:
                raise FileReadError(f"{path}: edge ({u!r}, {v!r}): geometry {d['geometry'][:60]!r} is not WKT "
                                    f"({exc}); delete the attribute or write it as LINESTRING (x y, ...)") from exc
    G = _with_crs(G, path, crs)
    G = _drop_non_roads(G, path)
    G = _split_rings(G)
    G.graph.setdefault("source", f"GraphML {path.name}")
    _check_graph(G, str(path))
    return G


def _with_crs(G: nx.MultiDiGraph, path: Path, crs: Any) -> nx.MultiDiGraph:
    """Set or check the graph's CRS; a projected graph is converted to EPSG:4326 (osmnx.project_graph)."""
    stated = G.graph.get("crs")
    if isinstance(stated, float) and math.isnan(stated):
        stated = None
    if stated is None and crs is None:
        raise CRSError(
            f"{path}: the graph has no 'crs' attribute, so its node x/y coordinates cannot be placed on the map. "
            "Say which system they are in: load_graph(path, crs='EPSG:4326') for longitude/latitude (or the "
            "EPSG code of the projection), or add <data key=\"crs\">EPSG:4326</data> to the <graph> element "
            "(osmnx.save_graphml writes it) / 路网文件未注明坐标系，请用 crs= 指定")
    try:
        chosen = pyproj.CRS.from_user_input(crs if crs is not None else stated)
        if stated is not None and crs is not None and pyproj.CRS.from_user_input(stated) != chosen:
            raise CRSError(f"{path}: the graph says its crs is {stated!r} but crs={crs!r} was given; remove one")
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"{path}: {crs if crs is not None else stated!r} is not a coordinate reference system "
                       f"({exc}); use an EPSG code such as 'EPSG:4326'") from exc
    G.graph["crs"] = chosen.to_string() if crs is not None or not isinstance(stated, str) else stated
    if chosen.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
        return G
    import osmnx as ox

    logger.info("%s: nodes in %s converted to EPSG:4326", path.name, chosen.to_string())
    H = ox.projection.project_graph(G, to_crs="EPSG:4326")
    H.graph["crs"] = "EPSG:4326"
    return H


def _drop_non_roads(G: nx.MultiDiGraph, path: Path) -> nx.MultiDiGraph:
    """Remove edges of an OSM-derived graph that are no roads: no ``highway`` tag while others have one
    (``osmnx.graph_from_xml`` keeps building outlines and land use), or ``area=yes``."""
    tagged = [("highway" in d) for _, _, d in G.edges(data=True)]
    if not any(tagged):
        return G
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
            if "highway" not in d or "yes" in _as_list(d.get("area"))]
    if drop:
        logger.warning("%s: %d of %d edges are not roads (no 'highway' tag, or area=yes: buildings, land use); left "
                       "out", path.name, len(drop), G.number_of_edges())
        G.remove_edges_from(drop)
        G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(x) for x in value] if isinstance(value, (list, tuple, set)) else [str(value)]


def _literal(value: object) -> object:
    """A stringified list / dict as osmnx writes them (``"['primary', 'secondary']"``) back to the object."""
    import ast

    if isinstance(value, str) and len(value) > 1 and (value[0], value[-1]) in (("[", "]"), ("{", "}")):
        try:
            return ast.literal_eval(value)
        except (SyntaxError, ValueError):
            return value
    return value


def _to_float(value: object) -> float:
    if isinstance(value, (list, tuple)):  # osmnx keeps one length per edge; a list is not a length
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _to_int(value: object) -> object:
    if isinstance(value, list):
        return [_to_int(x) for x in value]
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return value


def _to_bool(value: object) -> object:
    if isinstance(value, list):
        return [_to_bool(x) for x in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "t", "y"):
        return True
    if text in ("false", "no", "0", "f", "n", ""):
        return False
    return value


def _split_rings(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Split every self-loop edge with a geometry (a loop road whose start and end is one junction) at its
    middle vertex into two edges through a new node, so it can be snapped to and routed on.

    Self-loops without a geometry of at least three vertices (nowhere to split) stay as they are; the
    travel-time engine ignores them.
    """
    loops = [(u, k, d) for u, v, k, d in G.edges(keys=True, data=True) if u == v]
    if not loops:
        return G
    ints = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in G.nodes)
    next_id = (int(max(G.nodes)) + 1) if ints else 0
    geod = pyproj.Geod(ellps="WGS84")
    mids: dict[tuple[Any, float, float], Any] = {}
    n_split = 0
    for u, k, d in loops:
        geom = d.get("geometry")
        if not isinstance(geom, shapely.LineString):
            continue
        coords = shapely.get_coordinates(geom)
        if len(coords) < 3:
            continue
        _, _, step_m = geod.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        cum = np.concatenate([[0.0], np.cumsum(step_m)])
        total = float(cum[-1])
        if not total > 0:
            continue
        i = int(np.argmin(np.abs(cum[1:-1] - total / 2))) + 1  # an interior vertex
        key = (u, round(float(coords[i, 0]), 7), round(float(coords[i, 1]), 7))
        mid = mids.get(key)
        if mid is None:
            while not ints and f"{u}~ring{next_id}" in G:
                next_id += 1
            mid = next_id if ints else f"{u}~ring{next_id}"
            next_id += 1
            mids[key] = mid
            G.add_node(mid, x=float(coords[i, 0]), y=float(coords[i, 1]), street_count=2)
        length = _to_float(d.get("length"))
        share = float(cum[i]) / total
        first_m, second_m = ((length * share, length * (1 - share)) if math.isfinite(length)
                             else (float(cum[i]), total - float(cum[i])))
        G.remove_edge(u, u, k)
        G.add_edge(u, mid, **{**d, "geometry": shapely.LineString(coords[: i + 1]), "length": first_m})
        G.add_edge(mid, u, **{**d, "geometry": shapely.LineString(coords[i:]), "length": second_m})
        n_split += 1
    if n_split:
        logger.info("%d loop roads that start and end at one junction split in two at their middle vertex", n_split)
    return G


def _check_graph(G: nx.MultiDiGraph, name: str) -> None:
    """Raise :class:`NetworkError` (naming ``name``) when a road graph cannot be travelled on or is wrong."""
    n_edges = G.number_of_edges()
    if n_edges == 0:
        raise NetworkError(f"{name}: the road network has no edges ({len(G)} nodes): nothing to travel on. Use a "
                           "network that covers the study area / 路网没有路段")
    bad = []
    for u, v, d in G.edges(data=True):
        if "length" in d:
            length = _to_float(d["length"])
            if not (math.isfinite(length) and length >= 0):
                bad.append((u, v, d["length"]))
    if bad:
        listed = ", ".join(f"({u!r}, {v!r}) length {x!r}" for u, v, x in bad[:5])
        raise NetworkError(
            f"{name}: {len(bad)} road edge(s) have a negative, infinite or non-numeric length, e.g. edge {listed}. "
            "Edge lengths must be metres >= 0: fix or delete these edges (or remove their 'length' attribute to "
            "have them measured on the geometry) / 路段长度为负数、无穷大或不是数字，请修改或删除这些路段")
    n_loops = nx.number_of_selfloops(G)
    if n_loops == n_edges:
        raise NetworkError(f"{name}: all {n_edges} edges are self-loops (start node = end node) without a shape to "
                           "split them at, so no road leads anywhere; the file's edges need distinct start and end "
                           "nodes / 路网只有首尾相同的自环路段，无法通行")


def _not_empty(path: Path) -> None:
    if path.is_file() and path.stat().st_size == 0:
        raise FileReadError(f"{path}: the file is empty (0 bytes); export the road network again / 路网文件为空，请重新导出")


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileReadError(f"{p}: file not found")
    return p
