"""Funeral demand: deaths per year from the resident population, against burial capacity, by county.

Deaths per year are estimated as ``population x death_rate_per_1000 / 1000`` (the
rate is an assumption in the standards file, :class:`~coverage.metrics.standards.FuneralDemand`,
editable).  Cemetery plots (public-welfare, commercial cemeteries, ecological burial
sites) and ash-placement places are then compared with it: the years each county's
capacity lasts at the current deaths per year, flagged ``short`` below ``min_years``.

Example
-------
>>> import pandas as pd
>>> from coverage.metrics.standards import FuneralDemand
>>> demand = pd.DataFrame({"id": ["v1", "v2"], "county_code": ["530402", "530402"],
...                        "county_name": ["红塔区", "红塔区"], "population": [60_000, 40_000]})
>>> fac = pd.DataFrame({"id": ["f1", "f2"], "type": ["public_cemetery", "ash_placement"],
...                     "capacity": [5_000.0, 2_000.0], "county_code": ["530402", "530402"]})
>>> t = funeral_demand(demand, fac, FuneralDemand(death_rate_per_1000=8.0))
>>> float(t.loc[0, "deaths_per_year"]), float(t.loc[0, "cemetery_years"]), float(t.loc[0, "ash_years"])
(800.0, 6.25, 2.5)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection

import numpy as np
import pandas as pd

from coverage.errors import MissingColumnError
from coverage.metrics.accessibility import counted_facilities
from coverage.metrics.standards import FuneralDemand
from coverage.metrics.units import admin_keys

__all__ = ["FUNERAL_COLUMNS", "funeral_demand"]

logger = logging.getLogger(__name__)

#: Columns of :func:`funeral_demand`'s table.
FUNERAL_COLUMNS: tuple[str, ...] = (
    "county_code", "county_name", "population", "deaths_per_year", "cemetery_plots", "cemetery_years",
    "ash_places", "ash_years", "facilities_without_capacity", "short",
)


def funeral_demand(demand: pd.DataFrame, facilities: pd.DataFrame, funeral: FuneralDemand, *,
                   statuses: Collection[str] | None = None) -> pd.DataFrame:
    """Deaths per year and burial capacity per county, with a prefecture total row last.

    Parameters
    ----------
    demand
        Villages with ``population`` (residents) and ``county_code`` / ``county_name``.
    facilities
        Facilities with ``type``, ``capacity`` (plots or places; NaN = unknown) and
        county columns (or codes from which the county is read).
    funeral
        The rate (deaths per 1,000 residents a year), the facility types that take
        burials and ashes, and the years below which a county is flagged short.
    statuses
        Facility statuses that count (None = every row).

    Returns
    -------
    DataFrame
        :data:`FUNERAL_COLUMNS`: ``deaths_per_year`` (persons), ``cemetery_plots`` and
        ``ash_places`` (capacity), ``cemetery_years`` / ``ash_years`` (capacity /
        deaths per year; NaN without deaths), ``facilities_without_capacity`` (their
        capacity is unknown, so the years are a lower bound), ``short`` (True when the
        plots and places together last fewer than ``min_years``).  The last row
        (``county_code`` "all") is the whole region.

    Raises
    ------
    MissingColumnError
        The demand has no ``population`` column (deaths cannot be estimated).
    """
    if "population" not in demand.columns:
        raise MissingColumnError(
            "demand table: no 'population' (常住人口) column: deaths per year are estimated from it; add the "
            "resident population to the villages file"
        )
    rate = funeral.death_rate_per_1000 / 1000.0
    dadm = admin_keys(demand)
    pop = pd.to_numeric(demand["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    per_county = pd.DataFrame({"county_code": dadm["county_code"].to_numpy(), "population": pop})
    out = per_county.groupby("county_code", dropna=False, sort=True).sum()
    names = dict(zip(dadm["county_code"], dadm["county_name"], strict=True))

    def capacity(types: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
        counted = counted_facilities(facilities, types, statuses=statuses)
        if not len(counted):
            empty = pd.Series(dtype=float)
            return empty, empty
        fadm = admin_keys(counted)
        cap = pd.to_numeric(counted["capacity"], errors="coerce") if "capacity" in counted.columns else (
            pd.Series(np.nan, index=counted.index))
        frame = pd.DataFrame({"county_code": fadm["county_code"].to_numpy(), "cap": cap.to_numpy(dtype=float)})
        frame["unknown"] = frame["cap"].isna().astype(int)
        g = frame.groupby("county_code", dropna=False)
        return g["cap"].sum(min_count=0), g["unknown"].sum()

    cem, cem_unknown = capacity(funeral.cemetery_types)
    ash, ash_unknown = capacity(funeral.ash_types)
    out = out.join(cem.rename("cemetery_plots"), how="outer").join(ash.rename("ash_places"), how="outer")
    unknown = pd.concat([cem_unknown, ash_unknown], axis=1).sum(axis=1)
    out["facilities_without_capacity"] = unknown.reindex(out.index).fillna(0).astype(int)
    out[["population", "cemetery_plots", "ash_places"]] = out[
        ["population", "cemetery_plots", "ash_places"]].fillna(0.0)
    total = out.sum(numeric_only=True).to_frame().T
    total.index = pd.Index(["all"], name="county_code")
    out = pd.concat([out, total])
    out["deaths_per_year"] = out["population"] * rate
    with np.errstate(divide="ignore", invalid="ignore"):
        d = out["deaths_per_year"].where(out["deaths_per_year"] > 0)
        out["cemetery_years"] = out["cemetery_plots"] / d
        out["ash_years"] = out["ash_places"] / d
        both = (out["cemetery_plots"] + out["ash_places"]) / d
    out["short"] = (both < funeral.min_years) & d.notna()
    out = out.reset_index().rename(columns={"index": "county_code"})
    out["county_name"] = [
        "全部" if c == "all" else (names.get(c) if isinstance(names.get(c), str) else c) for c in out["county_code"]
    ]
    n_short = int(out["short"].iloc[:-1].sum())
    if n_short:
        logger.info("funeral demand: %d counties have burial capacity for fewer than %g years", n_short,
                    funeral.min_years)
    if not math.isfinite(float(out["deaths_per_year"].iloc[-1])):  # pragma: no cover - sums of finite numbers
        raise ValueError("deaths per year is not finite")
    return out[list(FUNERAL_COLUMNS)]
