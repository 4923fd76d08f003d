"""Funeral demand in the analysis result: deaths per year from population at the standards' rate, against
cemetery plots and ash-placement places, by county; in the JSON, the workbook (zh and en) and the short flag.

The layout is small enough to work out by hand: two counties, 100,000 and 20,000 residents, a rate of
8 per 1,000 (800 and 160 deaths a year).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.metrics import ServiceTravel, analyze, standards_from_dict

SERVICE = {"key": "eld", "zh": "养老15分钟", "en": "elderly 15", "facility_types": ["community_daycare"],
           "groups": ["elderly_60plus"], "mode": "walk", "threshold_min": 15, "target_share": 0.9}


def _standards(rate: float = 8.0, *, funeral: bool = True):
    data: dict = {"services": [SERVICE]}
    if funeral:
        data["funeral_demand"] = {"death_rate_per_1000": rate, "min_years": 10}
    return standards_from_dict(data, source="标准.yaml")


def _villages(with_population: bool = True) -> gpd.GeoDataFrame:
    cols = {
        "id": ["V1", "V2", "V3"], "name": ["甲村", "乙村", "丙村"],
        "county_code": ["530402", "530402", "530421"], "county_name": ["红塔区", "红塔区", "江川区"],
        "township_code": ["530402001", "530402002", "530421001"], "township_name": ["玉兴", "凤凰", "大街"],
        "elderly_60plus": [100, 50, 30],
    }
    if with_population:
        cols["population"] = [60_000, 40_000, 20_000]
    return gpd.GeoDataFrame(cols, geometry=[Point(102.50, 24.30), Point(102.52, 24.30), Point(102.60, 24.20)],
                            crs="EPSG:4326")


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["F1", "C1", "C2", "A1", "A2"],
            "name": ["日间照料中心", "红塔公墓", "红塔经营性公墓", "红塔骨灰堂", "江川骨灰堂"],
            "type": ["community_daycare", "public_cemetery", "commercial_cemetery", "ash_placement", "ash_placement"],
            "capacity": [40.0, 6_000.0, 2_000.0, 4_000.0, None],
            "status": ["existing"] * 5,
            "county_code": ["530402", "530402", "530402", "530402", "530421"],
        },
        geometry=[Point(102.501, 24.30)] * 5,
        crs="EPSG:4326",
    )


def _travel() -> dict[str, ServiceTravel]:
    idx = pd.Index(["V1", "V2", "V3"], name="id")
    near = pd.DataFrame({"travel_time_min": [5.0, 12.0, 40.0], "facility_id": ["F1", "F1", "F1"]}, index=idx)
    return {"eld": ServiceTravel("eld", "walk", ("community_daycare",), None, near)}


def _result(rate: float = 8.0, **kwargs):
    return analyze(_villages(), _facilities(), standards=_standards(rate), travel=_travel(),
                   prefecture_name="玉溪市", **kwargs)


def test_deaths_and_years_of_capacity_by_county_worked_by_hand():
    f = _result().funeral.set_index("county_code")
    hongta, jiangchuan, total = f.loc["530402"], f.loc["530421"], f.loc["all"]
    assert hongta["deaths_per_year"] == pytest.approx(800.0)  # 100,000 x 8 / 1,000
    assert hongta["cemetery_plots"] == 8_000 and hongta["cemetery_years"] == pytest.approx(10.0)
    assert hongta["ash_places"] == 4_000 and hongta["ash_years"] == pytest.approx(5.0)
    assert not hongta["short"]  # 12,000 places / 800 a year = 15 years >= 10
    assert jiangchuan["deaths_per_year"] == pytest.approx(160.0)
    assert jiangchuan["cemetery_plots"] == 0 and jiangchuan["ash_places"] == 0
    assert jiangchuan["facilities_without_capacity"] == 1  # its ash hall has no capacity: years are a lower bound
    assert jiangchuan["short"]
    assert total["county_name"] == "玉溪市" and total["deaths_per_year"] == pytest.approx(960.0)


def test_the_rate_of_the_standards_drives_the_figures():
    low, high = _result(4.0).funeral, _result(16.0).funeral
    assert float(high["deaths_per_year"].iloc[-1]) == pytest.approx(4 * float(low["deaths_per_year"].iloc[-1]))
    hongta_low = low.set_index("county_code").loc["530402"]
    hongta_high = high.set_index("county_code").loc["530402"]
    assert not hongta_low["short"] and hongta_high["short"]  # 12,000 places: 30 years at 4 per 1,000, 7.5 at 16


def test_no_funeral_table_without_the_section_or_without_population():
    plain = analyze(_villages(), _facilities(), standards=_standards(funeral=False), travel=_travel())
    assert plain.funeral is None and "funeral_demand" not in plain.tables()
    assert plain.to_dict()["funeral_demand"] is None
    no_pop = analyze(_villages(with_population=False), _facilities(), standards=_standards(), travel=_travel())
    assert no_pop.funeral is None
    assert any("population" in note for note in no_pop.notes)


def test_json_lists_counties_and_the_region():
    d = _result().to_dict()["funeral_demand"]
    assert d["death_rate_per_1000"] == 8
    assert [c["county_name"] for c in d["counties"]] == ["红塔区", "江川区"]
    assert d["counties"][1]["short"] is True and d["total"]["deaths_per_year"] == 960


@pytest.mark.parametrize(("lang", "sheet", "deaths", "years", "short", "yes"), [
    ("zh", "殡葬需求", "年死亡人数(估算)", "墓穴可用年限", "年限不足", "是"),
    ("en", "funeral_demand", "Deaths per year (estimate)", "Cemetery plots last (years)", "Short of capacity", "yes"),
])
def test_workbook_has_the_funeral_sheet_with_translated_headers(tmp_path, lang, sheet, deaths, years, short, yes):
    path = _result().to_excel(tmp_path / f"覆盖_{lang}.xlsx", lang=lang)
    back = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert sheet in back
    t = back[sheet]
    assert {deaths, years, short} <= set(t.columns)
    assert t[deaths].tolist() == pytest.approx([800.0, 160.0, 960.0])
    assert t[short].tolist()[1] == yes
    assert t.iloc[-1, 0] == ("合计" if lang == "zh" else "Total")  # the region row, not the key "all"
    assert "county_code" not in t.columns and "deaths_per_year" not in t.columns  # labels, not keys
