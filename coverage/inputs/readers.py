"""Read planners' files into text tables: CSV, XLSX, GeoJSON, GeoPackage, Shapefile.

Every cell is read as text (so "001" stays "001" and a 12-digit code is not
rounded); the loaders convert what needs converting and report what cannot be.
CSV encodings are detected line by line: UTF-8 (with or without BOM), GB18030 (a
superset of GBK, which Excel on Chinese Windows writes) and UTF-16; a line in
the other encoding is decoded in it and reported.  The delimiter (comma, tab,
semicolon, bar) is guessed from several lines; a quote never closed is
reported on its row instead of swallowing the rows after it.  A Shapefile's
.dbf without a .cpg is decoded by a sample of its bytes.  Excel error cells
and formulas saved without a value are listed (both readers agree), control
characters are removed and listed, and archives (.zip, .xlsx) that would
unpack beyond the limits are refused before they are unpacked.  The header row is found among the
first rows (lists often start with a title such as "XX县村庄名单"), and each
data row keeps the row number Excel shows.

Example
-------
>>> table = read_table("村庄名单.xlsx")  # doctest: +SKIP
>>> table.frame.columns.tolist()[:3], table.rows[:2]  # doctest: +SKIP
(['编号', '村名', '经度'], array([2, 3]))
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import os
import re
import tempfile
import warnings
import zipfile
import zlib
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

__all__ = ["LAYER_SUFFIXES", "TABLE_SUFFIXES", "RawTable", "cell_text", "read_table"]

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")

#: How many leading rows are searched for the header row.
HEADER_SEARCH_ROWS = 10

#: Largest input file read [bytes]; a planner's list or layer is far smaller.
MAX_FILE_BYTES = 512 * 1024 * 1024

#: Largest total uncompressed size of a .zip or .xlsx [bytes], checked before anything is inflated.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024

#: Largest compression ratio of one member larger than :data:`ZIP_RATIO_FROM_BYTES`
#: (zip bombs reach 1000:1; sheets and .dbf files rarely pass 100:1).
MAX_ZIP_RATIO = 200.0

#: Members smaller than this [bytes] are not checked for their ratio.
ZIP_RATIO_FROM_BYTES = 16 * 1024 * 1024

#: Bytes of a .dbf without .cpg sampled to guess its encoding.
DBF_SAMPLE_BYTES = 1024 * 1024

#: How many leading lines of a CSV are used to guess the delimiter.
DELIMITER_SAMPLE_LINES = 30

#: Characters removed from every cell: C0 and C1 controls except tab, line feed and
#: carriage return, lone surrogates and the non-characters U+FFFE/U+FFFF (they make
#: Excel and XML exports fail).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_EXCEL_ERRORS = ("#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA",
                 "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!")


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
    return frame, rows, notes, keep


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def _mostly_cjk(text: str) -> bool:
    """Whether most non-ASCII characters of ``text`` are Chinese characters or CJK punctuation."""
    wide = [c for c in text if ord(c) > 127]
    return bool(wide) and sum(1 for c in wide if _CJK.match(c)) >= 0.8 * len(wide)


def _decode(raw: bytes, *, source: str) -> tuple[list[str], str, dict[int, str], bool]:
    """Decode CSV bytes line by line: (lines with their ends, encoding, {line index: other encoding}, had_errors).

    UTF-16 with a BOM is decoded whole.  Otherwise each line is decoded on its
    own: the file's encoding is the one most of its non-ASCII lines decode in
    (UTF-8, else GB18030, a superset of GBK); a line that only decodes in the
    other one (a row pasted from a GBK file into a UTF-8 one) is decoded in that
    one and listed, so the loader can warn; a line that decodes in neither keeps
    replacement characters (U+FFFD), reported as undecodable.  Never is a whole
    UTF-8 file read as GB18030 (mojibake) because of one odd line.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" (UTF-16, tab-separated)
        text = raw.decode("utf-16", errors="replace")
        return [line for line in _LINE_BREAK.split(text) if line], "utf-16", {}, "\ufffd" in text
    head = raw[:4096]
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 4:  # UTF-16 saved without its BOM
        even, odd = head[0::2].count(b"\x00"), head[1::2].count(b"\x00")
        text = raw.decode("utf-16-le" if odd > even else "utf-16-be", errors="replace")
        return [line for line in _LINE_BREAK.split(text) if line], "utf-16", {}, "\ufffd" in text
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        text = body.decode("utf-8")
        return ([line for line in _LINE_BREAK.split(text) if line], "utf-8-sig" if bom else "utf-8", {}, False)
    except UnicodeDecodeError:
        pass
    # Neither GB18030 nor UTF-8 uses the byte 0x0A inside a character: splitting on it is safe.
    pieces = body.split(b"\n")
    chunks = [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    utf8: list[str | None] = []
    gbk: list[str | None] = []
    for chunk in chunks:
        if chunk.isascii():
            utf8.append(None)
            gbk.append(None)
            continue
        try:
            utf8.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            utf8.append("")
        try:
            gbk.append(chunk.decode("gb18030"))
        except UnicodeDecodeError:
            gbk.append("")
    n_utf8 = sum(1 for u in utf8 if u)
    n_gbk_only = sum(1 for u, g in zip(utf8, gbk, strict=True) if u == "" and g)
    base = "utf-8" if bom or n_utf8 >= n_gbk_only else "gb18030"
    lines: list[str] = []
    odd: dict[int, str] = {}
    odd_lines: dict[int, str] = {}
    had_errors = False
    for i, (chunk, u, g) in enumerate(zip(chunks, utf8, gbk, strict=True)):
        if u is None:  # ASCII
            text = chunk.decode("ascii")
        elif base == "utf-8":
            if u:
                text = u
            elif g:
                text, odd[i] = g, "gb18030"
            else:
                text, had_errors = chunk.decode("utf-8", errors="replace"), True
        elif u and _mostly_cjk(u) and not (g and _mostly_cjk(g)):
            text, odd[i] = u, "utf-8"
        elif g:
            text = g
        elif u:
            text, odd[i] = u, "utf-8"
        else:
            text, had_errors = chunk.decode("gb18030", errors="replace"), True
        for piece in _LINE_BREAK.split(text):
            if piece:
                if i in odd:
                    odd_lines[len(lines)] = odd[i]
                lines.append(piece)
    encoding = ("utf-8-sig" if bom else "utf-8") if base == "utf-8" else "gb18030"
    return lines, encoding, odd_lines, had_errors


def _guess_delimiter(lines: list[str]) -> str:
    """The delimiter that splits most of the leading lines into the same number (> 1) of cells.

    A title row above the header ("XX县村庄名单") has one cell whatever the
    delimiter, so it does not decide; commas inside quotes do not count.
    """
    sample = [line for line in lines[:DELIMITER_SAMPLE_LINES * 2] if line.strip()][:DELIMITER_SAMPLE_LINES]
    best, best_score = ",", (0, 0)
    for sep in (",", "\t", ";", "|"):
        if not any(sep in line for line in sample):
            continue
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=sep)]
        except csv.Error:
            continue
        counts: dict[int, int] = {}
        for w in widths:
            if w > 1:
                counts[w] = counts.get(w, 0) + 1
        if not counts:
            continue
        width, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if (n, width) > best_score:
            best, best_score = sep, (n, width)
    return best


