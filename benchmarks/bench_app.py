"""How fast the app answers on the Yuxi demo: a change of threshold or service, warm caches.

Runs the app headless (streamlit.testing.v1.AppTest, in this process), so the
figures are the server-side time of one rerun (widgets -> library -> page),
the part the 1-second goal is about; the browser adds the map's drawing.

    python benchmarks/bench_app.py

Prints the cold first run (graph, engine, analysis: the baseline) and the median
of the warm reruns, with their ratio; then the deliverables: a proposal, accepting a
site, the coverage exports (Excel + GeoPackage + GeoJSON), the report of the accepted
sites (Excel + PDF) and the printed scenario map, each first (cold) and again (cached).
The Map page's layers: service areas and roads switched on, threshold and service changes with
the areas shown, and the size of the map's script sent to the browser.

    python benchmarks/bench_app.py --browser [--regions yuxi,dali] [--repeats 3]

drives the real app in headless Chromium (/usr/bin/chromium, Playwright; the harness of
tests/test_browser.py) and prints, per region, the median / min / max over the repeats of what a
planner waits for from click to painted map: first map (a fresh server each repeat: cold caches),
threshold change, service change, service areas on, roads on, a threshold change with both shown,
a proposal and accepting a site; with the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "app.py")
REPEATS = 5


def _timed(action) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def main() -> int:
    at = AppTest.from_file(APP, default_timeout=600).run()
    cold_s = _timed(lambda: at.switch_page("app_pages/coverage.py").run())
    print(f"cold: first coverage page (graph + engine + analysis): {cold_s:.2f} s")
    results: dict[str, list[float]] = {}
    for page in ("coverage", "map"):
        first_s = _timed(lambda p=page: at.switch_page(f"app_pages/{p}.py").run())
        if page == "map":
            print(f"first map page (Yuxi): {first_s:.2f} s  script {_map_mb(at):.2f} MB")
        times_threshold, times_service = [], []
        for i in range(REPEATS):
            minutes = 15 + 5 * ((i % 3) + 1)  # 20, 25, 30: new values, then cached ones
            slider = f"w.thresholds.{at.session_state['service']}"
            times_threshold.append(_timed(lambda m=minutes, k=slider: at.sidebar.slider(key=k).set_value(m).run()))
            service = "children_20min" if i % 2 == 0 else "elderly_15min"
            times_service.append(_timed(lambda s=service: at.sidebar.selectbox(key="w.service").set_value(s).run()))
        results[f"{page}: threshold change"] = times_threshold
        results[f"{page}: service change"] = times_service
        assert not at.exception, [e.value for e in at.exception]
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:28s} median {med * 1000:7.0f} ms  max {max(values) * 1000:7.0f} ms  "
              f"(cold/median = {cold_s / med:5.1f}x)  {'OK' if med < 1.0 else 'SLOWER THAN 1 s'}")
    map_layers(at)
    deliverables(at)
    return 0


def _map_mb(at: AppTest) -> float:
    """Size of the Leaflet script the Map page sends to the browser [MB]."""
    (component,) = at.get("component_instance")
    return len(json.loads(component.proto.json_args)["script"]) / 1e6


def map_layers(at: AppTest) -> None:
    """The Map page with service areas and roads: each layer switched on, then threshold / service changes."""
    at.sidebar.selectbox(key="w.service").set_value("elderly_15min").run()
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(15).run()
    at.switch_page("app_pages/map.py").run()
    print(f"{'map: same choices, rerun':28s} {_timed(lambda: at.run()) * 1000:7.0f} ms  script {_map_mb(at):5.2f} MB")
    print(f"{'map: service areas on':28s} {_timed(lambda: at.toggle(key='w.map_areas').set_value(True).run()):6.2f} s"
          f"  script {_map_mb(at):5.2f} MB")
    if any(t.key == "w.map_roads" for t in at.toggle):
        print(f"{'map: roads on':28s} {_timed(lambda: at.toggle(key='w.map_roads').set_value(True).run()):6.2f} s"
              f"  script {_map_mb(at):5.2f} MB")
    times = [_timed(lambda m=m: at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(m).run())
             for m in (20, 25, 20, 15)]
    print(f"{'map+areas: threshold change':28s} new {times[0]:5.2f} s, {times[1]:5.2f} s; "
          f"seen before {times[2]:5.2f} s, {times[3]:5.2f} s")
    times = [_timed(lambda s=s: at.sidebar.selectbox(key="w.service").set_value(s).run())
             for s in ("children_20min", "elderly_15min")]
    print(f"{'map+areas: service change':28s} new {times[0]:5.2f} s  back {times[1]:5.2f} s")
    assert not at.exception, [e.value for e in at.exception]
    at.toggle(key="w.map_areas").set_value(False).run()
    if any(t.key == "w.map_roads" for t in at.toggle):
        at.toggle(key="w.map_roads").set_value(False).run()


def deliverables(at: AppTest) -> None:
    """Proposal, accept, exports, report and printed map: first time and again (cached)."""
    at.sidebar.selectbox(key="w.service").set_value("elderly_15min").run()
    at.sidebar.slider(key="w.thresholds.elderly_15min").set_value(15).run()
    at.switch_page("app_pages/siting.py").run()
    at.selectbox(key="w.siting_model").set_value("mclp").run()
    at.number_input(key="w.siting_k").set_value(3).run()
    print(f"{'proposal (mclp, k=3)':28s} {_timed(lambda: at.button(key='siting_run').click().run()):6.2f} s")
    accept = "accept_" + at.session_state["proposal"]["sites"][0]["id"]
    print(f"{'accept a site':28s} {_timed(lambda: at.button(key=accept).click().run()):6.2f} s")
    for page, button in (("coverage", "export_coverage"), ("siting", "export_sites"), ("siting", "export_report"),
                         ("print", "print_run")):
        at.switch_page(f"app_pages/{page}.py").run()
        if page == "print":
            at.radio(key="w.print_kind").set_value("coverage").run()
        first = _timed(lambda b=button: at.button(key=b).click().run())
        again = _timed(lambda b=button: at.button(key=b).click().run())
        assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
        print(f"{page + ': ' + button:28s} first {first:6.2f} s  again (cached) {again:6.2f} s")


def browser(regions: list[str], repeats: int) -> int:
    """The map flows in Chromium, ``repeats`` times per region (a fresh server each time); medians printed."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_browser as harness  # the browser test's server and flows: the same clicks, the same checks

    if not harness.CHROMIUM.exists():
        print(f"no Chromium at {harness.CHROMIUM}: install the Debian package `chromium`")
        return 2
    medians: dict[str, dict[str, float]] = {}
    for region in regions:
        runs: list[dict[str, float]] = []
        for i in range(repeats):
            load = os.getloadavg()[0]
            with harness.streamlit_app(f"streamlit_bench_{region}.log") as url:
                runs.append(harness.map_flow_times(url, region))
            print(f"{region} run {i + 1}/{repeats} done (load average before: {load:.2f})", flush=True)
        medians[region] = {}
        print(f"\n{region}: map flows in Chromium [s], median of {repeats} (min-max); target < 1 s, first map < 3 s")
        for flow in harness.MAP_FLOWS:
            values = [r[flow] for r in runs if flow in r]
            if values:
                med = medians[region][flow] = statistics.median(values)
                target = 3.0 if flow == "first map" else 1.0
                print(f"  {flow:42s} {med:6.2f}  ({min(values):.2f}-{max(values):.2f})  "
                      f"{'OK' if med < target else 'SLOWER THAN ' + format(target, 'g') + ' s'}", flush=True)
    now = os.getloadavg()
    print(f"load average now {now[0]:.2f} {now[1]:.2f} {now[2]:.2f} on {os.cpu_count()} cores")
    harness.write_times(medians, ROOT / "tests" / "artifacts" / "browser_times_bench.txt")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--browser", action="store_true", help="time the map flows in headless Chromium")
    parser.add_argument("--regions", default="yuxi,dali", help="with --browser: demo regions, comma separated")
    parser.add_argument("--repeats", type=int, default=3, help="with --browser: runs per region (median)")
    args = parser.parse_args()
    if args.browser:
        raise SystemExit(browser([r.strip() for r in args.regions.split(",") if r.strip()], args.repeats))
    raise SystemExit(main())
