"""The answer of a siting model: :class:`SitingResult`, and how it is assembled from a solve.

Whatever the solver's variables say, the figures a planner is told are
recomputed from the chosen sites (and, with capacities, the allocation): who is
served by which site, how many people are within the threshold, the objective.
A solver's "optimal" that the chosen sites do not reproduce is downgraded to
"feasible" with a warning.

Statuses (:data:`STATUSES`): ``"optimal"`` only when proved (gap 0),
``"time_limit"`` when the limit stopped the search (best solution, bound and gap
are reported), ``"feasible"`` for a solution with no proof for another reason,
``"infeasible"``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.siting.milp import AllocationPairs, SolverRun
from coverage.siting.problem import SitingProblem

__all__ = ["MODELS", "STATUSES", "SitingResult", "build_result", "json_value"]

log = logging.getLogger(__name__)

#: The siting models :func:`coverage.siting.solve` knows.
MODELS: tuple[str, ...] = ("lscp", "target", "mclp", "pmedian")

#: The statuses of a :class:`SitingResult`.
STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "time_limit")


def json_value(v: Any) -> Any:
    """A value fit for JSON: numpy scalars as Python ones, NaN and inf as None."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v



@dataclass
class SitingResult:
    """A solved siting model: what was chosen, how good it is, and how sure.

    Attributes
    ----------
    model : str
        "lscp", "target", "mclp" or "pmedian".
    status : str
        "optimal" (proved), "time_limit" (stopped by the limit; see ``gap``),
        "feasible" (a solution without proof) or "infeasible".
    objective : float or None
        Sites or cost (lscp, target), covered weight (mclp, existing coverage
        included) or total weighted travel cost (pmedian), always recomputed from
        the chosen sites (and, with capacities, the allocation).
    bound : float or None
        Best proved bound on the objective (the dual bound).
    gap : float or None
        ``|objective - bound| / |objective|``; 0 when optimal.
    selected : list
        Ids of the chosen candidate sites (forced ones included).
    fixed : list
        Ids of the existing sites, open in every solution.
    threshold : float or None
        Coverage threshold, in the OD table's cost unit.
    covered_weight, total_weight : float
        Weight within the threshold of an open site, and in all.
    by_group : DataFrame
        Per group: ``group, total, covered, covered_share`` (covering models)
        and ``mean_cost`` (people-weighted travel cost to the site serving them;
        NaN when some of the group are served by no site).
    assignment : DataFrame
        Who is served by which site: ``from_id, to_id`` (None: served by no site),
        ``cost`` (NaN then), ``covered`` (within the threshold), ``weight`` (the
        people of the row) and ``share`` (of the demand point's people).  Without
        capacities, one row per demand point, served whole by its nearest open
        site.  With capacities, the model's allocation: a demand point may be
        split between sites, and the people no site has room for are a row of
        their own with ``to_id`` None, so the covered weight, ``mean_cost`` and
        :meth:`to_frame` never show a site serving more than its capacity.
    time_s, build_time_s, solve_time_s : float
        Wall-clock seconds: in all, building the model, in the solver.
    method : str
        "milp", "milp+heuristic" (the heuristic's solution was better at the
        limit), "heuristic" (greedy + swap, bounded by the LP) or
        "heuristic+lagrangian" (p-median: the heuristic's solution met the
        Lagrangian bound, so it is proved optimal without branching).
    stats : dict
        Model sizes before and after reduction.
    message : str
        One sentence for the planner (what was proved, what was not).
    """

    model: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    selected: list[Any]
    fixed: list[Any]
    threshold: float | None
    covered_weight: float
    total_weight: float
    by_group: pd.DataFrame
    assignment: pd.DataFrame
    time_s: float
    build_time_s: float
    solve_time_s: float
    method: str
    cost_unit: str = "min"
    p: int | None = None
    budget: float | None = None
    target_share: float | Mapping[str, float] | None = None
    total_cost: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @property
    def covered_share(self) -> float:
        """Covered weight over total weight (NaN when there is no weight)."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else float("nan")

    @property
    def mean_cost(self) -> float:
        """People-weighted mean travel cost to the serving site (NaN when some people are served by none)."""
        a = self.assignment
        w = a["weight"].to_numpy(float)
        c = a["cost"].to_numpy(float)
        if w.sum() <= 0 or np.isnan(c[w > 0]).any():
            return float("nan")
        return float((w * np.nan_to_num(c)).sum() / w.sum())

    @property
    def is_optimal(self) -> bool:
        """True only when the solver proved optimality."""
        return self.status == "optimal"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (no tables): the command line's ``--json``."""
        out = {
            "model": self.model, "status": self.status,
            "objective": json_value(self.objective), "bound": json_value(self.bound),
            "gap": json_value(self.gap),
            "selected": [json_value(s) for s in self.selected], "fixed": [json_value(s) for s in self.fixed],
            "n_selected": len(self.selected),
            "threshold": json_value(self.threshold), "cost_unit": self.cost_unit,
            "covered_weight": json_value(self.covered_weight), "total_weight": json_value(self.total_weight),
            "covered_share": json_value(self.covered_share), "mean_cost": json_value(self.mean_cost),
            "total_cost": json_value(self.total_cost),
            "p": self.p, "budget": json_value(self.budget),
            "target_share": self.target_share if not isinstance(self.target_share, Mapping)
            else dict(self.target_share),
            "time_s": round(self.time_s, 4), "build_time_s": round(self.build_time_s, 4),
            "solve_time_s": round(self.solve_time_s, 4), "method": self.method,
            "by_group": [{k: json_value(v) for k, v in r.items()} for r in self.by_group.to_dict("records")],
            "stats": {k: json_value(v) for k, v in self.stats.items()}, "message": self.message,
        }
        if self.model == "pmedian" and self.threshold is None:   # no threshold: coverage is not defined
            out["covered_weight"] = None
            out["covered_share"] = None
        return out

    def to_frame(self) -> pd.DataFrame:
        """The chosen sites: ``id, role`` ("new"/"existing"), points and people served (assignment), mean/max cost."""
        a = self.assignment
        rows = []
        for sid, role in [(s, "new") for s in self.selected] + [(s, "existing") for s in self.fixed]:
            mine = a[a["to_id"] == sid] if len(a) else a
            rows.append({
                "id": sid, "role": role, "n_served": int(mine["from_id"].nunique()) if len(mine) else 0,
                "weight_served": float(mine["weight"].sum()) if len(mine) else 0.0,
                "mean_cost": float(np.average(mine["cost"], weights=mine["weight"]))
                if len(mine) and mine["weight"].sum() > 0 else float("nan"),
                "max_cost": float(mine["cost"].max()) if len(mine) else float("nan"),
            })
        return pd.DataFrame(rows, columns=["id", "role", "n_served", "weight_served", "mean_cost", "max_cost"])


