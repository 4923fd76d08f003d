"""The siting entry point: check the arguments, build a model, solve it with HiGHS, assemble the result.

Models (``model=``):

``"lscp"``
    Location set covering: fewest new sites (or least cost) so that every
    demand point that *can* be reached within the threshold is.
``"target"``
    Partial set covering: fewest new sites (or least cost) so that a target
    share of each group's people is within the threshold; optional per-unit
    rules (every village, 60% of townships, ...).  Among the answers with the
    fewest sites (or least cost) it returns one covering the most weight: a
    second solve with the count capped, then one-for-one swaps, so that no
    single swap keeps the target with as many sites and covers more.
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

The stages live where their names say: argument checks in
:mod:`coverage.siting.checks`, the models in :mod:`coverage.siting.models`, the
HiGHS interface in :mod:`coverage.siting.milp`, the result in
:mod:`coverage.siting.result`; the greedy, swap and Lagrangian heuristics that
warm-start and bound the solver in :mod:`coverage.siting.heuristics`; the kernel search
with a Lagrangian bound for models too large to prove in :mod:`coverage.siting.scale`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.errors import InfeasibleError, InputError, SolverError
from coverage.progress import Progress, silent
from coverage.siting import heuristics as heur
from coverage.siting.checks import check_arguments, infeasible_message
from coverage.siting.milp import AllocationPairs, Decode, Milp, SolverRun, StartOf, is_feasible, run_highs
from coverage.siting.models.capacity import capacitated_cover_model, capacitated_pmedian_model
from coverage.siting.models.covering import UnitCoverageRule, cover_heuristic, cover_model
from coverage.siting.models.pmedian import pmedian_heuristic, pmedian_model
from coverage.siting.problem import CoverReduction, SitingProblem
from coverage.siting.result import MODELS, STATUSES, SitingResult, build_result
from coverage.siting.scale import LARGE_NONZEROS, kernel_search

__all__ = ["MODELS", "STATUSES", "SitingResult", "UnitCoverageRule", "solve"]

log = logging.getLogger(__name__)

_INF = math.inf


@dataclass
class _Built:
    """A model ready for the solver, with the heuristic's start when there is one."""

    milp: Milp
    #: chosen sites (indices of ``problem.site_ids``) from a solution vector
    sites_of: Callable[[npt.NDArray[np.float64]], list[int]]
    stats: dict[str, Any]
    start_x: npt.NDArray[np.float64] | None = None
    heur_sel: list[int] | None = None
    heur_obj: float | None = None
    lag_bound: float | None = None
    pairs: AllocationPairs | None = None
    #: covering models: the reduction (columns = candidates kept) and the start-vector builder
    reduction: CoverReduction | None = None
    start_of: StartOf | None = None
    #: covering models: builds the same model on a restricted reduction (kernel search)
    rebuild: Callable[[CoverReduction], tuple[Milp, Decode, StartOf]] | None = None


