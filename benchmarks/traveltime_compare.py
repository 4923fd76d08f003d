"""Travel-time engine before / after a change, and against raw scipy csgraph on the same work, side by side.

    python benchmarks/traveltime_compare.py                 # before = the engine before compiled.py existed
    python benchmarks/traveltime_compare.py --before REV    # any git revision
    python benchmarks/traveltime_compare.py --no-osm        # Yuxi demo only
    python benchmarks/traveltime_compare.py --quick         # build / reload / nearest-vs-csgraph figures only
    python benchmarks/traveltime_compare.py --quick --province 3000000   # + a 3M-node build, fresh process

"Before" is the engine as committed at ``--before`` (read with ``git show``, run in this process), "after" the
work tree.  "raw csgraph" is the same answer computed the plain way on the same compiled matrix: the access
legs as virtual rows appended to the whole (uncontracted) graph, :func:`scipy.sparse.csgraph.dijkstra` from
them (``min_only`` for nearest; blocks of 64 origins with ``limit=`` for OD), no contraction, no local
sub-graphs.  Every figure is the best of 3 runs with the snap caches cleared, in CPU seconds of this process
by default (steady on a shared machine; ``--wall`` for elapsed seconds); the engine's answers are checked
against the raw ones (max |diff| in minutes).

``--quick`` prints the issue-16 build figures only: Yuxi build cold from the loaded graph and from the edge
table (``TravelTimeEngine.from_arrays`` over the demo's road arrays), reload of the saved engine (memory-mapped
``load_network`` + ``from_network``, contraction as saved, spatial index built), nearest facility against raw
csgraph on every graph (ratio raw / engine: >= 1 means the engine is at least as fast), and with ``--province N``
a build of an N-node synthetic network (``benchmarks/synthetic_province.py``, else a seeded numpy grid) from
arrays in a fresh process: CPU, wall and peak memory (``ru_maxrss``, inputs included, and their own share).

Cases: Yuxi demo (``load_demo("yuxi").graph()``, 67,542 nodes) build cold (compile + spatial index +
contraction), nearest facility for each of 16 types, OD 718 villages x 2,000 candidates within 60 min (walk,
car), walking service areas of two services (5/10/15 min); saving and reloading the compiled network; and
the OSM extracts in /work/shared/benchmarks/osm (build, nearest, OD of seeded random points).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from coverage.traveltime import TravelTimeEngine, load_network, save_network  # noqa: E402
from coverage.traveltime.compiled import CompiledNetwork  # noqa: E402
from coverage.traveltime.overlay import with_sources  # noqa: E402
from coverage.traveltime.snap import in_offsets, out_offsets, same_segment_pairs, snap_points  # noqa: E402

OSM_DIR = Path("/work/shared/benchmarks/osm")


def load_before(rev: str) -> Any:
    """The TravelTimeEngine class of coverage/traveltime at git revision ``rev``, as module ``tt_before``."""
    pkg = types.ModuleType("tt_before")
    pkg.__path__ = []
    sys.modules["tt_before"] = pkg
    for name in ("areas", "engine"):
        code = subprocess.run(["git", "show", f"{rev}:coverage/traveltime/{name}.py"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        code = code.replace("coverage.traveltime.areas", "tt_before.areas").replace(
            "coverage.traveltime.engine", "tt_before.engine")
        mod = types.ModuleType(f"tt_before.{name}")
        sys.modules[mod.__name__] = mod
        exec(compile(code, f"<{rev}:coverage/traveltime/{name}.py>", "exec"), mod.__dict__)
    return sys.modules["tt_before.engine"].TravelTimeEngine


#: The clock: CPU seconds of this process (``--wall``: elapsed seconds).  On a shared machine the CPU time
#: of the process is far steadier than the elapsed time; the work is single-threaded either way.
CLOCK: Callable[[], float] = time.process_time


def best_of(k: int, fn: Callable[[], Any], clear: Callable[[], None] = lambda: None) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(k):
        clear()
        t = CLOCK()
        out = fn()
        best = min(best, CLOCK() - t)
    return best, out


def clear_caches(*engines: Any) -> Callable[[], None]:
    def clear() -> None:
        for e in engines:
            e.__dict__.pop("_snap_cache", None)
    return clear


def line(what: str, before: float | None, after: float, raw: float | None, note: str = "") -> None:
    def fmt(x: float | None) -> str:
        return f"{x:8.3f} s" if x is not None else " " * 10

    ratio_b = f"{before / after:5.1f}x" if before else "      "
    ratio_r = f"{raw / after:5.1f}x" if raw else "      "
    print(f"  {what:<52} {fmt(before)} {fmt(after)} {fmt(raw)}  {ratio_b} {ratio_r}  {note}", flush=True)


# ---------------------------------------------------------------- raw csgraph, the plain way
def metric_xy(net: CompiledNetwork, gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = gdf.to_crs(net.metric_crs).geometry
    return g.x.to_numpy(), g.y.to_numpy()


def raw_nearest(net: CompiledNetwork, origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame,
                cutoff_min: float | None) -> np.ndarray:
    so = snap_points(net, *metric_xy(net, origins))
    sd = snap_points(net, *metric_xy(net, dests))
    k = np.flatnonzero(sd.ok)
    da, wa, db, wb = in_offsets(net, sd)
    g = with_sources(net.csr_rev, np.tile(np.arange(len(k)), 2), np.concatenate([da[k], db[k]]),
                     np.concatenate([wa[k], wb[k]]), n_virtual=len(k))
    limit = np.inf if cutoff_min is None else cutoff_min
    dist = dijkstra(g, directed=True, indices=net.n_nodes + np.arange(len(k)), limit=limit, min_only=True)
    oa, ta, ob, tb = out_offsets(net, so)
    best = np.fmin(np.where(so.ok, ta + dist[oa], np.inf), np.where(so.ok, tb + dist[ob], np.inf))
    si, _, st = same_segment_pairs(net, so, sd)
    np.minimum.at(best, si, st)
    return np.where(best <= limit, best, np.nan)


def raw_od(net: CompiledNetwork, origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame, cutoff_min: float,
           block: int = 64) -> dict[tuple[int, int], float]:
    so = snap_points(net, *metric_xy(net, origins))
    sd = snap_points(net, *metric_xy(net, dests))
    oa, ta, ob, tb = out_offsets(net, so)
    da, wa, db, wb = in_offsets(net, sd)
    n_o = len(so.edge)
    g = with_sources(net.csr, np.tile(np.arange(n_o), 2), np.concatenate([oa, ob]), np.concatenate([ta, tb]),
                     n_virtual=n_o)
    rows = np.flatnonzero(so.ok)
    tgt = np.flatnonzero(sd.ok)
    out_i, out_j, out_t = [], [], []
    for s in range(0, len(rows), block):
        chunk = rows[s:s + block]
        d = dijkstra(g, directed=True, indices=net.n_nodes + chunk, limit=cutoff_min)
        t = np.fmin(d[:, da[tgt]] + wa[tgt], d[:, db[tgt]] + wb[tgt])
        r, c = np.nonzero(t <= cutoff_min)
        out_i.append(chunk[r]), out_j.append(tgt[c]), out_t.append(t[r, c])
    pairs = dict(zip(zip(np.concatenate(out_i).tolist(), np.concatenate(out_j).tolist(), strict=True),
                     np.concatenate(out_t).tolist(), strict=True))
    for i, j, t in zip(*same_segment_pairs(net, so, sd), strict=True):
        if t <= cutoff_min:
            pairs[(int(i), int(j))] = min(pairs.get((int(i), int(j)), np.inf), float(t))
    return pairs


def od_pairs(od: pd.DataFrame, origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame) -> dict[tuple[int, int], float]:
    oi = pd.Index(origins["id"]).get_indexer(od["from_id"])
    di = pd.Index(dests["id"]).get_indexer(od["to_id"])
    return dict(zip(zip(oi.tolist(), di.tolist(), strict=True), od["travel_time_min"].tolist(), strict=True))


def od_diff(a: dict, b: dict) -> str:
    common = a.keys() & b.keys()
    diff = max((abs(a[k] - b[k]) for k in common), default=0.0)
    return f"{len(a):,} pairs, same pairs {len(a) == len(b) == len(common)}, max |diff| {diff:.0e}"


def near_diff(res: pd.DataFrame, ref: np.ndarray) -> str:
    got = res["travel_time_min"].to_numpy()
    same_nan = bool((np.isnan(got) == np.isnan(ref)).all())
    return f"max |diff| {float(np.nanmax(np.abs(got - ref), initial=0)):.0e}, same NaN {same_nan}"


# ---------------------------------------------------------------- cases
def build(Before: Any, G: Any, mode: str, label: str) -> tuple[Any, Any]:
    def old() -> Any:
        e = Before(G, mode=mode)
        _ = e.tree
        e._chains()
        return e

    def new() -> Any:
        e = TravelTimeEngine(G, mode=mode)
        _ = e.tree
        e.chains()
        return e

    t_b, eb = best_of(3, old) if Before is not None else (None, None)
    t_a, ea = best_of(3, new)
    line(f"{label} [{mode}] build cold (compile+index+contract)", t_b, t_a, None,
         f"{ea.n_nodes:,} nodes, {len(ea.chains().core):,} core")
    return eb, ea


def nearest_case(eb: Any, ea: TravelTimeEngine, label: str, origins: gpd.GeoDataFrame,
                 groups: dict[str, gpd.GeoDataFrame], cutoff_min: float | None = None) -> None:
    t_a, res_a = best_of(3, lambda: {k: ea.nearest(origins, g, cutoff_min=cutoff_min) for k, g in groups.items()},
                         clear_caches(ea))
    t_b, _ = (best_of(3, lambda: {k: eb.nearest(origins, g, cutoff_min=cutoff_min) for k, g in groups.items()},
                          clear_caches(eb)) if eb is not None else (None, None))
    t_r, ref = best_of(3, lambda: {k: raw_nearest(ea.network, origins, g, cutoff_min) for k, g in groups.items()})
    worst = max((near_diff(res_a[k], ref[k]) for k in groups), key=lambda s: float(s.split()[2].rstrip(",")))
    line(f"{label} nearest x {len(groups)} groups ({len(origins)} origins)", t_b, t_a, t_r, f"after vs raw: {worst}")


def od_case(eb: Any, ea: TravelTimeEngine, label: str, origins: gpd.GeoDataFrame, dests: gpd.GeoDataFrame,
            cutoff_min: float) -> None:
    t_a, od_a = best_of(3, lambda: ea.od(origins, dests, cutoff_min=cutoff_min), clear_caches(ea))
    t_b = best_of(3, lambda: eb.od(origins, dests, cutoff_min=cutoff_min), clear_caches(eb))[0] if eb else None
    t_r, ref = best_of(3, lambda: raw_od(ea.network, origins, dests, cutoff_min))
    line(f"{label} OD {len(origins)} x {len(dests)} <= {cutoff_min:g} min", t_b, t_a, t_r,
         f"after vs raw: {od_diff(od_pairs(od_a, origins, dests), ref)}")


def areas_case(eb: Any, ea: TravelTimeEngine, label: str, sources: gpd.GeoDataFrame) -> None:
    th = [5, 10, 15]
    t_a, a = best_of(3, lambda: ea.service_areas(sources, thresholds_min=th), clear_caches(ea))
    t_b = best_of(3, lambda: eb.service_areas(sources, thresholds_min=th), clear_caches(eb))[0] if eb else None

    def raw() -> np.ndarray:  # the shortest-path part only: one search from all sources on the whole graph
        net = ea.network
        s = snap_points(net, *metric_xy(net, sources))
        a_, wa, b_, wb = in_offsets(net, s)
        k = np.flatnonzero(s.ok)
        g = with_sources(net.csr_rev, np.zeros(2 * len(k), dtype=np.int64), np.concatenate([a_[k], b_[k]]),
                         np.concatenate([wa[k], wb[k]]), n_virtual=1)
        return dijkstra(g, directed=True, indices=net.n_nodes, limit=15.0)

    t_r = best_of(3, raw)[0]
    km2 = "/".join(f"{x:.1f}" for x in a["area_km2"][::-1])
    line(f"{label} service areas ({len(sources)} sources) 5/10/15", t_b, t_a, t_r,
         f"{km2} km2; raw = its shortest-path part only")


def store_case(ea: TravelTimeEngine, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.engine.npz"
        t_s = best_of(1, lambda: save_network(ea.network, path))[0]
        t_l, net = best_of(3, lambda: load_network(path))
        size = path.stat().st_size / 2**20
    line(f"{label} save compiled network / reload it", None, t_l, None,
         f"save {t_s:.3f} s, {size:.1f} MB; reload is the 'after' column ({net.n_nodes:,} nodes)")


def random_points(eng: TravelTimeEngine, n: int, prefix: str, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = eng.network.node_xy_m
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pts = rng.uniform(lo, hi, size=(n, 2))
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(n)]},
                            geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=eng.metric_crs).to_crs(4326)


def yuxi(Before: Any) -> None:
    from travel_times import candidates_2000

    from coverage.demo import load_demo

    region = load_demo("yuxi")
    G = region.graph()
    villages, facilities = region.demand, region.facilities
    groups = dict(iter(facilities.groupby("type")))
    cands = candidates_2000(region)
    for mode in ("walk", "car"):
        eb, ea = build(Before, G, mode, "Yuxi")
        nearest_case(eb, ea, f"Yuxi [{mode}]", villages, groups)
        od_case(eb, ea, f"Yuxi [{mode}]", villages, cands, 60.0)
        if mode == "walk":
            for ft in ("community_daycare", "happy_courtyard"):
                areas_case(eb, ea, f"Yuxi [walk] {ft}", groups[ft])
            store_case(ea, "Yuxi [walk]")


def osm(Before: Any) -> None:
    import osmnx as ox

    from coverage.network import load_graph

    for path in sorted(OSM_DIR.iterdir()):
        try:
            G = ox.graph_from_xml(path) if ".osm" in path.name else load_graph(path)
        except Exception as err:
            print(f"  {path.name}: not read ({err})")
            continue
        label = path.name[:18]
        eb, ea = build(Before, G, "walk", label)
        o = random_points(ea, 500, "o", 1)
        d = random_points(ea, 200, "d", 2)
        nearest_case(eb, ea, f"{label} [walk]", o, {"all": d})
        od_case(eb, ea, f"{label} [walk]", o, d, 10.0)


def median_of(k: int, fn: Callable[[], Any], clear: Callable[[], None] = lambda: None) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(k):
        clear()
        t = CLOCK()
        out = fn()
        times.append(CLOCK() - t)
    return float(np.median(times)), out


def yuxi_quick() -> None:
    """Issue-16 build figures on Yuxi (medians of 3): cold build from the graph and from the edge table, reload."""
    from coverage.demo import load_demo
    from coverage.demo.roads import load_road_arrays

    region = load_demo("yuxi")
    G = region.graph()
    arrays = load_road_arrays(region.roads_path)
    for mode in ("walk", "car"):
        def cold(mode: str = mode) -> TravelTimeEngine:
            e = TravelTimeEngine(G, mode=mode)
            _ = e.tree
            e.chains()
            return e

        t_g, eng = median_of(3, cold)
        line(f"Yuxi [{mode}] build cold from the graph (compile+index+contract)", None, t_g, None,
             f"median of 3; {eng.n_nodes:,} nodes, {len(eng.chains().core):,} core; target < 0.3 s")
        t_a, eng_a = median_of(3, lambda mode=mode: _yuxi_from_arrays(arrays, mode))
        line(f"Yuxi [{mode}] build cold from the edge table (from_arrays)", None, t_a, None,
             f"median of 3; same CSR as from the graph: {_same_csr(eng, eng_a)}")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "yuxi.engine.npz"
            t_s = median_of(1, lambda eng=eng, path=path: save_network(eng.network, path))[0]

            def reload(path: Path = path) -> TravelTimeEngine:
                e = TravelTimeEngine.from_network(load_network(path))
                _ = e.tree
                e.chains()
                return e

            t_l, back = median_of(3, reload)
            t_m = median_of(3, lambda path=path: load_network(path))[0]
            line(f"Yuxi [{mode}] reload saved engine (mapped; +index)", None, t_l, None,
                 f"median of 3; map only {t_m:.4f} s; save {t_s:.3f} s, {path.stat().st_size / 2**20:.1f} MB; "
                 f"target < 0.05 s")
            villages, facilities = region.demand, region.facilities
            a = eng.nearest(villages, facilities, cutoff_min=60)["travel_time_min"].to_numpy()
            b = back.nearest(villages, facilities, cutoff_min=60)["travel_time_min"].to_numpy()
            print(f"      reloaded engine's nearest times identical: {np.array_equal(a, b, equal_nan=True)}")
            del back


def _yuxi_from_arrays(arrays: dict[str, np.ndarray], mode: str) -> TravelTimeEngine:
    """The demo road arrays (two-way roads once) as directed edges, the way ``graph_from_arrays`` reads them."""
    edges = arrays["edges"]
    two = edges[:, 3] == 0
    u = np.concatenate([edges[:, 0], edges[two, 1]])
    v = np.concatenate([edges[:, 1], edges[two, 0]])
    length = np.round(arrays["length_m"].astype(float), 2)
    length = np.concatenate([length, length[two]])
    classes = [str(c) for c in arrays["highway_classes"]]
    hw = pd.Categorical.from_codes(np.concatenate([edges[:, 2], edges[two, 2]]), categories=classes)
    ms = arrays["maxspeed_kph"].astype(float)
    ms = np.concatenate([ms, ms[two]])
    ms_cat = pd.Categorical(np.where(np.isnan(ms), "", np.nan_to_num(ms).astype(int).astype(str)))
    ms_cat = ms_cat.remove_categories([""]) if "" in ms_cat.categories else ms_cat  # absent: NaN
    e = TravelTimeEngine.from_arrays(arrays["node_lonlat"][:, 0], arrays["node_lonlat"][:, 1], u, v, length, mode,
                                     crs="EPSG:4326", highway=hw, maxspeed=ms_cat)
    _ = e.tree
    e.chains()
    return e


def _same_csr(a: TravelTimeEngine, b: TravelTimeEngine) -> bool:
    x, y = a.network.csr, b.network.csr
    return bool(np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices)
                and np.array_equal(x.data, y.data))


def osm_nearest_quick() -> None:
    """Nearest facility: engine vs raw csgraph on the OSM extracts and Yuxi (ratio raw / engine, median of 3)."""
    import osmnx as ox

    from coverage.demo import load_demo
    from coverage.network import load_graph

    graphs: list[tuple[str, Any]] = []
    for path in sorted(OSM_DIR.iterdir()):
        try:
            graphs.append((path.name[:18], ox.graph_from_xml(path) if ".osm" in path.name else load_graph(path)))
        except Exception as err:
            print(f"  {path.name}: not read ({err})")
    region = load_demo("yuxi")
    for label, G in [*graphs, ("Yuxi", region.graph())]:
        try:
            eng = TravelTimeEngine(G, mode="walk")
        except Exception as err:
            print(f"  {label}: no engine ({type(err).__name__}: {err})")
            continue
        if label == "Yuxi":
            o, groups = region.demand, dict(iter(region.facilities.groupby("type")))
        else:
            o, groups = random_points(eng, 500, "o", 1), {"all": random_points(eng, 200, "d", 2)}
        eng.nearest(o, next(iter(groups.values())))  # index and contraction built (the build's work)

        def ours(eng: TravelTimeEngine = eng, o: Any = o, groups: dict = groups) -> dict:
            return {k: eng.nearest(o, g) for k, g in groups.items()}

        def raw(eng: TravelTimeEngine = eng, o: Any = o, groups: dict = groups) -> dict:
            return {k: raw_nearest(eng.network, o, g, None) for k, g in groups.items()}

        t_a, res = median_of(3, ours, clear_caches(eng))
        t_r, ref = median_of(3, raw)
        worst = max((near_diff(res[k], ref[k]) for k in groups), key=lambda x: float(x.split()[2].rstrip(",")))
        line(f"{label} nearest x {len(groups)} ({len(o)} origins, {eng.n_nodes:,} nodes)", None, t_a, t_r,
             f"median of 3; {worst}")


# ---------------------------------------------------------------- a province-sized build, in a fresh process
def _province_arrays(n_nodes: int, path: Path) -> str:
    """Write the network's arrays to ``path`` (synthetic_province when present, else a seeded grid)."""
    try:
        import synthetic_province as spv

        nodes, edges = spv.make_network(n_nodes, seed=0)
        source = f"synthetic_province.make_network({n_nodes:,}, seed=0)"
        pos = nodes.index
        u = pos.get_indexer(edges["u"]) if not isinstance(pos, pd.RangeIndex) else edges["u"].to_numpy()
        v = pos.get_indexer(edges["v"]) if not isinstance(pos, pd.RangeIndex) else edges["v"].to_numpy()
        hw = edges["highway"].astype("category").array
        crs = str(spv.CRS)
        x, y = nodes["x"].to_numpy(), nodes["y"].to_numpy()
        length = edges["length"].to_numpy(float)
    except ImportError:
        x, y, u, v, length, hw, crs = _grid_network(n_nodes)
        source = f"seeded numpy grid ({n_nodes:,} nodes asked)"
    np.savez(path, x=x, y=y, u=np.asarray(u, np.int64), v=np.asarray(v, np.int64), length=length,
             hw_codes=np.asarray(hw.codes), hw_categories=np.asarray(hw.categories, dtype=str), crs=np.str_(crs),
             source=np.str_(source))
    return source


