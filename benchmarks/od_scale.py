"""Many-to-many travel tables and service areas at scale: before / after, with the same answers checked.

Run from the repository root (2 shared cores: run it once, not in a loop)::

    python benchmarks/od_scale.py                       # everything below
    python benchmarks/od_scale.py --only province       # OD 2,000 x 2,000 <= 60 min on the synthetic 3M network
    python benchmarks/od_scale.py --only yuxi,areas     # OD 718 x 2,000 on Yuxi; service areas Yuxi and Dali
    python benchmarks/od_scale.py --before HEAD~3       # "before" = the engine at that git revision

"After" is the work tree; "before" is ``coverage/traveltime/{engine,areas}.py`` as committed at ``--before``
(default HEAD), run in this process on the same compiled network.  Figures are CPU seconds of this process
(steady on a shared machine; the work is single-threaded) with wall seconds in brackets, each the median of
``--repeat`` runs (3 by default; the machine is shared and noisy), and the ratio of CPU seconds; on the
province the "before" table is timed on a sample of origins and scaled up (it takes minutes), and both
answers are compared on that sample (pairs and times, max |diff| in minutes).  Peak memory is this process's
(``ru_maxrss``), which includes building the network and the engine.

The functions :func:`od_case` and :func:`areas_case` are what ``benchmarks/province.py`` may call.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from coverage.traveltime import TravelTimeEngine  # noqa: E402
from coverage.traveltime.manytomany import measure_od, peak_rss_gb  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int, clear: Callable[[], None] = lambda: None
          ) -> tuple[float, float, list[float], Any]:
    """Median wall and CPU seconds of ``repeat`` runs, every wall time, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(max(1, repeat)):
        clear()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), walls, out


