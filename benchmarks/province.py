"""Province benchmark: engine build, nearest facility, OD, service areas, the whole analysis and siting, with
peak memory per stage, on a synthetic province and on the Yuxi and Dali demo regions, beside networkx and igraph.

Run from the repository root (2 cores: run it once, not in a loop)::

    python benchmarks/province.py --scale small                      # ~200k-node province, 10k points + demos
    python benchmarks/province.py --scale full --regions province    # ~3M nodes, 100k demand points
    python benchmarks/province.py --regions yuxi --stages build,od   # a part only

Every (region, stage[, mode]) runs in a fresh subprocess of this script, so each stage's peak memory is its
own: the parent reads the child's ``ru_maxrss`` with :func:`os.wait4` (the peak of the whole process: its
inputs included), and the child samples its own RSS every 10 ms during the timed work ("stage peak").
The engine is used only through its public API (``TravelTimeEngine``, ``from_gdfs``, ``nearest``, ``od``,
``service_areas``, ``save_network``/``load_network``; ``analyze``; ``build_problem``/``solve``), so work on
the engine shows up here as it lands.  The build stage saves each compiled network in ``--cache``; later
stages load it from there (their own timings exclude that load).

Peers do the same work on a graph of the same edges (the engine's compiled matrix, every edge with its
minutes): networkx (``DiGraph``; nearest by ``multi_source_dijkstra_path_length`` on the reversed graph,
OD by one ``single_source_dijkstra_path_length`` per origin with the cutoff) and igraph (nearest by
``distances`` from a virtual source joined to every facility; OD by ``distances`` per block of origins:
igraph has no cutoff, so its runs are unbounded).  Peers snap points to the nearest node (k-d tree), the
engine to the nearest road segment with access legs, so their times differ by the access legs (the median
difference is printed).  A peer whose work would take more than ``--peer-budget-s`` is timed on a sample
(origins, facility groups, or a share of the edges for a build) and printed as ``skipped: too slow at this
size (extrapolated X s from a sample)``.  Times are wall seconds with CPU seconds of the process beside
them; ratios (peer / engine) use CPU seconds, steadier on a shared machine.  Work under 2 s is run up to
3 times and the best kept.  The closing table sets the figures against the targets of issue #16.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STAGES = ("build", "nearest", "od", "areas", "analysis", "siting")
REGIONS = ("yuxi", "dali", "province")
RESULT_TAG = "@@result "
# The issue quotes 18.09 M for a 15-minute MILP run on "a seeded clustered instance" of this size; that was
# another draw (its greedy: 17.55 M; this one's: 16.97 M, and this one's LP bound, 17.55 M, is below 18.09 M), so
# the 60 s result is judged against its own proved bound: within 0.5 % of the bound is within 0.5 % of any
# solution, a 15-minute run's included.


# ---------------------------------------------------------------- measuring
class RssSampler:
    """Peak resident memory of this process, sampled from /proc every ``every_s`` seconds while active."""

    def __init__(self, every_s: float = 0.01) -> None:
        self.every_s = every_s
        self.peak = 0
        self.start = 0  # RSS when the timed work began (the inputs, already loaded)
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self.every_s)

    @contextmanager
    def active(self) -> Iterator[RssSampler]:
        self.peak = self.start = self.rss()
        self._stop.clear()
        th = threading.Thread(target=self._run, daemon=True)
        th.start()
        try:
            yield self
        finally:
            self._stop.set()
            th.join()
            self.peak = max(self.peak, self.rss())


SAMPLER = RssSampler()


@dataclass
class Timing:
    wall_s: float
    cpu_s: float
    value: Any = None


def timed(fn: Callable[[], Any], repeat_under_s: float = 2.0, best_of: int = 3,
          before: Callable[[], None] = lambda: None) -> Timing:
    """Run ``fn`` (again, up to ``best_of`` times, while one run takes under ``repeat_under_s``); the best."""
    best: Timing | None = None
    for _ in range(best_of):
        before()
        w, c = time.perf_counter(), time.process_time()
        with SAMPLER.active():
            out = fn()
        t = Timing(time.perf_counter() - w, time.process_time() - c, out)
        if best is None or t.cpu_s < best.cpu_s:
            best = t
        if t.cpu_s >= repeat_under_s:
            break
    assert best is not None
    return best


@dataclass
class PeerTiming:
    cpu_s: float | None = None
    wall_s: float | None = None
    skipped: str = ""
    value: Any = None


def sampled(units: list[Any], run: Callable[[list[Any]], Any], budget_s: float, sample_s: float,
            merge: Callable[[list[Any]], Any] = lambda parts: parts) -> PeerTiming:
    """Run ``run`` over ``units`` one at a time; stop and extrapolate when the whole would exceed the budget."""
    parts: list[Any] = []
    w, c = time.perf_counter(), time.process_time()
    for k, unit in enumerate(units):
        parts.append(run([unit]))
        spent = time.process_time() - c
        if k + 1 < len(units) and (spent >= sample_s or time.perf_counter() - w >= 2 * sample_s):
            est = spent / (k + 1) * len(units)
            if est > budget_s:
                return PeerTiming(skipped=f"skipped: too slow at this size (extrapolated {est:,.0f} s from a "
                                          f"sample of {k + 1} of {len(units)})")
    return PeerTiming(time.process_time() - c, time.perf_counter() - w, value=merge(parts))


def emit(record: dict[str, Any]) -> None:
    """One measured figure: a readable line now, and a tagged JSON line for the parent's closing table."""
    e = record.get("engine")
    peers = []
    for name in ("networkx", "igraph"):
        p = record.get(name)
        if p is None:
            continue
        if p.get("skipped"):
            peers.append(f"{name}: {p['skipped']}")
        elif e and e.get("cpu_s") and not record.get("no_ratio"):
            peers.append(f"{name} {p['wall_s']:.3f} s ({p['cpu_s'] / max(e['cpu_s'], 1e-9):.1f}x)")
        else:
            peers.append(f"{name} {p['wall_s']:.3f} s")
    eng = f"{e['wall_s']:9.3f} s (cpu {e['cpu_s']:.3f})" if e else " " * 26
    mem = ""
    if record.get("stage_peak_gb") is not None:
        mem = f" stage peak {record['stage_peak_gb']:.2f} GB"
        if record.get("stage_start_gb") is not None:
            mem += f" (+{record['stage_peak_gb'] - record['stage_start_gb']:.2f} over the inputs)"
    print(f"  {record['region']:<9} {record['what']:<50} {eng}{mem}  " + "; ".join(peers)
          + (f"  [{record['note']}]" if record.get("note") else ""), flush=True)
    print(RESULT_TAG + json.dumps(record, default=float), flush=True)


