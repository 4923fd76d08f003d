"""Travel-time engine before / after a change, and against raw scipy csgraph on the same work, side by side.

    python benchmarks/traveltime_compare.py                 # before = the engine before compiled.py existed
    python benchmarks/traveltime_compare.py --before REV    # any git revision
    python benchmarks/traveltime_compare.py --no-osm        # Yuxi demo only

"Before" is the engine as committed at ``--before`` (read with ``git show``, run in this process), "after" the
work tree.  "raw csgraph" is the same answer computed the plain way on the same compiled matrix: the access
legs as virtual rows appended to the whole (uncontracted) graph, :func:`scipy.sparse.csgraph.dijkstra` from
them (``min_only`` for nearest; blocks of 64 origins with ``limit=`` for OD), no contraction, no local
sub-graphs.  Every figure is the best of 3 runs with the snap caches cleared, in CPU seconds of this process
by default (steady on a shared machine; ``--wall`` for elapsed seconds); the engine's answers are checked
against the raw ones (max |diff| in minutes).

Cases: Yuxi demo (``load_demo("yuxi").graph()``, 67,542 nodes) build cold (compile + spatial index +
contraction), nearest facility for each of 16 types, OD 718 villages x 2,000 candidates within 60 min (walk,
car), walking service areas of two services (5/10/15 min); saving and reloading the compiled network; and
the OSM extracts in /work/shared/benchmarks/osm (build, nearest, OD of seeded random points).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=None,
                        help="git revision of the 'before' engine (default: the parent of the commit that added "
                             "coverage/traveltime/compiled.py, i.e. the single-module engine)")
    parser.add_argument("--no-before", action="store_true", help="after and raw csgraph only")
    parser.add_argument("--no-osm", action="store_true", help="skip the OSM extracts")
    parser.add_argument("--wall", action="store_true", help="elapsed seconds instead of CPU seconds")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
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
