"""``python -m coverage validate`` on real files, as a planner runs it.

Three tests run the real command in a subprocess (exit codes 0, 1, 2); the
others call the same entry point in-process (``coverage.cli.main``) to keep the
suite fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from coverage.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "coverage", "validate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


class _Out:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _main(capsys, *args: str) -> _Out:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return _Out(code, captured.out, captured.err)


def test_good_file_prints_counts_and_crs_and_exits_0(data_dir):
    out = _run(str(data_dir / "demand_cn.xlsx"), "--kind", "demand", "--crs", "gcj02")
    assert out.returncode == 0, out.stderr
    assert "读取 8 行，载入 8 行，拒绝 0 行" in out.stdout
    assert "8 rows read, 8 loaded, 0 rejected" in out.stdout
    assert "GCJ-02 (Amap/Tencent) -> WGS-84" in out.stdout


def test_bad_file_lists_every_bad_row_and_exits_1(data_dir):
    out = _run(str(data_dir / "demand_bad.csv"), "--kind", "demand")
    assert out.returncode == 1
    for row in (3, 4, 5, 6, 7, 8, 9, 10, 11):
        assert f"row {row}," in out.stdout, row
    assert "row 12" in out.stdout and "[warning]" in out.stdout  # same spot: warned, loaded
    assert "duplicate id: row 2 has the same id" in out.stdout
    assert "约三百" in out.stdout


def test_json_report(capsys, data_dir):
    out = _main(capsys, str(data_dir / "facilities_bad.csv"), "--kind", "facilities", "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["rejected_rows"] == [3, 5]
    assert report["readable"] is True
    codes = {p["code"] for p in report["problems"]}
    assert {"unknown_facility_type", "unknown_status", "non_numeric"} <= codes


def test_unreadable_file_exits_2(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"garbage")
    out = _run(str(tmp_path / "broken.xlsx"), "--kind", "demand")
    assert out.returncode == 2
    assert "broken.xlsx: not a readable .xlsx workbook" in out.stderr


def test_layer_without_crs_exits_2_and_says_pass_crs(capsys, data_dir):
    out = _main(capsys, str(data_dir / "facilities_nocrs.shp"), "--kind", "facilities", "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout)["readable"] is False
    assert "--crs" in json.loads(out.stdout)["error"]


def test_missing_column_exits_1_with_accepted_headers(capsys, tmp_path):
    (tmp_path / "f.csv").write_text("名称,经度,纬度\n甲,102.5,24.3\n", encoding="utf-8")
    out = _main(capsys, str(tmp_path / "f.csv"), "--kind", "facilities")
    assert out.returncode == 1
    assert "needs a column '类型'" in out.stderr
    assert "设施类型" in out.stdout


def test_map_option_and_strict(capsys, tmp_path):
    (tmp_path / "f.csv").write_text("名称,种类X,经度,纬度\n甲,敬老院,102.5,24.3\n乙,不明,102.6,24.4\n",
                                    encoding="utf-8")
    out = _main(capsys, str(tmp_path / "f.csv"), "--kind", "facilities", "--map", "种类X=type", "--strict")
    assert out.returncode == 1
    assert "strict mode" in out.stderr
    assert "row 3" in out.stdout
    out = _main(capsys, str(tmp_path / "f.csv"), "--kind", "facilities", "--map", "种类X")
    assert out.returncode == 2 and "HEADER=COLUMN" in out.stderr


def test_boundaries_with_sheet_as_layer(capsys, data_dir):
    out = _main(capsys, str(data_dir / "county_cgcs2000.gpkg"), "--kind", "boundaries", "--sheet", "county",
               "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "1 features read, 1 loaded" in out.stdout and "EPSG:4543" in out.stdout


def test_region_option_bbox_and_layer(capsys, data_dir):
    out = _main(capsys, str(data_dir / "demand_bad.csv"), "--kind", "demand", "--lang", "en",
                "--region", str(data_dir / "county_cgcs2000.gpkg"))
    assert out.returncode == 1
    assert "row 13, column '经度' = '102.71, 25.04': point (102.71, 25.04) is 59.8 km outside" in out.stdout
    out = _main(capsys, str(data_dir / "townships_gbk.shp"), "--kind", "boundaries", "--lang", "en",
                "--region", "102.6,24.3,102.8,24.5", "--region-tolerance-km", "1")
    assert out.returncode == 1
    assert "feature 1" in out.stdout and "16.2 km outside the study region" in out.stdout
    assert "feature 3" not in out.stdout