def engine_record(region: str, stage: str, what: str, t: Timing, **extra: Any) -> dict[str, Any]:
    return {"region": region, "stage": stage, "what": what, "engine": {"wall_s": t.wall_s, "cpu_s": t.cpu_s},
            "stage_peak_gb": SAMPLER.peak / 2**30, "stage_start_gb": SAMPLER.start / 2**30, **extra}


def peer_dict(p: PeerTiming) -> dict[str, Any]:
    return {"cpu_s": p.cpu_s, "wall_s": p.wall_s, "skipped": p.skipped}


# ---------------------------------------------------------------- inputs
@dataclass
class Inputs:
    """What every stage needs of one region (EPSG:4326 point tables with an ``id`` column)."""

    name: str
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    od_origins: gpd.GeoDataFrame
    od_destinations: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame | None
    weight_column: str
    crs: Any = None                                      # of the province's node table
    graph: Callable[[], Any] | None = None               # networkx graph (demo regions)
    frames: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] | None = None  # nodes, edges (province)
    notes: list[str] = field(default_factory=list)


def _sample_points(gdf: gpd.GeoDataFrame, n: int, seed: int, prefix: str) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    pick = gdf.iloc[np.sort(rng.choice(len(gdf), size=min(n, len(gdf)), replace=False))]
    return gpd.GeoDataFrame({"id": [f"{prefix}{i:06d}" for i in range(len(pick))]},
                            geometry=pick.geometry.to_numpy(), crs=gdf.crs)


def demo_inputs(key: str) -> Inputs:
    from travel_times import candidates_2000

    from coverage.dataset import open_dataset

    ds = open_dataset(f"demo:{key}")
    cands = candidates_2000(ds)
    origins = candidates_2000(ds, seed=11)
    origins["id"] = [f"O{i:04d}" for i in range(len(origins))]
    return Inputs(name=ds.name, demand=ds.demand, facilities=ds.facilities, candidates=cands, od_origins=origins,
                  od_destinations=cands, boundaries=ds.boundaries, weight_column="population", graph=ds.graph,
                  notes=[f"{len(ds.demand):,} villages, {len(ds.facilities):,} facilities, 2,000 candidates "
                         "(the region's own plus seeded neighbours, as in benchmarks/travel_times.py)"])


#: Province sizes: road nodes and demand points.
PROVINCE_SIZES = {"small": (200_000, 10_000), "full": (3_000_000, 100_000)}


def province_file(scale: str, cache: Path) -> Path:
    n_nodes, n_demand = PROVINCE_SIZES[scale]
    return cache / f"province-{n_nodes}-{n_demand}-seed0.pkl"


def prepare_province(scale: str, cache: Path) -> None:
    """Generate the synthetic province once (``benchmarks/synthetic_province.py``, seed 0) and pickle it."""
    import pickle

    path = province_file(scale, cache)
    if path.is_file():
        return
    import synthetic_province as sp_mod

    n_nodes, n_demand = PROVINCE_SIZES[scale]
    t = time.perf_counter()
    prov = sp_mod.make_province(n_nodes, seed=0, n_demand=n_demand, n_candidates=2_000)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"nodes": prov.nodes, "edges": prov.edges, "demand": prov.demand,
                     "candidates": prov.candidates, "facilities": prov.facilities, "crs": sp_mod.CRS}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    print(f"  province generated in {time.perf_counter() - t:.0f} s: {len(prov.nodes):,} nodes, "
          f"{len(prov.edges):,} directed edges, {len(prov.demand):,} demand points, {len(prov.candidates):,} "
          f"candidates, {len(prov.facilities):,} facilities of {prov.facilities['type'].nunique()} types "
          f"(seed 0; {path})", flush=True)


