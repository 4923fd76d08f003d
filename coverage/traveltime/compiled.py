"""A road graph compiled for one travel mode: CSR travel times, node coordinates and road segments in metres.

:func:`compile_graph` reads an osmnx-style ``networkx.MultiDiGraph`` in one pass over its adjacency dicts;
:func:`compile_arrays` does all the work on edge arrays (numpy / pandas, no per-edge Python): speeds per
distinct (highway, maxspeed), the mode's OSM network filter, parallel edges reduced to the fastest, one
*segment* (geometry, time each way) per physical road piece, and the compressed sparse row matrices that
:func:`scipy.sparse.csgraph.dijkstra` searches.  The result, :class:`CompiledNetwork`, is frozen and
picklable; :mod:`coverage.traveltime.store` saves it to disk and loads it back.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
from collections.abc import Iterator, Sequence
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

WGS84 = pyproj.CRS.from_epsg(4326)

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
    seg_xy_m, seg_xy_start
        Segment vertices in ``metric_crs`` (k, 2), oriented a -> b: segment ``s`` runs through
        ``seg_xy_m[seg_xy_start[s]:seg_xy_start[s + 1]]``.  Plain arrays (saved and memory-mapped as they are);
        :attr:`seg_geoms_m` makes the LineStrings on first use.
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
    seg_xy_m: FloatArray
    seg_xy_start: IntArray
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
    def seg_geoms_m(self) -> npt.NDArray[Any]:
        """Segment LineStrings in ``metric_crs``, oriented a -> b (made from the vertex arrays on first use)."""
        geoms = self._cache.get("geoms")
        if geoms is None:
            with array_build():
                geoms = ragged_linestrings(self.seg_xy_m, self.seg_xy_start)
            self._cache["geoms"] = geoms
        return geoms

    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the segments (metric CRS), built on first use."""
        tree = self._cache.get("tree")
        if tree is None:
            geoms = self.seg_geoms_m
            with array_build():
                tree = shapely.STRtree(geoms, node_capacity=4)  # small nodes: 3x faster nearest
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
@contextlib.contextmanager
def array_build() -> Iterator[None]:
    """Settings for building large arrays: Python's cyclic garbage collector paused, and numpy's transparent
    huge page requests off; both restored afterwards.

    Creating tens of thousands of objects (geometries, the lists of a graph's edge dicts) triggers full
    collections that walk every object alive, a large networkx graph included: a third of Yuxi's build went
    there (array work makes no reference cycles).  And numpy asks the kernel for huge pages on every large
    array; where the kernel then compacts memory on the spot (Linux's default ``defrag = madvise``), that cost
    half of a 3-million-node build in system time, for arrays that live a fraction of a second.
    """
    was_on = gc.isenabled()
    gc.disable()
    set_huge = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    huge_was: bool | None = None
    if set_huge is not None:
        try:
            huge_was = bool(set_huge(False))
        except (TypeError, ValueError, RuntimeError):  # pragma: no cover - numpy internals changed
            huge_was = None
    try:
        yield
    finally:
        if huge_was is not None and set_huge is not None:
            set_huge(huge_was)
        if was_on:
            gc.enable()


def compile_graph(G: nx.MultiDiGraph, mode: TravelMode, *, metric_crs: Any = None) -> CompiledNetwork:
    """Compile an osmnx-style graph (see :class:`~coverage.traveltime.TravelTimeEngine` for what it holds).

    Raises
    ------
    NetworkError
        Empty graph, a node without x/y, a bad ``length``, or no edge the mode can use.
    CRSError
        The graph has no CRS.
    """
    with array_build():
        return _compile_graph(G, mode, metric_crs=metric_crs)


