"""Existing facilities of the first stage, placed by rule at villages and township / county seats.

The counts are exactly the first-stage targets in :mod:`coverage.demo.regions`; the calibration
stage (:mod:`coverage.demo.build.calibration`) then sets the published achievements.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.demo.build.places import Places
from coverage.demo.build.sampling import FloatArray, choose, largest_remainder, offset_on_land
from coverage.demo.regions import RegionSpec
from coverage.taxonomy import FACILITY_TYPES

#: Name pattern by facility type: ``{v}`` village, ``{t}`` township, ``{c}`` county (short), ``{p}`` prefecture.
FACILITY_NAMES = {
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
    "childcare_institution": "{v}托育服务中心",
}
FACILITY_CAPACITY = {  # (low, high) of a uniform draw, in the type's capacity unit
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
    "childcare_institution": (20, 80),  # 托位
}


def short_county(name: str) -> str:
    for suffix in ("彝族傣族自治县", "哈尼族彝族傣族自治县", "彝族回族自治县", "彝族自治县", "自治县"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + "县"
    return name


def facility_name(ftype: str, host: pd.Series, names: dict[str, str], spec: RegionSpec) -> str:
    """A facility's name from :data:`FACILITY_NAMES`, for its host village's row ``host``.

    ``names`` gives county and township names by code.  "happy_courtyard" at 大营村 -> "大营村幸福小院".
    """
    return FACILITY_NAMES[ftype].format(
        v=host.village_name,
        t=names[host.township_code],
        c=short_county(names[host.county_code]),
        p=spec.name_zh,
    )


def place_facilities(
    spec: RegionSpec, pl: Places, v: pd.DataFrame, names: dict[str, str], rng: np.random.Generator
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
    for _, r in towns.iterrows():
        idx = np.flatnonzero((v["township_code"] == r.township_code).to_numpy())
        d = np.hypot(vxy[idx, 0] - r.seat_x, vxy[idx, 1] - r.seat_y)
        host_of_town[r.township_code] = int(idx[np.argmin(d)])

    def add(ftype: str, host: int, xy: FloatArray, capacity: float | None = None) -> None:
        hv = v.iloc[host]
        name = facility_name(ftype, hv, names, spec)
        if capacity is None and ftype in FACILITY_CAPACITY:
            lo, hi = FACILITY_CAPACITY[ftype]
            capacity = float(round(rng.uniform(lo, hi)))
        rows.append({"type": ftype, "name": name, "capacity": capacity, "x": xy[0], "y": xy[1], "host": host})

    def land_of(host: int) -> shapely.Geometry:
        return pl.land[v.iloc[host].county_code]

    def near_village(ftype: str, hosts: npt.NDArray[np.int64], lo: float, hi: float) -> None:
        for h in hosts:
            add(ftype, int(h), offset_on_land(vxy[h], lo, hi, rng, land_of(int(h))))

    def near_town(ftype: str, town_codes: list[str], lo: float, hi: float) -> None:
        for tc in town_codes:
            r = towns[towns["township_code"] == tc].iloc[0]
            h = host_of_town[tc]
            add(ftype, h, offset_on_land(np.array([r.seat_x, r.seat_y]), lo, hi, rng, land_of(h)))

    county_codes = [c.code for c in spec.counties]
    # prefecture level
    pref_seat = seat_town.loc[county_codes[0]].township_code
    near_town("child_welfare_home", [pref_seat], 300, 800)
    # county level
    n_fh = t["funeral_home"]
    near_town("funeral_home", [seat_town.loc[c].township_code for c in county_codes[:n_fh]], 2000, 5000)
    pops = np.array([c.population for c in spec.counties], dtype=float)
    n_cc = largest_remainder(np.maximum(pops, pops.max() / 3), t["commercial_cemetery"])
    for c, k in zip(county_codes, n_cc, strict=True):
        near_town("commercial_cemetery", [seat_town.loc[c].township_code] * int(k), 3000, 8000)
    dis = choose(len(county_codes), t["county_disability_care"], pops, rng)
    near_town(
        "county_disability_care", [seat_town.loc[county_codes[i]].township_code for i in dis], 1000, 3000
    )
    # elderly institutions: about 40 % in the county seat, the rest in towns
    eld_c = np.array([eld[(v["county_code"] == c).to_numpy()].sum() for c in county_codes])
    n_inst = 3 + largest_remainder(eld_c, t["elderly_institution"] - 3 * len(county_codes))
    first = len(rows)
    for c, k in zip(county_codes, n_inst, strict=True):
        k_seat = int(np.ceil(0.4 * k))
        sub = towns[(towns["county_code"] == c)]
        seat_code = seat_town.loc[c].township_code
        near_town("elderly_institution", [seat_code] * k_seat, 200, 2500)
        others = sub[sub["township_code"] != seat_code]
        w = np.array([eld[(v["township_code"] == tc).to_numpy()].sum() for tc in others["township_code"]])
        pick = choose(len(others), min(int(k) - k_seat, len(others)), w, rng)
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
    beds = largest_remainder(raw, t["elderly_institution_beds"])
    for i, b in zip(inst, beds, strict=True):
        rows[i]["capacity"] = float(b)
    # township level
    non_street = towns[towns["kind"] != "street"]
    w = np.array([eld[(v["township_code"] == tc).to_numpy()].sum() for tc in non_street["township_code"]])
    pick = choose(len(non_street), t["township_elderly_center"], w, rng)
    near_town("township_elderly_center", list(non_street["township_code"].iloc[pick]), 100, 400)
    w_m = (0.2 + towns["mountain"].to_numpy()) ** 2
    for ftype in ("minor_protection_station", "social_work_station"):
        lacking = choose(len(towns), len(towns) - t[ftype], w_m, rng)
        keep = np.setdiff1d(np.arange(len(towns)), lacking)
        near_town(ftype, list(towns["township_code"].iloc[keep]), 50, 300)
    n_ash_town = round(0.45 * len(towns))
    ash_towns = choose(len(towns), min(n_ash_town, t["ash_placement"]), 1 / w_m, rng)
    near_town("ash_placement", list(towns["township_code"].iloc[ash_towns]), 1000, 2000)
    # village level
    n_vill = len(v)
    n_day = t["community_daycare"]
    near_village("community_daycare", choose(n_vill, n_day, eld * comm, rng), 50, 200)
    n_mut = t["community_daycare+rural_mutual_aid"] - n_day
    near_village("rural_mutual_aid", choose(n_vill, n_mut, eld * ~comm, rng), 50, 200)
    near_village(
        "elderly_canteen", choose(n_vill, t["elderly_canteen"], eld * np.where(comm, 3, 1), rng), 50, 200
    )
    near_village(
        "happy_courtyard", choose(n_vill, t["happy_courtyard"], np.where(comm, 1.0, 2.0), rng), 30, 150
    )
    near_village(
        "public_cemetery", choose(n_vill, t["public_cemetery"], np.where(comm, 0.5, 4.0), rng), 500, 1500
    )
    near_village(
        "ash_placement",
        choose(n_vill, t["ash_placement"] - len(ash_towns), np.where(comm, 1.0, 2.0), rng),
        300,
        1000,
    )
    near_village("eco_burial", choose(n_vill, t["eco_burial"], (0.2 + m_v) * ~comm + 0.01, rng), 500, 1500)
    lacking = choose(n_vill, n_vill - t["childrens_home"], (0.2 + m_v) ** 3, rng)
    near_village("childrens_home", np.setdiff1d(np.arange(n_vill), lacking), 20, 150)
    f = pd.DataFrame(rows)
    f["capacity_unit"] = f["type"].map(lambda k: FACILITY_TYPES[k].capacity_unit)
    f.loc[f["capacity_unit"].isna(), "capacity"] = np.nan
    f["status"] = "existing"
    f["seq"] = np.arange(len(f))  # the facility id; kept by the calibration stage
    return f