def province_inputs(scale: str, cache: Path) -> Inputs:
    """The synthetic province of ``benchmarks/synthetic_province.py`` (as :func:`prepare_province` saved it)."""
    import pickle

    with open(province_file(scale, cache), "rb") as fh:
        prov = pickle.load(fh)
    demand, cands = prov["demand"], prov["candidates"]
    crs = prov["crs"]
    return Inputs(name=f"synthetic province ({scale})", demand=demand, facilities=prov["facilities"],
                  candidates=cands, od_origins=_sample_points(demand, 2000, 5, "O"), od_destinations=cands,
                  boundaries=None, weight_column="population", crs=crs,
                  frames=lambda: (prov["nodes"], prov["edges"]),
                  notes=[f"{len(demand):,} demand points, {len(prov['facilities']):,} facilities, {len(cands):,} "
                         "candidates"])


def load_inputs(region: str, scale: str, cache: Path) -> Inputs:
    return province_inputs(scale, cache) if region == "province" else demo_inputs(region)


# ---------------------------------------------------------------- engines
def build_engine(inp: Inputs, mode: str) -> Any:
    """Compile the engine (cold) and force its spatial index and chain contraction, through public names."""
    from coverage.traveltime import TravelTimeEngine

    if inp.graph is not None:
        eng = TravelTimeEngine(inp.graph(), mode=mode)
    else:
        assert inp.frames is not None
        nodes, edges = inp.frames()
        eng = TravelTimeEngine.from_gdfs(nodes, edges, mode=mode, crs=inp.crs)
    _ = eng.tree
    if callable(getattr(eng, "chains", None)):
        eng.chains()
    return eng


def cached_engine(inp: Inputs, region: str, mode: str, cache: Path, scale: str) -> Any:
    """The engine from the network the build stage saved (built and saved now when there is none)."""
    from coverage.traveltime import TravelTimeEngine, load_network, save_network

    path = cache / f"{region}-{scale}-{mode}.engine.npz"
    if path.is_file():
        try:
            return TravelTimeEngine.from_network(load_network(path))
        except Exception as err:  # a network saved by an older engine: build again
            print(f"  (saved network {path.name} not reused: {err})", file=sys.stderr)
    eng = build_engine(inp, mode)
    save_network(eng.network, path)
    return eng


# ---------------------------------------------------------------- peers
@dataclass
class PeerGraph:
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    n: int
    xy_m: np.ndarray
    metric_crs: Any

    @classmethod
    def of(cls, eng: Any) -> PeerGraph:
        net = eng.network
        coo = net.csr.tocoo()
        return cls(coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float), int(net.n_nodes),
                   np.asarray(net.node_xy_m), net.metric_crs)

    def snap(self, points: gpd.GeoDataFrame) -> np.ndarray:
        from scipy.spatial import cKDTree

        g = points.to_crs(self.metric_crs).geometry
        return cKDTree(self.xy_m).query(np.column_stack([g.x.to_numpy(), g.y.to_numpy()]))[1].astype(np.int64)

    def networkx(self, share: float = 1.0) -> Any:
        import networkx as nx

        k = int(len(self.u) * share)
        G = nx.DiGraph()
        G.add_nodes_from(range(self.n if share >= 1 else int(self.n * share)))
        G.add_weighted_edges_from(zip(self.u[:k].tolist(), self.v[:k].tolist(), self.w[:k].tolist(), strict=True))
        return G

    def igraph(self, share: float = 1.0) -> Any:
        import igraph as ig

        k = int(len(self.u) * share)
        g = ig.Graph(n=self.n, edges=np.column_stack([self.u[:k], self.v[:k]]), directed=True)
        g.es["weight"] = self.w[:k]
        return g


def peer_build(pg: PeerGraph, name: str, budget_s: float, mem_budget_gb: float) -> tuple[PeerTiming, Any]:
    """Build a peer's graph; on large graphs a 5 % build first, extrapolated (time and memory) before the whole."""
    make = pg.networkx if name == "networkx" else pg.igraph
    if len(pg.u) > 2_000_000:
        r0 = SAMPLER.rss()
        c = time.process_time()
        with SAMPLER.active():
            g = make(0.05)
        est_s = (time.process_time() - c) * 20
        est_gb = (SAMPLER.peak - r0) * 20 / 2**30
        del g
        if est_s > budget_s or est_gb > mem_budget_gb:
            return PeerTiming(skipped=f"skipped: too slow / too large at this size (extrapolated {est_s:,.0f} s, "
                                      f"{est_gb:.1f} GB from a 5 % build)"), None
    c, w = time.process_time(), time.perf_counter()
    g = make()
    return PeerTiming(time.process_time() - c, time.perf_counter() - w), g


