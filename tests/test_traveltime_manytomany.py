"""Many-to-many tables (coverage.traveltime.manytomany): the local method against the simple one, and by hand.

The simple method is one bounded Dijkstra per source on the whole contracted graph (what ``od()`` did before
the local method existed); the local method runs blocks of nearby sources on the roads within reach of them,
after dropping the roads that reach no target in time.  They must give the same pairs and the same times
(1e-9 min) on seeded random graphs, with cutoffs that fall exactly on a pair's time, unreachable pairs, points
at the same place and origins that are also destinations.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from coverage.traveltime import TravelTimeEngine
from coverage.traveltime.manytomany import TableStats, core_table

CRS = "EPSG:32647"  # metric: points on a node have no access leg at all, so hand times are exact
TOL = 1e-9


def pts(xy: np.ndarray, prefix: str) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(xy))]},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def grid_engine(seed: int, side: int = 12, *, mode: str = "walk", spacing_m: float = 120.0, drop: float = 0.15,
                oneway: float = 0.0, pieces: int = 1) -> tuple[TravelTimeEngine, np.ndarray]:
    """A jittered street grid in metres, some streets missing, some oneway, optionally two pieces apart
    (``pieces=2``: unreachable pairs), with bent streets (pass-through nodes) on some blocks."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side)
    x = (ids // side) * spacing_m + rng.uniform(-20, 20, len(ids)) + 500_000.0
    y = (ids % side) * spacing_m + rng.uniform(-20, 20, len(ids)) + 2_700_000.0
    if pieces == 2:
        x = np.where(ids // side >= side // 2, x + 50 * spacing_m, x)
    rows = []
    for i in range(side):
        for j in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= side or j + dj >= side or rng.random() < drop:
                    continue
                if pieces == 2 and di == 1 and i + 1 == side // 2:
                    continue
                u, v = i * side + j, (i + di) * side + j + dj
                length = float(np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3))
                hw = str(rng.choice(["residential", "tertiary", "track"]))
                rows.append((u, v, length, hw))
                if rng.random() >= oneway:
                    rows.append((v, u, length, hw))
    nodes = pd.DataFrame({"x": x, "y": y}, index=pd.Index(ids, name="osmid"))
    # bend some streets: a pass-through node halfway (a chain in the contracted graph)
    edges = pd.DataFrame(rows, columns=["u", "v", "length", "highway"])
    bend = edges[(edges["u"] < edges["v"])].sample(frac=0.3, random_state=seed)
    extra_nodes, extra_edges = [], []
    for k, (u, v, length, hw) in enumerate(bend.itertuples(index=False)):
        mid = len(ids) + k
        extra_nodes.append((mid, (x[u] + x[v]) / 2 + 15.0, (y[u] + y[v]) / 2 + 15.0))
        back = ((edges["u"] == v) & (edges["v"] == u)).any()
        for a, b in ((u, mid), (mid, v)):
            extra_edges.append((a, b, length / 2, hw))
            if back:
                extra_edges.append((b, a, length / 2, hw))
    if extra_nodes:
        drop_uv = set(zip(bend["u"], bend["v"], strict=True)) | set(zip(bend["v"], bend["u"], strict=True))
        edges = edges[[(u, v) not in drop_uv for u, v in zip(edges["u"], edges["v"], strict=True)]]
        nodes = pd.concat([nodes, pd.DataFrame(extra_nodes, columns=["osmid", "x", "y"]).set_index("osmid")])
        edges = pd.concat([edges, pd.DataFrame(extra_edges, columns=["u", "v", "length", "highway"])])
    eng = TravelTimeEngine.from_gdfs(nodes, edges.reset_index(drop=True), mode, crs=CRS)
    lo = np.array([x.min(), y.min()]) - 50
    hi = np.array([x.max(), y.max()]) + 50
    return eng, np.stack([lo, hi])


def same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same pairs, same times (1e-9 min)."""
    merged = a.merge(b, on=["from_id", "to_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["travel_time_min_x"], merged["travel_time_min_y"], atol=TOL, rtol=0)


@pytest.mark.parametrize("seed", range(6))
def test_local_equals_simple_on_random_grids(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    mode = ["walk", "car", "ebike"][seed % 3]
    eng, box = grid_engine(seed, side=10 + seed, mode=mode, oneway=0.2 if mode != "walk" else 0.0,
                           pieces=2 if seed % 2 else 1)
    o = pts(rng.uniform(box[0], box[1], size=(int(rng.integers(20, 60)), 2)), "o")
    d = pts(rng.uniform(box[0], box[1], size=(int(rng.integers(5, 40)), 2)), "d")
    full = eng.od(o, d, cutoff_min=None, method="simple")
    assert len(full)  # the grid is connected enough for some pairs
    cut = float(full["travel_time_min"].quantile(0.3))
    for cutoff in (cut, float(full["travel_time_min"].iloc[len(full) // 2]), 0.5):
        for run_from in ("origins", "destinations"):
            simple = eng.od(o, d, cutoff_min=cutoff, method="simple", run_from=run_from)
            local = eng.od(o, d, cutoff_min=cutoff, method="local", run_from=run_from)
            same_table(local, simple)
            # and both are the unbounded table (searched the same way round: the same sums, to the last
            # bit) cut at the cutoff: a pair exactly at the cutoff is in
            unbounded = eng.od(o, d, cutoff_min=None, method="local", run_from=run_from)
            same_table(local, unbounded[unbounded["travel_time_min"] <= cutoff])
    if seed % 2:  # two pieces: pairs across the gap are absent, never a number
        assert len(full) < len(o) * len(d)


def test_cutoff_exactly_on_a_pair_time_keeps_the_pair() -> None:
    # a straight road of 600 m steps walked at 60 m/min: nodes 10 minutes apart, points on the nodes
    n = 6
    nodes = pd.DataFrame({"x": 500_000.0 + 600.0 * np.arange(n), "y": np.full(n, 2_700_000.0)},
                         index=pd.Index(np.arange(n), name="osmid"))
    u = np.r_[np.arange(n - 1), np.arange(1, n)]
    v = np.r_[np.arange(1, n), np.arange(n - 1)]
    edges = pd.DataFrame({"u": u, "v": v, "length": 600.0, "highway": "residential"})
    eng = TravelTimeEngine.from_gdfs(nodes, edges, "walk", crs=CRS)
    xy = nodes[["x", "y"]].to_numpy()
    o = pts(xy[[0, 2]], "o")
    d = pts(xy[[0, 1, 2, 4, 5]], "d")
    for method in ("simple", "local"):
        od = eng.od(o, d, cutoff_min=20.0, method=method)
        got = {(f, t): m for f, t, m in od.itertuples(index=False)}
        assert got == {("o0", "d0"): 0.0, ("o0", "d1"): 10.0, ("o0", "d2"): 20.0,
                       ("o1", "d2"): 0.0, ("o1", "d1"): 10.0, ("o1", "d0"): 20.0, ("o1", "d3"): 20.0}
        assert od["from_id"].tolist() == ["o0", "o0", "o0", "o1", "o1", "o1", "o1"]  # by origin, then time


def test_origins_that_are_the_destinations_and_points_at_one_place() -> None:
    eng, box = grid_engine(3, side=14)
    rng = np.random.default_rng(5)
    xy = rng.uniform(box[0], box[1], size=(40, 2))
    xy[10:15] = xy[9]  # five more points at the same place, other ids
    same = pts(xy, "p")
    # a point's trip to itself is its access leg to the road and back (nothing along the road)
    access = eng.snap(same)["access_time_min"]
    own = 2 * access
    for method in ("simple", "local"):
        od = eng.od(same, same, cutoff_min=4.0, method=method)
        self_pairs = od[od["from_id"] == od["to_id"]].set_index("from_id")["travel_time_min"]
        assert set(self_pairs.index) == set(own.index[own <= 4.0]) and len(self_pairs) >= 30
        np.testing.assert_allclose(self_pairs, own.reindex(self_pairs.index), atol=TOL, rtol=0)
        at_one_place = od[od["from_id"].isin(["p9", "p10", "p14"]) & od["to_id"].isin(["p9", "p12"])]
        if own["p9"] <= 4.0:
            assert len(at_one_place) == 6
            np.testing.assert_allclose(at_one_place["travel_time_min"], own["p9"], atol=TOL, rtol=0)
    same_table(eng.od(same, same, cutoff_min=4.0, method="local"), eng.od(same, same, cutoff_min=4.0,
                                                                          method="simple"))


def test_local_blocks_cut_the_graph_and_prune_roads_far_from_the_targets() -> None:
    eng, box = grid_engine(7, side=40, drop=0.1)
    rng = np.random.default_rng(9)
    o = pts(rng.uniform(box[0], box[1], size=(200, 2)), "o")
    d = pts(rng.uniform(box[0], box[0] + (box[1] - box[0]) / 4, size=(3, 2)), "d")  # few, in one corner
    from coverage.traveltime.snap import in_offsets, out_offsets

    ch = eng.chains()
    so, sd = eng._snap_xy(*eng._points_m(o, "o")[1:], max_access_distance_m=None), \
        eng._snap_xy(*eng._points_m(d, "d")[1:], max_access_distance_m=None)
    from coverage.traveltime.contract import core_offsets

    def entries(off: tuple, outward: bool) -> tuple[np.ndarray, np.ndarray]:
        parts_c, parts_w = [], []
        for node, w in ((off[0], off[1]), (off[2], off[3])):
            n1, w1, n2, w2 = core_offsets(ch, node, w, outward=outward)
            parts_c += [n1, n2]
            parts_w += [w1, w2]
        return np.column_stack(parts_c), np.column_stack(parts_w)

    sc, sw = entries(out_offsets(eng.network, so), True)
    tc, tw = entries(in_offsets(eng.network, sd), False)
    stats = TableStats("local")
    local = core_table(ch.csr, sc, sw, tc, tw, limit_min=6.0, method="local", node_xy_m=eng.network.node_xy_m[ch.core],
                       base_rev=ch.csr_rev, stats=stats)
    simple = core_table(ch.csr, sc, sw, tc, tw, limit_min=6.0, method="simple")
    assert stats.n_local_blocks >= 1 and stats.n_pruned_nodes > 0
    assert max(stats.sub_nodes) < len(ch.core)
    a = pd.DataFrame({"i": local[0], "j": local[1], "t": local[2]}).sort_values(["i", "j"]).reset_index(drop=True)
    b = pd.DataFrame({"i": simple[0], "j": simple[1], "t": simple[2]}).sort_values(["i", "j"]).reset_index(drop=True)
    assert len(a) and a[["i", "j"]].equals(b[["i", "j"]])
    np.testing.assert_allclose(a["t"], b["t"], atol=TOL, rtol=0)


@pytest.mark.parametrize("seed", range(4))
def test_core_table_methods_agree_on_random_sparse_graphs(seed: int) -> None:
    """Directly on random directed graphs: sources and targets with missing entries, repeated rows, zero
    offsets, a cutoff equal to one of the pair times."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(50, 400))
    e = 3 * m
    r, c = rng.integers(0, m, e), rng.integers(0, m, e)
    w = rng.choice([0.0, 0.5, 1.0, 2.5], e) + rng.uniform(0, 1, e) * (seed % 2)
    keep = r != c
    g = sp.csr_matrix((w[keep] + 1e-3, (r[keep], c[keep])), shape=(m, m))
    g.sum_duplicates()
    g.sort_indices()
    g_rev = g.T.tocsr()
    g_rev.sort_indices()
    xy = rng.uniform(0, 5_000, (m, 2))
    n_s, n_t = int(rng.integers(5, 80)), int(rng.integers(1, 60))
    sc = rng.integers(-1, m, (n_s, 4))
    sw = np.where(sc >= 0, rng.choice([0.0, 0.3, 1.0], (n_s, 4)), np.inf)
    sc[-1], sw[-1] = -1, np.inf  # a source off the network
    sc[0], sw[0] = sc[1], sw[1]  # a repeated source
    tc = rng.integers(-1, m, (n_t, 4))
    tw = np.where(tc >= 0, rng.choice([0.0, 0.2, 2.0], (n_t, 4)), np.inf)
    full = core_table(g, sc, sw, tc, tw, limit_min=np.inf, method="simple")
    finite = np.sort(full[2])
    for limit in (float(finite[len(finite) // 3]) if len(finite) else 1.0, 2.0, 0.0):
        simple = core_table(g, sc, sw, tc, tw, limit_min=limit, method="simple")
        for kwargs in ({}, {"node_xy_m": xy}, {"node_xy_m": xy, "base_rev": g_rev}, {"block": 3}):
            local = core_table(g, sc, sw, tc, tw, limit_min=limit, method="local", **kwargs)
            key_l = pd.Series(local[2], index=pd.MultiIndex.from_arrays(local[:2])).sort_index()
            key_s = pd.Series(simple[2], index=pd.MultiIndex.from_arrays(simple[:2])).sort_index()
            assert key_l.index.equals(key_s.index)
            np.testing.assert_allclose(key_l.to_numpy(), key_s.to_numpy(), atol=TOL, rtol=0)
            inside = full[2] <= limit
            assert len(key_s) == int(inside.sum())  # exactly the unbounded pairs within the cutoff


def test_unknown_method_is_an_error() -> None:
    eng, box = grid_engine(0, side=5)
    p = pts(box[:1] + 60, "p")
    with pytest.raises(ValueError, match="method must be one of"):
        eng.od(p, p, cutoff_min=5, method="fast")


def test_progress_rises_to_one_for_both_methods() -> None:
    eng, box = grid_engine(2, side=16)
    rng = np.random.default_rng(3)
    o = pts(rng.uniform(box[0], box[1], size=(120, 2)), "o")
    d = pts(rng.uniform(box[0], box[1], size=(150, 2)), "d")
    for method in ("simple", "local"):
        seen: list[float] = []
        eng.od(o, d, cutoff_min=3.0, method=method, run_from="origins", progress=seen.append)
        assert seen and seen[-1] == 1.0 and all(b >= a for a, b in itertools.pairwise(seen))
