"""Read planners' files into text tables: CSV, XLSX, GeoJSON, GeoPackage, Shapefile.

Every cell is read as text (so "001" stays "001" and a 12-digit code is not
rounded); the loaders convert what needs converting and report what cannot be.
One module per kind of file:

- :mod:`~coverage.inputs.readers.csv`: CSV / tab-separated text (encoding per
  line, delimiter guessed, unclosed quotes reported on their row);
- :mod:`~coverage.inputs.readers.excel`: .xlsx worksheets (Excel error cells and
  formulas without a saved value listed);
- :mod:`~coverage.inputs.readers.gis`: GeoJSON, GeoPackage, Shapefile (a .dbf
  without .cpg decoded by a sample of its bytes);
- :mod:`~coverage.inputs.readers.archive`: .zip / .xlsx refused before unpacking
  when they would unpack beyond the limits;
- :mod:`~coverage.inputs.readers.text`: byte decoding, control characters;
- :mod:`~coverage.inputs.readers.table`: :class:`RawTable` and the header search
  (the header row is found among the first rows, and each data row keeps the
  row number Excel shows).

Example
-------
>>> table = read_table("村庄名单.xlsx")  # doctest: +SKIP
>>> table.frame.columns.tolist()[:3], table.rows[:2]  # doctest: +SKIP
(['编号', '村名', '经度'], array([2, 3]))
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import FileReadError
from coverage.inputs.readers.archive import MAX_UNZIPPED_BYTES, MAX_ZIP_RATIO, ZIP_RATIO_FROM_BYTES
from coverage.inputs.readers.csv import read_csv_bytes
from coverage.inputs.readers.excel import read_xlsx
from coverage.inputs.readers.gis import DBF_SAMPLE_BYTES, read_layer
from coverage.inputs.readers.table import (
    HEADER_SEARCH_ROWS,
    CellIssue,
    HeaderScore,
    RawTable,
    alias_score,
    cell_text,
    count_filled_cells,
    to_text_frame,
)
from coverage.inputs.readers.text import CONTROL_CHARACTERS, strip_controls

__all__ = [
    "CONTROL_CHARACTERS",
    "DBF_SAMPLE_BYTES",
    "HEADER_SEARCH_ROWS",
    "LAYER_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_RATIO",
    "TABLE_SUFFIXES",
    "ZIP_RATIO_FROM_BYTES",
    "CellIssue",
    "RawTable",
    "alias_score",
    "cell_text",
    "read_table",
]

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")

#: Largest input file read [bytes]; a planner's list or layer is far smaller.
MAX_FILE_BYTES = 512 * 1024 * 1024


def read_table(data: Any, *, sheet: str | int | None = None,
               header_score: HeaderScore | None = None) -> RawTable:
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
    table = _read_any(data, sheet=sheet, header_score=header_score or count_filled_cells)
    strip_controls(table)
    return table


def _read_any(data: Any, *, sheet: str | int | None, header_score: HeaderScore) -> RawTable:
    score = header_score
    if isinstance(data, pd.DataFrame):
        return _from_frame(data)
    if hasattr(data, "read") and not isinstance(data, (str, os.PathLike)):
        name = str(getattr(data, "name", "upload"))
        try:
            raw = data.read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError) as exc:
            raise FileReadError(f"{name}: the upload cannot be read ({exc})") from exc
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogatepass")
        if len(raw) > MAX_FILE_BYTES:
            raise FileReadError(f"{name}: larger than {MAX_FILE_BYTES / 2**20:,.0f} MB; a list of villages or "
                                f"facilities is far smaller: is it the right file? / 文件超过上限，请确认文件是否正确")
        if not raw:
            raise FileReadError(f"{name}: the file is empty (0 bytes) / 文件为空（0 字节）")
        suffix = Path(name).suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return read_xlsx(io.BytesIO(raw), source=name, sheet=sheet, header_score=score)
        if suffix in (".csv", ".txt", ".tsv", ""):
            return read_csv_bytes(raw, source=name, header_score=score)
        raise FileReadError(f"{name}: only CSV and XLSX can be read from an upload; save layers to a file first")
    path = Path(os.fspath(data))
    source = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileReadError(f"{source}: no such file / 文件不存在")
    if path.is_dir():
        raise FileReadError(f"{source}: is a folder, not a file / 这是文件夹而不是文件")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileReadError(f"{source}: cannot be opened ({exc})") from exc
    if size == 0:
        raise FileReadError(f"{source}: the file is empty (0 bytes) / 文件为空（0 字节）")
    if size > MAX_FILE_BYTES:
        raise FileReadError(f"{source}: {size / 2**20:,.0f} MB, larger than the {MAX_FILE_BYTES / 2**20:,.0f} MB "
                            f"accepted; a list of villages or facilities is far smaller: is it the right file? / "
                            f"文件超过上限，请确认文件是否正确")
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, source=source, sheet=sheet, header_score=score)
    if suffix == ".xls":
        raise FileReadError(f"{source}: old .xls workbooks are not supported; open it in Excel and save as .xlsx / "
                            f"不支持旧版 .xls，请在 Excel 中另存为 .xlsx")
    if suffix in (".csv", ".txt", ".tsv"):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FileReadError(f"{source}: cannot be opened ({exc})") from exc
        return read_csv_bytes(raw, source=source, header_score=score)
    if suffix in LAYER_SUFFIXES:
        return read_layer(path, source=source, layer=sheet)
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
    text = to_text_frame(attributes.reset_index(drop=True))
    text.columns = [str(c) for c in text.columns]
    rows = np.arange(2, len(text) + 2, dtype=np.int64)
    return RawTable(frame=text, rows=rows, source="<DataFrame>", geometry=geometry, crs=crs)