def nx_nearest(G: Any, origin_nodes: np.ndarray, groups: list[np.ndarray], cutoff: float | None) -> list[np.ndarray]:
    import networkx as nx

    R = G.reverse(copy=False)
    out = []
    for fac in groups:
        d = nx.multi_source_dijkstra_path_length(R, set(fac.tolist()), cutoff=cutoff, weight="weight")
        out.append(np.array([d.get(o, np.nan) for o in origin_nodes.tolist()]))
    return out


def ig_nearest(g: Any, origin_nodes: np.ndarray, groups: list[np.ndarray], cutoff: float | None) -> list[np.ndarray]:
    out = []
    uniq, inv = np.unique(origin_nodes, return_inverse=True)
    w = list(g.es["weight"])
    for fac in groups:
        h = g.copy()
        h.add_vertices(1)
        s = h.vcount() - 1
        h.add_edges([(int(f), s) for f in np.unique(fac)])
        d = np.asarray(h.distances(source=[s], target=uniq.tolist(), weights=w + [0.0] * len(np.unique(fac)),
                                   mode="in")[0], dtype=float)[inv]
        d[~np.isfinite(d)] = np.nan
        if cutoff is not None:
            d[d > cutoff] = np.nan
        out.append(d)
    return out


def nx_od(G: Any, origin_nodes: np.ndarray, dest_nodes: np.ndarray, cutoff: float) -> int:
    import networkx as nx

    dset = set(dest_nodes.tolist())
    n = 0
    for o in origin_nodes.tolist():
        d = nx.single_source_dijkstra_path_length(G, o, cutoff=cutoff, weight="weight")
        n += sum(1 for k in d if k in dset)
    return n


def ig_od(g: Any, origin_nodes: np.ndarray, dest_nodes: np.ndarray, cutoff: float) -> int:
    uniq, inv = np.unique(dest_nodes, return_inverse=True)  # igraph refuses repeated targets
    d = np.asarray(g.distances(source=origin_nodes.tolist(), target=uniq.tolist(), weights="weight"))[:, inv]
    return int((d <= cutoff).sum())


# ---------------------------------------------------------------- stages (run in a child process)
def stage_build(ctx: Context) -> None:
    from coverage.traveltime import TravelTimeEngine, load_network, save_network

    inp = ctx.inputs
    t = timed(lambda: build_engine(inp, ctx.mode))
    eng = t.value
    path = ctx.cache / f"{ctx.region}-{ctx.scale}-{ctx.mode}.engine.npz"
    save_network(eng.network, path)
    rec = engine_record(ctx.region, "build", f"build cold [{ctx.mode}] (compile+index+contract)", t,
                        note=f"{eng.network.n_nodes:,} nodes, {eng.network.csr.nnz:,} edges",
                        n_nodes=int(eng.network.n_nodes), mode=ctx.mode)
    pg = PeerGraph.of(eng)
    for name in ctx.peers:
        p, _ = peer_build(pg, name, ctx.peer_budget_s, ctx.peer_mem_gb)
        rec[name] = peer_dict(p)
    emit(rec)
    del eng
    t = timed(lambda: TravelTimeEngine.from_network(load_network(path)))
    emit(engine_record(ctx.region, "build", f"build from the saved network [{ctx.mode}]", t, mode=ctx.mode,
                       kind="saved", note=f"{path.stat().st_size / 2**20:,.0f} MB .npz; load_network + "
                                          "from_network (index and contraction as saved)"))


def _groups(inp: Inputs) -> dict[str, gpd.GeoDataFrame]:
    return {str(k): g for k, g in inp.facilities.groupby("type")}


def _median_diff(a: np.ndarray, b: np.ndarray) -> str:
    both = np.isfinite(a) & np.isfinite(b)
    return f"median |diff| vs engine {np.median(np.abs(a[both] - b[both])) if both.any() else np.nan:.2f} min"


def stage_nearest(ctx: Context) -> None:
    inp, eng = ctx.inputs, ctx.engine()
    groups = _groups(inp)
    t = timed(lambda: {k: eng.nearest(inp.demand, g, cutoff_min=ctx.cutoff) for k, g in groups.items()},
              before=lambda: eng.__dict__.pop("_snap_cache", None))
    cut = "unbounded" if ctx.cutoff is None else f"<= {ctx.cutoff:g} min"
    rec = engine_record(ctx.region, "nearest", f"nearest [{ctx.mode}] {len(inp.demand):,} pts x {len(groups)} "
                        f"types ({cut})", t, mode=ctx.mode)
    pg = PeerGraph.of(eng)
    on = pg.snap(inp.demand)
    gn = [pg.snap(g) for g in groups.values()]
    ref = np.concatenate([t.value[k]["travel_time_min"].to_numpy(dtype=float) for k in groups])
    notes = []
    for name, value in _peer_nearest(ctx, pg, rec, on, gn, ctx.cutoff, first_only=True):
        notes.append(f"{name} {_median_diff(np.concatenate(value), ref)}")
    rec["note"] = "; ".join(notes)
    emit(rec)


