"""Service areas (isochrones) built from the street segments reached within a travel time, not convex hulls.

For every threshold, each road segment contributes the part of it from which the nearest source (facility)
is reachable in time: the whole segment, one or two end pieces, or a piece around a source standing on it.
The pieces are cut out with array operations (no per-segment Python), merged into chains
(:func:`shapely.line_merge`), simplified with a tolerance well inside the band, buffered one by one and merged
with one cascaded union (:func:`shapely.union_all`).  Buffering one big MultiLineString is 10-20x slower in
GEOS than this.  Thresholds are nested: the band of a larger threshold is the smaller band plus the buffered
pieces that are new (a larger threshold never reaches less), so each street is buffered once per service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.traveltime.compiled import CompiledNetwork
from coverage.traveltime.snap import Snap

if TYPE_CHECKING:
    import geopandas as gpd

    from coverage.traveltime.engine import TravelTimeEngine

__all__ = ["service_areas"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Vertex tolerance of the reached streets before buffering, as a share of the band's half-width.
SIMPLIFY_SHARE = 0.1


def _intervals(net: CompiledNetwork, node_min: FloatArray, snap: Snap, threshold_min: float
               ) -> tuple[npt.NDArray[np.bool_], IntArray, FloatArray, FloatArray]:
    """Reached parts of the segments within ``threshold_min``.

    Returns
    -------
    tuple
        (mask of wholly reached segments, and for the partly reached pieces: segment index, start fraction,
        end fraction; a piece with start == end is a single reached point).
    """
    t_ab, t_ba = net.seg_time_ab_min, net.seg_time_ba_min
    d_a = node_min[net.seg_a]
    d_b = node_min[net.seg_b]
    with np.errstate(invalid="ignore", divide="ignore"):
        # a road point at fraction x reaches a source via node a: x * t_ba + d_a <= T
        x_a = np.where(d_a <= threshold_min, (threshold_min - d_a) / t_ba, -np.inf)
        x_a = np.where(np.isnan(x_a) & (d_a <= threshold_min), 0.0, x_a)  # a itself only (no way back to a)
        # ... or via node b: (1 - x) * t_ab + d_b <= T
        x_b = np.where(d_b <= threshold_min, 1.0 - (threshold_min - d_b) / t_ab, np.inf)
        x_b = np.where(np.isnan(x_b) & (d_b <= threshold_min), 1.0, x_b)
    x_a = np.nan_to_num(x_a, nan=-np.inf)
    x_b = np.nan_to_num(x_b, nan=np.inf)
    full = (x_a >= x_b) | (x_a >= 1.0) | (x_b <= 0.0)
    from_a = np.flatnonzero(~full & (x_a >= 0))
    from_b = np.flatnonzero(~full & (x_b <= 1))
    edges = [from_a, from_b]
    starts = [np.zeros(len(from_a)), np.maximum(x_b[from_b], 0.0)]
    ends = [np.minimum(x_a[from_a], 1.0), np.ones(len(from_b))]
    # sources standing on a segment: direct travel along it to the source
    ok = snap.ok
    e, f = snap.edge[ok], snap.fraction[ok]
    slack = threshold_min - snap.access_min[ok]
    keep = (slack >= 0) & ~full[e]
    e, f, slack = e[keep], f[keep], slack[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        back = np.where(np.isfinite(t_ab[e]), slack / t_ab[e], 0.0)  # from x < f forward to the source
        ahead = np.where(np.isfinite(t_ba[e]), slack / t_ba[e], 0.0)  # from x > f back to the source
    back = np.nan_to_num(back, nan=np.inf, posinf=np.inf)  # zero-time segment: all of it
    ahead = np.nan_to_num(ahead, nan=np.inf, posinf=np.inf)
    edges.append(e)
    starts.append(np.maximum(f - back, 0.0))
    ends.append(np.minimum(f + ahead, 1.0))
    return (full, np.concatenate(edges).astype(np.int64), np.concatenate(starts).astype(float),
            np.concatenate(ends).astype(float))


def _substrings(geoms: npt.NDArray[Any], length_m: FloatArray, start: FloatArray, end: FloatArray
                ) -> npt.NDArray[Any]:
    """Vectorised :func:`shapely.ops.substring`: the part of each line between two fractions of its length
    (a Point where the part has no length)."""
    n = len(geoms)
    if n == 0:
        return np.empty(0, dtype=object)
    lo_m, hi_m = start * length_m, end * length_m
    p_lo = shapely.line_interpolate_point(geoms, lo_m)
    p_hi = shapely.line_interpolate_point(geoms, hi_m)
    out = np.empty(n, dtype=object)
    is_point = (hi_m - lo_m <= 0) | (length_m <= 0)
    out[is_point] = p_lo[is_point]
    lines = np.flatnonzero(~is_point)
    if len(lines):
        xy, part = shapely.get_coordinates(geoms[lines], return_index=True)
        step = np.zeros(len(xy))
        same = part[1:] == part[:-1]
        step[1:] = np.where(same, np.hypot(*(xy[1:] - xy[:-1]).T), 0.0)
        cum = np.cumsum(step)
        first = np.searchsorted(part, np.arange(len(lines)))
        along = cum - cum[first][part]  # metres from each line's start
        inner = (along > lo_m[lines][part]) & (along < hi_m[lines][part])
        k = len(lines)
        pts_xy = np.concatenate([shapely.get_coordinates(p_lo[lines]), xy[inner],
                                 shapely.get_coordinates(p_hi[lines])])
        pts_part = np.concatenate([np.arange(k), part[inner], np.arange(k)])
        pts_pos = np.concatenate([np.full(k, -np.inf), along[inner], np.full(k, np.inf)])
        order = np.lexsort((pts_pos, pts_part))
        out[lines] = shapely.linestrings(pts_xy[order], indices=pts_part[order])
    return out


def _reached_lines(net: CompiledNetwork, full: npt.NDArray[np.bool_], edge: IntArray, start: FloatArray,
                   end: FloatArray) -> npt.NDArray[Any]:
    """Geometries (metric CRS) of the wholly reached segments ``full`` plus the pieces (edge, start, end)."""
    pieces = _substrings(net.seg_geoms_m[edge], net.seg_length_m[edge], start, end)
    return np.concatenate([net.seg_geoms_m[full], pieces])


def _paths(lines: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Join lines that meet end to end into long paths, also through junctions (where
    :func:`shapely.line_merge` stops): at every shared end point the line ends are paired off.  A few long
    paths buffer and union several times faster than thousands of short segments."""
    n = len(lines)
    if n < 2:
        return lines
    xy, part = shapely.get_coordinates(lines, return_index=True)
    first = np.searchsorted(part, np.arange(n))
    last = np.append(first[1:], len(xy)) - 1
    ends = np.concatenate([xy[first], xy[last]])  # end k: line k % n, its start (k < n) or its end
    node = np.unique(np.round(ends, 3), axis=0, return_inverse=True)[1].ravel()  # same point to the mm
    order = np.argsort(node, kind="stable")
    sorted_node = node[order]
    group_start = np.searchsorted(sorted_node, sorted_node, side="left")
    rank = np.arange(2 * n) - group_start
    nxt = np.append(sorted_node[1:] == sorted_node[:-1], False)
    pair = (rank % 2 == 0) & nxt  # ends 0-1, 2-3, ... of each point are joined
    mate = np.full(2 * n, -1, dtype=np.int64)
    mate[order[pair]] = order[np.flatnonzero(pair) + 1]
    mate[order[np.flatnonzero(pair) + 1]] = order[pair]
    mate_l = mate.tolist()
    seen = bytearray(n)
    starts_l: list[int] = []
    stops_l: list[int] = []
    steps_l: list[int] = []
    path_l: list[int] = []
    first_l, last_l = first.tolist(), last.tolist()
    n_paths = 0
    for k in range(n):
        if seen[k]:
            continue
        cur, entry = k, 0  # walk back from k's start to the path's first line (or once round a cycle)
        m = mate_l[k]
        while m >= 0:
            line = m % n
            if line == k or seen[line]:
                break
            cur, entry = line, 1 - m // n  # m is the side facing k: enter ``line`` at the other one
            m = mate_l[line + entry * n]
        # ... then forward, entering each line at side ``entry`` (0: its start)
        while True:
            seen[cur] = 1
            if entry == 0:
                starts_l.append(first_l[cur])
                stops_l.append(last_l[cur] + 1)
                steps_l.append(1)
            else:
                starts_l.append(last_l[cur])
                stops_l.append(first_l[cur] - 1)
                steps_l.append(-1)
            path_l.append(n_paths)
            m = mate_l[cur + (1 - entry) * n]
            if m < 0 or seen[m % n]:
                break
            cur, entry = m % n, m // n
        n_paths += 1
    starts, stops, steps = np.array(starts_l), np.array(stops_l), np.array(steps_l)
    counts = np.abs(stops - starts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(starts, counts) + np.repeat(steps, counts) * offset
    return shapely.linestrings(xy[rows], indices=np.repeat(np.array(path_l), counts))


def _band(lines: npt.NDArray[Any], buffer_m: float) -> shapely.Geometry:
    """The union of the ``buffer_m`` bands around ``lines``: joined into paths, simplified, buffered, unioned."""
    if len(lines) == 0:
        return shapely.Polygon()
    is_line = (shapely.get_type_id(lines) == 1) & ~shapely.is_empty(lines)
    geoms = np.concatenate([lines[~is_line], _paths(lines[is_line])])
    geoms = shapely.simplify(geoms, SIMPLIFY_SHARE * buffer_m, preserve_topology=False)
    return shapely.union_all(shapely.buffer(geoms, buffer_m, quad_segs=4))


def _areas(net: CompiledNetwork, node_min: FloatArray, snap: Snap, thresholds_asc: Sequence[float],
           buffer_m: float) -> list[shapely.Geometry]:
    """One band per threshold (ascending), each built on the previous one."""
    out: list[shapely.Geometry] = []
    prev_full = np.zeros(net.n_segments, dtype=bool)
    prev_pieces: set[tuple[int, float, float]] = set()
    area: shapely.Geometry = shapely.Polygon()
    for t in thresholds_asc:
        full, edge, start, end = _intervals(net, node_min, snap, t)
        # new at this threshold: segments newly reached in full, and pieces that grew or appeared (a piece
        # already drawn, or lying on a segment drawn in full, adds nothing)
        new_full = full & ~prev_full
        fresh = np.array([(int(e), float(s), float(x)) not in prev_pieces for e, s, x in zip(edge, start, end,
                                                                                             strict=True)],
                         dtype=bool) if len(edge) else np.zeros(0, dtype=bool)
        fresh &= ~prev_full[edge]
        lines = _reached_lines(net, new_full, edge[fresh], start[fresh], end[fresh])
        if len(lines):
            new = _band(lines, buffer_m)
            area = new if area.is_empty else shapely.union(area, new)
        out.append(area)
        prev_full = full
        prev_pieces = set(zip(edge.tolist(), start.tolist(), end.tolist(), strict=True))
        logger.debug("service area %g min: %d segments in full, %d pieces, %d new lines", t, int(full.sum()),
                     len(edge), len(lines))
    return out


def service_areas(engine: TravelTimeEngine, sources: gpd.GeoDataFrame, *, thresholds_min: Sequence[float],
                  buffer_m: float = 50.0, by_source: bool = False,
                  max_access_distance_m: float | None = None) -> gpd.GeoDataFrame:
    """Areas from which the nearest source is reachable within each threshold.

    Parameters
    ----------
    engine
        A compiled :class:`~coverage.traveltime.TravelTimeEngine` (its mode sets the speeds).
    sources
        GeoDataFrame of points (facilities) with an ``id`` column, any CRS.
    thresholds_min
        Travel times (minutes), e.g. ``[5, 10, 15]``.
    buffer_m
        Half-width (metres) of the band drawn around each reached street.  Street vertices are simplified
        with a tolerance of a tenth of it before buffering (the band's edge moves by at most that much).
    by_source
        One area per source and threshold (column ``source_id``) instead of one per threshold.
    max_access_distance_m
        Sources farther than this from every road (metres) are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``threshold_min`` (and ``source_id``), ``area_km2``, ``geometry`` in the sources' CRS,
        largest threshold first (draw in this order).  Travel runs from the area to the source (the
        direction people travel to a facility).  A smaller threshold's area lies within a larger one's.

    Raises
    ------
    ValueError
        A threshold or ``buffer_m`` is not a positive number.

    Example
    -------
    >>> eng.service_areas(facilities, thresholds_min=[5, 10, 15])  # doctest: +SKIP
    """
    import geopandas as gpd

    thresholds = sorted({float(t) for t in thresholds_min})
    if not thresholds or any(not (t > 0) for t in thresholds):
        raise ValueError(f"thresholds_min must be positive minutes, e.g. [5, 10, 15]; got {list(thresholds_min)}")
    if not (float(buffer_m) > 0):
        raise ValueError(f"buffer_m must be a positive number of metres, e.g. 50; got {buffer_m!r}")
    groups: list[tuple[Any, gpd.GeoDataFrame]] = (
        [(sid, sources[sources["id"] == sid]) for sid in sources["id"]] if by_source else [(None, sources)]
    )
    rows: list[dict[str, Any]] = []
    for sid, group in groups:
        node_min, snap = engine.node_times(group, cutoff_min=thresholds[-1], to_sources=True,
                                           max_access_distance_m=max_access_distance_m)
        node_min = np.where(np.isnan(node_min), np.inf, node_min)
        geoms = _areas(engine.network, node_min, snap, thresholds, float(buffer_m))
        for t, geom in reversed(list(zip(thresholds, geoms, strict=True))):
            row = {"threshold_min": t, "area_km2": float(geom.area) / 1e6, "geometry": geom}
            if by_source:
                row = {"source_id": sid, **row}
            rows.append(row)
    columns = (["source_id"] if by_source else []) + ["threshold_min", "area_km2", "geometry"]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=engine.metric_crs)
    return out.to_crs(sources.crs) if sources.crs is not None else out
