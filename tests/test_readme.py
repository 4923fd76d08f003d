"""The README's command-line quick start runs verbatim, top to bottom, on a fresh folder."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quick start: begin -->\s*```\n(.*?)```\s*<!-- quick start: end -->", text, re.S)
    assert block, "README.md lost its quick-start block markers"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.slow
def test_quick_start_runs_verbatim(tmp_path: Path) -> None:
    lines = quick_start_lines()
    assert len(lines) >= 8 and all(line.startswith("python -m coverage ") for line in lines)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COVERAGE_PLANNER_LOG_DIR": str(tmp_path / "logs")}
    outputs: dict[str, str] = {}
    for line in lines:
        argv = [sys.executable, *shlex.split(line)[1:]]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr
        outputs[shlex.split(line)[3]] = proc.stdout
    # each step's files are where the next one reads them
    assert (tmp_path / "玉溪示例" / "村庄名单.xlsx").is_file()
    assert (tmp_path / "覆盖分析.xlsx").is_file()
    assert (tmp_path / "od.csv").stat().st_size > 1000
    chosen = json.loads(outputs["optimize"])
    assert chosen["status"] == "optimal" and len(chosen["selected"]) == 5
    assert chosen["covered_weight"] > 0
    villages = gpd.read_file(tmp_path / "覆盖结果.gpkg", layer="villages")
    assert len(villages) == 718
    assert (tmp_path / "地图" / "分布图.pdf").stat().st_size > 10_000
    report = list((tmp_path / "地图" / "选址方案").glob("*.pdf"))
    assert len(report) == 1 and report[0].stat().st_size > 10_000
