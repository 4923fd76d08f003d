"""The app's Standards page, headless: the rules in tables, apply, and analysis that follows edited standards."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coverage.metrics import default_standards

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"app_pages/{page}.py").run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _share(at: AppTest) -> float:
    return float(at.metric[0].value.rstrip("%"))


def test_standards_page_shows_every_rule_and_applies_without_change():
    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "standards")
    _clean(at)
    assert at.header[0].value == "考核标准"
    std = default_standards()
    assert any(std.digest() in c.value for c in at.caption)  # the fingerprint of the default file
    frames = at.dataframe
    shown = [set(f.value["key"]) for f in frames if "key" in f.value.columns]
    assert {s.key for s in std.services} in shown and {r.key for r in std.unit_rules} in shown
    at.button(key="w.standards_apply").click().run()
    _clean(at)
    assert at.session_state["standards"].digest() == std.digest()  # the tables read back unchanged


def test_analysis_follows_the_edited_standards():
    """Standards edited on the page change the coverage figure (cache keyed by their content); back again."""
    from dataclasses import replace

    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "coverage")
    _clean(at)
    default_share = _share(at)
    std = default_standards()
    svc = std.service("elderly_15min")
    narrower = replace(svc, facility_types=tuple(t for t in svc.facility_types if t != "elderly_activity_center"))
    at.session_state["standards"] = replace(std, services=tuple(narrower if s.key == svc.key else s
                                                                for s in std.services))
    at = _page(at, "coverage")
    _clean(at)
    strict = _share(at)
    assert strict < default_share - 5  # without the 2,344 day-care venues: fewer older people covered
    at.session_state["standards"] = None
    at = _page(at, "coverage")
    assert _share(at) == default_share


OWN_TYPES = """
name_zh: 带自定义类型的标准
name_en: Standards with a type of our own
facility_types:
  - key: elder_tea_house
    zh: 老年茶室
    en: Elders' tea house
    category: care
    capacity_unit: places
    aliases: [茶室, 村老年茶室]
services:
  - key: tea_30min
    zh: 30分钟老年茶室
    en: Tea house within 30 min
    facility_types: [elder_tea_house]
    groups: [elderly_60plus]
    mode: walk
    threshold_min: 30
    target_share: 0.5
"""

FACILITIES = ("编号,名称,设施类型,经度,纬度\n"
              "F1,玉兴日间照料中心,居家养老服务中心,102.54,24.35\n"
              "F2,北门茶室,茶室,102.55,24.36\n").encode()


def _upload_facilities(at: AppTest) -> AppTest:
    at = _page(at, "data")
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_facilities").upload("设施.csv", FACILITIES, "text/csv")
    return at.run()


def _facility_types(at: AppTest) -> list[str]:
    return sorted(at.session_state["user_layers"]["facilities"]["data"]["type"])


def test_own_types_loaded_on_the_page_stay_in_that_session_and_reload_its_table():
    """A table loaded before the standards add its type loads again; another session never sees the type."""
    from coverage.taxonomy import FACILITY_TYPES

    mine = _upload_facilities(AppTest.from_file(APP, default_timeout=180).run())
    assert _facility_types(mine) == ["community_daycare"]  # 茶室 unknown: rejected and reported
    mine = _page(mine, "standards")
    mine.file_uploader(key="w.standards_file").upload("我的标准.yaml", OWN_TYPES.encode(), "application/x-yaml")
    mine.run()
    mine.button(key="w.standards_load").click().run()
    _clean(mine)
    assert [t.key for t in mine.session_state["standards"].facility_types] == ["elder_tea_house"]
    mine = _page(mine, "data")  # the facilities file is read again under the new vocabulary, not re-uploaded
    _clean(mine)
    assert _facility_types(mine) == ["community_daycare", "elder_tea_house"]

    other = _upload_facilities(AppTest.from_file(APP, default_timeout=180).run())  # a second planner
    assert _facility_types(other) == ["community_daycare"]
    assert "elder_tea_house" not in FACILITY_TYPES  # nor this process outside the sessions
    mine = _page(mine, "data")  # the first session keeps its type on every run
    assert _facility_types(mine) == ["community_daycare", "elder_tea_house"]


def _options(at: AppTest, column: str) -> dict[str, str]:
    """value -> label of a selectbox column of the Standards page's editors (as sent to the browser)."""
    import json

    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        if column in config:
            return {o["value"]: o["label"] for o in config[column]["type_config"]["options"]}
    raise AssertionError(f"no editor column {column}")


def test_mode_and_level_dropdowns_show_labels_and_store_keys():
    """The editor shows 步行 / 乡(镇、街道) (Walking / Township in English); the tables keep the keys."""
    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "standards")
    _clean(at)
    assert _options(at, "mode") == {"walk": "步行", "ebike": "电动车", "car": "驾车"}
    assert _options(at, "level") == {"county": "县(市、区)", "township": "乡(镇、街道)", "village": "村(社区)"}
    frames = [f.value for f in at.dataframe if "key" in f.value.columns]
    services = next(f for f in frames if "mode" in f.columns)
    rules = next(f for f in frames if "level" in f.columns)
    assert set(services["mode"]) <= {"walk", "ebike", "car"}
    assert set(rules["level"]) <= {"village", "township", "county"}
    at.button(key="w.standards_apply").click().run()
    assert at.session_state["standards"].digest() == default_standards().digest()
    at.session_state["lang"] = "en"
    at = _page(at, "standards")
    assert _options(at, "mode")["walk"] == "Walking" and _options(at, "level")["township"] == "Township"


def _funeral_frame(at: AppTest):
    heads = ("年死亡人数(估算)", "Deaths per year (estimate)")
    return next(f.value for f in at.dataframe if any(h in f.value.columns for h in heads))


def test_coverage_page_shows_funeral_demand_by_county_at_the_rate_of_the_standards():
    """Deaths a year by county on the Coverage page; doubling the rate on the Standards page doubles them."""
    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "coverage")
    _clean(at)
    before = _funeral_frame(at)
    assert {"县(市、区)", "墓穴可用年限", "格位可用年限", "年限不足"} <= set(before.columns)
    assert len(before) == 9 + 1  # Yuxi's nine counties and the whole prefecture
    rate = default_standards().funeral.death_rate_per_1000
    at = _page(at, "standards")
    box = next(n for n in at.number_input if n.key.startswith("w.std_death_rate"))
    box.set_value(2 * rate).run()
    at.button(key="w.standards_apply").click().run()
    _clean(at)
    at = _page(at, "coverage")
    after = _funeral_frame(at)
    deaths = "年死亡人数(估算)"
    assert after[deaths].tolist() == pytest.approx([2 * x for x in before[deaths]])
    assert (after["墓穴可用年限"] <= before["墓穴可用年限"] + 1e-9).all()
