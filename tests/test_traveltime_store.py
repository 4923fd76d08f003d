"""Compiled networks: built from the graph's arrays, saved, reloaded and reused only for unchanged content.

Also the code paths of the array build: plain DiGraphs, rings without any junction, NaN lengths.
"""

from __future__ import annotations

import logging
import math
import pickle
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest

from coverage.errors import InputError, NetworkError
from coverage.network import get_mode
from coverage.traveltime import TravelTimeEngine, engine_for_file, load_network, metric_crs_for, save_network
from tests.test_traveltime import check_against_reference, points, random_points

OAKLAND = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "osm" / "West-Oakland.osm.bz2"


@pytest.fixture(scope="module")
def oakland() -> nx.MultiDiGraph:
    return ox.graph_from_xml(OAKLAND)


def grid_graph(side: int = 6, *, length_m: float = 120.0, name: str = "grid") -> nx.MultiDiGraph:
    """A side x side street grid about 110 m apart (two-way residential streets)."""
    G = nx.MultiDiGraph(crs="EPSG:4326", name=name)
    for i in range(side):
        for j in range(side):
            G.add_node(i * side + j, x=101.0 + 0.001 * i, y=24.0 + 0.001 * j)
    for i in range(side):
        for j in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < side and j + dj < side:
                    u, v = i * side + j, (i + di) * side + j + dj
                    G.add_edge(u, v, length=length_m, highway="residential")
                    G.add_edge(v, u, length=length_m, highway="residential")
    return G