def _peer_nearest(ctx: Context, pg: PeerGraph, rec: dict[str, Any], origins: np.ndarray,
                  units: list[np.ndarray], cutoff: float | None, *, first_only: bool) -> list[tuple[str, Any]]:
    """Each peer's nearest-facility work on ``units`` (timed on a sample when too slow) into ``rec``;
    returns (peer, travel times) for the peers that ran it all."""
    out = []
    for name in ctx.peers:
        bp, G = peer_build(pg, name, ctx.peer_budget_s, ctx.peer_mem_gb)
        if G is None:
            rec[name] = peer_dict(bp)
            continue
        fn = nx_nearest if name == "networkx" else ig_nearest

        def run(unit: Any, G: Any = G, fn: Any = fn) -> Any:
            res = fn(G, origins, unit, cutoff)
            return res[0] if first_only else res

        p = sampled(units, run, ctx.peer_budget_s, ctx.sample_s)
        rec[name] = peer_dict(p)
        if p.value is not None:
            out.append((name, p.value))
        del G
    return out


def stage_od(ctx: Context) -> None:
    inp, eng = ctx.inputs, ctx.engine()
    o, d = inp.od_origins, inp.od_destinations
    t = timed(lambda: eng.od(o, d, cutoff_min=ctx.od_cutoff), before=lambda: eng.__dict__.pop("_snap_cache", None))
    rec = engine_record(ctx.region, "od", f"OD [{ctx.mode}] {len(o):,} x {len(d):,} <= {ctx.od_cutoff:g} min", t,
                        mode=ctx.mode, note=f"{len(t.value):,} pairs")
    pg = PeerGraph.of(eng)
    on, dn = pg.snap(o), pg.snap(d)
    for name in ctx.peers:
        bp, G = peer_build(pg, name, ctx.peer_budget_s, ctx.peer_mem_gb)
        if G is None:
            rec[name] = peer_dict(bp)
            continue
        if name == "networkx":
            p = sampled(list(on), lambda unit, G=G: nx_od(G, np.asarray(unit), dn, ctx.od_cutoff),
                        ctx.peer_budget_s, ctx.sample_s, merge=sum)
        else:
            blocks = [on[i:i + 16] for i in range(0, len(on), 16)]
            p = sampled(blocks, lambda unit, G=G: ig_od(G, unit[0], dn, ctx.od_cutoff), ctx.peer_budget_s,
                        ctx.sample_s, merge=sum)
        rec[name] = peer_dict(p)
        if p.value is not None:
            rec["note"] += f"; {name} {p.value:,} node pairs"
        del G
    emit(rec)


def stage_areas(ctx: Context) -> None:
    """Walking service areas (5/10/15 min) of every walking service of the standards, one call each."""
    from coverage.metrics import default_standards

    inp, eng = ctx.inputs, ctx.engine()
    fac = inp.facilities
    for svc in default_standards().services:
        if svc.mode != ctx.mode:
            continue
        src = fac[fac["type"].isin(svc.facility_types)]
        if not len(src):
            continue
        # what the app's map draws: the area at the service's own threshold (the figure the target is about)
        one = timed(lambda src=src, th=svc.threshold_min: eng.service_areas(src, thresholds_min=[th]),
                    before=lambda: eng.__dict__.pop("_snap_cache", None))
        emit(engine_record(ctx.region, "areas", f"service area [{ctx.mode}] {svc.key} at {svc.threshold_min:g} min "
                           f"({len(src):,} sites)", one, mode=ctx.mode, no_ratio=True, kind="one",
                           note=f"{float(one.value['area_km2'].iloc[0]):,.0f} km2; as the map shows it"))
        t = timed(lambda src=src: eng.service_areas(src, thresholds_min=[5, 10, 15]),
                  before=lambda: eng.__dict__.pop("_snap_cache", None))
        km2 = ", ".join(f"{th:g} min {a:,.0f}" for th, a in sorted(zip(t.value["threshold_min"],
                                                                         t.value["area_km2"], strict=True)))
        rec = engine_record(ctx.region, "areas", f"service areas [{ctx.mode}] {svc.key} ({len(src):,} sites)", t,
                            mode=ctx.mode, no_ratio=True,
                            note=f"areas km2: {km2}; peers: the shortest-path part only (multi-source from the "
                                 "sites, bounded at 15 min; igraph unbounded), so no ratio")
        pg = PeerGraph.of(eng)
        _peer_nearest(ctx, pg, rec, np.arange(pg.n), [pg.snap(src)], 15.0, first_only=False)
        emit(rec)


