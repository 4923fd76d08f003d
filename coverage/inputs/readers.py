"""Read planners' files into text tables: CSV, XLSX, GeoJSON, GeoPackage, Shapefile.

Every cell is read as text (so "001" stays "001" and a 12-digit code is not
rounded); the loaders convert what needs converting and report what cannot be.
CSV encodings are detected: UTF-8 (with or without BOM), then GB18030 (a
superset of GBK, which Excel on Chinese Windows writes).  A Shapefile's .dbf
without a .cpg is decoded the same way.  The header row is found among the
first rows (lists often start with a title such as "XX县村庄名单"), and each
data row keeps the row number Excel shows.

Example
-------
>>> table = read_table("村庄名单.xlsx")  # doctest: +SKIP
>>> table.frame.columns.tolist()[:3], table.rows[:2]  # doctest: +SKIP
(['编号', '村名', '经度'], array([2, 3]))
"""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import FileReadError
from coverage.taxonomy import normalize_label

__all__ = ["RawTable", "read_table", "TABLE_SUFFIXES", "LAYER_SUFFIXES", "cell_text"]

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")

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


def _to_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        out[col] = pd.Series([cell_text(v) for v in values], index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _find_header(grid: list[list[str | None]], score: Callable[[list[str | None]], int]) -> int:
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


def _frame_from_grid(grid: list[list[str | None]], *, source: str, header_score: Callable[[list[str | None]], int],
                     first_row_number: int = 1) -> tuple[pd.DataFrame, npt.NDArray[np.int64], list[str]]:
    """Split a grid of text cells into header and data, dropping blank rows (noted)."""
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
        name = header[j] if header[j] is not None else f"(column {j + 1})"
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
    return frame, rows, notes


def _decode(raw: bytes, *, source: str) -> tuple[str, str, bool]:
    """Decode CSV bytes: (text, encoding, had_errors).

    UTF-16 with a BOM, UTF-8 with a BOM, UTF-8, GB18030 (a superset of GBK) in
    that order; a file that is neither decodes with replacement characters, by
    the encoding under which fewer lines fail, and the cells affected are
    reported as undecodable.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" (UTF-16, tab-separated)
        text = raw.decode("utf-16", errors="replace")
        return text, "utf-16", "\ufffd" in text
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="replace")
        return text, "utf-8-sig", "\ufffd" in text
    try:
        return raw.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    lines = raw.splitlines()
    bad_utf8 = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad_utf8 += 1
    try:
        return raw.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        pass
    if bad_utf8 <= max(1, len(lines) // 2):
        text = raw.decode("utf-8", errors="replace")
        return text, "utf-8", True
    return raw.decode("gb18030", errors="replace"), "gb18030", True


def _read_csv_bytes(raw: bytes, *, source: str,
                    header_score: Callable[[list[str | None]], int]) -> RawTable:
    text, encoding, had_errors = _decode(raw, source=source)
    first = text.split("\n", 1)[0]
    sep = max([",", "\t", ";", "|"], key=first.count)
    if first.count(sep) == 0:
        sep = ","
    import csv

    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        grid = [[(c.strip() or None) for c in row] for row in reader]
    except csv.Error as exc:
        raise FileReadError(f"{source}: not a readable CSV file ({exc}) / 无法解析 CSV 文件") from exc
    # csv.reader yields [] for an empty line: keep it so row numbers stay the line numbers.
    frame, rows, notes = _frame_from_grid(grid, source=source, header_score=header_score)
    table = RawTable(frame=frame, rows=rows, source=source, encoding=encoding, notes=notes)
    if had_errors:
        table.undecodable = _replacement_cells(frame)
        if any("\ufffd" in str(c) for c in frame.columns):
            raise FileReadError(f"{source}: the header row cannot be decoded as UTF-8 or GBK; save the file again "
                                f"as 'CSV UTF-8' / 表头无法解码：请在 Excel 中另存为“CSV UTF-8”")
    return table


def _replacement_cells(frame: pd.DataFrame) -> list[tuple[int, str]]:
    cells: list[tuple[int, str]] = []
    for col in frame.columns:
        mask = frame[col].astype("string").str.contains("\ufffd", regex=False).fillna(False).to_numpy(dtype=bool)
        cells.extend((int(i), str(col)) for i in np.flatnonzero(mask))
    return sorted(cells)


def _read_xlsx(data: Any, *, source: str, sheet: str | int | None,
               header_score: Callable[[list[str | None]], int]) -> RawTable:
    """Read a worksheet with python-calamine (fast, Rust) when installed, else openpyxl."""
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - calamine is in requirements.txt
        python_calamine = None
    if python_calamine is not None:
        return _read_xlsx_calamine(data, source=source, sheet=sheet, header_score=header_score)
    return _read_xlsx_openpyxl(data, source=source, sheet=sheet, header_score=header_score)


def _sheet_not_found(source: str, sheet: str | int, names: list[str]) -> FileReadError:
    if isinstance(sheet, int):
        return FileReadError(f"{source}: there is no sheet number {sheet}; sheets: {', '.join(names)}")
    return FileReadError(f"{source}: there is no sheet '{sheet}'; sheets: {', '.join(names)} / "
                         f"找不到工作表“{sheet}”，现有：{'、'.join(names)}")


def _read_xlsx_calamine(data: Any, *, source: str, sheet: str | int | None,
                        header_score: Callable[[list[str | None]], int]) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(data, (str, os.PathLike)):
            book = CalamineWorkbook.from_path(os.fspath(data))
        else:
            book = CalamineWorkbook.from_filelike(data)
    except Exception as exc:  # calamine raises its own CalamineError and others
        raise FileReadError(f"{source}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
                            f"open it in Excel and save as .xlsx / 无法读取该 Excel 文件，请在 Excel 中另存为 .xlsx") from exc
    names = list(book.sheet_names)
    if sheet is None:
        title = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _sheet_not_found(source, sheet, names)
        title = names[sheet]
    elif sheet in names:
        title = sheet
    else:
        raise _sheet_not_found(source, sheet, names)
    try:
        values = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
    except Exception as exc:
        raise FileReadError(f"{source}: sheet '{title}' cannot be read ({type(exc).__name__}: {exc})") from exc
    grid = [[cell_text(v) for v in row] for row in values]
    frame, rows, notes = _frame_from_grid(grid, source=source, header_score=header_score)
    return RawTable(frame=frame, rows=rows, source=source, sheet=title, notes=notes)


def _read_xlsx_openpyxl(data: Any, *, source: str, sheet: str | int | None,
                        header_score: Callable[[list[str | None]], int]) -> RawTable:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation / conditional formatting it drops: irrelevant here.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile.BadZipFile, KeyError, InvalidFileException)
        raise FileReadError(f"{source}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
                            f"open it in Excel and save as .xlsx / 无法读取该 Excel 文件，请在 Excel 中另存为 .xlsx") from exc
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise _sheet_not_found(source, sheet, names)
            ws = book[names[sheet]]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise _sheet_not_found(source, sheet, names)
        # Read-only worksheets yield every row from row 1, empty ones as empty cells.
        grid: list[list[str | None]] = [[cell_text(v) for v in row]
                                        for row in ws.iter_rows(min_row=1, values_only=True)]
        title = ws.title
    finally:
        book.close()
    frame, rows, notes = _frame_from_grid(grid, source=source, header_score=header_score)
    return RawTable(frame=frame, rows=rows, source=source, sheet=title, notes=notes)


def _dbf_encoding(dbf_bytes: bytes) -> str:
    """Guess the encoding of a .dbf's records: UTF-8 when it decodes, else GB18030."""
    if len(dbf_bytes) < 32:
        return "utf-8"
    header_len = int.from_bytes(dbf_bytes[8:10], "little")
    body = dbf_bytes[32:header_len] + dbf_bytes[header_len:]
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _read_layer(path: Path, *, source: str, layer: str | int | None) -> RawTable:
    import pyogrio

    target = str(path)
    encoding = None
    if path.suffix.lower() == ".zip":
        target = f"zip://{path}"
        with zipfile.ZipFile(path) as zf:
            members = zf.namelist()
            shp = [m for m in members if m.lower().endswith(".shp")]
            if shp:
                stem = shp[0][:-4]
                if not any(m.lower() == (stem + ".cpg").lower() for m in members):
                    dbf = [m for m in members if m.lower() == (stem + ".dbf").lower()]
                    if dbf:
                        encoding = _dbf_encoding(zf.read(dbf[0]))
                target = f"zip://{path}!{shp[0]}"
    elif path.suffix.lower() == ".shp":
        cpg = [p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()]
        dbf = [p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()]
        if not cpg and dbf:
            encoding = _dbf_encoding(dbf[0].read_bytes())
    kwargs: dict[str, Any] = {}
    if encoding:
        kwargs["encoding"] = encoding
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Several drivers matching" etc.
            gdf = pyogrio.read_dataframe(target, **kwargs)
    except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
        raise FileReadError(f"{source}: cannot read this layer ({type(exc).__name__}: {exc}) / "
                            f"无法读取该图层文件") from exc
    geometry = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf else None
    attributes = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name])) if geometry is not None else pd.DataFrame(gdf)
    frame = _to_text_frame(attributes.reset_index(drop=True))
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    table = RawTable(frame=frame, rows=rows, source=source, row_label="feature",
                     geometry=None if geometry is None else geometry.reset_index(drop=True),
                     crs=None if geometry is None else gdf.crs, encoding=encoding,
                     sheet=str(layer) if layer is not None else None)
    table.undecodable = _replacement_cells(frame)
    return table


