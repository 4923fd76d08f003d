"""Build stages of the demo on small hand-made places: containment in the township, Dali's community services."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from coverage.demo.build.calibration import COMMUNITY_SERVICE_TYPES, calibrate
from coverage.demo.build.containment import INSIDE_MARGIN_M, contain_facilities
from coverage.demo.build.places import Places
from coverage.demo.regions import CountySpec, RegionSpec
from coverage.errors import InputError

# Two square townships side by side in one county (metres): A = 0..2000, B = 2000..4000; a lake nowhere near.
TOWN_A, TOWN_B = "530402001", "530402002"
POLYS = {TOWN_A: shapely.box(0, 0, 2000, 2000), TOWN_B: shapely.box(2000, 0, 4000, 2000)}
COUNTY = shapely.box(0, 0, 4000, 2000)


def _places() -> Places:
    towns = pd.DataFrame({"township_code": [TOWN_A, TOWN_B], "county_code": ["530402", "530402"],
                          "kind": ["street", "town"], "seat_x": [1000.0, 3000.0], "seat_y": [1000.0, 1000.0],
                          "is_county_seat": [True, False], "mountain": [0.1, 0.5]})
    return Places(towns, pd.DataFrame(), dict(POLYS), {"530402": COUNTY}, {"530402": COUNTY}, shapely.Polygon())


def _villages() -> pd.DataFrame:
    """Village 0: a community of A near the border; 1: a community of A; 2, 3: villages of B."""
    return pd.DataFrame({
        "township_code": [TOWN_A, TOWN_A, TOWN_B, TOWN_B], "county_code": ["530402"] * 4,
        "village_code": [f"5304020010{i:02d}" for i in range(4)],
        "village_name": ["河畔社区", "聂耳社区", "大营村", "且莫村"],
        "x": [1900.0, 1000.0, 3000.0, 3500.0], "y": [1000.0, 1000.0, 1000.0, 500.0],
        "is_community": [True, True, False, False], "mountain": [0.1, 0.1, 0.5, 0.6],
        "elderly_60plus": [800, 1200, 300, 200], "population": [5000, 8000, 1500, 1000],
    })


def _spec(calibration: dict[str, int]) -> RegionSpec:
    return RegionSpec(key="test", code="530400", name_zh="测试市", name_en="Test", utm_epsg=32648, seed=7,
                      counties=(CountySpec("530402", (102.5, 24.3), 10_000, 0.2),), targets={}, published=(),
                      calibration=calibration)


# a road along y = 1000 with a node every 100 m, across both townships
ROAD_XY = np.column_stack([np.arange(0.0, 4001.0, 100.0), np.full(41, 1000.0)])


def test_a_facility_outside_its_township_is_moved_inside_beside_a_road():
    v = _villages()
    fac = pd.DataFrame({
        "type": ["happy_courtyard", "childrens_home", "elderly_activity_center"],
        "name": ["河畔社区幸福小院", "聂耳社区儿童之家", "河畔社区第2居民小组老年活动室"],
        "x": [2150.0, 1000.0, 2600.0], "y": [1100.0, 1050.0, 300.0],  # 0 and 2 lie in B, their host in A
        "host": [0, 1, 0], "seq": [0, 1, 2],
    })
    before = fac.copy()
    out = contain_facilities(_spec({}), _places(), v, fac, ROAD_XY)
    pd.testing.assert_frame_equal(fac, before)  # input not modified
    pd.testing.assert_frame_equal(out, contain_facilities(_spec({}), _places(), v, fac, ROAD_XY))  # deterministic
    inner_a = POLYS[TOWN_A].buffer(-INSIDE_MARGIN_M + 1e-6)
    assert shapely.contains_xy(inner_a, out["x"].to_numpy(), out["y"].to_numpy()).all()
    assert out.loc[1, ["x", "y"]].tolist() == [1000.0, 1050.0]  # inside already: left where it was
    for i in (0, 2):
        xy = out.loc[i, ["x", "y"]].to_numpy(float)
        road_m = np.hypot(*(ROAD_XY - xy).T).min()
        assert road_m <= 80 + 1e-6  # beside a road node of its own township
        host_m = np.hypot(*(xy - v.loc[0, ["x", "y"]].to_numpy(float)))
        old_m = np.hypot(*(fac.loc[i, ["x", "y"]].to_numpy(float) - v.loc[0, ["x", "y"]].to_numpy(float)))
        assert host_m <= old_m + 80 + 1e-6  # not farther from its village than it was (road offset aside)


def test_containment_keeps_out_of_the_prefecture_outline():
    """A township reaching beyond the prefecture outline (the real outline is concave): facilities stay inside."""
    v = _villages()
    prefecture = shapely.box(0, 0, 4000, 1500)  # cuts off the north of both townships
    fac = pd.DataFrame({"type": ["public_cemetery"], "name": ["大营村公益性公墓"], "x": [3000.0], "y": [1900.0],
                        "host": [2], "seq": [0]})
    out = contain_facilities(_spec({}), _places(), v, fac, ROAD_XY, prefecture=prefecture)
    x, y = out.loc[0, ["x", "y"]]
    assert shapely.contains_xy(POLYS[TOWN_B].intersection(prefecture).buffer(-INSIDE_MARGIN_M + 1e-6), x, y)


def _first_stage() -> pd.DataFrame:
    """Two children's homes, a canteen, a day-care centre, a township centre and a 幸福小院 (which never counts)."""
    types = ["childrens_home", "childrens_home", "elderly_canteen", "community_daycare", "township_elderly_center",
             "happy_courtyard"]
    return pd.DataFrame({"type": types, "name": [f"设施{i}" for i in range(6)], "capacity": [20.0] * 6,
                         "x": [1000.0, 3000.0, 1000.0, 1000.0, 3000.0, 3500.0],
                         "y": [1100.0, 1100.0, 900.0, 950.0, 1050.0, 550.0], "host": [1, 2, 1, 1, 2, 3],
                         "seq": np.arange(6)})


