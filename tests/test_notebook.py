"""The walkthrough notebook runs from top to bottom and prints the proposal."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"


def test_walkthrough_notebook_executes_and_prints(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in requirements-dev.txt")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in requirements-dev.txt")
    pytest.importorskip("ipykernel", reason="ipykernel is in requirements-dev.txt")
    from openpyxl import load_workbook

    monkeypatch.setenv("COVERAGE_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # no jupyter_core path-migration warning
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell

    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    for name in ("yuxi_distribution.pdf", "yuxi_proposal_A3.pdf", "yuxi_elderly_15min_proposal.xlsx"):
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 5_000, name
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "yuxi_proposal_A3.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "玉溪市15分钟养老服务圈选址方案图" in text and "示例数据（模拟）" in text
    wb = load_workbook(tmp_path / "yuxi_elderly_15min_proposal.xlsx")
    assert wb.sheetnames == ["汇总", "乡镇覆盖", "拟建站点", "未覆盖村(社区)", "说明"]
    assert wb["拟建站点"].max_row == 1 + 8  # header and the 8 proposed sites
    # the notebook shows its results: the summary table and the map previews are in the outputs
    kinds = {
        key
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        for key in o.get("data", {})
    }
    assert {"image/png", "text/html"} <= kinds
    assert os.environ["COVERAGE_NOTEBOOK_OUT"] == str(tmp_path)
