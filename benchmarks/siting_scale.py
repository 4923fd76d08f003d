"""Siting at province scale: 100,000 demand points x 2,000 candidates, MCLP and the target model.

Run from the repository root (2 cores: run it a few times, not in a loop)::

    python benchmarks/siting_scale.py                        # MCLP and target, 60 s each
    python benchmarks/siting_scale.py --only mclp --baseline # also the plain MILP (no heuristic, no start)
    python benchmarks/siting_scale.py --n-demand 20000       # a smaller instance

The instance is seeded: 40 towns in a 100 x 100 km area, villages normally
scattered (3 km) around their town, half the candidates near a town (5 km),
half anywhere; a village is covered within 4 km (straight line) of an open
site.  For each model it prints the objective, the bound, the gap, the
status and the time, beside plain greedy and (``--baseline``) the plain MILP,
and checks that the objective reported equals the one recomputed from the
selected sites.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coverage.siting import build_problem, solve  # noqa: E402
from coverage.siting.heuristics import greedy_cover  # noqa: E402
from coverage.siting.problem import SitingProblem, reduce_cover  # noqa: E402


def clustered_od(n_demand: int = 100_000, n_cand: int = 2_000, radius_m: float = 4_000.0, seed: int = 42,
                 n_towns: int = 40) -> tuple[pd.DataFrame, pd.Series]:
    """The seeded clustered instance as a long OD table (pairs within ``radius_m``) and demand weights.

    The same draws as ``benchmarks/siting.py``'s ``clustered_instance`` (which
    builds a dense matrix), here kept sparse with a k-d tree.
    """
    rng = np.random.default_rng(seed)
    centres = rng.random((n_towns, 2)) * 100_000
    which = rng.integers(0, len(centres), n_demand)
    demand = centres[which] + rng.normal(0, 3_000, (n_demand, 2))
    weight = rng.lognormal(5, 1, n_demand).round()
    near = centres[rng.integers(0, len(centres), n_cand // 2)] + rng.normal(0, 5_000, (n_cand // 2, 2))
    cand = np.vstack([near, rng.random((n_cand - n_cand // 2, 2)) * 100_000])
    pairs = cKDTree(demand).sparse_distance_matrix(cKDTree(cand), radius_m, output_type="coo_matrix")
    od = pd.DataFrame({"from_id": pairs.row.astype(np.int64), "to_id": pairs.col.astype(np.int64) + 1_000_000,
                       "distance_m": pairs.data})
    ids = np.arange(n_demand, dtype=np.int64)
    return od, pd.Series(weight, index=ids)


def scale_problem(n_demand: int = 100_000, n_cand: int = 2_000, radius_m: float = 4_000.0,
                  seed: int = 42) -> SitingProblem:
    """The seeded instance as a :class:`SitingProblem` (every candidate listed, also those reaching nobody)."""
    od, w = clustered_od(n_demand, n_cand, radius_m, seed)
    return build_problem(od, w, cost_column="distance_m", cost_unit="m",
                         candidates=np.arange(n_cand, dtype=np.int64) + 1_000_000)


def greedy_figures(prob: SitingProblem, radius_m: float, p: int, share: float) -> dict[str, float]:
    """Plain greedy (no swap) for MCLP with ``p`` sites and for the target ``share``: objective and seconds."""
    t0 = time.perf_counter()
    R = reduce_cover(prob, radius_m)
    sel = greedy_cover(R.matrix, R.row_weight, p=p)
    cov = np.zeros(R.matrix.shape[0], bool)
    if sel:
        cov = np.asarray(R.matrix[:, sel].sum(axis=1)).ravel() > 0
    mclp = float(R.row_weight[cov].sum() + prob.weight[R.covered_fixed].sum())
    t_mclp = time.perf_counter() - t0
    t0 = time.perf_counter()
    need = np.array([share * prob.weight.sum() - prob.weight[R.covered_fixed].sum()])
    sel_t = greedy_cover(R.matrix, R.row_weight, need=need)
    return {"mclp": mclp, "mclp_s": t_mclp, "target": float(len(sel_t)), "target_s": time.perf_counter() - t0}


def recomputed(prob: SitingProblem, r, radius_m: float) -> float:  # type: ignore[no-untyped-def]
    """The objective recomputed from the selected sites alone (independently of the solver)."""
    if r.model == "target":
        return float(len(r.selected))
    open_mask = prob.fixed.copy()
    open_mask[prob.site_index(r.selected)] = True
    d = prob.nearest_cost(open_mask)
    return float(prob.weight[~np.isnan(d) & (d <= radius_m)].sum())


def _line(name: str, obj: float, bound: float | None, gap: float | None, status: str, secs: float,
          fmt: str) -> str:
    b = "" if bound is None else format(bound, fmt)
    g = "" if gap is None else f"{gap:.2%}"
    return f"{name:>26} {format(obj, fmt):>14} {b:>14} {g:>8} {status:>11} {secs:>8.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", default=["mclp", "target"])
    ap.add_argument("--n-demand", type=int, default=100_000)
    ap.add_argument("--n-cand", type=int, default=2_000)
    ap.add_argument("--radius-m", type=float, default=4_000.0)
    ap.add_argument("--p", type=int, default=50)
    ap.add_argument("--share", type=float, default=0.70, help="target model: share of people to reach")
    ap.add_argument("--time-limit-s", type=float, default=60.0)
    ap.add_argument("--baseline", action="store_true", help="also the plain MILP (no heuristic, no warm start)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    prob = scale_problem(args.n_demand, args.n_cand, args.radius_m, args.seed)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    R = reduce_cover(prob, args.radius_m)
    t_red = time.perf_counter() - t0
    print(f"== {args.n_demand:,} demand x {args.n_cand:,} candidates, r={args.radius_m:g} m, seed {args.seed} ==")
    print(f"problem {len(prob.pair_cost):,} pairs, built in {t_build:.1f} s; reduction: {R.matrix.shape[0]:,} "
          f"demand classes, {len(R.cols):,} candidates kept ({R.n_dominated} dominated) in {t_red:.2f} s")
    g = greedy_figures(prob, args.radius_m, args.p, args.share)
    print(f"{'':>26} {'objective':>14} {'bound':>14} {'gap':>8} {'status':>11} {'time_s':>8}")
    bad = 0
    for model in args.only:
        kw = {"p": args.p} if model == "mclp" else {"target_share": args.share}
        fmt = ",.0f" if model == "mclp" else ".0f"
        label = f"mclp p={args.p}" if model == "mclp" else f"target {args.share:.0%}"
        print(_line(f"{label} greedy", g[model], None, None, "heuristic", g[f"{model}_s"], fmt))
        runs = [("ours", {})]
        if args.baseline:
            runs.append(("plain MILP", {"warm_start": False, "method": "exact"}))
        for name, extra in runs:
            t = time.perf_counter()
            r = solve(prob, model=model, threshold=args.radius_m, time_limit_s=args.time_limit_s, **kw, **extra)
            secs = time.perf_counter() - t
            again = recomputed(prob, r, args.radius_m)
            ok = abs(again - r.objective) <= 1e-6 * max(1.0, abs(again))
            bad += not ok
            print(_line(f"{label} {name}", r.objective, r.bound, r.gap, r.status, secs, fmt)
                  + f"  [{r.method}; recomputed {'equal' if ok else f'DIFFERS: {again:,.0f}'}]", flush=True)
            for step in r.stats.get("kernel_rounds", []):
                print(f"{'':>26} kernel {step['kernel']:>5} candidates, {step['rows']:>6} rows: {step['status']},"
                      f" best {step['objective']:,.0f} ({step['seconds']:.1f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
