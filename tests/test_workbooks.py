"""The three workbooks (coverage analysis, result export, siting proposal) read like a bureau's own tables.

Each is written for real (the command line on the Yuxi demo, the export writer, the proposal
writer) and opened with openpyxl: a 说明 sheet with the data source, the date and the simulated
mark; every header once, bold, frozen; shares as percentages; 是/否 rather than True/False;
labels, not keys; columns sized to their content.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from test_reports import tiny_report

from app_pages.text import has_cjk
from coverage import taxonomy
from coverage.cli import main
from coverage.reports import write_workbook

RAW = frozenset({"True", "False", "walk", "car", "ebike", "optimal", "feasible", "time_limit", "prefecture",
                 *taxonomy.POPULATION_GROUPS, *taxonomy.FACILITY_TYPES, "elderly_15min", "children_20min"})


def _check_sheet(ws: Any, *, lang: str = "zh") -> dict[str, int]:
    """Asserts the house style of one table sheet; returns header -> column number."""
    header = [c.value for c in ws[1]]
    assert all(header), f"{ws.title}: empty header cell {header}"
    assert len(set(header)) == len(header), f"{ws.title}: repeated header {header}"
    assert all(ws.cell(row=1, column=j).font.b for j in range(1, len(header) + 1)), ws.title
    assert ws.freeze_panes in ("A2", "C2"), (ws.title, ws.freeze_panes)
    if lang == "en":
        assert not any(has_cjk(h) for h in header), (ws.title, header)
    else:
        assert not [h for h in header if re.fullmatch(r"[a-z_]+", str(h))], (ws.title, header)
    for row in ws.iter_rows(min_row=2, values_only=True):
        for value in row:
            assert not isinstance(value, bool), f"{ws.title}: a true/false cell"
            assert not (isinstance(value, str) and value in RAW), f"{ws.title}: raw key {value!r}"
    for j in range(1, len(header) + 1):
        width = ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width
        assert width and width >= 6, (ws.title, header[j - 1], width)
    return {h: j for j, h in enumerate(header, start=1)}


def _about(ws: Any) -> dict[str, str]:
    rows = [r for r in ws.iter_rows(values_only=True) if r and r[0] is not None]
    return {str(r[0]): str(r[1]) for r in rows if len(r) > 1}


@pytest.fixture(scope="module")
def coverage_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    books = {"zh": folder / "覆盖分析.xlsx", "en": folder / "coverage.xlsx"}
    assert main(["analyze", "--region", "yuxi", "--xlsx", str(books["zh"])]) == 0
    assert main(["analyze", "--region", "yuxi", "--lang", "en", "--xlsx", str(books["en"])]) == 0
    return books


def test_coverage_workbook_is_styled_and_labelled(coverage_books):
    wb = load_workbook(coverage_books["zh"])
    assert wb.sheetnames[0] == "说明" and "汇总" in wb.sheetnames
    about = _about(wb["说明"])
    assert about["数据来源"] == "玉溪市" and "示例数据（模拟）" in about["数据说明"]
    assert about["制表日期"] == dt.date.today().isoformat()
    for ws in wb.worksheets[1:]:
        _check_sheet(ws)
    summary = wb["汇总"]
    cols = _check_sheet(summary)
    assert "服务" in cols and "人群" in cols
    assert summary.cell(row=2, column=cols["覆盖率"]).number_format == "0.0%"
    assert summary.cell(row=2, column=cols["是否达标"]).value in ("是", "否")
    assert summary.cell(row=2, column=cols["出行方式"]).value == "步行"
    assert summary.cell(row=2, column=cols["覆盖人数"]).number_format == "#,##0"
    assert "elderly_15min" not in {c.value for c in wb["分区统计"]["E"]}


def test_coverage_workbook_in_english(coverage_books):
    wb = load_workbook(coverage_books["en"])
    assert wb.sheetnames[0] == "About"
    about = _about(wb["About"])
    assert "Simulated" in about["Data note"]
    for ws in wb.worksheets[1:]:
        _check_sheet(ws, lang="en")
    cols = _check_sheet(wb["summary"], lang="en")
    assert wb["summary"].cell(row=2, column=cols["Target met"]).value in ("yes", "no")


def test_export_workbook_is_styled(tmp_path):
    out = tmp_path / "覆盖结果.xlsx"
    assert main(["export", "--region", "yuxi", "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "说明"
    assert "示例数据（模拟）" in _about(wb["说明"])["数据说明"]
    for ws in wb.worksheets[1:]:
        cols = _check_sheet(ws)
        if "覆盖率" in cols and ws.max_row > 1:
            assert ws.cell(row=2, column=cols["覆盖率"]).number_format == "0.0%"


def test_proposal_workbook_has_an_about_sheet_and_styled_tables(tmp_path):
    wb = load_workbook(write_workbook(tiny_report(), tmp_path / "方案.xlsx"))
    about = _about(wb["说明"])
    assert about["制表日期"] == "2026-11-23" and "示例数据（模拟）" in about["数据说明"]
    for name in ("乡镇覆盖", "拟建站点", "未覆盖村(社区)"):
        _check_sheet(wb[name])
    real = load_workbook(write_workbook(tiny_report(simulated=False), tmp_path / "real.xlsx"))
    assert "示例数据" not in _about(real["说明"])["数据说明"]
