"""Administrative units: keys of every row, placing facilities in units, coverage per unit.

Every demand and facility row gets a key per level (county, township, village):
its code, else its name (:func:`admin_keys`).  A facility without a code is
placed in the boundary it lies in, else in the unit of the nearest village
(:func:`place_facilities`, with a note).  :func:`by_unit` sums coverage per
prefecture, county and township; :func:`uncovered_villages_table` ranks the
uncovered villages; :func:`units_at` lists the units of a level, from the
boundaries when given (units without villages included).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

from coverage.errors import CRSError
from coverage.metrics.capacity import CapacityResult
from coverage.metrics.labels import verdict
from coverage.metrics.standards import Standards

__all__ = ["LEVELS", "admin_keys", "by_unit", "capacity_by_county", "code_str", "metric_crs", "place_facilities",
           "uncovered_villages_table", "units_at"]

#: Administrative levels below the prefecture, top down.
LEVELS = ("county", "township", "village")


def code_str(s: pd.Series) -> pd.Series:
    """Codes as clean strings (530402.0 -> "530402"); missing stays missing (None)."""
    if pd.api.types.is_float_dtype(s):
        s = s.map(lambda x: str(int(x)) if pd.notna(x) and float(x).is_integer() else x)
    out = pd.Series(None, index=s.index, dtype=object)
    mask = s.notna().to_numpy()
    if mask.any():
        text = s[mask].astype(str).str.strip()
        out[mask] = text.where(text != "", None).to_numpy(dtype=object)
    return out


def admin_keys(table: pd.DataFrame, *, keep_missing_names: bool = False) -> pd.DataFrame:
    """County/township/village keys (code, else name) and names (else code) of each row."""
    out = pd.DataFrame(index=table.index)
    for level in LEVELS:
        code = (
            code_str(table[f"{level}_code"])
            if f"{level}_code" in table.columns
            else pd.Series(None, index=table.index, dtype=object)
        )
        name = (
            table[f"{level}_name"].astype(object)
            if f"{level}_name" in table.columns
            else pd.Series(None, index=table.index, dtype=object)
        )
        name = name.where(name.notna(), None)
        out[f"{level}_code"] = code.where(code.notna(), name)
        out[f"{level}_name"] = name if keep_missing_names else name.where(name.notna(), code)
    return out


def metric_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS | str:
    """A metric CRS for ``gdf``: its UTM zone (:func:`coverage.crs.metric_crs_of`), else Web Mercator."""
    from coverage.crs import metric_crs_of
    from coverage.errors import InputError

    try:
        return metric_crs_of(gdf)
    except InputError:  # nothing to place: a world metric CRS will do for "nearest"
        return "EPSG:3857"


def place_facilities(
    facilities: pd.DataFrame,
    level: str,
    *,
    demand: pd.DataFrame,
    demand_admin: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None,
    notes: list[str],
    facilities_admin: pd.DataFrame | None = None,
) -> pd.Series:
    """Unit key at ``level`` of every facility: its own code, else the boundary it
    lies in, else the unit of the nearest village."""
    fadm = facilities_admin if facilities_admin is not None else admin_keys(facilities)
    key = fadm[f"{level}_code"].copy()
    missing = key.isna()
    if missing.any() and boundaries is not None and hasattr(facilities, "geometry"):
        polys = boundaries.loc[boundaries["level"] == level]
        if len(polys):
            pts = facilities.loc[missing, ["geometry"]]
            if pts.crs is None or polys.crs is None:
                raise CRSError("facilities or boundaries have no CRS; load them with coverage.inputs")
            joined = gpd.sjoin(
                pts, polys[["code", "geometry"]].to_crs(pts.crs), how="left", predicate="within"
            )
            joined = joined[~joined.index.duplicated()]
            key[missing] = code_str(joined["code"]).reindex(key.index[missing]).to_numpy()
            missing = key.isna()
    if missing.any() and hasattr(facilities, "geometry") and hasattr(demand, "geometry") and len(demand):
        if facilities.crs is None or demand.crs is None:
            raise CRSError("facilities or demand have no CRS; load them with coverage.inputs")
        crs = metric_crs(demand)
        vil = gpd.GeoDataFrame(
            {"unit": demand_admin[f"{level}_code"].to_numpy()},
            geometry=demand.geometry.to_crs(crs).to_numpy(),
            crs=crs,
        )
        pts = facilities.loc[missing, ["geometry"]].to_crs(crs)
        joined = gpd.sjoin_nearest(pts, vil, how="left")
        joined = joined[~joined.index.duplicated()]
        key[missing] = joined["unit"].reindex(key.index[missing]).to_numpy()
        notes.append(
            f"{int(missing.sum())} facilities have no {level} code and lie in no {level} boundary: "
            f"placed in the {level} of the nearest village"
        )
    return key



def capacity_by_county(cap: CapacityResult, counted: pd.DataFrame, adm: pd.DataFrame) -> pd.DataFrame:
    """Beds and demand per county: where beds stand empty and where demand goes unmet.

    With a ``residents`` column (在院人数) also ``residents`` and ``actual_occupancy_share``
    (residents / beds of the facilities that report them; NaN without figures).
    """
    fac = cap.facilities
    fcounty = pd.Series(admin_keys(counted)["county_code"].to_numpy(), index=counted["id"].to_numpy())
    f = pd.DataFrame(
        {
            "county_code": fcounty.reindex(fac["facility_id"]).to_numpy(),
            **{
                c: fac[c].to_numpy(dtype=float)
                for c in ("capacity", "allocated_demand", "served_demand", "spare_capacity", "shortfall")
            },
        }
    )
    f_sum = f.groupby("county_code", dropna=False, sort=False).sum(min_count=0)
    v = pd.DataFrame(
        {
            "county_code": adm["county_code"].to_numpy(),
            "demand": cap.villages["demand"].to_numpy(),
            "unmet_demand": cap.villages["unmet_demand"].to_numpy(),
        }
    )
    v_sum = v.groupby("county_code", dropna=False, sort=False).sum()
    out = f_sum.join(v_sum, how="outer").fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["expected_occupancy_share"] = (out["served_demand"] / out["capacity"]).where(out["capacity"] > 0)
    # actual occupancy per county from the facility list's residents (在院人数), where given
    res = pd.to_numeric(fac["residents"], errors="coerce") if "residents" in fac.columns else None
    if res is not None and res.notna().any():
        known = res.notna().to_numpy() & (fac["capacity"].to_numpy(dtype=float) > 0)
        r = pd.DataFrame({"county_code": f["county_code"], "residents": np.where(known, res.to_numpy(float), 0.0),
                          "cap_r": np.where(known, fac["capacity"].to_numpy(dtype=float), 0.0)})
        r_sum = r.groupby("county_code", dropna=False, sort=False).sum().reindex(out.index).fillna(0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["residents"] = r_sum["residents"]
            out["actual_occupancy_share"] = (r_sum["residents"] / r_sum["cap_r"]).where(r_sum["cap_r"] > 0)
    else:
        out["residents"] = np.nan
        out["actual_occupancy_share"] = np.nan
    fadm = admin_keys(counted)
    names = {c: n for c, n in zip(fadm["county_code"], fadm["county_name"], strict=True) if pd.notna(n)}
    names.update({c: n for c, n in zip(adm["county_code"], adm["county_name"], strict=True) if pd.notna(n)})
    out = out.reset_index()
    # a county known only from its facilities (no village in the list) keeps a name, else its code
    out.insert(1, "county_name", [names.get(c, c) for c in out["county_code"]])
    return out[
        [
            "county_code",
            "county_name",
            "capacity",
            "allocated_demand",
            "served_demand",
            "spare_capacity",
            "shortfall",
            "expected_occupancy_share",
            "residents",
            "actual_occupancy_share",
            "demand",
            "unmet_demand",
        ]
    ]


def by_unit(
    people: pd.DataFrame, adm: pd.DataFrame, standards: Standards, prefecture_name: str
) -> pd.DataFrame:
    """Aggregate the per-village people table to townships, counties and the whole region."""
    cols = [
        "level",
        "code",
        "name",
        "parent_code",
        "service",
        "group",
        "covered_people",
        "total_people",
        "uncovered_people",
        "share",
        "target_share",
        "passed",
        "status",
        "villages_total",
        "uncovered_villages",
    ]
    if people.empty:
        return pd.DataFrame(columns=cols)
    row = people["_row"].to_numpy()
    n = len(people)
    has = people["people"].to_numpy() > 0
    nums = {
        "covered_people": people["covered_people"].to_numpy(),
        "total_people": people["people"].to_numpy(),
        "uncovered_people": people["uncovered_people"].to_numpy(),
        "villages_total": has.astype(int),
        "uncovered_villages": (has & (people["uncovered_people"].to_numpy() > 0)).astype(int),
    }
    levels = ("prefecture", "county", "township")
    codes = [
        np.full(n, "", dtype=object),
        adm["county_code"].to_numpy(dtype=object)[row],
        adm["township_code"].to_numpy(dtype=object)[row],
    ]
    long = pd.DataFrame(
        {
            "level": np.repeat(levels, n),
            "code": np.concatenate(codes),
            "service": np.tile(people["service"].to_numpy(dtype=object), 3),
            "group": np.tile(people["group"].to_numpy(dtype=object), 3),
            **{k: np.tile(v, 3) for k, v in nums.items()},
        }
    )
    out = long.groupby(["level", "code", "service", "group"], sort=False, dropna=False).sum().reset_index()
    # Names and parents of each unit, from the villages' admin columns.
    names = {("prefecture", ""): (prefecture_name, None)}
    for level, parent in (("county", None), ("township", "county_code")):
        u = adm.drop_duplicates(f"{level}_code")
        parents = u[parent].to_numpy() if parent else [""] * len(u)
        names.update(
            {
                (level, c): (nm, p)
                for c, nm, p in zip(u[f"{level}_code"], u[f"{level}_name"], parents, strict=True)
            }
        )
    keys = list(zip(out["level"], out["code"], strict=True))
    out["name"] = [names.get(k, (None, None))[0] for k in keys]
    out["parent_code"] = [names.get(k, (None, None))[1] for k in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = (out["covered_people"] / out["total_people"]).where(out["total_people"] > 0)
    targets = {s.key: s.target_share for s in standards.services}
    out["target_share"] = out["service"].map(targets).astype(float)
    passed = out["share"] >= out["target_share"] - 1e-9
    out["passed"] = passed.astype(object).where(out["target_share"].notna() & out["share"].notna(), None)
    out["status"] = [verdict(p, has_data=bool(t > 0), has_target=bool(pd.notna(ts)))
                     for p, t, ts in zip(out["passed"], out["total_people"], out["target_share"], strict=True)]
    return out[cols]


def uncovered_villages_table(
    people: pd.DataFrame, villages: pd.DataFrame, adm: pd.DataFrame, names: npt.NDArray[Any]
) -> pd.DataFrame:
    cols = [
        "service",
        "group",
        "rank",
        "id",
        "name",
        "township_name",
        "county_name",
        "people",
        "travel_time_min",
        "facility_name",
    ]
    u = people.loc[people["uncovered_people"] > 0]
    if u.empty:
        return pd.DataFrame(columns=cols)
    row = u["_row"].to_numpy()
    out = pd.DataFrame(
        {
            "service": u["service"].to_numpy(),
            "group": u["group"].to_numpy(),
            "id": u["id"].to_numpy(),
            "name": names[row],
            "township_name": adm["township_name"].to_numpy()[row],
            "county_name": adm["county_name"].to_numpy()[row],
            "people": u["uncovered_people"].to_numpy(),
        }
    )
    v = villages.set_index(["service", "id"])
    key = pd.MultiIndex.from_arrays([out["service"], out["id"]])
    out["travel_time_min"] = v["travel_time_min"].reindex(key).to_numpy()
    out["facility_name"] = v["facility_name"].reindex(key).to_numpy()
    out = out.sort_values(
        ["service", "group", "people", "travel_time_min"],
        ascending=[True, True, False, False],
        kind="stable",
        na_position="first",
    )
    out["rank"] = out.groupby(["service", "group"], sort=False).cumcount() + 1
    return out[cols].reset_index(drop=True)


def units_at(adm: pd.DataFrame, level: str, boundaries: gpd.GeoDataFrame | None,
             parent_col: str | None) -> pd.DataFrame:
    """Units of a level: from the villages' admin columns, plus boundaries of that level."""
    d = pd.DataFrame(
        {
            "code": adm[f"{level}_code"],
            "name": adm[f"{level}_name"],
            "parent_name": adm[parent_col] if parent_col else None,
        }
    )
    d = d.loc[d["code"].notna()].drop_duplicates("code")
    if boundaries is not None and "level" in boundaries.columns:
        b = boundaries.loc[boundaries["level"] == level]
        if len(b):
            parents = {}
            if parent_col:
                up = "county" if level == "township" else "township"
                pb = boundaries.loc[boundaries["level"] == up]
                parents = dict(zip(code_str(pb["code"]), pb["name"], strict=False))
            extra = pd.DataFrame(
                {
                    "code": code_str(b["code"]).to_numpy(),
                    "name": b["name"].to_numpy(),
                    "parent_name": [parents.get(p) for p in code_str(b["parent_code"])]
                    if "parent_code" in b.columns
                    else None,
                }
            )
            extra = extra.loc[extra["code"].notna() & ~extra["code"].isin(d["code"])]
            d = pd.concat([d, extra], ignore_index=True)
    return d.reset_index(drop=True)