def solve(
    problem: SitingProblem,
    *,
    model: str,
    threshold: float | None = None,
    p: int | None = None,
    target_share: float | Mapping[str, float] | None = None,
    budget: float | None = None,
    objective: str = "count",
    unit_rules: Sequence[UnitCoverageRule] = (),
    capacitated: bool = False,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.0,
    method: str = "auto",
    reduce: bool = True,
    warm_start: bool = True,
    max_nonzeros: int = 40_000_000,
    large_nonzeros: int = LARGE_NONZEROS,
    threads: int | None = None,
    highs_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
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
        Per-unit rules for "target" (:class:`UnitCoverageRule`).
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
    large_nonzeros
        "mclp" and "target" models larger than this (constraint non-zeros) that
        HiGHS cannot prove within a minute are solved by kernel search with a
        Lagrangian bound under "auto" (:mod:`coverage.siting.scale`): a good
        answer in seconds, its bound and gap; "optimal" only when proved.
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
    say: Progress = progress or silent
    shares = check_arguments(problem, model=model, threshold=threshold, p=p, target_share=target_share,
                             budget=budget, objective=objective, unit_rules=unit_rules, capacitated=capacitated,
                             time_limit_s=time_limit_s, method=method)
    use_cost = objective == "cost"
    say(0.0, f"building the {model} model")
    t_build = time.perf_counter()
    if model == "pmedian" and not capacitated:
        built = _build_pmedian(problem, int(p), heuristic=warm_start or method == "heuristic",  # type: ignore[arg-type]
                               time_limit_s=time_limit_s, say=say)
    elif capacitated:
        built = _build_capacitated(problem, model, threshold, p=p, budget=budget, shares=shares, use_cost=use_cost,
                                   method=method)
    else:
        built = _build_cover(problem, model, float(threshold), p=p, budget=budget,  # type: ignore[arg-type]
                             shares=shares, use_cost=use_cost, unit_rules=unit_rules, reduce=reduce,
                             heuristic=warm_start or method == "heuristic", time_limit_s=time_limit_s)
    milp = built.milp
    build_time = time.perf_counter() - t_build
    built.stats["nonzeros"] = milp.nnz
    built.stats["variables"] = len(milp.cost)
    built.stats["rows"] = milp.A.shape[0]
    say(0.05, f"model built: {len(milp.cost)} variables, {milp.A.shape[0]} rows ({build_time:.2f} s)")
    remaining = max(time_limit_s - (time.perf_counter() - t_start), 0.05)
    use_heuristic = method == "heuristic" or (method == "auto" and milp.nnz > max_nonzeros
                                              and built.heur_sel is not None)
    proved_by_bound = (built.lag_bound is not None and built.heur_obj is not None
                       and built.lag_bound >= built.heur_obj - 1e-6 * max(1.0, abs(built.heur_obj)))
    large = (method == "auto" and model in ("mclp", "target") and not capacitated and milp.nnz > large_nonzeros
             and built.heur_sel is not None and built.rebuild is not None)
    if large:
        run = _kernel(problem, built, model, p=p, budget=budget, shares=shares, use_cost=use_cost,
                      remaining_s=remaining, threads=threads, say=say)
        used = "kernel search + Lagrangian bound"
    elif proved_by_bound:
        run = SolverRun(status="optimal", x=built.start_x, objective=built.heur_obj, bound=built.heur_obj, time_s=0.0)
        used = "heuristic+lagrangian"
    elif use_heuristic:
        run = _bound_heuristic(built, model, use_cost=use_cost, remaining_s=remaining, max_nonzeros=max_nonzeros,
                               threads=threads, say=say)
        used = "heuristic"
    else:
        say(0.05, f"solving with HiGHS (limit {remaining:.0f} s)")
        run, used = _solve_exact(problem, built, model, threshold=threshold, p=p, budget=budget, shares=shares,
                                 remaining_s=remaining, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                                 threads=threads, highs_options=highs_options, progress=progress)
    built.stats["objective"] = objective
    if model == "target" and not capacitated and built.reduction is not None and run.x is not None:
        remaining = max(time_limit_s - (time.perf_counter() - t_start), 0.0)
        say(0.95, "among the fewest-site solutions, the one covering most people")
        run.x = _most_covered(problem, built, run.x, shares=shares or {}, remaining_s=remaining, threads=threads,
                              highs_options=highs_options)
    selected = sorted(built.sites_of(run.x))  # type: ignore[arg-type]
    say(1.0, f"{model}: {run.status}")
    allocation = None
    if built.pairs is not None:
        allocation = (built.pairs, built.pairs.shares(run.x))  # type: ignore[arg-type]
    return build_result(problem, model, run, selected, threshold=threshold, p=p, budget=budget,
                        target_share=target_share, build_time=build_time, solve_time=run.time_s, t_start=t_start,
                        method=used, stats=built.stats, maximize=milp.maximize, use_cost=use_cost,
                        allocation=allocation, shares=shares)


def _kernel(problem: SitingProblem, built: _Built, model: str, *, p: int | None, budget: float | None,
            shares: dict[str, float] | None, use_cost: bool, remaining_s: float, threads: int | None,
            say: Progress) -> SolverRun:
    """A large covering model by kernel search from the heuristic's answer, with the Lagrangian bound."""
    R, start_of, rebuild = built.reduction, built.start_of, built.rebuild
    if R is None or start_of is None or rebuild is None or built.heur_sel is None:
        raise SolverError(f"the {model} model has no start for the kernel search; use method='exact'")
    gvals = problem.groups.to_numpy(float)
    need = np.zeros(R.row_groups.shape[1])
    for g, share in (shares or {}).items():
        gi = list(problem.groups.columns).index(g)
        need[gi] = max(share * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum(), 0.0)
    t0 = time.perf_counter()
    found = kernel_search(problem, R, model, built.milp, start_of, rebuild, built.heur_sel, p=p, budget=budget,
                          need=need, shares=shares, use_cost=use_cost, time_limit_s=remaining_s, threads=threads,
                          say=say)
    built.stats.update(found.stats)
    status = "optimal" if found.proved else "time_limit"
    return SolverRun(status=status, x=start_of(found.cols), objective=found.objective, bound=found.bound,
                     time_s=time.perf_counter() - t0)


def _most_covered(problem: SitingProblem, built: _Built, x: npt.NDArray[np.float64], *, shares: Mapping[str, float],
                  remaining_s: float, threads: int | None,
                  highs_options: Mapping[str, Any] | None) -> npt.NDArray[np.float64]:
    """Second objective of the "target" model: most covered weight without more sites (or cost) than ``x``.

    Solves the same model with its objective capped at ``x``'s and the covered
    weight maximised (HiGHS, from ``x``, within ``remaining_s``), then swaps
    sites one for one while a swap keeps every constraint and covers more, so
    no single swap can beat the answer (what the explanations list).  Returns
    the better solution vector; ``x`` itself when nothing covers more.
    """
    milp, R, start_of = built.milp, built.reduction, built.start_of
    if R is None or start_of is None:
        return x
    k, nr = len(R.cols), R.matrix.shape[0]
    cap = float(milp.cost @ x)
    cap_hi = cap + (1e-6 if np.allclose(milp.cost[:k], np.round(milp.cost[:k])) else 1e-9 * max(1.0, abs(cap)))
    obj2 = np.zeros(len(milp.cost))
    obj2[k:k + nr] = R.row_weight
    capped = Milp(cost=obj2, lower=milp.lower, upper=milp.upper, integer=milp.integer,
                  A=sp.vstack([milp.A, sp.csc_matrix(milp.cost[None, :])], format="csc"),
                  row_lower=np.append(milp.row_lower, -_INF), row_upper=np.append(milp.row_upper, cap_hi),
                  maximize=True)
    best, best_cov = x, float(obj2 @ x)
    t0 = time.perf_counter()
    if remaining_s > 0.05:
        run2 = run_highs(capped, time_limit_s=remaining_s, start=x, threads=threads, label="target (most covered)",
                         options=highs_options)
        if run2.x is not None and is_feasible(capped, run2.x):
            y = np.round(run2.x[:k])
            cand = start_of([int(j) for j in np.flatnonzero(y > 0.5)])
            if is_feasible(capped, cand) and float(obj2 @ cand) > best_cov + 1e-9 * max(1.0, best_cov):
                best, best_cov = cand, float(obj2 @ cand)
        built.stats["second_objective_status"] = run2.status
    else:
        built.stats["second_objective_status"] = "not run (no time left)"
    sel = [int(j) for j in np.flatnonzero(best[:k] > 0.5)]
    forced = [int(j) for j in np.flatnonzero(milp.lower[:k] > 0.5)]
    # each group's need beyond what the existing sites cover (as the model has it); the other rows
    # of the capped model (count, budget, p, unit rules) are checked by ``accept``
    gvals = problem.groups.to_numpy(float)
    need = np.full(R.row_groups.shape[1], -_INF)
    for g, share in shares.items():
        gi = list(problem.groups.columns).index(g)
        need[gi] = share * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum()
    swapped = heur.swap_keep_need(R.matrix, R.row_weight, R.row_groups, need, sel, fixed=forced,
                                  accept=lambda cols: is_feasible(capped, start_of(cols)),
                                  time_limit_s=max(2.0, remaining_s - (time.perf_counter() - t0)))
    cand = start_of(swapped)
    if is_feasible(capped, cand) and float(obj2 @ cand) > best_cov + 1e-9 * max(1.0, best_cov):
        best = cand
    return best


def _build_pmedian(problem: SitingProblem, p: int, *, heuristic: bool, time_limit_s: float,
                   say: Progress) -> _Built:
    """The p-median model, reduced by the Lagrangian test and warm-started when ``heuristic``."""
    allowed = None
    heur_sel = lag_bound = None
    if heuristic:
        heur_sel, _, lag_bound, allowed = pmedian_heuristic(problem, p, time_limit_s=min(10.0, time_limit_s / 4),
                                                            say=say)
    milp, decode, start_of, stats = pmedian_model(problem, p, allowed=allowed)
    built = _Built(milp=milp, sites_of=decode, stats=stats, lag_bound=lag_bound)
    if lag_bound is not None:
        stats["lagrangian_bound"] = lag_bound
    if heur_sel is not None:
        built.heur_sel = heur_sel
        built.start_x = start_of(heur_sel)
        built.heur_obj = float(milp.cost @ built.start_x + milp.offset)
    return built


def _build_capacitated(problem: SitingProblem, model: str, threshold: float | None, *, p: int | None,
                       budget: float | None, shares: dict[str, float] | None, use_cost: bool, method: str) -> _Built:
    """A capacity-aware model (mclp, target, pmedian); these are solved exactly, without a start."""
    if model == "lscp":
        raise InputError("capacities apply to models 'mclp', 'target' and 'pmedian'")
    if model == "pmedian":
        milp, decode, stats, pairs = capacitated_pmedian_model(problem, int(p))  # type: ignore[arg-type]
    else:
        milp, decode, stats, pairs = capacitated_cover_model(problem, model, float(threshold),  # type: ignore[arg-type]
                                                             p=p, budget=budget, shares=shares, use_cost=use_cost)
    if method == "heuristic":
        raise InputError("capacity-aware models are solved exactly; use method='exact' or 'auto'")
    return _Built(milp=milp, sites_of=decode, stats=stats, pairs=pairs)


def _build_cover(problem: SitingProblem, model: str, threshold: float, *, p: int | None, budget: float | None,
                 shares: dict[str, float] | None, use_cost: bool, unit_rules: Sequence[UnitCoverageRule],
                 reduce: bool, heuristic: bool, time_limit_s: float) -> _Built:
    """A covering model (lscp, target, mclp), warm-started by the greedy heuristic when it is feasible."""
    milp, decode, start_of, stats, R = cover_model(problem, model, threshold, p=p, budget=budget, shares=shares,
                                                   use_cost=use_cost, unit_rules=unit_rules, reduce=reduce)

    def sites_of(x: npt.NDArray[np.float64]) -> list[int]:
        return [int(R.cols[c]) for c in decode(x)]

    def rebuild(Rk: CoverReduction) -> tuple[Milp, Decode, StartOf]:
        sub, dec, sub_start, _, _ = cover_model(problem, model, threshold, p=p, budget=budget, shares=shares,
                                                use_cost=use_cost, unit_rules=unit_rules, reduce=reduce, reduction=Rk)
        return sub, dec, sub_start

    built = _Built(milp=milp, sites_of=sites_of, stats=stats, reduction=R, start_of=start_of, rebuild=rebuild)
    if heuristic:
        heur_sel = cover_heuristic(problem, R, model, p=p, budget=budget, shares=shares, use_cost=use_cost,
                                   time_limit_s=min(5.0, time_limit_s / 4))
        if heur_sel is not None:
            start_x = start_of(heur_sel)
            if is_feasible(milp, start_x):
                built.heur_sel, built.start_x = heur_sel, start_x
                built.heur_obj = float(milp.cost @ start_x + milp.offset)
    return built


def _bound_heuristic(built: _Built, model: str, *, use_cost: bool, remaining_s: float, max_nonzeros: int,
                     threads: int | None, say: Progress) -> SolverRun:
    """The heuristic's solution with the best bound at hand (LP relaxation when it fits, Lagrangian)."""
    milp = built.milp
    if built.heur_sel is None:
        raise SolverError(f"the heuristic found no solution for the {model} model; use method='exact'")
    # without the LP, the variable bounds alone bound the objective (for example: all coverable weight)
    ub = np.where(np.isfinite(milp.upper), milp.upper, 0.0)
    ends = np.vstack([milp.cost * milp.lower, milp.cost * ub])
    bound = float((ends.max(axis=0) if milp.maximize else ends.min(axis=0)).sum() + milp.offset)
    t0 = time.perf_counter()
    if milp.nnz <= max_nonzeros * 2:
        say(0.5, "heuristic solution found; computing the LP bound")
        lp = run_highs(milp, time_limit_s=remaining_s, relax=True, threads=threads, label=model)
        if lp.bound is not None:
            bound = lp.bound
    if built.lag_bound is not None:
        bound = max(bound, built.lag_bound)
    if milp.integer.any() and model in ("lscp", "target") and not use_cost:
        bound = math.ceil(bound - 1e-6)
    heur_obj = built.heur_obj
    run = SolverRun(status="feasible", x=built.start_x, objective=heur_obj, bound=bound,
                    time_s=time.perf_counter() - t0)
    if heur_obj is not None and abs(heur_obj - bound) <= 1e-6 * max(1.0, abs(heur_obj)):
        run.status = "optimal"
    return run


def _solve_exact(problem: SitingProblem, built: _Built, model: str, *, threshold: float | None, p: int | None,
                 budget: float | None, shares: dict[str, float] | None, remaining_s: float, time_limit_s: float,
                 mip_rel_gap: float, threads: int | None, highs_options: Mapping[str, Any] | None,
                 progress: Progress | None) -> tuple[SolverRun, str]:
    """HiGHS from the heuristic's start; the better of the two at the limit, with the best bound known."""
    milp, start_x, heur_obj = built.milp, built.start_x, built.heur_obj
    run = run_highs(milp, time_limit_s=remaining_s, mip_rel_gap=mip_rel_gap, start=start_x, progress=progress,
                    threads=threads, label=model, options=highs_options)
    used = "milp"
    if run.status == "infeasible":
        raise InfeasibleError(infeasible_message(problem, model, threshold, p, budget, shares))
    better = (heur_obj is not None and run.objective is not None
              and ((heur_obj > run.objective + 1e-9) if milp.maximize else (heur_obj < run.objective - 1e-9)))
    if (run.x is None and built.heur_sel is not None) or (run.status != "optimal" and better):
        run.x, run.objective, used = start_x, heur_obj, "milp+heuristic"
    if run.x is None:
        raise SolverError(f"HiGHS found no solution of the {model} model within {time_limit_s:g} s"
                          f" (status {run.status}); raise time_limit_s")
    if built.lag_bound is not None and run.status != "optimal":
        # candidates dropped by the Lagrangian test cannot beat the warm start: the global bound is
        # min(warm start, bound of the reduced model), and the Lagrangian bound holds too
        reduced = run.bound if run.bound is not None else -_INF
        run.bound = max(built.lag_bound, min(heur_obj if heur_obj is not None else _INF, reduced))
    return run, used