def _compile_graph(G: nx.MultiDiGraph, mode: TravelMode, *, metric_crs: Any = None) -> CompiledNetwork:
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
            data = [d for nbrs in adj.values() for kd in nbrs.values() for d in kd.values()]
            if len(data) == len(vs):  # no parallel edges (the usual case): one edge per (u, v)
                per_pair = np.ones(len(vs), dtype=np.int64)
            else:
                per_pair = np.fromiter((len(kd) for nbrs in adj.values() for kd in nbrs.values()), dtype=np.int64,
                                       count=len(vs))
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
    # absent attributes stay NaN here: the speed tables, network filter and geometry test read NaN as absent
    attrs = _edge_attributes(data, ["length", "highway", "maxspeed", "geometry", NETWORK_TYPES_ATTR], as_none=False)
    length = _floats(attrs["length"])
    given = np.ones(len(length), dtype=bool)  # a number was given ...
    unsure = np.flatnonzero(np.isnan(length))  # ... NaN: given so (bad), not a number (bad) or absent (measure it)
    if len(unsure):
        given[unsure] = [data[i].get("length") is not None for i in unsure.tolist()]
    check_lengths(length, given, LazyIds(node_ids, u), LazyIds(node_ids, v), G.graph.get("source"))
    networks = attrs[NETWORK_TYPES_ATTR]
    geometry = attrs["geometry"]
    return compile_arrays(
        mode, node_ids, x, y, pyproj.CRS.from_user_input(crs), u, v, length,
        highway=attrs["highway"], maxspeed=attrs["maxspeed"],
        geometry=geometry if pd.notna(geometry).any() else None,
        networks=networks if pd.notna(networks).any() else None, metric_crs=metric_crs,
    )