def table_diff(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """Pairs in one table only, and the largest time difference (minutes) of the pairs in both."""
    m = a.merge(b, on=["from_id", "to_id"], how="outer", indicator=True)
    both = m[m["_merge"] == "both"]
    diff = float((both["travel_time_min_x"] - both["travel_time_min_y"]).abs().max()) if len(both) else 0.0
    return (f"{len(both):,} pairs alike, {int((m['_merge'] != 'both').sum())} in one only, "
            f"max |diff| {diff:.1e} min")


def _figures(out: dict[str, Any]) -> str:
    """``before cpu (wall)  after cpu (wall)  ratio of cpu``."""
    def one(key: str) -> str:
        if key + "_s" not in out:
            return " " * 17
        return f"{out[key + '_cpu_s']:7.2f} ({out[key + '_s']:6.2f})"

    ratio = (f"{out['before_cpu_s'] / out['after_cpu_s']:6.1f}x" if "before_cpu_s" in out and out["after_cpu_s"] > 0
             else "       ")
    return f"{one('before')}  {one('after')}  {ratio}"


def od_case(label: str, after: TravelTimeEngine, origins: Any, dests: Any, cutoff_min: float, *,
            before: Any = None, before_sample: int | None = None, repeat: int = 3, **od_kwargs: Any
            ) -> dict[str, Any]:
    """Time the OD table after (and before) and compare them; prints one line, returns the figures.

    ``before_sample``: time "before" on the first that many origins only and scale by the share of origins
    (both tables are compared on those origins).
    """
    res = measure_od(after, origins, dests, cutoff_min=cutoff_min, repeat=repeat, **od_kwargs)
    out: dict[str, Any] = {"label": label, "after_s": res["seconds"], "after_cpu_s": res["cpu_seconds"],
                           "after_runs": res["runs"], "pairs": res["pairs"], "peak_rss_gb": res["peak_rss_gb"]}
    note = ""
    if before is not None:
        sub = origins if before_sample is None else origins.iloc[:before_sample]
        scale = len(origins) / len(sub)
        before.snap(sub)
        before.snap(dests)
        rep = repeat if before_sample is None else 1
        w, c, _, tab_b = timed(lambda: before.od(sub, dests, cutoff_min=cutoff_min), rep)
        out.update(before_s=w * scale, before_cpu_s=c * scale)
        tab_a = res["table"]
        tab_a = tab_a[tab_a["from_id"].isin(sub["id"])]
        note = ("before scaled from " if before_sample else "") + (
            f"{len(sub)} origins; " if before_sample else "") + table_diff(tab_a, tab_b)
        out["check"] = note
    print(f"  {label:<58} {_figures(out)}  {out['pairs']:,} pairs, peak {out['peak_rss_gb']:.2f} GB"
          f"\n      {note}", flush=True)
    return out


def areas_case(label: str, after: TravelTimeEngine, sources: Any, thresholds_min: list[float], *,
               before: Any = None, repeat: int = 3) -> dict[str, Any]:
    """Time service areas after (and before); prints one line with the areas (km²) of both."""
    def clear(e: Any) -> Callable[[], None]:
        return lambda: e.__dict__.pop("_snap_cache", None)

    w, c, runs, a = timed(lambda: after.service_areas(sources, thresholds_min=thresholds_min), repeat, clear(after))
    out: dict[str, Any] = {"label": label, "after_s": w, "after_cpu_s": c, "after_runs": runs,
                           "area_km2": a["area_km2"].tolist()}
    km2 = "/".join(f"{x:.2f}" for x in a["area_km2"])
    if before is not None:
        wb, cb, _, b = timed(lambda: before.service_areas(sources, thresholds_min=thresholds_min), repeat,
                             clear(before))
        out.update(before_s=wb, before_cpu_s=cb, before_area_km2=b["area_km2"].tolist())
        km2 += " km2 (before " + "/".join(f"{x:.2f}" for x in b["area_km2"]) + ")"
    print(f"  {label:<58} {_figures(out)}  {km2}", flush=True)
    return out


def before_engine(Before: Any, network: Any) -> Any:
    return None if Before is None else Before.from_network(network)


def province(Before: Any, args: argparse.Namespace) -> None:
    import synthetic_province as spv

    cache = Path(args.cache) if args.cache else None
    t0 = time.perf_counter()
    net = None
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            net = pickle.load(f)
        eng = TravelTimeEngine.from_network(net)
        how = f"loaded from {cache}"
    else:
        nodes, edges = spv.make_network(args.n_nodes, args.seed)
        eng = TravelTimeEngine.from_gdfs(nodes, edges, "car", crs=spv.CRS)
        del nodes, edges
        how = "generated and compiled"
        if cache is not None:
            with cache.open("wb") as f:
                pickle.dump(eng.network, f, protocol=5)
    eng.chains()
    print(f"  synthetic province: {eng.n_nodes:,} nodes ({len(eng.chains().core):,} core), car, {how} in "
          f"{time.perf_counter() - t0:.1f} s; peak {peak_rss_gb():.2f} GB", flush=True)
    demand = spv.make_demand(100_000, args.seed).sample(2000, random_state=1)
    cands = spv.make_candidates(2000, args.seed)
    rss0 = peak_rss_gb()
    res = od_case("province [car] OD 2,000 x 2,000 <= 60 min", eng, demand, cands, 60.0,
                  before=before_engine(Before, eng.network), before_sample=args.before_sample, repeat=args.repeat)
    print(f"      peak before the table {rss0:.2f} GB, after {res['peak_rss_gb']:.2f} GB; runs "
          + ", ".join(f"{x:.2f}" for x in res["after_runs"]) + " s", flush=True)


def yuxi(Before: Any, args: argparse.Namespace) -> None:
    from travel_times import candidates_2000

    from coverage.demo import load_demo

    region = load_demo("yuxi")
    G = region.graph()
    cands = candidates_2000(region)
    for mode in ("walk", "car"):
        eng = TravelTimeEngine(G, mode=mode)
        eng.chains()
        od_case(f"Yuxi [{mode}] OD {len(region.demand)} x 2,000 <= 60 min", eng, region.demand, cands, 60.0,
                before=before_engine(Before, eng.network), repeat=args.repeat)


def areas(Before: Any, args: argparse.Namespace) -> None:
    from coverage.demo import load_demo
    from coverage.metrics import counted_facilities
    from coverage.metrics.standards import default_standards

    std = default_standards()
    for name in ("yuxi", "dali"):
        region = load_demo(name)
        G = region.graph()
        eng = TravelTimeEngine(G, mode="walk")
        eng.tree  # noqa: B018 (built once, outside the timing)
        prev = before_engine(Before, eng.network)
        for svc in std.services:
            if svc.mode != "walk":
                continue
            counted = counted_facilities(region.facilities, svc.facility_types)
            areas_case(f"{name} [walk] service areas {svc.key} ({len(counted):,} sources) {svc.threshold_min:g} min",
                       eng, counted, [svc.threshold_min], before=prev, repeat=args.repeat)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default="province,yuxi,areas", help="comma-separated: province, yuxi, areas")
    p.add_argument("--before", default="HEAD", help="git revision of 'before' ('none': after only)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--n-nodes", type=int, default=3_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--before-sample", type=int, default=100, help="origins timed 'before' on the province")
    p.add_argument("--cache", default="", help="pickle of the compiled province network (read, or written)")
    args = p.parse_args()
    Before = None
    if args.before.lower() != "none":
        from traveltime_compare import load_before

        Before = load_before(args.before)
    print(f"{'case':<60} before: CPU s (wall s)  after: CPU s (wall s)  CPU ratio; medians of {args.repeat}")
    for part in args.only.split(","):
        {"province": province, "yuxi": yuxi, "areas": areas}[part.strip()](Before, args)


if __name__ == "__main__":
    main()
