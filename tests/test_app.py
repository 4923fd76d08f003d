"""The Streamlit app, headless (streamlit.testing.v1.AppTest) on the demo regions: every page and the main flows.

The first test builds the demo's road graph and walking engine (cached as resources for the whole
session, as in the running app); the others reuse them.  Pages are switched as the navigation does
(``AppTest.switch_page``); widgets mirror owned state keys and are found by their key ``w.<owned key>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from coverage.demo import load_demo
from coverage.scenario import Scenario, new_site

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT_S = 180
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: markdown that would load a remote image if a name were rendered as markdown
INJECTION = "![x](http://example.com/a.png)"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    return at.run()


def _page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"app_pages/{page}.py").run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _share(at: AppTest, index: int = 0) -> float:
    return float(at.metric[index].value.rstrip("%"))


def _plain(markdown: str) -> str:
    """Text as shown: markdown backslash escapes and invisible word joiners removed (user text is escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text the page renders as markdown (and so could turn into an image or a link)."""
    elements = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success, *at.header,
                *at.subheader, *at.sidebar.markdown, *at.sidebar.caption]
    return [str(e.value) for e in elements] + [str(m.label) for m in at.metric]


def test_opens_in_chinese_on_the_yuxi_demo():
    at = _app()
    _clean(at)
    assert at.header[0].value == "数据"
    assert f"{len(load_demo('yuxi').demand):,} 个村（社区）" in at.success[0].value
    assert any("示例数据（模拟）" in c.value for c in at.caption)
    assert at.selectbox(key="w.region").value == "yuxi"


def test_english_on_a_toggle():
    at = _app()
    at.sidebar.toggle(key="w.lang").set_value(True).run()
    _clean(at)
    assert at.header[0].value == "Data"
    assert f"{len(load_demo('yuxi').demand)} villages" in at.success[0].value
    assert at.session_state["lang"] == "en"


@pytest.mark.parametrize("page", ["map", "coverage", "siting", "scenarios", "print"])
def test_every_page_renders_without_error(page):
    at = _page(_app(), page)
    _clean(at)
    assert at.header[0].value == {"map": "地图", "coverage": "覆盖", "siting": "选址", "scenarios": "方案",
                                  "print": "打印"}[page]


def test_threshold_change_updates_coverage():
    at = _page(_app(), "coverage")
    _clean(at)
    assert at.metric[0].label == "60岁以上老年人"
    share_15 = _share(at)
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(30).run()
    _clean(at)
    share_30 = _share(at)
    assert share_30 > share_15
    assert at.session_state["thresholds"]["elderly_15min"] == 30
    # the chosen threshold survives a trip to another page
    at = _page(_page(at, "map"), "coverage")
    assert _share(at) == share_30
    assert at.sidebar.slider(key="w.thresholds.elderly_15min").value == 30


def test_all_services_overview():
    at = _page(_app(), "coverage")
    at.toggle(key="w.coverage_all").set_value(True).run()
    _clean(at)
    overview = next(d.value for d in at.dataframe if "服务" in d.value.columns)
    assert "15分钟养老服务圈" in set(overview["服务"])


def test_switching_service_changes_groups():
    at = _page(_app(), "coverage")
    at.sidebar.selectbox(key="w.service").set_value("children_20min").run()
    _clean(at)
    assert at.metric[0].label == "留守儿童"
    assert "留守儿童20分钟儿童之家" in at.subheader[0].value


def test_region_choice_survives_other_pages_and_drives_them():
    """大理 chosen on Data stays chosen after two other pages, and Print and Siting work on Dali."""
    dali = load_demo("dali")
    at = _app()
    at.selectbox(key="w.region").set_value("dali").run()
    _clean(at)
    assert f"{len(dali.demand):,} 个村（社区）" in at.success[0].value
    at = _page(_page(at, "map"), "coverage")
    _clean(at)
    dali_share = _share(at)
    at = _page(at, "data")
    assert at.selectbox(key="w.region").value == "dali"
    assert f"{len(dali.demand):,} 个村（社区）" in at.success[0].value
    at = _page(at, "print")
    _clean(at)
    assert any("大理" in c.value for c in at.caption)
    at.button(key="print_run").click().run()
    _clean(at)
    assert at.session_state["print_output"]["key"][0] == ("demo", "dali")
    at = _page(at, "siting")
    _clean(at)
    assert any("大理" in c.value for c in at.caption)
    assert _share(at) == dali_share  # coverage with (no) accepted sites: Dali's, not Yuxi's
    assert dali_share != pytest.approx(95.3)  # Yuxi's elderly 15-min share


def test_siting_proposal_accept_reject_and_coverage_change():
    at = _page(_app(), "siting")
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(3).run()
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
    # the model options survive a trip to another page; the accepted site can be removed again
    at = _page(_page(at, "map"), "siting")
    assert at.selectbox(key="w.siting_model").value == "mclp" and at.number_input(key="w.siting_k").value == 3
    at.button(key=f"remove_{first}").click().run()
    assert at.session_state["accepted_sites"] == []


def test_proposal_of_another_region_is_not_shown():
    at = _page(_app(), "siting")
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(2).run()
    at.button(key="siting_run").click().run()
    assert len([b for b in at.button if (b.key or "").startswith("accept_")]) == 2
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(20).run()
    _clean(at)
    assert not [b for b in at.button if (b.key or "").startswith("accept_")]  # made for 15 min, not 20
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(15).run()
    assert len([b for b in at.button if (b.key or "").startswith("accept_")]) == 2


def test_infeasible_target_is_explained_not_a_traceback():
    at = _page(_app(), "siting")
    at.slider(key="w.siting_target.elderly_15min").set_value(1.0).run()
    # every village has a committee building among the demo candidates: 100% is infeasible with schools only
    at.multiselect(key="w.siting_kinds").set_value(["idle_school"]).run()
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


def test_names_are_shown_as_written_never_as_markdown():
    """A site, file or scenario named with markdown image syntax is shown literally (no remote image)."""
    at = _page(_app(), "siting")
    at.session_state["clicked"] = (102.55, 24.35)
    at.run()
    at.text_input(key="manual_name").set_value(INJECTION)
    [submit] = [b for b in at.button if b.label == "在此处添加站点"]
    submit.click().run()
    _clean(at)
    assert at.session_state["accepted_sites"][0]["name"] == INJECTION
    texts = _markdown_texts(at)
    assert not any(INJECTION in t for t in texts), texts
    assert any(INJECTION in _plain(t) for t in texts)  # shown as written
    # a scenario with that name and that site, loaded for comparison
    sc = Scenario(name=INJECTION, inputs={"source": "files", "files": {"demand": {"name": INJECTION}}})
    at = _page(at, "scenarios")
    at.file_uploader(key="scenario_upload").upload("x.json", sc.to_json().encode("utf-8"), "application/json")
    at.run()
    assert not at.exception
    assert at.warning  # other data: the warning quotes the scenario's file names
    assert not any(INJECTION in t for t in _markdown_texts(at))
    # an upload named with it that cannot be read: the error names the file, as written
    at = _page(at, "data")
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_demand").upload(f"{INJECTION.replace('/', '_')}.xlsx", b"not a workbook", XLSX)
    at.run()
    assert not at.exception and at.error
    assert not any("![x](http:" in t for t in _markdown_texts(at))


def test_failed_upload_keeps_sites_and_settings():
    site = new_site(102.55, 24.35, facility_type="happy_courtyard", name="保留的站点")
    at = _app()
    at.session_state["accepted_sites"] = [site]
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(25).run()
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_demand").upload("村庄名单.xlsx", b"this is not a workbook", XLSX)
    at.run()
    assert not at.exception
    assert at.error and "村庄名单.xlsx: not a readable .xlsx workbook" in _plain(at.error[0].value)
    assert at.session_state["accepted_sites"] == [site]
    assert at.session_state["thresholds"]["elderly_15min"] == 25
    assert at.session_state["user_layers"] == {}
    # the other pages say what is missing instead of failing
    at = _page(at, "coverage")
    assert not at.exception and "请先在“数据”页载入村庄名单" in at.info[0].value


def test_an_error_in_a_page_is_a_message_and_keeps_the_state():
    site = new_site(102.55, 24.35, facility_type="happy_courtyard", name="保留的站点")
    at = _app()
    at.session_state["accepted_sites"] = [site]
    at.session_state["user_layers"] = {"demand": {"name": "村.csv", "sha256": "x", "crs": "wgs84", "data": "broken",
                                                  "report": None, "crs_assumed": "WGS-84"}}
    at.session_state["source"] = "files"
    at = _page(at, "map")  # the map reads the table's columns: an unexpected AttributeError
    assert not at.exception
    assert at.error and "出现意外错误" in at.error[0].value and "已采纳站点仍然保留" in at.error[0].value
    assert at.session_state["accepted_sites"] == [site]


def test_upload_a_village_list_and_see_the_report():
    csv = ("编号,村名,经度,纬度,60岁以上老年人,留守儿童\n"
           "V1,大营村,102.55,24.35,120,3\n"
           "V2,小营村,102.56,24.36,80,1\n"
           "V3,坏行村,abc,24.37,10,0\n").encode()
    at = _app()
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_demand").upload("村庄.csv", csv, "text/csv")
    at.run()
    assert not at.exception
    layers = at.session_state["user_layers"]
    assert len(layers["demand"]["data"]) == 2
    assert any("2 个村（社区）" in s.value for s in at.success)
    report = at.dataframe[0].value  # the validation report names the rejected row (Excel numbering)
    assert "abc" in report.astype(str).to_string() and "4" in report.astype(str).to_string()


def test_scenario_load_compare_and_apply():
    sc = Scenario(name="方案B", inputs={"source": "demo", "region": "yuxi"},
                  settings={"service": "elderly_15min", "thresholds": {"elderly_15min": 20.0}})
    sc = sc.with_site(new_site(102.55, 24.35, facility_type="community_daycare", name="方案B站点"))
    at = _page(_app(), "scenarios")
    at.file_uploader(key="scenario_upload").upload("方案B.json", sc.to_json().encode("utf-8"), "application/json")
    at.run()
    _clean(at)
    table = at.dataframe[0].value
    assert "载入：方案B" in table.columns and any("方案B站点" in str(v) for v in table["载入：方案B"])
    assert len(at.dataframe) == 2  # coverage side by side
    at.button(key="scenario_apply").click().run()
    assert [s["name"] for s in at.session_state["accepted_sites"]] == ["方案B站点"]
    assert at.session_state["thresholds"] == {"elderly_15min": 20.0}
    assert at.sidebar.slider(key="w.thresholds.elderly_15min").value == 20


def test_two_scenarios_with_the_same_name_compare():
    """The default name 方案A on both sides (and after an apply) still gives two columns and the coverage."""
    sc = Scenario(name="方案A", inputs={"source": "demo", "region": "yuxi"}, settings={"service": "elderly_15min"})
    sc = sc.with_site(new_site(102.55, 24.35, facility_type="community_daycare", name="新站"))
    at = _page(_app(), "scenarios")
    assert at.text_input(key="w.scenario_name").value == "方案A"
    at.file_uploader(key="scenario_upload").upload("方案A.json", sc.to_json().encode("utf-8"), "application/json")
    at.run()
    _clean(at)
    table = at.dataframe[0].value
    assert {"当前：方案A", "载入：方案A"} <= set(table.columns)
    coverage = at.dataframe[1].value
    assert len(coverage) >= 1
    at.button(key="scenario_apply").click().run()
    _clean(at)
    assert len(at.dataframe) == 2 and {"当前：方案A", "载入：方案A"} <= set(at.dataframe[0].value.columns)


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
    at.sidebar.selectbox(key="w.service").set_value("children_20min").run()
    at.sidebar.toggle(key="w.lang").set_value(True).run()
    _clean(at)
    assert at.header[0].value == "Coverage"
    assert at.sidebar.selectbox(key="w.service").value == "children_20min"
    assert at.metric[0].label == "Left-behind children"
    at.sidebar.toggle(key="w.lang").set_value(False).run()
    assert at.header[0].value == "覆盖" and at.session_state["service"] == "children_20min"


def test_map_page_in_english_with_chosen_layers():
    at = _app()
    at.sidebar.toggle(key="w.lang").set_value(True).run()
    at = _page(at, "map")
    at.multiselect(key="w.map_groups").set_value(["left_behind_children"]).run()
    _clean(at)
    assert at.header[0].value == "Map"
    assert at.session_state["map_groups"] == ["left_behind_children"]
    at = _page(_page(at, "coverage"), "map")
    assert at.multiselect(key="w.map_groups").value == ["left_behind_children"]


def _map_script(at: AppTest) -> str:
    """The Leaflet script the Map page hands to streamlit-folium (the map, then the coverage layers)."""
    import json

    (component,) = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    return str(args["script"]) + str(args.get("feature_group") or "")


def test_map_page_roads_and_service_areas_on_demand():
    at = _page(_app(), "map")
    plain = _map_script(at)
    assert "道路" not in plain and "服务范围" not in plain  # both off by default
    at.toggle(key="w.map_roads").set_value(True).run()
    at.toggle(key="w.map_areas").set_value(True).run()
    _clean(at)
    script = _map_script(at)
    assert "道路" in script and "县道" in script and "≤ 15 分钟" in script
    # an unrelated rerun hands over the very same map (the browser does not draw it again)
    at.run()
    assert _map_script(at) == script
    # the choice is the planner's: kept across pages
    at = _page(_page(at, "coverage"), "map")
    assert at.session_state["map_roads"] and at.toggle(key="w.map_roads").value


@pytest.mark.slow
def test_print_page_makes_a_pdf():
    at = _page(_app(), "print")
    at.button(key="print_run").click().run()
    _clean(at)
    output = at.session_state["print_output"]
    assert output["pdf"].startswith(b"%PDF") and output["png"].startswith(b"\x89PNG")
    assert len(at.image) == 1
    # another language is another map: the preview is not shown until printed again
    at.sidebar.toggle(key="w.lang").set_value(True).run()
    assert len(at.image) == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """The Yuxi demo written as a planner uploads it (Excel lists, a GeoPackage of boundaries and roads)."""
    from coverage.demo import export_demo

    return {p.name: p for p in export_demo("yuxi", tmp_path_factory.mktemp("yuxi"))}


def _upload_demo_files(at: AppTest, files: dict[str, Path], *, crs: str = "wgs84") -> AppTest:
    at.radio(key="w.source").set_value("files").run()
    if crs != "wgs84":
        at.selectbox(key="w.crs.demand").set_value(crs).run()
    for kind, name in (("demand", "村庄名单.xlsx"), ("facilities", "设施名单.xlsx")):
        at.file_uploader(key=f"upload_{kind}").upload(name, files[name].read_bytes(), XLSX)
    gpkg = files["边界与路网.gpkg"].read_bytes()
    at.file_uploader(key="upload_roads").upload("边界与路网.gpkg", gpkg, "application/octet-stream")
    return at.run()


@pytest.mark.slow
def test_own_files_from_upload_to_coverage(exported):
    files = exported
    at = _upload_demo_files(_app(), files)
    at.file_uploader(key="upload_candidates").upload("候选点位.xlsx", files["候选点位.xlsx"].read_bytes(), XLSX)
    gpkg = files["边界与路网.gpkg"].read_bytes()
    at.file_uploader(key="upload_boundaries").upload("边界与路网.gpkg", gpkg, "application/octet-stream")
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


@pytest.mark.slow
def test_changing_the_coordinate_system_changes_the_figures(exported):
    """The same workbook re-chosen as BD-09 is re-read and re-analysed, in this session and in a new one."""
    demo = _share(_page(_app(), "coverage"))
    at = _upload_demo_files(_app(), exported)
    _clean(at)
    at = _page(at, "coverage")
    _clean(at)
    wgs84 = _share(at)
    assert wgs84 == demo  # the demo's own figure: the exported workbook is WGS-84
    # back on Data (the uploader may be empty after the visit): choose BD-09 for the same workbook
    at = _page(at, "data")
    at.selectbox(key="w.crs.demand").set_value("bd09").run()
    _clean(at)
    assert at.session_state["user_layers"]["demand"]["crs"] == "bd09"
    assert any("BD-09" in c.value for c in at.caption)
    at = _page(at, "coverage")
    _clean(at)
    bd09 = _share(at)
    assert bd09 < wgs84 - 20  # shifted by several hundred metres, villages fall off the road network
    # back to WGS-84: the first figure again
    at = _page(at, "data")
    at.selectbox(key="w.crs.demand").set_value("wgs84").run()
    at = _page(at, "coverage")
    assert _share(at) == wgs84
    # a new session reading the same file as BD-09 from the start gets the BD-09 figure, not the cached WGS-84 one
    other = _page(_upload_demo_files(_app(), exported, crs="bd09"), "coverage")
    _clean(other)
    assert _share(other) == bd09


def test_base_maps_amap_and_tianditu_without_key():
    at = _page(_app(), "map")
    at.selectbox(key="w.basemap").set_value("amap").run()
    _clean(at)
    assert any("需要联网" in c.value for c in at.caption)
    at.selectbox(key="w.basemap").set_value("tianditu").run()
    _clean(at)
    assert any("天地图底图需要您的密钥" in i.value for i in at.info)
    at.text_input(key="w.tianditu_key").set_value("my-key").run()
    _clean(at)
    assert not any("天地图底图需要您的密钥" in i.value for i in at.info)
    # the base map stays chosen across pages
    at = _page(_page(at, "coverage"), "map")
    assert at.selectbox(key="w.basemap").value == "tianditu"



def _download(at: AppTest, section: str, suffix: str) -> bytes:
    """The bytes behind a prepared export's download button (kept with the key they were made for)."""
    files = at.session_state["exports"][section]["files"]
    (name,) = [n for n in files if n.endswith(suffix)]
    return files[name]


def _covered_share(villages: Any, group: str = "60岁以上老年人") -> float:
    covered = villages[next(c for c in villages.columns if "覆盖" in c and villages[c].isin(["是", "否"]).all())]
    return float(villages.loc[covered.eq("是"), group].sum() / villages[group].sum())


@pytest.mark.slow
def test_own_files_to_exports_agree_with_the_command_line(exported, tmp_path, capsys):
    """Upload the exported Yuxi demo, coverage -> proposal -> accept -> export; the CLI on the same folder
    (``analyze --data --json`` and ``export --data --scenario``) gives the same share, villages and site."""
    import io
    import json

    import geopandas as gpd
    import pandas as pd

    from coverage.cli import main as cli
    from coverage.scenario import save_scenario

    files = exported
    folder = files["村庄名单.xlsx"].parent
    at = _upload_demo_files(_app(), files)
    at.file_uploader(key="upload_candidates").upload("候选点位.xlsx", files["候选点位.xlsx"].read_bytes(), XLSX)
    at.file_uploader(key="upload_boundaries").upload("边界与路网.gpkg", files["边界与路网.gpkg"].read_bytes(),
                                                     "application/octet-stream")
    at.run()
    _clean(at)
    at = _page(at, "coverage")
    _clean(at)
    before = _share(at)

    # the command line on the same folder: the same share before any site
    capsys.readouterr()
    assert cli(["analyze", "--data", str(folder), "--json"]) == 0
    services = json.loads(capsys.readouterr().out)["services"]
    cli_group = next(g for s in services if s["service"] == "elderly_15min" for g in s["groups"]
                     if g["group"] == "elderly_60plus")
    assert before == pytest.approx(round(cli_group["share"] * 100, 1))

    # a proposal of one site, accepted
    at = _page(at, "siting")
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(1).run()
    at.button(key="siting_run").click().run()
    _clean(at)
    (site,) = at.session_state["proposal"]["sites"]
    at.button(key=f"accept_{site['id']}").click().run()
    _clean(at)
    assert [s["id"] for s in at.session_state["accepted_sites"]] == [site["id"]]

    # the exports of the coverage with the accepted site: Excel with Chinese headers, GeoPackage, GeoJSON
    at = _page(at, "coverage")
    after = _share(at)
    assert after > before
    at.button(key="export_coverage").click().run()
    _clean(at)
    assert len(at.get("download_button")) == 3
    app_gpkg = tmp_path / "app.gpkg"
    app_gpkg.write_bytes(_download(at, "coverage", ".gpkg"))
    app_xlsx = pd.read_excel(io.BytesIO(_download(at, "coverage", ".xlsx")), sheet_name=None, engine="openpyxl")
    assert {"说明", "村（社区）覆盖", "乡镇覆盖", "县（市、区）覆盖", "未覆盖村（社区）", "已采纳站点"} <= set(app_xlsx)
    assert "60岁以上老年人" in app_xlsx["村（社区）覆盖"].columns

    # the same folder and the app's scenario through `export --data --scenario`
    scenario = tmp_path / "方案.json"
    save_scenario(Scenario(name="方案A", accepted_sites=tuple(at.session_state["accepted_sites"])), scenario)
    cli_gpkg = tmp_path / "cli.gpkg"
    assert cli(["export", "--data", str(folder), "--scenario", str(scenario), "--out", str(cli_gpkg)]) == 0
    app_v = gpd.read_file(app_gpkg, layer="villages")
    cli_v = gpd.read_file(cli_gpkg, layer="villages")
    pd.testing.assert_frame_equal(pd.DataFrame(app_v.drop(columns="geometry")),
                                  pd.DataFrame(cli_v.drop(columns="geometry")))
    assert _covered_share(cli_v) * 100 == pytest.approx(after, abs=0.05)
    assert _covered_share(app_v) * 100 == pytest.approx(after, abs=0.05)
    for layer in ("counties", "townships", "accepted_sites"):
        a, c = gpd.read_file(app_gpkg, layer=layer), gpd.read_file(cli_gpkg, layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(c.drop(columns="geometry")))
    sites = gpd.read_file(cli_gpkg, layer="accepted_sites")
    assert site["id"] in sites.iloc[0].astype(str).tolist()

    # the site files and the report of the accepted site (Siting page)
    at = _page(at, "siting")
    at.button(key="export_sites").click().run()
    _clean(at)
    sites_xlsx = pd.read_excel(io.BytesIO(_download(at, "sites", ".xlsx")), sheet_name=None, engine="openpyxl")
    assert "已采纳站点" in sites_xlsx and len(sites_xlsx["已采纳站点"]) == 1
    # a changed threshold hides the prepared files (they were made for 15 minutes)
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(20).run()
    assert not at.get("download_button")


@pytest.mark.slow
def test_advanced_siting_options_reach_the_solver_and_the_scenario():
    """Per-township target, budget, two groups with weights: each changes the proposal, is shown, and is
    saved in the scenario file; a new session applying that file gets the same options back."""
    at = _page(_app(), "siting")
    at.button(key="siting_run").click().run()
    _clean(at)
    plain = at.session_state["proposal"]
    assert plain["status"] == "optimal" and "unit_rules" not in plain["settings"]
    # 60% of townships with all their older people within 15 minutes needs more sites than the share alone
    at.selectbox(key="w.siting_unit_level").set_value("township_code").run()
    at.button(key="siting_run").click().run()
    _clean(at)
    ruled = at.session_state["proposal"]
    assert ruled["settings"]["unit_rules"] == {"township_code": 0.6}
    assert len(ruled["sites"]) > len(plain["sites"])
    assert any("乡镇 ≥ 60%" in _plain(c.value) for c in at.caption)
    # at most 100 (10k yuan) for up to 10 sites: the chosen sites' costs stay within it
    at.selectbox(key="w.siting_unit_level").set_value("none").run()
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(10).run()
    at.toggle(key="w.siting_use_budget").set_value(True).run()
    at.number_input(key="w.siting_budget").set_value(100.0).run()
    at.button(key="siting_run").click().run()
    _clean(at)
    budgeted = at.session_state["proposal"]
    assert budgeted["settings"]["budget"] == 100.0
    assert 0 < len(budgeted["sites"]) < 10
    assert sum(s["cost_10k_yuan"] for s in budgeted["sites"]) <= 100.0
    # shared care of older people and left-behind children (about 70 times fewer), a child weighing as much
    # as 70 older people: other sites than for older people alone
    at.toggle(key="w.siting_use_budget").set_value(False).run()
    at.button(key="siting_run").click().run()
    only = at.session_state["proposal"]
    assert "budget" not in only["settings"] and len(only["sites"]) == 10
    at.multiselect(key="w.siting_groups.elderly_15min").set_value(["elderly_60plus", "left_behind_children"]).run()
    at.number_input(key="w.siting_weights.left_behind_children").set_value(70.0).run()
    _clean(at)
    at.button(key="siting_run").click().run()
    _clean(at)
    shared = at.session_state["proposal"]
    assert shared["settings"]["group_weights"] == {"elderly_60plus": 1.0, "left_behind_children": 70.0}
    assert {s["id"] for s in shared["sites"]} != {s["id"] for s in only["sites"]}

    # the scenario file carries the options: the current scenario's settings equal those solved with
    file = Scenario(name="方案C", inputs={"source": "demo", "region": "yuxi"},
                    settings={"service": "elderly_15min", "model": "mclp", "k": 10, "siting": shared["settings"]})
    at = _page(at, "scenarios")
    at.file_uploader(key="scenario_upload").upload("方案C.json", file.to_json().encode("utf-8"),
                                                   "application/json").run()
    _clean(at)
    compared = at.dataframe[0].value
    row = compared.loc[compared["项目"] == "设置: 选址设置"].iloc[0]
    assert row.iloc[1] == row.iloc[2] and "人群权重：（60岁以上老年人：1；留守儿童：70）" in row.iloc[1]
    # a new session applying the file gets the options back
    other = _page(_app(), "scenarios")
    other.file_uploader(key="scenario_upload").upload("方案C.json", file.to_json().encode("utf-8"),
                                                      "application/json").run()
    other.button(key="scenario_apply").click().run()
    _clean(other)
    ss = other.session_state
    assert ss["siting_model"] == "mclp" and not ss["siting_use_budget"]
    assert ss["siting_groups"]["elderly_15min"] == ["elderly_60plus", "left_behind_children"]
    assert ss["siting_weights"]["left_behind_children"] == 70.0
    other = _page(other, "siting")
    _clean(other)
    assert other.number_input(key="w.siting_weights.left_behind_children").value == 70.0


@pytest.mark.slow
def test_printed_coverage_map_and_report_show_the_accepted_sites():
    """With an accepted site, the printed coverage map is the scenario's map (the site numbered, before and
    after) and the report of the accepted sites is offered beside it; removing the site hides both."""
    import io

    import pandas as pd

    at = _page(_app(), "siting")
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(2).run()
    at.button(key="siting_run").click().run()
    sites = at.session_state["proposal"]["sites"]
    at.button(key="siting_run").click().run()  # the same request again: the same proposal, no error
    _clean(at)
    assert at.session_state["proposal"]["sites"] == sites
    for site in sites:
        at.button(key=f"accept_{site['id']}").click().run()
    _clean(at)
    at = _page(at, "print")
    at.radio(key="w.print_kind").set_value("coverage").run()
    assert any("已采纳站点 2 处" in c.value for c in at.caption)
    at.button(key="print_run").click().run()
    _clean(at)
    assert at.session_state["print_output"]["pdf"].startswith(b"%PDF")
    at.button(key="export_report").click().run()
    _clean(at)
    book = pd.read_excel(io.BytesIO(_download(at, "report", ".xlsx")), sheet_name=None, engine="openpyxl")
    listed = "\n".join(str(v) for df in book.values() for v in df.astype(str).to_numpy().ravel())
    for site in sites:
        assert site["name"] in listed
    assert "k 个站点覆盖最多人" in listed  # the model chosen is in the report
    assert _download(at, "report", ".pdf").startswith(b"%PDF")
    # removing a site: the printed map and the report are not offered until made again
    at = _page(at, "siting")
    at.button(key=f"remove_{sites[0]['id']}").click().run()
    at = _page(at, "print")
    assert len(at.image) == 0 and not at.get("download_button")


def test_a_table_loaded_before_own_types_loads_again_when_the_standards_add_them(tmp_path):
    """Rows of a type the standards add later are not left rejected: the loaded table follows the vocabulary."""
    from coverage.taxonomy import FacilityType, register_facility_types, unregister_facility_types

    csv = ("编号,名称,设施类型,经度,纬度\n"
           "F1,玉兴日间照料中心,居家养老服务中心,102.54,24.35\n"
           "F2,北门老年茶室,老年茶室,102.55,24.36\n").encode()
    at = _app()
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_facilities").upload("设施.csv", csv, "text/csv")
    at.run()
    assert len(at.session_state["user_layers"]["facilities"]["data"]) == 1  # 老年茶室 unknown: rejected, reported
    register_facility_types([FacilityType("elder_tea_house", "老年茶室", "Elders' tea house", category="care",
                                          capacity_unit="places")])
    try:
        at = _page(at, "coverage")  # any page: the table is read again under the new vocabulary
        facilities = at.session_state["user_layers"]["facilities"]["data"]
        assert sorted(facilities["type"]) == ["community_daycare", "elder_tea_house"]
    finally:
        unregister_facility_types(["elder_tea_house"])


def test_tables_show_empty_cells_not_none_and_keep_counts_numeric():
    """A facility without a capacity is an empty cell (Streamlit would write "None"); counts stay numbers."""
    at = _page(_app(), "data")
    (facilities,) = [d.value for d in at.dataframe if "容量" in d.value.columns]
    funeral = facilities[facilities["类型"] == "殡仪馆"]
    assert len(funeral) and (funeral["容量"] == "").all() and (funeral["容量单位"] == "").all()
    with_beds = facilities[facilities["容量单位"] == "床位"]
    assert len(with_beds) and with_beds["容量"].str.fullmatch(r"[\d,]+").all()
    for d in at.dataframe:
        assert not d.value.isna().any().any()
    at = _page(at, "coverage")
    county = at.dataframe[0].value
    assert county["覆盖人数"].dtype.kind == "f" and county["覆盖人数"].sum() > 400_000  # sortable numbers


def test_the_default_scenario_name_follows_the_language_until_the_planner_types_one():
    at = _page(_app(), "scenarios")
    assert at.text_input(key="w.scenario_name").value == "方案A"
    at.sidebar.toggle(key="w.lang").set_value(True).run()
    assert at.text_input(key="w.scenario_name").value == "Scenario A"
    at.text_input(key="w.scenario_name").set_value("县城北片方案").run()
    at.sidebar.toggle(key="w.lang").set_value(False).run()
    assert at.text_input(key="w.scenario_name").value == "县城北片方案"


def test_validation_report_shows_a_missing_value_as_an_empty_cell():
    """A row without an id: the report names it (file, Excel row, column) and its value cell is empty, not "None"."""
    csv = ("编号,村名,经度,纬度,60岁以上老年人,留守儿童\n"
           "V1,大营村,102.55,24.35,120,3\n"
           ",无编号村,102.56,24.36,80,1\n").encode()
    at = _app()
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_demand").upload("村庄.csv", csv, "text/csv")
    at.run()
    report = at.dataframe[0].value
    row = report[report["列"] == "编号"].iloc[0]
    assert row["文件"] == "村庄.csv" and str(row["行（Excel 行号）"]) == "3" and row["值"] == ""
    assert not report.isna().any().any()
