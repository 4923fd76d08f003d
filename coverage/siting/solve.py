"""Exact siting models solved with HiGHS, warm-started and bounded by heuristics.

Models (``model=``):

``"lscp"``
    Location set covering: fewest new sites (or least cost) so that every
    demand point that *can* be reached within the threshold is.
``"target"``
    Partial set covering: fewest new sites (or least cost) so that a target
    share of each group's people is within the threshold; optional per-unit
    rules (every village, 60% of townships, ...).
``"mclp"``
    Maximal covering: most weight within the threshold with ``p`` new sites
    and/or within a budget.
``"pmedian"``
    Least total (and mean) weighted travel cost with ``p`` new sites, using
    the radius formulation (Elloumi 2010; García, Labbé & Marín 2011) written
    with chained covering variables so its size stays O(reachable pairs).

Capacity-aware variants (``capacitated=True``) add allocation variables: each
site serves at most its capacity (in the unit of the weights), and a demand
point may be split between sites.

Existing facilities (``problem.fixed``) are open in every solution, free and
not counted in ``p``.  Statuses: ``"optimal"`` only when HiGHS proved it (gap
0 within 1e-6 absolute), ``"time_limit"`` when the limit stopped the search
(best solution and the best known bound are reported), ``"feasible"`` for a
solution with no proof for another reason (heuristic only), ``"infeasible"``.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from coverage.errors import InfeasibleError, InputError, SolverError
from coverage.siting import heuristics as heur
from coverage.siting.problem import SitingProblem, _preview, reduce_cover

__all__ = ["MODELS", "STATUSES", "SitingResult", "solve", "ProgressCallback"]

log = logging.getLogger(__name__)

MODELS: tuple[str, ...] = ("lscp", "target", "mclp", "pmedian")
STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "time_limit")

#: ``progress(fraction, message)``: fraction in 0..1 of the time limit or work done.
ProgressCallback = Callable[[float, str], None]

_INF = math.inf


def _json_value(v: Any) -> Any:
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
    target_share: Any = None
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
            "objective": _json_value(self.objective), "bound": _json_value(self.bound),
            "gap": _json_value(self.gap),
            "selected": [_json_value(s) for s in self.selected], "fixed": [_json_value(s) for s in self.fixed],
            "n_selected": len(self.selected),
            "threshold": _json_value(self.threshold), "cost_unit": self.cost_unit,
            "covered_weight": _json_value(self.covered_weight), "total_weight": _json_value(self.total_weight),
            "covered_share": _json_value(self.covered_share), "mean_cost": _json_value(self.mean_cost),
            "total_cost": _json_value(self.total_cost),
            "p": self.p, "budget": _json_value(self.budget),
            "target_share": self.target_share if not isinstance(self.target_share, Mapping)
            else dict(self.target_share),
            "time_s": round(self.time_s, 4), "build_time_s": round(self.build_time_s, 4),
            "solve_time_s": round(self.solve_time_s, 4), "method": self.method,
            "by_group": [{k: _json_value(v) for k, v in r.items()} for r in self.by_group.to_dict("records")],
            "stats": {k: _json_value(v) for k, v in self.stats.items()}, "message": self.message,
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


# --------------------------------------------------------------------------- HiGHS

@dataclass
class _Milp:
    cost: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    integer: npt.NDArray[np.bool_]
    A: sp.csc_matrix
    row_lower: npt.NDArray[np.float64]
    row_upper: npt.NDArray[np.float64]
    maximize: bool = False
    offset: float = 0.0

    @property
    def nnz(self) -> int:
        return int(self.A.nnz)


@dataclass
class _Run:
    status: str
    x: npt.NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    time_s: float
    nodes: int = 0


_BANNER_DONE = False


def _new_highs() -> Any:
    """A silent Highs instance; the one-time banner goes to stderr, not stdout (keeps ``--json`` clean)."""
    global _BANNER_DONE
    import highspy

    if _BANNER_DONE:
        return highspy.Highs()
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (some GUIs)
        _BANNER_DONE = True
        return highspy.Highs()
    try:
        os.dup2(2, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
    return h


def _run_highs(milp: _Milp, *, time_limit_s: float, mip_rel_gap: float = 0.0,
               start: npt.NDArray[np.float64] | None = None, progress: ProgressCallback | None = None,
               relax: bool = False, threads: int | None = None, label: str = "",
               options: Mapping[str, Any] | None = None) -> _Run:
    import highspy

    if len(milp.cost) == 0:
        # nothing to decide (HiGHS calls such a model "Empty"): feasible iff 0 lies within every row's bounds
        ok = bool(np.all(milp.row_lower <= 1e-9) and np.all(milp.row_upper >= -1e-9))
        return _Run(status="optimal" if ok else "infeasible", x=np.zeros(0) if ok else None,
                    objective=float(milp.offset) if ok else None, bound=float(milp.offset) if ok else None,
                    time_s=0.0)
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", int(threads))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    n_col, n_row = len(milp.cost), milp.A.shape[0]
    A = milp.A.tocsc()
    A.sort_indices()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = milp.cost.astype(np.float64)
    lp.col_lower_ = milp.lower.astype(np.float64)
    lp.col_upper_ = milp.upper.astype(np.float64)
    lp.row_lower_ = milp.row_lower.astype(np.float64)
    lp.row_upper_ = milp.row_upper.astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if milp.maximize else highspy.ObjSense.kMinimize
    lp.offset_ = float(milp.offset)
    if not relax and milp.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in milp.integer]
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the {label} model ({n_col} variables, {n_row} rows)")
    if start is not None and not relax:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        h.setSolution(sol)
    t0 = time.perf_counter()
    if progress is not None and not relax:
        last = [0.0]

        def on_event(e: Any) -> None:
            now = time.perf_counter() - t0
            if now - last[0] < 0.5:
                return
            last[0] = now
            out = e.data_out
            try:
                msg = (f"{label}: best {out.mip_primal_bound:.6g}, bound {out.mip_dual_bound:.6g}, "
                       f"gap {out.mip_gap:.2%}, {now:.1f} s")
            except Exception:  # noqa: BLE001 - a progress message must never break a solve
                msg = f"{label}: {now:.1f} s"
            progress(min(0.05 + 0.9 * now / max(time_limit_s, 1e-9), 0.95), msg)

        h.cbMipInterrupt.subscribe(on_event)
    h.run()
    elapsed = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    M = highspy.HighsModelStatus
    has_x = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if has_x else None
    if relax:
        bound = obj if ms == M.kOptimal else None
    else:
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if ms == M.kOptimal:
        st = "optimal"
        if not relax and obj is not None and bound is not None and abs(obj - bound) > max(1e-6, 1e-9 * abs(obj)):
            st = "feasible"  # stopped at a user-given gap: not proved
    elif ms == M.kInfeasible:
        st = "infeasible"
    elif ms == M.kTimeLimit:
        st = "time_limit"
    elif ms in (M.kInterrupt, M.kHighsInterrupt, M.kIterationLimit, M.kSolutionLimit, M.kObjectiveBound,
                M.kObjectiveTarget, M.kMemoryLimit) and has_x:
        st = "feasible"
    elif ms == M.kUnboundedOrInfeasible:
        st = "infeasible"
    else:
        raise SolverError(f"HiGHS stopped with status '{h.modelStatusToString(ms)}' on the {label} model "
                          f"({n_col} variables, {n_row} rows) after {elapsed:.1f} s")
    nodes = int(getattr(info, "mip_node_count", 0) or 0)
    return _Run(status=st, x=x, objective=obj, bound=bound, time_s=elapsed, nodes=max(nodes, 0))


@dataclass(frozen=True)
class _Pairs:
    """The (demand, site) pairs of a capacity-aware model: column ``offset + k`` is pair k's share x."""

    demand: npt.NDArray[np.int64]
    site: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    offset: int

    def shares(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Share of each pair's demand weight served, from a solution vector (clipped to 0..1)."""
        return np.clip(np.asarray(x, float)[self.offset:self.offset + len(self.demand)], 0.0, 1.0)


def _stack(blocks: list[sp.spmatrix]) -> sp.csc_matrix:
    return sp.vstack(blocks, format="csc")


# --------------------------------------------------------------------------- checks

def _is_real(value: object) -> bool:
    """A plain real number (not a bool, not text)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _check_p(problem: SitingProblem, p: int | None, *, required: bool, model: str) -> None:
    n_cand = problem.n_candidates
    if p is None:
        if required:
            raise InputError(f"model '{model}' needs p, the number of new sites (for example p=5)")
        return
    if (isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating))
            or not np.isfinite(p) or int(p) != p or p < 1):
        raise InputError(f"p must be a whole number >= 1, got {p!r}")
    if p > n_cand:
        raise InputError(f"p={p} is larger than the {n_cand} candidate sites; lower p or add candidates"
                         " (forced-out candidates do not count)")
    n_forced = int(problem.forced_in.sum())
    if n_forced > p:
        raise InputError(f"{n_forced} candidates are forced in but p={p}; raise p or force fewer")


def _shares(problem: SitingProblem, target_share: float | Mapping[str, float] | None) -> dict[str, float]:
    groups = list(problem.groups.columns)
    if target_share is None:
        raise InputError("model 'target' needs target_share, the share of people to reach (for example 0.95)")
    if isinstance(target_share, Mapping):
        unknown = [g for g in target_share if g not in groups]
        if unknown:
            raise InputError(f"target shares for unknown groups {unknown}; groups are {groups}")
        raw = dict(target_share)
    else:
        raw = {g: target_share for g in groups}
    bad = {g: s for g, s in raw.items() if not _is_real(s)}
    if bad:
        raise InputError(f"target share must be a number between 0 and 1 (0.95 = 95%), got {bad}")
    shares = {g: float(s) for g, s in raw.items()}
    for g, s in shares.items():
        if not 0 <= s <= 1:
            raise InputError(f"target share for '{g}' must be between 0 and 1 (0.95 = 95%), got {s}")
    return shares


@dataclass(frozen=True)
class UnitRule:
    """A per-unit rule: at least ``min_share`` of the units in ``units`` are covered.

    A unit is covered when *all* its demand points with people are within the
    threshold (``how="all"``, for example "every village") or at least one is
    (``how="any"``).  ``units`` maps demand id -> unit code (a Series).
    """

    name: str
    units: pd.Series
    min_share: float = 1.0
    how: str = "all"


# --------------------------------------------------------------------------- covering models

def _cover_model(problem: SitingProblem, model: str, threshold: float, *, p: int | None, budget: float | None,
                 shares: dict[str, float] | None, use_cost: bool, unit_rules: Sequence[UnitRule],
                 reduce: bool) -> tuple[_Milp, Callable[[npt.NDArray[np.float64]], list[int]],
                                        Callable[[Sequence[int]], npt.NDArray[np.float64]], dict[str, Any],
                                        Any]:
    R = reduce_cover(problem, threshold, drop_dominated=reduce and not unit_rules)
    M = R.matrix.tocsc()
    nr, k = M.shape
    cols = R.cols
    ccost = problem.cost[cols] if use_cost else np.ones(k)
    forced = problem.forced_in[cols]
    gvals = problem.groups.to_numpy(float)
    stats = {"n_demand": problem.n_demand, "n_candidates": problem.n_candidates, "n_rows": nr, "n_cols": k,
             "n_dominated": R.n_dominated}
    y_lb = forced.astype(float)
    y_ub = np.ones(k)
    if model == "lscp":
        milp = _Milp(cost=ccost.astype(float), lower=y_lb, upper=y_ub, integer=np.ones(k, bool), A=M.tocsc(),
                     row_lower=np.ones(nr), row_upper=np.full(nr, _INF))

        def start_of(sel: Sequence[int]) -> npt.NDArray[np.float64]:
            y = np.zeros(k)
            y[list(sel)] = 1
            return y

        return milp, (lambda x: list(np.flatnonzero(x[:k] > 0.5))), start_of, stats, R

    # z_r in [0, 1]: class r covered;  z_r - sum_{c in N_r} y_c <= 0
    link = sp.hstack([-M, sp.identity(nr, format="csc")], format="csc")
    blocks = [link]
    rlo = [np.full(nr, -_INF)]
    rhi = [np.zeros(nr)]
    n_var = k + nr
    extra_cols = 0
    if model == "mclp":
        obj = np.concatenate([np.zeros(k), R.row_weight])
        offset = float(problem.weight[R.covered_fixed].sum())
        if p is not None:
            blocks.append(sp.csc_matrix(np.concatenate([np.ones(k), np.zeros(nr)])[None, :]))
            rlo.append(np.array([-_INF]))
            rhi.append(np.array([float(p)]))
        if budget is not None:
            blocks.append(sp.csc_matrix(np.concatenate([problem.cost[cols], np.zeros(nr)])[None, :]))
            rlo.append(np.array([-_INF]))
            rhi.append(np.array([float(budget)]))
        maximize = True
    else:  # target
        obj = np.concatenate([ccost, np.zeros(nr)])
        offset = 0.0
        maximize = False
        assert_shares = shares or {}
        for g, s in assert_shares.items():
            gi = list(problem.groups.columns).index(g)
            need = s * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum()
            if need > 1e-9:
                blocks.append(sp.csc_matrix(np.concatenate([np.zeros(k), R.row_groups[:, gi]])[None, :]))
                rlo.append(np.array([need - 1e-9 * max(1.0, need)]))
                rhi.append(np.array([_INF]))
        if p is not None:
            blocks.append(sp.csc_matrix(np.concatenate([np.ones(k), np.zeros(nr)])[None, :]))
            rlo.append(np.array([-_INF]))
            rhi.append(np.array([float(p)]))
        if budget is not None:
            blocks.append(sp.csc_matrix(np.concatenate([problem.cost[cols], np.zeros(nr)])[None, :]))
            rlo.append(np.array([-_INF]))
            rhi.append(np.array([float(budget)]))
    lower = np.concatenate([y_lb, np.zeros(nr)])
    upper = np.concatenate([y_ub, np.ones(nr)])
    integer = np.concatenate([np.ones(k, bool), np.zeros(nr, bool)])
    # per-unit rules: v_u <= z_r for the classes of u's points ("all") or v_u <= sum z_r ("any")
    unit_blocks: list[tuple[int, int]] = []
    positive = (problem.weight > 0) | (gvals > 0).any(axis=1)
    for rule in unit_rules:
        codes = rule.units.reindex(problem.demand_ids)
        if codes.isna().any():
            miss = problem.demand_ids[codes.isna().to_numpy()]
            raise InputError(f"unit rule '{rule.name}': no unit for demand ids {_preview(miss)}")
        ucode, uidx = np.unique(codes.astype(str).to_numpy(), return_inverse=True)
        nu = len(ucode)
        rows_i, rows_v, rows_z, rlo_u, rhi_u = [], [], [], [], []
        v_ub = np.ones(nu)
        has_point = np.zeros(nu, bool)
        r_of = R.row_of_demand
        if rule.how == "all":
            for d in np.flatnonzero(positive):
                u = uidx[d]
                has_point[u] = True
                if R.covered_fixed[d]:
                    continue
                if r_of[d] < 0:
                    v_ub[u] = 0.0
                    continue
                rows_i.append(len(rlo_u))
                rows_v.append(u)
                rows_z.append(r_of[d])
                rlo_u.append(-_INF)
                rhi_u.append(0.0)
            rows = np.arange(len(rlo_u))
            Ablk = sp.csc_matrix((np.concatenate([np.ones(len(rows)), -np.ones(len(rows))]),
                                  (np.concatenate([rows, rows]),
                                   np.concatenate([n_var + extra_cols + np.array(rows_v, dtype=np.int64),
                                                   k + np.array(rows_z, dtype=np.int64)]))),
                                 shape=(len(rows), n_var + extra_cols + nu))
        elif rule.how == "any":
            fixed_u = np.zeros(nu, bool)
            entries: dict[int, set[int]] = {}
            for d in np.flatnonzero(positive):
                u = uidx[d]
                has_point[u] = True
                if R.covered_fixed[d]:
                    fixed_u[u] = True
                elif r_of[d] >= 0:
                    entries.setdefault(u, set()).add(int(r_of[d]))
            ri, ci, vv = [], [], []
            row = 0
            for u in range(nu):
                if fixed_u[u] or not has_point[u]:
                    continue
                ri.append(row)
                ci.append(n_var + extra_cols + u)
                vv.append(1.0)
                for r in entries.get(u, ()):
                    ri.append(row)
                    ci.append(k + r)
                    vv.append(-1.0)
                row += 1
            rlo_u, rhi_u = [-_INF] * row, [0.0] * row
            Ablk = sp.csc_matrix((vv, (ri, ci)), shape=(row, n_var + extra_cols + nu))
        else:
            raise InputError(f"unit rule '{rule.name}': how must be 'all' or 'any', got '{rule.how}'")
        n_units = int(has_point.sum())
        need_units = math.ceil(rule.min_share * n_units - 1e-9)
        v_ub[~has_point] = 0.0
        max_units = int(v_ub.sum()) if rule.how == "all" else n_units
        if need_units > max_units:
            raise InfeasibleError(
                f"unit rule '{rule.name}': {rule.min_share:.0%} of {n_units} units ({need_units}) must be covered,"
                f" but even opening every candidate covers at most {max_units} ({max_units / max(n_units, 1):.1%});"
                " lower the share, raise the threshold or add candidate sites")
        # widen every previous block by nu columns, then append
        blocks = [sp.hstack([b, sp.csc_matrix((b.shape[0], nu))], format="csc") for b in blocks]
        card = sp.csc_matrix((np.ones(nu), (np.zeros(nu, dtype=np.int64), n_var + extra_cols + np.arange(nu))),
                             shape=(1, n_var + extra_cols + nu))
        blocks += [Ablk, card]
        rlo += [np.array(rlo_u, float), np.array([float(need_units)])]
        rhi += [np.array(rhi_u, float), np.array([_INF])]
        obj = np.concatenate([obj, np.zeros(nu)])
        lower = np.concatenate([lower, np.zeros(nu)])
        upper = np.concatenate([upper, v_ub])
        integer = np.concatenate([integer, np.zeros(nu, bool)])
        unit_blocks.append((n_var + extra_cols, nu))
        extra_cols += nu
    milp = _Milp(cost=obj.astype(float), lower=lower, upper=upper, integer=integer, A=_stack(blocks),
                 row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi), maximize=maximize, offset=offset)

    def start_of(sel: Sequence[int]) -> npt.NDArray[np.float64]:
        y = np.zeros(k)
        y[list(sel)] = 1
        z = np.minimum(np.asarray(M @ y).ravel(), 1.0)
        x = np.concatenate([y, z])
        for (c0, nu), rule in zip(unit_blocks, unit_rules):
            codes = rule.units.reindex(problem.demand_ids).astype(str).to_numpy()
            ucode, uidx = np.unique(codes, return_inverse=True)
            ok_any = np.zeros(nu, bool)
            ok_all = np.ones(nu, bool)
            for d in np.flatnonzero(positive):
                cov = bool(R.covered_fixed[d]) or (R.row_of_demand[d] >= 0 and z[R.row_of_demand[d]] > 0.5)
                ok_any[uidx[d]] |= cov
                ok_all[uidx[d]] &= cov
            x = np.concatenate([x, (ok_all if rule.how == "all" else ok_any).astype(float) * upper[c0:c0 + nu]])
        return x

    return milp, (lambda x: list(np.flatnonzero(x[:k] > 0.5))), start_of, stats, R


def _add_capacity_rows(problem: SitingProblem, w: npt.NDArray[np.float64], pi: npt.NDArray[np.int64],
                       pj: npt.NDArray[np.int64], ar: npt.NDArray[np.int64], blocks: list, rlo: list,
                       rhi: list) -> None:
    """Append ``sum_i w_i x_ij - cap_j y_j <= 0`` for every site with a finite capacity.

    Columns are the ``m`` site variables then one assignment variable per pair
    (pair ``k`` joins demand ``pi[k]`` to site ``pj[k]``; ``ar`` = 0..npair-1).
    """
    m, npair = problem.n_sites, len(pi)
    capped = np.isfinite(problem.capacity)
    if not capped.any():
        return
    sites = np.flatnonzero(capped)
    rowpos = -np.ones(m, dtype=np.int64)
    rowpos[sites] = np.arange(len(sites))
    sel = capped[pj]
    blocks.append(sp.csc_matrix(
        (np.concatenate([w[pi[sel]], -problem.capacity[sites]]),
         (np.concatenate([rowpos[pj[sel]], np.arange(len(sites))]), np.concatenate([m + ar[sel], sites]))),
        shape=(len(sites), m + npair)))
    rlo.append(np.full(len(sites), -_INF))
    rhi.append(np.zeros(len(sites)))


def _cap_cover_model(problem: SitingProblem, model: str, threshold: float, *, p: int | None,
                     budget: float | None, shares: dict[str, float] | None, use_cost: bool
                     ) -> tuple[_Milp, Callable[[npt.NDArray[np.float64]], list[int]], dict[str, Any], _Pairs]:
    """Capacitated covering: x_ij share of i's weight served by j (i within threshold of j)."""
    gvals = problem.groups.to_numpy(float)
    positive = problem.weight > 0
    keep = (problem.pair_cost <= threshold) & positive[problem.pair_demand]
    pi, pj = problem.pair_demand[keep], problem.pair_site[keep]
    m, npair = problem.n_sites, len(pi)
    w = problem.weight
    cand = ~problem.fixed
    y_lb = np.where(problem.fixed | problem.forced_in, 1.0, 0.0)
    ar = np.arange(npair)
    blocks, rlo, rhi = [], [], []
    # sum_j x_ij <= 1
    blocks.append(sp.csc_matrix((np.ones(npair), (pi, m + ar)), shape=(problem.n_demand, m + npair)))
    rlo.append(np.full(problem.n_demand, -_INF))
    rhi.append(np.ones(problem.n_demand))
    # x_ij - y_j <= 0
    blocks.append(sp.csc_matrix((np.concatenate([np.ones(npair), -np.ones(npair)]),
                                 (np.concatenate([ar, ar]), np.concatenate([m + ar, pj]))), shape=(npair, m + npair)))
    rlo.append(np.full(npair, -_INF))
    rhi.append(np.zeros(npair))
    # sum_i w_i x_ij - cap_j y_j <= 0
    _add_capacity_rows(problem, w, pi, pj, ar, blocks, rlo, rhi)
    if p is not None:
        blocks.append(sp.csc_matrix(np.concatenate([cand.astype(float), np.zeros(npair)])[None, :]))
        rlo.append(np.array([-_INF]))
        rhi.append(np.array([float(p)]))
    if budget is not None:
        blocks.append(sp.csc_matrix(np.concatenate([np.where(cand, problem.cost, 0.0), np.zeros(npair)])[None, :]))
        rlo.append(np.array([-_INF]))
        rhi.append(np.array([float(budget)]))
    if model == "mclp":
        obj = np.concatenate([np.zeros(m), w[pi]])
        maximize = True
    else:
        ccost = np.where(cand, problem.cost if use_cost else 1.0, 0.0)
        obj = np.concatenate([ccost, np.zeros(npair)])
        maximize = False
        for g, s in (shares or {}).items():
            gi = list(problem.groups.columns).index(g)
            need = s * gvals[:, gi].sum()
            if need > 1e-9:
                blocks.append(sp.csc_matrix(np.concatenate([np.zeros(m), gvals[pi, gi]])[None, :]))
                rlo.append(np.array([need - 1e-9 * max(1.0, need)]))
                rhi.append(np.array([_INF]))
    milp = _Milp(cost=obj, lower=np.concatenate([y_lb, np.zeros(npair)]),
                 upper=np.concatenate([np.ones(m), np.ones(npair)]),
                 integer=np.concatenate([cand, np.zeros(npair, bool)]), A=_stack(blocks),
                 row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi), maximize=maximize)
    stats = {"n_demand": problem.n_demand, "n_candidates": problem.n_candidates, "n_pairs": npair}

    def decode(x: npt.NDArray[np.float64]) -> list[int]:
        return [int(j) for j in np.flatnonzero((x[:m] > 0.5) & cand)]

    return milp, decode, stats, _Pairs(pi, pj, problem.pair_cost[keep], m)


