"""Demo loading speed: tables and road graph of Yuxi and Dali, cold (fresh process) and warm.

    python benchmarks/bench_demo.py

Each region is measured in a fresh subprocess so "cold" means nothing cached
(imports are timed separately).  The target is under ~3 s cold for
``load_demo`` and a few seconds for the graph, instant warm.  The baseline for the
graph is networkx's own ``add_edges_from`` on the same arrays, so the ratio shows
what filling the adjacency directly saves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import geopandas, networkx as nx
t1 = time.perf_counter()
from coverage.demo import load_demo
from coverage.demo.roads import load_road_arrays
key = sys.argv[1]
t = time.perf_counter(); region = load_demo(key); load_cold = time.perf_counter() - t
t = time.perf_counter(); load_demo(key); load_warm = time.perf_counter() - t
t = time.perf_counter(); G = region.graph(); graph_cold = time.perf_counter() - t
t = time.perf_counter(); region.graph(); graph_warm = time.perf_counter() - t
a = load_road_arrays(region.roads_path)
t = time.perf_counter()
H = nx.MultiDiGraph(crs="EPSG:4326")
H.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(a["node_lonlat"].tolist()))
edges = []
for (u, v, c, ow, w), length in zip(a["edges"].tolist(), a["length_m"].tolist()):
    d = {"osmid": w, "highway": str(a["highway_classes"][c]), "oneway": bool(ow), "length": length}
    edges.append((u, v, d))
    if not ow:
        edges.append((v, u, dict(d)))
H.add_edges_from(edges)
baseline = time.perf_counter() - t
print(json.dumps({"imports_s": t1 - t0, "load_cold_s": load_cold, "load_warm_s": load_warm,
                  "graph_cold_s": graph_cold, "graph_warm_s": graph_warm, "graph_baseline_s": baseline,
                  "nodes": G.number_of_nodes(), "edges": G.number_of_edges()}))
"""


def main() -> int:
    for key in ("yuxi", "dali"):
        out = subprocess.run([sys.executable, "-c", _CHILD, key], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{key}: imports {r['imports_s']:.2f} s; load_demo cold {r['load_cold_s']:.2f} s, "
              f"warm {r['load_warm_s'] * 1e6:.0f} us; graph ({r['nodes']:,} nodes, {r['edges']:,} edges) "
              f"cold {r['graph_cold_s']:.2f} s, warm {r['graph_warm_s'] * 1e6:.0f} us; "
              f"networkx add_edges_from baseline {r['graph_baseline_s']:.2f} s "
              f"(ratio {r['graph_baseline_s'] / r['graph_cold_s']:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
