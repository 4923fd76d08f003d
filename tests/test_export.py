"""``python -m coverage export`` and coverage.reports.layers: the documented layers, EPSG:4326, same figures."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest

from coverage.cli import main
from coverage.demo import export_demo
from coverage.reports.layers import LAYER_NAMES
from coverage.scenario import Scenario, new_site, save_scenario


@pytest.fixture(scope="module")
def yuxi_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("yuxi_files")
    export_demo("yuxi", out)
    return out


def _share(capsys: pytest.CaptureFixture[str], argv: list[str], service: str, group: str) -> float:
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    svc = next(s for s in data["services"] if s["service"] == service)
    return next(g for g in svc["groups"] if g["group"] == group)["share"]


def test_export_gpkg_has_the_documented_layers_and_the_analyze_figures(
        yuxi_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "覆盖结果.gpkg"
    assert main(["export", "--data", str(yuxi_folder), "--service", "elderly_15min", "--out", str(out)]) == 0
    layers = dict(pyogrio.list_layers(out))
    assert {"villages", "townships", "counties", "uncovered"} <= set(layers)
    assert set(layers) <= set(LAYER_NAMES)
    assert layers["villages"] == "Point" and layers["townships"] in ("MultiPolygon", "Polygon")
    villages = gpd.read_file(out, layer="villages")
    assert villages.crs.to_epsg() == 4326 and len(villages) == 718
    assert villages["备注"].eq("示例数据（模拟）").all()
    # the share of older people covered, recomputed from the exported villages, is the analyze figure
    covered = villages.loc[villages["是否覆盖"] == "是", "60岁以上老年人"].sum()
    share = covered / villages["60岁以上老年人"].sum()
    analysed = _share(capsys, ["analyze", "--data", str(yuxi_folder), "--json"], "elderly_15min",
                      "elderly_60plus")
    assert share == pytest.approx(analysed, abs=1e-12)
    uncovered = gpd.read_file(out, layer="uncovered")
    assert len(uncovered) == (villages["是否覆盖"] == "否").sum()


def test_export_xlsx_geojson_and_a_scenario_site_counts(yuxi_folder: Path, tmp_path: Path) -> None:
    result_before = tmp_path / "before.xlsx"
    assert main(["export", "--data", str(yuxi_folder), "--out", str(result_before)]) == 0
    # one accepted site placed on the most-populated uncovered village
    wb = openpyxl.load_workbook(result_before)
    uncovered = list(wb["未覆盖村（社区）"].iter_rows(values_only=True))
    header, first = uncovered[0], uncovered[1]
    lon, lat = first[header.index("经度")], first[header.index("纬度")]
    site = new_site(lon, lat, facility_type="happy_courtyard", name="=HYPERLINK(\"x\")", site_id="S1")
    scenario = tmp_path / "方案.json"
    save_scenario(Scenario(name="方案A", inputs={"source": "files"}, accepted_sites=(site,)), scenario)
    out_xlsx, out_json = tmp_path / "after.xlsx", tmp_path / "after.geojson"
    assert main(["export", "--data", str(yuxi_folder), "--scenario", str(scenario),
                 "--out", str(out_xlsx), "--out", str(out_json)]) == 0
    sheets = openpyxl.load_workbook(out_xlsx).sheetnames
    assert sheets[0] == "说明" and "已采纳站点" in sheets
    accepted = gpd.read_file(tmp_path / "after_accepted_sites.geojson")
    assert len(accepted) == 1 and accepted.crs.to_epsg() == 4326
    ws = openpyxl.load_workbook(out_xlsx)["已采纳站点"]
    names = [c.value for c in ws[2]]
    assert "=HYPERLINK(\"x\")" in names  # written as text, not a live formula
    assert all(c.data_type != "f" for c in ws[2])
    after = list(openpyxl.load_workbook(out_xlsx)["未覆盖村（社区）"].iter_rows(values_only=True))
    assert len(after) < len(uncovered)  # the site covers the village it stands in
    assert first[header.index("编号")] not in [r[header.index("编号")] for r in after[1:]]


def test_export_refuses_bad_outputs_and_crs_on_a_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--region", "yuxi", "--out", str(tmp_path / "x.shp")]) == 2
    assert ".gpkg" in capsys.readouterr().err
    assert main(["export", "--region", "yuxi", "--crs", "gcj02", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "--data" in capsys.readouterr().err


def test_export_carries_funeral_demand_by_county_with_a_worded_total(yuxi_folder: Path, tmp_path: Path) -> None:
    gpkg, xlsx = tmp_path / "out.gpkg", tmp_path / "out_en.xlsx"
    assert main(["export", "--data", str(yuxi_folder), "--out", str(gpkg)]) == 0
    assert "funeral_demand" in dict(pyogrio.list_layers(gpkg))
    table = pyogrio.read_dataframe(gpkg, layer="funeral_demand", read_geometry=False)
    counties = gpd.read_file(gpkg, layer="counties")
    assert len(table) == counties["区划代码"].nunique() + 1  # one row per county, then the region
    codes = table["县级代码"].tolist()
    assert codes[-1] == "合计" and "all" not in codes
    assert table["年死亡人数(估算)"].iloc[-1] == pytest.approx(table["年死亡人数(估算)"].iloc[:-1].sum())
    assert main(["export", "--data", str(yuxi_folder), "--lang", "en", "--out", str(xlsx)]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["Funeral demand"].iter_rows(values_only=True))
    assert rows[-1][0] == "Total" and all("all" not in r for r in rows)