def test_community_services_are_made_up_to_the_published_total_with_childcare():
    v, fac = _villages(), _first_stage()
    names = {"530402": "红塔区", TOWN_A: "玉兴街道", TOWN_B: "大营镇"}
    out = calibrate(_spec({"community_services": 9}), _places(), v, fac, names, np.random.default_rng(1), ROAD_XY)
    assert out["type"].isin(COMMUNITY_SERVICE_TYPES).sum() == 9  # 5 counted + 4 childcare institutions
    childcare = out[out["type"] == "childcare_institution"]
    assert len(childcare) == 4 and (out["type"] == "happy_courtyard").sum() == 1  # the courtyard stays, uncounted
    # in communities (villages 0 and 1) or at a township seat's village (1 for A, 2 for B), on a road
    assert set(childcare["host"]) <= {0, 1, 2}
    assert childcare["name"].str.contains("托育").all()
    road_m = np.min(np.hypot(childcare["x"].to_numpy()[:, None] - ROAD_XY[None, :, 0],
                             childcare["y"].to_numpy()[:, None] - ROAD_XY[None, :, 1]), axis=1)
    assert (road_m <= 80 + 1e-6).all()
    assert childcare["seq"].tolist() == [6, 7, 8, 9]  # new ids after the existing ones
    # nothing else of the Yuxi calibration ran: no residents column, no other type added
    assert "residents" not in out.columns and len(out) == len(fac) + 4


def test_more_community_services_than_published_is_an_error():
    v, fac = _villages(), _first_stage()
    names = {"530402": "红塔区", TOWN_A: "玉兴街道", TOWN_B: "大营镇"}
    with pytest.raises(InputError, match="1 more community services.*than the published 4"):
        calibrate(_spec({"community_services": 4}), _places(), v, fac, names, np.random.default_rng(1), ROAD_XY)
