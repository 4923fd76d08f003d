"""Where the settlements are: township seats and areas, villages, the land between the lakes."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.demo.build.townships import place_townships
from coverage.demo.build.villages import place_villages
from coverage.demo.regions import RegionSpec


@dataclass
class Places:
    """Township seats and areas, villages and the land they stand on (metric CRS of the region)."""

    towns: pd.DataFrame  # township_code, name, county_code, kind, seat_x, seat_y, mountain, is_county_seat
    villages: pd.DataFrame  # village_code, ..., x, y, mountain
    township_polys: dict[str, shapely.Geometry]
    county_polys: dict[str, shapely.Geometry]
    land: dict[str, shapely.Geometry]  # county polygon minus lakes (metric)
    lakes: shapely.Geometry


def place_settlements(
    spec: RegionSpec,
    bounds_m: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    vills: pd.DataFrame,
    lakes_m: shapely.Geometry,
    rng: np.random.Generator,
) -> Places:
    """Township seats and areas, then villages (both simulated), within the real county boundaries.

    Parameters
    ----------
    spec
        The region.
    bounds_m
        Prefecture and county boundaries (``code``, metric CRS).
    towns, vills
        Townships and villages from :func:`~coverage.demo.build.sources.read_divisions`.
    lakes_m
        The big lakes (metric): no village there.
    rng
        The first stage's generator: townships draw first, then villages.
    """
    county_polys = {r.code: r.geometry for r in bounds_m.itertuples() if r.code != spec.code}
    land = {c: county_polys[c].difference(lakes_m) for c in county_polys}
    towns, township_polys = place_townships(spec, towns, county_polys, land, rng)
    vills = place_villages(towns, vills, township_polys, land, rng)
    return Places(towns, vills, township_polys, county_polys, land, lakes_m)
