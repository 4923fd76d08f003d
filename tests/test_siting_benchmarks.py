"""The siting models against published results (../shared/benchmarks).

OR-Library p-median (Beasley) small instances, and spopt's San Francisco
problem (values spopt's own tests assert).  The full pmed1-pmed40 run is in
benchmarks/siting.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coverage.siting import build_problem, solve
from coverage.siting.orlib import matrix_to_od, read_orlib_pmed


def pmed_problem(shared_benchmarks, name):
    dist, p = read_orlib_pmed(shared_benchmarks / "orlib-pmed" / f"{name}.txt")
    n = len(dist)
    ids = np.arange(1, n + 1)
    od = matrix_to_od(dist, from_ids=ids, to_ids=ids)
    return build_problem(od, pd.Series(1.0, index=ids)), p


def test_pmed1_published_optimum_and_facilities(shared_benchmarks):
    prob, p = pmed_problem(shared_benchmarks, "pmed1")
    assert p == 5
    r = solve(prob, model="pmedian", p=p, time_limit_s=60)
    assert r.status == "optimal" and r.gap == 0
    assert r.objective == pytest.approx(5819)
    assert sorted(r.selected) == [7, 13, 65, 91, 99]


@pytest.mark.parametrize("name", ["pmed2", "pmed3", "pmed5", "pmed10"])
def test_small_pmed_instances_reach_the_published_optimum(shared_benchmarks, name):
    optimal = pd.read_csv(shared_benchmarks / "orlib-pmed" / "optimal.csv").set_index("instance")
    prob, p = pmed_problem(shared_benchmarks, name)
    r = solve(prob, model="pmedian", p=p, time_limit_s=60)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(optimal.loc[name, "optimal"])
    assert len(r.selected) == p


def test_repeated_edge_keeps_the_last_cost(tmp_path):
    f = tmp_path / "tiny.txt"
    f.write_text(" 3 3 1\n 1 2 10\n 2 3 1\n 1 2 4\n")
    dist, p = read_orlib_pmed(f)
    assert p == 1 and dist[0, 1] == 4 and dist[0, 2] == 5


@pytest.fixture(scope="module")
def sf(shared_benchmarks):
    folder = shared_benchmarks / "spopt-sf"
    cost = pd.read_csv(folder / "SF_cost_matrix_205x16.csv",
                       dtype={"DestinationName": str}).set_index("DestinationName")
    weights = pd.read_csv(folder / "SF_weights_sorted.csv")["POP2000"].to_numpy(float)
    od = matrix_to_od(cost.to_numpy(), from_ids=cost.index.to_numpy(), to_ids=cost.columns.to_numpy(),
                      cost_column="distance_m")
    return build_problem(od, pd.Series(weights, index=cost.index), cost_column="distance_m", cost_unit="m")


def test_sf_maximal_covering_r5000_p4(sf):
    r = solve(sf, model="mclp", threshold=5000, p=4)
    assert r.status == "optimal"
    assert r.covered_weight == pytest.approx(875_247) and r.objective == pytest.approx(875_247)
    assert int((~r.assignment["covered"]).sum()) == 21


def test_sf_pmedian_p4_mean_distance(sf):
    r = solve(sf, model="pmedian", p=4)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(2_848_268_129.7145, rel=1e-10)
    assert r.mean_cost == pytest.approx(2982.1268579890657, rel=1e-10)


def test_sf_set_covering_r5000_needs_8_sites(sf):
    r = solve(sf, model="lscp", threshold=5000)
    assert r.status == "optimal" and r.objective == 8 and len(r.selected) == 8
    assert r.covered_weight == pytest.approx(r.total_weight)


def recomputed_objective(prob, r):
    """The objective from the selected sites alone: sites, covered weight or weighted travel cost."""
    if r.model in ("lscp", "target"):
        return float(len(r.selected))
    open_mask = prob.fixed.copy()
    open_mask[prob.site_index(r.selected)] = True
    d = prob.nearest_cost(open_mask)
    if r.model == "mclp":
        return float(prob.weight[~np.isnan(d) & (d <= r.threshold)].sum())
    return float((prob.weight * d).sum())


@pytest.mark.parametrize(("model", "kw"), [("mclp", {"threshold": 5000, "p": 4}), ("pmedian", {"p": 4}),
                                           ("lscp", {"threshold": 5000}),
                                           ("target", {"threshold": 5000, "target_share": 0.9}),
                                           ("mclp", {"threshold": 3000, "p": 6, "large_nonzeros": 10})])
def test_sf_reported_objective_is_the_one_the_sites_give(sf, model, kw):
    r = solve(sf, model=model, **kw)
    assert r.objective == pytest.approx(recomputed_objective(sf, r), rel=1e-12)
    assert r.status == "optimal" or (r.gap is not None and r.gap > 0)


def test_pmed_reported_objective_is_the_one_the_sites_give(shared_benchmarks):
    prob, p = pmed_problem(shared_benchmarks, "pmed2")
    r = solve(prob, model="pmedian", p=p, time_limit_s=60)
    assert r.objective == pytest.approx(recomputed_objective(prob, r), rel=1e-12)
