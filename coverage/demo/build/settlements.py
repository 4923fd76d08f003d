"""The first build stage: divisions, boundaries, township seats and areas, villages, people."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.demo.build.people import draw_population
from coverage.demo.build.places import Places, place_settlements
from coverage.demo.build.sources import read_boundaries, read_divisions
from coverage.demo.regions import REGION_SPECS

logger = logging.getLogger(__name__)


@dataclass
class Settlements:
    """What the first stage drew, and its generator in the state the later stages continue from.

    Attributes
    ----------
    counties, towns
        Division tables from :func:`~coverage.demo.build.sources.read_divisions`.
    names
        County and township name by code.
    bounds
        Prefecture and county boundaries (WGS-84).
    places
        Township seats and areas, villages, land and lakes (metric).
    villages
        Villages with positions, population and groups.
    rng
        The region's main generator.
    """

    counties: pd.DataFrame
    towns: pd.DataFrame
    names: dict[str, str]
    bounds: gpd.GeoDataFrame
    places: Places
    villages: pd.DataFrame
    rng: np.random.Generator


def draw_settlements(key: str) -> Settlements:
    """The first stage of the build: divisions, boundaries, township seats and areas, villages, people.

    Returns the random generator too, in the state the later stages continue from.
    """
    spec = REGION_SPECS[key]
    rng = np.random.default_rng(spec.seed)
    counties, towns, vills = read_divisions(spec)
    names = {
        **dict(zip(counties.county_code, counties.county_name, strict=True)),
        **dict(zip(towns.township_code, towns.township_name, strict=True)),
    }
    logger.info("%s: %d counties, %d townships, %d villages", key, len(counties), len(towns), len(vills))
    bounds = read_boundaries(spec)
    bounds_m = bounds.to_crs(spec.utm_epsg)
    lakes = gpd.GeoSeries([shapely.Polygon(p) for p in spec.lakes.values()], crs="EPSG:4326").to_crs(
        spec.utm_epsg
    )
    lakes_m = shapely.union_all(lakes.to_numpy()) if len(lakes) else shapely.Polygon()
    pl = place_settlements(spec, bounds_m, towns, vills, lakes_m, rng)
    v = draw_population(spec, pl, rng)
    return Settlements(counties, towns, names, bounds, pl, v, rng)

