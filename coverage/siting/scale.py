"""Covering models too large to prove in the time limit: Lagrangian bound and kernel search.

At province scale (say 100,000 villages, 2,000 candidates) HiGHS does not
finish the root LP of the maximal-covering or target model within a minute.
:func:`kernel_search` then finds a good answer in seconds and says how good:

1. **Bound.**  The maximal-covering model with its "z_r <= sum of y over
   the sites reaching r" links relaxed by multipliers ``lam_r >= 0`` splits:
   ``L(lam) = sum_r max(0, w_r - lam_r) + the p largest sum_{r in N_j} lam_r``
   is an upper bound of the covered weight for *every* ``lam >= 0`` (evaluated
   exactly, so the bound holds whatever the subgradient search reached).
   For the target model, ``q`` sites cannot be enough when this bound with
   ``q`` sites (weights: one group's people) is below that group's need, so the
   smallest ``q`` not ruled out is a lower bound of the count.
2. **Kernel.**  The candidates the multipliers value most, with the incumbent,
   form a small restricted model (demand classes merged again over the kernel:
   thousands of rows instead of tens of thousands) that HiGHS solves in
   seconds, warm-started from the incumbent; the kernel grows while time remains.
3. **Polish.**  One-for-one swaps over all candidates (maximal covering).

The answer is always a feasible solution of the full model with its objective
recomputed; it is reported "optimal" only when the bound meets it.
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
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from coverage.progress import Progress
from coverage.siting import heuristics as heur
from coverage.siting.milp import Milp, StartOf, is_feasible, run_highs
from coverage.siting.problem import CoverReduction, SitingProblem

__all__ = ["KernelRun", "component_count", "kernel_search", "lagrangian_mclp", "restrict"]

log = logging.getLogger(__name__)

#: Models with more constraint non-zeros than this go to :func:`kernel_search` (method "auto").
LARGE_NONZEROS = 150_000

_KERNEL_SIZES = (150, 300, 600, 1200, 2400, 4800)


def restrict(R: CoverReduction, keep: npt.NDArray[np.bool_]) -> CoverReduction:
    """The reduction restricted to the candidate columns ``keep``, demand classes merged again.

    Classes that no kept column reaches drop out (their demand counts as
    uncovered); classes with the same kept columns merge.

    Parameters
    ----------
    R
        A reduction from :func:`coverage.siting.problem.reduce_cover`.
    keep
        Per column of ``R``: keep it.

    Returns
    -------
    CoverReduction
    """
    sub = R.matrix.tocsc()[:, np.flatnonzero(keep)].tocsr()
    sub.sort_indices()
    live = np.flatnonzero(np.diff(sub.indptr) > 0)
    code_of = np.full(sub.shape[0], -1, dtype=np.int64)
    if len(live):
        keys = [sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tobytes() for i in live]
        codes = pd.factorize(pd.Series(keys))[0].astype(np.int64)
        code_of[live] = codes
        n_rows = int(codes.max()) + 1
        rep = np.zeros(n_rows, dtype=np.int64)
        rep[codes[::-1]] = live[::-1]
        matrix = sub[rep]
    else:
        n_rows = 0
        matrix = sp.csr_matrix((0, int(keep.sum())))
    row_weight = np.zeros(n_rows)
    row_groups = np.zeros((n_rows, R.row_groups.shape[1]))
    np.add.at(row_weight, code_of[live], R.row_weight[live])
    np.add.at(row_groups, code_of[live], R.row_groups[live])
    old = R.row_of_demand
    row_of_demand = np.where(old >= 0, code_of[np.maximum(old, 0)], -1)
    return CoverReduction(matrix=matrix.tocsr(), cols=R.cols[keep], row_weight=row_weight, row_groups=row_groups,
                          row_of_demand=row_of_demand, covered_fixed=R.covered_fixed, n_dominated=R.n_dominated)


def component_count(R: CoverReduction) -> tuple[int, float]:
    """Connected components of the coverage graph (classes and candidates) and the largest one's share of weight."""
    M = R.matrix.tocsr()
    nr, k = M.shape
    if nr == 0 or k == 0:
        return 0, 0.0
    graph = sp.bmat([[None, M], [M.T, None]]).tocsr()
    n, label = connected_components(graph, directed=False)
    weight = np.bincount(label[:nr], weights=R.row_weight, minlength=n)
    total = float(R.row_weight.sum())
    return int(n), float(weight.max() / total) if total > 0 else 0.0


