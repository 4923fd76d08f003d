"""Siting models on a hand-built instance whose answers are known by hand.

Six villages a..f, four candidate sites s1..s4 (travel minutes; absent = unreachable):

    a: s1 5, s2 20        weight 10
    b: s1 8, s3 12        weight 20
    c: s2 3               weight 31
    d: s3 4, s4 9         weight 15
    e: s4 2               weight 25
    f: (no pair at all)   weight 5      total 106

Within 10 min: s1 covers a, b (30); s2 covers c (31); s3 covers d (15); s4 covers d, e (40).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coverage.errors import InfeasibleError, InputError, MissingColumnError, SolverError
from coverage.siting import UnitCoverageRule, build_problem, explain_sites, solve

PAIRS = [("a", "s1", 5), ("a", "s2", 20), ("b", "s1", 8), ("b", "s3", 12), ("c", "s2", 3),
         ("d", "s3", 4), ("d", "s4", 9), ("e", "s4", 2)]
WEIGHTS = {"a": 10.0, "b": 20.0, "c": 31.0, "d": 15.0, "e": 25.0, "f": 5.0}


def od_table(pairs=PAIRS) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["from_id", "to_id", "travel_time_min"])


def problem(**kw):
    return build_problem(od_table(), pd.Series(WEIGHTS), **kw)


def test_mclp_picks_the_sites_a_planner_would_by_hand():
    prob = problem()
    assert prob.unreachable_ids == ["f"]
    r1 = solve(prob, model="mclp", threshold=10, p=1)
    assert r1.selected == ["s4"] and r1.objective == pytest.approx(40)
    r2 = solve(prob, model="mclp", threshold=10, p=2)
    assert sorted(r2.selected) == ["s2", "s4"] and r2.covered_weight == pytest.approx(71)
    assert r2.status == "optimal" and r2.gap == 0 and r2.bound == pytest.approx(71)
    # f is absent from the OD table: it counts as uncovered and the message says so
    r3 = solve(prob, model="mclp", threshold=10, p=3)
    assert r3.covered_weight == pytest.approx(101) and r3.total_weight == pytest.approx(106)
    assert "absent from the OD table" in r3.message
    assert pd.isna(r3.assignment.set_index("from_id").loc["f", "to_id"])
    assert np.isnan(r3.assignment.set_index("from_id").loc["f", "cost"])


def test_threshold_is_inclusive_and_changes_the_answer():
    prob = problem()
    # at 12 min s3 also reaches b: s3 alone covers b + d = 35 < s4's 40, but s1+s4 vs s3+...: check p=1 unchanged
    assert solve(prob, model="mclp", threshold=12, p=1).selected == ["s4"]
    # at 9 min (inclusive) s4 still reaches d
    assert solve(prob, model="mclp", threshold=9, p=1).objective == pytest.approx(40)
    # at 8.9 min s4 only reaches e (25) and s2 (c, 31) wins
    assert solve(prob, model="mclp", threshold=8.9, p=1).selected == ["s2"]


def test_lscp_covers_every_coverable_point_and_reports_the_rest():
    r = solve(problem(), model="lscp", threshold=10)
    assert sorted(r.selected) == ["s1", "s2", "s4"] and r.objective == 3
    assert "1 demand points cannot be reached" in r.message


def test_target_share_fewest_sites_and_infeasible_target_says_the_best_share():
    prob = problem()
    assert solve(prob, model="target", threshold=10, target_share=0.6).objective == 2   # 63.6 <= 71
    assert solve(prob, model="target", threshold=10, target_share=0.9).objective == 3   # 95.4 <= 101
    with pytest.raises(InfeasibleError, match=r"at most 95\.3%"):
        solve(prob, model="target", threshold=10, target_share=0.97)


def test_least_cost_objective_and_budget():
    cost = {"s1": 100.0, "s2": 10.0, "s3": 5.0, "s4": 80.0}
    prob = problem(site_cost=cost)
    # 60% = 63.6: cheapest way is s2 + s4 (90) rather than s1 + s2 ... (110)
    r = solve(prob, model="target", threshold=10, target_share=0.6, objective="cost")
    assert sorted(r.selected) == ["s2", "s4"] and r.objective == pytest.approx(90) and r.total_cost == 90
    # budget 20 buys s2 + s3 (46 covered) but not s4
    rb = solve(prob, model="mclp", threshold=10, budget=20)
    assert sorted(rb.selected) == ["s2", "s3"] and rb.objective == pytest.approx(46)
    with pytest.raises(InfeasibleError, match="more than the budget"):
        solve(problem(site_cost=cost, forced_in=["s1"]), model="mclp", threshold=10, budget=20)


def test_existing_facilities_stay_open_and_are_not_counted():
    od = od_table([*PAIRS, ("e", "X", 1.0)])
    prob = build_problem(od, pd.Series(WEIGHTS), fixed=["X"])
    r = solve(prob, model="mclp", threshold=10, p=1)
    # e is already covered by X, so s4 only adds d (15): s2 (31) wins
    assert r.selected == ["s2"] and r.fixed == ["X"]
    assert r.covered_weight == pytest.approx(25 + 31)


def test_forced_in_and_out():
    r = solve(problem(forced_in=["s3"]), model="mclp", threshold=10, p=2)
    assert sorted(r.selected) == ["s2", "s3"] and r.objective == pytest.approx(46)   # not s4: d is s3's already
    r = solve(problem(forced_out=["s4"]), model="mclp", threshold=10, p=1)
    assert r.selected == ["s2"]
    with pytest.raises(InputError, match="both forced in and forced out"):
        problem(forced_in=["s1"], forced_out=["s1"])
    with pytest.raises(InputError, match="not candidate sites: zz"):
        problem(forced_in=["zz"])


def test_pmedian_mean_travel_time_and_unreachable_demand_is_refused():
    weights = {k: v for k, v in WEIGHTS.items() if k != "f"}
    prob = build_problem(od_table(), pd.Series(weights))
    r = solve(prob, model="pmedian", p=3)
    # s1 (a 5, b 8), s2 (c 3), s4 (d 9, e 2): 50+160+93+135+50 = 488; with s3 instead of s4 e is unreachable
    assert sorted(r.selected) == ["s1", "s2", "s4"] and r.objective == pytest.approx(488)
    assert r.mean_cost == pytest.approx(488 / 101)
    with pytest.raises(InfeasibleError, match="no solution"):
        solve(prob, model="pmedian", p=1)   # no single site reaches everyone
    with pytest.raises(InputError, match="1 have no site in the OD table: f"):
        solve(problem(), model="pmedian", p=2)


def test_capacity_limits_what_a_site_serves():
    prob = problem(site_capacity={"s4": 20.0})
    r = solve(prob, model="mclp", threshold=10, p=1, capacitated=True)
    assert r.selected == ["s2"] and r.objective == pytest.approx(31)
    r2 = solve(prob, model="mclp", threshold=10, p=2, capacitated=True)
    assert sorted(r2.selected) == ["s1", "s2"] and r2.objective == pytest.approx(61)


def test_several_groups_with_weights_and_targets_per_group():
    demand = pd.DataFrame({"id": list("abcdef"), "elderly_60plus": [10, 20, 31, 15, 0, 5],
                           "left_behind_children": [0, 0, 0, 0, 25, 0]})
    prob = build_problem(od_table(), demand, weight_columns=["elderly_60plus", "left_behind_children"],
                         group_weights={"elderly_60plus": 1.0, "left_behind_children": 2.0})
    assert prob.weight.tolist() == [10, 20, 31, 15, 50, 5]
    r = solve(prob, model="mclp", threshold=10, p=1)
    assert r.selected == ["s4"] and r.objective == pytest.approx(65)
    groups = r.by_group.set_index("group")
    assert groups.loc["left_behind_children", "covered_share"] == pytest.approx(1.0)
    assert groups.loc["elderly_60plus", "covered"] == pytest.approx(15)
    # 老幼共托: half of the older people AND all children -> s4 plus one of s1/s2
    rt = solve(prob, model="target", threshold=10,
               target_share={"elderly_60plus": 0.5, "left_behind_children": 1.0})
    assert rt.objective == 2 and "s4" in rt.selected


def test_unit_rules_every_village_and_share_of_townships():
    weights = {k: v for k, v in WEIGHTS.items() if k != "f"}
    prob = build_problem(od_table(), pd.Series(weights))
    villages = UnitCoverageRule("village", pd.Series({k: k for k in weights}), min_share=1.0)
    r = solve(prob, model="target", threshold=10, target_share=0.1, unit_rules=[villages])
    assert r.objective == 3   # every village: s1, s2, s4
    towns = pd.Series({"a": "T1", "b": "T1", "c": "T2", "d": "T3", "e": "T3"})
    # 2 of 3 townships (66%) fully covered: s4 (T3) + s1 (T1) or s2 (T2)
    r = solve(prob, model="target", threshold=10, target_share=0.0,
              unit_rules=[UnitCoverageRule("township", towns, 0.6)])
    assert r.objective == 2 and "s4" in r.selected
    r = solve(prob, model="target", threshold=10, target_share=0.0,
              unit_rules=[UnitCoverageRule("township", towns, 1.0, how="any")])
    assert r.objective == 3
    with pytest.raises(InfeasibleError, match=r"unit rule 'village'.*at most 5"):
        solve(problem(), model="target", threshold=10, target_share=0.1,
              unit_rules=[UnitCoverageRule("village", pd.Series({k: k for k in WEIGHTS}), 1.0)])


def test_bad_input_messages():
    prob = problem()
    with pytest.raises(InputError, match="p=5 is larger than the 4 candidate sites"):
        solve(prob, model="mclp", threshold=10, p=5)
    with pytest.raises(InputError, match="needs a threshold"):
        solve(prob, model="mclp", p=2)
    with pytest.raises(InputError, match="needs target_share"):
        solve(prob, model="target", threshold=10)
    with pytest.raises(InputError, match="between 0 and 1"):
        solve(prob, model="target", threshold=10, target_share=95)
    with pytest.raises(InputError, match="unknown siting model 'pcenter'"):
        solve(prob, model="pcenter", p=1)
    with pytest.raises(InputError, match="needs p"):
        solve(prob, model="pmedian")
    bad = od_table()
    bad.loc[2, "travel_time_min"] = -3
    with pytest.raises(InputError, match=r"row 4: travel_time_min = -3.0 is negative"):
        build_problem(bad, pd.Series(WEIGHTS))
    with pytest.raises(InputError, match="site 's1': cost -1.0 is negative"):
        problem(site_cost={"s1": -1.0})
    with pytest.raises(MissingColumnError, match="column 'travel_time_min' is missing"):
        build_problem(od_table().rename(columns={"travel_time_min": "minutes"}), pd.Series(WEIGHTS))
    with pytest.raises(InputError, match="id 'b': weight column 'weight' value '-1.0' is negative"):
        build_problem(od_table(), pd.Series({**WEIGHTS, "b": -1.0}))


def test_explanations_order_by_marginal_gain_with_alternatives():
    prob = problem()
    r = solve(prob, model="mclp", threshold=10, p=3)
    ex = explain_sites(prob, r)
    assert ex["site_id"].tolist() == ["s4", "s2", "s1"]
    assert ex["gain"].tolist() == pytest.approx([40, 31, 30])
    first = ex.iloc[0]
    assert sorted(first["new_point_ids"]) == ["d", "e"] and first["n_new_points"] == 2
    # s4 is the nearest open site of d and e; without it d falls back to nothing within reach (s3 not open)
    assert first["n_served"] == 2 and first["mean_time_after_min"] == pytest.approx((15 * 9 + 25 * 2) / 40)
    # in place of s4, s3 would cover 61 + 15 = 76 (25 less than the 101 with s4)
    assert first["alternatives"][0]["id"] == "s3"
    assert first["alternatives"][0]["value"] == pytest.approx(76)
    assert first["alternatives"][0]["vs_chosen"] == pytest.approx(-25)
    assert first["loss_without"] == pytest.approx(40)


def test_progress_callback_and_json_result():
    calls: list[tuple[float, str]] = []
    r = solve(problem(), model="mclp", threshold=10, p=2, progress=lambda f, m: calls.append((f, m)))
    assert calls and calls[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in calls)
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)
    d = json.loads(json.dumps(r.to_dict()))
    for key in ("status", "objective", "bound", "gap", "selected", "covered_weight", "time_s"):
        assert key in d
    frame = r.to_frame()
    assert frame.set_index("id").loc["s4", "weight_served"] == pytest.approx(40)


def test_heuristic_method_reports_a_bound_and_never_claims_more_than_proved():
    rng = np.random.default_rng(7)
    n, m = 300, 60
    xy_d, xy_s = rng.random((n, 2)) * 10, rng.random((m, 2)) * 10
    dist = np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    i, j = np.nonzero(dist <= 2.0)
    od = pd.DataFrame({"from_id": i, "to_id": j, "travel_time_min": dist[i, j]})
    prob = build_problem(od, pd.Series(rng.integers(1, 100, n).astype(float), index=np.arange(n)))
    exact = solve(prob, model="mclp", threshold=1.5, p=5)
    heur = solve(prob, model="mclp", threshold=1.5, p=5, method="heuristic")
    assert exact.status == "optimal"
    assert heur.objective <= exact.objective + 1e-9
    assert heur.bound >= exact.objective - 1e-6          # the LP bound is an upper bound of a maximisation
    if heur.objective < exact.objective - 1e-9:
        assert heur.status == "feasible" and heur.gap > 0
    assert heur.method == "heuristic"


def test_time_limit_is_reported_not_called_optimal():
    rng = np.random.default_rng(3)
    n = 250
    xy = rng.random((n, 2)) * 100
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)).round()
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    od = pd.DataFrame({"from_id": i.ravel(), "to_id": j.ravel(), "travel_time_min": dist.ravel()})
    prob = build_problem(od, pd.Series(1.0, index=np.arange(n)))
    with pytest.raises(SolverError, match="no solution of the pmedian model within 0.05 s"):
        solve(prob, model="pmedian", p=5, time_limit_s=0.05, warm_start=False)
    r = solve(prob, model="pmedian", p=5, time_limit_s=0.05)   # warm start: a solution, no proof
    assert r.status == "time_limit" and r.gap > 0 and r.bound < r.objective
    assert "time limit" in r.message and len(r.selected) == 5


def test_reduction_merges_identical_villages_and_drops_dominated_sites():
    from coverage.siting.problem import reduce_cover

    R = reduce_cover(problem(), 10)
    # s3 reaches only d, which s4 also reaches at no more cost: dropped; a+b and d+e share their sites
    assert R.n_dominated == 1 and R.matrix.shape == (3, 3)
    assert sorted(R.row_weight.tolist()) == [30, 31, 40]
    # a candidate the planner forces in is never dropped
    assert reduce_cover(problem(forced_in=["s3"]), 10).n_dominated == 0


def test_pmedian_explanation_orders_by_people_reached_then_time_saved():
    weights = {k: v for k, v in WEIGHTS.items() if k != "f"}
    prob = build_problem(od_table(), pd.Series(weights))
    r = solve(prob, model="pmedian", p=3)
    ex = explain_sites(prob, r)
    # s2 reaches a (at 20 min) and c: 41 people; then s4 reaches d and e (40); then s1 reaches b (20)
    assert ex["site_id"].tolist() == ["s2", "s4", "s1"]
    assert ex.iloc[2]["n_served"] == 2 and ex.iloc[2]["mean_time_after_min"] == pytest.approx((50 + 160) / 30)
    # without s1, a falls back to s2 at 20 min and b to nothing: removing s1 cannot be afforded
    assert np.isinf(ex.iloc[2]["loss_without"])


def test_greedy_swap_and_lagrangian_bound_on_pmed1(shared_benchmarks):
    from coverage.siting import heuristics as H
    from coverage.siting.orlib import read_orlib_pmed

    dist, p = read_orlib_pmed(shared_benchmarks / "orlib-pmed" / "pmed1.txt")
    w = np.ones(len(dist))
    sel = H.swap_pmedian(dist, w, H.greedy_pmedian(dist, w, p), time_limit_s=10)
    total = H.pmedian_cost(dist, w, sel)
    bound, rho = H.lagrangian_pmedian(dist, w, p, upper_bound=total, time_limit_s=10)
    assert total >= 5819 and bound <= 5819 + 1e-6
    assert total - bound < 0.02 * total          # a tight bound from a few hundred subgradient steps
    kept = H.lagrangian_reduce(rho, bound, p, total, candidates=np.ones(len(dist), bool), keep=sel, integral=True)
    assert set(sel) <= set(np.flatnonzero(kept)) and kept.sum() < len(dist)


def test_models_too_large_for_the_exact_solver_fall_back_to_the_heuristic_with_a_bound():
    r = solve(problem(), model="mclp", threshold=10, p=2, max_nonzeros=1)
    assert r.method == "heuristic" and r.objective == pytest.approx(71)
    assert r.bound >= 71 - 1e-9
    assert r.status == ("optimal" if r.bound <= 71 + 1e-6 else "feasible")


def test_capacitated_pmedian_sends_overflow_to_the_farther_site():
    # Three villages of 10 people, 1 min from s1 and 5 min from s2; s1 holds only 20 people,
    # so one village must go to s2: 10*1 + 10*1 + 10*5 = 70 person-minutes (uncapacitated: 30).
    od = pd.DataFrame({"from_id": ["a", "a", "b", "b", "c", "c"], "to_id": ["s1", "s2"] * 3,
                       "cost": [1.0, 5.0, 1.0, 5.0, 1.0, 5.0]})
    dem = pd.DataFrame({"id": ["a", "b", "c"], "weight": [10.0, 10.0, 10.0]})
    prob = build_problem(od, dem, cost_column="cost", weight_columns=["weight"],
                         site_capacity={"s1": 20.0, "s2": 100.0})
    capped = solve(prob, model="pmedian", p=2, capacitated=True)
    assert capped.status == "optimal"
    assert capped.objective == pytest.approx(70.0)
    assert solve(prob, model="pmedian", p=2).objective == pytest.approx(30.0)
