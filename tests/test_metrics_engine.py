"""analyze() end to end through the real travel-time engine on a five-node road.

A - B - C - D - E along a meridian, 600 m per edge (residential, two-way):
walking (3.6 km/h) takes 10 min per edge, a car (25 km/h on residential roads) 1.44 min.
Villages at A, C, E; a day-care centre at B, a children's home at E, a funeral home at A,
an elderly institution (10 beds) at C.  Every point sits on a node, so access legs are 0.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.metrics import analyze, standards_from_dict, travel_tables
from coverage.network import MODES
from coverage.traveltime import TravelTimeEngine

LON, LAT0, STEP_M = 102.5, 24.3, 600.0
DLAT = STEP_M / 111_320.0
CAR_EDGE_MIN = STEP_M / (MODES["car"].speed_kph("residential") * 1000 / 60)


def node_xy(k: int) -> tuple[float, float]:
    return LON, LAT0 + k * DLAT


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for k in range(5):
        x, y = node_xy(k)
        G.add_node(k, x=x, y=y)
    for k in range(4):
        for u, v in ((k, k + 1), (k + 1, k)):
            G.add_edge(u, v, highway="residential", length=STEP_M, oneway=False)
    return G


@pytest.fixture(scope="module")
def engines(graph):
    return {"walk": TravelTimeEngine(graph, mode="walk"), "car": TravelTimeEngine(graph, mode="car")}


def demand() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["A", "C", "E"],
            "name": ["A村", "C村", "E村"],
            "county_code": ["530402"] * 3,
            "township_code": ["530402001", "530402001", "530402002"],
            "elderly_60plus": [100, 50, 30],
            "left_behind_children": [10, 20, 5],
            "disabled_elderly": [10, 20, 30],
        },
        geometry=[Point(*node_xy(k)) for k in (0, 2, 4)],
        crs="EPSG:4326",
    )


def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["F1", "F2", "F3", "F4"],
            "name": ["B日照", "E儿童之家", "A殡仪馆", "C养老院"],
            "type": ["community_daycare", "childrens_home", "funeral_home", "elderly_institution"],
            "capacity": [20.0, 10.0, None, 10.0],
            "capacity_unit": ["places", "places", None, "beds"],
            "status": ["existing"] * 4,
        },
        geometry=[Point(*node_xy(k)) for k in (1, 4, 0, 2)],
        crs="EPSG:4326",
    )


STD = standards_from_dict(
    {
        "services": [
            {
                "key": "eld",
                "facility_types": ["community_daycare"],
                "groups": ["elderly_60plus"],
                "mode": "walk",
                "threshold_min": 15,
                "target_share": 0.9,
            },
            {
                "key": "kid",
                "facility_types": ["childrens_home"],
                "groups": ["left_behind_children"],
                "mode": "walk",
                "threshold_min": 20,
                "target_share": 0.9,
            },
            {
                "key": "fun",
                "facility_types": ["funeral_home"],
                "groups": ["villages"],
                "mode": "car",
                "threshold_min": 60,
                "target_share": 1.0,
            },
            {
                "key": "beds",
                "facility_types": ["elderly_institution"],
                "groups": ["disabled_elderly"],
                "mode": "car",
                "threshold_min": 3,
                "capacity": True,
            },
        ]
    }
)


def test_known_times_through_the_engine(engines):
    res = analyze(demand(), facilities(), standards=STD, engines=engines)
    v = res.villages.set_index(["service", "id"])
    assert v.loc[("eld", "A"), "travel_time_min"] == pytest.approx(10.0, abs=1e-4)
    assert v.loc[("eld", "E"), "travel_time_min"] == pytest.approx(30.0, abs=1e-4)
    assert v.loc[("kid", "C"), "travel_time_min"] == pytest.approx(20.0, abs=1e-4)
    assert v.loc[("fun", "E"), "travel_time_min"] == pytest.approx(4 * CAR_EDGE_MIN, abs=1e-4)
    assert v.loc[("eld", "E"), "facility_name"] == "B日照"
    s = res.summary.set_index("service")
    assert s.loc["eld", ["covered_people", "total_people"]].tolist() == [150, 180]
    assert not s.loc["eld", "passed"] and s.loc["eld", "gap_people"] == 12
    # C is exactly 20 min from E's children's home: the threshold is inclusive.
    assert s.loc["kid", ["covered_people", "total_people"]].tolist() == [25, 35]
    assert s.loc["fun", "covered_people"] == 3 and s.loc["fun", "passed"]


def test_capacity_through_the_engine(engines):
    res = analyze(demand(), facilities(), standards=STD, engines=engines)
    cap = res.capacity["beds"]
    # A and E are 2 car edges (2.88 min) from C's 10 beds: one catchment of 60 people.
    assert res.od("beds")["from_id"].sort_values().tolist() == ["A", "C", "E"]
    assert cap.villages.set_index("id")["access_index_per_1000"].tolist() == pytest.approx(
        [1000 * 10 / 60] * 3
    )
    f = cap.facilities.set_index("facility_id")
    assert f.loc["F4", ["allocated_demand", "shortfall", "flag"]].tolist() == [60.0, 50.0, "short"]


def test_cached_tables_give_the_same_answer_without_engines(engines):
    tables = travel_tables(demand(), facilities(), standards=STD, engines=engines)
    a = analyze(demand(), facilities(), standards=STD, engines=engines)
    b = analyze(demand(), facilities(), standards=STD, travel=tables)
    assert a.to_dict() == b.to_dict()
    # Lowering the elderly threshold to 10 min keeps A and C (exactly 10 min): no routing needed.
    c = analyze(demand(), facilities(), standards=STD.with_threshold("eld", 10), travel=tables)
    assert c.summary.set_index("service").loc["eld", "covered_people"] == 150


def test_statuses_filter_and_missing_engine(engines):
    f = facilities()
    f.loc[f["id"] == "F1", "status"] = "proposed"
    res = analyze(demand(), f, standards=STD, engines=engines, statuses=("existing",))
    assert res.summary.set_index("service").loc["eld", "covered_people"] == 0
    with pytest.raises(ValueError, match="no travel-time engine for mode 'car'"):
        analyze(demand(), facilities(), standards=STD, engines={"walk": engines["walk"]})


def test_a_new_facility_invalidates_cached_tables(engines):
    tables = travel_tables(demand(), facilities(), standards=STD, engines=engines)
    f = facilities()
    new = f.iloc[[0]].copy()
    new["id"], new["name"], new["status"] = "P1", "E拟建日照", "proposed"
    new["geometry"] = [Point(*node_xy(4))]
    scenario = gpd.GeoDataFrame(pd.concat([f, new], ignore_index=True), crs=f.crs)
    with pytest.raises(ValueError, match="no travel tables .*villages or facilities"):
        analyze(demand(), scenario, standards=STD, travel=tables)
    res = analyze(demand(), scenario, standards=STD, travel=tables, engines=engines)
    eld = res.summary.set_index("service").loc["eld"]
    assert eld["covered_people"] == 180 and eld["passed"]
    assert res.village_table("eld").set_index("id").loc["E", "facility_name"] == "E拟建日照"


def test_with_od_keeps_pairs_within_threshold_for_every_service(engines):
    res = analyze(demand(), facilities(), standards=STD, engines=engines, with_od=True)
    od = res.od("eld")
    assert sorted(zip(od["from_id"], od["to_id"], strict=True)) == [("A", "F1"), ("C", "F1")]
    assert od["travel_time_min"].tolist() == pytest.approx([10.0, 10.0], abs=1e-4)
    assert analyze(demand(), facilities(), standards=STD, engines=engines).od("eld") is None


def test_cli_on_a_data_folder(tmp_path, capsys):
    """The folder layout of `python -m coverage demo --out DIR`, hand-made: workbooks + roads layer."""
    import json

    from shapely.geometry import LineString

    from coverage.cli import main
    from coverage.metrics import save_standards

    d = demand()
    villages = pd.DataFrame(
        {
            "编号": d["id"],
            "名称": d["name"],
            "县级代码": d["county_code"],
            "乡镇代码": d["township_code"],
            "60岁以上老年人": d["elderly_60plus"],
            "留守儿童": d["left_behind_children"],
            "经度": d.geometry.x,
            "纬度": d.geometry.y,
        }
    )
    villages.to_excel(tmp_path / "村庄名单.xlsx", index=False)
    f = facilities()
    pd.DataFrame(
        {
            "编号": f["id"],
            "名称": f["name"],
            "类型": ["日间照料中心", "儿童之家", "殡仪馆", "养老院"],
            "容量": f["capacity"],
            "经度": f.geometry.x,
            "纬度": f.geometry.y,
        }
    ).to_excel(tmp_path / "设施名单.xlsx", index=False)
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"] * 4},
        geometry=[LineString([node_xy(k), node_xy(k + 1)]) for k in range(4)],
        crs="EPSG:4326",
    )
    roads.to_file(tmp_path / "边界与路网.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    std = standards_from_dict(
        {
            "services": [
                {
                    "key": "eld",
                    "facility_types": ["community_daycare"],
                    "groups": ["elderly_60plus"],
                    "mode": "walk",
                    "threshold_min": 15,
                    "target_share": 0.9,
                }
            ]
        }
    )
    path = save_standards(std, tmp_path / "std.yaml")
    assert main(["analyze", "--data", str(tmp_path), "--standards", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    g = out["services"][0]["groups"][0]
    assert (g["covered"], g["total"], g["passed"]) == (150, 180, False)
    assert g["median_travel_time_min"] == pytest.approx(10.0, rel=1e-2)
    assert out["region"] == tmp_path.name
