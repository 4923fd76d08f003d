"""Capacity-aware models: each site serves at most its capacity, a demand point may be split.

Columns are one open variable ``y_j`` per site (the existing ones fixed open),
then one allocation variable ``x_ij`` in [0, 1] per reachable (demand, site)
pair: the share of demand point i's weight that site j serves.  Every model has
``sum_j x_ij <= 1`` (p-median: ``= 1``), ``x_ij <= y_j`` and, for every site
with a finite capacity, ``sum_i w_i x_ij <= capacity_j y_j`` (capacity in the
unit of the weights).

* :func:`capacitated_cover_model`: "mclp" (most weight served within the
  threshold) or "target" (fewest / cheapest sites serving each group's share);
* :func:`capacitated_pmedian_model`: least total weighted travel cost with
  exactly ``p`` new sites.

These models are solved exactly; there is no heuristic start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.siting.milp import AllocationPairs, Decode, Milp, stack_rows
from coverage.siting.problem import SitingProblem

__all__ = ["add_capacity_rows", "capacitated_cover_model", "capacitated_pmedian_model"]

_INF = math.inf


def _decode_sites(m: int, cand: npt.NDArray[np.bool_]) -> Decode:
    """Read the opened candidate sites (of the first ``m`` columns) back from a solution vector."""
    return lambda x: [int(j) for j in np.flatnonzero((x[:m] > 0.5) & cand)]


def add_capacity_rows(problem: SitingProblem, w: npt.NDArray[np.float64], pi: npt.NDArray[np.int64],
                      pj: npt.NDArray[np.int64], ar: npt.NDArray[np.int64], blocks: list[sp.csc_matrix],
                      rlo: list[npt.NDArray[np.float64]], rhi: list[npt.NDArray[np.float64]]) -> None:
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


def capacitated_cover_model(problem: SitingProblem, model: str, threshold: float, *, p: int | None,
                     budget: float | None, shares: dict[str, float] | None, use_cost: bool
                     ) -> tuple[Milp, Decode, dict[str, Any], AllocationPairs]:
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
    add_capacity_rows(problem, w, pi, pj, ar, blocks, rlo, rhi)
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
    milp = Milp(cost=obj, lower=np.concatenate([y_lb, np.zeros(npair)]),
                 upper=np.concatenate([np.ones(m), np.ones(npair)]),
                 integer=np.concatenate([cand, np.zeros(npair, bool)]), A=stack_rows(blocks),
                 row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi), maximize=maximize)
    stats = {"n_demand": problem.n_demand, "n_candidates": problem.n_candidates, "n_pairs": npair}

    return milp, _decode_sites(m, cand), stats, AllocationPairs(pi, pj, problem.pair_cost[keep], m)



def capacitated_pmedian_model(problem: SitingProblem, p: int
                       ) -> tuple[Milp, Decode, dict[str, Any], AllocationPairs]:
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
    add_capacity_rows(problem, w, pi, pj, ar, blocks, rlo, rhi)
    blocks.append(sp.csc_matrix(np.concatenate([cand.astype(float), np.zeros(npair)])[None, :]))
    rlo.append(np.array([float(p)]))
    rhi.append(np.array([float(p)]))
    milp = Milp(cost=np.concatenate([np.zeros(m), w[pi] * pc]),
                 lower=np.concatenate([np.where(problem.fixed | problem.forced_in, 1.0, 0.0), np.zeros(npair)]),
                 upper=np.ones(m + npair), integer=np.concatenate([cand, np.zeros(npair, bool)]),
                 A=stack_rows(blocks), row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi))

    stats = {"n_demand": problem.n_demand, "n_candidates": int(cand.sum()), "n_pairs": npair}
    return (milp, _decode_sites(m, cand), stats,
            AllocationPairs(pi, pj, pc, m))

