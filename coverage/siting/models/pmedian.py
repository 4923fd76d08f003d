"""The p-median model without capacities, and its heuristic start and Lagrangian bound.

The model is the radius formulation (Elloumi 2010; García, Labbé & Marín 2011)
written with chained covering variables: for each demand point, one row per
distinct distance level ``D(g)`` to a site, and a variable ``z_g`` = 1 when the
point is served farther than level g.  The objective is
``sum_i w_i (D(first) + sum_g (D(g+1) - D(g)) z_g)``, so the model's size stays
O(reachable pairs).  Levels beyond the nearest existing site, or beyond the
``(candidates - p + 1)``-th nearest candidate, are never needed and dropped.

:func:`pmedian_heuristic` runs greedy + swap, a Lagrangian bound (Beasley) and
the candidate reduction that bound allows; when the heuristic meets the bound the
solution is proved optimal without branching.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.progress import Progress
from coverage.siting import heuristics as heur
from coverage.siting.milp import Decode, Milp, StartOf, stack_rows
from coverage.siting.problem import SitingProblem

__all__ = ["pmedian_heuristic", "pmedian_model"]

log = logging.getLogger(__name__)

_INF = math.inf


def pmedian_model(problem: SitingProblem, p: int, *, allowed: npt.NDArray[np.bool_] | None = None
                  ) -> tuple[Milp, Decode, StartOf, dict[str, Any]]:
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
    milp = Milp(
        cost=np.concatenate([np.zeros(m), zcost]),
        lower=np.concatenate([np.where(problem.fixed | problem.forced_in, 1.0, 0.0), np.zeros(nz)]),
        upper=np.concatenate([np.where(ok, 1.0, 0.0), np.full(nz, _INF)]),
        integer=np.concatenate([cand, np.zeros(nz, bool)]),
        A=stack_rows([A, card]),
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



def pmedian_heuristic(problem: SitingProblem, p: int, *, time_limit_s: float, say: Progress
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
    fixed = [int(j) for j in np.flatnonzero(problem.fixed)]
    forced = [int(j) for j in np.flatnonzero(problem.forced_in)]
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

