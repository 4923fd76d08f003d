"""Engine build from arrays, and saved engines mapped from disk: the same answers whichever way in.

Builds from a networkx graph, from node/edge tables (categorical road classes) and from plain arrays must give
the same compiled network; a saved network is memory-mapped on reload (read-only arrays over the file) and
answers exactly as the engine it was saved from; saved files of the previous format are still read, and a
damaged or outdated saved file is rebuilt with a log line, never an exception.
"""

from __future__ import annotations

import logging
import mmap
import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely

from coverage.errors import NetworkError
from coverage.traveltime import TravelTimeEngine, engine_for_file, load_network, save_network, store
from coverage.traveltime.compiled import CompiledNetwork
from tests.test_traveltime import points, random_points
from tests.test_traveltime_store import OAKLAND, grid_graph


@pytest.fixture(scope="module")
def oakland() -> nx.MultiDiGraph:
    return ox.graph_from_xml(OAKLAND)


def same_network(a: CompiledNetwork, b: CompiledNetwork) -> None:
    for name in ("node_xy_m", "seg_a", "seg_b", "seg_time_ab_min", "seg_time_ba_min", "seg_xy_m", "seg_xy_start"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_allclose(a.seg_length_m, b.seg_length_m, rtol=0, atol=1e-9)
    for m in ("csr", "csr_rev"):
        x, y = getattr(a, m), getattr(b, m)
        for part in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(x, part), getattr(y, part), err_msg=f"{m}.{part}")
    assert a.min_per_m == b.min_per_m
    assert list(a.node_ids) == list(b.node_ids)


def mapped(arr: np.ndarray) -> bool:
    """Whether an array's memory is a mapping of a file."""
    base: object = arr
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return isinstance(base, mmap.mmap)


def test_tables_and_arrays_compile_the_graphs_network(oakland: nx.MultiDiGraph) -> None:
    from_graph = TravelTimeEngine(oakland, mode="car")
    nodes, edges = ox.graph_to_gdfs(oakland)
    from_tables = TravelTimeEngine.from_gdfs(nodes, edges, mode="car")
    same_network(from_graph.network, from_tables.network)
    # categorical road classes (what a province-sized table uses) read by their codes: the same speeds
    e = edges.reset_index()
    e["highway"] = e["highway"].map(lambda h: h if isinstance(h, str) else repr(h)).astype("category")
    cat = TravelTimeEngine.from_gdfs(nodes, e, mode="car")
    pos = pd.Index(nodes.index)
    arrays = TravelTimeEngine.from_arrays(
        nodes["x"], nodes["y"], pos.get_indexer(e["u"]), pos.get_indexer(e["v"]), e["length"], "car",
        crs=nodes.crs, node_ids=nodes.index.to_numpy(), highway=e["highway"].array,
        maxspeed=e["maxspeed"].to_numpy(dtype=object) if "maxspeed" in e else None, geometry=e["geometry"].to_numpy())
    for eng in (cat, arrays):
        np.testing.assert_array_equal(eng.network.seg_time_ab_min, from_graph.network.seg_time_ab_min)
        np.testing.assert_array_equal(eng.network.csr.data, from_graph.network.csr.data)
    o, d = random_points(oakland, 30, "o", seed=11), random_points(oakland, 12, "d", seed=12)
    pd.testing.assert_frame_equal(arrays.nearest(o, d), from_graph.nearest(o, d))


def test_arrays_reject_edges_to_absent_nodes() -> None:
    with pytest.raises(NetworkError, match="outside 0..2"):
        TravelTimeEngine.from_arrays([101.0, 101.001, 101.002], [24.0, 24.0, 24.0], [0, 1], [1, 3], [100.0, 100.0],
                                     crs="EPSG:4326")


