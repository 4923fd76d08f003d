"""The text table every reader produces, and the header search shared by tables and worksheets.

A :class:`RawTable` holds a user's file as text cells with the row numbers
Excel shows; :func:`frame_from_grid` finds the header row among the leading
rows (lists often start with a title such as "XX县村庄名单") and drops blank
rows, noting what it skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import FileReadError
from coverage.taxonomy import normalize_label

__all__ = ["HEADER_SEARCH_ROWS", "CellIssue", "HeaderScore", "RawTable", "alias_score", "cell_text",
           "count_filled_cells", "frame_from_grid", "replacement_cells", "to_text_frame"]

#: Scores a candidate header row (higher = more likely the header).
HeaderScore = Callable[[list[str | None]], int]

#: How many leading rows are searched for the header row.
HEADER_SEARCH_ROWS = 10


@dataclass
class RawTable:
    """A user's table as text, before any validation.

    Attributes
    ----------
    frame
        One column per user header (as written), every cell a ``str`` or None
        (empty); the index is positional.
    rows
        Row number of each frame row as the user sees it: the Excel row for
        tables (header is row 1 when it is the first row), the feature number
        (from 1) for layers.
    source
        File name (or "<DataFrame>") for messages.
    row_label
        "row" for tables, "feature" for layers.
    geometry
        The layer's geometries (or a GeoDataFrame's), else None.
    crs
        The CRS the file claims (layers), else None.
    encoding
        The text encoding used, when one was detected.
    sheet
        The worksheet or layer read, when there was a choice.
    undecodable
        (frame row position, header) of cells that could not be decoded.
    notes
        Remarks for the report (blank rows skipped, title rows above the header).
    issues
        Problems found while reading, for the report: each a :class:`CellIssue`
        (a control character removed, a line in another encoding, a quote never
        closed).
    bad_cells
        Worksheet cells whose value is an Excel error (``#N/A``, ``#DIV/0!`` ...)
        or a formula saved without its value: (frame row position, header, cell
        reference such as "D7", what: the error code or "formula"). The frame
        holds None there; the loader rejects the row or warns, by column.
    """

    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    source: str
    row_label: str = "row"
    geometry: gpd.GeoSeries | None = None
    crs: Any = None
    encoding: str | None = None
    sheet: str | None = None
    undecodable: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    issues: list[CellIssue] = field(default_factory=list)
    bad_cells: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CellIssue:
    """A problem found while reading a file, before any column is interpreted.

    Attributes
    ----------
    position
        Frame row position, or None for the whole file.
    header
        The user's header, or None for the whole row.
    value
        The cell (or line) as read, or None.
    severity
        "error" rejects the row; "warning" loads it.
    code, message, message_zh, fix, fix_zh
        As in :class:`coverage.inputs.validate.Problem`.
    """

    position: int | None
    header: str | None
    value: str | None
    severity: str
    code: str
    message: str
    message_zh: str
    fix: str
    fix_zh: str


def cell_text(value: object) -> str | None:
    """A cell as text: None for empty, integral floats without ".0", large numbers in full.

    >>> cell_text(530402101001.0), cell_text(" 001 "), cell_text(float("nan")), cell_text(2.5)
    ('530402101001', '001', None, '2.5')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.floating):
        return cell_text(float(value))
    text = str(value).strip()
    return text or None


def to_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        out[col] = pd.Series([cell_text(v) for v in values], index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _find_header(grid: list[list[str | None]], score: HeaderScore) -> int:
    """Index of the header row among the leading rows.

    The row with the most known column aliases wins (the first such row); with no
    alias anywhere, the first row having the most non-empty cells (a title row
    above the header has one).
    """
    head = grid[:HEADER_SEARCH_ROWS]
    scores = [score(row) for row in head]
    if scores and max(scores) > 0:
        return scores.index(max(scores))
    filled = [sum(1 for c in row if c is not None) for row in head]
    return filled.index(max(filled)) if filled else 0


def frame_from_grid(grid: list[list[str | None]], *, source: str, header_score: HeaderScore,
                    first_row_number: int = 1) -> tuple[pd.DataFrame, npt.NDArray[np.int64], list[str], list[int]]:
    """Split a grid of text cells into header and data, dropping blank rows (noted).

    Returns the frame, the row number of each frame row, notes, and the grid
    column index of each frame column.
    """
    notes: list[str] = []
    if not grid:
        raise FileReadError(f"{source}: the file is empty / 文件为空")
    h = _find_header(grid, header_score)
    if h > 0:
        notes.append(f"{h} title row(s) above the header were skipped; the header is row {h + first_row_number} / "
                     f"表头在第 {h + first_row_number} 行，其上 {h} 行标题已跳过")
    width = max(len(r) for r in grid)
    header = list(grid[h]) + [None] * (width - len(grid[h]))
    # Drop trailing unnamed, empty columns (Excel's ",,," tails).
    data = [r if len(r) == width else list(r) + [None] * (width - len(r)) for r in grid[h + 1:]]
    full = pd.DataFrame(data, columns=range(width), dtype=object)
    filled = full.notna().any(axis=0).to_numpy() if len(full) else np.zeros(width, dtype=bool)
    keep = [j for j in range(width) if header[j] is not None or filled[j]]
    names: list[str] = []
    for j in keep:
        cell = header[j]
        name = cell if cell is not None else f"(column {j + 1})"
        base, k = name, 2
        while name in names:
            name, k = f"{base}.{k}", k + 1
        names.append(name)
    rows = np.arange(len(data), dtype=np.int64) + h + 1 + first_row_number
    frame = full[keep].set_axis(names, axis=1)
    if len(frame):
        blank = frame.isna().all(axis=1).to_numpy()
    else:
        blank = np.zeros(0, dtype=bool)
    if blank.any():
        notes.append(f"{int(blank.sum())} blank row(s) ignored / 已忽略 {int(blank.sum())} 个空行")
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return frame, rows, notes, keep


def replacement_cells(frame: pd.DataFrame) -> list[tuple[int, str]]:
    cells: list[tuple[int, str]] = []
    for col in frame.columns:
        mask = frame[col].astype("string").str.contains("\ufffd", regex=False).fillna(False).to_numpy(dtype=bool)
        cells.extend((int(i), str(col)) for i in np.flatnonzero(mask))
    return sorted(cells)


def count_filled_cells(row: list[str | None]) -> int:
    return sum(1 for c in row if c is not None)


def alias_score(known: set[str]) -> HeaderScore:
    """A header scorer counting cells that are known aliases (normalised)."""

    def score(row: list[str | None]) -> int:
        return sum(1 for c in row if c is not None and normalize_label(c) in known)

    return score
