"""Many-to-many travel tables on the contracted road graph: every source-target pair within a cutoff.

The searches run on the core of the road graph (:mod:`coverage.traveltime.contract`: junctions and dead ends).
Each source (a point snapped to the network) enters the core at up to four core nodes with an offset in
minutes, each target leaves it at up to four (:func:`~coverage.traveltime.contract.core_offsets`); the time of
a pair is the least of ``source offset + core path + target offset`` over those entries and exits.  Pairs on
one road segment or chain (travel along it without reaching a core node) are the caller's to add.

Two methods give the same table (to floating-point rounding, far below 1e-9 min):

``"simple"``
    One bounded Dijkstra per source on the whole core (:func:`scipy.sparse.csgraph.dijkstra` with
    ``limit=``), sources in blocks sized to a memory budget.  Each run costs time in proportion to the whole
    core (scipy sets up every node for every source), so it suits small graphs and unbounded tables.
``"local"`` (bounded tables)
    Sources are sorted along a Z-order curve so that each block of them is local.  One multi-source search
    (``min_only=True``) finds the nodes within the cutoff of *any* source of the block; only those nodes can
    lie on a path within the cutoff, so the block's per-source searches run on the sub-graph they induce,
    cut straight from the CSR arrays (:func:`~coverage.traveltime.overlay.induced_with_sources`).  One search
    backwards from all targets first drops the nodes from which no target can be reached within the cutoff
    of the block (``d(block, v) + d(v, targets) > cutoff``): no path within the cutoff passes through them,
    so with few targets the searches shrink to the roads between sources and targets.  The cost per source
    is then its own search space plus a small share of the block's, whatever the size of the province; the
    graph of every source's access legs is built once.

``"auto"`` picks ``"local"`` for a finite cutoff and ``"simple"`` otherwise.

A library with contraction hierarchies was not used: pandana (the one maintained on PyPI) stores times as
integers (rounded to 1/1000) and answers pairs one by one, and none keeps times to 1e-9 min as the tables
must.  :func:`measure_od` times one table and its peak memory (for the province benchmark).

Example
-------
>>> i, j, t = core_table(ch.csr, sc, sw, tc, tw, limit_min=60.0, node_xy_m=xy)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from coverage.traveltime.overlay import induced_with_sources, with_sources

__all__ = ["METHODS", "OD_BLOCK_BYTES", "TableStats", "core_table", "measure_od", "morton"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Memory budget (bytes) of one block of Dijkstra rows (and of one block's pair times).
OD_BLOCK_BYTES = 128 * 2**20

#: The methods of :func:`core_table`.
METHODS = ("auto", "simple", "local")

#: Sources per block of the local method (at most; fewer on small inputs so that blocks stay local).
LOCAL_BLOCK = 64

#: A block's sub-graph is cut only when it holds less than this share of the core (else the whole core is used).
LOCAL_SHARE = 0.6


@dataclass
class TableStats:
    """What :func:`core_table` did: the method, blocks run on a sub-graph, nodes searched."""

    method: str
    n_blocks: int = 0
    n_local_blocks: int = 0
    n_pruned_nodes: int = 0
    sub_nodes: list[int] = field(default_factory=list)
    #: CPU seconds: the search back from the targets, the blocks' reach searches and sub-graphs, the searches
    seconds: dict[str, float] = field(default_factory=lambda: {"targets": 0.0, "reach": 0.0, "search": 0.0})


def morton(gx: IntArray, gy: IntArray) -> IntArray:
    """Z-order (Morton) code of non-negative grid cells: sorting by it keeps nearby cells together."""

    def spread(v: IntArray) -> IntArray:
        v = np.clip(v, 0, 0xFFFF).astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    return (spread(gx) | (spread(gy) << np.uint64(1))).astype(np.int64)


def _pair_times(d: FloatArray, cols_t: IntArray, tw: FloatArray) -> FloatArray:
    """(rows, targets) minutes: the least of ``d[:, cols_t[:, q]] + tw[:, q]`` over the target's exits q."""
    t = d[:, cols_t[:, 0]] + tw[:, 0]
    for q in range(1, cols_t.shape[1]):
        np.minimum(t, d[:, cols_t[:, q]] + tw[:, q], out=t)
    return t


