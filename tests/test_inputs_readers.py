"""Reading planners' real files: encodings, Excel sheets and title rows, GIS layers, coordinates."""

from __future__ import annotations

import io
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from coverage.errors import CRSError, FileReadError
from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities
from coverage.model import BOUNDARY_COLUMNS, CANDIDATE_COLUMNS, DEMAND_COLUMNS, FACILITY_COLUMNS, HOST_SEPARATOR

_GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def truth(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "expected_points_wgs84.csv", dtype={"id": str})


def _error_m(data: gpd.GeoDataFrame, truth: pd.DataFrame, file: str) -> np.ndarray:
    want = truth[truth["file"] == file].set_index("id").loc[data["id"]]
    return np.asarray(_GEOD.inv(data.geometry.x.to_numpy(), data.geometry.y.to_numpy(),
                                want["lon"].to_numpy(), want["lat"].to_numpy())[2])


def test_xlsx_with_chinese_headers_title_row_and_gcj02(data_dir, truth):
    res = load_demand(data_dir / "demand_cn.xlsx", crs="gcj02")
    data = res.data
    assert list(data.columns) == list(DEMAND_COLUMNS)
    assert data.crs.to_epsg() == 4326
    assert res.crs_assumed == "GCJ-02 (Amap/Tencent) -> WGS-84"
    assert res.report.sheet == "村庄名单"
    assert data["id"].tolist()[:3] == ["001", "002", "003"]  # text ids keep their zeros
    assert data["village_code"].iloc[0] == "530402001200"  # a number cell becomes the 12-digit code
    assert data["name"].iloc[0] == "大营街社区"  # 村(社区) feeds the name when there is no name column
    assert data["elderly_60plus"].dtype == np.int64 and (data["elderly_60plus"] > 0).all()
    assert (data["disabled_elderly"] == 0).all()
    assert "absent_groups" in res.report.codes()
    assert _error_m(data, truth, "demand_cn.xlsx").max() < 0.1  # file carries 6 decimals (~0.1 m)


def test_xlsx_named_sheet(data_dir):
    res = load_demand(data_dir / "demand_cn.xlsx", sheet="第二批", crs="gcj02")
    assert res.data["id"].tolist() == ["101"]
    assert res.data["left_behind_children"].tolist() == [5]


def test_xlsx_missing_sheet_lists_the_sheets(data_dir):
    with pytest.raises(FileReadError, match="no sheet '第三批'; sheets: 村庄名单, 汇总, 第二批"):
        load_demand(data_dir / "demand_cn.xlsx", sheet="第三批")


def test_gbk_csv_as_excel_saves_it(data_dir, truth):
    raw = (data_dir / "facilities_gbk.csv").read_bytes()
    assert b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    res = load_facilities(data_dir / "facilities_gbk.csv", crs="gcj02")
    data = res.data
    assert list(data.columns) == list(FACILITY_COLUMNS)
    assert res.report.encoding == "gb18030"
    assert data["name"].iloc[0] == "红塔区第1服务点"
    assert data["type"].tolist() == ["elderly_institution", "happy_courtyard", "childrens_home",
                                     "elderly_institution", "community_daycare", "public_cemetery"]
    assert data["capacity"].iloc[0] == 120 and np.isnan(data["capacity"].iloc[2])
    assert data["capacity_unit"].tolist()[:3] == ["beds", "places", "places"]  # the type's default unit
    assert data["status"].tolist()[3:5] == ["existing", "planned"]
    assert _error_m(data, truth, "facilities_gbk.csv").max() < 0.1


def test_bd09_list_recognised_from_its_headers(data_dir, truth):
    res = load_demand(data_dir / "demand_bd09.csv")
    assert res.crs_assumed.startswith("BD-09 (Baidu) -> WGS-84")
    assert "百度经度" in res.crs_assumed
    assert res.report.encoding == "utf-8-sig"
    assert _error_m(res.data, truth, "demand_bd09.csv").max() < 0.1


def test_bd09_given_explicitly_equals_header_hint(data_dir):
    a = load_demand(data_dir / "demand_bd09.csv").data
    b = load_demand(data_dir / "demand_bd09.csv", crs="bd09").data
    assert a.geometry.equals(b.geometry)


