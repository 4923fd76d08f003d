"""Road networks saved as GraphML (osmnx, networkx, QGIS), attributes converted as osmnx converts them."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely
from shapely.errors import ShapelyError

from coverage.errors import CRSError, FileReadError, NetworkError
from coverage.network.sources.common import _check_graph, _existing, _not_empty, _split_rings, _to_float

logger = logging.getLogger(__name__)

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