def _grid_network(n_nodes: int, seed: int = 0) -> tuple[Any, ...]:
    """A seeded grid of junctions 500 m apart, 30% of the streets missing, 0-3 shape points per street."""
    rng = np.random.default_rng(seed)
    side = max(2, round((n_nodes / 3.1) ** 0.5))
    jx, jy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    xy = np.column_stack([jx.ravel(), jy.ravel()]).astype(float) * 500.0 + rng.normal(0, 50.0, (side * side, 2))
    h = np.arange(side * side).reshape(side, side)
    a = np.concatenate([h[:-1, :].ravel(), h[:, :-1].ravel()])
    b = np.concatenate([h[1:, :].ravel(), h[:, 1:].ravel()])
    keep = rng.random(len(a)) > 0.3
    a, b = a[keep], b[keep]
    k = rng.integers(0, 4, len(a))
    road = np.repeat(np.arange(len(a)), k)
    pos = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + 1
    f = (pos / (k[road] + 1))[:, None]
    mid = xy[a[road]] * (1 - f) + xy[b[road]] * f + rng.normal(0, 15.0, (len(road), 2))
    all_xy = np.vstack([xy, mid])
    start = np.cumsum(k + 2) - (k + 2)
    seq = np.empty(int((k + 2).sum()), dtype=np.int64)
    seq[start], seq[start + k + 1] = a, b
    seq[np.repeat(start, k) + pos] = side * side + np.arange(len(road))
    step = np.ones(len(seq), dtype=bool)
    step[start + k + 1] = False
    u, v = seq[:-1][step[:-1]], seq[1:][step[:-1]]
    street = np.repeat(np.arange(len(a)), k + 1)
    length = np.hypot(*(all_xy[u] - all_xy[v]).T) * 1.05
    classes = ["primary", "secondary", "tertiary", "residential", "unclassified", "track"]
    cls = rng.choice(len(classes), len(a), p=[0.05, 0.1, 0.15, 0.3, 0.3, 0.1])[street]
    oneway = (rng.random(len(a)) < 0.05)[street]
    lon, lat = 100.0 + all_xy[:, 0] / 100_000.0, 23.0 + all_xy[:, 1] / 111_000.0
    hw = pd.Categorical.from_codes(np.concatenate([cls, cls[~oneway]]).astype(np.int8), categories=classes)
    return (lon, lat, np.concatenate([u, v[~oneway]]), np.concatenate([v, u[~oneway]]),
            np.concatenate([length, length[~oneway]]), hw, "EPSG:4326")