def stage_analysis(ctx: Context) -> None:
    """The project's whole analysis (every service of the standards), as ``python -m coverage analyze`` runs it."""
    from coverage.metrics import analyze, default_standards

    inp = ctx.inputs
    std = default_standards()
    engines = {m: cached_engine(inp, ctx.region, m, ctx.cache, ctx.scale) for m in std.modes}
    t = timed(lambda: analyze(inp.demand, inp.facilities, standards=std, engines=engines,
                              boundaries=inp.boundaries), best_of=1)
    res = t.value
    emit(engine_record(ctx.region, "analysis", f"analysis, {len(std.services)} services "
                       f"({'/'.join(std.modes)} engines ready)", t,
                       note=f"{len(res.summary)} service-group rows, {len(res.villages):,} village rows; "
                            "peers: none (the analysis is the project's own)"))


def stage_siting(ctx: Context) -> None:
    from coverage.siting import build_problem

    inp, eng = ctx.inputs, ctx.engine()
    dem = inp.demand
    weights = pd.Series(pd.to_numeric(dem[inp.weight_column], errors="coerce").fillna(0).to_numpy(float),
                        index=dem["id"].to_numpy())
    t = timed(lambda: eng.od(dem, inp.candidates, cutoff_min=ctx.siting_threshold),
              before=lambda: eng.__dict__.pop("_snap_cache", None))
    od = t.value
    emit(engine_record(ctx.region, "siting", f"siting OD [{ctx.mode}] {len(dem):,} x {len(inp.candidates):,} "
                       f"<= {ctx.siting_threshold:g} min", t, mode=ctx.mode, note=f"{len(od):,} pairs"))
    prob = build_problem(od, weights, candidates=inp.candidates["id"].to_numpy())
    _solve_pair(ctx, prob, "network", ctx.siting_threshold, None)
    if ctx.region == "province":
        from siting_scale import scale_problem

        prob = scale_problem(n_demand=len(dem))
        _solve_pair(ctx, prob, "clustered instance", 4000.0, None)


def _solve_pair(ctx: Context, prob: Any, label: str, threshold: float, best_known: float | None) -> None:
    from coverage.errors import CoverageError
    from coverage.siting import solve

    open_all = prob.nearest_cost(np.ones(prob.n_sites, bool))
    reach = float(prob.weight[~np.isnan(open_all) & (open_all <= threshold)].sum() / max(prob.weight.sum(), 1e-300))
    share = ctx.share
    if share > reach:  # no set of candidates reaches it: ask for 90 % of what every candidate together reaches
        share = math.floor(90 * reach) / 100
        print(f"  {ctx.region:<9} {label}: every candidate together reaches {reach:.1%} within {threshold:g}: "
              f"target lowered from {ctx.share:.0%} to {share:.0%}", flush=True)
    for model, kw in (("mclp", {"p": ctx.p}), ("target", {"target_share": share})):
        try:
            t = timed(lambda model=model, kw=kw: solve(prob, model=model, threshold=threshold,
                                                       time_limit_s=ctx.time_limit_s, **kw), best_of=1)
        except CoverageError as err:  # e.g. a target no set of candidates can reach on this instance
            print(f"  {ctx.region:<9} {label}: {model} not solved: {err}", flush=True)
            continue
        r = t.value
        obj = f"{r.objective:,.0f}"
        bound = "" if r.bound is None else f", bound {r.bound:,.0f}"
        gap = "" if r.gap is None else f", gap {r.gap:.2%}"
        what = f"{label}: {'MCLP p=' + str(ctx.p) if model == 'mclp' else f'target {share:.0%}'}"
        note = f"objective {obj}{bound}{gap}, {r.status}, {len(r.selected)} sites [{r.method}]"
        if best_known is not None and model == "mclp":
            note += f"; {1 - r.objective / best_known:+.2%} below the 15-min best known {best_known:,.0f}"
        g = _greedy(prob, threshold, model, ctx, share)
        if g is not None:
            note += f"; plain greedy {g:,.0f}"
        emit(engine_record(ctx.region, "siting", what, t, model=model, objective=float(r.objective),
                           bound=None if r.bound is None else float(r.bound),
                           gap=None if r.gap is None else float(r.gap), best_known=best_known,
                           n_demand=int(prob.weight.shape[0]), instance=label, note=note))


def _greedy(prob: Any, threshold: float, model: str, ctx: Context, share: float) -> float | None:
    try:
        from siting_scale import greedy_figures

        return float(greedy_figures(prob, threshold, ctx.p, share)[model])
    except Exception:  # the heuristics module is being reworked: greedy is a side figure only
        return None


@dataclass
class Context:
    region: str
    stage: str
    mode: str
    scale: str
    cache: Path
    peers: tuple[str, ...]
    peer_budget_s: float
    peer_mem_gb: float
    sample_s: float
    time_limit_s: float
    cutoff: float | None
    od_cutoff: float
    siting_threshold: float
    p: int
    share: float
    inputs: Inputs = field(init=False)

    def engine(self) -> Any:
        return cached_engine(self.inputs, self.region, self.mode, self.cache, self.scale)


