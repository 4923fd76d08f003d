"""Read an .xlsx worksheet into a :class:`~coverage.inputs.readers.table.RawTable`.

python-calamine reads the cells (openpyxl when calamine is missing; both agree);
Excel error cells (``#N/A``, ``#DIV/0!`` ...) and formulas saved without a value
are found in the worksheet XML, emptied and listed with their cell reference.
"""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
import zipfile
import zlib
from typing import Any

from coverage.errors import FileReadError
from coverage.inputs.readers.archive import check_archive
from coverage.inputs.readers.table import HeaderScore, RawTable, cell_text, frame_from_grid

__all__ = ["read_xlsx", "read_xlsx_calamine", "read_xlsx_openpyxl"]


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
                header_score: HeaderScore) -> RawTable:
    """A worksheet's text grid as a RawTable; ``bad`` cells (errors, uncached formulas) emptied and listed."""
    for (r, c), _what in bad.items():
        if r < len(grid) and c < len(grid[r]):
            grid[r][c] = None
    frame, rows, notes, cols = frame_from_grid(grid, source=source, header_score=header_score)
    table = RawTable(frame=frame, rows=rows, source=source, sheet=title, notes=notes)
    if bad:
        position = {int(r): i for i, r in enumerate(rows)}
        column = {c: str(name) for c, name in zip(cols, frame.columns, strict=True)}
        for (r, c), what in sorted(bad.items()):
            if r + 1 in position and c in column:
                table.bad_cells.append((position[r + 1], column[c], _cell_ref(r, c), what))
    return table


def read_xlsx(data: Any, *, source: str, sheet: str | int | None,
              header_score: HeaderScore) -> RawTable:
    """Read a worksheet with python-calamine (fast, Rust) when installed, else openpyxl."""
    try:
        if hasattr(data, "seek"):
            data.seek(0)
        with zipfile.ZipFile(data) as zf:
            check_archive(zf, source=source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileReadError(f"{source}: not a readable .xlsx workbook (damaged or not an .xlsx: {exc}); open it "
                            f"in Excel and save as .xlsx / "
                            f"无法读取该 Excel 文件（已损坏或不是 .xlsx），请在 Excel 中另存为 .xlsx") from exc
    if hasattr(data, "seek"):
        data.seek(0)
    if importlib.util.find_spec("python_calamine") is not None:  # in requirements.txt; openpyxl reads alike
        return read_xlsx_calamine(data, source=source, sheet=sheet, header_score=header_score)
    return read_xlsx_openpyxl(data, source=source, sheet=sheet, header_score=header_score)


def _unreadable(source: str, exc: Exception) -> FileReadError:
    return FileReadError(f"{source}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); open it in Excel "
                         f"and save as .xlsx / 无法读取该 Excel 文件，请在 Excel 中另存为 .xlsx")


def _sheet_not_found(source: str, sheet: str | int, names: list[str]) -> FileReadError:
    if isinstance(sheet, int):
        return FileReadError(f"{source}: there is no sheet number {sheet}; sheets: {', '.join(names)}")
    return FileReadError(f"{source}: there is no sheet '{sheet}'; sheets: {', '.join(names)} / "
                         f"找不到工作表“{sheet}”，现有：{'、'.join(names)}")


def read_xlsx_calamine(data: Any, *, source: str, sheet: str | int | None,
                       header_score: HeaderScore) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(data, (str, os.PathLike)):
            book = CalamineWorkbook.from_path(os.fspath(data))
        else:
            book = CalamineWorkbook.from_filelike(data)
    except Exception as exc:  # calamine raises its own CalamineError and others
        raise _unreadable(source, exc) from exc
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


def read_xlsx_openpyxl(data: Any, *, source: str, sheet: str | int | None,
                       header_score: HeaderScore) -> RawTable:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation / conditional formatting it drops: irrelevant here.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile.BadZipFile, KeyError, InvalidFileException)
        raise _unreadable(source, exc) from exc
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
