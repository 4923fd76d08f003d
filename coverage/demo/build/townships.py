"""Township seats, township areas and each township's mountain index (simulated).

The county seat township stands at the (approximate) county seat, the other 街道 within
1.5-5 km of it, towns and townships are spread out by best-candidate sampling; township areas
are the Voronoi cells of the seats clipped to the real county.  The mountain index is the
county's, +0.25 for a 乡 and -0.3 for a 街道.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from coverage.demo.build.sampling import best_candidate
from coverage.demo.regions import RegionSpec

logger = logging.getLogger(__name__)


def town_kind(code: str) -> str:
    """"street" (街道), "town" (镇) or "xiang" (乡), from the 7th digit of the township code."""
    return {"0": "street", "1": "town", "2": "xiang"}.get(code[6], "town")


def place_townships(
    spec: RegionSpec,
    towns: pd.DataFrame,
    county_polys: dict[str, shapely.Geometry],
    land: dict[str, shapely.Geometry],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, shapely.Geometry]]:
    """Seat and area of every township.

    Parameters
    ----------
    spec
        The region.
    towns
        ``township_code, township_name, county_code`` (not modified).
    county_polys, land
        Each county's polygon, and the same without the lakes (metric), by county code.
    rng
        The first stage's generator (drawn from in township order).

    Returns
    -------
    towns : pandas.DataFrame
        ``towns`` plus ``kind``, ``seat_x``, ``seat_y`` (metres), ``is_county_seat``, ``mountain``.
    township_polys : dict
        Township area (metric polygon) by township code.
    """
    to_m = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.utm_epsg}", always_xy=True)
    towns = towns.copy()
    towns["kind"] = towns["township_code"].map(town_kind)
    towns["seat_x"] = np.nan
    towns["seat_y"] = np.nan
    towns["is_county_seat"] = False
    township_polys: dict[str, shapely.Geometry] = {}
    for cs in spec.counties:
        poly, lnd = county_polys[cs.code], land[cs.code]
        seat = np.array(to_m.transform(*cs.seat_lonlat))
        if not shapely.contains_xy(lnd, *seat):
            seat = np.array(shapely.ops.nearest_points(lnd, shapely.Point(seat))[0].coords[0])
            logger.warning("county %s: the seat is outside the county, moved to its edge", cs.code)
        sub = towns[towns["county_code"] == cs.code]
        order = list(sub.index)
        streets = [i for i in order if towns.at[i, "kind"] == "street"]
        seat_idx = streets[0] if streets else next(i for i in order if towns.at[i, "kind"] == "town")
        towns.at[seat_idx, "is_county_seat"] = True
        seeds = {seat_idx: seat}
        near = shapely.Point(seat).buffer(5000).difference(shapely.Point(seat).buffer(1500)).intersection(lnd)
        for i in streets:
            if i == seat_idx:
                continue
            seeds[i] = best_candidate(
                near if not near.is_empty else lnd, np.asarray(list(seeds.values())), 1, rng
            )[0]
        for i in order:
            if i not in seeds:
                seeds[i] = best_candidate(lnd, np.asarray(list(seeds.values())), 1, rng, jitter=0.75)[0]
        for i, xy in seeds.items():
            towns.at[i, "seat_x"], towns.at[i, "seat_y"] = xy
        pts = shapely.MultiPoint([seeds[i] for i in order])
        cells = shapely.voronoi_polygons(pts, extend_to=poly.envelope.buffer(20000), ordered=True)
        for i, cell in zip(order, cells.geoms, strict=True):
            township_polys[towns.at[i, "township_code"]] = cell.intersection(poly)
    towns["mountain"] = [
        float(
            np.clip(
                next(c.mountain for c in spec.counties if c.code == r.county_code)
                + {"street": -0.3, "town": 0.0, "xiang": 0.25}[r.kind],
                0,
                1,
            )
        )
        for r in towns.itertuples()
    ]
    return towns, township_polys