def compile_frames(nodes: pd.DataFrame, edges: pd.DataFrame, mode: TravelMode, *, crs: Any = None,
                   metric_crs: Any = None) -> CompiledNetwork:
    """Compile node and edge tables (as ``osmnx.graph_to_gdfs`` returns them), without a networkx graph.

    Columns may be of any dtype; a categorical ``highway`` / ``maxspeed`` is read by its codes (no per-row
    objects), which is what a province-sized table should use.

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
    with array_build():
        node_index = nodes.index
        u_ids, v_ids = e["u"].to_numpy(), e["v"].to_numpy()
        u, v = node_positions(node_index, u_ids), node_positions(node_index, v_ids)
        if (u < 0).any() or (v < 0).any():
            missing = u_ids[u < 0].tolist() + v_ids[v < 0].tolist()
            raise NetworkError(f"edges refer to nodes absent from the node table, e.g. {missing[:5]}")
        n = len(e)
        length = (pd.to_numeric(e["length"], errors="coerce").to_numpy(dtype=float) if "length" in e.columns
                  else np.full(n, np.nan))
        given = e["length"].notna().to_numpy() if "length" in e.columns else np.zeros(n, dtype=bool)
        check_lengths(length, given, u_ids, v_ids, None)
        geometry = e["geometry"].to_numpy(dtype=object) if "geometry" in e.columns else None
        return compile_arrays(
            mode, node_index.to_numpy().astype(object), nodes["x"].to_numpy(dtype=float),
            nodes["y"].to_numpy(dtype=float), pyproj.CRS.from_user_input(crs), u, v, length,
            highway=_column(e, "highway"), maxspeed=_column(e, "maxspeed"), geometry=geometry,
            networks=_column(e, NETWORK_TYPES_ATTR), metric_crs=metric_crs,
        )


def compile_arrays(mode: TravelMode, node_ids: npt.NDArray[Any], x: FloatArray, y: FloatArray, crs: pyproj.CRS,
                   u: IntArray, v: IntArray, length_m: FloatArray, *, highway: Values | pd.Categorical | None = None,
                   maxspeed: Values | pd.Categorical | None = None, geometry: Values | None = None,
                   networks: Values | pd.Categorical | None = None, metric_crs: Any = None) -> CompiledNetwork:
    """Compile directed edges given as arrays (``u``, ``v``: node positions; ``length_m``: NaN = measure the
    geometry).  Lengths must already have passed :func:`check_lengths`.

    ``highway``, ``maxspeed`` and ``networks`` are per-edge values (None: absent for every edge), or a
    ``pandas.Categorical``; ``geometry`` per-edge LineStrings (or WKT; None: straight between the nodes).

    Raises
    ------
    NetworkError
        No edge is usable by the mode.
    """
    with array_build():
        return _compile_arrays(mode, node_ids, x, y, crs, np.asarray(u, dtype=np.int64),
                               np.asarray(v, dtype=np.int64), np.asarray(length_m, dtype=float),
                               highway=highway, maxspeed=maxspeed, geometry=geometry, networks=networks,
                               metric_crs=metric_crs)


def _compile_arrays(mode: TravelMode, node_ids: npt.NDArray[Any], x: FloatArray, y: FloatArray, crs: pyproj.CRS,
                    u: IntArray, v: IntArray, length_m: FloatArray, *, highway: Any, maxspeed: Any,
                    geometry: Values | None, networks: Any, metric_crs: Any) -> CompiledNetwork:
    n_nodes = len(node_ids)
    n_edges = len(u)
    if metric_crs is None:
        if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
            metric_crs = crs
        elif crs.equals(WGS84, ignore_axis_order=True):  # already longitude / latitude
            metric_crs = metric_crs_for(x, y)
        else:
            to_ll = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            lon, lat = to_ll.transform(x, y)
            metric_crs = metric_crs_for(np.asarray(lon), np.asarray(lat))
    metric_crs = pyproj.CRS.from_user_input(metric_crs)
    to_m = pyproj.Transformer.from_crs(crs, metric_crs, always_xy=True)
    xm, ym = (np.asarray(a, dtype=float) for a in to_m.transform(x, y))
    node_xy_m = np.column_stack([xm, ym])

    # speeds: one evaluation per distinct (highway, maxspeed)
    hw_codes, hw_values = _codes(highway, n_edges)
    ms_codes, ms_values = _codes(maxspeed, n_edges)
    n_ms = len(ms_values)
    if len(hw_values) * n_ms <= 4 * n_edges + 1024:  # a dense table of the pairs: no hashing of every edge
        combo = hw_codes if n_ms == 1 else hw_codes.astype(np.int64) * n_ms + ms_codes
        used = np.zeros(len(hw_values) * n_ms, dtype=bool)
        used[combo] = True
        table = np.full(len(used), np.nan)
        for c in np.flatnonzero(used).tolist():
            table[c] = mode.speed_kph(hw_values[c // n_ms], ms_values[c % n_ms])
        speed_kph = table[combo]
    else:
        c_codes, c_uniq = pd.factorize(hw_codes.astype(np.int64) * n_ms + ms_codes)
        speed_kph = np.array([mode.speed_kph(hw_values[c // n_ms], ms_values[c % n_ms]) for c in c_uniq.tolist()],
                             dtype=float)[c_codes]
    n_closed = 0
    if networks is not None and mode.osm_network_type is not None and len(speed_kph):
        net_codes, net_values = _codes(networks, n_edges)
        open_by_code = np.array([mode.uses_network(val) for val in net_values], dtype=bool)
        closed = ~open_by_code[net_codes] & np.isfinite(speed_kph)
        n_closed = int(closed.sum())
        speed_kph = np.where(closed, np.nan, speed_kph)

    has_geom = (pd.notna(np.asarray(geometry, dtype=object)) if geometry is not None
                else np.zeros(n_edges, dtype=bool))
    need_len = ~np.isfinite(length_m)
    if need_len.any():
        which = np.flatnonzero(need_len)
        length_m = length_m.copy()
        length_m[which] = ragged_length(*_edge_coords(node_xy_m, which, u, v, geometry, has_geom, to_m))
    usable = np.isfinite(speed_kph) & (u != v) & np.isfinite(length_m)
    n_excluded = int((~np.isfinite(speed_kph)).sum())
    if n_excluded:
        logger.info("%d of %d edges not usable by %s (road class excluded, or %d outside OpenStreetMap's %s "
                    "network: access, area, service tags)", n_excluded, n_edges, mode.key, n_closed,
                    mode.osm_network_type)
    idx = np.flatnonzero(usable)
    if len(idx) == 0:
        raise NetworkError(
            f"the road network has no edge usable by {mode.en.lower()} ({n_edges} edges, {n_nodes} nodes): "
            "load a network that covers the study area with roads of usable classes"
        )
    every = len(idx) == n_edges  # (no copies then)
    itype = np.int32 if n_nodes < 2**31 - 1 and n_edges < 2**31 - 1 else np.int64  # half the memory traffic
    len_u = length_m if every else length_m[idx]
    t = len_u / ((speed_kph if every else speed_kph[idx]) * 1000.0 / 60.0)

    # segments: one per (a, b, length to 0.1 m) with a < b, numbered by first appearance; times both ways
    ui = (u if every else u[idx]).astype(itype)
    vi = (v if every else v[idx]).astype(itype)
    a = np.minimum(ui, vi)
    b = np.maximum(ui, vi)
    forward = ui == a
    del ui, vi
    len_key = np.round(len_u * 10.0)  # whole decimetres (as floats: no integer copy)
    order, sa, sb = _sort_pairs(a, b, n_nodes, sorted_values=True)  # rows by (a, b)
    sl = len_key[order]
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
    if (~new_pair[1:] & (sl[1:] != sl[:-1])).any():  # parallel edges of different lengths: sort by length too
        order = order[np.lexsort((sl, np.cumsum(new_pair)))]
        sa, sb, sl = a[order], b[order], len_key[order]
    new_seg = new_pair.copy()
    new_seg[1:] |= sl[1:] != sl[:-1]
    seg_starts = np.flatnonzero(new_seg)
    pair_starts = np.flatnonzero(new_pair)
    # number the segments by first appearance (as the edges come), whatever the sort did
    first_row = np.minimum.reduceat(order, seg_starts)
    slot: IntArray = np.full(len(order), -1, dtype=itype)  # first rows are distinct: a scatter orders them
    slot[first_row] = np.arange(len(first_row), dtype=itype)
    seg_order = slot[slot >= 0]
    del slot, first_row
    n_phys = len(seg_starts)
    sf = forward[order]
    st = t[order]
    inf = np.inf
    if mode.respect_oneway:
        tf_rows, tb_rows = np.where(sf, st, inf), np.where(sf, inf, st)
    else:
        tf_rows = tb_rows = st
    t_ab = np.minimum.reduceat(tf_rows, seg_starts)[seg_order]
    t_ba = np.minimum.reduceat(tb_rows, seg_starts)[seg_order] if mode.respect_oneway else t_ab.copy()
    # the representative edge of a segment (its geometry): the last forward edge, else the last one
    m = len(idx)
    score = np.minimum.reduceat(-(sf * m + order), seg_starts)[seg_order]  # max of (forward, position)
    rep_row = -score % m
    rep_fwd = -score >= m
    rep = rep_row if every else idx[rep_row]
    seg_a = sa[seg_starts][seg_order].astype(np.int64)
    seg_b = sb[seg_starts][seg_order].astype(np.int64)
    # directed pairs: parallel segments reduced to the fastest
    pair_a, pair_b = sa[pair_starts], sb[pair_starts]
    pt_ab = np.minimum.reduceat(tf_rows, pair_starts)
    pt_ba = np.minimum.reduceat(tb_rows, pair_starts) if mode.respect_oneway else pt_ab
    t_ab[np.isinf(t_ab)] = np.nan
    t_ba[np.isinf(t_ba)] = np.nan
    del order, sa, sb, sl, sf, st, tf_rows, tb_rows, new_pair, new_seg, a, b, forward, len_key

    straight = geometry is None or not has_geom.any()
    if straight:  # straight segments: from node a to node b
        seg_xy = np.empty((2 * n_phys, 2))
        seg_xy[0::2] = node_xy_m[seg_a]
        seg_xy[1::2] = node_xy_m[seg_b]
        seg_start = np.arange(0, 2 * n_phys + 1, 2, dtype=np.int64)
    else:
        seg_xy, seg_start = _edge_coords(node_xy_m, rep, u, v, geometry, has_geom, to_m)
        _reverse_runs(seg_xy, seg_start, np.flatnonzero(~rep_fwd))

    # CSR of directed travel times (the pairs are distinct: no duplicates to reduce)
    ok_ab, ok_ba = np.isfinite(pt_ab), np.isfinite(pt_ba)
    rows = np.concatenate([pair_a[ok_ab], pair_b[ok_ba]])
    cols = np.concatenate([pair_b[ok_ab], pair_a[ok_ba]])
    wts = np.concatenate([pt_ab[ok_ab], pt_ba[ok_ba]])
    csr = _csr_distinct(rows, cols, wts, n_nodes)
    # least minutes per metre of straight line: per pair (the segments' own vertices when they are straight)
    if straight:
        straight_m = np.hypot(seg_xy[1::2, 0] - seg_xy[0::2, 0], seg_xy[1::2, 1] - seg_xy[0::2, 1])
        fastest = np.fmin(t_ab, t_ba)
    else:
        straight_m = np.hypot(*(node_xy_m[pair_a] - node_xy_m[pair_b]).T)
        fastest = np.fmin(pt_ab, pt_ba)
    moving = straight_m > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_m = fastest[moving] / straight_m[moving]
    per_m = per_m[np.isfinite(per_m)]
    net = CompiledNetwork(
        mode=mode, crs=crs, metric_crs=metric_crs, node_ids=node_ids, node_xy_m=node_xy_m,
        seg_a=seg_a, seg_b=seg_b, seg_time_ab_min=t_ab, seg_time_ba_min=t_ba, seg_xy_m=seg_xy,
        seg_xy_start=seg_start, seg_length_m=ragged_length(seg_xy, seg_start), csr=csr,
        csr_rev=_transpose(csr), min_per_m=float(per_m.min()) if len(per_m) else 0.0,
    )
    logger.info("compiled %s network: %d nodes, %d directed edges, %d road segments, metric CRS %s",
                mode.key, n_nodes, net.n_edges, n_phys, metric_crs.to_string())
    return net


# ---------------------------------------------------------------------------------------------- helpers
class LazyIds:
    """``values[positions[i]]`` on demand (ids for an error message, without gathering every edge's)."""

    def __init__(self, values: npt.NDArray[Any], positions: IntArray) -> None:
        self.values, self.positions = values, positions

    def __getitem__(self, i: int) -> Any:
        return self.values[self.positions[i]]


def check_lengths(length_m: FloatArray, given: npt.NDArray[np.bool_], u_ids: Values | LazyIds,
                  v_ids: Values | LazyIds, source: object) -> None:
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
    order = _sort_pairs(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), n)
    r, c, w = rows[order], cols[order], np.asarray(wts, dtype=np.float64)[order]
    if len(r):
        start = np.ones(len(r), dtype=bool)
        start[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        if not start.all():  # parallel entries: keep the fastest
            first = np.flatnonzero(start)
            w = np.minimum.reduceat(w, first)
            r, c = r[first], c[first]
    indptr = np.zeros(n + 1, dtype=np.int32 if len(r) < 2**31 - 1 else np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    out = sp.csr_matrix((w, c.astype(indptr.dtype), indptr), shape=(n, n))
    out.has_sorted_indices = True
    return out


def ragged_length(xy: FloatArray, start: IntArray) -> FloatArray:
    """Length of each polyline ``xy[start[i]:start[i + 1]]`` (at least two vertices each), in xy's units."""
    if len(start) < 2:
        return np.empty(0)
    if int(start[-1]) == 2 * (len(start) - 1) and (np.diff(start) == 2).all():  # straight: one step each
        dx = xy[1::2, 0] - xy[0::2, 0]
        dy = xy[1::2, 1] - xy[0::2, 1]
        return np.sqrt(dx * dx + dy * dy)
    dx = np.diff(xy[:, 0], append=xy[-1, 0])
    dy = np.diff(xy[:, 1], append=xy[-1, 1])
    step = np.sqrt(dx * dx + dy * dy)
    step[start[1:] - 1] = 0.0  # from one polyline's last vertex to the next one's first: not a step
    return np.add.reduceat(step, start[:-1])


def ragged_linestrings(xy: FloatArray, start: IntArray) -> npt.NDArray[Any]:
    """LineStrings of the polylines ``xy[start[i]:start[i + 1]]``."""
    counts = np.diff(start)
    if len(counts) == 0:
        return np.empty(0, dtype=object)
    if (counts == 2).all():  # straight segments only: one call without an index array
        return shapely.linestrings(np.asarray(xy).reshape(-1, 2, 2))
    return shapely.linestrings(xy, indices=np.repeat(np.arange(len(counts)), counts))


def _edge_coords(node_xy_m: FloatArray, which: IntArray, u: IntArray, v: IntArray, geometry: Values | None,
                 has_geom: npt.NDArray[np.bool_], to_m: pyproj.Transformer) -> tuple[FloatArray, IntArray]:
    """Metric vertices of the edges ``which`` (their own geometry, else node to node), as ragged arrays."""
    counts = np.full(len(which), 2, dtype=np.int64)
    with_geom = np.flatnonzero(has_geom[which]) if geometry is not None else np.empty(0, dtype=np.int64)
    gx = gy = part = np.empty(0)
    if len(with_geom):
        raw = [geometry[i] for i in which[with_geom].tolist()]  # type: ignore[index]
        geoms = np.array([shapely.from_wkt(g) if isinstance(g, str) else g for g in raw], dtype=object)
        n_xy = shapely.get_num_coordinates(geoms)
        keep = n_xy >= 2  # an empty or one-point geometry: straight between the nodes instead
        with_geom, geoms = with_geom[keep], geoms[keep]
        coords, part = shapely.get_coordinates(geoms, return_index=True)
        gx, gy = (np.asarray(c, dtype=float) for c in to_m.transform(coords[:, 0], coords[:, 1]))
        counts[with_geom] = n_xy[keep]
    start = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    xy = np.empty((int(start[-1]), 2))
    plain = np.ones(len(which), dtype=bool)
    plain[with_geom] = False
    p = np.flatnonzero(plain)
    xy[start[p]] = node_xy_m[u[which[p]]]
    xy[start[p] + 1] = node_xy_m[v[which[p]]]
    if len(with_geom):
        cnt = counts[with_geom]
        pos = np.repeat(start[with_geom], cnt) + np.arange(len(part)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        xy[pos, 0] = gx
        xy[pos, 1] = gy
    return xy, start


def _reverse_runs(xy: FloatArray, start: IntArray, which: IntArray) -> None:
    """Reverse the vertex order of the polylines ``which`` in place."""
    if len(which) == 0:
        return
    cnt = start[which + 1] - start[which]
    k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    dst = np.repeat(start[which], cnt) + k
    src = np.repeat(start[which] + cnt - 1, cnt) - k
    xy[dst] = xy[src]  # the right side is gathered first


def _sort_pairs(a: IntArray, b: IntArray, n: int, *, sorted_values: bool = False) -> Any:
    """A permutation ordering the rows by (a, b): a counting sort by ``a`` then a sort within each ``a``
    (scipy's compiled COO -> CSR conversion, no comparison sort of all rows); ``np.lexsort`` if unavailable.
    With ``sorted_values``: (permutation, a sorted, b sorted), the sorted values without gathering them."""
    m = len(a)
    itype = np.int32 if max(n, m) < 2**31 - 1 else np.int64
    try:
        from scipy.sparse import _sparsetools

        indptr = np.empty(n + 1, dtype=itype)
        indices = np.empty(m, dtype=itype)
        perm = np.empty(m, dtype=np.int64)
        _sparsetools.coo_tocsr(n, n, m, a.astype(itype, copy=False), b.astype(itype, copy=False),
                               np.arange(m, dtype=np.int64), indptr, indices, perm)
        _sparsetools.csr_sort_indices(n, indptr, indices, perm)
        if not sorted_values:
            return perm
        return perm, np.repeat(np.arange(n, dtype=itype), np.diff(indptr)), indices
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - scipy internals moved
        perm = np.lexsort((b, a))
        return (perm, a[perm].astype(itype), b[perm].astype(itype)) if sorted_values else perm


def _csr_distinct(rows: IntArray, cols: IntArray, wts: FloatArray, n: int) -> sp.csr_matrix:
    """CSR matrix of distinct (row, col) entries (zero weights stay edges), sorted indices."""
    m = len(rows)
    itype = np.int32 if max(n, m) < 2**31 - 1 else np.int64
    order = _sort_pairs(rows, cols, n)
    indptr = np.zeros(n + 1, dtype=itype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    out = sp.csr_matrix((wts[order].astype(np.float64), cols[order].astype(itype), indptr), shape=(n, n))
    out.has_sorted_indices = True
    return out


def _transpose(csr: sp.csr_matrix) -> sp.csr_matrix:
    """The reversed graph as CSR with sorted indices (scipy's compiled CSR -> CSC conversion)."""
    out = csr.transpose().tocsr()
    out.has_sorted_indices = True
    return out


def node_positions(index: pd.Index, ids: npt.NDArray[Any]) -> IntArray:
    """Positions of node ids in the node index (-1: absent); no hashing when the ids are 0..n-1 in order."""
    n = len(index)
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        arr = np.asarray(ids)
        if arr.dtype.kind in "iu":
            if len(arr) == 0 or (int(arr.min()) >= 0 and int(arr.max()) < n):
                return arr.astype(np.int64, copy=False)
            pos = arr.astype(np.int64)
            return np.where((pos >= 0) & (pos < n), pos, -1)
    return index.get_indexer(ids).astype(np.int64)


def _column(df: pd.DataFrame, name: str) -> pd.Categorical | npt.NDArray[Any] | None:
    """A column as a Categorical (kept) or object values; None when absent."""
    if name not in df.columns:
        return None
    col = df[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array
    return col.to_numpy(dtype=object)


def _codes(values: Values | pd.Categorical | None, n: int) -> tuple[IntArray, list[Any]]:
    """Integer codes of per-edge values and one value per code (the first edge's, as given)."""
    if values is None:
        return np.zeros(n, dtype=np.int8), [None]
    if isinstance(values, pd.Categorical):
        codes = np.asarray(values.codes)  # int8 / int16: small
        cats = list(values.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(cats), codes.astype(np.int64))
            cats.append(np.nan)
        return codes, cats
    arr = values if isinstance(values, np.ndarray) and values.dtype == object else _object_array(list(values))
    codes = _factorize(arr)
    first = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the earliest edge of each code (written last)
    return codes, [arr[i] for i in first.tolist()]


def _factorize(values: Values) -> IntArray:
    """Integer codes of equal values (lists, as osmnx keeps merged tags, compared by their text)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    try:
        codes = pd.factorize(arr, use_na_sentinel=False)[0]
    except TypeError:  # unhashable (list) values
        codes = pd.factorize(np.array([repr(v) for v in arr], dtype=object), use_na_sentinel=False)[0]
    return codes.astype(np.int64)


def _edge_attributes(data: list[dict[str, Any]], names: list[str], *,
                     as_none: bool = True) -> dict[str, npt.NDArray[np.object_]]:
    """Columns of edge (or node) attributes (object arrays, None where an item has no such attribute; NaN when
    not ``as_none``)."""
    try:  # pandas' compiled reader of a list of dicts (the one DataFrame.from_records uses): 5x faster
        from pandas._libs.lib import dicts_to_array

        table = dicts_to_array(data, names)
    except (ImportError, AttributeError, TypeError):
        return {name: _object_array([d.get(name) for d in data]) for name in names}
    out = {}
    for k, name in enumerate(names):
        col = table[:, k].copy()
        if not as_none:
            out[name] = col
            continue
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