# --------------------------------------------------------------------------- p-median

def _pmedian_model(problem: SitingProblem, p: int, *, allowed: npt.NDArray[np.bool_] | None = None
                   ) -> tuple[_Milp, Callable[[npt.NDArray[np.float64]], list[int]],
                              Callable[[Sequence[int]], npt.NDArray[np.float64]], dict[str, Any]]:
    """Radius formulation with chained covering variables (one row per distinct distance level)."""
    m = problem.n_sites
    ok = np.ones(m, bool) if allowed is None else (allowed | problem.fixed)
    cand = ~problem.fixed & ok
    n_cand = int(cand.sum())
    w = problem.weight
    pi, pj, pc = problem.pair_demand, problem.pair_site, problem.pair_cost
    keep = (w[pi] > 0) & ok[pj]
    pi, pj, pc = pi[keep], pj[keep], pc[keep]
    keep = np.ones(len(pi), bool)
    # truncate: never beyond the nearest fixed site, nor beyond the (n_cand - p + 1)-th nearest candidate
    limit = np.full(problem.n_demand, np.inf)
    fx = problem.fixed[pj]
    if fx.any():
        np.minimum.at(limit, pi[fx], pc[fx])
    L = n_cand - p + 1
    cnt_c = np.bincount(pi[~fx], minlength=problem.n_demand)
    full = cnt_c >= L
    if full.any():
        # rank of each candidate pair within its demand (pairs are sorted by demand, then cost)
        cpairs = np.flatnonzero(~fx)
        ci = pi[cpairs]
        first = np.searchsorted(ci, ci, side="left")
        rank = np.arange(len(ci)) - first
        at_L = cpairs[(rank == L - 1) & full[ci]]
        np.minimum.at(limit, pi[at_L], pc[at_L])
    keep &= pc <= limit[pi] + 1e-12
    pi, pj, pc = pi[keep], pj[keep], pc[keep]
    # distance levels: new level where demand or cost changes
    new = np.ones(len(pi), bool)
    new[1:] = (pi[1:] != pi[:-1]) | (pc[1:] != pc[:-1])
    lvl = np.cumsum(new) - 1
    n_lvl = int(lvl[-1]) + 1 if len(lvl) else 0
    lvl_dem = pi[new]
    lvl_cost = pc[new]
    first_lvl = np.ones(n_lvl, bool)
    first_lvl[1:] = lvl_dem[1:] != lvl_dem[:-1]
    last_lvl = np.ones(n_lvl, bool)
    last_lvl[:-1] = lvl_dem[1:] != lvl_dem[:-1]
    zlvl = np.flatnonzero(~last_lvl)               # z variable for every non-last level
    zpos = -np.ones(n_lvl, dtype=np.int64)
    zpos[zlvl] = np.arange(len(zlvl))
    nz = len(zlvl)
    # objective: w_i * (D(g+1) - D(g)) on z_g; offset sum_i w_i D(first)
    zcost = w[lvl_dem[zlvl]] * (lvl_cost[zlvl + 1] - lvl_cost[zlvl])
    offset = float((w[lvl_dem[first_lvl]] * lvl_cost[first_lvl]).sum())
    rows = [lvl, zlvl]
    colsv = [pj, m + zpos[zlvl]]
    vals = [np.ones(len(pj)), np.ones(nz)]
    nf = np.flatnonzero(~first_lvl)
    rows.append(nf)
    colsv.append(m + zpos[nf - 1])
    vals.append(-np.ones(len(nf)))
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(colsv))), shape=(n_lvl, m + nz))
    card = sp.csc_matrix(np.concatenate([cand.astype(float), np.zeros(nz)])[None, :])
    milp = _Milp(
        cost=np.concatenate([np.zeros(m), zcost]),
        lower=np.concatenate([np.where(problem.fixed | problem.forced_in, 1.0, 0.0), np.zeros(nz)]),
        upper=np.concatenate([np.where(ok, 1.0, 0.0), np.full(nz, _INF)]),
        integer=np.concatenate([cand, np.zeros(nz, bool)]),
        A=_stack([A, card]),
        row_lower=np.concatenate([np.where(first_lvl, 1.0, 0.0), [float(p)]]),
        row_upper=np.concatenate([np.full(n_lvl, _INF), [float(p)]]),
        offset=offset,
    )
    stats = {"n_demand": problem.n_demand, "n_candidates": problem.n_candidates, "n_candidates_kept": n_cand,
             "n_levels": n_lvl, "n_pairs_kept": len(pi),
             "n_pairs": len(problem.pair_cost)}

    def decode(x: npt.NDArray[np.float64]) -> list[int]:
        return [int(j) for j in np.flatnonzero((x[:m] > 0.5) & cand)]

    def start_of(sel: Sequence[int]) -> npt.NDArray[np.float64]:
        y = problem.fixed.astype(float)
        y[list(sel)] = 1.0
        d = problem.nearest_cost(y > 0.5)
        d = np.where(np.isnan(d), np.inf, d)
        z = (d[lvl_dem[zlvl]] > lvl_cost[zlvl] + 1e-12).astype(float)
        return np.concatenate([y, z])

    return milp, decode, start_of, stats


