"""How fast the app answers on the Yuxi demo: a change of threshold or service, warm caches.

Runs the app headless (streamlit.testing.v1.AppTest, in this process), so the
figures are the server-side time of one rerun (widgets -> library -> page),
the part the 1-second goal is about; the browser adds the map's drawing.

    python benchmarks/bench_app.py

Prints the cold first run (graph, engine, analysis: the baseline) and the median
of the warm reruns, with their ratio.
"""

from __future__ import annotations

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
        at.switch_page(f"app_pages/{page}.py").run()
        times_threshold, times_service = [], []
        for i in range(REPEATS):
            minutes = 15 + 5 * ((i % 3) + 1)  # 20, 25, 30: new values, then cached ones
            times_threshold.append(_timed(
                lambda m=minutes: at.sidebar.slider(key=f"w.thresholds.{at.session_state['service']}").set_value(m).run()))
            service = "children_20min" if i % 2 == 0 else "elderly_15min"
            times_service.append(_timed(lambda s=service: at.sidebar.selectbox(key="w.service").set_value(s).run()))
        results[f"{page}: threshold change"] = times_threshold
        results[f"{page}: service change"] = times_service
        assert not at.exception, [e.value for e in at.exception]
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:28s} median {med * 1000:7.0f} ms  max {max(values) * 1000:7.0f} ms  "
              f"(cold/median = {cold_s / med:5.1f}x)  {'OK' if med < 1.0 else 'SLOWER THAN 1 s'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
