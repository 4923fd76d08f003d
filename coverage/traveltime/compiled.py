"""A road graph compiled for one travel mode: CSR travel times, node coordinates and road segments in metres.

:func:`compile_graph` reads an osmnx-style ``networkx.MultiDiGraph`` in one pass over its adjacency dicts;
:func:`compile_arrays` does all the work on edge arrays (numpy / pandas, no per-edge Python): speeds per
distinct (highway, maxspeed), the mode's OSM network filter, parallel edges reduced to the fastest, one
*segment* (geometry, time each way) per physical road piece, and the compressed sparse row matrices that
:func:`scipy.sparse.csgraph.dijkstra` searches.  The result, :class:`CompiledNetwork`, is frozen and
picklable; :mod:`coverage.traveltime.store` saves it to disk and loads it back.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from coverage.crs import metric_crs_for
from coverage.errors import CRSError, MissingColumnError, NetworkError
from coverage.network.modes import NETWORK_TYPES_ATTR, TravelMode

__all__ = ["CompiledNetwork", "check_lengths", "compile_arrays", "compile_frames", "compile_graph", "csr_min"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Per-edge values: an object array (as the compilers build them) or a plain sequence.
Values = npt.NDArray[Any] | Sequence[object]


@dataclass(frozen=True, eq=False)
class CompiledNetwork:
    """A road network ready for shortest-path searches by one travel mode.

    Node ``i`` of the matrices is ``node_ids[i]``.  A *segment* is one physical road piece between nodes
    ``seg_a`` and ``seg_b`` (``seg_a < seg_b``; parallel directed edges merged), with its geometry running
    from a to b and the fastest time each way (NaN where the mode may not go that way).

    Attributes
    ----------
    mode
        The travel mode whose speeds give the times.
    crs
        CRS of the graph's coordinates.
    metric_crs
        CRS in metres used for snapping and areas.
    node_ids
        Graph node ids.
    node_xy_m
        Node coordinates in ``metric_crs`` (n, 2).
    seg_a, seg_b
        End nodes (matrix indices) of each segment.
    seg_time_ab_min, seg_time_ba_min
        Minutes along the segment from a to b / b to a (NaN: closed that way).
    seg_geoms_m
        Segment LineStrings in ``metric_crs``, oriented a -> b.
    seg_length_m
        Length of each segment's geometry, metres.
    csr, csr_rev
        Directed travel times (minutes) between nodes, and the reversed graph.
    min_per_m
        Least minutes per metre of straight-line displacement along any edge: bounds how far a search can
        get within a cutoff, so bounded searches need only nearby roads.
    """

    mode: TravelMode
    crs: pyproj.CRS
    metric_crs: pyproj.CRS
    node_ids: npt.NDArray[Any]
    node_xy_m: FloatArray
    seg_a: IntArray
    seg_b: IntArray
    seg_time_ab_min: FloatArray
    seg_time_ba_min: FloatArray
    seg_geoms_m: npt.NDArray[Any]
    seg_length_m: FloatArray
    csr: sp.csr_matrix
    csr_rev: sp.csr_matrix
    min_per_m: float
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return int(self.csr.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges the mode can use (parallel edges counted once)."""
        return int(self.csr.nnz)

    @property
    def n_segments(self) -> int:
        """Number of road segments."""
        return len(self.seg_a)

    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the segments (metric CRS), built on first use."""
        tree = self._cache.get("tree")
        if tree is None:
            tree = shapely.STRtree(self.seg_geoms_m, node_capacity=4)  # small nodes: 3x faster nearest
            self._cache["tree"] = tree
        return tree

    def __getstate__(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "_cache"}
        state["crs"] = self.crs.to_wkt()
        state["metric_crs"] = self.metric_crs.to_wkt()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["crs"] = pyproj.CRS.from_wkt(state["crs"])
        state["metric_crs"] = pyproj.CRS.from_wkt(state["metric_crs"])
        state["_cache"] = {}
        for k, v in state.items():
            object.__setattr__(self, k, v)


# ---------------------------------------------------------------------------------------------- entry points
def compile_graph(G: nx.MultiDiGraph, mode: TravelMode, *, metric_crs: Any = None) -> CompiledNetwork:
    """Compile an osmnx-style graph (see :class:`~coverage.traveltime.TravelTimeEngine` for what it holds).

    Raises
    ------
    NetworkError
        Empty graph, a node without x/y, a bad ``length``, or no edge the mode can use.
    CRSError
        The graph has no CRS.
    """
    nodes = G._node  # the adjacency dicts themselves: one pass, no per-edge view objects
    if len(nodes) == 0:
        raise NetworkError("the road graph is empty (no nodes); load a network that covers the study area")
    crs = G.graph.get("crs")
    id_list = list(nodes)
    node_ids = np.empty(len(id_list), dtype=object)
    node_ids[:] = id_list
    node_xy = _edge_attributes(list(nodes.values()), ["x", "y"])
    x, y = _floats(node_xy["x"]), _floats(node_xy["y"])
    position = pd.Index(id_list)
    adj = G._adj
    if G.is_directed() and list(adj) == id_list:
        # successors of node i are adj's i-th dict (networkx adds a node to _node and _adj together)
        vs = [v for nbrs in adj.values() for v in nbrs]
        pairs_per_node = np.fromiter(map(len, adj.values()), dtype=np.int64, count=len(adj))
        if G.is_multigraph():
            keydicts = [kd for nbrs in adj.values() for kd in nbrs.values()]
            data = [d for kd in keydicts for d in kd.values()]
            per_pair = np.fromiter(map(len, keydicts), dtype=np.int64, count=len(keydicts))
        else:
            data = [d for nbrs in adj.values() for d in nbrs.values()]
            per_pair = np.ones(len(vs), dtype=np.int64)
        u = np.repeat(np.repeat(np.arange(len(id_list), dtype=np.int64), pairs_per_node), per_pair)
        v = np.repeat(_positions(position, vs), per_pair)
    else:  # undirected (each edge once, as networkx lists it) or an unusual graph class
        edges = list(G.edges(data=True))
        u = _positions(position, [e[0] for e in edges])
        v = _positions(position, [e[1] for e in edges])
        data = [e[2] for e in edges]
    if len(data) == 0:
        raise NetworkError(f"the road graph has no edges ({len(nodes)} nodes): nothing to travel on; "
                           "load a network that covers the study area")
    if crs is None:
        raise CRSError("the road graph has no CRS (G.graph['crs']); set it, e.g. G.graph['crs'] = 'EPSG:4326'")
    bad_xy = np.isnan(x) | np.isnan(y)
    if bad_xy.any():
        raise NetworkError(f"road graph node {node_ids[int(np.flatnonzero(bad_xy)[0])]!r} has no x/y coordinates; "
                           "every node needs x and y")
    attrs = _edge_attributes(data, ["length", "highway", "maxspeed", "geometry", NETWORK_TYPES_ATTR])
    length = _floats(attrs["length"])
    given = attrs["length"] != None  # noqa: E711 - elementwise: None is an absent length
    unsure = np.flatnonzero(np.isnan(length))  # NaN: given so (bad), not a number (bad) or absent (measure it)
    if len(unsure):
        given[unsure] = [data[i].get("length") is not None for i in unsure.tolist()]
    check_lengths(length, given, node_ids[u], node_ids[v], G.graph.get("source"))
    networks = attrs[NETWORK_TYPES_ATTR]
    return compile_arrays(
        mode, node_ids, x, y, pyproj.CRS.from_user_input(crs), u, v, length,
        highway=attrs["highway"], maxspeed=attrs["maxspeed"], geometry=attrs["geometry"],
        networks=networks if (networks != None).any() else None, metric_crs=metric_crs,  # noqa: E711
    )


def compile_frames(nodes: pd.DataFrame, edges: pd.DataFrame, mode: TravelMode, *, crs: Any = None,
                   metric_crs: Any = None) -> CompiledNetwork:
    """Compile node and edge tables (as ``osmnx.graph_to_gdfs`` returns them), without a networkx graph.

    Raises
    ------
    CRSError, MissingColumnError, NetworkError
        No CRS, no ``u``/``v``, edges naming absent nodes, bad lengths.
    """
    crs = crs if crs is not None else getattr(nodes, "crs", None)
    if crs is None:
        raise CRSError("the node table has no CRS; pass crs=..., e.g. crs='EPSG:4326'")
    e = edges.reset_index() if not {"u", "v"} <= set(edges.columns) else edges
    for col in ("u", "v"):
        if col not in e.columns:
            raise MissingColumnError(f"the edge table has no '{col}' column (edge start/end node ids)")
    node_ids = nodes.index.to_numpy()
    pos = pd.Index(node_ids).get_indexer
    u = pos(e["u"].to_numpy()).astype(np.int64)
    v = pos(e["v"].to_numpy()).astype(np.int64)
    if (u < 0).any() or (v < 0).any():
        missing = e["u"].to_numpy()[u < 0].tolist() + e["v"].to_numpy()[v < 0].tolist()
        raise NetworkError(f"edges refer to nodes absent from the node table, e.g. {missing[:5]}")
    n = len(e)
    length = (pd.to_numeric(e["length"], errors="coerce").to_numpy(dtype=float) if "length" in e.columns
              else np.full(n, np.nan))
    given = e["length"].notna().to_numpy() if "length" in e.columns else np.zeros(n, dtype=bool)
    check_lengths(length, given, e["u"].to_numpy(), e["v"].to_numpy(), None)
    return compile_arrays(
        mode, node_ids.astype(object), nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float),
        pyproj.CRS.from_user_input(crs), u, v, length,
        highway=e["highway"].to_numpy(dtype=object) if "highway" in e.columns else np.full(n, None, dtype=object),
        maxspeed=e["maxspeed"].to_numpy(dtype=object) if "maxspeed" in e.columns else np.full(n, None, dtype=object),
        geometry=e["geometry"].to_numpy(dtype=object) if "geometry" in e.columns else None,
        networks=e[NETWORK_TYPES_ATTR].to_numpy(dtype=object) if NETWORK_TYPES_ATTR in e.columns else None,
        metric_crs=metric_crs,
    )


def compile_arrays(mode: TravelMode, node_ids: npt.NDArray[Any], x: FloatArray, y: FloatArray, crs: pyproj.CRS,
                   u: IntArray, v: IntArray, length_m: FloatArray, *, highway: Values,
                   maxspeed: Values, geometry: Values | None,
                   networks: Values | None = None, metric_crs: Any = None) -> CompiledNetwork:
    """Compile directed edges given as arrays (``u``, ``v``: node positions; ``length_m``: NaN = measure the
    geometry).  Lengths must already have passed :func:`check_lengths`.

    Raises
    ------
    NetworkError
        No edge is usable by the mode.
    """
    n_nodes = len(node_ids)
    if metric_crs is None:
        if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
            metric_crs = crs
        else:
            to_ll = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            lon, lat = to_ll.transform(x, y)
            metric_crs = metric_crs_for(np.asarray(lon), np.asarray(lat))
    metric_crs = pyproj.CRS.from_user_input(metric_crs)
    to_m = pyproj.Transformer.from_crs(crs, metric_crs, always_xy=True)
    xm, ym = (np.asarray(a, dtype=float) for a in to_m.transform(x, y))
    node_xy_m = np.column_stack([xm, ym])

    # speeds: one evaluation per distinct (highway, maxspeed)
    hw_codes = _factorize(highway)
    ms_codes = _factorize(maxspeed)
    _, first, codes = np.unique(hw_codes * (int(ms_codes.max(initial=0)) + 1) + ms_codes, return_index=True,
                                return_inverse=True)
    speed_by_code = np.array([mode.speed_kph(highway[i], maxspeed[i]) for i in first], dtype=float)
    speed_kph = speed_by_code[codes.ravel()] if len(codes) else np.empty(0)
    n_closed = 0
    if networks is not None and mode.osm_network_type is not None and len(speed_kph):
        net_codes = _factorize(networks)
        _, net_first, net_inverse = np.unique(net_codes, return_index=True, return_inverse=True)
        open_by_code = np.array([mode.uses_network(networks[i]) for i in net_first], dtype=bool)
        closed = ~open_by_code[net_inverse.ravel()] & np.isfinite(speed_kph)
        n_closed = int(closed.sum())
        speed_kph = np.where(closed, np.nan, speed_kph)

    has_geom = (pd.notna(np.asarray(geometry, dtype=object)) if geometry is not None
                else np.zeros(len(u), dtype=bool))
    need_len = ~np.isfinite(length_m)
    if need_len.any():
        geoms = _edge_geoms_m(node_xy_m, np.flatnonzero(need_len), u, v, geometry, has_geom, to_m)
        length_m = length_m.copy()
        length_m[need_len] = shapely.length(geoms)
    usable = np.isfinite(speed_kph) & (u != v) & np.isfinite(length_m)
    n_excluded = int((~np.isfinite(speed_kph)).sum())
    if n_excluded:
        logger.info("%d of %d edges not usable by %s (road class excluded, or %d outside OpenStreetMap's %s "
                    "network: access, area, service tags)", n_excluded, len(u), mode.key, n_closed,
                    mode.osm_network_type)
    time_min = np.where(usable, length_m / (np.where(usable, speed_kph, 1.0) * 1000.0 / 60.0), np.nan)
    idx = np.flatnonzero(usable)
    if len(idx) == 0:
        raise NetworkError(
            f"the road network has no edge usable by {mode.en.lower()} ({len(u)} edges, {n_nodes} nodes): "
            "load a network that covers the study area with roads of usable classes"
        )

    # segments: one per (a, b, length to 0.1 m) with a < b; times in both directions
    a = np.minimum(u[idx], v[idx])
    b = np.maximum(u[idx], v[idx])
    forward = u[idx] == a
    len_key = np.round(length_m[idx] * 10.0).astype(np.int64)
    phys_codes = pd.DataFrame({"ab": a * n_nodes + b, "len": len_key}).groupby(
        ["ab", "len"], sort=False).ngroup().to_numpy()
    n_phys = int(phys_codes.max()) + 1
    t_ab = np.full(n_phys, np.inf)
    t_ba = np.full(n_phys, np.inf)
    t = time_min[idx]
    if mode.respect_oneway:
        np.minimum.at(t_ab, phys_codes[forward], t[forward])
        np.minimum.at(t_ba, phys_codes[~forward], t[~forward])
    else:
        np.minimum.at(t_ab, phys_codes, t)
        t_ba = t_ab.copy()
    t_ab[np.isinf(t_ab)] = np.nan
    t_ba[np.isinf(t_ba)] = np.nan
    rep = np.zeros(n_phys, dtype=np.int64)
    rep_fwd = np.zeros(n_phys, dtype=bool)
    by_fwd = np.argsort(forward, kind="stable")  # forward members written last: they win, no reversing
    rep[phys_codes[by_fwd]] = idx[by_fwd]  # one member per segment; its geometry, oriented a -> b
    rep_fwd[phys_codes[by_fwd]] = forward[by_fwd]
    seg_a = np.zeros(n_phys, dtype=np.int64)
    seg_b = np.zeros(n_phys, dtype=np.int64)
    seg_a[phys_codes] = a
    seg_b[phys_codes] = b
    geoms = _edge_geoms_m(node_xy_m, rep, u, v, geometry, has_geom, to_m)
    if (~rep_fwd).any():
        geoms[~rep_fwd] = shapely.reverse(geoms[~rep_fwd])

    # CSR of directed travel times, parallel edges reduced to the fastest
    ok_ab, ok_ba = np.isfinite(t_ab), np.isfinite(t_ba)
    rows = np.concatenate([seg_a[ok_ab], seg_b[ok_ba]])
    cols = np.concatenate([seg_b[ok_ab], seg_a[ok_ba]])
    wts = np.concatenate([t_ab[ok_ab], t_ba[ok_ba]])
    straight_m = np.hypot(*(node_xy_m[rows] - node_xy_m[cols]).T)
    moving = straight_m > 0
    net = CompiledNetwork(
        mode=mode, crs=crs, metric_crs=metric_crs, node_ids=node_ids, node_xy_m=node_xy_m,
        seg_a=seg_a, seg_b=seg_b, seg_time_ab_min=t_ab, seg_time_ba_min=t_ba, seg_geoms_m=geoms,
        seg_length_m=shapely.length(geoms), csr=csr_min(rows, cols, wts, n_nodes),
        csr_rev=csr_min(cols, rows, wts, n_nodes),
        min_per_m=float(np.min(wts[moving] / straight_m[moving])) if moving.any() else 0.0,
    )
    logger.info("compiled %s network: %d nodes, %d directed edges, %d road segments, metric CRS %s",
                mode.key, n_nodes, net.n_edges, n_phys, metric_crs.to_string())
    return net


# ---------------------------------------------------------------------------------------------- helpers
def check_lengths(length_m: FloatArray, given: npt.NDArray[np.bool_], u_ids: Values, v_ids: Values,
                  source: object) -> None:
    """Raise :class:`NetworkError` naming the first edges whose given ``length`` is negative, infinite or not a
    number (a negative weight makes shortest paths meaningless; an absent length is measured on the geometry)."""
    bad = np.flatnonzero(given & ~(np.isfinite(length_m) & (length_m >= 0)))
    if len(bad) == 0:
        return
    where = f"{source}: " if source else ""

    def plain(x: object) -> object:
        return x.item() if isinstance(x, np.generic) else x

    listed = ", ".join(f"({plain(u_ids[i])!r}, {plain(v_ids[i])!r}) length {length_m[i]}" for i in bad[:5])
    raise NetworkError(
        f"{where}{len(bad)} road edge(s) have a negative, infinite or non-numeric length, e.g. edge {listed}. "
        "Edge lengths must be metres >= 0: fix or delete these edges in the network file (or remove the "
        "'length' attribute to measure them on the geometry) / 路段长度为负数、无穷大或不是数字")


def csr_min(rows: IntArray, cols: IntArray, wts: FloatArray, n: int) -> sp.csr_matrix:
    """CSR matrix keeping the minimum weight of duplicate (row, col) entries; zero weights stay edges."""
    key = rows.astype(np.int64) * n + cols
    order = np.argsort(key, kind="stable")
    key, wts = key[order], wts[order].astype(np.float64)
    if len(key):
        start = np.ones(len(key), dtype=bool)
        start[1:] = key[1:] != key[:-1]
        if not start.all():  # parallel entries: keep the fastest
            first = np.flatnonzero(start)
            wts = np.minimum.reduceat(wts, first)
            key = key[first]
    rows_s, cols_s = np.divmod(key, n)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows_s, minlength=n), out=indptr[1:])
    return sp.csr_matrix((wts, cols_s.astype(np.int32), indptr), shape=(n, n))


def _edge_geoms_m(node_xy_m: FloatArray, which: IntArray, u: IntArray, v: IntArray,
                  geometry: Values | None, has_geom: npt.NDArray[np.bool_],
                  to_m: pyproj.Transformer) -> npt.NDArray[Any]:
    """Metric LineStrings of the edges ``which`` (their own geometry, else node to node)."""
    out = shapely.linestrings(
        np.stack([node_xy_m[u[which]], node_xy_m[v[which]]], axis=1)
    ) if len(which) else np.empty(0, dtype=object)
    with_geom = np.flatnonzero(has_geom[which])
    if len(with_geom) and geometry is not None:  # has_geom is all False without geometries
        raw = [geometry[i] for i in which[with_geom].tolist()]
        geoms = np.array([shapely.from_wkt(g) if isinstance(g, str) else g for g in raw], dtype=object)
        coords, part = shapely.get_coordinates(geoms, return_index=True)
        xs, ys = to_m.transform(coords[:, 0], coords[:, 1])
        out[with_geom] = shapely.linestrings(np.column_stack([xs, ys]), indices=part)
    return out


def _factorize(values: Values) -> IntArray:
    """Integer codes of equal values (lists, as osmnx keeps merged tags, compared by their text)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    try:
        codes = pd.factorize(arr, use_na_sentinel=False)[0]
    except TypeError:  # unhashable (list) values
        codes = pd.factorize(np.array([repr(v) for v in arr], dtype=object), use_na_sentinel=False)[0]
    return codes.astype(np.int64)


