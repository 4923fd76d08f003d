"""Loading speed: 20,000 demand rows from CSV (GBK) and XLSX, GCJ-02, with some bad rows.

    python benchmarks/bench_inputs.py [n_rows]

Prints seconds per load and rows per second; the target is "well under a few
seconds" for 20,000 rows.  The baseline is the raw read alone (pandas.read_csv /
openpyxl), so the ratio shows what validation and coordinate conversion add.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coverage.inputs import load_demand
from coverage.inputs.crs import wgs84_to_gcj02


def make(n: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    lon = rng.uniform(102.0, 103.0, n)
    lat = rng.uniform(24.0, 25.0, n)
    glon, glat = wgs84_to_gcj02(lon, lat)
    frame = pd.DataFrame({
        "编号": [f"{i:05d}" for i in range(n)], "村名": [f"村{i}" for i in range(n)],
        "村级代码": [f"530402{i:06d}" for i in range(n)], "经度": np.round(glon, 6), "纬度": np.round(glat, 6),
        "60岁以上老年人": rng.integers(0, 900, n), "留守儿童": rng.integers(0, 40, n).astype(object)})
    frame.loc[::500, "留守儿童"] = "不详"  # 40 bad rows
    csv = folder / "demand.csv"
    csv.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode("gbk"))
    xlsx = folder / "demand.xlsx"
    frame.to_excel(xlsx, index=False)
    return csv, xlsx


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        csv, xlsx = make(n, Path(tmp))
        for path in (csv, xlsx):
            base = (lambda p=path: pd.read_csv(p, encoding="gbk", dtype=str)) if path.suffix == ".csv" else (
                lambda p=path: pd.read_excel(p, dtype=str, engine="openpyxl"))
            t_base, _ = timed(base)
            t_load, res = timed(load_demand, path, crs="gcj02")
            print(f"{path.suffix:6s} {n} rows: load_demand {t_load:.2f} s ({n / t_load:,.0f} rows/s), "
                  f"raw read {t_base:.2f} s, ratio {t_load / t_base:.1f}x; "
                  f"loaded {len(res.data)}, rejected {res.report.n_rejected}")


if __name__ == "__main__":
    main()