def _nearest_assignment(problem: SitingProblem, open_mask: npt.NDArray[np.bool_], threshold: float | None
                        ) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Each demand point served whole by its nearest open site: the assignment, cost and covered mask."""
    keep = open_mask[problem.pair_site]
    pi, pj, pc = problem.pair_demand[keep], problem.pair_site[keep], problem.pair_cost[keep]
    first = np.ones(len(pi), bool)
    first[1:] = pi[1:] != pi[:-1]  # pairs sorted by demand then cost: first = nearest
    near_site = np.full(problem.n_demand, -1, dtype=np.int64)
    near_cost = np.full(problem.n_demand, np.nan)
    near_site[pi[first]] = pj[first]
    near_cost[pi[first]] = pc[first]
    covered = ~np.isnan(near_cost) & (near_cost <= (threshold if threshold is not None else np.inf))
    if threshold is None:
        covered[:] = False
    to_id = np.empty(problem.n_demand, dtype=object)
    to_id[:] = None
    ok = near_site >= 0
    to_id[ok] = problem.site_ids[near_site[ok]]
    assignment = pd.DataFrame({"from_id": problem.demand_ids, "to_id": to_id, "cost": near_cost,
                               "covered": covered, "weight": problem.weight, "share": np.ones(problem.n_demand)})
    return assignment, near_cost, covered


def _allocated_assignment(problem: SitingProblem, pairs: AllocationPairs, share: npt.NDArray[np.float64],
                          threshold: float | None) -> tuple[pd.DataFrame, npt.NDArray[np.int64],
                                                            npt.NDArray[np.float64]]:
    """The capacity-aware model's allocation: one row per (demand, site) share served, plus unserved remainders.

    Returns the assignment and, per row, the demand position and the share of
    that demand point's people it holds (to split the groups).
    """
    use = share > 1e-9
    pi, pj, pc, sh = pairs.demand[use], pairs.site[use], pairs.cost[use], share[use]
    served = np.zeros(problem.n_demand)
    np.add.at(served, pi, sh)
    rest = np.clip(1.0 - served, 0.0, 1.0)
    rest[rest < 1e-6] = 0.0  # the solver's feasibility tolerance, not people left unserved
    ri = np.flatnonzero((rest > 0) | (served <= 0))
    rsh = np.where(served[ri] <= 0, 1.0, rest[ri])
    thr = np.inf if threshold is None else float(threshold)
    to_id = np.empty(len(pi) + len(ri), dtype=object)
    to_id[:] = None
    to_id[:len(pi)] = problem.site_ids[pj]
    dem = np.concatenate([pi, ri]).astype(np.int64)
    shares = np.concatenate([sh, rsh])
    cost = np.concatenate([pc, np.full(len(ri), np.nan)])
    covered = np.concatenate([pc <= thr if threshold is not None else np.zeros(len(pi), bool), np.zeros(len(ri), bool)])
    order = np.lexsort((np.isnan(cost), dem))
    assignment = pd.DataFrame({"from_id": problem.demand_ids[dem], "to_id": to_id, "cost": cost, "covered": covered,
                               "weight": problem.weight[dem] * shares, "share": shares}).iloc[order]
    return assignment.reset_index(drop=True), dem[order], shares[order]


def _objective_of(problem: SitingProblem, model: str, selected: list[int], assignment: pd.DataFrame,
                  use_cost: bool) -> float:
    """The objective of a solution, recomputed from its sites (and allocation): what the planner is told."""
    if model in ("lscp", "target"):
        return float(problem.cost[selected].sum()) if use_cost else float(len(selected))
    w = assignment["weight"].to_numpy(float)
    if model == "mclp":
        return float(w[assignment["covered"].to_numpy(bool)].sum())
    c = assignment["cost"].to_numpy(float)
    pos = w > 0
    if np.isnan(c[pos]).any():
        return float("inf")
    return float((w[pos] * c[pos]).sum())


def _nothing_to_cover(problem: SitingProblem, model: str, threshold: float | None,
                      shares: Mapping[str, float] | None, capacitated: bool) -> str:
    """A sentence when no new site is needed or none could add coverage (covering models), else ""."""
    if model == "pmedian" or threshold is None:
        return ""
    d_fixed = problem.nearest_cost(problem.fixed)
    by_fixed = ~np.isnan(d_fixed) & (d_fixed <= threshold)
    if capacitated and np.isfinite(problem.capacity[problem.fixed]).any():
        return ""  # capacities of the existing sites may leave people unserved: no shortcut
    gv = problem.groups
    if model == "target" and shares:
        met = all(gv[g].to_numpy(float)[by_fixed].sum() >= s * gv[g].to_numpy(float).sum() - 1e-9
                  for g, s in shares.items())
        if met:
            return ("the target is already met by the existing sites (目标已达到): no new site is needed")
        return ""
    people = problem.weight > 0
    if people.any() and not (people & ~by_fixed).any():
        return ("nothing to cover (无需新增): the existing sites already cover everyone within "
                f"{threshold:g} {problem.cost_unit}; no new site is needed")
    d_all = problem.nearest_cost(np.ones(problem.n_sites, bool))
    by_any = ~np.isnan(d_all) & (d_all <= threshold)
    if not (people & by_any & ~by_fixed).any():
        return (f"nothing left to cover: no candidate site reaches anyone within {threshold:g} {problem.cost_unit}"
                " whom the existing sites do not already cover; a new site would add nothing")
    return ""


def build_result(problem: SitingProblem, model: str, run: SolverRun, selected: list[int], *, threshold: float | None,
                 p: int | None, budget: float | None, target_share: float | Mapping[str, float] | None,
                 build_time: float, solve_time: float, t_start: float, method: str, stats: dict[str, Any],
                 maximize: bool, use_cost: bool,
                 allocation: tuple[AllocationPairs, npt.NDArray[np.float64]] | None = None,
                 shares: Mapping[str, float] | None = None) -> SitingResult:
    """Assemble the :class:`SitingResult` of a solve from the chosen sites.

    Parameters
    ----------
    problem
        The siting problem.
    model
        The model solved.
    run
        The solver's run; its objective and status are corrected when the
        chosen sites do not reproduce them.
    selected
        Site indices (of ``problem.site_ids``) of the chosen candidates.
    threshold, p, budget, target_share
        The model's arguments, as given.
    build_time, solve_time, t_start
        Seconds building the model, in the solver, and the ``perf_counter`` at the start.
    method
        How the solution was found (see :attr:`SitingResult.method`).
    stats
        Model sizes.
    maximize
        Whether the model maximises (mclp).
    use_cost
        The objective is the sites' cost rather than their number.
    allocation
        Capacity-aware models: the pairs and the share of each served.
    shares
        The target share of each group ("target").

    Returns
    -------
    SitingResult
    """
    open_mask = problem.fixed.copy()
    open_mask[selected] = True
    gv = problem.groups
    if allocation is None:
        assignment, _, _ = _nearest_assignment(problem, open_mask, threshold)
        dem = np.arange(problem.n_demand)
        row_share = np.ones(problem.n_demand)
    else:
        assignment, dem, row_share = _allocated_assignment(problem, *allocation, threshold)
    cost_rows = assignment["cost"].to_numpy(float)
    cov_rows = assignment["covered"].to_numpy(bool)
    rows = []
    for g in gv.columns:
        v = gv[g].to_numpy(float)[dem] * row_share   # people of the group on each assignment row
        tot = float(gv[g].to_numpy(float).sum())
        reach = ~np.isnan(cost_rows) & (v > 0)
        everyone = not (np.isnan(cost_rows) & (v > 1e-9)).any()
        rows.append({"group": g, "total": tot, "covered": float(v[cov_rows].sum()),
                     "covered_share": float(v[cov_rows].sum() / tot) if tot > 0 else float("nan"),
                     "mean_cost": float(np.average(cost_rows[reach], weights=v[reach]))
                     if reach.any() and everyone else float("nan")})
    by_group = pd.DataFrame(rows, columns=["group", "total", "covered", "covered_share", "mean_cost"])
    sel_ids = [problem.site_ids[j] for j in selected]
    fixed_ids = [problem.site_ids[j] for j in np.flatnonzero(problem.fixed)]
    total_w = float(problem.weight.sum())
    cov_w = float(assignment["weight"].to_numpy(float)[cov_rows].sum())
    total_cost = float(problem.cost[selected].sum())
    # the objective reported is the one the chosen sites (and allocation) achieve, never the solver's own
    # variables, which need not be tight when the search stopped early
    objective = _objective_of(problem, model, selected, assignment, use_cost)
    if run.objective is not None and abs(objective - run.objective) > 1e-6 * max(1.0, abs(objective)):
        log.info("%s: objective recomputed from the chosen sites %.10g (solver: %.10g)", model, objective,
                 run.objective)
        if run.status == "optimal" and run.bound is not None and \
                abs(objective - run.bound) > 1e-6 * max(1.0, abs(objective)):
            log.warning("%s: the solver's optimal objective %.10g differs from the sites' %.10g; not claiming"
                        " optimality", model, run.objective, objective)
            run.status = "feasible"
    run.objective = objective
    gap = None
    if run.objective is not None and run.bound is not None:
        gap = abs(run.objective - run.bound) / max(abs(run.objective), 1e-12)
        if gap < 1e-12 or run.status == "optimal":
            gap = 0.0 if run.status == "optimal" else gap
    unit = problem.cost_unit
    msg = {
        "optimal": "proved optimal",
        "time_limit": f"stopped at the time limit; the best solution found is within {gap:.2%} of the bound"
        if gap is not None else "stopped at the time limit without a bound",
        "feasible": f"a good solution, not proved optimal (gap {gap:.2%})" if gap is not None
        else "a good solution, not proved optimal (no bound)",
    }[run.status]
    if model in ("lscp", "target", "mclp"):
        msg += (f"; {len(sel_ids)} new sites cover {cov_w:,.0f} of {total_w:,.0f}"
                f" ({cov_w / total_w if total_w else float('nan'):.1%}) within {threshold:g} {unit}")
    if problem.unreachable_ids:
        msg += f"; {len(problem.unreachable_ids)} demand points are absent from the OD table and count as uncovered"
    if model == "lscp":
        unc = int(((problem.weight[dem] > 0) & ~cov_rows).sum())
        if unc:
            msg += f"; {unc} demand points cannot be reached within {threshold:g} {unit} by any site"
    nothing = _nothing_to_cover(problem, model, threshold, shares, allocation is not None)
    if nothing:
        msg += "; " + nothing
    elif model == "mclp" and p is not None and len(sel_ids) < p:
        msg += f"; {len(sel_ids)} sites already cover everything reachable, more would add nothing"
    log.info("%s: %s, objective %s, bound %s, %d sites, %.2f s", model, run.status, run.objective, run.bound,
             len(sel_ids), time.perf_counter() - t_start)
    return SitingResult(
        model=model, status=run.status, objective=run.objective, bound=run.bound, gap=gap, selected=sel_ids,
        fixed=fixed_ids, threshold=threshold, covered_weight=cov_w, total_weight=total_w, by_group=by_group,
        assignment=assignment, time_s=time.perf_counter() - t_start, build_time_s=build_time,
        solve_time_s=solve_time, method=method, cost_unit=unit, p=p, budget=budget, target_share=target_share,
        total_cost=total_cost, stats=stats, message=msg,
    )