STAGE_FUNCS: dict[str, Callable[[Context], None]] = {
    "build": stage_build, "nearest": stage_nearest, "od": stage_od, "areas": stage_areas,
    "analysis": stage_analysis, "siting": stage_siting,
}


def worker(args: argparse.Namespace) -> int:
    region, stage, mode = args.worker
    ctx = Context(region=region, stage=stage, mode=mode, scale=args.scale, cache=Path(args.cache),
                  peers=tuple(p for p in args.peers.split(",") if p), peer_budget_s=args.peer_budget_s,
                  peer_mem_gb=args.peer_mem_gb, sample_s=args.sample_s, time_limit_s=args.time_limit_s,
                  cutoff=args.nearest_cutoff_min, od_cutoff=args.od_cutoff_min,
                  siting_threshold=args.siting_threshold_min, p=args.p, share=args.share)
    import logging

    logging.getLogger("coverage").setLevel(logging.ERROR)  # per-call input warnings would repeat at every run
    ctx.inputs = load_inputs(region, args.scale, ctx.cache)
    STAGE_FUNCS[stage](ctx)
    return 0


# ---------------------------------------------------------------- parent: one subprocess per stage
def run_child(argv: list[str]) -> tuple[int, float, list[dict[str, Any]]]:
    """Run one stage; its exit status, its own peak RSS (GB, from wait4) and its result records."""
    proc = subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    records = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_TAG):
            records.append(json.loads(line[len(RESULT_TAG):]))
        else:
            print(line, end="", flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 2**20, records


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f} s"


