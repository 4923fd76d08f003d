"""Beds and places against demand: nearest allocation and 2SFCA.

Two complementary views of capacity for one service:

* **Nearest allocation.**  Each village's demand goes to its nearest counted
  facility if that is within the threshold (otherwise it is *out of reach*).
  Per facility: demand allocated against its capacity (utilisation), spare
  places, shortfall.  When a facility is short, each village allocated to it is
  served in proportion (capacity / allocated demand) and the rest is *unmet*.
* **Two-step floating catchment (2SFCA, Luo & Wang 2003)** with the service's
  threshold as catchment: step 1, each facility's supply ratio
  ``R_j = S_j / sum(P_i, t_ij <= d0)``; step 2, each village's accessibility
  ``A_i = sum(R_j, t_ij <= d0)``, reported per 1,000 people of demand.

When the facility list has ``residents`` (在院人数), the *actual* occupancy
(residents / beds of the facilities that report residents) is reported beside
the *expected* one (demand allocated to the nearest beds / beds): Yuxi publishes
4,565 beds and 1,546 residents, 33.87%.

Flags let a planner see why occupancy is low while needs go unmet (Yuxi
publishes 33.87%): facilities whose local demand fills less than
``spare_below`` of their places are ``"spare"``; facilities with more demand
than places are ``"short"``; villages with unmet demand are flagged with the
reason (``"short"``: their facility is full; ``"out_of_reach"``: none within
the threshold).

Example
-------
>>> import pandas as pd
>>> people = pd.Series({"v1": 100.0, "v2": 50.0})
>>> capacity = pd.Series({"f1": 30.0})
>>> od = pd.DataFrame({"from_id": ["v1", "v2"], "to_id": ["f1", "f1"], "travel_time_min": [5.0, 10.0]})
>>> fac, vil = two_step_fca(people, capacity, od, threshold_min=15)
>>> float(vil.loc["v1", "access_index_per_1000"])
200.0
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FACILITY_FLAGS",
    "VILLAGE_FLAGS",
    "CapacityResult",
    "actual_occupancy",
    "allocate_nearest",
    "capacity_analysis",
    "two_step_fca",
]

logger = logging.getLogger(__name__)

#: Facility flags with zh/en labels.
FACILITY_FLAGS: dict[str, tuple[str, str]] = {
    "spare": ("床位闲置（周边需求少）", "spare places (little demand nearby)"),
    "short": ("床位不足", "places short"),
    "balanced": ("基本匹配", "balanced"),
    "no_capacity": ("无容量数据", "no capacity recorded"),
}

#: Village flags with zh/en labels.
VILLAGE_FLAGS: dict[str, tuple[str, str]] = {
    "met": ("需求满足", "demand met"),
    "short": ("最近设施床位不足", "nearest facility is full"),
    "out_of_reach": ("时限内无设施", "no facility within the threshold"),
    "no_demand": ("无需求", "no demand"),
}


def two_step_fca(
    people: pd.Series, capacity: pd.Series, od: pd.DataFrame, *, threshold_min: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two-step floating catchment area accessibility (Luo & Wang 2003).

    Parameters
    ----------
    people
        Demand per village (persons expected to use the service), indexed by
        village id.
    capacity
        Capacity per facility (beds or places), indexed by facility id; NaN
        capacities are left out (their facility has no supply ratio).
    od
        Long table ``from_id`` (village), ``to_id`` (facility), ``travel_time_min``.
    threshold_min
        Catchment in minutes: pairs with ``travel_time_min <= threshold_min`` count.

    Returns
    -------
    facilities : DataFrame
        Indexed by facility id: ``capacity``, ``catchment_demand`` (people within
        the catchment), ``supply_per_1000`` (``1000 * R_j``, NaN if nobody is
        within reach).
    villages : DataFrame
        Indexed by village id: ``facilities_in_reach`` (count), ``capacity_in_reach``
        (sum of capacities within reach) and ``access_index_per_1000`` (``1000 *
        A_i``, places per 1,000 people of demand; 0 where no facility is in reach).
    """
    cap = capacity.astype(float)
    pairs = od.loc[od["travel_time_min"] <= threshold_min, ["from_id", "to_id"]]
    pairs = pairs.loc[pairs["to_id"].isin(cap.index[cap.notna()]) & pairs["from_id"].isin(people.index)]
    pop = people.astype(float).reindex(pairs["from_id"]).to_numpy()
    catchment = pd.Series(pop, index=pairs["to_id"].to_numpy()).groupby(level=0).sum()
    catchment = catchment.reindex(cap.index, fill_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = cap / catchment.where(catchment > 0)
    fac = pd.DataFrame({"capacity": cap, "catchment_demand": catchment, "supply_per_1000": 1000.0 * ratio})
    fac.index.name = "facility_id"
    r = ratio.reindex(pairs["to_id"]).to_numpy()
    c = cap.reindex(pairs["to_id"]).to_numpy()
    per_pair = pd.DataFrame({"village": pairs["from_id"].to_numpy(), "r": np.nan_to_num(r), "c": c})
    agg = per_pair.groupby("village").agg(
        facilities_in_reach=("c", "size"), capacity_in_reach=("c", "sum"), r=("r", "sum")
    )
    agg = agg.reindex(people.index)
    vil = pd.DataFrame(
        {
            "facilities_in_reach": agg["facilities_in_reach"].fillna(0).astype(int),
            "capacity_in_reach": agg["capacity_in_reach"].fillna(0.0),
            "access_index_per_1000": 1000.0 * agg["r"].fillna(0.0),
        },
        index=people.index,
    )
    vil.index.name = "id"
    return fac, vil


def allocate_nearest(
    people: pd.Series,
    nearest: pd.DataFrame,
    capacity: pd.Series,
    *,
    threshold_min: float | None = None,
    spare_below: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Allocate each village's demand to its nearest facility and compare with capacity.

    Parameters
    ----------
    people
        Demand per village (persons), indexed by village id.
    nearest
        Indexed by village id: ``travel_time_min`` and ``facility_id`` of the
        nearest facility (NaN / None if none reachable).
    capacity
        Capacity per facility (beds or places), indexed by facility id.
    threshold_min
        Villages whose nearest facility is farther than this are out of reach and
        allocate nothing (None = no limit).
    spare_below
        A facility whose allocated demand fills less than this share of its
        capacity is flagged ``"spare"``.

    Returns
    -------
    facilities : DataFrame
        Indexed by facility id: ``capacity``, ``allocated_demand``,
        ``utilisation_share`` (allocated / capacity, NaN without capacity),
        ``served_demand`` (min of the two), ``spare_capacity``, ``shortfall``,
        ``villages_allocated``, ``flag``.
    villages : DataFrame
        Indexed by village id: ``demand``, ``facility_id``, ``travel_time_min``,
        ``served_demand``, ``unmet_demand``, ``flag``.
    """
    cap = capacity.astype(float)
    demand = people.astype(float)
    near = nearest.reindex(demand.index)
    t = near["travel_time_min"].astype(float)
    in_reach = t.notna() & near["facility_id"].notna()
    if threshold_min is not None:
        in_reach &= t <= threshold_min
    fid = near["facility_id"].where(in_reach)
    alloc = demand[in_reach].groupby(fid[in_reach]).sum().reindex(cap.index, fill_value=0.0)
    n_vil = fid[in_reach].groupby(fid[in_reach]).size().reindex(cap.index, fill_value=0).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = alloc / cap.where(cap > 0)
    served = np.minimum(alloc, cap.fillna(0.0))
    flag = pd.Series("balanced", index=cap.index, dtype=object)
    flag[util < spare_below] = "spare"
    flag[alloc > cap] = "short"
    flag[cap.isna() | (cap <= 0)] = "no_capacity"
    fac = pd.DataFrame(
        {
            "capacity": cap,
            "allocated_demand": alloc,
            "utilisation_share": util,
            "served_demand": served,
            "spare_capacity": (cap - alloc).clip(lower=0.0),
            "shortfall": (alloc - cap).clip(lower=0.0),
            "villages_allocated": n_vil,
            "flag": flag,
        }
    )
    fac.index.name = "facility_id"
    # Share of each facility's allocated demand that it can serve.
    with np.errstate(divide="ignore", invalid="ignore"):
        served_share = (served / alloc).where(alloc > 0, 1.0)
    vshare = served_share.reindex(fid).to_numpy()
    vserved = np.where(in_reach, demand.to_numpy() * np.nan_to_num(vshare), 0.0)
    vil = pd.DataFrame(
        {
            "demand": demand,
            "facility_id": near["facility_id"].where(near["facility_id"].notna(), None),
            "travel_time_min": t,
            "served_demand": vserved,
        },
        index=demand.index,
    )
    vil["unmet_demand"] = (vil["demand"] - vil["served_demand"]).clip(lower=0.0)
    vflag = pd.Series("met", index=demand.index, dtype=object)
    vflag[in_reach & (vil["unmet_demand"] > 1e-9)] = "short"
    vflag[~in_reach] = "out_of_reach"
    vflag[demand <= 0] = "no_demand"
    vil["flag"] = vflag
    vil.index.name = "id"
    return fac, vil


@dataclass
class CapacityResult:
    """Capacity analysis of one service.

    Attributes
    ----------
    service_key : the service.
    capacity_unit : "beds", "places" or "plots" (the facilities' unit, most common).
    facilities : per facility: facility_id, name, type, capacity_unit, township_name,
        county_name (those present in the facility table), capacity, catchment_demand,
        supply_per_1000, allocated_demand, utilisation_share, served_demand,
        spare_capacity, shortfall, villages_allocated, flag, flag_zh, flag_en.
    villages : per village: id (and name, township_name, county_name when made by
        :func:`coverage.metrics.analyze`), demand, facility_id, travel_time_min,
        served_demand, unmet_demand, facilities_in_reach, capacity_in_reach,
        access_index_per_1000, flag, flag_zh, flag_en.
    summary : totals (see :meth:`to_dict`).
    by_county : per county (made by :func:`coverage.metrics.analyze`): county_code,
        county_name, capacity, allocated_demand, served_demand, spare_capacity,
        shortfall, expected_occupancy_share (of the county's facilities), demand,
        unmet_demand (of the county's villages).
    """

    service_key: str
    capacity_unit: str | None
    facilities: pd.DataFrame
    villages: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    by_county: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary figures as plain JSON-ready data."""
        return dict(self.summary)


def _f(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x


def actual_occupancy(facilities: pd.DataFrame) -> dict[str, Any]:
    """Residents against beds, from the facility list's ``residents`` column (在院人数).

    Only facilities with both a capacity and a residents figure count, so a
    missing figure never lowers the share.

    Parameters
    ----------
    facilities
        Facilities with ``capacity`` and optionally ``residents`` (persons).

    Returns
    -------
    dict
        ``residents_total``, ``capacity_with_residents`` (beds of the facilities
        that report residents), ``facilities_with_residents`` and
        ``actual_occupancy_share`` (None without residents figures).

    Example
    -------
    >>> f = pd.DataFrame({"capacity": [100.0, 50.0, 30.0], "residents": [40.0, 10.0, None]})
    >>> actual_occupancy(f)["actual_occupancy_share"]
    0.3333333333333333
    """
    if "residents" not in facilities.columns or not len(facilities):
        return {"residents_total": None, "capacity_with_residents": None, "facilities_with_residents": 0,
                "actual_occupancy_share": None}
    cap = pd.to_numeric(facilities["capacity"], errors="coerce") if "capacity" in facilities.columns else (
        pd.Series(np.nan, index=facilities.index))
    res = pd.to_numeric(facilities["residents"], errors="coerce")
    both = cap.notna() & res.notna() & (cap > 0)
    cap_r, res_r = float(cap[both].sum()), float(res[both].sum())
    return {
        "residents_total": float(res.sum(skipna=True)) if res.notna().any() else None,
        "capacity_with_residents": cap_r if both.any() else None,
        "facilities_with_residents": int(both.sum()),
        "actual_occupancy_share": _f(res_r / cap_r) if cap_r > 0 else None,
    }


def capacity_analysis(
    people: pd.Series,
    facilities: pd.DataFrame,
    nearest: pd.DataFrame,
    od: pd.DataFrame,
    *,
    threshold_min: float,
    service_key: str = "",
    spare_below: float = 0.5,
) -> CapacityResult:
    """Nearest allocation and 2SFCA for one service, with flags and totals.

    Parameters
    ----------
    people
        Demand per village (persons expected to use a place), indexed by village id.
    facilities
        The counted facilities: ``id``, ``capacity`` (NaN = unknown) and
        optionally ``name``, ``type``, ``capacity_unit``.
    nearest
        Nearest counted facility per village (``travel_time_min``, ``facility_id``).
    od
        Pairs within (at least) the threshold: ``from_id, to_id, travel_time_min``.
    threshold_min
        Catchment and reach, minutes.
    service_key
        For labels and logs.
    spare_below
        Utilisation below which a facility is flagged ``"spare"``.

    Returns
    -------
    CapacityResult
        Its ``summary`` has ``capacity_total``, ``facilities``,
        ``facilities_without_capacity``, ``demand_total``, ``demand_in_reach``,
        ``allocated_demand``, ``expected_occupancy_share`` (served / capacity),
        ``unmet_demand``, ``unmet_demand_short``, ``unmet_demand_out_of_reach``,
        ``facilities_spare``, ``spare_capacity_in_spare_facilities``,
        ``facilities_short``, ``villages_unmet``, and from a ``residents`` column
        (:func:`actual_occupancy`) ``residents_total``, ``capacity_with_residents``,
        ``facilities_with_residents``, ``actual_occupancy_share`` (None without it).
        Per facility, ``residents`` and ``occupancy_share`` (residents / capacity) when given.
    """
    cap = (
        pd.to_numeric(facilities["capacity"], errors="coerce")
        if "capacity" in facilities.columns
        else pd.Series(np.nan, index=facilities.index)
    )
    cap = pd.Series(cap.to_numpy(dtype=float), index=pd.Index(facilities["id"], name="facility_id"))
    fac_a, vil_a = allocate_nearest(
        people, nearest, cap, threshold_min=threshold_min, spare_below=spare_below
    )
    fac_b, vil_b = two_step_fca(people, cap, od, threshold_min=threshold_min)
    fac = fac_a.join(fac_b[["catchment_demand", "supply_per_1000"]])
    info = [
        c
        for c in ("name", "type", "capacity_unit", "township_name", "county_name", "residents")
        if c in facilities.columns
    ]
    if info:
        fac = facilities.set_index("id")[info].rename_axis("facility_id").join(fac, how="right")
    if "residents" in fac.columns:
        fac["residents"] = pd.to_numeric(fac["residents"], errors="coerce")
        with np.errstate(divide="ignore", invalid="ignore"):
            fac["occupancy_share"] = (fac["residents"] / fac["capacity"]).where(fac["capacity"] > 0)
    fac["flag_zh"] = fac["flag"].map(lambda k: FACILITY_FLAGS[k][0])
    fac["flag_en"] = fac["flag"].map(lambda k: FACILITY_FLAGS[k][1])
    vil = vil_a.join(vil_b)
    vil["flag_zh"] = vil["flag"].map(lambda k: VILLAGE_FLAGS[k][0])
    vil["flag_en"] = vil["flag"].map(lambda k: VILLAGE_FLAGS[k][1])
    units = facilities["capacity_unit"].dropna() if "capacity_unit" in facilities.columns else pd.Series([])
    unit = str(units.mode().iloc[0]) if len(units) else None
    cap_total = float(cap.sum(skipna=True))
    served = float(fac["served_demand"].sum())
    spare = fac["flag"] == "spare"
    summary = {
        "service": service_key,
        "capacity_unit": unit,
        "facilities": len(fac),
        "facilities_without_capacity": int(cap.isna().sum()),
        "capacity_total": cap_total,
        "demand_total": float(people.sum()),
        "demand_in_reach": float(vil.loc[vil["flag"] != "out_of_reach", "demand"].sum()),
        "allocated_demand": float(fac["allocated_demand"].sum()),
        "served_demand": served,
        "expected_occupancy_share": _f(served / cap_total) if cap_total > 0 else None,
        "unmet_demand": float(vil["unmet_demand"].sum()),
        "unmet_demand_short": float(vil.loc[vil["flag"] == "short", "unmet_demand"].sum()),
        "unmet_demand_out_of_reach": float(vil.loc[vil["flag"] == "out_of_reach", "unmet_demand"].sum()),
        "facilities_spare": int(spare.sum()),
        "spare_capacity_in_spare_facilities": float(fac.loc[spare, "spare_capacity"].sum()),
        "facilities_short": int((fac["flag"] == "short").sum()),
        "villages_unmet": int(vil["flag"].isin(["short", "out_of_reach"]).sum()),
        **actual_occupancy(facilities),
    }
    if summary["facilities_without_capacity"]:
        logger.warning(
            "%s: %d facilities have no capacity and are left out of the capacity analysis",
            service_key,
            summary["facilities_without_capacity"],
        )
    return CapacityResult(service_key, unit, fac.reset_index(), vil.reset_index(), summary)
