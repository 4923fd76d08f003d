"""Capacity: nearest allocation and 2SFCA on a case with a known answer.

Villages V1 100, V2 50, V3 30, V4 10 people of demand; facilities F1 30 beds, F2 60 beds;
catchment 30 min.  Pairs within 30 min: V1-F1 10, V2-F1 20, V2-F2 25, V3-F2 5 (V1-F2 is 40 min,
V4's nearest, F2, is 45 min away).

2SFCA: R1 = 30 / (100 + 50) = 0.2, R2 = 60 / (50 + 30) = 0.75;
A(V1) = 0.2, A(V2) = 0.95, A(V3) = 0.75, A(V4) = 0 (per person; x1000 in the table).
Nearest: F1 gets V1 + V2 = 150 for 30 beds (short: serves 20% of each), F2 gets V3 = 30 for 60
beds (half empty: spare), V4 is out of reach.  Expected occupancy (30 + 30) / 90 = 2/3.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.metrics import (
    ServiceTravel,
    allocate_nearest,
    analyze,
    capacity_analysis,
    standards_from_dict,
    two_step_fca,
)

PEOPLE = pd.Series({"V1": 100.0, "V2": 50.0, "V3": 30.0, "V4": 10.0})
CAP = pd.Series({"F1": 30.0, "F2": 60.0})
OD = pd.DataFrame(
    {
        "from_id": ["V1", "V2", "V2", "V3", "V1"],
        "to_id": ["F1", "F1", "F2", "F2", "F2"],
        "travel_time_min": [10.0, 20.0, 25.0, 5.0, 40.0],
    }
)
NEAREST = pd.DataFrame(
    {"travel_time_min": [10.0, 20.0, 5.0, 45.0], "facility_id": ["F1", "F1", "F2", "F2"]},
    index=pd.Index(["V1", "V2", "V3", "V4"], name="id"),
)


def test_two_step_fca_by_hand():
    fac, vil = two_step_fca(PEOPLE, CAP, OD, threshold_min=30)
    assert fac.loc["F1", "catchment_demand"] == 150 and fac.loc["F2", "catchment_demand"] == 80
    assert fac.loc["F1", "supply_per_1000"] == pytest.approx(200.0)
    assert fac.loc["F2", "supply_per_1000"] == pytest.approx(750.0)
    assert vil["access_index_per_1000"].to_dict() == pytest.approx(
        {"V1": 200.0, "V2": 950.0, "V3": 750.0, "V4": 0.0}
    )
    assert vil.loc["V2", "facilities_in_reach"] == 2 and vil.loc["V2", "capacity_in_reach"] == 90
    # A wider catchment takes V1-F2 (40 min) in: R2 = 60 / 180 and V1 gets both.
    fac, vil = two_step_fca(PEOPLE, CAP, OD, threshold_min=40)
    assert fac.loc["F2", "supply_per_1000"] == pytest.approx(1000 * 60 / 180)
    assert vil.loc["V1", "access_index_per_1000"] == pytest.approx(200 + 1000 * 60 / 180)


def test_total_accessibility_equals_total_supply_in_reach():
    # 2SFCA conserves supply: sum_i P_i A_i = sum of capacities with someone in reach.
    _, vil = two_step_fca(PEOPLE, CAP, OD, threshold_min=30)
    assert (PEOPLE * vil["access_index_per_1000"] / 1000).sum() == pytest.approx(90.0)


def test_nearest_allocation_spare_and_short():
    fac, vil = allocate_nearest(PEOPLE, NEAREST, CAP, threshold_min=30, spare_below=0.6)
    assert fac.loc["F1", ["allocated_demand", "shortfall", "flag"]].tolist() == [150.0, 120.0, "short"]
    assert fac.loc["F1", "utilisation_share"] == pytest.approx(5.0)
    assert fac.loc["F2", ["allocated_demand", "spare_capacity", "flag"]].tolist() == [30.0, 30.0, "spare"]
    assert vil.loc["V1", ["served_demand", "unmet_demand", "flag"]].tolist() == [20.0, 80.0, "short"]
    assert vil.loc["V2", "unmet_demand"] == pytest.approx(40.0)
    assert vil.loc["V3", ["unmet_demand", "flag"]].tolist() == [0.0, "met"]
    assert vil.loc["V4", ["served_demand", "unmet_demand", "flag"]].tolist() == [0.0, 10.0, "out_of_reach"]
    fac, _ = allocate_nearest(PEOPLE, NEAREST, CAP, threshold_min=30, spare_below=0.5)
    assert fac.loc["F2", "flag"] == "balanced"  # exactly half full is not below one half


def test_capacity_summary_explains_low_occupancy():
    facs = pd.DataFrame(
        {
            "id": ["F1", "F2", "F3"],
            "name": ["城区养老院", "山区敬老院", "无床位数"],
            "type": ["elderly_institution"] * 3,
            "capacity": [30.0, 60.0, None],
            "capacity_unit": ["beds"] * 3,
        }
    )
    res = capacity_analysis(PEOPLE, facs, NEAREST, OD, threshold_min=30, service_key="beds", spare_below=0.6)
    s = res.summary
    assert s["capacity_total"] == 90 and s["facilities_without_capacity"] == 1
    assert s["expected_occupancy_share"] == pytest.approx(2 / 3)
    assert s["unmet_demand"] == pytest.approx(130.0)  # 80 + 40 + 10
    assert s["unmet_demand_short"] == pytest.approx(120.0)
    assert s["unmet_demand_out_of_reach"] == pytest.approx(10.0)
    assert (s["facilities_spare"], s["spare_capacity_in_spare_facilities"], s["facilities_short"]) == (
        1,
        30.0,
        1,
    )
    assert s["villages_unmet"] == 3
    f = res.facilities.set_index("facility_id")
    assert f.loc["F2", "name"] == "山区敬老院" and f.loc["F2", "flag_zh"] == "床位闲置（周边需求少）"
    assert f.loc["F3", "flag"] == "no_capacity"
    assert res.capacity_unit == "beds"


def test_capacity_through_analyze_uses_uptake_share():
    std = standards_from_dict(
        {
            "services": [
                {
                    "key": "beds",
                    "facility_types": ["elderly_institution"],
                    "groups": ["disabled_elderly"],
                    "mode": "car",
                    "threshold_min": 30,
                    "capacity": True,
                    "uptake_share": 0.5,
                }
            ]
        }
    )
    demand = gpd.GeoDataFrame(
        {"id": list(PEOPLE.index), "disabled_elderly": (PEOPLE * 2).to_numpy()},
        geometry=[Point(i, 0) for i in range(4)],
        crs="EPSG:4326",
    )
    facs = gpd.GeoDataFrame(
        {
            "id": ["F1", "F2"],
            "type": ["elderly_institution"] * 2,
            "capacity": [30.0, 60.0],
            "capacity_unit": ["beds"] * 2,
        },
        geometry=[Point(0, 1), Point(2, 1)],
        crs="EPSG:4326",
    )
    travel = {"beds": ServiceTravel("beds", "car", ("elderly_institution",), None, NEAREST, OD, None, 30.0)}
    res = analyze(demand, facs, standards=std, travel=travel)
    c = res.capacity["beds"]
    assert c.summary["demand_total"] == 190.0  # 2 x 190 disabled x uptake 0.5
    v = c.villages.set_index("id")
    assert v.loc["V2", "access_index_per_1000"] == pytest.approx(950.0)
    assert res.to_dict()["capacity"]["beds"]["expected_occupancy_share"] == pytest.approx(2 / 3)
    assert res.od("beds") is OD
    # A threshold beyond the stored OD cutoff needs the engine again.
    with pytest.raises(ValueError, match="smaller threshold"):
        analyze(demand, facs, standards=std.with_threshold("beds", 45), travel=travel)


def test_capacity_by_county_shows_where_beds_stand_empty():
    std = standards_from_dict(
        {
            "services": [
                {
                    "key": "beds",
                    "facility_types": ["elderly_institution"],
                    "groups": ["disabled_elderly"],
                    "mode": "car",
                    "threshold_min": 30,
                    "capacity": True,
                }
            ]
        }
    )
    demand = gpd.GeoDataFrame(
        {
            "id": list(PEOPLE.index),
            "disabled_elderly": PEOPLE.to_numpy(),
            "county_code": ["C1", "C1", "C2", "C2"],
            "county_name": ["城区", "城区", "山区", "山区"],
        },
        geometry=[Point(i, 0) for i in range(4)],
        crs="EPSG:4326",
    )
    facs = gpd.GeoDataFrame(
        {
            "id": ["F1", "F2"],
            "type": ["elderly_institution"] * 2,
            "capacity": [30.0, 60.0],
            "county_code": ["C1", "C2"],
        },
        geometry=[Point(0, 1), Point(2, 1)],
        crs="EPSG:4326",
    )
    travel = {"beds": ServiceTravel("beds", "car", ("elderly_institution",), None, NEAREST, OD, None, 30.0)}
    bc = (
        analyze(demand, facs, standards=std, travel=travel)
        .capacity["beds"]
        .by_county.set_index("county_code")
    )
    # 城区: 30 beds, 150 allocated, 120 unmet; 山区: 60 beds half empty, yet V4 (out of reach) unmet.
    assert bc.loc["C1", ["county_name", "capacity", "served_demand", "unmet_demand"]].tolist() == [
        "城区",
        30.0,
        30.0,
        120.0,
    ]
    assert bc.loc["C2", ["spare_capacity", "unmet_demand"]].tolist() == [30.0, 10.0]
    assert bc.loc["C2", "expected_occupancy_share"] == pytest.approx(0.5)
