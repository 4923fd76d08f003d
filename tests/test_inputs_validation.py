"""One test per validation problem: the report names file, Excel row, column, value and a fix."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from coverage.errors import CRSError, MissingColumnError, UnknownCategoryError, ValidationError
from coverage.inputs import Problem, ValidationReport, load_boundaries, load_candidates, load_demand, load_facilities
from coverage.inputs.columns import match_columns

REGION = (102.3, 24.1, 102.8, 24.6)  # around 红塔区


@pytest.fixture(scope="module")
def bad(data_dir):
    return load_demand(data_dir / "demand_bad.csv", region=REGION)


def _at(report: ValidationReport, row: int) -> list[Problem]:
    return [p for p in report.problems if p.row == row]


def _one(report: ValidationReport, row: int, code: str) -> Problem:
    found = [p for p in _at(report, row) if p.code == code]
    assert len(found) == 1, f"row {row}: {[p.code for p in _at(report, row)]}"
    return found[0]


def test_valid_rows_load_and_every_rejected_row_is_reported(bad):
    assert bad.report.n_read == 13
    assert bad.data["id"].tolist() == ["V01", "V12", "V14"]
    assert bad.report.rejected_rows == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    assert bad.report.n_read == bad.report.n_loaded + bad.report.n_rejected  # nothing dropped silently
    assert bad.rejected["_row"].tolist() == bad.report.rejected_rows
    assert all(bad.rejected["_reasons"].str.len() > 0)


def test_every_problem_names_the_file_and_has_a_fix(bad):
    for p in bad.report.errors + bad.report.warnings:
        assert p.file.endswith("demand_bad.csv")
        assert p.fix and p.fix_zh and p.message_zh


def test_empty_id(bad):
    p = _one(bad.report, 3, "empty_id")
    assert p.column == "编号" and p.rejected
    assert "编号为空" in p.message_zh


def test_duplicate_id_names_the_first_row(bad):
    p = _one(bad.report, 4, "duplicate_id")
    assert p.value == "V01"
    assert "row 2" in p.message and "第 2 行" in p.message_zh


def test_non_numeric_population(bad):
    p = _one(bad.report, 5, "non_numeric_population")
    assert (p.column, p.value) == ("60岁以上老年人", "约三百")


def test_negative_population(bad):
    p = _one(bad.report, 6, "negative_population")
    assert (p.column, p.value) == ("留守儿童", "-2")


def test_non_integer_population(bad):
    p = _one(bad.report, 7, "non_integer_population")
    assert p.value == "120.5" and "whole number" in p.message


def test_swapped_latitude_and_longitude(bad):
    p = _one(bad.report, 8, "swapped_lat_lon")
    assert p.value == "24.42, 102.61"
    assert "swap" in p.fix


def test_outside_china(bad):
    p = _one(bad.report, 9, "outside_china")
    assert "outside China" in p.message


def test_missing_coordinate(bad):
    p = _one(bad.report, 10, "missing_coordinates")
    assert p.column == "纬度"


def test_non_numeric_coordinate(bad):
    p = _one(bad.report, 11, "non_numeric_coordinate")
    assert (p.column, p.value) == ("经度", "102°36′")
    assert "decimal degrees" in p.fix


def test_same_spot_is_a_warning_and_loads(bad):
    p = _one(bad.report, 12, "same_location")
    assert p.severity == "warning" and not p.rejected
    assert "row 2 (好村)" in p.message
    assert "V12" in bad.data["id"].tolist()


def test_far_outside_the_study_region_says_how_far(bad):
    p = _one(bad.report, 13, "outside_region")
    km = float(p.message.split(" km")[0].split()[-1])
    assert 40 < km < 60  # 25.04N is about 49 km north of the region's 24.6N edge
    assert f"{km} 公里" in p.message_zh


def test_region_as_geodataframe_and_tolerance(data_dir):
    import geopandas as gpd

    region = gpd.GeoDataFrame(geometry=[shapely.box(*REGION)], crs="EPSG:4326").to_crs("EPSG:4545")
    near = load_demand(data_dir / "demand_bad.csv", region=region, region_tolerance_km=60)
    assert "outside_region" not in near.report.codes()
    far = load_demand(data_dir / "demand_bad.csv", region=region)
    assert "outside_region" in far.report.codes()


def test_empty_population_cell_is_zero_with_a_note(bad):
    assert bad.data.set_index("id").loc["V14", "elderly_60plus"] == 0
    notes = [p for p in bad.report.problems if p.code == "empty_population"]
    assert notes and notes[0].severity == "info" and "1 empty cell" in notes[0].message


def test_no_crs_given_is_noted(bad):
    assert "assumed" in bad.crs_assumed
    assert "crs_assumed" in bad.report.codes()


def test_strict_mode_raises_with_the_report(data_dir):
    with pytest.raises(ValidationError, match="10 row\\(s\\) rejected in strict mode") as info:
        load_demand(data_dir / "demand_bad.csv", strict=True, region=REGION)
    assert info.value.report.rejected_rows[:2] == [3, 4]
    assert isinstance(info.value, ValueError)


def test_strict_mode_passes_a_clean_file(data_dir):
    res = load_demand(data_dir / "demand_cn.xlsx", crs="gcj02", strict=True)
    assert res.report.ok and len(res.data) == 8


def test_missing_required_column_lists_accepted_headers(tmp_path):
    (tmp_path / "f.csv").write_text("名称,经度,纬度\n甲,102.5,24.3\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="needs a column '类型' \\(type\\); accepted headers: 类型.*设施类型"):
        load_facilities(tmp_path / "f.csv")
    res = load_facilities(tmp_path / "f.csv", default_type="幸福小院")
    assert res.data["type"].tolist() == ["happy_courtyard"]


def test_missing_coordinates_column(tmp_path):
    (tmp_path / "d.csv").write_text("编号,村名,经度,留守儿童\nA,甲,102.5,3\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="'纬度' \\(lat\\).*accepted headers: 纬度、Latitude、北纬、lat"):
        load_demand(tmp_path / "d.csv")


def test_explicit_column_mapping_wins(tmp_path):
    (tmp_path / "d.csv").write_text("代号,村,E,N,人数A\nA,甲村,102.5,24.3,12\n", encoding="utf-8")
    res = load_demand(tmp_path / "d.csv", columns={"E": "lon", "N": "lat", "人数A": "left_behind_children",
                                                  "代号": "id"})
    assert res.data["left_behind_children"].tolist() == [12]
    assert res.data.geometry.x.tolist() == [102.5]
    with pytest.raises(MissingColumnError, match="'人数B', which is not a header"):
        load_demand(tmp_path / "d.csv", columns={"人数B": "population"})
    with pytest.raises(MissingColumnError, match="not a column of a demand table"):
        load_demand(tmp_path / "d.csv", columns={"人数A": "beds"})


def test_unknown_facility_type_suggests_the_closest(data_dir):
    res = load_facilities(data_dir / "facilities_bad.csv")
    p = _one(res.report, 3, "unknown_facility_type")
    assert p.value == "养老院子"
    assert "did you mean '养老机构' (elderly_institution)" in p.message
    assert "养老机构" in p.message_zh


def test_bad_capacity_is_a_warning_and_left_empty(data_dir):
    res = load_facilities(data_dir / "facilities_bad.csv")
    assert _one(res.report, 4, "non_numeric").severity == "warning"
    assert _one(res.report, 6, "negative_number").value == "-5"
    data = res.data.set_index("id")
    assert np.isnan(data.loc["F3", "capacity"]) and np.isnan(data.loc["F5", "capacity"])
    assert data.loc["F5", "status"] == "existing"  # empty status: existing


def test_unknown_status_rejects(data_dir):
    res = load_facilities(data_dir / "facilities_bad.csv")
    assert _one(res.report, 5, "unknown_status").value == "废弃"
    assert res.report.rejected_rows == [3, 5]


def test_unknown_candidate_kind_and_host_type(data_dir):
    res = load_candidates(data_dir / "candidates.csv", crs="gcj02")
    assert _one(res.report, 5, "unknown_candidate_kind").value == "空气"
    p = _one(res.report, 6, "unknown_facility_type")
    assert "托儿所" in p.message and p.column == "可设设施类型"
    assert res.data["id"].tolist() == ["C1", "C2", "C3"]


def test_a_gbk_line_in_a_utf8_file_is_decoded_as_gbk_and_named(data_dir):
    res = load_demand(data_dir / "undecodable.csv")
    p = _one(res.report, 4, "mixed_encoding")
    assert p.column == "村名" and p.severity == "warning" and p.value == "洛河村"
    assert "CSV UTF-8" in p.fix and "line 4" in p.message
    assert res.data["name"].tolist() == ["研和村", "春和村", "洛河村"]  # no mojibake, no row lost
    assert res.report.encoding == "utf-8"


def test_undecodable_text_is_reported(tmp_path):
    raw = "编号,村名,经度,纬度\nU1,研和村,102.55,24.36\n".encode() + b"U2,\xff\xfe\xff,102.56,24.37\n"
    (tmp_path / "u.csv").write_bytes(raw)
    res = load_demand(tmp_path / "u.csv")
    p = _one(res.report, 3, "undecodable_text")
    assert p.column == "村名" and p.severity == "warning"
    assert "CSV UTF-8" in p.fix
    assert res.data["id"].tolist() == ["U1", "U2"]  # the row itself is usable


def test_admin_codes_from_excel_scientific_notation(tmp_path):
    text = ("编号,村名,村级代码,乡镇代码,经度,纬度\nA,甲,5.30402E+11,530402001,102.5,24.3\n"
            "B,乙,530402001201,x1,102.6,24.4\n")
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    res = load_demand(tmp_path / "d.csv")
    assert res.data["village_code"].tolist() == ["530402000000", "530402001201"]
    assert res.data["township_code"].iloc[0] == "530402001000"  # 9 digits padded
    assert pd.isna(res.data["township_code"].iloc[1])
    assert _one(res.report, 2, "code_scientific").severity == "warning"
    assert _one(res.report, 3, "bad_code").value == "x1"


def test_boundary_problems(tmp_path):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {"名称": ["甲镇", "乙线", "丙镇"], "层级": ["乡镇", "乡镇", "?"]},
        geometry=[shapely.Polygon([(102.5, 24.3), (102.6, 24.4), (102.6, 24.3), (102.5, 24.4)]),  # bow-tie
                  shapely.LineString([(102.5, 24.3), (102.6, 24.4)]), shapely.box(102.5, 24.3, 102.6, 24.4)],
        crs="EPSG:4326")
    res = load_boundaries(gdf)
    assert _one(res.report, 2, "invalid_geometry").severity == "warning"
    assert _one(res.report, 3, "not_polygon").value == "LineString"
    assert _one(res.report, 4, "unknown_level").rejected
    assert res.data["name"].tolist() == ["甲镇"]
    assert res.data.geometry.is_valid.all()
    with pytest.raises(UnknownCategoryError, match="unknown admin level 'city'"):
        load_boundaries(gdf, level="city")


def test_layer_without_crs_in_dataframe_input():
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"名称": ["甲"], "类型": ["敬老院"]}, geometry=[shapely.Point(102.5, 24.3)])
    with pytest.raises(CRSError, match="no coordinate reference system"):
        load_facilities(gdf)


def test_report_to_frame_and_json(bad):
    frame = bad.report.to_frame()
    assert list(frame.columns[:4]) == ["file", "row", "column", "value"]
    assert frame["severity"].iloc[0] == "error" and frame["row"].iloc[0] == 3
    payload = json.loads(bad.report.to_json())
    assert payload["n_rejected"] == 10 and payload["rejected_rows"][0] == 3
    assert all(p["fix"] for p in payload["problems"] if p["severity"] == "error")
    assert "读取 13 行，载入 3 行，拒绝 10 行" in bad.report.summary(lang="zh")


def test_problem_severity_is_checked():
    with pytest.raises(ValueError, match="severity must be one of"):
        Problem(file="f", row=1, column=None, value=None, message="m", severity="fatal")


def test_header_aliases_with_units_and_crs_hint():
    m = match_columns(["序号", "村名", "高德经度", "高德纬度", "60岁以上老年人（人）", "床位数(张)"], kind="demand")
    assert m.columns["elderly_60plus"] == "60岁以上老年人（人）"
    assert m.columns["id"] == "序号" and m.columns["name"] == "村名"
    assert m.crs_hint == "gcj02"
    assert "床位数(张)" in m.unmatched
    f = match_columns(["设施名称", "设施类型", "床位数(张)", "lng", "lat"], kind="facilities")
    assert f.columns["capacity"] == "床位数(张)" and f.columns["lon"] == "lng" and f.crs_hint is None


def test_duplicate_columns_are_reported(tmp_path):
    (tmp_path / "d.csv").write_text("编号,序号,村名,经度,纬度\nA,1,甲,102.5,24.3\n", encoding="utf-8")
    res = load_demand(tmp_path / "d.csv")
    p = next(p for p in res.report.problems if p.code == "duplicate_column")
    assert p.column == "序号" and "'编号' is used" in p.message


def test_combined_lonlat_column_and_full_width_digits(tmp_path):
    (tmp_path / "d.csv").write_text("编号,名称,经纬度,留守儿童\nA,甲,\"102.5,24.3\",１２\n", encoding="utf-8")
    res = load_demand(tmp_path / "d.csv")
    assert res.data.geometry.x.tolist() == [102.5]
    assert res.data["left_behind_children"].tolist() == [12]


def test_inputs_are_not_mutated():
    df = pd.DataFrame({"编号": ["1"], "名称": ["甲"], "经度": ["102.5"], "纬度": ["24.3"], "留守儿童": ["3"]})
    before = df.copy()
    load_demand(df, crs="gcj02")
    pd.testing.assert_frame_equal(df, before)


def test_dataframe_with_missing_values_is_reported_by_row():
    df = pd.DataFrame({"id": [1, 2, 3], "type": ["幸福小院", None, "儿童之家"], "lon": [102.5, None, 102.6],
                       "lat": [24.3, 24.4, 24.5], "capacity": [1.5, None, pd.NA]})
    res = load_facilities(df)
    assert _one(res.report, 3, "missing_coordinates").column == "lon"
    assert _one(res.report, 3, "empty_type").rejected
    assert not [p for p in res.report.problems if p.row == 4]  # pd.NA is empty, not "<NA>"
    assert res.data["id"].tolist() == ["1", "3"]
    assert res.data["capacity"].iloc[0] == 1.5 and np.isnan(res.data["capacity"].iloc[1])


def test_header_only_file_loads_nothing_with_all_columns(tmp_path):
    (tmp_path / "h.csv").write_bytes("编号,村名,经度,纬度,留守儿童\r\n".encode("gbk"))
    res = load_demand(tmp_path / "h.csv")
    assert len(res.data) == 0 and res.report.n_read == 0
    assert res.data.crs.to_epsg() == 4326 and "left_behind_children" in res.data.columns
