"""What every road-network source shares: file checks, the checks of the built graph, loop-road
splitting and the values that mark a oneway road."""

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

from coverage.errors import FileReadError, NetworkError

logger = logging.getLogger(__name__)

#: Values of a oneway column or tag that mean "one way, drawn direction" / "one way, reversed".
_TRUE = {"yes", "true", "1", "y", "t", "是", "单行", "单向", "正向"}
_REVERSE = {"-1", "reverse", "反向"}


def _to_float(value: object) -> float:
    if isinstance(value, (list, tuple)):  # osmnx keeps one length per edge; a list is not a length
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


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
        raise FileReadError(f"{path}: the file is empty (0 bytes); export the road network again"
                            " / 路网文件为空，请重新导出")


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileReadError(f"{p}: file not found")
    return p
