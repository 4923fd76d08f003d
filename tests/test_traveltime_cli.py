"""``python -m coverage od``: files in, a long OD table out, equal to the library's answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from coverage.cli import main
from coverage.network import load_graph
from coverage.traveltime import TravelTimeEngine

ROOT = Path(__file__).resolve().parents[1]
OAKLAND = ROOT.parent / "shared" / "benchmarks" / "osm" / "West-Oakland.osm.bz2"


def write_points(path: Path, n: int, prefix: str, seed: int, *, headers: tuple[str, str, str] = ("id", "lon", "lat"),
                 encoding: str = "utf-8-sig") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-122.305, -122.290, n)
    lat = rng.uniform(37.803, 37.813, n)
    pd.DataFrame({headers[0]: [f"{prefix}{i}" for i in range(n)], headers[1]: lon, headers[2]: lat}).to_csv(
        path, index=False, encoding=encoding)
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(n)]}, geometry=gpd.points_from_xy(lon, lat),
                            crs="EPSG:4326")


def test_od_command_writes_the_engine_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    villages = write_points(tmp_path / "a.csv", 25, "v", 1)
    shops = write_points(tmp_path / "b.csv", 5, "f", 2, headers=("编号", "经度", "纬度"), encoding="gb18030")
    out = tmp_path / "out" / "od.csv"
    code = main(["od", "--graph", str(OAKLAND), "--from", str(tmp_path / "a.csv"), "--to", str(tmp_path / "b.csv"),
                 "--mode", "walk", "--cutoff-min", "8", "--out", str(out)])
    assert code == 0
    assert "od.csv" in capsys.readouterr().out
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert list(got.columns) == ["from_id", "to_id", "travel_time_min"]
    expect = TravelTimeEngine(load_graph(OAKLAND), mode="walk").od(villages, shops, cutoff_min=8)
    assert len(got) == len(expect) > 0
    assert (got["travel_time_min"] <= 8).all()
    np.testing.assert_allclose(got["travel_time_min"], expect["travel_time_min"], atol=1e-5)
    assert got["from_id"].tolist() == expect["from_id"].tolist()


def test_nearest_option_one_row_per_origin(tmp_path: Path) -> None:
    write_points(tmp_path / "a.csv", 10, "v", 3)
    write_points(tmp_path / "b.csv", 3, "f", 4)
    pd.read_csv(tmp_path / "b.csv").rename(columns={"id": "编号", "lon": "经度", "lat": "纬度"}).to_excel(
        tmp_path / "b.xlsx", index=False)
    out = tmp_path / "near.csv"
    code = main(["od", "--graph", str(OAKLAND), "--from", str(tmp_path / "a.csv"), "--to", str(tmp_path / "b.xlsx"),
                 "--mode", "car", "--nearest", "--out", str(out)])
    assert code == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert list(got.columns) == ["from_id", "to_id", "travel_time_min", "access_distance_m"] and len(got) == 10
    assert set(got["to_id"].dropna()) <= {"f0", "f1", "f2"} and got["to_id"].notna().any()


def test_od_command_errors_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd.DataFrame({"id": ["a"], "x坐标": [1.0], "lat": [2.0]}).to_csv(tmp_path / "bad.csv", index=False)
    write_points(tmp_path / "b.csv", 3, "f", 4)
    code = main(["od", "--graph", str(OAKLAND), "--from", str(tmp_path / "bad.csv"), "--to",
                 str(tmp_path / "b.csv"), "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "bad.csv: no longitude column" in capsys.readouterr().err
    code = main(["od", "--graph", str(tmp_path / "missing.graphml"), "--from", str(tmp_path / "b.csv"), "--to",
                 str(tmp_path / "b.csv"), "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "missing.graphml: file not found" in capsys.readouterr().err


def test_od_command_runs_as_a_module(tmp_path: Path) -> None:
    villages = write_points(tmp_path / "a.csv", 4, "v", 5)
    shops = write_points(tmp_path / "b.csv", 2, "f", 6)
    out = tmp_path / "od.csv"
    done = subprocess.run([sys.executable, "-m", "coverage", "od", "--graph", str(OAKLAND), "--from",
                           str(tmp_path / "a.csv"), "--to", str(tmp_path / "b.csv"), "--mode", "ebike",
                           "--out", str(out)], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(out)
    # no cutoff: every reachable pair (West Oakland's streets are in pieces: not all 8), no infinities
    expect = TravelTimeEngine(load_graph(OAKLAND), mode="ebike").od(villages, shops, cutoff_min=None)
    assert 0 < len(got) == len(expect) < 8 and np.isfinite(got["travel_time_min"]).all()
    assert "of origins reach none" in done.stdout