def lagrangian_mclp(matrix: sp.csc_matrix, weight: npt.NDArray[np.float64], p: int, *, incumbent: float,
                    forced: Sequence[int] = (), time_limit_s: float = 5.0, lam: npt.NDArray[np.float64] | None = None,
                    patience: int = 40, stop_below: float | None = None
                    ) -> tuple[float, npt.NDArray[np.float64]]:
    """Upper bound of the weight ``p`` columns can cover (maximal covering), by subgradient on the links.

    Parameters
    ----------
    matrix
        Rows x columns 0/1 coverage matrix.
    weight
        Weight of each row (>= 0).
    p
        Columns open, ``forced`` ones included.
    incumbent
        Weight covered by a known solution (steers the step size).
    forced
        Columns open in every solution.
    time_limit_s
        Stop after this many seconds.
    lam
        Multipliers to start from (default: half of each row's weight).
    patience
        Halve the step after this many iterations without a better bound.
    stop_below
        Stop as soon as the bound is below this value (it then rules out ``p``).

    Returns
    -------
    (bound, multipliers)
        The best (smallest) bound met and its multipliers; every bound is exact
        for its multipliers, so it holds however far the search went.
    """
    start = time.perf_counter()
    w = np.asarray(weight, float)
    M = matrix.tocsc()
    Mt = M.T.tocsr()
    n_cols = M.shape[1]
    forced_mask = np.zeros(n_cols, dtype=bool)
    forced_mask[list(forced)] = True
    n_free = max(min(p - int(forced_mask.sum()), int((~forced_mask).sum())), 0)
    lam = (0.5 * w).copy() if lam is None else np.asarray(lam, float).copy()
    best, best_lam = math.inf, lam.copy()
    mu, stall = 2.0, 0
    while True:
        c = Mt @ lam
        free = np.where(forced_mask, -np.inf, c)
        if 0 < n_free < n_cols:
            top = np.argpartition(-free, n_free - 1)[:n_free]
        else:
            top = np.flatnonzero(~forced_mask)[:n_free]
        open_mask = forced_mask.copy()
        open_mask[top] = True
        bound = float(np.maximum(w - lam, 0.0).sum() + c[open_mask].sum())
        if not math.isfinite(best) or bound < best - 1e-12 * max(1.0, abs(best)):
            best, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                mu, stall = mu / 2, 0
        if (stop_below is not None and best < stop_below) or mu < 1e-5 \
                or time.perf_counter() - start > time_limit_s:
            break
        g = M @ open_mask.astype(float) - (w > lam)
        norm = float(g @ g)
        if norm == 0:
            break
        step = mu * max(bound - incumbent, 1e-9 * max(1.0, abs(incumbent))) / norm
        lam = np.maximum(lam - step * g, 0.0)
    return best, best_lam


@dataclass
class KernelRun:
    """What :func:`kernel_search` found: columns of the reduction, objective, bound, rounds and why it stopped."""

    cols: list[int]
    objective: float
    bound: float | None
    proved: bool
    rounds: list[dict[str, Any]]
    stats: dict[str, Any]


