"""The proposal workbook: Excel with Chinese headers, formatted for printing and filing.

Sheets: 汇总 (the facts of the run and the before/after figures), 乡镇覆盖 (per
township coverage before and after, a 合计 row last), 拟建站点 (the proposed
sites with their reasons and alternatives), 未覆盖村(社区) (villages still
uncovered, most people first).  Headers are bold on a tinted band, columns
sized to their content (CJK characters counted double), panes frozen under the
header, thousands separators and one-decimal percentages.

Example
-------
>>> from coverage.reports import write_workbook
>>> write_workbook(report, "maps/玉溪市_选址方案.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage.output import output_path, safe_text, text_cells
from coverage.reports.proposal import ProposalReport

__all__ = ["write_workbook"]

logger = logging.getLogger(__name__)

_HEADER_FILL = "DCE6F1"
_TITLE_SIZE = 14
_MAX_WIDTH = 60


def _display_width(value: Any) -> int:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        text = f"{value:,.1f}" if isinstance(value, (float, np.floating)) else f"{value:,}"
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _number_format(header: str, series: pd.Series) -> str | None:
    if "%" in header or "率" in header:
        return "0.0"
    if header in ("经度", "纬度"):
        return "0.000000"
    if "分钟" in header:
        return "0.0"
    if "万元" in header:
        return "#,##0.0"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "#,##0"
    return None


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return safe_text(value)  # control characters a workbook cannot hold are removed (logged)


def _write_table(ws: Any, df: pd.DataFrame, *, start_row: int, wrap_columns: tuple[str, ...] = ()) -> int:
    """Write ``df`` with a styled header at ``start_row`` (1-based); returns the next free row."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    header_font = Font(bold=True)
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for j, name in enumerate(df.columns, start=1):
        c = ws.cell(row=start_row, column=j, value=safe_text(str(name), column="header"))
        c.font = header_font
        c.fill = fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    formats = {name: _number_format(str(name), df[name]) for name in df.columns}
    for i, row in enumerate(df.itertuples(index=False), start=start_row + 1):
        for j, (name, value) in enumerate(zip(df.columns, row, strict=True), start=1):
            c = ws.cell(row=i, column=j, value=_cell(value))
            fmt = formats[name]
            if fmt and isinstance(c.value, (int, float)):
                c.number_format = fmt
            c.border = Border(bottom=Side(style="hair", color="D9D9D9"))
            if name in wrap_columns:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if str(row[0]) == "合计":
            for j in range(1, len(df.columns) + 1):
                ws.cell(row=i, column=j).font = Font(bold=True)
                ws.cell(row=i, column=j).border = Border(top=thin, bottom=thin)
    return start_row + len(df) + 1


def _fit_columns(
    ws: Any,
    df: pd.DataFrame,
    *,
    first_col: int = 1,
    min_width: int = 6,
    wrap_columns: tuple[str, ...] = (),
    wrap_width: int = _MAX_WIDTH,
) -> None:
    from openpyxl.utils import get_column_letter

    for j, name in enumerate(df.columns, start=first_col):
        if name in wrap_columns:
            width = wrap_width
        else:
            values = [_display_width(v) for v in df[name].tolist()[:500]]
            width = max([_display_width(name), *values, min_width]) + 2
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(
            ws.column_dimensions[letter].width or 0, min(width, _MAX_WIDTH)
        )


def write_workbook(report: ProposalReport, path: str | Path) -> Path:
    """Write the proposal workbook (.xlsx) with Chinese headers.

    Parameters
    ----------
    report
        The proposal (see :func:`coverage.reports.plan_proposal`).
    path
        Output ``.xlsx`` file; parent folders are created.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        When ``path`` does not end in ``.xlsx``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    path = output_path(
        path, suffixes=(".xlsx",), problem="the workbook must be an .xlsx file (Excel 2007 or later)"
    )
    tables = report.tables()
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    title = f"{report.region_name}{report.service_label}选址方案"
    ws.cell(row=1, column=1, value=safe_text(title)).font = Font(bold=True, size=_TITLE_SIZE)
    if report.simulated:
        ws.cell(row=2, column=1, value="示例数据（模拟）：仅供演示，不代表真实情况").font = Font(
            color="C00000", bold=True
        )
    info = report.info_table()
    row = _write_table(ws, info, start_row=4, wrap_columns=("内容",))
    summary = tables["汇总"]
    _write_table(ws, summary, start_row=row + 2)
    ws.column_dimensions["A"].width = max(_display_width(v) for v in [*info["项目"], *summary["指标"]]) + 4
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].width = 16
    for r in range(5, 5 + len(info)):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=False, vertical="top")
    ws.freeze_panes = "A4"

    for name, wrap in (("乡镇覆盖", ()), ("拟建站点", ("选址理由", "备选站点")), ("未覆盖村(社区)", ())):
        df = tables[name]
        sheet = wb.create_sheet(name)
        _write_table(sheet, df, start_row=1, wrap_columns=wrap)
        _fit_columns(sheet, df, wrap_columns=wrap, wrap_width=48 if name == "拟建站点" else _MAX_WIDTH)
        sheet.freeze_panes = "C2"
        sheet.row_dimensions[1].height = 30
        sheet.auto_filter.ref = sheet.dimensions if len(df) else None
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for sheet in wb.worksheets:  # names from the user's files such as "=1+1" are text, never formulas
        text_cells(sheet)
    wb.properties.creator = "coverage-planner"
    wb.properties.title = safe_text(title)
    wb.save(path)
    logger.info("wrote %s", path)
    return path
