"""Tables for people (coverage.views) on the hand-worked layout of tests/test_metrics_analysis.py.

Elderly service "eld" (15 min, target 90%): V1 5 min, V2 12 min, V3 unreachable; 100/50/30 older people.
Children service "kid" (20 min): V1 25 min, V2 8, V3 18.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coverage.metrics import analyze
from coverage.views import (
    band_chart_table,
    column_labels,
    overview_table,
    share_cards,
    translate_table,
    uncovered_table,
    uncovered_village_ids,
    unit_table,
    village_travel_times,
)
from tests.test_metrics_analysis import STD, facilities, tables, villages


@pytest.fixture(scope="module")
def result():
    return analyze(villages(), facilities(), standards=STD, travel=tables())


def test_headers_and_vocabulary_follow_the_language():
    df = pd.DataFrame({"group": ["elderly_60plus", "villages"], "type": ["childrens_home", None],
                       "share": [0.5, 0.25], "group_zh": ["x", "y"], "service_en": ["a", "b"]})
    zh = translate_table(df, lang="zh")
    assert list(zh.columns) == ["人群", "类型", "覆盖率"]  # label columns of the key and the other language dropped
    assert zh["人群"].tolist()[0] == "60岁以上老年人" and zh["类型"].tolist()[0] == "儿童之家"
    assert zh["覆盖率"].tolist() == [0.5, 0.25] and pd.isna(zh["类型"].iloc[1])  # values untouched
    en = translate_table(df, lang="en")
    assert en.columns[0] == "Group" and en.iloc[0, 0] == "Older people (60+)"
    assert df["group"].tolist() == ["elderly_60plus", "villages"]  # the input is not changed


def test_repeated_headers_stay_unique_and_unknown_columns_keep_their_name():
    labels = column_labels(["service", "service_zh", "my_col", "uncovered_elderly_60plus"], lang="zh")
    assert labels["service"] == "服务" and labels["service_zh"] == "服务 (service_zh)"
    assert labels["my_col"] == "my_col" and labels["uncovered_elderly_60plus"] == "未覆盖60岁以上老年人"
    assert len(set(labels.values())) == 4


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang must be 'zh' or 'en', not 'fr'"):
        translate_table(pd.DataFrame({"share": [1.0]}), lang="fr")


def test_uncovered_ids_and_travel_times(result):
    assert uncovered_village_ids(result, "eld") == ["V3"]
    assert uncovered_village_ids(result, "kid") == ["V1"]
    times = village_travel_times(result, "eld")
    assert times["V2"] == 12.0 and math.isnan(times["V3"])


def test_unit_table_per_level(result):
    county = unit_table(result, "eld", "county")
    eld = county.loc[county["group"] == "elderly_60plus"].set_index("name")
    assert eld.loc["江川区", ["covered_people", "total_people", "share"]].tolist() == [0, 30, 0.0]
    assert list(county.columns)[:2] == ["name", "group"]
    assert set(unit_table(result, "eld", "township")["name"]) == {"玉兴", "凤凰", "大街"}


def test_band_chart_is_share_per_minute_and_group(result):
    chart = band_chart_table(result, "eld", lang="zh")
    assert list(chart.columns) == ["60岁以上老年人"]
    assert chart.loc[10.0].iloc[0] == pytest.approx(100 / 180) and chart.loc[15.0].iloc[0] == pytest.approx(150 / 180)


def test_uncovered_and_overview_tables_are_translated(result):
    unc = uncovered_table(result, "eld", lang="en")
    assert "Service" not in unc.columns and unc["Name"].tolist() == ["丙村"]
    overview = overview_table(result, lang="zh")
    assert overview["服务"].tolist()[0] == "养老15分钟" and "覆盖率" in overview.columns


def test_share_cards_with_target_gap_and_change(result):
    [card] = share_cards(result.service_summary("eld"), lang="zh")
    assert card["label"] == "60岁以上老年人" and card["share"] == pytest.approx(150 / 180)
    assert (card["target_share"], card["passed"], card["gap_people"], card["change_share"]) == (0.9, False, 12, None)
    before = result.service_summary("eld").assign(share=0.5)
    [card] = share_cards(result.service_summary("eld"), before=before)
    assert card["change_share"] == pytest.approx(150 / 180 - 0.5)


def test_facility_types_table_lists_built_in_and_own_types_in_the_language():
    from coverage.taxonomy import FacilityType, register_facility_types, unregister_facility_types
    from coverage.views import facility_types_table

    register_facility_types([FacilityType("elder_tea_house", "老年茶室", "Elders' tea house", ("茶室",),
                                          category="care", capacity_unit="places")])
    try:
        zh = facility_types_table(lang="zh")
        en = facility_types_table(lang="en")
    finally:
        unregister_facility_types(["elder_tea_house"])
    assert list(zh.columns) == ["键", "名称", "类别", "容量单位", "别名"]
    row = zh.loc[zh["键"] == "elder_tea_house"].iloc[0]
    assert row["名称"] == "老年茶室" and row["别名"] == "茶室"
    assert en.loc[en["Key"] == "elder_tea_house", "Name"].iloc[0] == "Elders' tea house"
    assert "elder_tea_house" not in set(facility_types_table()["键"])
