"""Service areas (isochrones) built from the street segments reached within a travel time, not convex hulls.

For every threshold, each road segment contributes the part of it from which the nearest source (facility)
is reachable in time: the whole segment, one or two end pieces, or a piece around a source standing on it.
The pieces are buffered by a display width and merged into one (Multi)Polygon per threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

if TYPE_CHECKING:
    import geopandas as gpd

    from coverage.traveltime.engine import TravelTimeEngine

__all__ = ["service_areas"]

logger = logging.getLogger(__name__)


def _intervals(engine: TravelTimeEngine, node_min: np.ndarray, snap: Any, threshold_min: float
               ) -> tuple[np.ndarray, list[tuple[int, float, float]]]:
    """Reached parts of the segments: (mask of wholly reached segments, [(segment, start, end) pieces])."""
    t_ab, t_ba = engine._t_ab, engine._t_ba
    d_a = node_min[engine._pa]
    d_b = node_min[engine._pb]
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
    pieces: list[tuple[int, float, float]] = []
    for e in np.flatnonzero(~full & (x_a > 0)):
        pieces.append((int(e), 0.0, float(min(x_a[e], 1.0))))
    for e in np.flatnonzero(~full & (x_b < 1)):
        pieces.append((int(e), float(max(x_b[e], 0.0)), 1.0))
    # sources standing on a segment: direct travel along it to the source
    for e, f, acc in zip(snap.edge[snap.ok], snap.fraction[snap.ok], snap.access_min[snap.ok], strict=True):
        slack = threshold_min - acc
        if slack < 0 or full[e]:
            continue
        back = slack / t_ab[e] if np.isfinite(t_ab[e]) else 0.0  # from x < f forward to the source
        ahead = slack / t_ba[e] if np.isfinite(t_ba[e]) else 0.0  # from x > f back to the source
        pieces.append((int(e), float(max(f - back, 0.0)), float(min(f + ahead, 1.0))))
    return full, pieces


def _area(engine: TravelTimeEngine, node_min: np.ndarray, snap: Any, threshold_min: float,
          buffer_m: float) -> shapely.Geometry:
    full, pieces = _intervals(engine, node_min, snap, threshold_min)
    lines = list(engine._geoms_m[full])
    for e, start, end in pieces:
        geom = engine._geoms_m[e]
        length = engine._geom_len_m[e]
        if end - start <= 0 or length == 0:
            lines.append(shapely.line_interpolate_point(geom, start * length))
        else:
            lines.append(substring(geom, start * length, end * length))
    if not lines:
        return shapely.Polygon()
    return shapely.buffer(shapely.union_all(np.array(lines, dtype=object)), buffer_m, quad_segs=4)


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
        Half-width (metres) of the band drawn around each reached street.
    by_source
        One area per source and threshold (column ``source_id``) instead of one per threshold.
    max_access_distance_m
        Sources farther than this from every road (metres) are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``threshold_min`` (and ``source_id``), ``area_km2``, ``geometry`` in the sources' CRS,
        largest threshold first (draw in this order).  Travel runs from the area to the source (the
        direction people travel to a facility).

    Raises
    ------
    ValueError
        A threshold is not a positive number.
    """
    import geopandas as gpd

    thresholds = sorted({float(t) for t in thresholds_min}, reverse=True)
    if not thresholds or any(not (t > 0) for t in thresholds):
        raise ValueError(f"thresholds_min must be positive minutes, e.g. [5, 10, 15]; got {list(thresholds_min)}")
    groups: list[tuple[Any, gpd.GeoDataFrame]] = (
        [(sid, sources[sources["id"] == sid]) for sid in sources["id"]] if by_source else [(None, sources)]
    )
    rows: list[dict[str, Any]] = []
    for sid, group in groups:
        node_min, snap = engine.node_times(group, cutoff_min=thresholds[0], to_sources=True,
                                           max_access_distance_m=max_access_distance_m)
        node_min = np.where(np.isnan(node_min), np.inf, node_min)
        for t in thresholds:
            geom = _area(engine, node_min, snap, t, buffer_m)
            row = {"threshold_min": t, "area_km2": float(geom.area) / 1e6, "geometry": geom}
            if by_source:
                row = {"source_id": sid, **row}
            rows.append(row)
    columns = (["source_id"] if by_source else []) + ["threshold_min", "area_km2", "geometry"]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=engine.metric_crs)
    return out.to_crs(sources.crs) if sources.crs is not None else out
