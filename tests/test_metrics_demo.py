"""The Yuxi demo through the whole analysis: totals add up across levels, the CLI runs.

Builds the demo road graph and two engines once per module (a few seconds).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from coverage.cli import main
from coverage.cli.analyze import _text
from coverage.demo import load_demo
from coverage.metrics import analyze, default_standards, save_standards, standards_from_dict
from coverage.traveltime import TravelTimeEngine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def yuxi():
    region = load_demo("yuxi")
    G = region.graph()
    engines = {m: TravelTimeEngine(G, mode=m) for m in default_standards().modes}
    result = analyze(
        region.demand,
        region.facilities,
        standards=default_standards(),
        engines=engines,
        boundaries=region.boundaries,
    )
    return region, result


def test_totals_add_up_villages_townships_counties_prefecture(yuxi):
    region, result = yuxi
    bu = result.by_unit
    for (service, group), rows in bu.groupby(["service", "group"]):
        people = result.people
        v = people.loc[(people["service"] == service) & (people["group"] == group)]
        pref = rows.loc[rows["level"] == "prefecture"]
        assert len(pref) == 1
        for col, vcol in (("total_people", "people"), ("covered_people", "covered_people")):
            village_sum = v[vcol].sum()
            assert rows.loc[rows["level"] == "township", col].sum() == pytest.approx(village_sum)
            assert rows.loc[rows["level"] == "county", col].sum() == pytest.approx(village_sum)
            assert pref[col].iloc[0] == pytest.approx(village_sum)
        s = result.summary.set_index(["service", "group"]).loc[(service, group)]
        assert s["total_people"] == pytest.approx(pref["total_people"].iloc[0])
    # Every township sits in one of the nine counties; its parent is that county.
    towns = bu.loc[bu["level"] == "township"]
    counties = set(bu.loc[bu["level"] == "county", "code"])
    assert len(counties) == 9 and set(towns["parent_code"]) <= counties
    # The people measured are the demo's own totals (6,335 left-behind children, as Yuxi publishes).
    s = result.summary.set_index(["service", "group"])
    assert (
        s.loc[("children_20min", "left_behind_children"), "total_people"]
        == region.demand["left_behind_children"].sum()
        == 6335
    )
    assert s.loc[("funeral_home_60min", "villages"), "total_people"] == len(region.demand)
    assert result.prefecture_name == "玉溪市"


def test_yuxi_figures_are_plausible_and_consistent(yuxi):
    region, result = yuxi
    s = result.summary.set_index(["service", "group"])
    for (_service, _group), r in s.iterrows():
        assert 0 <= r["covered_people"] <= r["total_people"]
        if r["passed"] is not None:
            assert bool(r["passed"]) == (r["share"] >= r["target_share"] - 1e-9)
            assert (r["gap_people"] == 0) == bool(r["passed"])
    rules = result.unit_rules.set_index("rule")
    assert rules.loc["county_disability_care", "units_total"] == 9
    assert (
        rules.loc["township_elderly_center", "units_total"]
        == (region.boundaries["level"] == "township").sum()
    )
    cap = result.capacity["elderly_beds_30min"].summary
    beds = region.facilities.loc[
        region.facilities["type"].isin(default_standards().service("elderly_beds_30min").facility_types),
        "capacity",
    ].sum()
    assert cap["capacity_total"] == pytest.approx(beds)
    # Served demand never exceeds the beds; unmet + served = demand.
    assert cap["served_demand"] <= cap["capacity_total"]
    assert cap["served_demand"] + cap["unmet_demand"] == pytest.approx(cap["demand_total"])
    # Nearest-facility times per village agree with the covered flag.
    v = result.villages
    assert np.all(
        v["covered"]
        == (
            v["travel_time_min"].fillna(np.inf)
            <= v["service"].map({x.key: x.threshold_min for x in default_standards().services})
        )
    )


def test_cli_json_and_workbook_with_own_standards(tmp_path, capsys):
    import pandas as pd

    std = standards_from_dict(
        {
            "services": [
                {
                    "key": "kids",
                    "zh": "儿童之家",
                    "en": "children's home",
                    "facility_types": ["儿童之家", "幸福小院"],
                    "groups": ["留守儿童"],
                    "mode": "walk",
                    "threshold_min": 20,
                    "target_share": 0.9,
                }
            ],
            "unit_rules": [
                {
                    "key": "tc",
                    "level": "township",
                    "facility_types": ["乡镇区域养老服务中心"],
                    "target_share": 0.6,
                }
            ],
        }
    )
    path = save_standards(std, tmp_path / "标准.yaml")
    out = tmp_path / "覆盖分析.xlsx"
    assert (
        main(
            [
                "analyze",
                "--region",
                "yuxi",
                "--json",
                "--standards",
                str(path),
                "--threshold",
                "kids=15",
                "--xlsx",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    (svc,) = data["services"]
    assert svc["service"] == "kids" and svc["threshold_min"] == 15
    (g,) = svc["groups"]
    assert set(g) >= {"covered", "total", "share", "target", "passed"}
    assert g["total"] == 6335 and g["target"] == 0.9 and g["covered"] <= 6335
    assert data["region"] == "玉溪市"
    assert data["unit_rules"][0]["units"] == 76
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert len(sheets["村明细"]) == 718
    assert sheets["汇总"]["覆盖人数"].tolist() == [g["covered"]]


def test_yuxi_published_achievements_are_met(yuxi, capsys):
    """What Yuxi's review reports as achieved shows as met (达标) in the analysis of the demo."""
    _region, result = yuxi
    rules = result.unit_rules.set_index("rule")
    for key, passed, total in (("county_disability_care", 9, 9), ("township_elderly_center", 46, 76),
                               ("community_daycare", 294, 294), ("township_ash_placement", 76, 76),
                               ("township_minor_protection", 76, 76)):
        r = rules.loc[key]
        assert (r["units_passed"], r["units_total"], r["status"]) == (passed, total, "met"), key
    ash = result.summary.set_index(["service", "group"]).loc[("ash_placement_villages", "villages")]
    assert (ash["covered_people"], ash["total_people"], ash["status"]) == (718, 718, "met")
    # 社工站 / 社工室: counted, no target
    assert (rules.loc["township_social_work_station", "units_passed"], rules.loc["village_social_work_room",
            "units_passed"]) == (75, 702)
    assert rules.loc["village_social_work_room", "status"] == "no_target"
    cap = result.capacity["elderly_beds_30min"]
    s = cap.summary
    assert (s["facilities"], s["capacity_total"], s["residents_total"]) == (54, 4565, 1546)
    assert round(100 * s["actual_occupancy_share"], 2) == 33.87
    assert s["expected_occupancy_share"] > s["actual_occupancy_share"]  # beds in the wrong places
    by_county = cap.by_county
    assert by_county["residents"].sum() == 1546 and by_county["actual_occupancy_share"].between(0, 1).all()
    # the command line shows them
    assert main(["analyze", "--region", "yuxi"]) == 0
    out = capsys.readouterr().out
    for line in ("每个县(市、区)有县级失能照护机构: 9/9 达标", "乡镇区域养老服务中心覆盖60%的乡镇: 46/76 达标",
                 "城市社区日间照料全覆盖: 294/294 达标", "公益性骨灰安放设施乡镇全覆盖: 76/76 达标",
                 "乡镇(街道)未成年人保护工作站全覆盖: 76/76 达标", "实际入住 1,546 人", "实际入住率 33.87%",
                 "床位 4,565", "殡葬需求：年死亡约 17,550 人"):
        assert line in out, line
    assert "公益性骨灰安放设施服务每个村(社区)（驾车30分钟） · 村(社区)数: 718 / 718 = 100.0%" in out


