"""Scenario files: save, load, compare; accepted sites as facilities."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from coverage.errors import FileReadError, InputError, UnknownCategoryError
from coverage.model import FACILITY_COLUMNS
from coverage.scenario import (
    Scenario,
    compare_coverage,
    compare_scenarios,
    load_scenario,
    new_site,
    save_scenario,
    service_standards,
    sites_frame,
    sites_from_proposal,
    sites_to_facilities,
    with_sites,
)

WGS84 = "EPSG:4326"


def _scenario() -> Scenario:
    sc = Scenario(name="方案A：补齐幸福小院", inputs={"source": "demo", "region": "yuxi"},
                  settings={"service": "elderly_15min", "thresholds": {"elderly_15min": 20.0}})
    sc = sc.with_site(new_site(102.55, 24.35, facility_type="幸福小院", name="大营村幸福小院"))
    return sc.with_site(new_site(102.60, 24.40, facility_type="childrens_home", site_id="s2", origin="proposal",
                                 explanation="新增覆盖 120 人"))


def test_save_and_load_round_trip(tmp_path):
    sc = _scenario()
    path = save_scenario(sc, tmp_path / "方案A.json")
    text = path.read_text(encoding="utf-8")
    assert "大营村幸福小院" in text  # Chinese stays readable in the file
    back = load_scenario(path)
    assert back == sc
    assert back.accepted_sites[0]["type"] == "happy_courtyard"
    assert load_scenario(path.read_bytes()) == sc


def test_sites_are_replaced_and_removed_by_id():
    sc = _scenario()
    moved = sc.with_site({**sc.accepted_sites[1], "lon": 102.61})
    assert len(moved.accepted_sites) == 2 and moved.accepted_sites[-1]["lon"] == 102.61
    assert [s["id"] for s in moved.without_site("s2").accepted_sites] == [sc.accepted_sites[0]["id"]]
    assert sc.with_settings(lang="en").settings["lang"] == "en" and "lang" not in sc.settings


def test_load_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FileReadError, match="not a UTF-8 JSON scenario file"):
        load_scenario(bad)
    with pytest.raises(FileReadError, match="cannot open the scenario file"):
        load_scenario(tmp_path / "missing.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="not a scenario file of this tool"):
        load_scenario(other)
    data = _scenario().to_dict()
    with pytest.raises(InputError, match="version 99 is newer"):
        Scenario.from_dict({**data, "version": 99})
    broken = {**data, "accepted_sites": [{**data["accepted_sites"][0], "lat": 124.0}]}
    with pytest.raises(InputError, match=r"lat 124.0 is not a number within -90..90"):
        Scenario.from_dict(broken)
    twice = {**data, "accepted_sites": [data["accepted_sites"][0]] * 2}
    with pytest.raises(InputError, match="occur more than once"):
        Scenario.from_dict(twice)
    with pytest.raises(InputError, match="unknown facility type '游乐场'"):
        new_site(102.5, 24.3, facility_type="游乐场")


def test_sites_become_facilities_without_touching_the_input():
    facilities = gpd.GeoDataFrame({"id": ["f1"], "name": ["现有"], "type": ["happy_courtyard"], "capacity": [10.0],
                                   "capacity_unit": ["places"], "status": ["existing"]},
                                  geometry=[shapely.Point(102.5, 24.3)], crs=WGS84)
    before = facilities.copy()
    sites = _scenario().accepted_sites
    extra = sites_to_facilities(sites)
    assert list(extra.columns) == list(FACILITY_COLUMNS)
    assert set(extra["status"]) == {"proposed"} and extra.crs == WGS84
    both = with_sites(facilities, sites)
    assert len(both) == 3 and list(both["id"][:1]) == ["f1"]
    pd.testing.assert_frame_equal(facilities, before)
    assert with_sites(facilities, []) is facilities
    with pytest.raises(InputError, match="already facility ids"):
        with_sites(facilities, [new_site(102.5, 24.3, facility_type="happy_courtyard", site_id="f1")])
    with pytest.raises(InputError, match="no facility type"):
        sites_to_facilities([{"id": "x", "lon": 1.0, "lat": 2.0}])


def test_sites_frame_statuses():
    gdf = sites_frame(_scenario().accepted_sites)
    assert list(gdf["status"]) == ["manual", "accepted"]
    assert gdf.crs == WGS84 and gdf.geometry.iloc[0].x == pytest.approx(102.55)
    assert len(sites_frame([])) == 0


def test_sites_from_proposal_table():
    table = gpd.GeoDataFrame({"site_id": ["C1"], "name": ["原小学闲置校舍"], "kind": ["idle_school"], "gain": [480.0],
                              "n_new_points": [3], "alternatives_text": ["C2: covers 470"], "capacity": [30.0]},
                             geometry=[shapely.Point(102.5, 24.3)], crs=WGS84)
    (site,) = sites_from_proposal(table, facility_type="happy_courtyard")
    assert site["id"] == "site-C1" and site["candidate_id"] == "C1" and site["origin"] == "proposal"
    assert site["explanation"].startswith("新增覆盖 480 人（3 个村）") and "C2" in site["explanation"]
    (en,) = sites_from_proposal(table, facility_type="happy_courtyard", lang="en")
    assert en["explanation"].startswith("newly covers 480 people (3 villages)")


def test_compare_scenarios_lists_differences():
    a = _scenario()
    b = a.without_site("s2").with_settings(thresholds={"elderly_15min": 15.0}).with_site(
        new_site(102.7, 24.5, facility_type="childrens_home", site_id="s3"))
    table = compare_scenarios(a, b)
    diff = table.loc[~table["same"], "item"].tolist()
    assert "站点 s2" in diff and "站点 s3" in diff and "设置: 通行时间阈值（分钟）" in diff
    assert table.loc[table["item"] == "设置: 考核服务", "same"].item()
    row = table.loc[table["item"] == "站点 s3"].iloc[0]
    assert row["a"] == "" and "儿童之家" in row["b"]


def test_compare_coverage_side_by_side():
    a = pd.DataFrame({"service": ["s"], "group": ["g"], "threshold_min": [15.0], "covered_people": [80],
                      "share": [0.8], "passed": [False], "target_share": [0.9]})
    b = a.assign(covered_people=[92], share=[0.92], passed=[True])
    out = compare_coverage(a, b)
    assert out["share_change"].item() == pytest.approx(0.12)
    assert out["passed_b"].item() and not out["passed_a"].item() and out["target_share"].item() == 0.9


def test_service_standards_keeps_one_service():
    from coverage.metrics import default_standards

    std = default_standards()
    key = std.services[0].key
    one = service_standards(std, key, threshold_min=25, target_share=0.5)
    assert [s.key for s in one.services] == [key] and one.unit_rules == ()
    assert one.services[0].threshold_min == 25 and one.services[0].target_share == 0.5
    assert std.service(key).threshold_min != 25 or std.service(key).target_share != 0.5  # the input is unchanged
    with pytest.raises(UnknownCategoryError, match="no service 'nope'"):
        service_standards(std, "nope")


def test_alternatives_named_in_the_explanation():
    table = pd.DataFrame({"site_id": ["C1"], "name": ["甲村委会"], "gain": [100.0], "n_new_points": [2],
                          "alternatives": [[{"id": "C2", "value": 94.0, "vs_chosen": -6.0},
                                            {"id": "C3", "value": 100.0, "vs_chosen": 0.0}]],
                          "lon": [102.5], "lat": [24.3]})
    cands = pd.DataFrame({"id": ["C1", "C2", "C3"], "name": ["甲村委会", "乙小学", "丙村委会"]})
    (site,) = sites_from_proposal(table, facility_type="childrens_home", candidates=cands)
    assert site["explanation"] == "新增覆盖 100 人（2 个村）；备选：乙小学（少覆盖 6 人）、丙村委会（覆盖相同）"
    (en,) = sites_from_proposal(table, facility_type="childrens_home", candidates=cands, lang="en")
    assert en["explanation"].endswith("alternatives: 乙小学 (-6 people), 丙村委会 (+0 people)")
