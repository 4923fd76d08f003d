"""Fuzzed siting inputs: small OD tables and demand weights of every awkward kind.

Whatever the input (empty tables, NaN, inf, negative or text weights and costs,
duplicate ids, ids on one side only, capacities), the library either raises one
of its own errors (:class:`coverage.errors.CoverageError`) or returns a result
whose objective is the one its chosen sites achieve.  Seeded (derandomized).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.errors import CoverageError
from coverage.siting import SitingProblem, SitingResult, build_problem, propose_sites, solve


def fuzz(n: int) -> settings:
    """Seeded (derandomized) settings for ``n`` examples, no deadline, no example database."""
    return settings(derandomize=True, deadline=None, database=None, max_examples=n,
                    suppress_health_check=[HealthCheck.too_slow])

DEMAND_IDS = ["a", "b", "c", "d", "e"]
SITE_IDS = ["s1", "s2", "s3", "s4", "E1", "E2"]

good_costs = st.one_of(st.floats(min_value=0, max_value=60, allow_nan=False).map(lambda x: round(x, 1)),
                       st.sampled_from([0.0, 5.0, 10.0, 15.0]))
bad_costs = st.sampled_from([math.nan, math.inf, -1.0, None, "x", "", " 7 "])
good_weights = st.one_of(st.integers(min_value=0, max_value=100).map(float), st.sampled_from([0.0, 1.0, 1e6]))
bad_weights = st.sampled_from([math.nan, math.inf, -math.inf, -5.0, None, "NA", "12", "abc", ""])


def od_rows_of(costs: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(st.tuples(st.sampled_from([*DEMAND_IDS, "zz"]), st.sampled_from(SITE_IDS), costs),
                    min_size=0, max_size=20)


def weights_of(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(st.tuples(st.sampled_from(DEMAND_IDS), values), min_size=0, max_size=6)


# clean tables half the time (so that many solves succeed and are checked), tables with bad cells otherwise
od_rows = st.one_of(od_rows_of(good_costs), od_rows_of(st.one_of(good_costs, bad_costs)))
weights = st.one_of(weights_of(good_weights).map(lambda w: list(dict(w).items())),
                    weights_of(good_weights), weights_of(st.one_of(good_weights, bad_weights)))

def objective_of(prob: SitingProblem, r: SitingResult, use_cost: bool) -> float:
    """The objective recomputed here: from the chosen sites, or the capacity-aware allocation."""
    chosen = np.zeros(prob.n_sites, bool)
    chosen[prob.site_index(r.selected)] = True
    if r.model in ("lscp", "target"):
        return float(prob.cost[chosen].sum()) if use_cost else float(chosen.sum())
    a = r.assignment
    if "share" in a.columns and len(a) > prob.n_demand:   # a split allocation (capacity-aware)
        w, c = a["weight"].to_numpy(float), a["cost"].to_numpy(float)
        if r.model == "mclp":
            return float(w[a["covered"].to_numpy(bool)].sum())
        return float((w * c)[w > 0].sum())
    open_ = chosen | prob.fixed
    best = np.full(prob.n_demand, np.inf)
    for i, j, c in zip(prob.pair_demand, prob.pair_site, prob.pair_cost, strict=True):
        if open_[j]:
            best[i] = min(best[i], c)
    if r.model == "mclp":
        return float(prob.weight[best <= r.threshold].sum())
    pos = prob.weight > 0
    return float((prob.weight[pos] * best[pos]).sum())


def check_result(prob: SitingProblem, r: SitingResult, *, use_cost: bool, capacitated: bool) -> None:
    assert r.status in ("optimal", "feasible", "time_limit")
    assert r.objective == pytest.approx(objective_of(prob, r, use_cost), rel=1e-6, abs=1e-6)
    assert 0 <= r.covered_weight <= r.total_weight + 1e-6
    a = r.assignment
    open_ids = set(r.selected) | set(r.fixed)
    assert set(a["to_id"].dropna()) <= open_ids
    # every demand point's people appear exactly once in all
    per_point = a.groupby("from_id", sort=False)["weight"].sum()
    assert per_point.reindex(prob.demand_ids).to_numpy() == pytest.approx(prob.weight, abs=1e-6)
    if capacitated:
        cap = pd.Series(prob.capacity, index=prob.site_ids)
        served = a.dropna(subset=["to_id"]).groupby("to_id")["weight"].sum()
        for sid, w in served.items():
            if np.isfinite(cap[sid]):
                assert w <= cap[sid] + 1e-5
    frame = r.to_frame()
    assert frame["weight_served"].sum() <= r.total_weight + 1e-6


@given(rows=od_rows, wts=weights,
       fixed=st.lists(st.sampled_from(["E1", "E2"]), unique=True, max_size=2),
       model=st.sampled_from(["mclp", "target", "lscp", "pmedian"]),
       threshold=st.sampled_from([0.0, 5.0, 10.0, 30.0]),
       p=st.integers(min_value=1, max_value=4), share=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
       capacities=st.one_of(st.none(), st.dictionaries(st.sampled_from(SITE_IDS),
                                                       st.sampled_from([0.0, 1.0, 5.0, 50.0, math.nan, -1.0]),
                                                       max_size=4)),
       use_cost=st.booleans(), text_ids=st.booleans())
@fuzz(700)
def test_build_and_solve_raise_only_project_errors_and_report_true_objectives(
        rows, wts, fixed, model, threshold, p, share, capacities, use_cost, text_ids):
    od = pd.DataFrame(rows, columns=["from_id", "to_id", "travel_time_min"])
    demand = pd.DataFrame(wts, columns=["id", "weight"])
    if text_ids:  # ids in pandas' text dtype, as read from a CSV with dtype=str
        od = od.astype({"from_id": "str", "to_id": "str"})
        demand = demand.astype({"id": "str"})
    capacitated = capacities is not None and model != "lscp"
    try:
        prob = build_problem(od, demand, fixed=fixed, site_capacity=capacities,
                             site_cost={s: float(k + 1) for k, s in enumerate(SITE_IDS)})
        kwargs = {"mclp": {"threshold": threshold, "p": p}, "target": {"threshold": threshold, "target_share": share},
                  "lscp": {"threshold": threshold}, "pmedian": {"p": p}}[model]
        objective = "cost" if use_cost and model in ("lscp", "target") else "count"
        r = solve(prob, model=model, objective=objective, capacitated=capacitated, time_limit_s=10, **kwargs)
    except CoverageError:
        return
    check_result(prob, r, use_cost=objective == "cost", capacitated=capacitated)


@given(rows=od_rows, wts=weights, model=st.sampled_from(["mclp", "target", "pmedian"]),
       p=st.integers(min_value=1, max_value=3), ids_as_numbers=st.booleans())
@fuzz(250)
def test_propose_sites_raises_only_project_errors(rows, wts, model, p, ids_as_numbers):
    od = pd.DataFrame(rows, columns=["from_id", "to_id", "travel_time_min"])
    od_e = od[od["to_id"].str.startswith("E")]
    od_c = od[~od["to_id"].str.startswith("E")]
    demand = pd.DataFrame(wts, columns=["id", "elderly_60plus"])
    if ids_as_numbers:  # ids read from a CSV as numbers on one side only
        demand["id"] = demand["id"].map({k: i for i, k in enumerate(DEMAND_IDS)})
    cands = pd.DataFrame({"id": ["s1", "s2", "s3", "s4"], "cost_10k_yuan": [10.0, 20.0, math.nan, 5.0]})
    try:
        prop = propose_sites(demand, od_e, od_c, cands, threshold_min=10, model=model, p=p, target_share=0.8)
    except CoverageError:
        return
    check_result(prop.problem, prop.result, use_cost=False, capacitated=False)
    assert sorted(prop.sites["id"]) == sorted(prop.result.selected)