def _ranking_weights(model: str, R: CoverReduction, shares: Mapping[str, float] | None,
                     need: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row weights that rank the candidates: covered weight (mclp), or each group's people per unit of need."""
    if model == "mclp" or not shares:
        return R.row_weight
    scale = np.where(need > 0, 1.0 / np.maximum(need, 1e-12), 0.0)
    return np.asarray(R.row_groups @ scale, float)


def kernel_search(problem: SitingProblem, R: CoverReduction, model: str, milp: Milp, start_of: StartOf,
                  build: Callable[[CoverReduction], tuple[Milp, Callable[[npt.NDArray[np.float64]], list[int]],
                                                          StartOf]],
                  start: Sequence[int], *, p: int | None, budget: float | None, need: npt.NDArray[np.float64],
                  shares: Mapping[str, float] | None, use_cost: bool, time_limit_s: float,
                  threads: int | None = None, say: Progress | None = None) -> KernelRun:
    """Best solution of a large "mclp" or "target" model within ``time_limit_s``, with a bound (module docstring).

    Parameters
    ----------
    problem, R
        The problem and its reduction (the full model's columns are ``R``'s).
    model
        "mclp" or "target".
    milp, start_of
        The full model and its start-vector builder (every answer is checked on it).
    build
        Builds the same model on a restricted reduction: model, decoder, start builder.
    start
        A feasible solution (columns of ``R``), for example greedy + swap.
    p, budget
        The model's limits (mclp: at most ``p`` sites and/or within ``budget``).
    need
        Per group, the people still to reach ("target"; existing coverage deducted).
    shares
        The target shares ("target").
    use_cost
        The target model minimises cost: no count bound is derived then.
    time_limit_s
        Wall-clock budget, seconds.
    threads
        HiGHS threads.
    say
        Progress callback.

    Returns
    -------
    KernelRun
    """
    t0 = time.perf_counter()

    def left() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    M = R.matrix.tocsc()
    k = M.shape[1]
    forced = [int(j) for j in np.flatnonzero(problem.forced_in[R.cols])]
    maximize = milp.maximize

    def value(cols: Sequence[int]) -> float | None:
        x = start_of(list(cols))
        return float(milp.cost @ x + milp.offset) if is_feasible(milp, x) else None

    best = [int(c) for c in start]
    best_val = value(best)
    if best_val is None:
        raise ValueError("kernel_search needs a feasible start")
    n_comp, largest = component_count(R)
    stats: dict[str, Any] = {"components": n_comp, "largest_component_share": round(largest, 4)}
    offset = float(milp.offset)

    # --- multipliers that rank the candidates (and bound mclp)
    w_rank = _ranking_weights(model, R, shares, need)
    q_rank = p if (model == "mclp" and p is not None) else len(best)
    cover_of = (lambda v: v - offset) if model == "mclp" else (lambda v: 0.0)
    inc_rank = float(w_rank[np.asarray(M[:, best].sum(axis=1)).ravel() > 0].sum()) if best else 0.0
    lag_s = min(0.15 * time_limit_s, 10.0)
    _, lam = lagrangian_mclp(M, w_rank, max(q_rank, 1), incumbent=inc_rank, forced=forced, time_limit_s=lag_s)
    stats["lagrangian_rank_s"] = round(time.perf_counter() - t0, 2)
    score = np.asarray(M.T @ lam).ravel()
    order = np.argsort(-score, kind="stable")

    rounds: list[dict[str, Any]] = []
    proved = False
    full_bound: float | None = None   # HiGHS's bound when a kernel was the whole model
    reserve = 0.2 * time_limit_s   # kept for the bound at the end
    for size in _KERNEL_SIZES:
        if left() - reserve < 1.0:
            break
        keep = np.zeros(k, dtype=bool)
        keep[order[:min(size, k)]] = True
        keep[best] = True
        keep[forced] = True
        Rk = restrict(R, keep)
        sub, decode, sub_start = build(Rk)
        pos = {int(c): i for i, c in enumerate(np.flatnonzero(keep))}
        t_round = time.perf_counter()
        limit = max(min(left() - reserve, 0.5 * left()), 0.5)
        run = run_highs(sub, time_limit_s=limit, start=sub_start([pos[c] for c in best]), threads=threads,
                        label=f"{model} kernel")
        cols = sorted(int(np.flatnonzero(keep)[c]) for c in decode(run.x)) if run.x is not None else best
        if model == "mclp" and p is not None and budget is None:
            cols = heur.swap_cover(M, R.row_weight, cols, fixed=forced,
                                   time_limit_s=min(5.0, max(left() - reserve, 0.1)))
        val = value(cols)
        improved = val is not None and ((val > best_val + 1e-9 * max(1.0, abs(best_val))) if maximize
                                        else (val < best_val - 1e-9 * max(1.0, abs(best_val))))
        if improved:
            best, best_val = cols, float(val)  # type: ignore[arg-type]
        rounds.append({"kernel": int(keep.sum()), "rows": int(Rk.matrix.shape[0]), "status": run.status,
                       "objective": best_val, "seconds": round(time.perf_counter() - t_round, 2)})
        if say is not None:
            say(min(0.1 + 0.8 * (time.perf_counter() - t0) / time_limit_s, 0.9),
                f"{model}: kernel of {int(keep.sum())} candidates, best {best_val:,.6g}")
        if keep.all():   # the kernel is the whole model: HiGHS's bound is the model's
            full_bound = run.bound
            if run.status == "optimal":
                proved = True
            break

    # --- the bound, with the time kept for it
    bound: float | None = None
    if proved:
        bound = best_val
    elif model == "mclp":
        q = _cardinality(problem, R, p, budget)
        b, _ = lagrangian_mclp(M, R.row_weight, q, incumbent=cover_of(best_val), forced=forced,
                               lam=lam if q == q_rank and w_rank is R.row_weight else None,
                               time_limit_s=max(left() - 0.5, 0.5), patience=50)
        bound = min(b + offset, float(R.row_weight.sum()) + offset)
    elif not use_cost and shares:
        bound = _count_bound(R, M, need, len(best), forced, deadline=t0 + time_limit_s - 0.3)
    if full_bound is not None and not proved:
        bound = full_bound if bound is None else (min(bound, full_bound) if maximize else max(bound, full_bound))
        if not maximize and not use_cost:
            bound = float(math.ceil(bound - 1e-6))
    if bound is not None and not proved:
        proved = (bound <= best_val + 1e-6 * max(1.0, abs(best_val))) if maximize else (bound >= best_val - 1e-6)
    stats["kernel_rounds"] = rounds
    log.info("%s kernel search: %s after %d rounds, bound %s, %.1f s", model, best_val, len(rounds), bound,
             time.perf_counter() - t0)
    return KernelRun(cols=best, objective=float(best_val), bound=bound, proved=proved, rounds=rounds, stats=stats)


def _cardinality(problem: SitingProblem, R: CoverReduction, p: int | None, budget: float | None) -> int:
    """Most sites a solution can open: ``p``, or as many of the cheapest as the budget buys."""
    k = len(R.cols)
    q = k if p is None else min(p, k)
    if budget is not None:
        costs = np.sort(problem.cost[R.cols])
        q = min(q, int(np.searchsorted(np.cumsum(costs), budget + 1e-9 * max(1.0, budget), side="right")))
    return max(q, 1)


def _count_bound(R: CoverReduction, M: sp.csc_matrix, need: npt.NDArray[np.float64], count: int,
                 forced: Sequence[int], *, deadline: float) -> float:
    """Fewest sites the target needs at least: the smallest ``q`` whose covering bound reaches every group's need."""
    lo, hi = max(len(forced), 1), count   # count sites are enough; q < lo is impossible
    for gi in np.flatnonzero(need > 0):
        g = R.row_groups[:, gi]
        lam = None
        # is count - 1 ruled out?  then lower q, halving the interval, while time remains
        a, b = lo, hi
        first = True
        while a < b and time.perf_counter() < deadline - 0.2:
            q = b - 1 if first else (a + b) // 2   # first: can one site fewer do?  then halve
            first = False
            share = (deadline - time.perf_counter()) / 4
            ub, lam = lagrangian_mclp(M, g, q, incumbent=float(need[gi]), forced=forced, lam=lam,
                                      time_limit_s=max(share, 0.2), stop_below=float(need[gi]) * (1 - 1e-9))
            if ub < need[gi] * (1 - 1e-9):
                a = q + 1          # q sites cannot reach the group's need
            else:
                b = q              # not ruled out
        lo = max(lo, a)
    return float(lo)
