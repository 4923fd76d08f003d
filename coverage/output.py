"""Output files: check the path a user gave, and make tables safe to open in Excel.

Shared by the writers of printed maps (:func:`coverage.mapping.printmap.save_map`),
the PDF report and the workbook (:mod:`coverage.reports`), the coverage workbook
and the command line, so a wrong suffix or an unwritable path reads the same
everywhere and is refused before anything is drawn or written.

Text that a spreadsheet would run as a formula (a name such as ``=HYPERLINK(...)``
or ``@SUM(...)``: cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
return, OWASP "CSV injection") is written as text: in a workbook the cell is a
string cell (:func:`text_cells`), in a CSV the value gets a leading apostrophe
(:func:`safe_frame` with ``csv=True``).  Numbers, and text that is a plain number
such as ``-12.5``, are left as they are.  Control characters that a workbook
cannot hold are removed, with a warning naming the column.

>>> from coverage.output import output_path
>>> output_path("out/map.pdf", suffixes=(".pdf", ".png"), problem="use .pdf or .png")  # doctest: +SKIP
PosixPath('out/map.pdf')
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coverage.errors import InputError

__all__ = [
    "FORMULA_PREFIXES",
    "OutputError",
    "output_path",
    "safe_frame",
    "safe_text",
    "text_cells",
    "writable_file",
    "writable_folder",
]

logger = logging.getLogger(__name__)

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Control characters a workbook cannot hold (the ones openpyxl refuses with IllegalCharacterError).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


class OutputError(InputError, OSError):
    """An output file or folder cannot be written (a file in the way, no permission, a read-only disk)."""


def _cannot_write(path: Path, exc: OSError | None, what: str) -> OutputError:
    reason = (exc.strerror or str(exc)) if exc is not None else what
    return OutputError(
        f"{path}: cannot write here ({reason}); choose another --out path or folder "
        f"/ 无法写入该位置，请换一个输出路径或文件夹"
    )


def _make_folder(folder: Path, path: Path) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise _cannot_write(path, None, f"{parent} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(path, exc, "cannot create the folder") from exc


def _probe(folder: Path, path: Path) -> None:
    """Create and remove a file in ``folder`` (permissions say little on Windows or for root)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise _cannot_write(path, exc, "the folder is not writable") from exc


def writable_file(path: str | Path) -> Path:
    """Check, before any work, that ``path`` can be written: make its folder and try a file in it.

    Parameters
    ----------
    path
        The output file.

    Returns
    -------
    Path
        ``path``; its folder exists and accepts new files.

    Raises
    ------
    OutputError
        When a file stands where a folder is needed, ``path`` is a folder, the folder
        cannot be created or is read-only, or ``path`` exists and is read-only.

    Example
    -------
    >>> writable_file("out/od.csv")  # doctest: +SKIP
    PosixPath('out/od.csv')
    """
    path = Path(path)
    if path.is_dir():
        raise _cannot_write(path, None, "it is a folder; give a file name")
    _make_folder(path.parent, path)
    _probe(path.parent, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise _cannot_write(path, None, "the file is read-only")
    return path


def writable_folder(path: str | Path) -> Path:
    """Check that the output folder ``path`` exists or can be made, and accepts new files.

    Raises
    ------
    OutputError
        When ``path`` (or a folder above it) is a file, or the folder cannot be created or written.
    """
    path = Path(path)
    _make_folder(path, path)
    _probe(path, path)
    return path


def safe_text(value: Any, *, csv: bool = False, column: str | None = None) -> Any:
    """``value`` made safe for a workbook or a CSV that Excel opens; other types pass unchanged.

    Parameters
    ----------
    value
        A cell value.
    csv
        True for a CSV: text beginning with a formula character gets a leading
        apostrophe (OWASP).  False for a workbook: only control characters are
        removed (write the cell as text with :func:`text_cells`).
    column
        Column name for the warning logged when control characters are removed.

    Returns
    -------
    Any
        The value, with control characters removed and, for CSV, formula text quoted.

    Example
    -------
    >>> safe_text("=1+1", csv=True), safe_text("-12.5", csv=True), safe_text(7, csv=True)
    ("'=1+1", '-12.5', 7)
    """
    if not isinstance(value, str):
        return value
    cleaned = _ILLEGAL.sub("", value) if not csv else value.replace("\x00", "")
    if cleaned != value:
        logger.warning(
            "%s: removed control characters from %r (a spreadsheet cannot hold them)",
            column or "text", value[:60],
        )
    if csv and cleaned.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(cleaned.strip()):
        return "'" + cleaned
    return cleaned


def safe_frame(frame: Any, *, csv: bool = False) -> Any:
    """A copy of a DataFrame whose text cells and headers pass :func:`safe_text`; numbers stay numbers.

    Parameters
    ----------
    frame
        pandas DataFrame to be written with ``to_excel`` or ``to_csv``.
    csv
        True when it goes to a CSV (formula text is quoted with an apostrophe);
        False for a workbook (control characters removed; write the sheet's
        cells as text afterwards with :func:`text_cells`).

    Returns
    -------
    DataFrame
        A new frame (the input is not changed).
    """
    import pandas as pd

    out = frame.copy()
    out.columns = [safe_text(c, csv=csv, column="header") for c in out.columns]
    for j, name in enumerate(out.columns):
        col = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_datetime64_any_dtype(col):
            continue
        mask = col.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not mask.any():
            continue
        new = col.astype(object).copy()
        new[mask] = [safe_text(v, csv=csv, column=str(name)) for v in col[mask]]
        out.isetitem(j, new.astype(col.dtype) if isinstance(col.dtype, pd.StringDtype) else new)
    return out


def text_cells(worksheet: Any) -> int:
    """Make every formula cell of an openpyxl worksheet a text cell; returns how many were changed.

    Workbooks written here hold data, never formulas: a value such as ``=A1`` that
    came from a user's file is shown as written instead of being calculated.
    Strings beginning with ``+``, ``-`` or ``@`` are already text cells in openpyxl.
    """
    changed = 0
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                changed += 1
    if changed:
        logger.info("%s: %d cells beginning with '=' written as text", worksheet.title, changed)
    return changed


def output_path(path: str | Path, *, suffixes: Sequence[str], problem: str) -> Path:
    """The output file as a :class:`~pathlib.Path`, its suffix checked and its parent folder made.

    Parameters
    ----------
    path
        The file to write.
    suffixes
        The suffixes accepted, lower case with the dot (".pdf"); the check ignores case.
    problem
        What to tell the user when the suffix is another: the message is
        ``f"{path}: {problem}"``, with ``{suffix}`` in ``problem`` replaced by the
        suffix given (e.g. "unsupported map format '{suffix}'; use .pdf or .png").

    Returns
    -------
    Path
        ``path``; its parent folder exists.

    Raises
    ------
    InputError
        When the suffix of ``path`` is not one of ``suffixes`` (nothing is created then).
    OutputError
        When the folder cannot be made (a file in the way, no permission).

    Example
    -------
    >>> output_path("report.docx", suffixes=(".pdf",), problem="the report must be a .pdf file")
    Traceback (most recent call last):
    ...
    coverage.errors.InputError: report.docx: the report must be a .pdf file
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{path}: {problem.replace('{suffix}', path.suffix)}")
    if path.is_dir():
        raise _cannot_write(path, None, "it is a folder; give a file name")
    _make_folder(path.parent, path)
    return path
