"""The last build stage: every facility inside its own township (and so its county and the prefecture).

A facility is drawn at an offset from its host village or township seat, which may cross into the next
township (the simulated township areas are Voronoi cells) or, near a concave stretch of the real
boundary, out of the prefecture.  Such a facility is moved into its township: beside a walkable road
node of the township, at about the distance it had from its host.  Each moved facility draws from a
generator of its own (the region's seed, :data:`STAGE`, the facility's ``seq``), so the others and
every earlier stage stay exactly as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from coverage.demo.build.places import Places
from coverage.demo.build.sampling import FloatArray, offset_on_land, sample_in
from coverage.demo.regions import RegionSpec

__all__ = ["INSIDE_MARGIN_M", "STAGE", "allowed_area", "contain_facilities"]

#: How far inside its township a facility stands at least, metres (so the WGS-84 polygons, stored to
#: 1e-7 degrees, and the points, to 1e-6 degrees, still contain it).
INSIDE_MARGIN_M = 25.0
#: The stage's number in each moved facility's generator seed.
STAGE = 3


def allowed_area(
    township: shapely.Geometry, land: shapely.Geometry, prefecture: shapely.Geometry | None,
    *, margin_m: float = INSIDE_MARGIN_M,
) -> shapely.Geometry:
    """Where a facility of the township may stand: inside the township, on land, inside the prefecture,
    at least ``margin_m`` metres from the edges (metric geometries)."""
    area = township.intersection(land)
    if prefecture is not None:
        area = area.intersection(prefecture)
    inner = area.buffer(-margin_m)
    return inner if not inner.is_empty else area


def contain_facilities(
    spec: RegionSpec,
    pl: Places,
    v: pd.DataFrame,
    fac: pd.DataFrame,
    road_xy: FloatArray,
    *,
    prefecture: shapely.Geometry | None = None,
) -> pd.DataFrame:
    """Move each facility that lies outside its host village's township into it; returns a new table.

    Parameters
    ----------
    spec
        The region (its seed).
    pl
        Township areas and land (metric).
    v
        Villages (``township_code``, ``county_code``, ``x``, ``y``); a facility's ``host`` is a row of it.
    fac
        Facilities with metric ``x``, ``y``, ``host`` and ``seq`` (not modified).
    road_xy
        Metric coordinates of the walkable road nodes.
    prefecture
        The prefecture outline (metric), or None for the union of the counties.

    Returns
    -------
    pandas.DataFrame
        ``fac`` with the moved facilities' ``x``, ``y``: 10-80 m from a road node of their township, at
        most about as far from their host village as before, ``INSIDE_MARGIN_M`` inside the township.

    Example
    -------
    >>> fac = contain_facilities(spec, places, villages, fac, road_xy)  # doctest: +SKIP
    """
    out = fac.copy()
    if not len(out):
        return out
    town_of = v["township_code"].to_numpy()
    county_of = v["county_code"].to_numpy()
    vxy = v[["x", "y"]].to_numpy(float)
    hosts = out["host"].to_numpy()
    areas: dict[str, shapely.Geometry] = {}
    nodes: dict[str, tuple[FloatArray, cKDTree | None]] = {}

    def area_of(tc: str, cc: str) -> shapely.Geometry:
        if tc not in areas:
            areas[tc] = allowed_area(pl.township_polys[tc], pl.land[cc], prefecture)
            shapely.prepare(areas[tc])
        return areas[tc]

    def nodes_of(tc: str, area: shapely.Geometry) -> tuple[FloatArray, cKDTree | None]:
        if tc not in nodes:
            minx, miny, maxx, maxy = area.bounds
            box = (road_xy[:, 0] >= minx) & (road_xy[:, 0] <= maxx) & (road_xy[:, 1] >= miny) & (road_xy[:, 1] <= maxy)
            cand = road_xy[box]
            inside = cand[shapely.contains_xy(area, cand[:, 0], cand[:, 1])]
            nodes[tc] = (inside, cKDTree(inside) if len(inside) else None)
        return nodes[tc]

    xs, ys = out["x"].to_numpy(float).copy(), out["y"].to_numpy(float).copy()
    for i in range(len(out)):
        h = int(hosts[i])
        area = area_of(town_of[h], county_of[h])
        if shapely.contains_xy(area, xs[i], ys[i]):
            continue
        rng = np.random.default_rng([spec.seed, STAGE, int(out["seq"].iat[i])])
        xy = _inside_spot(vxy[h], np.array([xs[i], ys[i]]), area, rng)
        pts, tree = nodes_of(town_of[h], area)
        if tree is not None:  # beside a road of the township, as every facility has an access road
            _, j = tree.query(xy)
            xy = offset_on_land(pts[j], 10, 80, rng, area)
        xs[i], ys[i] = xy
    out["x"], out["y"] = xs, ys
    return out


def _inside_spot(anchor: FloatArray, old: FloatArray, area: shapely.Geometry, rng: np.random.Generator) -> FloatArray:
    """A point of ``area`` in a random direction from ``anchor``, at most as far as ``old`` was (closer each
    try); a random point of ``area`` when none is found."""
    r_max = max(float(np.hypot(*(old - anchor))), 50.0)
    for k in range(60):
        r = rng.uniform(0.3, 1.0) * r_max * 0.95**k
        a = rng.uniform(0, 2 * np.pi)
        p = anchor + r * np.array([np.cos(a), np.sin(a)])
        if shapely.contains_xy(area, p[0], p[1]):
            return p
    return sample_in(area, 1, rng)[0]
