"""The Streamlit app, headless (streamlit.testing.v1.AppTest) on the Yuxi demo: every page and the main flows.

The first test builds the demo's road graph and walking engine (cached as resources for the whole
session, as in the running app); the others reuse them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coverage.demo import load_demo
from coverage.scenario import Scenario, new_site

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT_S = 180


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    return at.run()


def _k(at: AppTest, key: str) -> str:
    """Widgets whose labels follow the language have a key per language (app.pick)."""
    return f"{key}__{'en' if at.session_state['lang_en'] else 'zh'}"


def _page(at: AppTest, page: str) -> AppTest:
    return at.sidebar.radio(key=_k(at, "page")).set_value(page).run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _share(at: AppTest, index: int = 0) -> float:
    return float(at.metric[index].value.rstrip("%"))


def test_opens_in_chinese_on_the_yuxi_demo():
    at = _app()
    _clean(at)
    assert at.header[0].value == "数据"
    assert f"{len(load_demo('yuxi').demand)} 个村（社区）" in at.success[0].value
    assert any("示例数据（模拟）" in c.value for c in at.caption)
    assert at.sidebar.radio(key=_k(at, "page")).options[:3] == ["数据", "地图", "覆盖"]


def test_english_on_a_toggle():
    at = _app()
    at.sidebar.toggle(key="lang_en").set_value(True).run()
    _clean(at)
    assert at.header[0].value == "Data"
    assert f"{len(load_demo('yuxi').demand)} villages" in at.success[0].value
    assert at.sidebar.radio(key=_k(at, "page")).options[:3] == ["Data", "Map", "Coverage"]


@pytest.mark.parametrize("page", ["map", "coverage", "siting", "scenarios", "print"])
def test_every_page_renders_without_error(page):
    at = _page(_app(), page)
    _clean(at)
    assert at.header[0].value in {"地图", "覆盖", "选址", "方案", "打印"}


def test_threshold_change_updates_coverage():
    at = _page(_app(), "coverage")
    _clean(at)
    assert at.metric[0].label == "60岁以上老年人"
    share_15 = _share(at)
    at.sidebar.slider(key="threshold_elderly_15min").set_value(30).run()
    _clean(at)
    share_30 = _share(at)
    assert share_30 > share_15
    assert at.session_state["thresholds"]["elderly_15min"] == 30
    # the chosen threshold survives a trip to another page
    at = _page(_page(at, "map"), "coverage")
    assert _share(at) == share_30


def test_all_services_overview():
    at = _page(_app(), "coverage")
    at.toggle(key="coverage_all").set_value(True).run()
    _clean(at)
    overview = at.dataframe[-2].value if len(at.dataframe) > 4 else at.dataframe[-1].value
    assert "15分钟养老服务圈" in set(overview.iloc[:, 0])


def test_switching_service_changes_groups():
    at = _page(_app(), "coverage")
    at.sidebar.selectbox(key=_k(at, "service")).set_value("children_20min").run()
    _clean(at)
    assert at.metric[0].label == "留守儿童"
    assert "留守儿童20分钟儿童之家" in at.subheader[0].value


def test_siting_proposal_accept_reject_and_coverage_change():
    at = _page(_app(), "siting")
    at.selectbox(key=_k(at, "siting_model")).set_value("mclp").run()
    at.number_input(key="siting_k").set_value(3).run()
    at.button(key="siting_run").click().run()
    _clean(at)
    accept = [b for b in at.button if (b.key or "").startswith("accept_")]
    assert len(accept) == 3
    assert any("新增覆盖" in m.value for m in at.markdown)
    first = accept[0].key.removeprefix("accept_")
    at.button(key=f"accept_{first}").click().run()
    _clean(at)
    assert [s["id"] for s in at.session_state["accepted_sites"]] == [first]
    assert float(at.metric[0].delta.split()[0]) > 0  # coverage with the accepted site is higher
    second = next(b.key for b in at.button if (b.key or "").startswith("reject_")).removeprefix("reject_")
    at.button(key=f"reject_{second}").click().run()
    assert not any(b.key == f"accept_{second}" for b in at.button)
    assert len([b for b in at.button if (b.key or "").startswith("accept_")]) == 1
    # the accepted site can be removed again
    at.button(key=f"remove_{first}").click().run()
    assert at.session_state["accepted_sites"] == []


def test_infeasible_target_is_explained_not_a_traceback():
    at = _page(_app(), "siting")
    at.slider(key="siting_target").set_value(1.0).run()
    # every village has a committee building among the demo candidates: 100% is infeasible with schools only
    at.multiselect(key=_k(at, "siting_kinds")).set_value(["idle_school"]).run()
    at.button(key="siting_run").click().run()
    assert not at.exception
    assert at.error and "cannot be met" in at.error[0].value


def test_site_placed_by_hand_from_a_map_click():
    at = _page(_app(), "siting")
    at.session_state["clicked"] = (102.55, 24.35)
    at.run()
    assert any("102.55000, 24.35000" in m.value for m in at.markdown)
    at.text_input(key="manual_name").set_value("手动幸福小院")
    [submit] = [b for b in at.button if b.label == "在此处添加站点"]
    submit.click().run()  # form values are sent with the submit
    _clean(at)
    (site,) = at.session_state["accepted_sites"]
    assert site["origin"] == "manual" and site["name"] == "手动幸福小院" and site["lon"] == pytest.approx(102.55)


def test_failed_upload_keeps_sites_and_settings():
    site = new_site(102.55, 24.35, facility_type="happy_courtyard", name="保留的站点")
    at = _app()
    at.session_state["accepted_sites"] = [site]
    at.sidebar.slider(key="threshold_elderly_15min").set_value(25).run()
    at.radio(key=_k(at, "source")).set_value("files").run()
    at.file_uploader(key="upload_demand").upload("村庄名单.xlsx", b"this is not a workbook",
                                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    at.run()
    assert not at.exception
    assert at.error and "村庄名单.xlsx" in at.error[0].value
    assert at.session_state["accepted_sites"] == [site]
    assert at.session_state["thresholds"]["elderly_15min"] == 25
    assert at.session_state["user_layers"] == {}
    # the other pages say what is missing instead of failing
    at = _page(at, "coverage")
    assert not at.exception and "请先在“数据”页载入村庄名单" in at.info[0].value


def test_upload_a_village_list_and_see_the_report(tmp_path):
    csv = ("编号,村名,经度,纬度,60岁以上老年人,留守儿童\n"
           "V1,大营村,102.55,24.35,120,3\n"
           "V2,小营村,102.56,24.36,80,1\n"
           "V3,坏行村,abc,24.37,10,0\n").encode()
    at = _app()
    at.radio(key=_k(at, "source")).set_value("files").run()
    at.file_uploader(key="upload_demand").upload("村庄.csv", csv, "text/csv")
    at.run()
    assert not at.exception
    layers = at.session_state["user_layers"]
    assert len(layers["demand"]["data"]) == 2
    assert any("2 个村（社区）" in s.value for s in at.success)
    assert len(at.dataframe) >= 1  # the validation report names the rejected row


def test_scenario_load_compare_and_apply():
    sc = Scenario(name="方案B", inputs={"source": "demo", "region": "yuxi"},
                  settings={"service": "elderly_15min", "thresholds": {"elderly_15min": 20.0}})
    sc = sc.with_site(new_site(102.55, 24.35, facility_type="community_daycare", name="方案B站点"))
    at = _page(_app(), "scenarios")
    at.file_uploader(key="scenario_upload").upload("方案B.json", sc.to_json().encode("utf-8"), "application/json")
    at.run()
    _clean(at)
    table = at.dataframe[0].value
    assert "方案B" in table.columns and any("方案B站点" in str(v) for v in table["方案B"])
    assert len(at.dataframe) == 2  # coverage side by side
    at.button(key="scenario_apply").click().run()
    assert [s["name"] for s in at.session_state["accepted_sites"]] == ["方案B站点"]
    assert at.session_state["thresholds"] == {"elderly_15min": 20.0}


def test_bad_scenario_file_is_reported_and_changes_nothing():
    at = _page(_app(), "scenarios")
    at.session_state["accepted_sites"] = [new_site(102.5, 24.3, facility_type="happy_courtyard")]
    at.file_uploader(key="scenario_upload").upload("x.json", b'{"format": "something else"}', "application/json")
    at.run()
    assert not at.exception
    assert "not a scenario file of this tool" in at.error[0].value
    assert len(at.session_state["accepted_sites"]) == 1


def test_language_switch_keeps_page_and_choices():
    at = _page(_app(), "coverage")
    at.sidebar.selectbox(key=_k(at, "service")).set_value("children_20min").run()
    at.sidebar.toggle(key="lang_en").set_value(True).run()
    _clean(at)
    assert at.header[0].value == "Coverage"
    assert at.sidebar.selectbox(key=_k(at, "service")).value == "children_20min"
    assert at.metric[0].label == "Left-behind children"
    at.sidebar.toggle(key="lang_en").set_value(False).run()
    assert at.header[0].value == "覆盖" and at.session_state["service"] == "children_20min"


def test_map_page_in_english_with_chosen_layers():
    at = _app()
    at.sidebar.toggle(key="lang_en").set_value(True).run()
    at = _page(at, "map")
    at.multiselect(key=_k(at, "map_groups")).set_value(["left_behind_children"]).run()
    _clean(at)
    assert at.header[0].value == "Map"
    assert at.session_state["map_groups"] == ["left_behind_children"]


@pytest.mark.slow
def test_print_page_makes_a_pdf():
    at = _page(_app(), "print")
    at.button(key="print_run").click().run()
    _clean(at)
    output = at.session_state["print_output"]
    assert output["pdf"].startswith(b"%PDF") and output["png"].startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """The Yuxi demo written as a planner uploads it (Excel lists, a GeoPackage of boundaries and roads)."""
    from coverage.demo import export_demo

    return {p.name: p for p in export_demo("yuxi", tmp_path_factory.mktemp("yuxi"))}


@pytest.mark.slow
def test_own_files_from_upload_to_coverage(exported):
    files = exported
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = _app()
    at.radio(key=_k(at, "source")).set_value("files").run()
    for kind, name in (("demand", "村庄名单.xlsx"), ("facilities", "设施名单.xlsx"), ("candidates", "候选点位.xlsx")):
        at.file_uploader(key=f"upload_{kind}").upload(name, files[name].read_bytes(), xlsx)
    gpkg = files["边界与路网.gpkg"].read_bytes()
    at.file_uploader(key="upload_boundaries").upload("边界与路网.gpkg", gpkg, "application/octet-stream")
    at.file_uploader(key="upload_roads").upload("边界与路网.gpkg", gpkg, "application/octet-stream")
    at.run()
    _clean(at)
    layers = at.session_state["user_layers"]
    demo = load_demo("yuxi")
    assert {k: len(v["data"]) for k, v in layers.items() if k != "boundaries"} == {
        "demand": len(demo.demand), "facilities": len(demo.facilities), "candidates": len(demo.candidates)}
    assert layers["boundaries"]["layer"] == "boundaries"
    assert at.session_state["user_roads"]["layer"] == "roads"
    at = _page(at, "coverage")
    _clean(at)
    assert at.metric[0].label == "60岁以上老年人" and 0 < _share(at) <= 100


def test_base_maps_amap_and_tianditu_without_key():
    at = _page(_app(), "map")
    at.selectbox(key=_k(at, "basemap")).set_value("amap").run()
    _clean(at)
    assert any("需要联网" in c.value for c in at.caption)
    at.selectbox(key=_k(at, "basemap")).set_value("tianditu").run()
    _clean(at)
    assert any("天地图底图需要您的密钥" in i.value for i in at.info)
    at.text_input(key="tianditu_key").set_value("my-key").run()
    _clean(at)
    assert not any("天地图底图需要您的密钥" in i.value for i in at.info)
