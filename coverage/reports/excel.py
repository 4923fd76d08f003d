"""Workbook styling shared by every Excel file the project writes.

A bureau's own tables: bold headers on a tinted band (once, no repeated header), panes frozen
under the header, columns sized to their content (CJK characters counted double), thousands
separators, percentages and minutes with one decimal, 是/否 for true/false, and a 说明 sheet
with the data source, the date and the 示例数据（模拟） mark where it applies.

Example
-------
>>> from openpyxl import Workbook
>>> wb = Workbook()
>>> about_sheet(wb, source="玉溪市示例", simulated=True)   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from coverage.output import safe_text, text_cells

__all__ = ["about_sheet", "cell_value", "display_width", "fit_columns", "number_format", "table_sheet",
           "write_table"]

HEADER_FILL = "DCE6F1"
MAX_WIDTH = 60

#: Number formats by canonical column (values 0..1 shown as percent).
PERCENT_COLUMNS = frozenset({"share", "target_share", "utilisation_share", "expected_occupancy_share",
                             "occupancy_share", "actual_occupancy_share"})
MINUTES_COLUMNS = frozenset({"travel_time_min", "threshold_min", "median_travel_time_min", "p90_travel_time_min",
                             "mean_time_before_min", "mean_time_after_min"})


def display_width(value: Any) -> int:
    """Width of ``value`` in a cell, in Excel character units (CJK characters count double)."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        text = f"{value:,.1f}" if isinstance(value, (float, np.floating)) else f"{value:,}"
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def number_format(header: str, series: pd.Series) -> str | None:
    """The number format of a column by its (Chinese) header: percent points, minutes, coordinates, counts."""
    if "%" in header or "率" in header:
        return "0.0"
    if header in ("经度", "纬度", "Longitude", "Latitude"):
        return "0.000000"
    if "分钟" in header or "(min)" in header:
        return "0.0"
    if "万元" in header:
        return "#,##0.0"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "#,##0" if pd.api.types.is_integer_dtype(series) or bool((series.dropna() % 1 == 0).all()) \
            else "#,##0.0"
    return None


def cell_value(value: Any, *, lang: str = "zh") -> Any:
    """A value as a cell holds it: NaN empty, numpy scalars plain, true/false as 是/否, text made safe."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return safe_text(value)  # control characters a workbook cannot hold are removed (logged)


def write_table(ws: Any, df: pd.DataFrame, *, start_row: int = 1, wrap_columns: tuple[str, ...] = (),
                formats: Mapping[str, str] | None = None, lang: str = "zh") -> int:
    """Write ``df`` with a styled header at ``start_row`` (1-based); returns the next free row.

    ``formats`` (header -> number format) overrides the format guessed from the header; a
    first cell "合计" / "Total" makes its row bold.
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    header_font = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for j, name in enumerate(df.columns, start=1):
        c = ws.cell(row=start_row, column=j, value=safe_text(str(name), column="header"))
        c.font = header_font
        c.fill = fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    given = dict(formats or {})
    fmts = {name: given.get(str(name)) or number_format(str(name), df[name]) for name in df.columns}
    for i, row in enumerate(df.itertuples(index=False), start=start_row + 1):
        for j, (name, value) in enumerate(zip(df.columns, row, strict=True), start=1):
            c = ws.cell(row=i, column=j, value=cell_value(value, lang=lang))
            fmt = fmts[name]
            if fmt and isinstance(c.value, (int, float)):
                c.number_format = fmt
            c.border = Border(bottom=Side(style="hair", color="D9D9D9"))
            if name in wrap_columns:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if len(row) and str(row[0]) in ("合计", "Total"):
            for j in range(1, len(df.columns) + 1):
                ws.cell(row=i, column=j).font = Font(bold=True)
                ws.cell(row=i, column=j).border = Border(top=thin, bottom=thin)
    return start_row + len(df) + 1


def fit_columns(ws: Any, df: pd.DataFrame, *, first_col: int = 1, min_width: int = 6,
                wrap_columns: tuple[str, ...] = (), wrap_width: int = MAX_WIDTH) -> None:
    """Size each column to its header and first 500 values (CJK counted double), at most 60 wide."""
    from openpyxl.utils import get_column_letter

    for j, name in enumerate(df.columns, start=first_col):
        if name in wrap_columns:
            width = wrap_width
        else:
            values = [display_width(v) for v in df[name].tolist()[:500]]
            width = max([display_width(name), *values, min_width]) + 2
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, min(width, MAX_WIDTH))


def table_sheet(wb: Any, name: str, df: pd.DataFrame, *, formats: Mapping[str, str] | None = None,
                wrap_columns: tuple[str, ...] = (), wrap_width: int = MAX_WIDTH, freeze: str = "A2",
                lang: str = "zh") -> Any:
    """A new sheet ``name`` (cut to Excel's 31 characters) holding ``df``: styled header, frozen, fitted, printable."""
    ws = wb.create_sheet(safe_text(name)[:31])
    write_table(ws, df, start_row=1, wrap_columns=wrap_columns, formats=formats, lang=lang)
    fit_columns(ws, df, wrap_columns=wrap_columns, wrap_width=wrap_width)
    ws.freeze_panes = freeze
    ws.row_dimensions[1].height = 30
    ws.auto_filter.ref = ws.dimensions if len(df) else None
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    text_cells(ws)  # names from the user's files such as "=1+1" are text, never formulas
    return ws


def about_sheet(wb: Any, *, source: str, simulated: bool, lang: str = "zh", title: str = "",
                rows: list[tuple[str, str]] | None = None, date: str | None = None, index: int = 0) -> Any:
    """The 说明 (About) sheet: title, data source, date, the simulated-data mark and any further rows."""
    from openpyxl.styles import Font

    i = 0 if lang == "zh" else 1
    mark = ("示例数据（模拟）：仅供演示，不代表真实情况", "Simulated demo data: for demonstration only")[i]
    items = [(("数据来源", "Data source")[i], source or "—"),
             (("制表日期", "Date")[i], date or _dt.date.today().isoformat()),
             (("数据说明", "Data note")[i], mark if simulated else ("—"))]
    items += rows or []
    df = pd.DataFrame(items, columns=[("项目", "Item")[i], ("内容", "Content")[i]])
    ws = wb.create_sheet(("说明", "About")[i], index)
    start = 1
    if title:
        ws.cell(row=1, column=1, value=safe_text(title)).font = Font(bold=True, size=14)
        start = 3
    write_table(ws, df, start_row=start, lang=lang)
    if simulated:
        ws.cell(row=start + 3, column=2).font = Font(color="C00000", bold=True)
    fit_columns(ws, df)
    ws.freeze_panes = f"A{start + 1}"
    text_cells(ws)
    return ws
