"""Coverage figures on small layouts whose answers are worked out by hand.

Travel-time tables are given directly (as the engine would return them), so the
arithmetic of coverage, targets, gaps, percentiles and aggregation is checked
on its own; tests/test_metrics_engine.py runs the same path through the real engine.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage.errors import InputError, MissingColumnError
from coverage.metrics import (
    ServiceTravel,
    analyze,
    standards_from_dict,
    weighted_quantile,
)

STD = standards_from_dict(
    {
        "services": [
            {
                "key": "eld",
                "zh": "养老15分钟",
                "en": "elderly 15",
                "facility_types": ["community_daycare"],
                "groups": ["elderly_60plus"],
                "mode": "walk",
                "threshold_min": 15,
                "target_share": 0.9,
                "bands_min": [10],
            },
            {
                "key": "kid",
                "zh": "儿童20分钟",
                "en": "children 20",
                "facility_types": ["childrens_home"],
                "groups": ["left_behind_children", "villages"],
                "mode": "walk",
                "threshold_min": 20,
                "target_share": 0.5,
            },
        ],
        "unit_rules": [
            {
                "key": "home",
                "zh": "每村儿童之家",
                "en": "home per village",
                "level": "village",
                "facility_types": ["childrens_home"],
                "target_share": 1.0,
            },
        ],
    }
)


def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["V1", "V2", "V3"],
            "name": ["甲村", "乙村", "丙村"],
            "county_code": ["530402", "530402", "530421"],
            "county_name": ["红塔区", "红塔区", "江川区"],
            "township_code": ["530402001", "530402002", "530421001"],
            "township_name": ["玉兴", "凤凰", "大街"],
            "village_code": ["530402001001", "530402002001", "530421001001"],
            "elderly_60plus": [100, 50, 30],
            "left_behind_children": [10, 20, 5],
        },
        geometry=[Point(102.50, 24.30), Point(102.52, 24.30), Point(102.60, 24.20)],
        crs="EPSG:4326",
    )


def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["F1", "F2"],
            "name": ["玉兴日间照料中心", "凤凰儿童之家"],
            "type": ["community_daycare", "childrens_home"],
            "capacity": [40.0, 10.0],
            "capacity_unit": ["places", "places"],
            "status": ["existing", "existing"],
            "county_code": ["530402", "530402"],
            "township_code": ["530402001", "530402002"],
            "village_code": ["530402001001", "530402002001"],
        },
        geometry=[Point(102.501, 24.30), Point(102.521, 24.30)],
        crs="EPSG:4326",
    )


def tables() -> dict[str, ServiceTravel]:
    """Known times: elderly V1 5 min, V2 12 min (F1), V3 unreachable; children V1 25, V2 8, V3 18 (F2)."""
    idx = pd.Index(["V1", "V2", "V3"], name="id")
    eld = pd.DataFrame({"travel_time_min": [5.0, 12.0, np.nan], "facility_id": ["F1", "F1", None]}, index=idx)
    kid = pd.DataFrame({"travel_time_min": [25.0, 8.0, 18.0], "facility_id": ["F2", "F2", "F2"]}, index=idx)
    return {
        "eld": ServiceTravel("eld", "walk", ("community_daycare",), None, eld),
        "kid": ServiceTravel("kid", "walk", ("childrens_home",), None, kid),
    }


@pytest.fixture()
def result():
    return analyze(villages(), facilities(), standards=STD, travel=tables())


def row(result, service, group):
    s = result.summary
    return s.loc[(s["service"] == service) & (s["group"] == group)].iloc[0]


def test_people_covered_share_target_and_gap(result):
    r = row(result, "eld", "elderly_60plus")
    assert (r.covered_people, r.total_people) == (150, 180)
    assert r.share == pytest.approx(150 / 180)
    assert r.passed is False or r.passed == False  # noqa: E712 - numpy bool
    assert r.gap_people == 12  # ceil(0.9 * 180 - 150)
    assert r.gap_villages == 1  # V3 alone (30 people) closes the gap
    assert r.uncovered_villages == 1 and r.uncovered_people == 30
    assert r.median_travel_time_min == 5.0  # 100 of 180 people within 5 min
    assert math.isnan(r.p90_travel_time_min)  # the 90th percentile falls in V3, which reaches nothing
    assert r.service_zh == "养老15分钟" and r.group_zh == "60岁以上老年人"
    k = row(result, "kid", "left_behind_children")
    assert (k.covered_people, k.total_people, bool(k.passed), k.gap_people) == (25, 35, True, 0)
    # sorted by time: 8 min (20 children), 18 (5), 25 (10): half of 35 lies within 8, 90% within 25.
    assert k.median_travel_time_min == 8.0 and k.p90_travel_time_min == 25.0
    v = row(result, "kid", "villages")
    assert (v.covered_people, v.total_people) == (2, 3)


def test_bands_share_within_each_threshold(result):
    b = result.bands.loc[result.bands["service"] == "eld"].set_index("threshold_min")
    assert b.loc[10.0, "covered_people"] == 100 and b.loc[15.0, "covered_people"] == 150


def test_nearest_facility_per_village_with_its_name(result):
    v = result.village_table("eld").set_index("id")
    assert v.loc["V2", "travel_time_min"] == 12.0
    assert v.loc["V2", "facility_name"] == "玉兴日间照料中心"
    assert pd.isna(v.loc["V3", "facility_id"]) and not v.loc["V3", "covered"]
    assert v.loc["V3", "uncovered_elderly_60plus"] == 30
    assert v.crs == "EPSG:4326" and len(v) == 3


def test_uncovered_villages_ranked_by_people(result):
    u = result.uncovered_villages("kid", "left_behind_children")
    assert u["id"].tolist() == ["V1"] and u["people"].tolist() == [10]
    u = result.uncovered_villages("eld")
    assert u[["rank", "id", "name", "county_name"]].values.tolist() == [[1, "V3", "丙村", "江川区"]]


def test_totals_add_up_by_county_and_township(result):
    bu = result.by_unit
    eld = bu.loc[(bu["service"] == "eld") & (bu["group"] == "elderly_60plus")].set_index(["level", "code"])
    assert eld.loc[("county", "530402"), ["covered_people", "total_people"]].tolist() == [150, 150]
    assert eld.loc[("county", "530421"), ["covered_people", "total_people", "share"]].tolist() == [0, 30, 0.0]
    assert eld.loc[("county", "530421"), "passed"] is False or not eld.loc[("county", "530421"), "passed"]
    assert eld.loc[("township", "530402002"), "parent_code"] == "530402"
    assert eld.loc[("township", "530402002"), "name"] == "凤凰"
    pref = eld.loc["prefecture"].iloc[0]
    assert (pref["covered_people"], pref["total_people"], pref["name"]) == (150, 180, "全部")
    for level in ("county", "township"):
        assert eld.loc[level, "total_people"].sum() == 180


def test_unit_rule_lists_passing_and_failing_villages(result):
    r = result.unit_rules.set_index("rule").loc["home"]
    assert (r.units_total, r.units_passed, bool(r.passed)) == (3, 1, False)
    units = result.unit_rule_units.set_index("code")
    assert units.loc["530402002001", "passed"] and units.loc["530402002001", "facility_count"] == 1
    assert not units.loc["530402001001", "passed"]


def test_one_old_one_young(result):
    o = result.one_old_one_young.set_index("id")
    # V3: no elderly service within 15 min, but the children's home within 20 -> not lacking both.
    assert not o["lacks_both"].any()
    assert bool(o.loc["V1", "elderly_covered"]) and not o.loc["V1", "child_covered"]
    tab = tables()
    tab["kid"] = ServiceTravel(
        "kid", "walk", ("childrens_home",), None, tab["kid"].nearest.assign(travel_time_min=[25.0, 8.0, 40.0])
    )
    o = analyze(villages(), facilities(), standards=STD, travel=tab).one_old_one_young
    assert o.loc[o["lacks_both"], "id"].tolist() == ["V3"]


def test_json_has_covered_total_share_target_passed(result):
    d = json.loads(result.to_json())
    g = d["services"][0]["groups"][0]
    assert {k: g[k] for k in ("covered", "total", "target", "passed")} == {
        "covered": 150,
        "total": 180,
        "target": 0.9,
        "passed": False,
    }
    assert g["share"] == pytest.approx(0.8333, abs=1e-4)
    assert d["unit_rules"][0]["failing_units"] == ["甲村", "丙村"]


def test_excel_written_and_read_back(result, tmp_path):
    path = result.to_excel(tmp_path / "覆盖.xlsx")
    back = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert {"汇总", "分区统计", "未覆盖村", "单元指标", "一老一小"} <= set(back)
    s = back["汇总"]
    assert s.loc[0, "覆盖人数"] == 150 and s.loc[0, "是否达标"] == "否"


def test_threshold_change_reuses_travel_tables(result):
    wider = STD.with_threshold("eld", 30)
    r2 = analyze(villages(), facilities(), standards=wider, travel=result.travel)
    assert row(r2, "eld", "elderly_60plus").covered_people == 150  # V3 still unreachable
    narrower = STD.with_threshold("eld", 5)
    assert (
        row(
            analyze(villages(), facilities(), standards=narrower, travel=result.travel),
            "eld",
            "elderly_60plus",
        ).covered_people
        == 100
    )


def test_inputs_are_not_modified():
    d, f = villages(), facilities()
    d0, f0 = d.copy(), f.copy()
    analyze(d, f, standards=STD, travel=tables())
    pd.testing.assert_frame_equal(d, d0)
    pd.testing.assert_frame_equal(f, f0)


def test_no_engine_and_no_tables_is_a_clear_error():
    with pytest.raises(InputError, match="service 'eld': no travel tables .* pass engines=\\{'walk'"):
        analyze(villages(), facilities(), standards=STD)
    stale = {
        **tables(),
        "eld": ServiceTravel("eld", "walk", ("happy_courtyard",), None, tables()["eld"].nearest),
    }
    with pytest.raises(InputError, match="computed for other facility types"):
        analyze(villages(), facilities(), standards=STD, travel=stale)


def test_missing_group_column_and_duplicate_ids():
    with pytest.raises(MissingColumnError, match="no column 'left_behind_children'.*service 'kid'"):
        analyze(villages().drop(columns="left_behind_children"), facilities(), standards=STD, travel=tables())
    dup = villages()
    dup.loc[2, "id"] = "V1"
    with pytest.raises(InputError, match="id 'V1' occurs more than once"):
        analyze(dup, facilities(), standards=STD, travel=tables())


def test_weighted_quantile_by_hand():
    assert weighted_quantile([30, 10, 20], [1, 1, 2], 0.5) == 20  # cumulative 1/4, 3/4 at 20
    assert weighted_quantile([30, 10, 20], [1, 1, 2], 0.25) == 10
    assert math.isnan(weighted_quantile([1.0], [0], 0.5))


# ------------------------------------------------------------------ per-unit rules on a handmade layout


def layout():
    """Two counties, three townships with villages (+ one township without any in the boundaries)."""
    d = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": ["A村", "B社区", "C村", "D村"],
            "county_code": ["C1", "C1", "C1", "C2"],
            "county_name": ["一县", "一县", "一县", "二县"],
            "township_code": ["T1", "T1", "T2", "T3"],
            "township_name": ["一镇", "一镇", "二镇", "三镇"],
            "village_code": ["a", "b", "c", "d"],
            "elderly_60plus": [10, 10, 10, 10],
            "left_behind_children": [1, 1, 1, 1],
        },
        geometry=[Point(0.1, 0.1), Point(0.4, 0.1), Point(1.1, 0.1), Point(2.1, 0.1)],
        crs="EPSG:4326",
    )
    f = gpd.GeoDataFrame(
        {
            "id": ["t1", "t2", "cd", "h1", "h2", "h3"],
            "name": ["一镇中心", "二镇中心", "失能照护", "A幸福院", "C幸福院", "无码幸福院"],
            "type": [
                "township_elderly_center",
                "township_elderly_center",
                "county_disability_care",
                "happy_courtyard",
                "happy_courtyard",
                "happy_courtyard",
            ],
            # t2 has no codes: placed by the township boundary it lies in; h3 by the nearest village (D).
            "township_code": ["T1", None, "T1", "T1", "T2", None],
            "county_code": ["C1", None, "C1", "C1", "C1", None],
            "village_code": ["a", None, "a", "a", "c", None],
        },
        geometry=[
            Point(0.2, 0.2),
            Point(1.5, 0.5),
            Point(0.1, 0.1),
            Point(0.1, 0.1),
            Point(1.1, 0.1),
            Point(2.12, 0.12),
        ],
        crs="EPSG:4326",
    )
    b = gpd.GeoDataFrame(
        {
            "level": ["county", "county", "township", "township", "township", "township"],
            "code": ["C1", "C2", "T1", "T2", "T3", "T4"],
            "name": ["一县", "二县", "一镇", "二镇", "三镇", "四镇"],
            "parent_code": [None, None, "C1", "C1", "C2", "C2"],
        },
        geometry=[
            box(0, 0, 2, 1),
            box(2, 0, 4, 1),
            box(0, 0, 1, 1),
            box(1, 0, 2, 1),
            box(2, 0, 3, 1),
            box(3, 0, 4, 1),
        ],
        crs="EPSG:4326",
    )
    return d, f, b


RULES = standards_from_dict(
    {
        "unit_rules": [
            {
                "key": "tc",
                "level": "township",
                "facility_types": ["township_elderly_center"],
                "target_share": 0.5,
            },
            {
                "key": "cd",
                "level": "county",
                "facility_types": ["county_disability_care"],
                "target_share": 1.0,
            },
            {"key": "hc", "level": "village", "facility_types": ["happy_courtyard"], "target_share": 0.75},
            {
                "key": "urban",
                "level": "village",
                "facility_types": ["happy_courtyard"],
                "name_suffix": "社区",
            },
            {
                "key": "two",
                "level": "township",
                "facility_types": ["happy_courtyard"],
                "min_count": 2,
                "target_share": 0.2,
            },
        ]
    }
)


def test_unit_rules_on_a_handmade_layout():
    d, f, b = layout()
    res = analyze(d, f, standards=RULES, boundaries=b)
    r = res.unit_rules.set_index("rule")
    # Townships T1 (t1) and T2 (t2 placed by its boundary) pass; T3 and T4 (no villages) fail: 2/4.
    assert r.loc["tc", ["units_total", "units_passed"]].tolist() == [4, 2] and r.loc["tc", "passed"]
    assert r.loc["cd", ["units_total", "units_passed"]].tolist() == [2, 1] and not r.loc["cd", "passed"]
    # Villages a, c, d (h3 placed at the nearest village, d) have one; b has none: 3/4 = 0.75.
    assert r.loc["hc", ["units_total", "units_passed"]].tolist() == [4, 3] and r.loc["hc", "passed"]
    assert r.loc["urban", ["units_total", "units_passed"]].tolist() == [1, 0]
    assert r.loc["two", ["units_total", "units_passed"]].tolist() == [4, 0]
    u = res.unit_rule_units
    tc = u.loc[u["rule"] == "tc"].set_index("code")
    assert (
        tc.loc["T4", "name"] == "四镇"
        and tc.loc["T4", "parent_name"] == "二县"
        and not tc.loc["T4", "passed"]
    )
    assert any("nearest village" in n for n in res.notes)
    d2 = res.to_dict()
    assert [x["failing_units"] for x in d2["unit_rules"] if x["rule"] == "cd"] == [["二县"]]


def test_progress_reports_a_fraction_and_the_service_after_each_service():
    seen: list[tuple[float, str]] = []
    analyze(villages(), facilities(), standards=STD, travel=tables(),
            progress=lambda fraction, message: seen.append((fraction, message)))
    assert seen == [(0.5, "travel times 1/2: eld"), (1.0, "travel times 2/2: kid")]
