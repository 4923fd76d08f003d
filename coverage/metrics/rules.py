"""Per-unit rules and the one-old-one-young check of a coverage analysis.

:func:`unit_rule_results` judges the standards' :class:`~coverage.metrics.standards.UnitRule`
targets ("60% of townships have a township elderly service centre"): facilities
counted per administrative unit.  :func:`one_old_one_young` lists the villages
that lack both an elderly and a child service within their thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.metrics.accessibility import counted_facilities
from coverage.metrics.labels import verdict
from coverage.metrics.standards import VILLAGES, Standards
from coverage.metrics.units import admin_keys, place_facilities, units_at
from coverage.taxonomy import POPULATION_GROUPS

__all__ = ["one_old_one_young", "unit_rule_results"]


def _kind(group: str) -> str:
    """"village" for the pseudo-group of villages, else the group's kind ("elderly", "child", "all")."""
    return "village" if group == VILLAGES else POPULATION_GROUPS[group].kind


def unit_rule_results(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    adm: pd.DataFrame,
    standards: Standards,
    *,
    boundaries: gpd.GeoDataFrame | None,
    statuses: Collection[str] | None,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judge the standards' per-unit rules: one row per rule, and one per rule and unit.

    A unit passes when it has at least ``min_count`` counted facilities of the
    rule's types (statuses as given); a rule without a target share counts the
    units and is not judged (``passed`` None, status "no_target").  Facilities without a unit code are placed
    by :func:`~coverage.metrics.units.place_facilities` (noted in ``notes``).
    """
    rule_cols = [
        "rule",
        "rule_zh",
        "rule_en",
        "level",
        "min_count",
        "units_total",
        "units_passed",
        "units_failed",
        "share",
        "target_share",
        "passed",
        "status",
    ]
    unit_cols = ["rule", "level", "code", "name", "parent_name", "facility_count", "passed"]
    if not standards.unit_rules:
        return pd.DataFrame(columns=rule_cols), pd.DataFrame(columns=unit_cols)
    placed: dict[str, pd.Series] = {}
    fadm: pd.DataFrame | None = None
    units_by_level: dict[str, pd.DataFrame] = {}
    rows, unit_frames = [], []
    parent_of = {"village": "township_name", "township": "county_name", "county": None}
    for rule in standards.unit_rules:
        level = rule.level
        if level not in units_by_level:
            units_by_level[level] = units_at(adm, level, boundaries, parent_of[level])
        units = units_by_level[level]
        if rule.name_suffix:
            units = units.loc[units["name"].astype(str).str.endswith(rule.name_suffix)]
        if level not in placed:
            if fadm is None:
                fadm = admin_keys(facilities)
            placed[level] = (
                place_facilities(
                    facilities,
                    level,
                    demand=demand,
                    demand_admin=adm,
                    boundaries=boundaries,
                    notes=notes,
                    facilities_admin=fadm,
                )
                if len(facilities)
                else pd.Series(dtype=object)
            )
        counted = counted_facilities(facilities, rule.facility_types, statuses=statuses)
        keys = placed[level].reindex(counted.index)
        counts = keys.value_counts()
        u = units.copy()
        u["facility_count"] = counts.reindex(u["code"]).fillna(0).astype(int).to_numpy()
        u["passed"] = u["facility_count"] >= rule.min_count
        u["rule"], u["level"] = rule.key, level
        unit_frames.append(u[unit_cols])
        total, ok = len(u), int(u["passed"].sum())
        share = ok / total if total else math.nan
        target = rule.target_share
        # no units to judge: "no data", never "met"; no target: counted, not judged
        passed = None if total == 0 or target is None else bool(share >= target - 1e-9)
        rows.append(
            {
                "rule": rule.key,
                "rule_zh": rule.zh,
                "rule_en": rule.en,
                "level": level,
                "min_count": rule.min_count,
                "units_total": total,
                "units_passed": ok,
                "units_failed": total - ok,
                "share": share,
                "target_share": rule.target_share,
                "passed": passed,
                "status": verdict(passed, has_data=total > 0, has_target=target is not None),
            }
        )
        if total == 0:
            notes.append(f"rule '{rule.key}': no {level} units to judge")
    return pd.DataFrame(rows, columns=rule_cols), pd.concat(unit_frames, ignore_index=True)




def one_old_one_young(
    demand: pd.DataFrame,
    standards: Standards,
    covered_by: Mapping[str, npt.NDArray[np.bool_]],
    adm: pd.DataFrame,
    names: npt.NDArray[Any],
) -> pd.DataFrame:
    """Villages lacking both an elderly and a child service (services with a target count)."""
    n = len(demand)
    eld = np.zeros(n, dtype=bool)
    chi = np.zeros(n, dtype=bool)
    any_e = any_c = False
    for svc in standards.services:
        if svc.target_share is None:
            continue
        kinds = {_kind(g) for g in svc.groups}
        if "elderly" in kinds:
            eld |= covered_by[svc.key]
            any_e = True
        if "child" in kinds:
            chi |= covered_by[svc.key]
            any_c = True

    def col(c: str) -> npt.NDArray[np.float64]:
        return (
            pd.to_numeric(demand[c], errors="coerce").fillna(0).to_numpy(dtype=float)
            if c in demand.columns
            else np.zeros(n)
        )

    out = pd.DataFrame(
        {
            "id": demand["id"].to_numpy(),
            "name": names,
            "township_name": adm["township_name"].to_numpy(),
            "county_name": adm["county_name"].to_numpy(),
            "elderly_covered": eld if any_e else np.full(n, None),
            "child_covered": chi if any_c else np.full(n, None),
            "lacks_both": ~eld & ~chi if (any_e and any_c) else np.zeros(n, dtype=bool),
            "elderly_people": col("elderly_60plus"),
            "child_people": col("left_behind_children"),
        }
    )
    return out.sort_values(
        ["lacks_both", "elderly_people"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
