"""propose_sites on the canonical tables (coverage/model.py) with OD tables as the engine gives them."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.errors import InfeasibleError, InputError, MissingColumnError
from coverage.siting import propose_sites


@pytest.fixture
def tables():
    demand = gpd.GeoDataFrame({
        "id": ["v1", "v2", "v3", "v4", "v5"],
        "name": ["甲村", "乙村", "丙村", "丁村", "戊村"],
        "township_code": ["T1", "T1", "T2", "T2", "T3"],
        "elderly_60plus": [100, 80, 60, 40, 20],
        "left_behind_children": [5, 30, 0, 10, 40],
    }, geometry=[Point(102.5 + k * 0.01, 24.3) for k in range(5)], crs="EPSG:4326")
    candidates = gpd.GeoDataFrame({
        "id": ["C1", "C2", "C3", "C4"],
        "name": ["闲置校舍A", "村委会B", "新建用地C", "村委会D"],
        "kind": ["idle_school", "village_committee", "open_land", "village_committee"],
        "can_host": ["community_daycare;happy_courtyard", "happy_courtyard", "community_daycare", ""],
        "cost_10k_yuan": [120.0, 40.0, 300.0, 50.0],
        "capacity": [200.0, 60.0, 500.0, 100.0],
    }, geometry=[Point(102.5 + k * 0.012, 24.31) for k in range(4)], crs="EPSG:4326")
    od_cand = pd.DataFrame([
        ("v1", "C1", 4.0), ("v2", "C1", 9.0), ("v2", "C2", 6.0), ("v3", "C2", 7.0),
        ("v3", "C3", 3.0), ("v4", "C3", 5.0), ("v5", "C4", 8.0), ("v4", "C4", 14.0),
    ], columns=["from_id", "to_id", "travel_time_min"])
    od_exist = pd.DataFrame([("v1", "F1", 12.0)], columns=["from_id", "to_id", "travel_time_min"])
    return demand, candidates, od_exist, od_cand


def test_fewest_sites_for_a_target_explained(tables):
    demand, cands, od_e, od_c = tables
    prop = propose_sites(demand, od_e, od_c, cands, groups="elderly_60plus", threshold_min=10,
                         model="target", target_share=0.8)
    # 240 older people needed of 300: C1 (v1, v2 = 180) + C3 (v3, v4 = 100)
    assert prop.status == "optimal" and prop.result.objective == 2
    assert prop.explanation["site_id"].tolist() == ["C1", "C3"]
    assert prop.explanation["new_elderly_60plus"].tolist() == [180, 100]
    assert prop.sites["name"].tolist() == ["闲置校舍A", "新建用地C"] and prop.sites["rank"].tolist() == [1, 2]
    assert isinstance(prop.sites, gpd.GeoDataFrame) and prop.sites.crs == demand.crs
    # v1 was 12 min from the existing F1; with C1 it is 4 min
    c1 = prop.explanation.iloc[0]
    assert c1["max_time_before_min"] != c1["max_time_before_min"] or c1["max_time_before_min"] >= 12
    d = json.loads(json.dumps(prop.to_dict(), ensure_ascii=False))
    assert d["status"] == "optimal" and d["sites"][0]["id"] == "C1" and "lon" in d["sites"][0]


def test_old_and_young_together_with_weights_and_budget(tables):
    demand, cands, od_e, od_c = tables
    prop = propose_sites(demand, od_e, od_c, cands, groups=["elderly_60plus", "left_behind_children"],
                         group_weights={"elderly_60plus": 1, "left_behind_children": 3}, threshold_min=10,
                         model="mclp", budget=100, objective="cost")
    # within 100 (万元): C2 (40) + C4 (50): v2, v3 and v5 = 80+60+20 + 3*(30+0+40) = 370
    assert sorted(prop.result.selected) == ["C2", "C4"]
    assert prop.result.objective == pytest.approx(370)
    groups = prop.result.by_group.set_index("group")
    assert groups.loc["left_behind_children", "covered"] == pytest.approx(70)


def test_facility_type_filter_forced_and_unit_rules(tables):
    demand, cands, od_e, od_c = tables
    # only candidates that can host a happy courtyard (C1, C2, and C4 with an empty can_host)
    prop = propose_sites(demand, od_e, od_c, cands, groups="elderly_60plus", threshold_min=10, model="mclp", p=1,
                         facility_type="happy_courtyard")
    assert prop.result.selected == ["C1"]
    prop = propose_sites(demand, od_e, od_c, cands, groups="elderly_60plus", threshold_min=10, model="mclp", p=2,
                         forced_in=["C4"], forced_out=["C1"])
    assert sorted(prop.result.selected) == ["C2", "C4"]   # C2 reaches v2 + v3 (140) > C3's v3 + v4 (100)
    # every township fully covered: T1 needs C1, T2 needs C3 (or C2 + C3), T3 needs C4
    prop = propose_sites(demand, od_e, od_c, cands, groups="elderly_60plus", threshold_min=10, model="target",
                         target_share=0.0, unit_rules={"township_code": 1.0})
    assert sorted(prop.result.selected) == ["C1", "C3", "C4"]


def test_capacity_aware_proposal(tables):
    demand, cands, od_e, od_c = tables
    small = cands.assign(capacity=[100.0, 60.0, 500.0, 100.0])
    prop = propose_sites(demand, od_e, od_c, small, groups="elderly_60plus", threshold_min=10, model="mclp", p=1,
                         capacitated=True)
    # C1 reaches 180 people but serves at most 100; C3 reaches and serves 100: equal, both fine
    assert prop.result.objective == pytest.approx(100)


def test_proposal_errors(tables):
    demand, cands, od_e, od_c = tables
    with pytest.raises(MissingColumnError, match="留守老人"):
        propose_sites(demand, od_e, od_c, cands, groups="left_behind_elderly", model="mclp", p=1)
    with pytest.raises(InfeasibleError, match=r"at most 93\.3%"):
        propose_sites(demand, od_e, od_c, cands, groups="elderly_60plus", threshold_min=7, model="target",
                      target_share=0.95)   # v5 is 8 min from C4: 280 of 300 at most
    with pytest.raises(InputError, match="used by both an existing facility and a candidate"):
        propose_sites(demand, od_c.assign(to_id="C1"), od_c, cands, groups="elderly_60plus", model="mclp", p=1)
    nocost = cands.assign(cost_10k_yuan=[120.0, np.nan, 300.0, 50.0])
    with pytest.raises(InputError, match="cost_10k_yuan.*missing for C2"):
        propose_sites(demand, od_e, od_c, nocost, groups="elderly_60plus", model="mclp", budget=100)
    with pytest.raises(MissingColumnError, match="travel_time_min"):
        propose_sites(demand, od_e, od_c.rename(columns={"travel_time_min": "t"}), cands, model="mclp", p=1)