def closing_table(records: list[dict[str, Any]]) -> None:
    def find(region: str, stage: str, **kw: Any) -> list[dict[str, Any]]:
        return [r for r in records if r["region"] == region and r["stage"] == stage
                and all(r.get(k) == v for k, v in kw.items())]

    rows: list[tuple[str, str, str, str]] = []

    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("met" if ok else "NOT met")

    for region in ("yuxi", "dali"):
        for r in find(region, "build", mode="walk"):
            w = r["engine"]["wall_s"]
            yuxi = region == "yuxi"  # the issue sets these two targets on Yuxi; Dali's network has 1.85x the nodes
            if r.get("kind") == "saved":
                rows.append((f"{region} build from saved engine [walk]", "< 0.05 s (Yuxi)", fmt_s(w),
                             verdict(w < 0.05) if yuxi else "—"))
            else:
                rows.append((f"{region} build cold [walk]", "< 0.3 s (Yuxi)", fmt_s(w),
                             verdict(w < 0.3) if yuxi else "—"))
        areas = [r for r in find(region, "areas") if r.get("kind") == "one"]
        if areas:
            worst = max(areas, key=lambda r: r["engine"]["cpu_s"])
            c = worst["engine"]["cpu_s"]
            rows.append((f"{region} service area at its threshold, slowest service", "< 2 s",
                         f"{fmt_s(worst['engine']['wall_s'])} ({c:.2f} s CPU)", verdict(c < 2)))
    for r in find("province", "build"):
        if r.get("kind") == "saved":
            continue
        w, n = r["engine"]["wall_s"], r.get("n_nodes", 0)
        # the build's own memory: the RSS it adds over the loaded inputs (the subprocess peak also holds the
        # peers' graphs, built after it)
        gb = (r["stage_peak_gb"] - r["stage_start_gb"]) if r.get("stage_start_gb") is not None else None
        big = n >= 2_000_000
        c = r["engine"]["cpu_s"]  # single-threaded work: CPU seconds are the wall time of a quiet machine
        rows.append((f"province build cold [{r['mode']}], {n:,} nodes", "< 8 s, < 3 GB (3M nodes)",
                     f"{w:.1f} s ({c:.1f} s CPU), +{gb:.2f} GB" if gb is not None else f"{w:.1f} s ({c:.1f} s CPU)",
                     verdict(c < 8 and (gb is None or gb < 3)) if big else "— (not 3M nodes)"))
    for r in find("province", "od"):
        w = r["engine"]["wall_s"]
        n = next((b.get("n_nodes", 0) for b in find("province", "build")), 0)
        rows.append((f"province OD 2,000 x 2,000 [{r['mode']}]", "< 30 s (3M nodes)", fmt_s(w),
                     verdict(w < 30) if n >= 2_000_000 else "— (not 3M nodes)"))
    for r in find("province", "siting", instance="clustered instance"):
        if r["model"] == "mclp":
            gap = r.get("gap")
            rows.append((f"siting {r['n_demand']:,} MCLP p=50 (60 s)", "within 0.5 % of the 15-min run",
                         f"gap {gap:.2%} to its proved bound" if gap is not None else "no bound",
                         verdict(gap <= 0.005) if gap is not None and r["n_demand"] >= 100_000
                         else "— (not 100k)"))
        else:
            b = r.get("bound")
            extra = None if not b else r["objective"] / np.ceil(b - 1e-6) - 1
            rows.append((f"siting {r['n_demand']:,} fewest sites (60 s)", "<= 2 % more sites than best known",
                         f"{r['objective']:.0f} sites, bound {b if b is None else f'{b:.1f}'}",
                         "met (vs bound)" if extra is not None and extra <= 0.02 else
                         (f"{extra:+.1%} over the bound (best known not run)" if extra is not None else "—")))
    rows.append(("app first map on Yuxi", "< 3 s", "measured by tests/test_browser.py", "—"))
    print("\n== figures against the targets of issue #16 ==")
    print(f"  {'what':<46} {'target':<34} {'measured':<34} verdict")
    for what, target, got, ok in rows:
        print(f"  {what:<46} {target:<34} {got:<34} {ok}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=("small", "full"), default="small",
                    help="province size: small ~200k nodes and 10k demand points, full ~3M nodes and 100k")
    ap.add_argument("--regions", default="yuxi,dali,province", help=f"comma-separated, of {','.join(REGIONS)}")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated, of {','.join(STAGES)}")
    ap.add_argument("--modes", default="walk,car", help="modes of the build, nearest and OD stages")
    ap.add_argument("--time-limit-s", type=float, default=60.0, help="siting solver time limit per model")
    ap.add_argument("--peers", default="networkx,igraph", help="peers to compare ('' for none)")
    ap.add_argument("--peer-budget-s", type=float, default=180.0,
                    help="a peer's work extrapolated beyond this many seconds is skipped")
    ap.add_argument("--peer-mem-gb", type=float, default=4.0, help="a peer graph extrapolated beyond this is skipped")
    ap.add_argument("--sample-s", type=float, default=10.0, help="CPU seconds of a peer's sample before judging")
    ap.add_argument("--nearest-cutoff-min", type=float, default=None, help="nearest stage cutoff (default none)")
    ap.add_argument("--od-cutoff-min", type=float, default=60.0)
    ap.add_argument("--siting-mode", default="car")
    ap.add_argument("--siting-threshold-min", type=float, default=15.0)
    ap.add_argument("--p", type=int, default=50)
    ap.add_argument("--share", type=float, default=0.70, help="target model: share of people to reach")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "coverage-province-bench"),
                    help="folder for the synthetic province and the saved engines")
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker", nargs=3, metavar=("REGION", "STAGE", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    if args.worker:
        return worker(args)
    if args.prepare:
        prepare_province(args.scale, Path(args.cache))
        return 0

    regions = [r for r in args.regions.split(",") if r]
    stages = [s for s in args.stages.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    bad = [x for x in regions if x not in REGIONS] + [x for x in stages if x not in STAGES]
    if bad:
        ap.error(f"unknown region/stage: {', '.join(bad)}")
    print(f"== province benchmark, scale {args.scale}; {os.cpu_count()} cores, load {load()} "
          f"(1/5/15 min) at start ==")
    print("  peak memory: 'peak' = ru_maxrss of the stage's own subprocess (os.wait4; inputs included); "
          "'stage peak' = RSS sampled every 10 ms during the timed work (+ what it adds over the loaded inputs)")
    records: list[dict[str, Any]] = []
    failed = 0
    if "province" in regions:
        rc, peak_gb, _ = run_child(["--prepare", "--scale", args.scale, "--cache", args.cache])
        print(f"  province -- generation: peak {peak_gb:.2f} GB, load {load()}", flush=True)
        if rc:
            return 1
    for region in regions:
        for stage in stages:
            # the stages' own modes: areas walk only; analysis builds its engines; siting one mode
            stage_modes = {"areas": ["walk"], "analysis": ["-"], "siting": [args.siting_mode]}.get(stage, modes)
            for mode in stage_modes:
                child = ["--worker", region, stage, mode, *_passthrough(args)]
                t = time.perf_counter()
                rc, peak_gb, recs = run_child(child)
                for r in recs:
                    r["peak_rss_gb"] = peak_gb
                records.extend(recs)
                failed += rc != 0
                print(f"  {region:<9} -- {stage} [{mode}]: peak {peak_gb:.2f} GB, {time.perf_counter() - t:.0f} s "
                      f"in all (inputs and peers included), load {load()}"
                      + ("" if rc == 0 else f"  FAILED (exit {rc})"), flush=True)
    closing_table(records)
    print(f"  load at end {load()}")
    return 1 if failed else 0


def _passthrough(args: argparse.Namespace) -> list[str]:
    out = ["--scale", args.scale, "--cache", args.cache, "--time-limit-s", str(args.time_limit_s),
           "--peers", args.peers, "--peer-budget-s", str(args.peer_budget_s), "--peer-mem-gb", str(args.peer_mem_gb),
           "--sample-s", str(args.sample_s), "--od-cutoff-min", str(args.od_cutoff_min),
           "--siting-threshold-min", str(args.siting_threshold_min), "--p", str(args.p), "--share", str(args.share)]
    if args.nearest_cutoff_min is not None:
        out += ["--nearest-cutoff-min", str(args.nearest_cutoff_min)]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
