"""propose_for_service passes the solver's options through (the app's advanced siting options), and
is_simulated_file tells the demo's exported GeoPackage from a planner's own."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from coverage.dataset import is_simulated_file
from coverage.demo import export_demo, load_demo
from coverage.errors import FileReadError
from coverage.siting import propose_for_service
from coverage.traveltime import TravelTimeEngine

ELDERLY_TYPES = ["community_daycare", "rural_mutual_aid", "happy_courtyard", "township_elderly_center",
                 "elderly_canteen"]


@pytest.fixture(scope="module")
def yuxi():
    region = load_demo("yuxi")
    return region, TravelTimeEngine(region.graph(), mode="walk")


def _plan(yuxi, **options):
    region, engine = yuxi
    return propose_for_service(region.demand, region.facilities, region.candidates, engine=engine,
                               facility_types=ELDERLY_TYPES, threshold_min=15, **options)


@pytest.mark.slow
def test_group_weights_budget_and_unit_rules_reach_the_solver(yuxi):
    only = _plan(yuxi, groups=["elderly_60plus"], model="mclp", p=5)
    children = _plan(yuxi, groups=["elderly_60plus", "left_behind_children"], model="mclp", p=5,
                     group_weights={"elderly_60plus": 0.0, "left_behind_children": 1.0})
    assert children.groups == ("elderly_60plus", "left_behind_children")
    assert set(children.proposal.sites["id"]) != set(only.proposal.sites["id"])
    budget = _plan(yuxi, groups=["elderly_60plus"], model="mclp", p=10, budget=100.0)
    assert 0 < len(budget.proposal.sites) < 10
    assert budget.proposal.sites["cost_10k_yuan"].sum() <= 100.0
    plain = _plan(yuxi, groups=["elderly_60plus"], model="target", target_share=0.9)
    ruled = _plan(yuxi, groups=["elderly_60plus"], model="target", target_share=0.9,
                  unit_rules={"township_code": 0.6})
    assert len(ruled.proposal.sites) > len(plain.proposal.sites)


def test_is_simulated_file(tmp_path):
    gpkg = next(p for p in export_demo("yuxi", tmp_path / "demo") if p.suffix == ".gpkg")
    assert is_simulated_file(gpkg)
    own = tmp_path / "own.gpkg"
    gpd.GeoDataFrame({"name": ["红塔区"], "level": ["county"]}, geometry=[box(102, 24, 103, 25)],
                     crs="EPSG:4326").to_file(own, layer="boundaries")
    assert not is_simulated_file(own)
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(FileReadError, match="bad.gpkg"):
        is_simulated_file(bad)