def test_mapped_network_answers_exactly_as_the_built_one(oakland: nx.MultiDiGraph, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAP_MIN_BYTES", 0)  # map even this small network's arrays
    eng = TravelTimeEngine(oakland, mode="walk")
    path = save_network(eng.network, tmp_path / "oakland.engine.npz")
    back = TravelTimeEngine.from_network(load_network(path))
    net = back.network
    # the big arrays are views of the file, read-only (nothing copied on reload)
    for arr in (net.csr.indices, net.seg_xy_m, net.node_xy_m):
        assert not arr.flags.writeable
        assert mapped(arr)
    assert "chains" in net._cache  # the contraction was saved too: not recomputed
    same_network(eng.network, net)
    ch_a, ch_b = eng.chains(), back.chains()
    np.testing.assert_array_equal(ch_a.core, ch_b.core)
    np.testing.assert_array_equal(ch_a.csr.data, ch_b.csr.data)
    o, d = random_points(oakland, 50, "o", seed=21), random_points(oakland, 20, "d", seed=22)
    pd.testing.assert_frame_equal(eng.nearest(o, d, cutoff_min=15), back.nearest(o, d, cutoff_min=15))
    pd.testing.assert_frame_equal(eng.od(o, d, cutoff_min=10), back.od(o, d, cutoff_min=10))
    t_a, _ = eng.node_times(d, cutoff_min=10)
    t_b, _ = back.node_times(d, cutoff_min=10)
    np.testing.assert_array_equal(t_a, t_b)
    areas_a = eng.service_areas(d, thresholds_min=[5, 10])
    areas_b = back.service_areas(d, thresholds_min=[5, 10])
    np.testing.assert_allclose(areas_a["area_km2"], areas_b["area_km2"], rtol=1e-12)
    assert shapely.equals_exact(eng.network.seg_geoms_m, net.seg_geoms_m, tolerance=0).all()
    # an ordinary .npz too: numpy reads it without this module
    with np.load(path) as z:
        np.testing.assert_array_equal(z["seg_a"], eng.network.seg_a)


def test_saved_members_are_aligned_and_uncompressed(tmp_path: Path) -> None:
    eng = TravelTimeEngine(grid_graph(5), mode="walk")
    path = save_network(eng.network, tmp_path / "g.engine.npz")
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert "ch_core.npy" in zf.namelist()


def test_format_1_files_are_still_read(oakland: nx.MultiDiGraph, tmp_path: Path) -> None:
    eng = TravelTimeEngine(oakland, mode="car")
    net = eng.network
    coords, part = shapely.get_coordinates(net.seg_geoms_m, return_index=True)
    path = tmp_path / "old.engine.npz"
    np.savez(  # the layout format 1 wrote (np.savez: members at unaligned offsets)
        path, format_version=np.int64(1), mode=np.load(save_network(net, tmp_path / "new.npz"))["mode"],
        crs=np.str_(net.crs.to_wkt()), metric_crs=np.str_(net.metric_crs.to_wkt()),
        node_ids=np.asarray(net.node_ids, dtype=np.int64), node_ids_kind=np.str_("int"), node_xy_m=net.node_xy_m,
        seg_a=net.seg_a, seg_b=net.seg_b, seg_time_ab_min=net.seg_time_ab_min,
        seg_time_ba_min=net.seg_time_ba_min, seg_length_m=net.seg_length_m,
        geom_xy=coords, geom_count=np.bincount(part, minlength=net.n_segments),
        csr_data=net.csr.data, csr_indices=net.csr.indices, csr_indptr=net.csr.indptr,
        rev_data=net.csr_rev.data, rev_indices=net.csr_rev.indices, rev_indptr=net.csr_rev.indptr,
        min_per_m=np.float64(net.min_per_m),
    )
    back = TravelTimeEngine.from_network(load_network(path))
    o, d = random_points(oakland, 30, "o", seed=31), random_points(oakland, 10, "d", seed=32)
    pd.testing.assert_frame_equal(eng.nearest(o, d), back.nearest(o, d))


@pytest.mark.parametrize("damage", ["truncate", "flip_member", "other_version", "empty"])
def test_a_damaged_saved_engine_is_rebuilt_with_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                           damage: str) -> None:
    graph_file = tmp_path / "roads.graphml"
    ox.save_graphml(grid_graph(5), graph_file)
    o, d = points([(101.0005, 24.0002), (101.0031, 24.0044)], "o"), points([(101.0039, 24.0021)], "d")
    want = engine_for_file(graph_file, "walk").nearest(o, d)
    saved = next(tmp_path.glob("*.engine.npz"))
    raw = saved.read_bytes()
    if damage == "truncate":
        saved.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip_member":  # a member renamed: the file is a zip, but not a whole network
        saved.write_bytes(raw.replace(b"seg_xy_start.npy", b"seg_xy_stort.npy"))
    elif damage == "other_version":
        np.savez(saved, format_version=np.int64(99))
    else:
        saved.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="coverage.traveltime.store"):
        got = engine_for_file(graph_file, "walk").nearest(o, d)
    assert "rebuilding" in caplog.text
    pd.testing.assert_frame_equal(got, want)
    assert load_network(saved).n_nodes == 25  # written again, whole


def test_missing_road_classes_read_alike_from_categoricals_and_objects() -> None:
    rng = np.random.default_rng(41)
    n = 30
    x, y = 101.0 + rng.uniform(0, 0.01, n), 24.0 + rng.uniform(0, 0.01, n)
    u = np.arange(n - 1)
    v = u + 1
    length = rng.uniform(50, 400, n - 1)
    classes = np.array(["residential", "primary", None, "track", "motorway"], dtype=object)[rng.integers(0, 5, n - 1)]
    as_objects = TravelTimeEngine.from_arrays(x, y, u, v, length, "walk", crs="EPSG:4326", highway=classes)
    as_codes = TravelTimeEngine.from_arrays(x, y, u, v, length, "walk", crs="EPSG:4326",
                                            highway=pd.Categorical(classes))
    np.testing.assert_array_equal(as_codes.network.seg_time_ab_min, as_objects.network.seg_time_ab_min)
    closed = classes == "motorway"  # walking may not use motorways: those edges are left out
    assert as_codes.n_edges == 2 * int((~closed).sum())


def test_a_build_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    TravelTimeEngine(grid_graph(4), mode="walk").chains()
    assert gc.isenabled()  # paused during the build only
    gc.disable()
    try:
        TravelTimeEngine(grid_graph(4), mode="walk").chains()
        assert not gc.isenabled()  # not switched on behind the caller's back
    finally:
        gc.enable()
    with pytest.raises(NetworkError, match="no edge usable"):  # and restored when the build fails midway
        TravelTimeEngine.from_arrays([101.0, 101.001], [24.0, 24.0], [0], [1], [50.0], "walk", crs="EPSG:4326",
                                     highway=["motorway"])
    assert gc.isenabled()