def _strict_ok(text: str, sep: str) -> bool:
    """Whether ``text`` (one record) parses with every quote closed and followed by a delimiter."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _csv_records(lines: list[str], sep: str) -> tuple[list[list[str]], list[tuple[int, int]], list[int]]:
    """Parse CSV lines: (records, (first line, end line) of each, indices of records whose quotes are broken).

    A quote that is never closed makes the csv module read the following lines
    into one cell, silently.  A record that spans several lines is kept whole
    only when it parses with every quote closed and its continuation lines do
    not look like rows of the table; otherwise each of its lines is read as a
    record of its own, and the lines whose quotes do not close are returned,
    so that row is reported and the rows after it load.
    """
    raw_records: list[tuple[list[str], int, int]] = []
    reader = csv.reader(iter(lines), delimiter=sep)
    start = 0
    try:
        for row in reader:
            raw_records.append((row, start, reader.line_num))
            start = reader.line_num
    except csv.Error as exc:  # e.g. a field larger than the csv module's limit
        raise FileReadError(f"not a readable CSV file near line {reader.line_num + 1} ({exc})") from exc
    widths = [len(r) for r, a, b in raw_records if b - a == 1 and len(r) > 1]
    typical = max(set(widths), key=widths.count) if widths else 2
    records: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    broken: list[int] = []
    for row, a, b in raw_records:
        chunk = lines[a:b]
        quoted = any('"' in line for line in chunk)
        looks_like_rows = b - a > 1 and any(line.count(sep) >= max(1, typical - 1) for line in chunk[1:])
        if quoted and (looks_like_rows or not _strict_ok("".join(chunk), sep)):
            for k, line in enumerate(chunk):
                if not _strict_ok(line, sep):
                    broken.append(len(records))
                records.append(next(csv.reader([line], delimiter=sep), []))
                spans.append((a + k, a + k + 1))
            continue
        records.append(row)
        spans.append((a, b))
    return records, spans, broken


def _read_csv_bytes(raw: bytes, *, source: str,
                    header_score: Callable[[list[str | None]], int]) -> RawTable:
    if not raw.strip():
        raise FileReadError(f"{source}: the file is empty / 文件为空")
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileReadError(f"{source}: this is an old Excel .xls (or another Office) file, not text; open it in "
                            f"Excel and save as .xlsx or 'CSV UTF-8' / "
                            f"这是旧版 Excel（.xls）文件而不是 CSV，请另存为 .xlsx")
    if raw.startswith(b"PK\x03\x04"):
        raise FileReadError(f"{source}: this is a zip archive (an .xlsx renamed?), not text; give it its real "
                            f"extension (.xlsx or .zip) / 这是压缩包（或改了扩展名的 .xlsx），不是 CSV")
    lines, encoding, odd_lines, had_errors = _decode(raw, source=source)
    sep = _guess_delimiter(lines)
    try:
        records, spans, broken = _csv_records(lines, sep)
    except FileReadError as exc:
        raise FileReadError(f"{source}: {exc} / 无法解析 CSV 文件") from exc
    # csv.reader yields [] for an empty line: keep it so row numbers stay the line numbers.
    grid = [[(c.strip() or None) for c in row] for row in records]
    frame, rows, notes, _ = _frame_from_grid(grid, source=source, header_score=header_score)
    table = RawTable(frame=frame, rows=rows, source=source, encoding=encoding, notes=notes)
    position = {int(r): i for i, r in enumerate(rows)}  # Excel row (grid index + 1) -> frame position
    for k in broken:
        pos = position.get(k + 1)
        first_line = spans[k][0] + 1
        table.issues.append(CellIssue(
            position=pos, header=None, value=lines[spans[k][0]].rstrip("\r\n")[:200], severity="error",
            code="unclosed_quote",
            message=f"a double quote (\") opened on line {first_line} is not closed (or is followed by more "
                    f"text): this row cannot be read reliably; the rows after it were read on their own",
            message_zh=f"第 {first_line} 行的双引号（\"）没有闭合：该行无法可靠读取，其后各行已单独读取",
            fix="delete the stray quote, or close it right after the cell's text",
            fix_zh="删除多余的双引号，或在该单元格文字后补上引号"))
    if odd_lines:
        other = {"gb18030": "GBK/GB18030", "utf-8": "UTF-8"}
        base = "UTF-8" if encoding.startswith("utf-8") else "GBK/GB18030"
        line_to_record = {}
        for k, (a, b) in enumerate(spans):
            for line in range(a, b):
                line_to_record[line] = k
        for line, enc in sorted(odd_lines.items()):
            k = line_to_record.get(line)
            pos = position.get(k + 1) if k is not None else None
            cells = ([str(c) for c in frame.columns if isinstance(frame.at[pos, c], str)
                      and not frame.at[pos, c].isascii()] if pos is not None else [])
            for header in cells or [None]:
                value = frame.at[pos, header] if header is not None else lines[line].rstrip("\r\n")[:200]
                table.issues.append(CellIssue(
                    position=pos, header=header, value=value, severity="warning", code="mixed_encoding",
                    message=f"line {line + 1} is in {other[enc]} while the file is {base}: decoded as "
                            f"{other[enc]}; check the text",
                    message_zh=f"第 {line + 1} 行为 {other[enc]} 编码，而文件为 {base}："
                               f"已按 {other[enc]} 解码，请核对文字",
                    fix="save the whole file again as 'CSV UTF-8' in Excel",
                    fix_zh="在 Excel 中把整个文件另存为“CSV UTF-8”"))
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


def _check_archive(zf: zipfile.ZipFile, *, source: str) -> None:
    """Refuse a zip (or .xlsx) that would inflate beyond the limits, before anything is inflated.

    Raises
    ------
    FileReadError
        Total uncompressed size above :data:`MAX_UNZIPPED_BYTES`, or a large
        member compressed more than :data:`MAX_ZIP_RATIO` to 1 (a zip bomb).
    """
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise FileReadError(
            f"{source}: the archive would unpack to {total / 2**20:,.0f} MB, more than the "
            f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MB accepted; it was not unpacked. Send the files themselves, or "
            f"split the data / 压缩包解压后达 {total / 2**20:,.0f} MB，超过上限 {MAX_UNZIPPED_BYTES / 2**20:,.0f} MB，"
            f"未解压；请直接提供文件或拆分数据")
    for info in infos:
        if info.file_size > ZIP_RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise FileReadError(
                f"{source}: member '{info.filename}' is compressed {info.file_size / max(info.compress_size, 1):,.0f}"
                f" to 1 ({info.compress_size:,} bytes -> {info.file_size:,}); an ordinary file is not: refused "
                f"without unpacking (a damaged or malicious archive?) / 压缩包成员“{info.filename}”压缩比异常，"
                f"疑为损坏或恶意文件，已拒绝")


def _xml_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_index(ref: str) -> tuple[int, int] | None:
    """(row, column) from 0 of an A1 reference."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})", ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _cell_ref(row: int, col: int) -> str:
    """A1 reference of (row, column) from 0."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


_FORMULA_OR_ERROR = re.compile(rb'<(?:\w+:)?f[\s>/]|\st="e"')


def _xlsx_bad_cells(data: Any, title: str, *, source: str) -> dict[tuple[int, int], str]:
    """:func:`_scan_bad_cells`, with a damaged sheet reported as :class:`FileReadError`."""
    import xml.etree.ElementTree as ET

    try:
        return _scan_bad_cells(data, title)
    except (ET.ParseError, zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError) as exc:
        raise FileReadError(f"{source}: sheet '{title}' is damaged ({type(exc).__name__}: {exc}); open the file "
                            f"in Excel and save it again / 工作表已损坏，请在 Excel 中打开后重新保存") from exc


def _scan_bad_cells(data: Any, title: str) -> dict[tuple[int, int], str]:
    """Cells of sheet ``title`` holding an Excel error (#N/A ...) or a formula saved without its value.

    Both python-calamine and openpyxl read such cells as empty (or as the error
    text), so the worksheet XML is scanned for them: ``{(row, col) from 0:
    error code or "formula"}``.  The scan streams the XML and is skipped when
    the sheet has no formula and no error at all.
    """
    import xml.etree.ElementTree as ET

    if hasattr(data, "seek"):
        data.seek(0)
    with zipfile.ZipFile(data) as zf:
        names = set(zf.namelist())
        book_path = "xl/workbook.xml"
        if "_rels/.rels" in names:
            for rel in ET.fromstring(zf.read("_rels/.rels")):
                if rel.get("Type", "").endswith("/officeDocument"):
                    book_path = rel.get("Target", book_path).lstrip("/")
        if book_path not in names:
            return {}
        folder = book_path.rsplit("/", 1)[0] + "/" if "/" in book_path else ""
        rels_path = f"{folder}_rels/{book_path.rsplit('/', 1)[-1]}.rels"
        rid = None
        for el in ET.fromstring(zf.read(book_path)).iter():
            if _xml_local(el.tag) == "sheet" and el.get("name") == title:
                rid = next((v for k, v in el.attrib.items() if _xml_local(k) == "id"), None)
        if rid is None or rels_path not in names:
            return {}
        target = None
        for rel in ET.fromstring(zf.read(rels_path)):
            if rel.get("Id") == rid:
                target = rel.get("Target", "")
        if not target:
            return {}
        sheet_path = target.lstrip("/") if target.startswith("/") else folder + target
        if sheet_path not in names:
            return {}
        with zf.open(sheet_path) as fh:  # quick look: most sheets have neither formulas nor errors
            tail = b""
            found = False
            while chunk := fh.read(1 << 20):
                if _FORMULA_OR_ERROR.search(tail + chunk):
                    found = True
                    break
                tail = chunk[-16:]
        if not found:
            return {}
        bad: dict[tuple[int, int], str] = {}
        with zf.open(sheet_path) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                name = _xml_local(el.tag)
                if name == "c":
                    kind = el.get("t", "n")
                    formula = value = None
                    for child in el:
                        local = _xml_local(child.tag)
                        if local == "f":
                            formula = child
                        elif local == "v":
                            value = child
                    index = _cell_index(el.get("r", ""))
                    if index is not None:
                        if kind == "e":
                            bad[index] = (value.text or "#error").strip() if value is not None else "#error"
                        elif formula is not None and (value is None or (not value.text and kind not in (
                                "str", "s", "inlineStr"))):
                            bad[index] = "formula"
                    el.clear()
                elif name == "row":
                    el.clear()
        return bad


def _grid_table(grid: list[list[str | None]], bad: dict[tuple[int, int], str], *, source: str, title: str,
                header_score: Callable[[list[str | None]], int]) -> RawTable:
    """A worksheet's text grid as a RawTable; ``bad`` cells (errors, uncached formulas) emptied and listed."""
    for (r, c), _what in bad.items():
        if r < len(grid) and c < len(grid[r]):
            grid[r][c] = None
    frame, rows, notes, cols = _frame_from_grid(grid, source=source, header_score=header_score)
    table = RawTable(frame=frame, rows=rows, source=source, sheet=title, notes=notes)
    if bad:
        position = {int(r): i for i, r in enumerate(rows)}
        column = {c: str(name) for c, name in zip(cols, frame.columns, strict=True)}
        for (r, c), what in sorted(bad.items()):
            if r + 1 in position and c in column:
                table.bad_cells.append((position[r + 1], column[c], _cell_ref(r, c), what))
    return table


def _read_xlsx(data: Any, *, source: str, sheet: str | int | None,
               header_score: Callable[[list[str | None]], int]) -> RawTable:
    """Read a worksheet with python-calamine (fast, Rust) when installed, else openpyxl."""
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - calamine is in requirements.txt
        python_calamine = None
    try:
        if hasattr(data, "seek"):
            data.seek(0)
        with zipfile.ZipFile(data) as zf:
            _check_archive(zf, source=source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileReadError(f"{source}: not a readable .xlsx workbook (damaged or not an .xlsx: {exc}); open it "
                            f"in Excel and save as .xlsx / "
                            f"无法读取该 Excel 文件（已损坏或不是 .xlsx），请在 Excel 中另存为 .xlsx") from exc
    if hasattr(data, "seek"):
        data.seek(0)
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
    if not names:
        raise FileReadError(f"{source}: the workbook has no worksheet / 工作簿中没有工作表")
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
    bad = _xlsx_bad_cells(data, title, source=source)
    return _grid_table(grid, bad, source=source, title=title, header_score=header_score)


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
    bad = _xlsx_bad_cells(data, title, source=source)
    return _grid_table(grid, bad, source=source, title=title, header_score=header_score)


def _dbf_encoding(dbf: Any) -> str:
    """Guess the encoding of a .dbf's records from a sample: UTF-8 when it decodes, else GB18030.

    ``dbf`` is an open binary file; only the header and the first
    :data:`DBF_SAMPLE_BYTES` of the records are read (a character cut at the
    end of the sample does not count).
    """
    head = dbf.read(32)
    if len(head) < 32:
        return "utf-8"
    header_len = int.from_bytes(head[8:10], "little")
    sample = dbf.read(max(0, header_len - 32) + DBF_SAMPLE_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _unzip(path: Path, folder: Path, *, source: str) -> Path | None:
    """Unpack a zipped layer into ``folder`` within the limits: (the .shp/.gpkg/.geojson to read, .dbf encoding)."""
    try:
        with zipfile.ZipFile(path) as zf:
            _check_archive(zf, source=source)
            members = [i for i in zf.infolist() if not i.is_dir()]
            written = 0
            for info in members:
                name = Path(info.filename.replace("\\", "/"))
                if name.is_absolute() or ".." in name.parts or not name.parts:
                    raise FileReadError(f"{source}: member '{info.filename}' points outside the archive; refused / "
                                        f"压缩包成员路径非法，已拒绝")
                out = folder / name
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > MAX_UNZIPPED_BYTES:
                            raise FileReadError(f"{source}: the archive unpacks to more than "
                                                f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MB; refused / "
                                                f"压缩包解压后超过上限，已拒绝")
                        dst.write(chunk)
    except FileReadError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FileReadError(f"{source}: not a readable .zip archive (damaged or truncated: {type(exc).__name__}: "
                            f"{exc}) / 压缩包已损坏或不完整，无法读取") from exc
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json"))
    shp = [p for p in found if p.suffix.lower() == ".shp"]
    return shp[0] if shp else (found[0] if found else None)


def _shp_encoding(shp: Path) -> str | None:
    """Encoding to read a Shapefile's .dbf with, when it has no .cpg (else None: GDAL reads the .cpg)."""
    siblings = {p.name.lower(): p for p in shp.parent.iterdir() if p.stem.lower() == shp.stem.lower()}
    if shp.stem.lower() + ".cpg" in siblings:
        return None
    dbf = siblings.get(shp.stem.lower() + ".dbf")
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        return _dbf_encoding(fh)


def _read_layer(path: Path, *, source: str, layer: str | int | None) -> RawTable:
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="coverage-zip-") as folder:
            target = _unzip(path, Path(folder), source=source)
            if target is None:
                raise FileReadError(f"{source}: the archive holds no .shp, .gpkg or .geojson layer / "
                                    f"压缩包中没有 .shp、.gpkg 或 .geojson 图层")
            return _read_layer_file(target, source=source, layer=layer)
    return _read_layer_file(path, source=source, layer=layer)


def _read_layer_file(path: Path, *, source: str, layer: str | int | None) -> RawTable:
    import pyogrio

    encoding = _shp_encoding(path) if path.suffix.lower() == ".shp" else None
    kwargs: dict[str, Any] = {}
    if encoding:
        kwargs["encoding"] = encoding
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Several drivers matching" etc.
            gdf = pyogrio.read_dataframe(str(path), **kwargs)
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
    table = _read_any(data, sheet=sheet, header_score=header_score or _header_score_default)
    _strip_controls(table)
    return table


def _visible(text: str) -> str:
    """``text`` with each control character shown as an escape (\\x00, \\x1b ...), the rest as is."""
    return CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                                  text)


def _strip_controls(table: RawTable) -> None:
    """Remove control characters (see :data:`CONTROL_CHARACTERS`) from every cell and header, listing each cell."""
    frame = table.frame
    renamed = {}
    for col in frame.columns:
        if isinstance(col, str) and CONTROL_CHARACTERS.search(col):
            clean = base = CONTROL_CHARACTERS.sub("", col).strip() or "(column)"
            k = 2
            while clean in frame.columns or clean in renamed.values():
                clean, k = f"{base}.{k}", k + 1
            renamed[col] = clean
            table.issues.append(CellIssue(
                position=None, header=clean, value=_visible(col), severity="warning",
                code="control_character",
                message="invisible control character(s) removed from this header",
                message_zh="已删除表头中的不可见控制字符", fix="retype the header", fix_zh="重新输入表头"))
    if renamed:
        frame.columns = [renamed.get(c, c) for c in frame.columns]
        table.undecodable = [(i, renamed.get(h, h)) for i, h in table.undecodable]
        table.bad_cells = [(i, renamed.get(h, h), ref, what) for i, h, ref, what in table.bad_cells]
    for col in frame.columns:
        series = frame[col]
        values = [v if isinstance(v, str) else "" for v in series.tolist()]
        if not CONTROL_CHARACTERS.search("".join(values)):  # one search per column in the usual case
            continue
        for i in [k for k, v in enumerate(values) if CONTROL_CHARACTERS.search(v)]:
            value = str(series.iat[i])
            found = sorted({f"U+{ord(c):04X}" for c in CONTROL_CHARACTERS.findall(value)})
            clean = CONTROL_CHARACTERS.sub("", value).strip() or None
            frame.iat[i, frame.columns.get_loc(col)] = clean
            table.issues.append(CellIssue(
                position=int(i), header=str(col), value=_visible(value)[:200],
                severity="warning", code="control_character",
                message=f"invisible control character(s) {', '.join(found)} removed from the text",
                message_zh=f"已删除文字中的不可见控制字符 {'、'.join(found)}",
                fix="retype the cell (the characters came with a copy from another program)",
                fix_zh="重新输入该单元格（控制字符多来自从其他程序复制）"))


def _read_any(data: Any, *, sheet: str | int | None, header_score: Callable[[list[str | None]], int]) -> RawTable:
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