def _header_score_default(row: list[str | None]) -> int:
    return sum(1 for c in row if c is not None)


def read_table(data: Any, *, sheet: str | int | None = None,
               header_score: Callable[[list[str | None]], int] | None = None) -> RawTable:
    """Read a table or layer as text.

    Parameters
    ----------
    data
        A path (str / os.PathLike) to .csv/.txt/.tsv, .xlsx, .geojson/.json, .gpkg,
        .shp or a .zip holding a Shapefile; a file-like object with a ``name``
        (e.g. an uploaded file) holding a CSV or XLSX; or a DataFrame /
        GeoDataFrame.
    sheet
        Worksheet name or 0-based number for .xlsx; layer name for .gpkg.
    header_score
        Scores a candidate header row (higher = more likely); the loaders pass
        one that counts known column aliases.

    Returns
    -------
    RawTable

    Raises
    ------
    FileReadError
        When the file is missing, of an unknown type, or cannot be parsed.
    """
    score = header_score or _header_score_default
    if isinstance(data, pd.DataFrame):
        return _from_frame(data)
    if hasattr(data, "read") and not isinstance(data, (str, os.PathLike)):
        name = str(getattr(data, "name", "upload"))
        raw = data.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        suffix = Path(name).suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(io.BytesIO(raw), source=name, sheet=sheet, header_score=score)
        if suffix in (".csv", ".txt", ".tsv", ""):
            return _read_csv_bytes(raw, source=name, header_score=score)
        raise FileReadError(f"{name}: only CSV and XLSX can be read from an upload; save layers to a file first")
    path = Path(os.fspath(data))
    source = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileReadError(f"{source}: no such file / 文件不存在")
    if path.is_dir():
        raise FileReadError(f"{source}: is a folder, not a file / 这是文件夹而不是文件")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, source=source, sheet=sheet, header_score=score)
    if suffix == ".xls":
        raise FileReadError(f"{source}: old .xls workbooks are not supported; open it in Excel and save as .xlsx / "
                            f"不支持旧版 .xls，请在 Excel 中另存为 .xlsx")
    if suffix in (".csv", ".txt", ".tsv"):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FileReadError(f"{source}: cannot be opened ({exc})") from exc
        return _read_csv_bytes(raw, source=source, header_score=score)
    if suffix in LAYER_SUFFIXES:
        return _read_layer(path, source=source, layer=sheet)
    raise FileReadError(f"{source}: unknown file type '{suffix}'; use .xlsx, .csv, .geojson, .gpkg or .shp / "
                        f"不支持的文件类型")


def _from_frame(frame: pd.DataFrame) -> RawTable:
    geometry = None
    crs = None
    attributes = frame
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geometry = frame.geometry.reset_index(drop=True)
        crs = frame.crs
        attributes = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
    text = _to_text_frame(attributes.reset_index(drop=True))
    text.columns = [str(c) for c in text.columns]
    rows = np.arange(2, len(text) + 2, dtype=np.int64)
    return RawTable(frame=text, rows=rows, source="<DataFrame>", geometry=geometry, crs=crs)


def alias_score(known: set[str]) -> Callable[[list[str | None]], int]:
    """A header scorer counting cells that are known aliases (normalised)."""

    def score(row: list[str | None]) -> int:
        return sum(1 for c in row if c is not None and normalize_label(c) in known)

    return score
