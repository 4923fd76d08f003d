"""Siting on edge cases a planner meets: nothing left to cover, nothing reachable, bad weights, capacities.

Every answer is worked out by hand on a few demand points; the objective a
result reports is always recomputed here from the sites it chose.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from coverage.errors import InfeasibleError, InputError
from coverage.siting import SitingProblem, SitingResult, build_problem, propose_sites, solve


def recomputed_objective(prob: SitingProblem, r: SitingResult, *, use_cost: bool = False) -> float:
    """The objective of ``r``'s chosen sites, computed from the problem's pairs (not from the result)."""
    chosen = np.zeros(prob.n_sites, bool)
    chosen[prob.site_index(r.selected)] = True
    if r.model in ("lscp", "target"):
        return float(prob.cost[chosen].sum()) if use_cost else float(chosen.sum())
    open_ = chosen | prob.fixed
    best = np.full(prob.n_demand, np.inf)
    for i, j, c in zip(prob.pair_demand, prob.pair_site, prob.pair_cost, strict=True):
        if open_[j]:
            best[i] = min(best[i], c)
    if r.model == "mclp":
        return float(prob.weight[best <= r.threshold].sum())
    pos = prob.weight > 0
    return float((prob.weight[pos] * best[pos]).sum())


def od(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["from_id", "to_id", "travel_time_min"])


# a and b already within 1 min of the existing site E; candidate s1 reaches a only
ALL_COVERED = od([("a", "E", 1.0), ("b", "E", 1.0), ("a", "s1", 2.0)])
PEOPLE = pd.Series({"a": 10.0, "b": 20.0})


@pytest.mark.parametrize("model, kwargs", [("mclp", {"p": 1}), ("target", {"target_share": 0.9}),
                                           ("lscp", {})])
def test_nothing_left_to_cover_is_an_optimal_answer_with_no_site(model, kwargs):
    prob = build_problem(ALL_COVERED, PEOPLE, fixed=["E"])
    r = solve(prob, model=model, threshold=15, **kwargs)
    assert r.status == "optimal" and r.selected == []
    assert r.covered_weight == pytest.approx(30) and r.covered_share == pytest.approx(1.0)
    assert "no new site is needed" in r.message
    assert r.objective == pytest.approx(recomputed_objective(prob, r))
    assert r.to_frame()["id"].tolist() == ["E"]


def test_nothing_any_candidate_could_add_says_so():
    # c is 40 min from everything: with a 15 min threshold no candidate adds anyone
    prob = build_problem(od([("a", "E", 1.0), ("c", "s1", 40.0)]), pd.Series({"a": 5.0, "c": 7.0}), fixed=["E"])
    r = solve(prob, model="mclp", threshold=15, p=1)
    assert r.status == "optimal" and r.selected == [] and r.objective == pytest.approx(5)
    assert "a new site would add nothing" in r.message


def test_lscp_with_nothing_reachable_is_infeasible_with_the_nearest_time():
    prob = build_problem(od([("a", "s1", 5.0), ("b", "s2", 12.0)]), PEOPLE)
    with pytest.raises(InfeasibleError, match=r"within 1 min of any site \(the nearest pair is 5 min\)"):
        solve(prob, model="lscp", threshold=1)


@pytest.mark.parametrize("id_dtype", [None, str])   # str: pandas' text dtype, as the command line reads ids
def test_od_file_with_a_header_and_no_rows(tmp_path, id_dtype):
    path = tmp_path / "od.csv"
    path.write_text("from_id,to_id,travel_time_min\n", encoding="utf-8")
    dtype = {"from_id": id_dtype, "to_id": id_dtype} if id_dtype else None
    prob = build_problem(pd.read_csv(path, dtype=dtype), PEOPLE, source=path.name)
    assert prob.n_sites == 0 and sorted(prob.unreachable_ids) == ["a", "b"]
    with pytest.raises(InfeasibleError, match="the OD table has no pair for them"):
        solve(prob, model="lscp", threshold=10)
    with pytest.raises(InputError, match="p=1 is larger than the 0 candidate sites"):
        solve(prob, model="mclp", threshold=10, p=1)
    r = solve(prob, model="mclp", threshold=10, budget=5)
    assert r.status == "optimal" and r.selected == [] and r.covered_weight == 0 and r.objective == 0


@pytest.mark.parametrize("text, reason", [("", "is empty"), ("NA", "is empty"), ("nan", "is empty"),
                                          ("inf", "is infinite"), ("-3", "is negative"), ("x", "is not a number")])
def test_bad_weights_in_a_csv_are_rejected_naming_the_id(text, reason):
    demand = pd.read_csv(io.StringIO(f"id,weight\na,10\nb,{text}\n"), dtype={"id": str})
    with pytest.raises(InputError, match=rf"row 3: id 'b': weight column 'weight' value .* {reason}"):
        build_problem(ALL_COVERED, demand)


@pytest.mark.parametrize("value, reason", [(np.nan, "is empty"), (None, "is empty"), (pd.NA, "is empty"),
                                           (np.inf, "is infinite"), (-1.0, "is negative"), ("NA", "not a number")])
def test_bad_weights_in_a_series_are_rejected_naming_the_id(value, reason):
    weights = pd.Series({"a": 10.0, "b": value}, dtype=object)
    with pytest.raises(InputError, match=rf"id 'b'.*{reason}"):
        build_problem(ALL_COVERED, weights)


def test_bad_travel_costs_and_ids_in_the_od_table():
    with pytest.raises(InputError, match=r"row 3: travel_time_min = inf is infinite"):
        build_problem(od([("a", "E", 1.0), ("b", "E", np.inf)]), PEOPLE)
    with pytest.raises(InputError, match=r"row 2: column 'to_id' is empty"):
        build_problem(od([("a", None, 1.0)]), PEOPLE)
    with pytest.raises(InputError, match="the same once read as text"):
        build_problem(od([(1, "E", 1.0)]), pd.Series({1: 1.0, "1": 2.0}))
    with pytest.raises(InputError, match="site 's1': capacity 'lots' is not a number"):
        build_problem(ALL_COVERED, PEOPLE, site_capacity={"s1": "lots"})


# three people at a, b, c; s1 (capacity 1) is 1 min from all, s2 (capacity 5) 5 min from all
CAP_OD = od([(d, "s1", 1.0) for d in "abc"] + [(d, "s2", 5.0) for d in "abc"])
ONE_EACH = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0})


def test_capacitated_mclp_reports_the_people_the_capacity_lets_it_serve():
    prob = build_problem(CAP_OD, ONE_EACH, site_capacity={"s1": 1, "s2": 1})
    r = solve(prob, model="mclp", threshold=10, p=1, capacitated=True)
    assert r.status == "optimal" and r.objective == pytest.approx(1)
    assert r.covered_weight == pytest.approx(1) and r.by_group["covered"].iloc[0] == pytest.approx(1)
    frame = r.to_frame().set_index("id")
    assert frame.loc[r.selected[0], "weight_served"] == pytest.approx(1)   # never 3 on a site of capacity 1
    assert np.isnan(r.mean_cost)                                            # two people are served by nobody
    served = r.assignment.dropna(subset=["to_id"])
    assert served["weight"].sum() == pytest.approx(1)
    assert r.assignment.groupby("from_id")["weight"].sum().to_dict() == pytest.approx(ONE_EACH.to_dict())


def test_capacitated_pmedian_reports_the_allocation_not_the_nearest_site():
    prob = build_problem(CAP_OD, ONE_EACH, site_capacity={"s1": 1, "s2": 5})
    r = solve(prob, model="pmedian", p=2, capacitated=True)
    # one person at s1 (1 min), two at s2 (5 min): 11 person-minutes, mean 11/3
    assert r.status == "optimal" and r.objective == pytest.approx(11)
    assert r.mean_cost == pytest.approx(11 / 3) and r.by_group["mean_cost"].iloc[0] == pytest.approx(11 / 3)
    frame = r.to_frame().set_index("id")
    assert frame.loc["s1", "weight_served"] == pytest.approx(1) and frame.loc["s1", "n_served"] == 1
    assert frame.loc["s2", "weight_served"] == pytest.approx(2) and frame.loc["s2", "mean_cost"] == pytest.approx(5)
    a = r.assignment
    assert (a["weight"] * a["cost"]).sum() == pytest.approx(r.objective)


def test_capacitated_target_counts_only_the_people_served():
    prob = build_problem(CAP_OD, ONE_EACH, site_capacity={"s1": 2, "s2": 2})
    r = solve(prob, model="target", threshold=10, target_share=1.0, capacitated=True)
    assert sorted(r.selected) == ["s1", "s2"] and r.objective == 2
    assert r.covered_weight == pytest.approx(3)
    served = r.assignment.dropna(subset=["to_id"]).groupby("to_id")["weight"].sum()
    assert (served <= 2 + 1e-6).all()


def random_problem(seed: int, *, fixed: int = 0) -> SitingProblem:
    rng = np.random.default_rng(seed)
    n, m = 40, 12
    xy_d, xy_s = rng.random((n, 2)) * 10, rng.random((m, 2)) * 10
    dist = np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    i, j = np.nonzero(dist <= np.inf)  # every pair: p-median must reach everyone
    table = od([(f"d{a}", f"s{b}", float(np.round(dist[a, b], 2))) for a, b in zip(i, j, strict=True)])
    return build_problem(table, pd.Series(rng.integers(0, 50, n).astype(float), index=[f"d{k}" for k in range(n)]),
                         fixed=[f"s{k}" for k in range(fixed)],
                         site_cost={f"s{k}": float(rng.integers(1, 9)) for k in range(m)})


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("model, kwargs", [
    ("mclp", {"threshold": 2.0, "p": 3}), ("mclp", {"threshold": 2.0, "budget": 10.0}),
    ("target", {"threshold": 3.0, "target_share": 0.8}), ("target", {"threshold": 3.0, "target_share": 0.8,
                                                                    "objective": "cost"}),
    ("lscp", {"threshold": 2.5}), ("pmedian", {"p": 4}), ("pmedian", {"p": 4, "threshold": 2.0}),
])
def test_reported_objective_equals_the_one_of_the_chosen_sites(seed, model, kwargs):
    prob = random_problem(seed, fixed=2)
    r = solve(prob, model=model, **kwargs)
    assert r.objective == pytest.approx(recomputed_objective(prob, r, use_cost=kwargs.get("objective") == "cost"))
    if model in ("mclp", "lscp", "target"):
        assert r.covered_weight == pytest.approx(recomputed_objective(
            prob, SitingResult(**{**r.__dict__, "model": "mclp"})))
    r_heur = solve(prob, model=model, method="heuristic", **kwargs)
    assert r_heur.objective == pytest.approx(recomputed_objective(
        prob, r_heur, use_cost=kwargs.get("objective") == "cost"))


def test_propose_sites_when_every_village_is_already_covered():
    demand = pd.DataFrame({"id": ["v1", "v2"], "elderly_60plus": [30, 12]})
    od_e = od([("v1", "F1", 3.0), ("v2", "F1", 9.0)])
    od_c = od([("v1", "c1", 2.0), ("v2", "c2", 4.0)])
    cands = pd.DataFrame({"id": ["c1", "c2"], "kind": ["village_committee"] * 2})
    prop = propose_sites(demand, od_e, od_c, cands, threshold_min=15, model="mclp", p=2)
    assert prop.status == "optimal" and len(prop.sites) == 0 and len(prop.explanation) == 0
    assert "no new site is needed" in prop.result.message
    assert prop.to_dict()["n_selected"] == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"model": "mclp", "threshold": "15", "p": 1}, "threshold must be a number >= 0, got '15'"),
    ({"model": "mclp", "threshold": float("nan"), "p": 1}, "threshold must be a number >= 0, got nan"),
    ({"model": "mclp", "threshold": 15, "p": True}, "p must be a whole number >= 1, got True"),
    ({"model": "mclp", "threshold": 15, "p": 1.5}, "p must be a whole number >= 1, got 1.5"),
    ({"model": "mclp", "threshold": 15, "budget": float("inf")}, "budget must be a number >= 0, got inf"),
    ({"model": "target", "threshold": 15, "target_share": "95%"}, "target share must be a number between 0 and 1"),
    ({"model": "target", "threshold": 15, "target_share": float("nan")}, "between 0 and 1"),
    ({"model": "mclp", "threshold": 15, "p": 1, "time_limit_s": float("nan")}, "time_limit_s must be a number > 0"),
])
def test_solver_options_of_the_wrong_kind_are_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        solve(build_problem(ALL_COVERED, PEOPLE, fixed=["E"]), **kwargs)
