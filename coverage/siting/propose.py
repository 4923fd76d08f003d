"""Siting proposals on the canonical tables: build, solve, explain in one call.

:func:`propose_sites` takes the demand table and the candidate-site table of
:mod:`coverage.model`, and the long OD tables of the travel-time engine
(``from_id, to_id, travel_time_min``; pairs beyond the cutoff absent): one
from demand to the existing facilities that count for the service, one from
demand to the candidate sites.  It does not depend on how those were made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverage.errors import InputError, MissingColumnError
from coverage.progress import Progress
from coverage.siting.explain import explain_sites
from coverage.siting.models.covering import UnitCoverageRule
from coverage.siting.problem import SitingProblem, _preview, build_problem
from coverage.siting.result import SitingResult, json_value
from coverage.siting.solve import solve
from coverage.taxonomy import POPULATION_GROUPS, can_host

__all__ = ["Proposal", "propose_sites"]

log = logging.getLogger(__name__)

_OD_COLUMNS = ("from_id", "to_id", "travel_time_min")


@dataclass
class Proposal:
    """A siting proposal: the solved model, the sites with their reasons, the problem.

    Attributes
    ----------
    result : SitingResult
        Status, objective, bound, gap, coverage by group, assignment, times.
    explanation : DataFrame
        One row per proposed site in order of marginal gain (see :func:`explain_sites`).
    sites : DataFrame
        The proposed candidate rows (with geometry when the candidates had it),
        ``rank`` first, then the explanation columns.
    problem : SitingProblem
        The problem solved (reuse it to try other models or thresholds).
    """

    result: SitingResult
    explanation: pd.DataFrame
    sites: pd.DataFrame
    problem: SitingProblem

    @property
    def status(self) -> str:
        """The result's status ("optimal", "time_limit", "feasible")."""
        return self.result.status

    def to_frame(self) -> pd.DataFrame:
        """The proposed sites without geometry (``lon``/``lat`` columns instead), for tables and workbooks."""
        df = pd.DataFrame(self.sites).copy()
        if "geometry" in df.columns:
            geom = df["geometry"]
            df["lon"] = [g.x if g is not None and not g.is_empty else np.nan for g in geom]
            df["lat"] = [g.y if g is not None and not g.is_empty else np.nan for g in geom]
            df = df.drop(columns="geometry")
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the result summary plus the proposed sites with their reasons."""
        df = self.to_frame()
        recs = []
        for rec in df.to_dict("records"):
            out: dict[str, Any] = {}
            for k, v in rec.items():
                if isinstance(v, list):
                    out[k] = [{kk: json_value(vv) for kk, vv in x.items()} if isinstance(x, dict) else json_value(x)
                              for x in v]
                else:
                    out[k] = None if (isinstance(v, float) and np.isnan(v)) else json_value(v)
            recs.append(out)
        return {**self.result.to_dict(), "sites": recs}


def _check_od(od: pd.DataFrame | None, what: str) -> pd.DataFrame:
    if od is None:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "travel_time_min" else object) for c in _OD_COLUMNS})
    missing = [c for c in _OD_COLUMNS if c not in od.columns]
    if missing:
        raise MissingColumnError(f"{what}: column(s) {', '.join(missing)} missing; an OD table from the travel-time"
                                 " engine has from_id, to_id, travel_time_min")
    return pd.DataFrame(od[list(_OD_COLUMNS)])


def propose_sites(
    demand: pd.DataFrame,
    od_existing: pd.DataFrame | None,
    od_candidates: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    groups: str | Sequence[str] = ("elderly_60plus",),
    group_weights: Mapping[str, float] | None = None,
    threshold_min: float = 15.0,
    model: str = "target",
    p: int | None = None,
    target_share: float | Mapping[str, float] | None = None,
    budget: float | None = None,
    objective: str = "count",
    forced_in: Iterable[object] = (),
    forced_out: Iterable[object] = (),
    facility_type: str | None = None,
    unit_rules: Mapping[str, float] | Sequence[UnitCoverageRule] | None = None,
    capacitated: bool = False,
    existing_capacity: Mapping[object, float] | pd.Series | None = None,
    time_limit_s: float = 60.0,
    method: str = "auto",
    n_alternatives: int = 3,
    progress: Progress | None = None,
) -> Proposal:
    """Propose new sites on the canonical tables, solved exactly where possible, and explain each.

    Parameters
    ----------
    demand
        Demand points (:data:`coverage.model.DEMAND_COLUMNS`): ``id`` and the
        population columns named in ``groups``.
    od_existing
        Long OD table from demand to the existing facilities that count
        (``from_id, to_id, travel_time_min``); None or empty when there are none.
        These stay open, free, and are not counted in ``p``.
    od_candidates
        Long OD table from demand to the candidate sites.
    candidates
        Candidate sites (:data:`coverage.model.CANDIDATE_COLUMNS`): ``id`` and
        optionally ``kind, can_host, cost_10k_yuan, capacity``.
    groups
        Population group(s) to serve, keys of :data:`coverage.taxonomy.POPULATION_GROUPS`.
    group_weights
        Weight of each group in the objective (default 1 each); for 老幼共托 give
        both groups, for example ``{"elderly_60plus": 1, "left_behind_children": 1}``.
    threshold_min
        Travel-time threshold, minutes (inclusive).
    model
        "target" (fewest sites for ``target_share``), "lscp" (reach every
        reachable point), "mclp" (most people with ``p`` sites / ``budget``) or
        "pmedian" (least mean travel time with ``p`` sites).
    p, target_share, budget, objective, capacitated, time_limit_s, method, progress
        As for :func:`coverage.siting.solve`; ``budget`` and ``objective="cost"``
        use ``cost_10k_yuan`` (万元).  Capacities are the candidates' ``capacity``
        (and ``existing_capacity`` for existing facilities) in people of the
        weighted groups.
    forced_in, forced_out
        Candidate ids the planner forces into / out of the proposal.
    facility_type
        Only candidates whose ``can_host`` lists this facility type (or is empty).
    unit_rules
        For "target": ``{"village_code": 1.0, "township_code": 0.6}`` = every
        village and 60% of townships have all their people of the groups within
        the threshold; or a list of :class:`UnitCoverageRule`.
    existing_capacity
        Capacity of existing facilities by id (capacity-aware models).
    n_alternatives
        Next-best alternatives listed per site.

    Returns
    -------
    Proposal

    Raises
    ------
    MissingColumnError
        A group column or an OD/candidate column is missing.
    InputError
        Ids shared by an existing facility and a candidate, unknown forced ids,
        missing costs with a budget, bad parameters.
    InfeasibleError
        The target cannot be met; the message gives the best achievable share.

    Example
    -------
    >>> prop = propose_sites(villages, od_fac, od_cand, cands, groups="elderly_60plus",
    ...                      threshold_min=15, model="target", target_share=0.95)  # doctest: +SKIP
    >>> prop.explanation[["rank", "site_id", "new_elderly_60plus"]]  # doctest: +SKIP
    """
    group_list = [groups] if isinstance(groups, str) else list(groups)
    if not group_list:
        raise InputError("give at least one population group (for example groups='elderly_60plus')")
    for g in group_list:
        if g not in demand.columns:
            label = POPULATION_GROUPS[g].zh if g in POPULATION_GROUPS else g
            raise MissingColumnError(f"demand table: column '{g}' ({label}) is missing; the demand needs the people"
                                     " of every group to serve")
    if "id" not in candidates.columns:
        raise MissingColumnError("candidate table: column 'id' is missing")
    od_e = _check_od(od_existing, "OD table to existing facilities")
    od_c = _check_od(od_candidates, "OD table to candidate sites")
    cands = pd.DataFrame(candidates)
    if facility_type is not None and "can_host" in cands.columns:
        ok = cands["can_host"].map(lambda v: can_host(v, facility_type))
        dropped = cands.loc[~ok.to_numpy(), "id"].tolist()
        bad_forced = set(forced_in) & set(dropped)
        if bad_forced:
            raise InputError(f"forced-in candidates {_preview(bad_forced)} cannot host '{facility_type}'"
                             " (their can_host column says so)")
        cands = cands[ok.to_numpy()]
    cand_ids = list(dict.fromkeys(cands["id"].tolist()))
    existing_ids = list(dict.fromkeys(od_e["to_id"].tolist()))
    clash = set(cand_ids) & set(existing_ids)
    if clash:
        raise InputError(f"ids used by both an existing facility and a candidate site: {_preview(clash)};"
                         " give candidates their own ids")
    known = set(cand_ids)
    od_c = od_c[od_c["to_id"].isin(known)]
    reached = set(od_c["to_id"])
    no_od = [c for c in cand_ids if c not in reached]
    if no_od:
        log.info("%d candidates reach no demand point within the OD cutoff: %s", len(no_od), _preview(no_od))
    od = pd.concat([od_c, od_e], ignore_index=True)
    site_cost = None
    if "cost_10k_yuan" in cands.columns:
        site_cost = pd.Series(pd.to_numeric(cands["cost_10k_yuan"], errors="coerce").to_numpy(),
                              index=cands["id"].to_numpy())
    if budget is not None or objective == "cost":
        costs = site_cost if site_cost is not None else pd.Series(np.nan, index=cands["id"].to_numpy())
        missing_cost = costs[costs.isna()].index.tolist()
        if missing_cost:
            raise InputError("a budget or least-cost objective needs cost_10k_yuan (估算投资(万元)) for every"
                             f" candidate; missing for {_preview(missing_cost)}")
    site_capacity: dict[object, float] = {}
    if capacitated:
        if "capacity" in cands.columns:
            site_capacity.update(zip(cands["id"], pd.to_numeric(cands["capacity"], errors="coerce"), strict=True))
        if existing_capacity is not None:
            site_capacity.update(dict(existing_capacity.items()))
    rules: list[UnitCoverageRule] = []
    if unit_rules:
        if isinstance(unit_rules, Mapping):
            for col, share in unit_rules.items():
                if col not in demand.columns:
                    raise MissingColumnError(f"demand table: unit column '{col}' for the unit rule is missing")
                units = pd.Series(demand[col].to_numpy(), index=demand["id"].to_numpy())
                rules.append(UnitCoverageRule(name=col, units=units, min_share=float(share)))
        else:
            rules = list(unit_rules)
    problem = build_problem(
        od, pd.DataFrame(demand), weight_columns=group_list, group_weights=group_weights, candidates=cand_ids,
        fixed=existing_ids, forced_in=forced_in, forced_out=forced_out, site_cost=site_cost,
        site_capacity=site_capacity or None, cost_unit="min", source="OD tables",
    )
    result = solve(problem, model=model, threshold=threshold_min, p=p, target_share=target_share, budget=budget,
                   objective=objective, unit_rules=rules, capacitated=capacitated, time_limit_s=time_limit_s,
                   method=method, progress=progress)
    explanation = explain_sites(problem, result, threshold=threshold_min, n_alternatives=n_alternatives,
                                unit_rules=rules)
    sites = cands.set_index("id", drop=False).loc[explanation["site_id"].tolist()].reset_index(drop=True)
    expl = explanation.drop(columns=["site_id"]).reset_index(drop=True)
    sites = pd.concat([expl[["rank"]], sites, expl.drop(columns=["rank"])], axis=1)
    if hasattr(candidates, "crs") and "geometry" in sites.columns:
        import geopandas as gpd

        sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=candidates.crs)
    return Proposal(result=result, explanation=explanation, sites=sites, problem=problem)
