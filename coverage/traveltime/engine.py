"""The compiled travel-time engine: snap points to roads, bounded multi-source shortest paths, OD tables.

A road graph is compiled once, for one travel mode, into a compressed sparse row matrix of edge travel times
(minutes) and a spatial index of the road geometries in a metric CRS.  Queries then

1. snap every point to the nearest point on the nearest road *edge* (not node), in metres;
2. add an access leg: straight-line distance to that road point times the mode's detour factor, at its
   access (walking) speed, plus the partial edge time from the road point to each end node;
3. run Dijkstra in compiled code (:func:`scipy.sparse.csgraph.dijkstra`) from virtual nodes that carry
   those offsets, bounded by the cutoff (``limit=``), multi-source with ``min_only=True`` for "nearest";
4. handle an origin and a destination on the same edge (travel along the edge without reaching a node).

``nearest`` and ``od`` search a contracted graph: nodes with exactly two neighbours (bends, streets running
on) are folded into chains between junctions (Yuxi demo: 67,542 -> 16,628 nodes), points on a chain reach
its two ends along it, and pairs on one chain also get the direct route along it: the same times, 2-4x
fewer nodes to settle.  ``node_times`` and service areas use the whole graph (they need every node).

Travel runs from the origin (a village) to the destination (a facility): with oneway streets the
direction matters.  Unreachable is NaN (or absent from a sparse OD table), never a sentinel number.

Example
-------
>>> from coverage.traveltime import TravelTimeEngine
>>> eng = TravelTimeEngine(G, mode="walk")                       # doctest: +SKIP
>>> eng.nearest(villages, facilities, cutoff_min=30)              # doctest: +SKIP
         travel_time_min  to_id  access_distance_m
id
V001               12.4   F07               85.2
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from coverage.errors import CRSError, InputError, MissingColumnError, NetworkError
from coverage.network.modes import NETWORK_TYPES_ATTR, TravelMode, get_mode

__all__ = ["Snap", "TravelTimeEngine", "metric_crs_for"]

logger = logging.getLogger(__name__)

#: Memory budget (bytes) of one block of Dijkstra rows in OD queries.
OD_BLOCK_BYTES = 128 * 2**20

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def metric_crs_for(lon: FloatArray, lat: FloatArray) -> pyproj.CRS:
    """The UTM zone (WGS-84) containing the median of the given WGS-84 coordinates.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.

    Returns
    -------
    pyproj.CRS
        e.g. EPSG:32647 (UTM 47N) for western Yunnan, EPSG:32648 for eastern Yunnan.
    """
    lon0 = float(np.nanmedian(lon))
    lat0 = float(np.nanmedian(lat))
    zone = int(np.clip(math.floor((lon0 + 180.0) / 6.0) + 1, 1, 60))
    return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)


@dataclass(frozen=True)
class Snap:
    """Where points meet the road network.

    Attributes
    ----------
    edge
        Index of the physical road edge (-1: not snapped: no geometry, or farther than allowed).
    fraction
        Position of the road point along the edge, 0 at its first node, 1 at its last.
    distance_m
        Straight-line distance from the point to the road point, metres (NaN when not snapped).
    access_min
        Access-leg time: ``distance_m * detour factor`` at the access speed, minutes.
    """

    edge: IntArray
    fraction: FloatArray
    distance_m: FloatArray
    access_min: FloatArray

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        """Which points are on the network."""
        return self.edge >= 0


@dataclass(frozen=True)
class _Chains:
    """The road graph with pass-through nodes contracted (see :meth:`TravelTimeEngine._chains`).

    ``seq_start[c] + p`` indexes the per-position arrays for position ``p`` of chain ``c`` (0: its first core
    node, ``n_steps[c]``: its last); ``cum_f`` / ``cum_b``: minutes from the chain's first node forwards /
    back to it, ``blk_f`` / ``blk_b``: steps closed that way (oneway) so far.
    """

    core: IntArray
    core_pos: IntArray
    chain_of: IntArray
    pos_of: IntArray
    first: IntArray
    last: IntArray
    n_steps: IntArray
    seq_start: IntArray
    cum_f: FloatArray
    cum_b: FloatArray
    blk_f: IntArray
    blk_b: IntArray
    csr: sp.csr_matrix
    csr_rev: sp.csr_matrix


class TravelTimeEngine:
    """Travel times over a road graph for one travel mode, compiled once.

    Parameters
    ----------
    G
        An osmnx-style ``networkx.MultiDiGraph``: nodes with ``x``/``y``, ``G.graph["crs"]`` set, edges
        with ``length`` (metres; computed from the geometry when absent), optional ``highway``,
        ``maxspeed``, ``geometry`` and ``network_types`` (the osmnx network types whose way filter the
        edge's OSM way passes; an edge not listing the mode's ``osm_network_type`` is not used).  The
        graph is read, never modified.
    mode
        "walk", "ebike", "car" or a :class:`~coverage.network.TravelMode` (edited speeds).
    metric_crs
        CRS in metres used for snapping; default: the UTM zone of the graph (or the graph's own CRS if
        it is projected).

    Raises
    ------
    NetworkError
        The graph has no edge the mode can use, or an edge has a negative, infinite or non-numeric
        ``length`` (the message names the edge).
    CRSError
        The graph has no CRS.

    Notes
    -----
    The engine does not change after construction (apart from small internal caches of recent snaps and
    coordinate transformers) and is picklable: cache it with ``st.cache_resource`` and share it.
    Self-loops are dropped (they never shorten a path); parallel edges keep the fastest.
    """

    def __init__(self, G: nx.MultiDiGraph, mode: str | TravelMode = "walk", *,
                 metric_crs: Any = None) -> None:
        self.mode: TravelMode = get_mode(mode)
        if G.number_of_nodes() == 0:
            raise NetworkError("the road graph is empty (no nodes); load a network that covers the study area")
        if G.number_of_edges() == 0:
            raise NetworkError(f"the road graph has no edges ({G.number_of_nodes()} nodes): nothing to travel on; "
                               "load a network that covers the study area")
        crs = G.graph.get("crs")
        if crs is None:
            raise CRSError("the road graph has no CRS (G.graph['crs']); set it, e.g. G.graph['crs'] = 'EPSG:4326'")
        node_ids = list(G.nodes)
        xy = np.array([(d.get("x", np.nan), d.get("y", np.nan)) for _, d in G.nodes(data=True)], dtype=float)
        if np.isnan(xy).any():
            bad = node_ids[int(np.flatnonzero(np.isnan(xy).any(axis=1))[0])]
            raise NetworkError(f"road graph node {bad!r} has no x/y coordinates; every node needs x and y")
        index = {n: i for i, n in enumerate(node_ids)}
        edges = list(G.edges(data=True))
        u = np.fromiter((index[e[0]] for e in edges), dtype=np.int64, count=len(edges))
        v = np.fromiter((index[e[1]] for e in edges), dtype=np.int64, count=len(edges))
        raw_length = [e[2].get("length") for e in edges]
        length = np.array([_float(x) for x in raw_length], dtype=float)
        given = np.fromiter((x is not None for x in raw_length), dtype=bool, count=len(edges))
        _check_lengths(length, given, [(e[0], e[1]) for e in edges], G.graph.get("source"))
        highway = [e[2].get("highway") for e in edges]
        maxspeed = [e[2].get("maxspeed") for e in edges]
        geometry = [e[2].get("geometry") for e in edges]
        networks = [e[2].get(NETWORK_TYPES_ATTR) for e in edges]
        self._compile(np.asarray(node_ids, dtype=object), xy[:, 0], xy[:, 1], pyproj.CRS.from_user_input(crs),
                      u, v, length, highway, maxspeed, geometry, metric_crs=metric_crs,
                      networks=networks if any(x is not None for x in networks) else None)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_gdfs(cls, nodes: pd.DataFrame, edges: pd.DataFrame, mode: str | TravelMode = "walk", *,
                  crs: Any = None, metric_crs: Any = None) -> TravelTimeEngine:
        """Compile from node and edge tables, without building a networkx graph (large networks).

        Parameters
        ----------
        nodes
            Indexed by node id, columns ``x``, ``y`` (as ``osmnx.graph_to_gdfs`` returns).
        edges
            Columns (or MultiIndex levels) ``u``, ``v``; ``length`` (metres, optional when a geometry is
            given), optional ``highway``, ``maxspeed``, ``geometry`` (None: straight line between nodes).
            Each row is one directed edge, as in an osmnx graph.
        mode
            As for the constructor.
        crs
            CRS of the coordinates; default ``nodes.crs``.
        metric_crs
            As for the constructor.
        """
        self = cls.__new__(cls)
        self.mode = get_mode(mode)
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
        length = e["length"].to_numpy(dtype=float) if "length" in e.columns else np.full(n, np.nan)
        _check_lengths(length, ~np.isnan(length), list(zip(e["u"].to_numpy(), e["v"].to_numpy(), strict=True)),
                       None)
        highway = e["highway"].tolist() if "highway" in e.columns else [None] * n
        maxspeed = e["maxspeed"].tolist() if "maxspeed" in e.columns else [None] * n
        geometry = e["geometry"].tolist() if "geometry" in e.columns else None
        networks = e[NETWORK_TYPES_ATTR].tolist() if NETWORK_TYPES_ATTR in e.columns else None
        self._compile(node_ids.astype(object), nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float),
                      pyproj.CRS.from_user_input(crs), u, v, length, highway, maxspeed, geometry,
                      metric_crs=metric_crs, networks=networks)
        return self

    def _compile(self, node_ids: npt.NDArray[Any], x: FloatArray, y: FloatArray, crs: pyproj.CRS,
                 u: IntArray, v: IntArray, length_m: FloatArray, highway: Sequence[object],
                 maxspeed: Sequence[object], geometry: Sequence[object] | None, *, metric_crs: Any,
                 networks: Sequence[object] | None = None) -> None:
        mode = self.mode
        self.crs = crs
        self.node_ids = node_ids
        n_nodes = len(node_ids)
        if metric_crs is None:
            if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
                metric_crs = crs
            else:
                to_ll = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                lon, lat = to_ll.transform(x, y)
                metric_crs = metric_crs_for(np.asarray(lon), np.asarray(lat))
        self.metric_crs = pyproj.CRS.from_user_input(metric_crs)
        to_m = pyproj.Transformer.from_crs(crs, self.metric_crs, always_xy=True)
        xm, ym = (np.asarray(a, dtype=float) for a in to_m.transform(x, y))
        self._node_xy_m = np.column_stack([xm, ym])

        # speeds: one evaluation per distinct (highway, maxspeed)
        hw_codes = _factorize(highway)
        ms_codes = _factorize(maxspeed)
        _, first, codes = np.unique(hw_codes * (int(ms_codes.max(initial=0)) + 1) + ms_codes, return_index=True,
                                    return_inverse=True)
        speed_by_code = np.array([mode.speed_kph(highway[i], maxspeed[i]) for i in first], dtype=float)
        speed_kph = speed_by_code[codes] if len(codes) else np.empty(0)
        n_closed = 0
        if networks is not None and mode.osm_network_type is not None and len(speed_kph):
            net_codes = _factorize(networks)
            _, net_first, net_inverse = np.unique(net_codes, return_index=True, return_inverse=True)
            open_by_code = np.array([mode.uses_network(networks[i]) for i in net_first], dtype=bool)
            closed = ~open_by_code[net_inverse] & np.isfinite(speed_kph)
            n_closed = int(closed.sum())
            speed_kph = np.where(closed, np.nan, speed_kph)

        has_geom = np.array([g is not None and not (isinstance(g, float)) for g in geometry], dtype=bool) \
            if geometry is not None else np.zeros(len(u), dtype=bool)
        need_len = ~np.isfinite(length_m)
        if need_len.any():
            geoms = self._edge_geoms_m(np.flatnonzero(need_len), u, v, geometry, has_geom, to_m)
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
        # physical edges: one geometry per (a, b, length) with a < b; times in both directions
        a = np.minimum(u[idx], v[idx])
        b = np.maximum(u[idx], v[idx])
        forward = u[idx] == a
        len_key = np.round(length_m[idx], 1)
        frame = pd.DataFrame({"a": a, "b": b, "len": len_key, "edge": idx, "fwd": forward, "t": time_min[idx]})
        phys_codes = frame.groupby(["a", "b", "len"], sort=False).ngroup().to_numpy()
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
        self._pa = np.zeros(n_phys, dtype=np.int64)
        self._pb = np.zeros(n_phys, dtype=np.int64)
        self._pa[phys_codes] = a
        self._pb[phys_codes] = b
        self._t_ab = t_ab
        self._t_ba = t_ba
        geoms = self._edge_geoms_m(rep, u, v, geometry, has_geom, to_m)
        if (~rep_fwd).any():
            geoms[~rep_fwd] = shapely.reverse(geoms[~rep_fwd])
        self._geoms_m = geoms
        self._geom_len_m = shapely.length(geoms)
        self._tree: shapely.STRtree | None = None

        # CSR of directed travel times, parallel edges reduced to the fastest
        rows = np.concatenate([self._pa[np.isfinite(t_ab)], self._pb[np.isfinite(t_ba)]])
        cols = np.concatenate([self._pb[np.isfinite(t_ab)], self._pa[np.isfinite(t_ba)]])
        wts = np.concatenate([t_ab[np.isfinite(t_ab)], t_ba[np.isfinite(t_ba)]])
        self._csr = _csr_min(rows, cols, wts, n_nodes)
        self._csr_rev = _csr_min(cols, rows, wts, n_nodes)
        self.n_nodes = n_nodes
        self.n_edges = int(self._csr.nnz)
        # least time (minutes) per metre of straight-line displacement along any edge: bounds how far a
        # search can get within a cutoff (triangle inequality), so bounded OD runs need only nearby roads
        straight_m = np.hypot(*(self._node_xy_m[rows] - self._node_xy_m[cols]).T)
        moving = straight_m > 0
        self._min_per_m = float(np.min(wts[moving] / straight_m[moving])) if moving.any() else 0.0
        logger.info("compiled %s network: %d nodes, %d directed edges, %d road segments, metric CRS %s",
                    mode.key, n_nodes, self.n_edges, n_phys, self.metric_crs.to_string())

    def _edge_geoms_m(self, which: IntArray, u: IntArray, v: IntArray, geometry: Sequence[object] | None,
                      has_geom: npt.NDArray[np.bool_], to_m: pyproj.Transformer) -> npt.NDArray[Any]:
        """Metric LineStrings of the edges ``which`` (their own geometry, else node to node)."""
        out = shapely.linestrings(
            np.stack([self._node_xy_m[u[which]], self._node_xy_m[v[which]]], axis=1)
        ) if len(which) else np.empty(0, dtype=object)
        with_geom = np.flatnonzero(has_geom[which])
        if len(with_geom):
            raw = [geometry[i] for i in which[with_geom]]  # type: ignore[index]
            geoms = np.array([shapely.from_wkt(g) if isinstance(g, str) else g for g in raw], dtype=object)
            coords, part = shapely.get_coordinates(geoms, return_index=True)
            xs, ys = to_m.transform(coords[:, 0], coords[:, 1])
            out[with_geom] = shapely.linestrings(np.column_stack([xs, ys]), indices=part)
        return out

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_tree"] = None  # rebuilt on first use
        state.pop("_transformers", None)
        state.pop("_snap_cache", None)
        state["metric_crs"] = self.metric_crs.to_wkt()
        state["crs"] = self.crs.to_wkt()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["metric_crs"] = pyproj.CRS.from_wkt(state["metric_crs"])
        state["crs"] = pyproj.CRS.from_wkt(state["crs"])
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (f"TravelTimeEngine(mode={self.mode.key!r}, nodes={self.n_nodes}, edges={self.n_edges}, "
                f"metric_crs={self.metric_crs.to_string()!r})")

    def segments(self) -> Any:
        """The compiled road segments, in the metric CRS.

        Returns
        -------
        geopandas.GeoDataFrame
            One row per road segment (parallel directed edges merged): ``u``, ``v`` (node ids, the
            geometry runs from u to v), ``travel_time_uv_min`` / ``travel_time_vu_min`` (NaN where the mode
            may not go that way), ``length_m`` (of the geometry), ``geometry``.  Row numbers are the
            ``edge`` values of :meth:`snap`.
        """
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"u": self.node_ids[self._pa], "v": self.node_ids[self._pb], "travel_time_uv_min": self._t_ab,
             "travel_time_vu_min": self._t_ba, "length_m": self._geom_len_m},
            geometry=self._geoms_m, crs=self.metric_crs,
        )

    # ------------------------------------------------------------------ snapping
    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the road segments (metric CRS), built on first use."""
        if self._tree is None:
            self._tree = shapely.STRtree(self._geoms_m, node_capacity=4)  # small nodes: 3x faster nearest
        return self._tree

    def _points_m(self, points: Any, what: str) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
        """Ids and metric x/y of a GeoDataFrame of points (NaN for missing geometries)."""
        crs = getattr(points, "crs", None)
        if crs is None:
            raise CRSError(f"{what} has no CRS; set it (e.g. gdf.set_crs('EPSG:4326')) before computing travel times")
        if "id" not in points.columns:
            raise MissingColumnError(f"{what} has no 'id' column; every point needs an id")
        id_col = points["id"]
        if not id_col.is_unique:
            dup = id_col[id_col.duplicated()].unique()
            raise InputError(f"{what}: ids must be unique, but {list(dup[:5])} appear more than once")
        ids = id_col.to_numpy()
        geom = points.geometry.to_numpy()
        missing = shapely.is_missing(geom) | shapely.is_empty(geom)
        if len(geom) and not missing.all():
            types = set(shapely.get_type_id(geom[~missing]).tolist())
            if types - {0}:
                geom = geom.copy()
                geom[~missing] = shapely.centroid(geom[~missing])
                logger.info("%s: non-point geometries replaced by their centroids", what)
        xy = np.full((len(geom), 2), np.nan)
        if (~missing).any():
            xy[~missing] = shapely.get_coordinates(geom[~missing])[:, :2]
        if missing.any():
            logger.warning("%s: %d rows have no geometry (e.g. id %r): they get no travel time",
                           what, int(missing.sum()), ids[np.flatnonzero(missing)[0]])
        xm, ym = self._to_metric(crs).transform(xy[:, 0], xy[:, 1])
        return ids, np.asarray(xm, dtype=float), np.asarray(ym, dtype=float)

    def _to_metric(self, crs: Any) -> pyproj.Transformer:
        """Transformer from ``crs`` to the metric CRS (cached per CRS)."""
        cache = self.__dict__.setdefault("_transformers", {})
        key = getattr(crs, "srs", None) or str(crs)
        if key not in cache:
            cache[key] = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), self.metric_crs,
                                                     always_xy=True)
        return cache[key]

    def _snap_xy(self, xm: FloatArray, ym: FloatArray, *, max_access_distance_m: float | None) -> Snap:
        """Snap metric points, remembering the last few answers (the same villages are asked about for every
        facility type)."""
        key = (hash(xm.tobytes()), hash(ym.tobytes()), len(xm), max_access_distance_m)
        cache: dict[Any, Snap] = self.__dict__.setdefault("_snap_cache", {})
        hit = cache.get(key)
        if hit is not None:
            return hit
        snap = self._snap_xy_uncached(xm, ym, max_access_distance_m=max_access_distance_m)
        if len(cache) >= 16:  # several app sessions may share the engine: tolerate a concurrent eviction
            try:
                cache.pop(next(iter(cache)), None)
            except (RuntimeError, StopIteration):
                pass
        cache[key] = snap
        return snap

    def _snap_xy_uncached(self, xm: FloatArray, ym: FloatArray, *, max_access_distance_m: float | None) -> Snap:
        n = len(xm)
        edge = np.full(n, -1, dtype=np.int64)
        fraction = np.full(n, np.nan)
        distance = np.full(n, np.nan)
        ok = np.isfinite(xm) & np.isfinite(ym)
        if ok.any():
            pts = shapely.points(xm[ok], ym[ok])
            e = np.full(len(pts), -1, dtype=np.int64)
            hit = self.tree.query_nearest(pts, all_matches=False)
            e[hit[0]] = hit[1]
            g = self._geoms_m[e]
            along = shapely.line_locate_point(g, pts)
            glen = self._geom_len_m[e]
            frac = np.where(glen > 0, along / np.where(glen > 0, glen, 1.0), 0.0)
            edge[ok] = e
            fraction[ok] = np.clip(frac, 0.0, 1.0)
            distance[ok] = shapely.distance(g, pts)
        if max_access_distance_m is not None:
            far = distance > max_access_distance_m
            edge[far] = -1
            fraction[far] = np.nan
        access_min = distance * self.mode.access_detour_factor / (self.mode.access_speed_kph * 1000.0 / 60.0)
        access_min[edge < 0] = np.nan
        return Snap(edge=edge, fraction=fraction, distance_m=distance, access_min=access_min)

    def snap(self, points: Any, *, max_access_distance_m: float | None = None) -> pd.DataFrame:
        """Where each point joins the road network.

        Parameters
        ----------
        points
            GeoDataFrame with an ``id`` column and a CRS.
        max_access_distance_m
            Points farther than this (metres) from every road are left off the network.

        Returns
        -------
        pandas.DataFrame
            Indexed by id: ``edge`` (road segment index, -1 when not snapped), ``fraction`` (0..1 along it),
            ``access_distance_m`` (straight line to the road, metres), ``access_time_min``.
        """
        ids, xm, ym = self._points_m(points, "points")
        s = self._snap_xy(xm, ym, max_access_distance_m=max_access_distance_m)
        return pd.DataFrame({"edge": s.edge, "fraction": s.fraction, "access_distance_m": s.distance_m,
                             "access_time_min": s.access_min}, index=pd.Index(ids, name="id"))

    # offsets from a snapped point into the network (origin side) / out of it (destination side)
    def _out_offsets(self, s: Snap) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """For points travelling *from* the road point: (node a, time to a, node b, time to b), NaN if impossible."""
        e = np.where(s.ok, s.edge, 0)
        to_a = s.access_min + _part(s.fraction, self._t_ba[e])
        to_b = s.access_min + _part(1.0 - s.fraction, self._t_ab[e])
        return self._pa[e], to_a, self._pb[e], to_b

    def _in_offsets(self, s: Snap) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """For points reached *at* the road point: (node a, time from a, node b, time from b)."""
        e = np.where(s.ok, s.edge, 0)
        from_a = s.access_min + _part(s.fraction, self._t_ab[e])
        from_b = s.access_min + _part(1.0 - s.fraction, self._t_ba[e])
        return self._pa[e], from_a, self._pb[e], from_b

    def _same_edge(self, so: Snap, sd: Snap) -> tuple[IntArray, IntArray, FloatArray]:
        """Origin/destination pairs on the same road segment: (origin index, destination index, minutes)
        of direct travel along it."""
        d_ok = np.flatnonzero(sd.ok)
        order = d_ok[np.argsort(sd.edge[d_ok], kind="stable")]
        d_edge = sd.edge[order]
        o_ok = np.flatnonzero(so.ok)
        lo = np.searchsorted(d_edge, so.edge[o_ok], side="left")
        count = np.searchsorted(d_edge, so.edge[o_ok], side="right") - lo
        i = np.repeat(o_ok, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        j = order[np.repeat(lo, count) + offset]
        e = so.edge[i]
        fo = so.fraction[i]
        fd = sd.fraction[j]
        along = np.where(fd >= fo, _part(fd - fo, self._t_ab[e]), _part(fo - fd, self._t_ba[e]))
        t = so.access_min[i] + sd.access_min[j] + along
        keep = np.isfinite(t)
        return i[keep], j[keep], t[keep]

    def _augmented(self, base: sp.csr_matrix, node_a: IntArray, w_a: FloatArray, node_b: IntArray,
                   w_b: FloatArray) -> sp.csr_matrix:
        """``base`` plus one virtual node per row of the offsets, with edges to nodes a and b (finite weights)."""
        n = base.shape[0]
        k = len(node_a)
        cols = np.column_stack([node_a, node_b])
        wts = np.column_stack([w_a, w_b])
        valid = np.isfinite(wts)
        counts = valid.sum(axis=1)
        indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
        indices = np.concatenate([base.indices, cols[valid]]).astype(np.int32)
        data = np.concatenate([base.data, wts[valid]])
        return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))

    # ------------------------------------------------------------------ degree-2 chains (contracted search)
    def _chains(self) -> _Chains:
        """The road graph with its pass-through nodes contracted (built on first use, then kept).

        A node with exactly two neighbours (a bend or a village street joining the next one) offers no choice
        of route: a search need not visit it.  Maximal runs of such nodes are *chains* between two *core*
        nodes (junctions and dead ends).  Contracted, the Yuxi demo network keeps a quarter of its nodes;
        its nearest-facility searches run several times faster with the same results.
        """
        cached = self.__dict__.get("_chain_cache")
        if cached is not None:
            return cached
        n = self.n_nodes
        und = (self._csr + self._csr_rev).tocsr()  # undirected pattern: distinct neighbours
        indptr, indices = und.indptr, und.indices
        deg = np.diff(indptr)
        is_core = deg != 2
        ptr_l, idx_l = indptr.tolist(), indices.tolist()
        chain_of = np.full(n, -1, dtype=np.int64)
        pos_of = np.zeros(n, dtype=np.int64)
        seq: list[int] = []  # node sequences of all chains, ends included
        chain_start: list[int] = []

        def walk(s: int, x: int) -> None:
            c = len(chain_start)
            chain_start.append(len(seq))
            seq.append(s)
            prev, cur, p = s, x, 1
            while not is_core[cur]:
                chain_of[cur] = c
                pos_of[cur] = p
                seq.append(cur)
                a, b = idx_l[ptr_l[cur]], idx_l[ptr_l[cur] + 1]
                prev, cur, p = cur, (b if a == prev else a), p + 1
            seq.append(cur)

        for s in np.flatnonzero(is_core & (deg > 0)).tolist():
            for x in idx_l[ptr_l[s]:ptr_l[s + 1]]:
                if not is_core[x] and chain_of[x] < 0:
                    walk(s, x)
        for s in np.flatnonzero(~is_core & (chain_of < 0)).tolist():  # loops without a junction
            if chain_of[s] < 0:
                is_core[s] = True
                walk(s, idx_l[ptr_l[s]])
        if not chain_start:  # no pass-through node: one placeholder chain keeps the lookups simple
            chain_start, seq = [0], [0, 0]
        seq_a = np.asarray(seq, dtype=np.int64)
        starts = np.asarray(chain_start, dtype=np.int64)
        n_chain = len(starts)
        length = np.diff(np.append(starts, len(seq_a)))  # nodes per chain, both ends included
        step = np.ones(len(seq_a), dtype=bool)
        step[np.append(starts, len(seq_a))[1:] - 1] = False  # no step after a chain's last node
        fu, fv = seq_a[:-1][step[:-1]], seq_a[1:][step[:-1]]
        fwd = _lookup(self._csr, fu, fv)
        bwd = _lookup(self._csr, fv, fu)
        # cumulative time (finite steps) and number of closed steps (oneway against) from the chain's start
        cum_f = np.zeros(len(seq_a))
        cum_b = np.zeros(len(seq_a))
        blk_f = np.zeros(len(seq_a), dtype=np.int64)
        blk_b = np.zeros(len(seq_a), dtype=np.int64)
        at = np.flatnonzero(step[:-1]) + 1  # positions reached by a step
        cum_f[at] = np.where(np.isfinite(fwd), fwd, 0.0)
        cum_b[at] = np.where(np.isfinite(bwd), bwd, 0.0)
        blk_f[at] = ~np.isfinite(fwd)
        blk_b[at] = ~np.isfinite(bwd)
        for arr in (cum_f, cum_b, blk_f, blk_b):  # cumulative sums restarting at each chain
            total = np.cumsum(arr)
            arr[:] = total - np.repeat(total[starts] - arr[starts], length)
        core = np.flatnonzero(is_core)
        core_pos = np.full(n, -1, dtype=np.int64)
        core_pos[core] = np.arange(len(core))
        last = starts + length - 1
        # core graph: direct core-core edges plus one edge per chain and open direction
        coo = self._csr.tocoo()
        direct = is_core[coo.row] & is_core[coo.col]
        ok_f = blk_f[last] == 0
        ok_b = blk_b[last] == 0
        rows = np.concatenate([coo.row[direct], seq_a[starts][ok_f], seq_a[last][ok_b]])
        cols = np.concatenate([coo.col[direct], seq_a[last][ok_f], seq_a[starts][ok_b]])
        wts = np.concatenate([coo.data[direct], cum_f[last][ok_f], cum_b[last][ok_b]])
        keep = rows != cols
        rows, cols, wts = core_pos[rows[keep]], core_pos[cols[keep]], wts[keep]
        chains = _Chains(
            core=core, core_pos=core_pos, chain_of=chain_of, pos_of=pos_of,
            first=seq_a[starts], last=seq_a[last], n_steps=length - 1, seq_start=starts,
            cum_f=cum_f, cum_b=cum_b, blk_f=blk_f, blk_b=blk_b,
            csr=_csr_min(rows, cols, wts, len(core)), csr_rev=_csr_min(cols, rows, wts, len(core)),
        )
        self.__dict__["_chain_cache"] = chains
        logger.debug("contracted %d pass-through nodes into %d chains: %d core nodes", int((chain_of >= 0).sum()),
                     n_chain, len(core))
        return chains

    def _core_offsets(self, ch: _Chains, node: IntArray, t: FloatArray, *, outward: bool
                      ) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """Move offsets at graph nodes to the core: a pass-through node becomes its chain's two ends.

        ``outward``: the point travels *from* ``node`` (times node -> end added), else *to* it (end -> node).
        Returns (core index, minutes, core index, minutes); -1 / inf where there is no second end.
        """
        c = ch.chain_of[node]
        inner = c >= 0
        cc = np.where(inner, c, 0)
        i = ch.seq_start[cc] + ch.pos_of[node]
        j = ch.seq_start[cc] + ch.n_steps[cc]
        if outward:  # node -> first end (backwards), node -> last end (forwards)
            t1 = np.where(ch.blk_b[i] == 0, ch.cum_b[i], np.inf)
            t2 = np.where(ch.blk_f[j] == ch.blk_f[i], ch.cum_f[j] - ch.cum_f[i], np.inf)
        else:  # first end -> node, last end -> node
            t1 = np.where(ch.blk_f[i] == 0, ch.cum_f[i], np.inf)
            t2 = np.where(ch.blk_b[j] == ch.blk_b[i], ch.cum_b[j] - ch.cum_b[i], np.inf)
        n1 = np.where(inner, ch.core_pos[ch.first[cc]], ch.core_pos[node])
        n2 = np.where(inner, ch.core_pos[ch.last[cc]], -1)
        w1 = np.where(inner, t + t1, t)
        w2 = np.where(inner, t + t2, np.inf)
        return n1, w1, n2, w2

    def _segment_positions(self, ch: _Chains, edge: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Chain of each road segment (-1: between two core nodes) and the positions of its ends in it."""
        a, b = self._pa[edge], self._pb[edge]
        c = np.where(ch.chain_of[a] >= 0, ch.chain_of[a], ch.chain_of[b])
        cc = np.where(c >= 0, c, 0)

        def pos(x: IntArray, other: IntArray) -> IntArray:
            other_pos = ch.pos_of[other]
            at_first = (x == ch.first[cc]) & ((ch.first[cc] != ch.last[cc]) | (other_pos == 1))
            return np.where(ch.chain_of[x] >= 0, ch.pos_of[x], np.where(at_first, 0, ch.n_steps[cc]))

        return c, pos(a, b), pos(b, a)

    def _chain_time(self, ch: _Chains, c: IntArray, p1: IntArray, p2: IntArray) -> FloatArray:
        """Minutes along chain ``c`` from position ``p1`` to ``p2`` (inf against a oneway)."""
        i, j = ch.seq_start[c] + p1, ch.seq_start[c] + p2
        fwd = np.where(ch.blk_f[j] == ch.blk_f[i], ch.cum_f[j] - ch.cum_f[i], np.inf)
        bwd = np.where(ch.blk_b[i] == ch.blk_b[j], ch.cum_b[i] - ch.cum_b[j], np.inf)
        return np.where(p2 >= p1, fwd, bwd)

    def _same_chain(self, ch: _Chains, so: Snap, sd: Snap) -> tuple[IntArray, IntArray, FloatArray]:
        """Origin/destination pairs on one chain: (origin, destination, minutes) of travel along the chain
        without passing a core node (other routes leave the chain and are found by the search)."""
        co, ao, bo = self._segment_positions(ch, np.where(so.ok, so.edge, 0))
        cd, ad, bd = self._segment_positions(ch, np.where(sd.ok, sd.edge, 0))
        i, j = _pairs_by_key(np.where(so.ok, co, -1), np.where(sd.ok, cd, -1))
        if len(i) == 0:
            return i, j, np.empty(0)
        _, to_a, _, to_b = self._out_offsets(so)
        _, from_a, _, from_b = self._in_offsets(sd)
        c = co[i]
        best = np.full(len(i), np.inf)
        for p_o, t_o in ((ao[i], to_a[i]), (bo[i], to_b[i])):
            for p_d, t_d in ((ad[j], from_a[j]), (bd[j], from_b[j])):
                with np.errstate(invalid="ignore"):
                    t = t_o + self._chain_time(ch, c, p_o, p_d) + t_d
                best = np.fmin(best, t)
        keep = np.isfinite(best)
        return i[keep], j[keep], best[keep]

    # ------------------------------------------------------------------ queries
    def nearest(self, origins: Any, destinations: Any, *, cutoff_min: float | None = None,
                max_access_distance_m: float | None = None) -> pd.DataFrame:
        """Travel time from every origin to its nearest destination, and which one.

        Parameters
        ----------
        origins
            GeoDataFrame of points (villages) with an ``id`` column, any CRS.
        destinations
            GeoDataFrame of points (facilities) with an ``id`` column, any CRS.
        cutoff_min
            Search no farther than this many minutes; beyond it the time is NaN.
        max_access_distance_m
            Points farther than this from every road (metres) are unreachable.

        Returns
        -------
        pandas.DataFrame
            One row per origin, indexed by origin id: ``travel_time_min`` (NaN when no destination is
            reachable within the cutoff), ``to_id`` (the nearest destination's id, None when unreachable),
            ``access_distance_m`` (straight line from the origin to the road, metres).
            ``attrs["unreachable_share"]`` is the share of origins without a time; ``attrs["n_unreachable"]``
            their number.

        Raises
        ------
        CRSError, MissingColumnError, InputError
            A layer without CRS or ``id`` column, or duplicate ids.
        """
        oid, ox_, oy_ = self._points_m(origins, "origins")
        did, dx_, dy_ = self._points_m(destinations, "destinations")
        so = self._snap_xy(ox_, oy_, max_access_distance_m=max_access_distance_m)
        sd = self._snap_xy(dx_, dy_, max_access_distance_m=max_access_distance_m)
        limit = np.inf if cutoff_min is None else float(cutoff_min)
        best = np.full(len(oid), np.inf)
        best_j = np.full(len(oid), -1, dtype=np.int64)
        if sd.ok.any() and so.ok.any():
            # search the contracted graph (junctions and dead ends only) from the destinations, backwards
            ch = self._chains()
            m = len(ch.core)
            k = np.flatnonzero(sd.ok)
            da, wa, db, wb = self._in_offsets(sd)
            cols: list[IntArray] = []
            wts: list[FloatArray] = []
            for node, w in ((da[k], wa[k]), (db[k], wb[k])):
                n1, w1, n2, w2 = self._core_offsets(ch, node, w, outward=False)
                cols += [n1, n2]
                wts += [w1, w2]
            graph = _augmented_many(ch.csr_rev, np.tile(np.arange(len(k)), 4), np.concatenate(cols),
                                    np.concatenate(wts))
            dist, _pred, source = dijkstra(graph, directed=True, indices=m + np.arange(len(k)), limit=limit,
                                           min_only=True, return_predecessors=True)
            oa, ta, ob, tb = self._out_offsets(so)
            node_best = np.zeros(len(oid), dtype=np.int64)
            for node, w in ((oa, ta), (ob, tb)):
                n1, w1, n2, w2 = self._core_offsets(ch, node, w, outward=True)
                for cn, cw in ((n1, w1), (n2, w2)):
                    with np.errstate(invalid="ignore"):
                        via = np.where(so.ok & (cn >= 0), cw + dist[np.maximum(cn, 0)], np.inf)
                    via = np.where(np.isnan(via), np.inf, via)
                    better = via < best
                    best = np.where(better, via, best)
                    node_best = np.where(better, cn, node_best)
            best_j = np.where(np.isfinite(best), k[np.maximum(source[node_best] - m, 0)], -1)
            # routes that never reach a core node: along the origin's own segment or chain
            si, sj, st = (np.concatenate(x) for x in zip(self._same_edge(so, sd), self._same_chain(ch, so, sd),
                                                         strict=True))
            order = np.argsort(st, kind="stable")
            si, sj, st = si[order], sj[order], st[order]
            first = np.unique(si, return_index=True)[1]
            si, sj, st = si[first], sj[first], st[first]
            better = st < best[si]
            best[si[better]] = st[better]
            best_j[si[better]] = sj[better]
        reached = np.isfinite(best) & (best <= limit)
        to_id = np.full(len(oid), None, dtype=object)
        to_id[reached] = did[best_j[reached]]
        out = pd.DataFrame({"travel_time_min": np.where(reached, best, np.nan), "to_id": to_id,
                            "access_distance_m": so.distance_m}, index=pd.Index(oid, name="id"))
        self._report(out, so, len(did), cutoff_min, max_access_distance_m)
        return out

    def _report(self, out: pd.DataFrame, so: Snap, n_dest: int, cutoff_min: float | None,
                max_access_distance_m: float | None) -> None:
        n_un = int(out["travel_time_min"].isna().sum())
        share = n_un / len(out) if len(out) else 0.0
        out.attrs["n_unreachable"] = n_un
        out.attrs["unreachable_share"] = share
        out.attrs["max_access_distance_m"] = float(np.nanmax(so.distance_m)) if so.ok.any() else math.nan
        out.attrs["mode"] = self.mode.key
        if n_dest == 0:
            logger.warning("no destinations given: every travel time is NaN")
        elif n_un:
            where = f"within {cutoff_min:g} min" if cutoff_min is not None else "at all (the road network is in " \
                "several pieces, or points lie off it)"
            # Beyond a cutoff the caller asked for is an answer, not a problem: say it quietly.
            log = logger.info if cutoff_min is not None else logger.warning
            log("%d of %d origins (%.1f%%) cannot reach any destination %s", n_un, len(out), 100 * share, where)
        far = so.distance_m > 1000.0
        if far.any():
            logger.warning("%d origins are more than 1 km from the nearest road (farthest %.0f m): their access "
                           "leg is walked at %.1f km/h; check their coordinates or the road network's extent",
                           int(far.sum()), float(np.nanmax(so.distance_m)), self.mode.access_speed_kph)
        if max_access_distance_m is not None:
            off = ~so.ok & np.isfinite(so.distance_m)
            if off.any():
                logger.warning("%d origins are farther than %g m from every road and were left off the network",
                               int(off.sum()), max_access_distance_m)

    def od(self, origins: Any, destinations: Any, *, cutoff_min: float | None,
           max_access_distance_m: float | None = None, run_from: str = "auto",
           progress: Callable[[float], None] | None = None) -> pd.DataFrame:
        """Sparse origin-destination travel times within a cutoff, in long format.

        Parameters
        ----------
        origins, destinations
            GeoDataFrames of points with an ``id`` column, any CRS.
        cutoff_min
            Pairs farther apart than this (minutes) are left out.  ``None`` keeps every reachable pair
            (a dense table: use with care on large inputs).
        max_access_distance_m
            Points farther than this from every road (metres) are unreachable.
        run_from
            "origins" (one bounded Dijkstra run per origin on the graph), "destinations" (per destination on
            the reversed graph) or "auto": from the smaller side.  Results are the same.
        progress
            Called with the share done (0..1) after each block of shortest-path runs.

        Returns
        -------
        pandas.DataFrame
            Columns ``from_id``, ``to_id``, ``travel_time_min``, one row per reachable pair, sorted by
            ``from_id`` order then time.  ``attrs["unreachable_share"]``: share of origins without any
            destination within the cutoff.
        """
        oid, ox_, oy_ = self._points_m(origins, "origins")
        did, dx_, dy_ = self._points_m(destinations, "destinations")
        so = self._snap_xy(ox_, oy_, max_access_distance_m=max_access_distance_m)
        sd = self._snap_xy(dx_, dy_, max_access_distance_m=max_access_distance_m)
        limit = np.inf if cutoff_min is None else float(cutoff_min)
        parts_i: list[IntArray] = []
        parts_j: list[IntArray] = []
        parts_t: list[FloatArray] = []
        if run_from not in ("auto", "origins", "destinations"):
            raise ValueError(f"run_from must be 'auto', 'origins' or 'destinations', not {run_from!r}")
        forward = so.ok.sum() <= sd.ok.sum() if run_from == "auto" else run_from == "origins"
        if so.ok.any() and sd.ok.any():
            # searches run on the contracted graph (junctions and dead ends), see _chains
            ch = self._chains()
            m = len(ch.core)
            if forward:  # per origin, on the graph
                src_snap, tgt_snap, base = so, sd, ch.csr
                src_off, tgt_off = self._out_offsets(so), self._in_offsets(sd)
            else:  # per destination, on the reversed graph
                src_snap, tgt_snap, base = sd, so, ch.csr_rev
                src_off, tgt_off = self._in_offsets(sd), self._out_offsets(so)
            src_ok = np.flatnonzero(src_snap.ok)
            tgt_ok = np.flatnonzero(tgt_snap.ok)
            # up to four core nodes per point (each end of its segment, or that end's chain ends) and minutes
            sc_parts, sw_parts, tc_parts, tw_parts = [], [], [], []
            for node, w in ((src_off[0], src_off[1]), (src_off[2], src_off[3])):
                n1, w1, n2, w2 = self._core_offsets(ch, node, w, outward=forward)
                sc_parts += [n1, n2]
                sw_parts += [w1, w2]
            for node, w in ((tgt_off[0][tgt_ok], tgt_off[1][tgt_ok]), (tgt_off[2][tgt_ok], tgt_off[3][tgt_ok])):
                n1, w1, n2, w2 = self._core_offsets(ch, node, w, outward=not forward)
                tc_parts += [n1, n2]
                tw_parts += [w1, w2]
            sc, sw = np.column_stack(sc_parts), np.column_stack(sw_parts)  # (sources, 4)
            sw = np.where((sc >= 0) & np.isfinite(sw), sw, np.inf)
            tc, tw = np.column_stack(tc_parts), np.column_stack(tw_parts)  # (targets, 4)
            tw = np.where((tc >= 0) & np.isfinite(tw), tw, np.inf)
            tc = np.where(np.isfinite(tw), tc, -1)
            si, sj, st = (np.concatenate(x) for x in zip(self._same_edge(so, sd), self._same_chain(ch, so, sd),
                                                         strict=True))
            s_src, s_tgt = (si, sj) if forward else (sj, si)
            n_src_all = len(src_snap.edge)
            row_of = np.full(n_src_all, -1, dtype=np.int64)
            col_of = np.full(len(tgt_snap.edge), -1, dtype=np.int64)
            col_of[tgt_ok] = np.arange(len(tgt_ok))
            radius_m = limit / self._min_per_m if self._min_per_m > 0 else np.inf
            local = bool(np.isfinite(radius_m))
            xy = self._node_xy_m[ch.core]
            graph: sp.csr_matrix | None = None
            if local:  # bounded searches: each block of nearby sources runs on the roads within reach only
                cell = max(radius_m / 2, 100.0)
                first_c = sc[src_ok, np.argmax(sc[src_ok] >= 0, axis=1)]
                gxy = np.floor((xy[first_c] - xy[first_c].min(axis=0)) / cell).astype(np.int64)
                src_ok = src_ok[np.argsort(_morton(gxy[:, 0], gxy[:, 1]), kind="stable")]
                block = 32
                n_local = 0
            else:
                block = max(1, int(OD_BLOCK_BYTES // (8 * (m + n_src_all))))
            for start in range(0, len(src_ok), block):
                chunk = src_ok[start:start + block]
                sub = None
                if local:
                    ends = sc[chunk][sc[chunk] >= 0]
                    if len(ends):
                        lo_xy = xy[ends].min(axis=0) - radius_m
                        hi_xy = xy[ends].max(axis=0) + radius_m
                        inside = ((xy[:, 0] >= lo_xy[0]) & (xy[:, 0] <= hi_xy[0]) & (xy[:, 1] >= lo_xy[1])
                                  & (xy[:, 1] <= hi_xy[1]))
                        if inside.sum() < 0.6 * m:
                            sub = np.flatnonzero(inside)
                if sub is not None:
                    n_local += 1
                    pos = np.full(m + 1, -1, dtype=np.int64)  # pos[-1] (no node) stays -1
                    pos[sub] = np.arange(len(sub))
                    g = _augmented_many(base[sub][:, sub].tocsr(), np.repeat(np.arange(len(chunk)), 4),
                                        pos[sc[chunk]].ravel(), sw[chunk].ravel())
                    d = dijkstra(g, directed=True, indices=len(sub) + np.arange(len(chunk)), limit=limit)
                    d = np.concatenate([d[:, : len(sub)], np.full((len(chunk), 1), np.inf)], axis=1)
                    cols_t = pos[tc]  # -1: outside the reach -> the inf column
                else:
                    if graph is None:
                        graph = _augmented_many(base, np.repeat(np.arange(n_src_all), 4), sc.ravel(), sw.ravel())
                    d = dijkstra(graph, directed=True, indices=m + chunk, limit=limit)
                    d = np.concatenate([d[:, :m], np.full((len(chunk), 1), np.inf)], axis=1)
                    cols_t = np.where(tc >= 0, tc, m)
                t = d[:, cols_t[:, 0]] + tw[:, 0]
                for q in range(1, 4):
                    np.minimum(t, d[:, cols_t[:, q]] + tw[:, q], out=t)
                row_of[chunk] = np.arange(len(chunk))
                hit = (row_of[s_src] >= 0) & (col_of[s_tgt] >= 0)
                if hit.any():  # pairs on one segment or chain: direct travel along it
                    np.minimum.at(t, (row_of[s_src[hit]], col_of[s_tgt[hit]]), st[hit])
                row_of[chunk] = -1
                r, c = np.nonzero(np.isfinite(t) & (t <= limit))
                src_idx = chunk[r]
                tgt_idx = tgt_ok[c]
                parts_i.append(src_idx if forward else tgt_idx)
                parts_j.append(tgt_idx if forward else src_idx)
                parts_t.append(t[r, c])
                if progress is not None:
                    progress(min(1.0, (start + len(chunk)) / len(src_ok)))
            if local:
                logger.debug("bounded OD: %d of %d blocks ran on the roads within %.0f m only", n_local,
                             -(-len(src_ok) // block), radius_m)
        i = np.concatenate(parts_i) if parts_i else np.empty(0, np.int64)
        j = np.concatenate(parts_j) if parts_j else np.empty(0, np.int64)
        tt = np.concatenate(parts_t) if parts_t else np.empty(0)
        order = np.lexsort((tt, i))
        out = pd.DataFrame({"from_id": oid[i[order]], "to_id": did[j[order]], "travel_time_min": tt[order]})
        reached = np.zeros(len(oid), dtype=bool)
        reached[i] = True
        summary = pd.DataFrame({"travel_time_min": np.where(reached, 0.0, np.nan)})
        self._report(summary, so, len(did), cutoff_min, max_access_distance_m)
        out.attrs.update(summary.attrs)
        return out

    def service_areas(self, sources: Any, *, thresholds_min: Sequence[float], buffer_m: float = 50.0,
                      by_source: bool = False, max_access_distance_m: float | None = None) -> Any:
        """Areas from which the nearest source is reachable within each threshold (reached streets, buffered).

        Parameters
        ----------
        sources
            GeoDataFrame of points (facilities) with an ``id`` column, any CRS.
        thresholds_min
            Travel times (minutes), e.g. ``[5, 10, 15]``.
        buffer_m
            Half-width (metres) of the band drawn around each reached street.
        by_source
            One area per source and threshold (column ``source_id``) instead of one per threshold.
        max_access_distance_m
            Sources farther than this from every road (metres) are left out.

        Returns
        -------
        geopandas.GeoDataFrame
            ``threshold_min`` (and ``source_id``), ``area_km2``, ``geometry`` (sources' CRS), largest first.

        Example
        -------
        >>> eng.service_areas(facilities, thresholds_min=[5, 10, 15])  # doctest: +SKIP
        """
        from coverage.traveltime.areas import service_areas

        return service_areas(self, sources, thresholds_min=thresholds_min, buffer_m=buffer_m, by_source=by_source,
                             max_access_distance_m=max_access_distance_m)

    def node_times(self, sources: Any, *, cutoff_min: float | None = None, to_sources: bool = True,
                   max_access_distance_m: float | None = None) -> tuple[FloatArray, Snap]:
        """Time (minutes) between every road node and the nearest source (NaN beyond the cutoff).

        Parameters
        ----------
        sources
            GeoDataFrame of points with an ``id`` column, any CRS.
        cutoff_min
            Search no farther than this many minutes.
        to_sources
            True: time from the node *to* the nearest source (a facility's catchment); False: from it.
        max_access_distance_m
            Sources farther than this from every road (metres) are left out.

        Returns
        -------
        tuple
            Node times (minutes, in the graph's node order; NaN: not reached) and the sources' :class:`Snap`.
        """
        _, sx, sy = self._points_m(sources, "sources")
        ss = self._snap_xy(sx, sy, max_access_distance_m=max_access_distance_m)
        limit = np.inf if cutoff_min is None else float(cutoff_min)
        if not ss.ok.any():
            return np.full(self.n_nodes, np.nan), ss
        if to_sources:
            a, wa, b, wb = self._in_offsets(ss)
            graph = self._augmented(self._csr_rev, a, wa, b, wb)
        else:
            a, wa, b, wb = self._out_offsets(ss)
            graph = self._augmented(self._csr, a, wa, b, wb)
        dist = dijkstra(graph, directed=True, indices=self.n_nodes + np.flatnonzero(ss.ok), limit=limit,
                        min_only=True)
        d = dist[: self.n_nodes].copy()
        d[np.isinf(d)] = np.nan
        return d, ss


def _morton(gx: IntArray, gy: IntArray) -> IntArray:
    """Z-order (Morton) code of non-negative grid cells: sorting by it keeps nearby cells together."""

    def spread(v: IntArray) -> IntArray:
        v = np.clip(v, 0, 0xFFFF).astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    return (spread(gx) | (spread(gy) << np.uint64(1))).astype(np.int64)


def _factorize(values: Sequence[object]) -> IntArray:
    """Integer codes of equal values (lists, as osmnx keeps merged tags, compared by their text)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    try:
        codes = pd.factorize(arr, use_na_sentinel=False)[0]
    except TypeError:  # unhashable (list) values
        codes = pd.factorize(np.array([repr(v) for v in arr], dtype=object), use_na_sentinel=False)[0]
    return codes.astype(np.int64)


def _part(share: FloatArray, time_min: FloatArray) -> FloatArray:
    """``share * time_min``, 0 where the share is 0 (a point on a node reaches it even against a oneway)."""
    return np.where(share == 0.0, 0.0, share * time_min)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _check_lengths(length_m: FloatArray, given: npt.NDArray[np.bool_], uv: Sequence[tuple[Any, Any]],
                   source: object) -> None:
    """Raise :class:`NetworkError` naming the first edges whose given ``length`` is negative, infinite or not a
    number (a negative weight makes shortest paths meaningless; an absent length is measured on the geometry)."""
    bad = np.flatnonzero(given & ~(np.isfinite(length_m) & (length_m >= 0)))
    if len(bad) == 0:
        return
    where = f"{source}: " if source else ""
    def plain(x: object) -> object:
        return x.item() if isinstance(x, np.generic) else x

    listed = ", ".join(f"({plain(uv[i][0])!r}, {plain(uv[i][1])!r}) length {length_m[i]}" for i in bad[:5])
    raise NetworkError(
        f"{where}{len(bad)} road edge(s) have a negative, infinite or non-numeric length, e.g. edge {listed}. "
        "Edge lengths must be metres >= 0: fix or delete these edges in the network file (or remove the "
        "'length' attribute to measure them on the geometry) / 路段长度为负数、无穷大或不是数字")


def _csr_min(rows: IntArray, cols: IntArray, wts: FloatArray, n: int) -> sp.csr_matrix:
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

def _lookup(csr: sp.csr_matrix, rows: IntArray, cols: IntArray) -> FloatArray:
    """Weights of the entries (rows, cols) of a CSR matrix with sorted, unique indices; inf where absent."""
    n = csr.shape[1]
    row_of = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))
    keys = row_of * n + csr.indices
    want = rows.astype(np.int64) * n + cols
    at = np.clip(np.searchsorted(keys, want), 0, max(len(keys) - 1, 0))
    found = (keys[at] == want) if len(keys) else np.zeros(len(want), dtype=bool)
    return np.where(found, csr.data[at] if len(keys) else 0.0, np.inf)


def _pairs_by_key(key_o: IntArray, key_d: IntArray) -> tuple[IntArray, IntArray]:
    """All (i, j) with ``key_o[i] == key_d[j] >= 0``."""
    d_ok = np.flatnonzero(key_d >= 0)
    order = d_ok[np.argsort(key_d[d_ok], kind="stable")]
    d_key = key_d[order]
    o_ok = np.flatnonzero(key_o >= 0)
    lo = np.searchsorted(d_key, key_o[o_ok], side="left")
    count = np.searchsorted(d_key, key_o[o_ok], side="right") - lo
    i = np.repeat(o_ok, count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(lo, count) + offset]


def _augmented_many(base: sp.csr_matrix, virtual: IntArray, cols: IntArray, wts: FloatArray) -> sp.csr_matrix:
    """``base`` plus virtual nodes ``0..max(virtual)`` (after its nodes) with edges to ``cols``; of repeated
    edges the fastest is kept, non-finite weights and negative columns are dropped."""
    n = base.shape[0]
    k = int(virtual.max()) + 1 if len(virtual) else 0
    valid = np.isfinite(wts) & (cols >= 0)
    key = virtual[valid].astype(np.int64) * n + cols[valid]
    w = wts[valid]
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    if len(key):
        start = np.ones(len(key), dtype=bool)
        start[1:] = key[1:] != key[:-1]
        first = np.flatnonzero(start)
        w = np.minimum.reduceat(w, first)
        key = key[first]
    row, col = np.divmod(key, n)
    counts = np.bincount(row, minlength=k)
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([base.indices, col]).astype(np.int32)
    data = np.concatenate([base.data, w])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))
