"""The proposal workbook: Excel with Chinese (or English) headers, formatted for printing and filing.

Sheets: 汇总 (the facts of the run and the before/after figures), 乡镇覆盖 (per
township coverage before and after, a 合计 row last), 拟建站点 (the proposed
sites with their reasons and alternatives), 未覆盖村(社区) (villages still
uncovered, most people first), 说明 (data source, date, the simulated-data
mark).  Headers are bold on a tinted band, columns
sized to their content (CJK characters counted double), panes frozen under the
header, thousands separators and one-decimal percentages.

Example
-------
>>> from coverage.reports import write_workbook
>>> write_workbook(report, "maps/玉溪市_选址方案.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path

from coverage.output import output_path, safe_text, text_cells
from coverage.reports.excel import MAX_WIDTH, about_sheet, display_width, table_sheet, write_table
from coverage.reports.proposal import TABLE_KEYS, ProposalReport

__all__ = ["write_workbook"]

logger = logging.getLogger(__name__)

_TITLE_SIZE = 14


def write_workbook(report: ProposalReport, path: str | Path) -> Path:
    """Write the proposal workbook (.xlsx), headers and words in the report's language (``report.lang``).

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
    t = report.t
    made = report.tables()
    tables = {key: made[report.sheet_name(key)] for key in TABLE_KEYS}
    wb = Workbook()
    ws = wb.active
    ws.title = report.sheet_name("summary")
    title = report.title
    ws.cell(row=1, column=1, value=safe_text(title)).font = Font(bold=True, size=_TITLE_SIZE)
    if report.simulated:
        ws.cell(row=2, column=1, value=t("simulated_line")).font = Font(color="C00000", bold=True)
    info = report.info_table()
    row = write_table(ws, info, start_row=4, wrap_columns=(t("content"),), lang=report.lang)
    summary = tables["summary"]
    write_table(ws, summary, start_row=row + 2, lang=report.lang)
    ws.column_dimensions["A"].width = max(display_width(v) for v in [*info[t("item")], *summary[t("indicator")]]) + 4
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].width = 16
    for r in range(5, 5 + len(info)):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=False, vertical="top")
    ws.freeze_panes = "A4"

    for key, wrap in (("townships", ()), ("sites", (t("reasons"), t("alternatives"))), ("uncovered", ())):
        table_sheet(wb, report.sheet_name(key), tables[key], wrap_columns=wrap, freeze="C2",
                    wrap_width=48 if key == "sites" else MAX_WIDTH, lang=report.lang)
    about_sheet(wb, source=report.region_name or "—", simulated=report.simulated, title=title,
                date=report.date, index=len(wb.worksheets), lang=report.lang,
                rows=[(t("service"), report.service_label), (t("solver"), report.solver_note or "—")])
    for sheet in wb.worksheets:  # names from the user's files such as "=1+1" are text, never formulas
        text_cells(sheet)
    wb.properties.creator = "coverage-planner"
    wb.properties.title = safe_text(title)
    wb.save(path)
    logger.info("wrote %s", path)
    return path
