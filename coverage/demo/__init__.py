"""Embedded demo regions: 玉溪市 Yuxi (the default) and 大理白族自治州 Dali.

Real county boundaries and real township / village names and codes, with
simulated township areas, village positions, populations, facilities, candidate
sites and roads, calibrated to the prefectures' published figures (see
``data/demo/sources/SOURCES.md`` and :mod:`coverage.demo.build`).  Everything is
read from small files in ``data/demo``: no network, no source packages.

Example
-------
>>> from coverage.demo import load_demo
>>> yuxi = load_demo("yuxi")
>>> len(yuxi.demand), int(yuxi.demand["left_behind_children"].sum())
(718, 6335)
>>> G = yuxi.graph()  # osmnx-style MultiDiGraph, built on first use and cached
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from coverage.demo.regions import REGION_SPECS
from coverage.errors import CoverageError, InputError
from coverage.model import (
    BOUNDARY_COLUMNS,
    CANDIDATE_COLUMNS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    POPULATION_COLUMNS,
    WGS84,
)

__all__ = [
    "DATA_DIR",
    "DEFAULT_REGION",
    "NOTE_EN",
    "NOTE_ZH",
    "REGIONS",
    "DemoRegion",
    "RegionInfo",
    "export_demo",
    "load_demo",
]

logger = logging.getLogger(__name__)

#: Folder of the demo files: one sub-folder per region (written by :mod:`coverage.demo.build`) and
#: ``sources/`` (the extracted real sources the build reads).  The one place this path is defined:
#: the product's layout keeps the demo data in ``data/demo`` beside the ``coverage`` package, and the
#: project runs from its folder (it is not installed into site-packages).
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"

#: The mark every demo table, map and export carries.
NOTE_ZH = "示例数据（模拟）"
NOTE_EN = "Simulated demo data"


@dataclass(frozen=True)
class RegionInfo:
    """A demo region's key, prefecture code and names."""

    key: str
    code: str
    name_zh: str
    name_en: str


#: The demo regions by key, in display order (Yuxi first: the app's default).
REGIONS: dict[str, RegionInfo] = {
    k: RegionInfo(k, s.code, s.name_zh, s.name_en) for k, s in REGION_SPECS.items()
}

#: The region the app opens on.
DEFAULT_REGION = "yuxi"

_CODE_COLUMNS = ("id", "county_code", "township_code", "village_code", "code", "parent_code")


@dataclass(frozen=True, eq=False)
class DemoRegion:
    """One demo region: canonical tables (EPSG:4326) and a road graph.

    The tables are shared by every caller (cached): treat them as read-only and
    ``.copy()`` before changing them.  Each table's ``attrs`` carry
    ``simulated=True``, ``note_zh`` and ``note_en``.

    Attributes
    ----------
    key, name_zh, name_en
        Region key ("yuxi", "dali") and prefecture names.
    demand
        Villages / communities: :data:`coverage.model.DEMAND_COLUMNS`.
    facilities
        :data:`coverage.model.FACILITY_COLUMNS`.
    candidates
        :data:`coverage.model.CANDIDATE_COLUMNS`.
    boundaries
        :data:`coverage.model.BOUNDARY_COLUMNS`; ``level`` is "prefecture",
        "county" (real boundaries) or "township" (simulated areas).
    """

    key: str
    name_zh: str
    name_en: str
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    is_simulated: bool = True
    note_zh: str = NOTE_ZH
    note_en: str = NOTE_EN

    def graph(self) -> nx.MultiDiGraph:
        """The region's simulated road network (built once, then cached).

        Returns
        -------
        networkx.MultiDiGraph
            osmnx-style: ``G.graph["crs"] == "EPSG:4326"``, nodes ``x``/``y``
            (degrees), edges ``highway``, ``length`` (m), ``oneway``, ``osmid``
            and ``maxspeed`` (km/h, string) where posted.  Shared: do not mutate.
            Planar: roads meet at grade, with a junction node wherever two cross, so the
            exported roads layer read back by :func:`coverage.network.graph_from_road_layer`
            is the same network (``tests/test_demo_roundtrip.py``).
        """
        return _graph(self.key)

    def engine(self, mode: str = "walk") -> Any:
        """A travel-time engine compiled straight from the stored road arrays (no networkx graph).

        The same network and the same travel times as ``TravelTimeEngine(self.graph(), mode)``, without
        building the graph first (about 0.7 s of the app's first map on Yuxi).

        Parameters
        ----------
        mode
            Travel mode key ("walk", "drive", ...).

        Returns
        -------
        coverage.traveltime.TravelTimeEngine
        """
        return _engine(self.key, mode)

    def road_lines(self) -> Any:
        """The roads as the web map draws them (:func:`coverage.mapping.webmap.road_lines`), from the stored
        arrays without building the networkx graph.

        Returns
        -------
        geopandas.GeoDataFrame
            One simplified MultiLineString per display class (EPSG:4326).
        """
        from coverage.mapping.webmap import road_lines_from_edges

        arrays = _road_arrays(self.key)
        edges = arrays["edges"].astype(np.int64)
        classes = np.array([str(c) for c in arrays["highway_classes"]], dtype=object)
        return road_lines_from_edges(arrays["node_lonlat"], edges[:, 0], edges[:, 1], classes[edges[:, 2]],
                                     crs=WGS84)

    @property
    def roads_path(self) -> Path:
        """The ``.npz`` file holding the road network."""
        return DATA_DIR / self.key / "roads.npz"