def assert_same_answers(a: TravelTimeEngine, b: TravelTimeEngine, origins: gpd.GeoDataFrame,
                        dests: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(a.nearest(origins, dests), b.nearest(origins, dests))
    pd.testing.assert_frame_equal(a.od(origins, dests, cutoff_min=10), b.od(origins, dests, cutoff_min=10))
    pd.testing.assert_frame_equal(a.snap(origins), b.snap(origins))


# ---------------------------------------------------------------- saved networks
def test_saved_network_reloads_with_identical_answers(oakland: nx.MultiDiGraph, tmp_path: Path) -> None:
    eng = TravelTimeEngine(oakland, mode="car")
    path = save_network(eng.network, tmp_path / "oakland.engine.npz")
    back = TravelTimeEngine.from_network(load_network(path))
    assert back.mode == eng.mode and back.metric_crs == eng.metric_crs
    assert list(back.node_ids) == list(eng.node_ids)
    o, d = random_points(oakland, 40, "o", seed=1), random_points(oakland, 25, "d", seed=2)
    assert_same_answers(eng, back, o, d)
    # and a pickled engine too (the app caches engines across sessions)
    assert_same_answers(eng, pickle.loads(pickle.dumps(eng)), o, d)


def test_text_node_ids_survive_saving(tmp_path: Path) -> None:
    G = nx.relabel_nodes(grid_graph(4), {i: f"n{i:02d}" for i in range(16)})
    eng = TravelTimeEngine(G, mode="walk")
    back = TravelTimeEngine.from_network(load_network(save_network(eng.network, tmp_path / "g.engine.npz")))
    assert list(back.segments()["u"]) == list(eng.segments()["u"])
    assert back.segments()["u"].iloc[0].startswith("n")


def test_not_a_saved_network_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.engine.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(NetworkError, match="not a saved road network.*delete it to rebuild"):
        load_network(bad)
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(NetworkError, match="another version"):
        load_network(tmp_path / "other.npz")


def test_engine_for_file_reuses_only_unchanged_content(tmp_path: Path) -> None:
    graph_file = tmp_path / "roads.graphml"
    G = grid_graph(6)
    ox.save_graphml(G, graph_file)
    o = points([(101.0005, 24.0002), (101.0031, 24.0044)], "o")
    d = points([(101.0049, 24.0051)], "d")
    first = engine_for_file(graph_file, "walk")
    saved = sorted(tmp_path.glob("roads.graphml.walk.*.engine.npz"))
    assert len(saved) == 1
    stamp = saved[0].stat().st_mtime_ns
    again = engine_for_file(graph_file, "walk")
    assert saved[0].stat().st_mtime_ns == stamp  # loaded, not written again
    assert_same_answers(first, again, o, d)
    t_before = again.nearest(o, d)["travel_time_min"].to_numpy()

    # the file changes (every street twice as long): the saved network of the old content must not be used
    ox.save_graphml(grid_graph(6, length_m=240.0), graph_file)
    changed = engine_for_file(graph_file, "walk")
    t_after = changed.nearest(o, d)["travel_time_min"].to_numpy()
    assert (t_after > t_before + 1.0).all()
    now = sorted(tmp_path.glob("roads.graphml.walk.*.engine.npz"))
    assert len(now) == 1 and now[0] != saved[0]  # the stale one is gone

    # edited speeds are another network too
    slow = get_mode("walk").with_speeds(residential=2.0)
    t_slow = engine_for_file(graph_file, slow).nearest(o, d)["travel_time_min"].to_numpy()
    assert (t_slow > t_after).all()


def test_engine_for_file_rebuilds_a_damaged_saved_network(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    graph_file = tmp_path / "roads.graphml"
    ox.save_graphml(grid_graph(4), graph_file)
    engine_for_file(graph_file, "walk")
    saved = next(tmp_path.glob("*.engine.npz"))
    saved.write_bytes(b"\0" * 100)
    with caplog.at_level(logging.WARNING, logger="coverage.traveltime.store"):
        eng = engine_for_file(graph_file, "walk")
    assert "rebuilding" in caplog.text
    near = eng.nearest(points([(101.001, 24.001)], "o"), points([(101.002, 24.002)], "d"))
    assert near["travel_time_min"].notna().all()
    assert load_network(saved).n_nodes == 16  # written again, whole


# ---------------------------------------------------------------- array build: graph shapes and guards
def test_plain_digraph_gives_the_multidigraph_times() -> None:
    G = grid_graph(5)
    D = nx.DiGraph(G)
    o, d = random_points(G, 30, "o", seed=3), random_points(G, 20, "d", seed=4)
    pd.testing.assert_frame_equal(TravelTimeEngine(G, mode="walk").od(o, d, cutoff_min=None),
                                  TravelTimeEngine(D, mode="walk").od(o, d, cutoff_min=None))


def test_ring_roads_without_junctions_match_networkx() -> None:
    # a closed ring (no junction at all), and a loop hanging off a junction of a short spur: both become chains
    G = nx.MultiDiGraph(crs="EPSG:4326")
    ring = 8
    for k in range(ring):
        a = 2 * math.pi * k / ring
        G.add_node(k, x=101.0 + 0.003 * math.cos(a), y=24.0 + 0.003 * math.sin(a))
    for k in range(ring):
        u, v = k, (k + 1) % ring
        G.add_edge(u, v, length=250.0, highway="residential")
        G.add_edge(v, u, length=250.0, highway="residential")
    spur = [(100, 101.02, 24.0), (101, 101.023, 24.0), (102, 101.025, 24.002), (103, 101.027, 24.0),
            (104, 101.025, 23.998)]
    for n, x, y in spur:
        G.add_node(n, x=x, y=y)
    for u, v in [(100, 101), (101, 102), (102, 103), (103, 104), (104, 101)]:
        G.add_edge(u, v, length=300.0, highway="residential")
        G.add_edge(v, u, length=300.0, highway="residential")
    eng = TravelTimeEngine(G, mode="walk")
    ch = eng.chains()
    assert 0 in set(ch.core.tolist()) and len(ch.core) < eng.n_nodes  # the ring's lowest node is its core
    rng = np.random.default_rng(5)
    o = points(np.column_stack([rng.uniform(100.996, 101.03, 30), rng.uniform(23.996, 24.004, 30)]), "o")
    d = points(np.column_stack([rng.uniform(100.996, 101.03, 12), rng.uniform(23.996, 24.004, 12)]), "d")
    check_against_reference(G, eng, o, d, cutoff_min=6.0)


def test_nan_length_is_rejected_and_absent_length_is_measured() -> None:
    G = grid_graph(3)
    G.edges[0, 1, 0]["length"] = float("nan")
    with pytest.raises(NetworkError, match=r"edge \(0, 1\) length nan"):
        TravelTimeEngine(G, mode="walk")
    H = grid_graph(3)
    del H.edges[0, 1, 0]["length"]
    del H.edges[1, 0, 0]["length"]
    seg = TravelTimeEngine(H, mode="walk").segments()
    measured = seg[(seg["u"] == 0) & (seg["v"] == 1)]
    assert len(measured) == 1 and 100 < measured["length_m"].iloc[0] < 120  # 0.001 degree of latitude


def test_one_metric_crs_choice() -> None:
    assert metric_crs_for([102.5, 102.6, np.nan], [24.3, 24.4, np.nan]).to_epsg() == 32648
    assert metric_crs_for([-70.6], [-33.4]).to_epsg() == 32719
    with pytest.raises(InputError, match="no coordinates"):
        metric_crs_for([np.nan], [np.nan])