def _cap_pmedian_model(problem: SitingProblem, p: int
                       ) -> tuple[_Milp, Callable[[npt.NDArray[np.float64]], list[int]], dict[str, Any], _Pairs]:
    """Capacitated p-median: x_ij in [0, 1] share of i served by j, sum_i w_i x_ij <= cap_j y_j."""
    m = problem.n_sites
    cand = ~problem.fixed
    w = problem.weight
    keep = w[problem.pair_demand] > 0
    pi, pj, pc = problem.pair_demand[keep], problem.pair_site[keep], problem.pair_cost[keep]
    npair = len(pi)
    ar = np.arange(npair)
    used = np.unique(pi)
    rpos = -np.ones(problem.n_demand, dtype=np.int64)
    rpos[used] = np.arange(len(used))
    blocks = [sp.csc_matrix((np.ones(npair), (rpos[pi], m + ar)), shape=(len(used), m + npair)),
              sp.csc_matrix((np.concatenate([np.ones(npair), -np.ones(npair)]),
                             (np.concatenate([ar, ar]), np.concatenate([m + ar, pj]))), shape=(npair, m + npair))]
    rlo = [np.ones(len(used)), np.full(npair, -_INF)]
    rhi = [np.ones(len(used)), np.zeros(npair)]
    _add_capacity_rows(problem, w, pi, pj, ar, blocks, rlo, rhi)
    blocks.append(sp.csc_matrix(np.concatenate([cand.astype(float), np.zeros(npair)])[None, :]))
    rlo.append(np.array([float(p)]))
    rhi.append(np.array([float(p)]))
    milp = _Milp(cost=np.concatenate([np.zeros(m), w[pi] * pc]),
                 lower=np.concatenate([np.where(problem.fixed | problem.forced_in, 1.0, 0.0), np.zeros(npair)]),
                 upper=np.ones(m + npair), integer=np.concatenate([cand, np.zeros(npair, bool)]),
                 A=_stack(blocks), row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi))

    def decode(x: npt.NDArray[np.float64]) -> list[int]:
        return [int(j) for j in np.flatnonzero((x[:m] > 0.5) & cand)]

    return (milp, decode, {"n_demand": problem.n_demand, "n_candidates": int(cand.sum()), "n_pairs": npair},
            _Pairs(pi, pj, pc, m))