def _spatial_order(rows: IntArray, sc: IntArray, node_xy_m: FloatArray | None) -> IntArray:
    """``rows`` sorted along a Z-order curve of their first core entry (stable; unchanged without coordinates)."""
    if node_xy_m is None or len(rows) < 2:
        return rows
    first_c = sc[rows, np.argmax(sc[rows] >= 0, axis=1)]
    xy = node_xy_m[first_c]
    lo = xy.min(axis=0)
    cell = max(float((xy.max(axis=0) - lo).max()) / 4096.0, 1.0)  # a 4096 x 4096 grid over the sources
    g = np.floor((xy - lo) / cell).astype(np.int64)
    return rows[np.argsort(morton(g[:, 0], g[:, 1]), kind="stable")]


def core_table(base: sp.csr_matrix, sc: IntArray, sw: FloatArray, tc: IntArray, tw: FloatArray, *,
               limit_min: float, method: str = "auto", node_xy_m: FloatArray | None = None,
               base_rev: sp.csr_matrix | None = None, block: int | None = None,
               progress: Callable[[float], None] | None = None,
               stats: TableStats | None = None) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (source, target) pair whose time through the core is within ``limit_min``.

    Parameters
    ----------
    base
        The core graph (square CSR matrix of minutes, sorted indices), in the direction of travel.
    sc, sw
        (sources, k) core entries of each source (core index, -1: none) and the minutes to reach them
        (inf: none).
    tc, tw
        (targets, k) core exits of each target and the minutes from them to the target.
    limit_min
        Cutoff (minutes); ``inf`` keeps every reachable pair.
    method
        One of :data:`METHODS` (see the module docstring).
    node_xy_m
        Coordinates of the core nodes (m, 2): sources are sorted spatially for the local method.
    base_rev
        The reversed core graph: lets the local method drop nodes that reach no target in time.
    block
        Sources per block of the local method (default: up to :data:`LOCAL_BLOCK`).
    progress
        Called with the share of sources done (0..1) after each block.
    stats
        Filled with what was done (for logs and benchmarks).

    Returns
    -------
    tuple
        Source row, target row and minutes of each pair within the cutoff (finite), grouped by block.

    Raises
    ------
    ValueError
        An unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    limit = float(limit_min)
    bounded = math.isfinite(limit)
    if method == "auto":
        method = "local" if bounded else "simple"
    if stats is None:
        stats = TableStats(method)
    stats.method = method
    m = base.shape[0]
    n_src = len(sc)
    sw = np.where((sc >= 0) & np.isfinite(sw), sw, np.inf)
    tw = np.where((tc >= 0) & np.isfinite(tw), tw, np.inf)
    tc = np.where(np.isfinite(tw), tc, -1)
    src = np.flatnonzero(np.isfinite(sw).any(axis=1))
    tgt = np.flatnonzero(np.isfinite(tw).any(axis=1))
    parts_i: list[IntArray] = []
    parts_j: list[IntArray] = []
    parts_t: list[FloatArray] = []
    if len(src) == 0 or len(tgt) == 0 or m == 0:
        if progress is not None:
            progress(1.0)
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    tc_t, tw_t = tc[tgt], tw[tgt]
    k = sc.shape[1]
    # every source's access legs appended to the core once, shared by all blocks
    graph = with_sources(base, np.repeat(np.arange(n_src), k), sc.ravel(), sw.ravel(), n_virtual=n_src)

    def emit(rows: IntArray, t: FloatArray, tgt_rows: IntArray) -> None:
        hit = t <= limit if bounded else np.isfinite(t)
        r, c = np.nonzero(hit)
        parts_i.append(rows[r])
        parts_j.append(tgt_rows[c])
        parts_t.append(t[r, c])

    if method == "simple":
        cols_all = np.where(tc_t >= 0, tc_t, m)  # column m: the inf column
        step = max(1, int(OD_BLOCK_BYTES // (8 * (m + n_src + len(tgt)))))
        for start in range(0, len(src), step):
            rows = src[start:start + step]
            d = dijkstra(graph, directed=True, indices=m + rows, limit=limit)
            d = np.concatenate([d[:, :m], np.full((len(rows), 1), np.inf)], axis=1)
            emit(rows, _pair_times(d, cols_all, tw_t), tgt)
            stats.n_blocks += 1
            if progress is not None:
                progress(min(1.0, (start + len(rows)) / len(src)))
    else:
        # time from every core node to the nearest target (prunes nodes that cannot lead to one in time)
        to_tgt: FloatArray | None = None
        clock = time.process_time()
        if base_rev is not None and bounded:
            g_rev = with_sources(base_rev, np.zeros(tc_t.size, dtype=np.int64), tc_t.ravel(), tw_t.ravel(),
                                 n_virtual=1)
            to_tgt = dijkstra(g_rev, directed=True, indices=m, limit=limit)[:m]
        stats.seconds["targets"] += time.process_time() - clock
        blk = block or int(np.clip(len(src) // 8, 8, LOCAL_BLOCK))
        order = _spatial_order(src, sc, node_xy_m)
        # pos: core index -> position in the block's sub-graph (-1: outside); pos[m] stays -1 (no node)
        pos = np.full(m + 1, -1, dtype=np.int64)
        for start in range(0, len(order), blk):
            rows = order[start:start + blk]
            stats.n_blocks += 1
            clock = time.process_time()
            near = dijkstra(graph, directed=True, indices=m + rows, limit=limit, min_only=True)[:m]
            keep = near <= limit if bounded else np.isfinite(near)
            if to_tgt is not None:
                n_keep = int(keep.sum())
                with np.errstate(invalid="ignore"):
                    keep &= near + to_tgt <= limit * (1 + 1e-12) + 1e-9  # float slack: keep the boundary
                stats.n_pruned_nodes += n_keep - int(keep.sum())
            sub = np.flatnonzero(keep)
            if len(sub) == 0:  # no source of the block reaches a target in time
                if progress is not None:
                    progress(min(1.0, (start + len(rows)) / len(order)))
                continue
            if len(sub) >= LOCAL_SHARE * m:  # most of the core: no cut
                g, idx, n_sub = graph, m + rows, m
                cols_t = np.where(tc_t >= 0, tc_t, m)
                reached = np.arange(len(tgt))
            else:
                stats.n_local_blocks += 1
                pos[sub] = np.arange(len(sub))
                g = induced_with_sources(base, sub, pos, np.repeat(np.arange(len(rows)), k), sc[rows].ravel(),
                                         sw[rows].ravel(), n_virtual=len(rows))
                idx, n_sub = len(sub) + np.arange(len(rows)), len(sub)
                cols_t = pos[tc_t]  # -1: outside the sub-graph -> the inf column
                reached = np.flatnonzero((cols_t >= 0).any(axis=1))
                cols_t = np.where(cols_t >= 0, cols_t, n_sub)[reached]
                pos[sub] = -1
            stats.sub_nodes.append(n_sub)
            now = time.process_time()
            stats.seconds["reach"] += now - clock
            clock = now
            if len(reached):
                # rows of the block in chunks within the memory budget (Dijkstra rows and pair times)
                chunk = max(1, int(OD_BLOCK_BYTES // (8 * (n_sub + len(rows) + len(reached)))))
                for c0 in range(0, len(rows), chunk):
                    d = dijkstra(g, directed=True, indices=idx[c0:c0 + chunk], limit=limit)
                    d = np.concatenate([d[:, :n_sub], np.full((d.shape[0], 1), np.inf)], axis=1)
                    emit(rows[c0:c0 + chunk], _pair_times(d, cols_t, tw_t[reached]), tgt[reached])
            stats.seconds["search"] += time.process_time() - clock
            if progress is not None:
                progress(min(1.0, (start + len(rows)) / len(order)))
    i = np.concatenate(parts_i) if parts_i else np.empty(0, np.int64)
    j = np.concatenate(parts_j) if parts_j else np.empty(0, np.int64)
    t = np.concatenate(parts_t) if parts_t else np.empty(0)
    return i.astype(np.int64), j.astype(np.int64), t


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux: ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure_od(engine: Any, origins: Any, destinations: Any, *, cutoff_min: float | None, repeat: int = 1,
               **od_kwargs: Any) -> dict[str, Any]:
    """Time :meth:`TravelTimeEngine.od` (snaps computed once first, so only the table is timed).

    Parameters
    ----------
    engine
        A :class:`~coverage.traveltime.TravelTimeEngine`.
    origins, destinations
        GeoDataFrames of points with an ``id`` column.
    cutoff_min
        As for ``od``.
    repeat
        Runs; the figure is their median (the machine may be shared).
    **od_kwargs
        Passed on to ``od`` (``method=``, ``run_from=``...).

    Returns
    -------
    dict
        ``seconds`` (median wall time), ``cpu_seconds`` (median CPU time of this process), ``runs`` (each wall
        time), ``pairs`` (rows of the table), ``peak_rss_gb`` (this process so far), ``table`` (the last one).
    """
    engine.snap(origins)  # snapping is not part of the table's time
    engine.snap(destinations)
    walls: list[float] = []
    cpus: list[float] = []
    table = None
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        table = engine.od(origins, destinations, cutoff_min=cutoff_min, **od_kwargs)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"seconds": float(np.median(walls)), "cpu_seconds": float(np.median(cpus)), "runs": walls,
            "pairs": 0 if table is None else len(table), "peak_rss_gb": peak_rss_gb(), "table": table}
