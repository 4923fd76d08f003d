"""Local OpenStreetMap files: ``.osm`` / ``.osm.bz2`` XML (osmnx) and ``.osm.pbf`` extracts (pyrosm)."""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.errors import FileReadError, NetworkError
from coverage.network.modes import NETWORK_TYPES_ATTR, OSM_NETWORK_TYPES
from coverage.network.sources.common import _REVERSE, _TRUE, _check_graph, _existing, _not_empty, _split_rings
from coverage.network.sources.osm_filters import _failed_clause, _osm_way_filter, osm_way_network_types

logger = logging.getLogger(__name__)

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