def _edge_attributes(data: list[dict[str, Any]], names: list[str]) -> dict[str, npt.NDArray[np.object_]]:
    """Columns of edge (or node) attributes (object arrays, None where an item has no such attribute)."""
    try:  # pandas' compiled reader of a list of dicts (the one DataFrame.from_records uses): 5x faster
        from pandas._libs.lib import dicts_to_array

        table = dicts_to_array(data, names)
    except (ImportError, AttributeError, TypeError):
        return {name: _object_array([d.get(name) for d in data]) for name in names}
    out = {}
    for k, name in enumerate(names):
        col = table[:, k].copy()
        absent = np.flatnonzero(pd.isna(col))  # absent keys come back as NaN: make them None (as .get gives)
        if len(absent):
            col[absent] = None
        out[name] = col
    return out


def _object_array(values: list[Any]) -> npt.NDArray[np.object_]:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _floats(values: Values) -> FloatArray:
    """Numbers (numeric text too) as floats; NaN for None and anything that is not a number."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return np.array([_float(x) for x in values], dtype=float)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _positions(index: pd.Index, ids: list[Any]) -> IntArray:
    """Positions of node ids in the node index."""
    if index.dtype.kind in "iu":
        try:
            return index.get_indexer(np.array(ids, dtype=index.dtype)).astype(np.int64)
        except (TypeError, ValueError, OverflowError):
            pass
    arr = np.empty(len(ids), dtype=object)
    arr[:] = ids
    return index.get_indexer(arr).astype(np.int64)