# --------------------------------------------------------------------------- the entry point

def solve(
    problem: SitingProblem,
    *,
    model: str,
    threshold: float | None = None,
    p: int | None = None,
    target_share: float | Mapping[str, float] | None = None,
    budget: float | None = None,
    objective: str = "count",
    unit_rules: Sequence[UnitRule] = (),
    capacitated: bool = False,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.0,
    method: str = "auto",
    reduce: bool = True,
    warm_start: bool = True,
    max_nonzeros: int = 40_000_000,
    threads: int | None = None,
    highs_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> SitingResult:
    """Solve a siting model exactly with HiGHS (or heuristically when too large).

    Parameters
    ----------
    problem
        Built by :func:`coverage.siting.build_problem`.
    model
        "lscp", "target", "mclp" or "pmedian" (see the module docstring).
    threshold
        Coverage threshold in the OD table's cost unit (for example minutes);
        required by the covering models, optional for "pmedian" (coverage is then
        also reported).
    p
        Number of new sites (mclp: at most; pmedian: exactly; target: at most).
    target_share
        Share (0..1) of each group's people to reach ("target"); a dict gives
        one share per group.
    budget
        Maximum total cost of the new sites (mclp, target), in the unit of ``problem.cost``.
    objective
        "count" (fewest sites) or "cost" (least total cost) for "lscp" and "target".
    unit_rules
        Per-unit rules for "target" (:class:`UnitRule`).
    capacitated
        Each site serves at most its capacity (mclp, target, pmedian).
    time_limit_s
        Wall-clock limit of the solver, seconds.  At the limit the best solution
        is returned with status "time_limit", the bound and the gap.
    mip_rel_gap
        Relative gap at which HiGHS may stop (default 0: prove optimality).
        A solution stopped at a positive gap is reported "feasible", not "optimal".
    method
        "auto" (exact; heuristic only when the model exceeds ``max_nonzeros``),
        "exact" or "heuristic" (greedy + swap, with the LP bound when it fits).
    reduce
        Merge identical demand rows and drop dominated candidates (covering models).
    warm_start
        Start HiGHS from the greedy + swap solution.
    max_nonzeros
        Largest model (constraint non-zeros) "auto" hands to the exact solver.
    threads
        HiGHS threads (default: HiGHS decides).
    highs_options
        Further HiGHS options by name (for example ``{"mip_heuristic_effort": 0.01}``).
    progress
        ``progress(fraction, message)`` called as the solve advances (for a progress bar).

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        Unknown model, missing or impossible p / threshold / target share, p
        larger than the candidates, negative budget, demand unreachable in p-median.
    InfeasibleError
        The target cannot be met even by opening every candidate (the message
        gives the best achievable share), or no solution satisfies the constraints.
    SolverError
        HiGHS failed (not: proved infeasible).

    Example
    -------
    >>> import pandas as pd
    >>> from coverage.siting import build_problem, solve
    >>> od = pd.DataFrame({"from_id": ["a", "b", "c"], "to_id": ["s1", "s1", "s2"],
    ...                    "travel_time_min": [5.0, 12.0, 4.0]})
    >>> prob = build_problem(od, pd.Series({"a": 10.0, "b": 20.0, "c": 5.0}))
    >>> solve(prob, model="mclp", threshold=15, p=1).selected
    ['s1']
    """
    t_start = time.perf_counter()
    say = progress or (lambda f, m: None)
    if model not in MODELS:
        raise InputError(f"unknown siting model '{model}'; choose one of {', '.join(MODELS)}")
    if method not in ("auto", "exact", "heuristic"):
        raise InputError(f"method must be 'auto', 'exact' or 'heuristic', got '{method}'")
    if objective not in ("count", "cost"):
        raise InputError(f"objective must be 'count' or 'cost', got '{objective}'")
    if model in ("lscp", "target", "mclp"):
        if threshold is None:
            raise InputError(f"model '{model}' needs a threshold (for example threshold=15 minutes)")
    if threshold is not None and (not _is_real(threshold) or not np.isfinite(threshold) or threshold < 0):
        raise InputError(f"threshold must be a number >= 0, got {threshold!r}")
    if budget is not None and (not _is_real(budget) or not np.isfinite(budget) or budget < 0):
        raise InputError(f"budget must be a number >= 0, got {budget!r}")
    if not _is_real(time_limit_s) or not np.isfinite(time_limit_s) or time_limit_s <= 0:
        raise InputError(f"time_limit_s must be a number > 0, got {time_limit_s!r}")
    if model == "mclp" and p is None and budget is None:
        raise InputError("model 'mclp' needs p (the number of new sites) or a budget, or both")
    _check_p(problem, p, required=model == "pmedian", model=model)
    if unit_rules and model != "target":
        raise InputError("unit rules apply to model 'target' only")
    if unit_rules and capacitated:
        raise InputError("unit rules and capacities together are not supported; solve without capacities")
    use_cost = objective == "cost"
    shares = _shares(problem, target_share) if model == "target" else None
    if budget is not None:
        forced_cost = float(problem.cost[problem.forced_in].sum())
        if forced_cost > budget + 1e-9:
            raise InfeasibleError(f"the forced-in candidates cost {forced_cost:g}, more than the budget {budget:g};"
                                  " raise the budget or force fewer candidates")
    if model == "pmedian":
        no_pair = problem.weight > 0
        has = np.zeros(problem.n_demand, bool)
        has[problem.pair_demand] = True
        bad = no_pair & ~has
        if bad.any():
            ids = problem.demand_ids[bad]
            raise InputError(f"p-median must assign every demand point, but {len(ids)} have no site in the OD "
                             f"table: {_preview(ids)}; remove them from the demand or extend the OD table's cutoff")
    if model == "target":
        _check_target(problem, threshold, shares or {}, capacitated)
    if model == "lscp":
        _check_reachable(problem, float(threshold))  # type: ignore[arg-type]

    say(0.0, f"building the {model} model")
    t_build = time.perf_counter()
    start_x = None
    heur_sel: list[int] | None = None
    heur_obj: float | None = None
    to_sites: Callable[[list[int]], list[int]]
    milp: _Milp
    lag_bound: float | None = None
    pairs: _Pairs | None = None
    if model == "pmedian" and not capacitated:
        allowed = None
        if warm_start or method == "heuristic":
            heur_sel, heur_total, lag_bound, allowed = _pmedian_heuristic(
                problem, int(p), time_limit_s=min(10.0, time_limit_s / 4), say=say)  # type: ignore[arg-type]
        milp, decode, start_of, stats = _pmedian_model(problem, int(p), allowed=allowed)  # type: ignore[arg-type]
        to_sites = lambda cols: list(cols)  # noqa: E731
        if lag_bound is not None:
            stats["lagrangian_bound"] = lag_bound
        if heur_sel is not None:
            start_x = start_of(heur_sel)
            heur_obj = float(milp.cost @ start_x + milp.offset)
    elif capacitated:
        if model == "lscp":
            raise InputError("capacities apply to models 'mclp', 'target' and 'pmedian'")
        if model == "pmedian":
            milp, decode, stats, pairs = _cap_pmedian_model(problem, int(p))  # type: ignore[arg-type]
        else:
            milp, decode, stats, pairs = _cap_cover_model(problem, model, float(threshold), p=p, budget=budget,  # type: ignore[arg-type]
                                                   shares=shares, use_cost=use_cost)
        to_sites = lambda cols: list(cols)  # noqa: E731
        if method == "heuristic":
            raise InputError("capacity-aware models are solved exactly; use method='exact' or 'auto'")
    else:
        milp, decode, start_of, stats, R = _cover_model(
            problem, model, float(threshold), p=p, budget=budget, shares=shares,  # type: ignore[arg-type]
            use_cost=use_cost, unit_rules=unit_rules, reduce=reduce)
        to_sites = lambda cols: [int(R.cols[c]) for c in cols]  # noqa: E731
        if warm_start or method == "heuristic":
            heur_sel = _cover_heuristic(problem, R, model, p=p, budget=budget, shares=shares, use_cost=use_cost,
                                        time_limit_s=min(5.0, time_limit_s / 4))
            if heur_sel is not None:
                start_x = start_of(heur_sel)
                if _feasible(milp, start_x):
                    heur_obj = float(milp.cost @ start_x + milp.offset)
                else:
                    start_x, heur_sel = None, None
    build_time = time.perf_counter() - t_build
    stats["nonzeros"] = milp.nnz
    stats["variables"] = len(milp.cost)
    stats["rows"] = milp.A.shape[0]
    say(0.05, f"model built: {len(milp.cost)} variables, {milp.A.shape[0]} rows ({build_time:.2f} s)")
    remaining = max(time_limit_s - (time.perf_counter() - t_start), 0.05)
    use_heuristic = method == "heuristic" or (method == "auto" and milp.nnz > max_nonzeros and heur_sel is not None)
    label = model
    proved_by_bound = (lag_bound is not None and heur_obj is not None
                       and lag_bound >= heur_obj - 1e-6 * max(1.0, abs(heur_obj)))
    if proved_by_bound:
        run = _Run(status="optimal", x=start_x, objective=heur_obj, bound=heur_obj, time_s=0.0)
        used = "heuristic+lagrangian"
    elif use_heuristic:
        if heur_sel is None:
            raise SolverError(f"the heuristic found no solution for the {model} model; use method='exact'")
        # without the LP, the variable bounds alone bound the objective (for example: all coverable weight)
        ub = np.where(np.isfinite(milp.upper), milp.upper, 0.0)
        ends = np.vstack([milp.cost * milp.lower, milp.cost * ub])
        bound = float((ends.max(axis=0) if milp.maximize else ends.min(axis=0)).sum() + milp.offset)
        t0 = time.perf_counter()
        if milp.nnz <= max_nonzeros * 2:
            say(0.5, "heuristic solution found; computing the LP bound")
            lp = _run_highs(milp, time_limit_s=remaining, relax=True, threads=threads, label=label)
            if lp.bound is not None:
                bound = lp.bound
        if lag_bound is not None:
            bound = max(bound, lag_bound)
        if milp.integer.any() and model in ("lscp", "target") and not use_cost:
            bound = math.ceil(bound - 1e-6)
        run = _Run(status="feasible", x=start_x, objective=heur_obj, bound=bound, time_s=time.perf_counter() - t0)
        if bound is not None and heur_obj is not None and abs(heur_obj - bound) <= 1e-6 * max(1.0, abs(heur_obj)):
            run.status = "optimal"
        used = "heuristic"
    else:
        say(0.05, f"solving with HiGHS (limit {remaining:.0f} s)")
        run = _run_highs(milp, time_limit_s=remaining, mip_rel_gap=mip_rel_gap, start=start_x, progress=progress,
                         threads=threads, label=label, options=highs_options)
        used = "milp"
        if run.status == "infeasible":
            raise InfeasibleError(_infeasible_message(problem, model, threshold, p, budget, shares))
        if run.x is None and heur_sel is not None:
            run.x, run.objective, used = start_x, heur_obj, "milp+heuristic"
        elif (run.status != "optimal" and heur_obj is not None and run.objective is not None
              and ((heur_obj > run.objective + 1e-9) if milp.maximize else (heur_obj < run.objective - 1e-9))):
            run.x, run.objective, used = start_x, heur_obj, "milp+heuristic"
        if run.x is None:
            raise SolverError(f"HiGHS found no solution of the {model} model within {time_limit_s:g} s"
                              f" (status {run.status}); raise time_limit_s")
        if lag_bound is not None and run.status != "optimal":
            # candidates dropped by the Lagrangian test cannot beat the warm start: the global bound is
            # min(warm start, bound of the reduced model), and the Lagrangian bound holds too
            reduced = run.bound if run.bound is not None else -_INF
            glob = max(lag_bound, min(heur_obj if heur_obj is not None else _INF, reduced))
            run.bound = glob
    selected = sorted(to_sites(decode(run.x)))  # type: ignore[arg-type]
    solve_time = run.time_s
    say(1.0, f"{model}: {run.status}")
    allocation = None
    if pairs is not None:
        allocation = (pairs, pairs.shares(run.x))  # type: ignore[arg-type]
    return _result(problem, model, run, selected, threshold=threshold, p=p, budget=budget, target_share=target_share,
                   build_time=build_time, solve_time=solve_time, t_start=t_start, method=used, stats=stats,
                   maximize=milp.maximize, use_cost=use_cost, allocation=allocation, shares=shares)


def _feasible(milp: _Milp, x: npt.NDArray[np.float64]) -> bool:
    if np.any(x < milp.lower - 1e-9) or np.any(x > milp.upper + 1e-9):
        return False
    ax = milp.A @ x
    return bool(np.all(ax >= milp.row_lower - 1e-6) and np.all(ax <= milp.row_upper + 1e-6))


def _check_target(problem: SitingProblem, threshold: float | None, shares: dict[str, float],
                  capacitated: bool) -> None:
    """Raise InfeasibleError when even every candidate cannot reach a target share."""
    open_all = np.ones(problem.n_sites, bool)
    d = problem.nearest_cost(open_all)
    cov = ~np.isnan(d) & (d <= float(threshold))  # type: ignore[arg-type]
    for g, s in shares.items():
        vals = problem.groups[g].to_numpy(float)
        total = vals.sum()
        if total <= 0:
            continue
        best = vals[cov].sum() / total
        if s > best + 1e-12:
            raise InfeasibleError(
                f"target {s:.1%} of '{g}' within {threshold:g} {problem.cost_unit} cannot be met: even opening every"
                f" candidate reaches at most {best:.1%} ({vals[cov].sum():,.0f} of {total:,.0f});"
                " lower the target, raise the threshold, or add candidate sites")


def _check_reachable(problem: SitingProblem, threshold: float) -> None:
    """Raise InfeasibleError when no demand point with people is within ``threshold`` of any site (LSCP)."""
    d = problem.nearest_cost(np.ones(problem.n_sites, bool))
    people = problem.weight > 0
    if people.any() and not (people & ~np.isnan(d) & (d <= threshold)).any():
        nearest = np.nanmin(d[people]) if (people & ~np.isnan(d)).any() else None
        near = (f"the nearest pair is {nearest:g} {problem.cost_unit}" if nearest is not None
                else "the OD table has no pair for them")
        raise InfeasibleError(
            f"no demand point with people is within {threshold:g} {problem.cost_unit} of any site ({near}): there is"
            " nothing a set cover could reach; raise the threshold, add candidate sites, or check the OD table")


def _infeasible_message(problem: SitingProblem, model: str, threshold: float | None, p: int | None,
                        budget: float | None, shares: dict[str, float] | None) -> str:
    parts = [f"the {model} model has no solution"]
    if p is not None:
        parts.append(f"with p={p}")
    if budget is not None:
        parts.append(f"within budget {budget:g}")
    if shares:
        parts.append("for targets " + ", ".join(f"{g} {s:.0%}" for g, s in shares.items()))
    if model == "pmedian":
        parts.append("(no choice of p sites reaches every demand point, or capacities are too small)")
    return " ".join(parts) + "; raise p, the budget or the capacities, or lower the target"


def _cover_heuristic(problem: SitingProblem, R: Any, model: str, *, p: int | None, budget: float | None,
                     shares: dict[str, float] | None, use_cost: bool, time_limit_s: float) -> list[int] | None:
    M = R.matrix
    k = M.shape[1]
    forced = list(np.flatnonzero(problem.forced_in[R.cols]))
    ccost = problem.cost[R.cols]
    if model == "lscp":
        # every class counts once
        return heur.greedy_cover(M, np.ones(M.shape[0]), need=np.array([M.shape[0]], float), forced=forced,
                                 col_cost=ccost if use_cost else None) if M.shape[0] else forced
    if model == "mclp":
        sel = heur.greedy_cover(M, R.row_weight, p=p, budget=budget, col_cost=problem.cost[R.cols] if budget else None,
                           forced=forced)
        if k and sel:
            sel = heur.swap_cover(M, R.row_weight, sel, fixed=forced, col_cost=ccost, budget=budget,
                                  time_limit_s=time_limit_s)
        return sel
    # target: per-group need after existing coverage
    gvals = problem.groups.to_numpy(float)
    cols = list(problem.groups.columns)
    need = np.zeros(len(cols))
    for g, s in (shares or {}).items():
        gi = cols.index(g)
        need[gi] = max(s * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum(), 0.0)
    sel = heur.greedy_cover(M, R.row_groups, need=need, forced=forced, col_cost=ccost if use_cost else None,
                       p=p, budget=budget)
    return sel



def _pmedian_heuristic(problem: SitingProblem, p: int, *, time_limit_s: float, say: ProgressCallback
                       ) -> tuple[list[int] | None, float | None, float | None, npt.NDArray[np.bool_] | None]:
    """Greedy + swap, then a Lagrangian bound and candidate reduction (dense problems only).

    Returns the heuristic's sites, its total cost, the Lagrangian bound and the
    candidates that may still improve on it (None where not computed).
    """
    if problem.n_demand * problem.n_sites > 10_000_000:
        return None, None, None, None
    D = problem.cost_matrix()
    pos = problem.weight > 0
    D, w = D[pos], problem.weight[pos]
    fixed = list(np.flatnonzero(problem.fixed))
    forced = list(np.flatnonzero(problem.forced_in))
    cands = ~problem.fixed
    say(0.01, "p-median: greedy and swap heuristic")
    sel = heur.greedy_pmedian(D, w, p, candidates=cands, fixed=fixed, forced=forced)
    sel = heur.swap_pmedian(D, w, sel, candidates=cands, fixed=fixed, forced=forced, time_limit_s=time_limit_s)
    total = heur.pmedian_cost(D, w, sel + fixed)
    if not np.isfinite(total):
        return None, None, None, None
    if problem.n_demand * problem.n_sites > 5_000_000 or forced:
        return sel, total, None, None
    say(0.03, f"p-median: heuristic {total:.6g}; Lagrangian bound")
    bound, rho, lag_sel, lag_cost = heur.lagrangian_pmedian(D, w, p, upper_bound=total, candidates=cands, fixed=fixed,
                                                            time_limit_s=time_limit_s, return_primal=True)
    if lag_sel and lag_cost < total * 1.05 and sorted(lag_sel) != sorted(sel):
        # Beasley's Lagrangian heuristic, polished by the same swap search
        alt = heur.swap_pmedian(D, w, lag_sel, candidates=cands, fixed=fixed, time_limit_s=time_limit_s)
        alt_total = heur.pmedian_cost(D, w, alt + fixed)
        if alt_total < total - 1e-9:
            log.info("p-median: Lagrangian heuristic improves %.6g -> %.6g", total, alt_total)
            sel, total = alt, alt_total
    a = (w[:, None] * D)[np.isfinite(D)]
    integral = bool(np.all(np.abs(a - np.round(a)) < 1e-9))
    if integral and bound > total - 1 + 1e-6:
        bound = total  # integer costs: nothing lies strictly between
    if bound < total - 1e-9 * max(1.0, abs(total)):
        # not proved yet: iterated local search for a better upper bound (fewer candidates survive the test)
        say(0.04, f"p-median: heuristic {total:.6g}, bound {bound:.6g}; iterated local search")
        ils = heur.iterated_swap_pmedian(D, w, sel, candidates=cands, fixed=fixed, forced=forced,
                                         time_limit_s=time_limit_s)
        ils_total = heur.pmedian_cost(D, w, ils + fixed)
        if ils_total < total - 1e-9:
            log.info("p-median: iterated local search improves %.6g -> %.6g", total, ils_total)
            sel, total = ils, ils_total
        if integral and bound > total - 1 + 1e-6:
            bound = total
    allowed = heur.lagrangian_reduce(rho, bound, p, total, candidates=cands, keep=sel, integral=integral)
    allowed |= problem.fixed
    log.info("p-median: heuristic %.6g, Lagrangian bound %.6g, %d of %d candidates kept", total, bound,
             int((allowed & cands).sum()), int(cands.sum()))
    return sel, total, bound, allowed


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


def _allocated_assignment(problem: SitingProblem, pairs: _Pairs, share: npt.NDArray[np.float64],
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


def _result(problem: SitingProblem, model: str, run: _Run, selected: list[int], *, threshold: float | None,
            p: int | None, budget: float | None, target_share: Any, build_time: float, solve_time: float,
            t_start: float, method: str, stats: dict[str, Any], maximize: bool, use_cost: bool,
            allocation: tuple[_Pairs, npt.NDArray[np.float64]] | None = None,
            shares: Mapping[str, float] | None = None) -> SitingResult:
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