def _province_child(path: str, mode: str) -> None:
    """One build in this (fresh) process; prints a JSON line."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    hw = pd.Categorical.from_codes(arrays["hw_codes"], categories=list(arrays["hw_categories"]))
    inputs_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    rec: dict[str, Any] = {"source": str(arrays["source"]), "inputs_gb": inputs_gb}
    c0, w0 = time.process_time(), time.perf_counter()
    eng = TravelTimeEngine.from_arrays(arrays["x"], arrays["y"], arrays["u"], arrays["v"], arrays["length"], mode,
                                       crs=str(arrays["crs"]), highway=hw)
    c1 = time.process_time()
    eng.chains()
    c2 = time.process_time()
    _ = eng.tree
    c3, w3 = time.process_time(), time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rec.update(compile_s=c1 - c0, contract_s=c2 - c1, index_s=c3 - c2, cpu_s=c3 - c0, wall_s=w3 - w0,
               user_s=ru.ru_utime, sys_s=ru.ru_stime, peak_gb=ru.ru_maxrss / 2**20, n_nodes=eng.n_nodes,
               n_edges=eng.n_edges, n_core=len(eng.chains().core))
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.engine.npz"
        t = time.perf_counter()
        save_network(eng.network, p)
        rec["save_s"] = time.perf_counter() - t
        del eng
        t = time.perf_counter()
        back = TravelTimeEngine.from_network(load_network(p))
        back.chains()
        rec["reload_s"] = time.perf_counter() - t
        rec["file_mb"] = p.stat().st_size / 2**20
        del back
    print(json.dumps(rec), flush=True)


def province_case(n_nodes: int, mode: str, runs: int) -> None:
    cache = Path(tempfile.gettempdir()) / "traveltime_compare"
    cache.mkdir(exist_ok=True)
    path = cache / f"province-{n_nodes}.npz"
    if not path.is_file():
        print(f"  generating the {n_nodes:,}-node network (once, cached in {path}) ...", flush=True)
        tmp = path.with_suffix(".tmp.npz")
        subprocess.run([sys.executable, __file__, "--_province-generate", str(n_nodes), str(tmp)], check=True)
        os.replace(tmp, path)
    recs = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--_province-child", str(path), mode], check=True,
                             capture_output=True, text=True).stdout
        recs.append(json.loads(out.strip().splitlines()[-1]))
    med = {k: float(np.median([r[k] for r in recs])) for k in recs[0] if isinstance(recs[0][k], float | int)}
    r0 = recs[0]
    print(f"  province [{mode}] {r0['source']}: {r0['n_nodes']:,} nodes, {r0['n_edges']:,} directed edges, "
          f"{r0['n_core']:,} core nodes; median of {runs} fresh processes:")
    print(f"    build from arrays (compile+contract+index): CPU {med['cpu_s']:.2f} s (compile {med['compile_s']:.2f}, "
          f"contract {med['contract_s']:.2f}, index {med['index_s']:.2f}); wall {med['wall_s']:.2f} s; "
          f"process user {med['user_s']:.2f} s + system {med['sys_s']:.2f} s  [target < 8 s]")
    print(f"    peak memory (ru_maxrss, whole process) {med['peak_gb']:.2f} GB, of which the input arrays "
          f"{med['inputs_gb']:.2f} GB  [target < 3 GB]")
    print(f"    save {med['save_s']:.2f} s ({med['file_mb']:,.0f} MB); reload mapped + contraction "
          f"{med['reload_s']:.3f} s (wall)")
    runs = ", ".join(f"{r['cpu_s']:.2f}" for r in recs)
    print(f"    runs (CPU s): {runs}; load average now "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=None,
                        help="git revision of the 'before' engine (default: the parent of the commit that added "
                             "coverage/traveltime/compiled.py, i.e. the single-module engine)")
    parser.add_argument("--no-before", action="store_true", help="after and raw csgraph only")
    parser.add_argument("--no-osm", action="store_true", help="skip the OSM extracts")
    parser.add_argument("--wall", action="store_true", help="elapsed seconds instead of CPU seconds")
    parser.add_argument("--quick", action="store_true",
                        help="issue-16 build figures only: Yuxi build / reload, nearest vs raw csgraph per graph")
    parser.add_argument("--province", type=int, default=0, metavar="N",
                        help="also build an N-node synthetic network from arrays in fresh processes (e.g. 3000000)")
    parser.add_argument("--province-mode", default="car", help="travel mode of the province build")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes for the province build (median)")
    parser.add_argument("--_province-generate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--_province-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
    if args._province_generate:
        print(_province_arrays(int(args._province_generate[0]), Path(args._province_generate[1])))
        return
    if args._province_child:
        _province_child(*args._province_child)
        return
    if args.quick:
        print(f"  {'CPU' if not args.wall else 'elapsed'} seconds, medians of 3; load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        print(f"  {'what':<52} {'':>10} {'engine':>10} {'raw csgr.':>10}  {'':>6} {'raw/a':>6}  check")
        yuxi_quick()
        osm_nearest_quick()
        if args.province:
            province_case(args.province, args.province_mode, args.runs)
        return
    rev = args.before
    if rev is None:
        added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--",
                                "coverage/traveltime/compiled.py"], cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout.split()
        rev = f"{added[-1]}^" if added else "HEAD"
    Before = None if args.no_before else load_before(rev)
    print(f"  before = {rev}; {'elapsed' if args.wall else 'CPU'} seconds, best of 3")
    print(f"  {'what':<52} {'before':>10} {'after':>10} {'raw csgr.':>10}  {'b/a':>6} {'raw/a':>6}  check")
    yuxi(Before)
    if not args.no_osm:
        osm(Before)


if __name__ == "__main__":
    main()
