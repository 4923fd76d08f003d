"""Read a CSV (or tab-separated text) file into a :class:`~coverage.inputs.readers.table.RawTable`.

The delimiter (comma, tab, semicolon, bar) is guessed from several lines; a
quote never closed is reported on its row instead of swallowing the rows after
it; a line in another encoding than the file's is decoded in it and reported.
"""

from __future__ import annotations

import csv
import io

from coverage.errors import FileReadError
from coverage.inputs.readers.table import CellIssue, HeaderScore, RawTable, frame_from_grid, replacement_cells
from coverage.inputs.readers.text import decode_lines

__all__ = ["DELIMITER_SAMPLE_LINES", "read_csv_bytes"]

#: How many leading lines of a CSV are used to guess the delimiter.
DELIMITER_SAMPLE_LINES = 30


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


def read_csv_bytes(raw: bytes, *, source: str,
                   header_score: HeaderScore) -> RawTable:
    if not raw.strip():
        raise FileReadError(f"{source}: the file is empty / 文件为空")
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileReadError(f"{source}: this is an old Excel .xls (or another Office) file, not text; open it in "
                            f"Excel and save as .xlsx or 'CSV UTF-8' / "
                            f"这是旧版 Excel（.xls）文件而不是 CSV，请另存为 .xlsx")
    if raw.startswith(b"PK\x03\x04"):
        raise FileReadError(f"{source}: this is a zip archive (an .xlsx renamed?), not text; give it its real "
                            f"extension (.xlsx or .zip) / 这是压缩包（或改了扩展名的 .xlsx），不是 CSV")
    lines, encoding, odd_lines, had_errors = decode_lines(raw, source=source)
    sep = _guess_delimiter(lines)
    try:
        records, spans, broken = _csv_records(lines, sep)
    except FileReadError as exc:
        raise FileReadError(f"{source}: {exc} / 无法解析 CSV 文件") from exc
    # csv.reader yields [] for an empty line: keep it so row numbers stay the line numbers.
    grid = [[(c.strip() or None) for c in row] for row in records]
    frame, rows, notes, _ = frame_from_grid(grid, source=source, header_score=header_score)
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
        line_to_record: dict[int, int] = {}
        for k, (a, b) in enumerate(spans):
            for line in range(a, b):
                line_to_record[line] = k
        for line, enc in sorted(odd_lines.items()):
            record = line_to_record.get(line)
            pos = position.get(record + 1) if record is not None else None
            cells: list[str | None] = ([str(c) for c in frame.columns if isinstance(frame.at[pos, c], str)
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
        table.undecodable = replacement_cells(frame)
        if any("\ufffd" in str(c) for c in frame.columns):
            raise FileReadError(f"{source}: the header row cannot be decoded as UTF-8 or GBK; save the file again "
                                f"as 'CSV UTF-8' / 表头无法解码：请在 Excel 中另存为“CSV UTF-8”")
    return table