def _check_key(key: str) -> str:
    k = str(key).strip().lower()
    aliases = (
        {info.name_zh: info.key for info in REGIONS.values()}
        | {info.name_en.lower(): info.key for info in REGIONS.values()}
        | {info.code: info.key for info in REGIONS.values()}
        | {"大理州": "dali", "大理": "dali", "玉溪": "yuxi"}
    )
    k = aliases.get(str(key).strip(), aliases.get(k, k))
    if k not in REGIONS:
        known = ", ".join(f"{i.key} ({i.name_zh})" for i in REGIONS.values())
        raise InputError(f"unknown demo region '{key}'; known: {known}")
    return k


def _mark(df: pd.DataFrame) -> pd.DataFrame:
    df.attrs.update({"simulated": True, "note_zh": NOTE_ZH, "note_en": NOTE_EN})
    return df


def _read_points(path: Path, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise CoverageError(f"{path} is missing: regenerate the demo with `python -m coverage.demo.build`")
    df = pd.read_csv(path, dtype=dict.fromkeys(_CODE_COLUMNS, str), encoding="utf-8")
    for c in POPULATION_COLUMNS:
        if c in df:
            df[c] = df[c].astype("int64")
    gdf = gpd.GeoDataFrame(
        df.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84
    )
    return _mark(gdf[[c for c in columns if c in gdf.columns]])


@functools.cache
def load_demo(key: str = DEFAULT_REGION) -> DemoRegion:
    """Load a demo region (cached: the second call is instant).

    Parameters
    ----------
    key
        "yuxi" (玉溪市, default) or "dali" (大理白族自治州); the Chinese name or
        the prefecture code also work.

    Returns
    -------
    DemoRegion

    Raises
    ------
    InputError
        If ``key`` is not a demo region.

    Example
    -------
    >>> load_demo("dali").boundaries.query("level == 'county'").shape[0]
    12
    """
    key = _check_key(key)
    info = REGIONS[key]
    folder = DATA_DIR / key
    demand = _read_points(folder / "villages.csv", DEMAND_COLUMNS)
    # residents (在院人数) of the bed-holding institutions, where the region publishes them
    facilities = _read_points(folder / "facilities.csv", (*FACILITY_COLUMNS[:-1], "residents", "geometry"))
    if "residents" not in facilities.columns:  # a region without published residents: unknown, not 0
        facilities.insert(len(FACILITY_COLUMNS) - 1, "residents", np.nan)
    candidates = _read_points(folder / "candidates.csv", CANDIDATE_COLUMNS)
    boundaries = gpd.read_file(folder / "boundaries.geojson", engine="pyogrio")
    for c in ("code", "parent_code"):
        boundaries[c] = boundaries[c].astype(str)
    boundaries = _mark(boundaries[list(BOUNDARY_COLUMNS)].set_crs(WGS84, allow_override=True))
    logger.info(
        "demo %s: %d villages, %d facilities, %d candidates",
        key,
        len(demand),
        len(facilities),
        len(candidates),
    )
    return DemoRegion(
        key=key,
        name_zh=info.name_zh,
        name_en=info.name_en,
        demand=demand,
        facilities=facilities,
        candidates=candidates,
        boundaries=boundaries,
    )


@functools.cache
def _road_arrays(key: str) -> dict[str, np.ndarray]:
    """The region's stored road arrays, read once (read-only: shared by the graph, the engines and the map)."""
    from coverage.demo.roads import load_road_arrays

    path = DATA_DIR / key / "roads.npz"
    if not path.is_file():
        raise CoverageError(f"{path} is missing: regenerate the demo with `python -m coverage.demo.build`")
    arrays = load_road_arrays(path)
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


@functools.cache
def _graph(key: str) -> nx.MultiDiGraph:
    from coverage.demo.roads import graph_from_arrays

    G = graph_from_arrays(_road_arrays(key), name=f"{REGIONS[key].name_zh} {NOTE_ZH}")
    G.graph["simulated"] = True
    G.graph["note_zh"], G.graph["note_en"] = NOTE_ZH, NOTE_EN
    return G


def _engine(key: str, mode: str) -> Any:
    from coverage.traveltime.engine import TravelTimeEngine

    arrays = _road_arrays(key)
    lonlat, edges = arrays["node_lonlat"], arrays["edges"].astype(np.int64)
    # each stored road is one edge when one-way, two (forward and back) otherwise: as graph_from_arrays draws it
    back = edges[:, 3] == 0
    rows = np.concatenate([np.arange(len(edges)), np.flatnonzero(back)])
    u = np.concatenate([edges[:, 0], edges[back, 1]])
    v = np.concatenate([edges[:, 1], edges[back, 0]])
    classes = [str(c) for c in arrays["highway_classes"]]
    highway = pd.Categorical.from_codes(edges[rows, 2], categories=classes)
    speeds = arrays["maxspeed_kph"].astype(float)[rows]
    maxspeed = np.array([None if s != s else str(int(s)) for s in speeds.tolist()], dtype=object)
    length_m = arrays["length_m"].astype(float).round(2)[rows]  # as the graph holds them
    return TravelTimeEngine.from_arrays(lonlat[:, 0], lonlat[:, 1], u, v, length_m, mode, crs=WGS84,
                                        highway=highway, maxspeed=maxspeed)


def export_demo(key: str, out_dir: str | Path, *, lang: str = "zh") -> list[Path]:
    """Write a demo region as a planner would upload it (see :func:`coverage.demo.export.export_demo`)."""
    from coverage.demo.export import export_demo as _export

    return _export(key, out_dir, lang=lang)