def test_wrong_crs_moves_points_by_hundreds_of_metres(data_dir, truth):
    res = load_demand(data_dir / "demand_bd09.csv", crs="wgs84")
    assert _error_m(res.data, truth, "demand_bd09.csv").min() > 300


@pytest.mark.parametrize("stem", ["townships_gbk", "townships_gbk_nocpg"])
def test_shapefile_with_gbk_dbf(data_dir, stem):
    assert (data_dir / f"{stem}.cpg").exists() == (stem == "townships_gbk")
    res = load_boundaries(data_dir / f"{stem}.shp")
    data = res.data
    assert list(data.columns) == list(BOUNDARY_COLUMNS)
    assert data["name"].tolist() == ["玉兴街道", "研和街道", "大营街街道"]
    assert data["level"].tolist() == ["township"] * 3  # from the 9-digit codes
    assert data["code"].iloc[0] == "530402001000"
    assert data["parent_code"].iloc[0] == "530402000000"
    assert "EPSG:4490" in res.crs_assumed


def test_geopackage_in_gauss_krueger_zone(data_dir):
    res = load_boundaries(data_dir / "county_cgcs2000.gpkg")
    assert "EPSG:4543" in res.crs_assumed
    assert res.data["level"].tolist() == ["county"]
    assert res.data["name"].tolist() == ["红塔区"]
    minx, miny, maxx, maxy = res.data.total_bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((102.34, 24.20, 102.74, 24.50), abs=1e-6)


def test_degree_crs_option_does_not_override_a_projected_layer(data_dir):
    res = load_boundaries(data_dir / "county_cgcs2000.gpkg", crs="wgs84")
    assert "EPSG:4543" in res.crs_assumed and "crs_option_ignored" in res.report.codes()
    assert res.data.total_bounds == pytest.approx((102.34, 24.20, 102.74, 24.50), abs=1e-6)


def test_amap_boundary_claiming_wgs84_is_read_as_gcj02_when_told(data_dir):
    plain = load_boundaries(data_dir / "amap_township.geojson")
    fixed = load_boundaries(data_dir / "amap_township.geojson", crs="gcj02")
    assert "crs_override" in fixed.report.codes()
    assert fixed.data["level"].tolist() == ["township"]  # Amap's "street"
    # The true box is 102.49..102.59 x 24.30..24.40; only the overridden read lands on it.
    assert fixed.data.total_bounds == pytest.approx((102.49, 24.30, 102.59, 24.40), abs=1e-7)
    assert plain.data.total_bounds[0] > 102.49 + 1e-3


def test_layer_without_crs_needs_crs(data_dir):
    with pytest.raises(CRSError, match="no coordinate reference system.*--crs"):
        load_facilities(data_dir / "facilities_nocrs.shp")
    res = load_facilities(data_dir / "facilities_nocrs.shp", crs="gcj02")
    assert res.data["type"].tolist() == ["elderly_institution"]


def test_geojson_points(data_dir, truth):
    res = load_facilities(data_dir / "facilities.geojson")
    assert res.data["type"].tolist() == ["childrens_home", "funeral_home", "social_work_station"]
    assert pd.isna(res.data["capacity_unit"].iloc[1])  # funeral homes have no capacity unit
    assert _error_m(res.data, truth, "facilities.geojson").max() < 0.1


