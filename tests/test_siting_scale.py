"""Large covering models: kernel search with a Lagrangian bound (coverage.siting.scale).

The instance is the seeded clustered one of benchmarks/siting_scale.py at a
size the test machine solves exactly, with ``large_nonzeros`` lowered so that
"auto" takes the large-model path; the exact answer then judges it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from coverage.siting import solve
from coverage.siting.heuristics import greedy_cover
from coverage.siting.problem import reduce_cover
from coverage.siting.scale import lagrangian_mclp, restrict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from siting_scale import recomputed, scale_problem

RADIUS_M = 4_000.0


@pytest.fixture(scope="module")
def prob():
    return scale_problem(n_demand=4_000, n_cand=400, radius_m=RADIUS_M, seed=7)


@pytest.fixture(scope="module")
def dense():
    # one connected component, 1,000 candidates: the kernels stop short of the whole model in 6 s
    return scale_problem(n_demand=6_000, n_cand=1_000, radius_m=5_000.0, seed=7)


@pytest.fixture(scope="module")
def exact(prob):
    return {"mclp": solve(prob, model="mclp", threshold=RADIUS_M, p=12, method="exact", time_limit_s=120),
            "target": solve(prob, model="target", threshold=RADIUS_M, target_share=0.6, method="exact",
                            time_limit_s=120)}


@pytest.mark.parametrize(("which", "radius_m", "p", "limit_s"), [("prob", RADIUS_M, 12, 20), ("dense", 5_000.0, 20, 6)])
def test_large_mclp_is_near_the_optimum_with_an_honest_bound(request, which, radius_m, p, limit_s):
    prob = request.getfixturevalue(which)
    best = solve(prob, model="mclp", threshold=radius_m, p=p, method="exact", time_limit_s=120)
    assert best.status == "optimal"
    r = solve(prob, model="mclp", threshold=radius_m, p=p, time_limit_s=limit_s, large_nonzeros=1_000)
    assert r.method.startswith("kernel search")
    assert r.objective == pytest.approx(recomputed(prob, r, radius_m))      # what the sites cover
    assert r.objective <= best.objective + 1e-6 <= r.bound + 2e-6           # the bound bounds the optimum
    assert r.objective >= 0.995 * best.objective
    R = reduce_cover(prob, radius_m)
    sel = greedy_cover(R.matrix, R.row_weight, p=p)
    greedy = float(R.row_weight[np.asarray(R.matrix[:, sel].sum(axis=1)).ravel() > 0].sum())
    assert r.objective >= greedy - 1e-6                                     # never worse than greedy
    if r.status == "optimal":
        assert r.objective == pytest.approx(best.objective) and r.gap == 0
    else:
        assert r.status == "time_limit" and r.gap > 0 and "time limit" in r.message


def test_large_target_meets_the_target_with_at_most_one_site_more(prob, exact):
    best = exact["target"]
    assert best.status == "optimal"
    r = solve(prob, model="target", threshold=RADIUS_M, target_share=0.6, time_limit_s=20, large_nonzeros=1_000)
    assert r.method.startswith("kernel search")
    assert r.covered_share >= 0.6 - 1e-12 and r.objective == len(r.selected)
    assert best.objective <= r.objective <= best.objective + 1
    assert r.bound <= best.objective + 1e-9                                 # a lower bound of the count
    assert r.status == ("optimal" if r.bound >= r.objective - 1e-9 else "time_limit")


def test_large_target_on_one_component_never_needs_more_sites_than_greedy(dense):
    r = solve(dense, model="target", threshold=5_000.0, target_share=0.7, time_limit_s=6, large_nonzeros=1_000)
    R = reduce_cover(dense, 5_000.0)
    need = np.array([0.7 * dense.weight.sum() - dense.weight[R.covered_fixed].sum()])
    greedy = greedy_cover(R.matrix, R.row_groups, need=need)
    assert r.covered_share >= 0.7 - 1e-12 and r.objective == len(r.selected) <= len(greedy)
    assert r.objective == recomputed(dense, r, 5_000.0)
    assert r.bound <= r.objective and r.gap == pytest.approx((r.objective - r.bound) / r.objective)
    assert r.status == ("optimal" if r.bound == r.objective else "time_limit")


def test_lagrangian_bound_holds_for_any_multipliers_and_restriction_keeps_the_people(prob, exact):
    R = reduce_cover(prob, RADIUS_M)
    offset = float(prob.weight[R.covered_fixed].sum())
    for lam in (np.zeros(len(R.row_weight)), R.row_weight, None):
        bound, _ = lagrangian_mclp(R.matrix.tocsc(), R.row_weight, 12, incumbent=0.0, lam=lam, time_limit_s=0.5)
        assert bound + offset >= exact["mclp"].objective - 1e-6
    keep = np.zeros(len(R.cols), bool)
    keep[::3] = True
    Rk = restrict(R, keep)
    reach = np.asarray(R.matrix[:, np.flatnonzero(keep)].sum(axis=1)).ravel() > 0
    assert Rk.row_weight.sum() == pytest.approx(R.row_weight[reach].sum())
    assert Rk.matrix.shape == (len(np.unique(Rk.row_of_demand[Rk.row_of_demand >= 0])), keep.sum())