def test_dali_happy_courtyard_rule_counts_courtyards_alone(capsys):
    """Dali's every-village 幸福小院 target is judged on 幸福小院 alone: its 1,663 community services (children's homes,
    childcare, day-care centres, canteens, township centres) leave it unmet, as the review does not report it met."""
    region = load_demo("dali")
    f = region.facilities
    with_courtyard = f.loc[f["type"] == "happy_courtyard", "village_code"].nunique()
    with_home = f.loc[f["type"] == "childrens_home", "village_code"].nunique()
    assert main(["analyze", "--region", "dali"]) == 0
    out = capsys.readouterr().out
    assert f"每个村(社区)至少1个幸福小院: {with_courtyard}/1159 未达标" in out
    assert f"城乡社区儿童之家覆盖90%以上: {with_home}/1159 达标" in out
    assert with_courtyard == 888 and with_home != with_courtyard


def test_text_report_in_chinese(yuxi):
    _region, result = yuxi
    text = _text(result, "zh")
    assert "15分钟养老服务圈 · 60岁以上老年人" in text and "未达标" in text and "一老一小均缺的村" in text
    assert "Target" not in text and "target" in _text(result, "en")


def test_cli_errors(capsys):
    assert main(["analyze", "--region", "yuxi", "--threshold", "elderly_15min"]) == 2
    assert "write SERVICE=MINUTES" in capsys.readouterr().err
    assert main(["analyze", "--region", "yuxi", "--threshold", "nope=5"]) == 2
    assert "no service 'nope'" in capsys.readouterr().err


def test_cli_data_folder_errors(tmp_path, capsys):
    assert main(["analyze", "--data", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["analyze", "--data", str(tmp_path)]) == 2
    assert "expected one of 村庄名单.xlsx" in capsys.readouterr().err
