"""Nothing to judge is "no data", never "met"; statuses are read as the loaders read them.

Uses the hand-made layout of tests/test_metrics_analysis.py (travel tables given directly).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coverage.errors import UnknownCategoryError
from coverage.metrics import ServiceTravel, analyze
from coverage.metrics.analysis import parse_statuses, verdict_label
from tests.test_metrics_analysis import STD, facilities, tables, villages


def empty_tables() -> dict[str, ServiceTravel]:
    idx = pd.Index([], name="id")
    near = pd.DataFrame({"travel_time_min": pd.Series(dtype=float), "facility_id": pd.Series(dtype=object)},
                        index=idx)
    return {k: ServiceTravel(t.service_key, t.mode, t.facility_types, None, near) for k, t in tables().items()}


def test_an_empty_village_list_is_no_data_not_met(tmp_path):
    r = analyze(villages().iloc[:0], facilities(), standards=STD, travel=empty_tables())
    assert len(r.summary) == 3
    assert r.summary["passed"].isna().all()
    assert (r.summary["status"] == "no_data").all()
    rule = r.unit_rules.iloc[0]
    assert rule["units_total"] == 0 and rule["passed"] is None and rule["status"] == "no_data"
    d = json.loads(r.to_json())
    assert [g["passed"] for s in d["services"] for g in s["groups"]] == [None, None, None]
    assert {g["status"] for s in d["services"] for g in s["groups"]} == {"no_data"}
    assert d["unit_rules"][0]["passed"] is None and d["unit_rules"][0]["status"] == "no_data"
    path = r.to_excel(tmp_path / "out.xlsx")
    sheet = pd.read_excel(path, sheet_name="汇总", engine="openpyxl")
    assert set(sheet["达标情况"]) == {"无数据"}
    en = pd.read_excel(r.to_excel(tmp_path / "en.xlsx", lang="en"), sheet_name="summary", engine="openpyxl")
    assert set(en["Status"]) == {"no data"}


def test_a_group_with_nobody_is_no_data_while_the_others_are_judged():
    v = villages().assign(left_behind_children=0)
    r = analyze(v, facilities(), standards=STD, travel=tables())
    s = r.summary.set_index(["service", "group"])
    assert s.loc[("kid", "left_behind_children"), "status"] == "no_data"
    assert s.loc[("kid", "left_behind_children"), "passed"] is None
    # elderly: 150 of 180 within 15 min = 83% < 90%: judged, not met
    assert s.loc[("eld", "elderly_60plus"), "status"] == "not_met"
    assert s.loc[("eld", "elderly_60plus"), "passed"] is False
    by = r.by_unit
    kid = by[(by["service"] == "kid") & (by["group"] == "left_behind_children")]
    assert (kid["status"] == "no_data").all() and kid["passed"].isna().all()


def test_verdict_labels():
    assert [verdict_label(k, "zh") for k in ("met", "not_met", "no_data")] == ["达标", "未达标", "无数据"]
    assert verdict_label("no_data", "en") == "no data" and verdict_label(None) == ""


def test_statuses_in_chinese_count_like_their_keys():
    assert parse_statuses(["现有", "规划", "拟建"]) == ("existing", "planned", "proposed")
    assert parse_statuses(["在运营", "existing", "在建"]) == ("existing", "planned")
    assert parse_statuses("拟建") == ("proposed",) and parse_statuses(None) is None
    existing = {k: ServiceTravel(t.service_key, t.mode, t.facility_types, ("existing",), t.nearest)
                for k, t in tables().items()}   # tables made for the existing facilities only
    by_key = analyze(villages(), facilities(), standards=STD, travel=existing, statuses=("existing",))
    by_zh = analyze(villages(), facilities(), standards=STD, travel=existing, statuses=["现有"])
    assert by_zh.summary["facilities"].tolist() == by_key.summary["facilities"].tolist() == [1, 1, 1]
    assert by_zh.summary["covered_people"].tolist() == by_key.summary["covered_people"].tolist()


def test_an_unknown_status_is_rejected_with_the_closest_known_one():
    with pytest.raises(UnknownCategoryError, match="unknown facility status 'existng'; did you mean 'existing'"):
        parse_statuses(["existng"])
    with pytest.raises(UnknownCategoryError, match="unknown facility status '已关闭'"):
        analyze(villages(), facilities(), standards=STD, travel=tables(), statuses=["已关闭"])
