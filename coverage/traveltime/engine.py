"""The travel-time engine: nearest-facility times, sparse OD tables and node times over a compiled road graph.

A road graph is compiled once per travel mode (:mod:`coverage.traveltime.compiled`: CSR matrix of edge
minutes, node coordinates and road segments in a metric CRS).  Queries then

1. snap every point to the nearest point on the nearest road *segment* (not node), in metres
   (:mod:`coverage.traveltime.snap`);
2. add an access leg: straight-line distance to that road point times the mode's detour factor, at its
   access (walking) speed, plus the partial segment time from the road point to each end node;
3. run Dijkstra in compiled code (:func:`scipy.sparse.csgraph.dijkstra`) from virtual nodes that carry
   those offsets (:mod:`coverage.traveltime.overlay`), bounded by the cutoff (``limit=``), multi-source
   with ``min_only=True`` for "nearest";
4. handle an origin and a destination on the same segment (travel along it without reaching a node).

``nearest`` and ``od`` search the contracted graph (:mod:`coverage.traveltime.contract`: junctions and dead
ends only; Yuxi demo: 67,542 -> 16,628 nodes): the same times, 2-4x fewer nodes to settle.  ``node_times``
and service areas (:mod:`coverage.traveltime.areas`) use the whole graph (they need every node).

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

import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.sparse.csgraph import dijkstra

from coverage.errors import CRSError, InputError, MissingColumnError, NetworkError
from coverage.network.modes import TravelMode, get_mode
from coverage.traveltime.compiled import (
    CompiledNetwork,
    LazyIds,
    check_lengths,
    compile_arrays,
    compile_frames,
    compile_graph,
)
from coverage.traveltime.contract import Chains, contract, core_offsets, same_chain_pairs
from coverage.traveltime.manytomany import METHODS, TableStats, core_table
from coverage.traveltime.overlay import with_sources
from coverage.traveltime.snap import Snap, in_offsets, out_offsets, same_segment_pairs, snap_points

__all__ = ["TravelTimeEngine"]

logger = logging.getLogger(__name__)

#: Memory budget (bytes) of one block of Dijkstra rows in OD queries.
OD_BLOCK_BYTES = 128 * 2**20

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
    The engine does not change after construction (apart from small internal caches of recent snaps,
    coordinate transformers and the contracted graph) and is picklable: cache it with ``st.cache_resource``
    and share it.  Self-loops are dropped (they never shorten a path); parallel edges keep the fastest.
    The compiled graph is :attr:`network` (a :class:`~coverage.traveltime.CompiledNetwork`);
    :func:`coverage.traveltime.save_network` / :func:`~coverage.traveltime.engine_for_file` keep it on disk.
    """

    def __init__(self, G: nx.MultiDiGraph, mode: str | TravelMode = "walk", *,
                 metric_crs: Any = None) -> None:
        self._set_network(compile_graph(G, get_mode(mode), metric_crs=metric_crs))

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
        return cls.from_network(compile_frames(nodes, edges, get_mode(mode), crs=crs, metric_crs=metric_crs))

    @classmethod
    def from_arrays(cls, x: npt.ArrayLike, y: npt.ArrayLike, u: npt.ArrayLike, v: npt.ArrayLike,
                    length_m: npt.ArrayLike, mode: str | TravelMode = "walk", *, crs: Any,
                    node_ids: npt.ArrayLike | None = None, highway: Any = None, maxspeed: Any = None,
                    geometry: Any = None, metric_crs: Any = None) -> TravelTimeEngine:
        """Compile from plain arrays (no networkx graph, no DataFrame): the fastest way in for large networks.

        Parameters
        ----------
        x, y
            Node coordinates in ``crs``.
        u, v
            Start and end node of each directed edge, as *positions* (0 .. n - 1) in ``x``/``y``; a two-way road
            is two edges, as in an osmnx graph.
        length_m
            Edge lengths in metres (NaN: measured on the geometry or the straight line).
        mode
            As for the constructor.
        crs
            CRS of ``x``/``y``.
        node_ids
            Node ids (default 0 .. n - 1).
        highway, maxspeed
            Per-edge OSM road class and posted speed: arrays, lists or a ``pandas.Categorical`` (read by its
            codes); None: absent (the mode's default speed).
        geometry
            Per-edge LineStrings (None entries: straight lines); None: every edge straight.
        metric_crs
            As for the constructor.

        Raises
        ------
        NetworkError
            Edges naming absent nodes, bad lengths, or no edge the mode can use.
        """
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        n = len(xa)
        ua, va = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        bad = (ua < 0) | (ua >= n) | (va < 0) | (va >= n)
        if bad.any():
            raise NetworkError(f"{int(bad.sum())} edges refer to node positions outside 0..{n - 1}, e.g. "
                               f"({ua[bad][0]}, {va[bad][0]})")
        ids = np.arange(n) if node_ids is None else np.asarray(node_ids)
        ids_obj = ids.astype(object)
        length = np.asarray(length_m, dtype=float)
        check_lengths(length, ~np.isnan(length), LazyIds(ids, ua), LazyIds(ids, va), None)
        return cls.from_network(compile_arrays(
            get_mode(mode), ids_obj, xa, ya, pyproj.CRS.from_user_input(crs), ua, va, length, highway=highway,
            maxspeed=maxspeed, geometry=geometry, metric_crs=metric_crs))

    @classmethod
    def from_network(cls, network: CompiledNetwork) -> TravelTimeEngine:
        """An engine over an already compiled network (e.g. one loaded with
        :func:`coverage.traveltime.load_network`)."""
        self = cls.__new__(cls)
        self._set_network(network)
        return self

    def _set_network(self, network: CompiledNetwork) -> None:
        self.network = network
        self.mode: TravelMode = network.mode
        self.crs: pyproj.CRS = network.crs
        self.metric_crs: pyproj.CRS = network.metric_crs
        self.node_ids = network.node_ids
        self.n_nodes = network.n_nodes
        self.n_edges = network.n_edges

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        return {"network": self.network}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._set_network(state["network"])

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

        net = self.network
        return gpd.GeoDataFrame(
            {"u": net.node_ids[net.seg_a], "v": net.node_ids[net.seg_b], "travel_time_uv_min": net.seg_time_ab_min,
             "travel_time_vu_min": net.seg_time_ba_min, "length_m": net.seg_length_m},
            geometry=net.seg_geoms_m, crs=net.metric_crs,
        )

    # ------------------------------------------------------------------ snapping
    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the road segments (metric CRS), built on first use."""
        return self.network.tree

    def chains(self) -> Chains:
        """The road graph with its pass-through nodes contracted (:mod:`coverage.traveltime.contract`),
        built on first use, then kept."""
        cached = self.network._cache.get("chains")
        if cached is None:
            cached = contract(self.network)
            self.network._cache["chains"] = cached
        return cached

    def _points_m(self, points: Any, what: str) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
        """Ids and metric x/y of a GeoDataFrame of points (NaN for missing geometries)."""
        try:  # the geometry column once (a GeoDataFrame finds it anew on every access)
            geo = points.geometry
            crs = geo.crs
        except AttributeError:
            crs = None
        if crs is None:
            raise CRSError(f"{what} has no CRS; set it (e.g. gdf.set_crs('EPSG:4326')) before computing travel times")
        if "id" not in points.columns:
            raise MissingColumnError(f"{what} has no 'id' column; every point needs an id")
        id_col = points["id"]
        if not id_col.is_unique:
            dup = id_col[id_col.duplicated()].unique()
            raise InputError(f"{what}: ids must be unique, but {list(dup[:5])} appear more than once")
        ids = id_col.to_numpy()
        geom = geo.to_numpy()
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
        snap = snap_points(self.network, xm, ym, max_access_distance_m=max_access_distance_m)
        if len(cache) >= 16:  # several app sessions may share the engine: tolerate a concurrent eviction
            with contextlib.suppress(RuntimeError, StopIteration):
                cache.pop(next(iter(cache)), None)
        cache[key] = snap
        return snap


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
            ch = self.chains()
            m = len(ch.core)
            k = np.flatnonzero(sd.ok)
            da, wa, db, wb = in_offsets(self.network, sd)
            cols: list[IntArray] = []
            wts: list[FloatArray] = []
            for node, w in ((da[k], wa[k]), (db[k], wb[k])):
                n1, w1, n2, w2 = core_offsets(ch, node, w, outward=False)
                cols += [n1, n2]
                wts += [w1, w2]
            graph = with_sources(ch.csr_rev, np.tile(np.arange(len(k)), 4), np.concatenate(cols),
                                    np.concatenate(wts))
            dist, _pred, source = dijkstra(graph, directed=True, indices=m + np.arange(len(k)), limit=limit,
                                           min_only=True, return_predecessors=True)
            oa, ta, ob, tb = out_offsets(self.network, so)
            node_best = np.zeros(len(oid), dtype=np.int64)
            for node, w in ((oa, ta), (ob, tb)):
                n1, w1, n2, w2 = core_offsets(ch, node, w, outward=True)
                for cn, cw in ((n1, w1), (n2, w2)):
                    with np.errstate(invalid="ignore"):
                        via = np.where(so.ok & (cn >= 0), cw + dist[np.maximum(cn, 0)], np.inf)
                    via = np.where(np.isnan(via), np.inf, via)
                    better = via < best
                    best = np.where(better, via, best)
                    node_best = np.where(better, cn, node_best)
            best_j = np.where(np.isfinite(best), k[np.maximum(source[node_best] - m, 0)], -1)
            # routes that never reach a core node: along the origin's own segment or chain
            si, sj, st = _direct_pairs(self.network, ch, so, sd)
            if len(si):  # per origin the fastest direct pair (ties: the first listed), without sorting them all
                direct = np.full(len(oid), np.inf)
                np.minimum.at(direct, si, st)
                at_min = np.flatnonzero(st == direct[si])
                first = np.full(len(oid), len(si), dtype=np.int64)
                np.minimum.at(first, si[at_min], at_min)
                won = np.flatnonzero(direct < best)
                best[won] = direct[won]
                best_j[won] = sj[first[won]]
        reached = np.isfinite(best) & (best <= limit)
        to_id = np.full(len(oid), None, dtype=object)
        to_id[reached] = did[best_j[reached]]
        times = np.where(reached, best, np.nan)
        out = pd.DataFrame({"travel_time_min": times, "to_id": to_id, "access_distance_m": so.distance_m},
                           index=pd.Index(oid, name="id"))
        self._report(out, so, len(did), cutoff_min, max_access_distance_m, times=times)
        return out

    def _report(self, out: pd.DataFrame, so: Snap, n_dest: int, cutoff_min: float | None,
                max_access_distance_m: float | None, *, times: FloatArray | None = None) -> None:
        """Log unreachable / far-off points and set ``out.attrs``; ``times``: ``out["travel_time_min"]`` when the
        caller has it as an array (reading a new frame's column costs more than the rest of a small query)."""
        t = out["travel_time_min"].to_numpy() if times is None else times
        n_un = int(np.isnan(t).sum())
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
           max_access_distance_m: float | None = None, run_from: str = "auto", method: str = "auto",
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
        method
            How the table is searched (:mod:`coverage.traveltime.manytomany`): "local" (blocks of nearby
            sources, each on the roads within the cutoff of them), "simple" (every source on the whole
            graph) or "auto" ("local" with a cutoff).  Results are the same.
        progress
            Called with the share done (0..1) after each block of shortest-path runs.

        Returns
        -------
        pandas.DataFrame
            Columns ``from_id``, ``to_id``, ``travel_time_min``, one row per reachable pair, sorted by
            ``from_id`` order, then time, then ``to_id`` order.  ``attrs["unreachable_share"]``: share of
            origins without any destination within the cutoff.
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
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        forward = so.ok.sum() <= sd.ok.sum() if run_from == "auto" else run_from == "origins"
        if so.ok.any() and sd.ok.any():
            # searches run on the contracted graph (junctions and dead ends), see chains
            ch = self.chains()
            if forward:  # per origin, on the graph
                src_snap, tgt_snap, base = so, sd, ch.csr
                src_off, tgt_off = out_offsets(self.network, so), in_offsets(self.network, sd)
            else:  # per destination, on the reversed graph
                src_snap, tgt_snap, base = sd, so, ch.csr_rev
                src_off, tgt_off = in_offsets(self.network, sd), out_offsets(self.network, so)
            src_ok = np.flatnonzero(src_snap.ok)
            tgt_ok = np.flatnonzero(tgt_snap.ok)
            # up to four core nodes per point (each end of its segment, or that end's chain ends) and minutes
            sc_parts, sw_parts, tc_parts, tw_parts = [], [], [], []
            for node, w in ((src_off[0], src_off[1]), (src_off[2], src_off[3])):
                n1, w1, n2, w2 = core_offsets(ch, node, w, outward=forward)
                sc_parts += [n1, n2]
                sw_parts += [w1, w2]
            for node, w in ((tgt_off[0][tgt_ok], tgt_off[1][tgt_ok]), (tgt_off[2][tgt_ok], tgt_off[3][tgt_ok])):
                n1, w1, n2, w2 = core_offsets(ch, node, w, outward=not forward)
                tc_parts += [n1, n2]
                tw_parts += [w1, w2]
            sc, sw = np.column_stack(sc_parts), np.column_stack(sw_parts)  # (sources, 4)
            sw = np.where((sc >= 0) & np.isfinite(sw), sw, np.inf)
            tc, tw = np.column_stack(tc_parts), np.column_stack(tw_parts)  # (targets, 4)
            tw = np.where((tc >= 0) & np.isfinite(tw), tw, np.inf)
            tc = np.where(np.isfinite(tw), tc, -1)
            stats = TableStats(method)
            ci, cj, ct = core_table(base, sc[src_ok], sw[src_ok], tc, tw, limit_min=limit, method=method,
                                    node_xy_m=self.network.node_xy_m[ch.core],
                                    base_rev=ch.csr_rev if forward else ch.csr, progress=progress, stats=stats)
            ci, cj = src_ok[ci], tgt_ok[cj]
            si, sj, st = _direct_pairs(self.network, ch, so, sd)  # on one segment or chain: along it
            s_src, s_tgt = (si, sj) if forward else (sj, si)
            pi, pj, pt = _merge_direct(ci, cj, ct, s_src, s_tgt, st, limit, len(tgt_snap.edge))
            parts_i.append(pi if forward else pj)
            parts_j.append(pj if forward else pi)
            parts_t.append(pt)
            if stats.method == "local":
                logger.debug("bounded OD: %d of %d blocks ran on the roads within reach only (%d nodes pruned; "
                             "CPU s: %s)", stats.n_local_blocks, stats.n_blocks, stats.n_pruned_nodes,
                             ", ".join(f"{k} {v:.2f}" for k, v in stats.seconds.items()))
        i = np.concatenate(parts_i) if parts_i else np.empty(0, np.int64)
        j = np.concatenate(parts_j) if parts_j else np.empty(0, np.int64)
        tt = np.concatenate(parts_t) if parts_t else np.empty(0)
        order = np.lexsort((j, tt, i))
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
        net = self.network
        a, wa, b, wb = in_offsets(net, ss) if to_sources else out_offsets(net, ss)
        k = np.flatnonzero(ss.ok)
        # one virtual source for all sources (min_only): its legs go to every source's road nodes
        graph = with_sources(net.csr_rev if to_sources else net.csr, np.zeros(2 * len(k), dtype=np.int64),
                             np.concatenate([a[k], b[k]]), np.concatenate([wa[k], wb[k]]), n_virtual=1)
        dist = dijkstra(graph, directed=True, indices=self.n_nodes, limit=limit)
        d = dist[: self.n_nodes].copy()
        d[np.isinf(d)] = np.nan
        return d, ss



def _merge_direct(ci: IntArray, cj: IntArray, ct: FloatArray, di: IntArray, dj: IntArray, dt: FloatArray,
                  limit: float, n_cols: int) -> tuple[IntArray, IntArray, FloatArray]:
    """The least time of each pair of a core table (unique pairs) and of the direct pairs (few, maybe repeated)
    within ``limit``; pairs keyed ``row * n_cols + col``."""
    near = np.isfinite(dt) & (dt <= limit)
    if not near.any():
        return ci, cj, ct
    dkey = di[near] * n_cols + dj[near]
    order = np.lexsort((dt[near], dkey))
    dkey, dval = dkey[order], dt[near][order]
    first = np.ones(len(dkey), dtype=bool)
    first[1:] = dkey[1:] != dkey[:-1]
    dkey, dval = dkey[first], dval[first]  # the fastest of repeated direct pairs
    at = np.searchsorted(dkey, ci * n_cols + cj)
    at_c = np.minimum(at, len(dkey) - 1)
    hit = dkey[at_c] == ci * n_cols + cj
    ct = ct.copy()
    ct[hit] = np.minimum(ct[hit], dval[at_c[hit]])
    new = np.ones(len(dkey), dtype=bool)
    new[at_c[hit]] = False
    return (np.concatenate([ci, dkey[new] // n_cols]), np.concatenate([cj, dkey[new] % n_cols]),
            np.concatenate([ct, dval[new]]))


def _direct_pairs(net: CompiledNetwork, ch: Chains, so: Snap, sd: Snap) -> tuple[IntArray, IntArray, FloatArray]:
    """Origin/destination pairs joined without passing a core node: on one segment, or along one chain."""
    i1, j1, t1 = same_segment_pairs(net, so, sd)
    i2, j2, t2 = same_chain_pairs(net, ch, so, sd)
    return np.concatenate([i1, i2]), np.concatenate([j1, j2]), np.concatenate([t1, t2])