def test_zipped_shapefile(data_dir, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "towns.zip", "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(data_dir / f"townships_gbk_nocpg{ext}", f"townships_gbk_nocpg{ext}")
    res = load_boundaries(tmp_path / "towns.zip")
    assert res.data["name"].tolist() == ["玉兴街道", "研和街道", "大营街街道"]


def test_cgcs2000_gauss_krueger_csv_in_surveyors_order(data_dir, truth):
    res = load_demand(data_dir / "demand_gk.csv", crs="cgcs2000")
    assert "EPSG:4522" in res.crs_assumed
    assert "xy_surveyor_order" in res.report.codes()
    assert _error_m(res.data, truth, "demand_gk.csv").max() < 0.01


def test_candidates_can_host_lists(data_dir, truth):
    res = load_candidates(data_dir / "candidates.csv", crs="gcj02")
    data = res.data.set_index("id")
    assert list(res.data.columns) == list(CANDIDATE_COLUMNS)
    assert data.loc["C1", "kind"] == "idle_school"
    assert data.loc["C1", "can_host"] == HOST_SEPARATOR.join(["happy_courtyard", "childrens_home"])
    assert data.loc["C2", "can_host"] == ""  # empty means any type
    assert data.loc["C2", "kind"] == "village_committee"
    assert "elderly_institution" in data.loc["C3", "can_host"].split(HOST_SEPARATOR)  # 养老 = every care type
    assert data.loc["C1", "cost_10k_yuan"] == 80.0 and np.isnan(data.loc["C2", "cost_10k_yuan"])
    assert _error_m(res.data, truth, "candidates.csv").max() < 0.1


def test_utf8_csv_with_bom_and_tabs(tmp_path):
    text = "编号\t村名\t经度\t纬度\t留守儿童\r\nA1\t研和村\t102.55\t24.36\t7\r\n"
    (tmp_path / "tab.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    res = load_demand(tmp_path / "tab.csv")
    assert res.data["left_behind_children"].tolist() == [7]
    assert res.data["name"].tolist() == ["研和村"]


def test_excel_unicode_text_utf16(tmp_path):
    text = "编号\t设施名称\t类型\t经度\t纬度\r\nA1\t研和幸福院\t幸福院\t102.55\t24.36\r\n"
    (tmp_path / "设施.txt").write_bytes(text.encode("utf-16"))  # with BOM, as Excel writes it
    res = load_facilities(tmp_path / "设施.txt")
    assert res.report.encoding == "utf-16"
    assert res.data["name"].tolist() == ["研和幸福院"] and res.data["type"].tolist() == ["happy_courtyard"]


def test_uploaded_file_object(data_dir):
    upload = io.BytesIO((data_dir / "facilities_gbk.csv").read_bytes())
    upload.name = "上传.csv"
    res = load_facilities(upload, crs="gcj02")
    assert len(res.data) == 6
    assert res.report.source == "上传.csv"


def test_dataframe_and_geodataframe_inputs():
    df = pd.DataFrame({"编号": [1, 2], "名称": ["甲", "乙"], "经度": [102.5, 102.6], "纬度": [24.3, 24.4],
                       "80岁以上": [3, 4]})
    res = load_demand(df)
    assert res.data["id"].tolist() == ["1", "2"]
    assert res.data["elderly_80plus"].tolist() == [3, 4]
    gdf = gpd.GeoDataFrame({"name": ["甲"], "type": ["幸福小院"]}, geometry=[shapely.Point(102.5, 24.3)],
                           crs="EPSG:4326")
    res = load_facilities(gdf)
    assert res.data["type"].tolist() == ["happy_courtyard"]
    assert res.data["id"].tolist() == ["R2"]  # generated from the row number
    assert list(gdf.columns) == ["name", "type", "geometry"]  # input not mutated


def test_unreadable_files_raise_file_read_error(tmp_path, data_dir):
    with pytest.raises(FileReadError, match="no such file"):
        load_demand(tmp_path / "missing.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(FileReadError, match="broken.xlsx: not a readable .xlsx"):
        load_demand(tmp_path / "broken.xlsx")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileReadError, match="save as .xlsx"):
        load_demand(tmp_path / "old.xls")
    (tmp_path / "notes.docx").write_bytes(b"x")
    with pytest.raises(FileReadError, match="unknown file type '.docx'"):
        load_demand(tmp_path / "notes.docx")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FileReadError, match="empty.csv: the file is empty"):
        load_demand(tmp_path / "empty.csv")
    shutil.copy(data_dir / "townships_gbk.shp", tmp_path / "lonely.shp")  # no .shx/.dbf
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(FileReadError, match="bad.geojson: cannot read this layer"):
        load_boundaries(tmp_path / "bad.geojson")


def test_boundaries_from_a_table_is_an_error(data_dir):
    with pytest.raises(FileReadError, match="boundaries need a GIS layer"):
        load_boundaries(data_dir / "demand_bad.csv")
