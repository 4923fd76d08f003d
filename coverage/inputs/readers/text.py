"""Bytes to text lines, and cell text cleaned of control characters.

CSV encodings are detected line by line: UTF-8 (with or without BOM), GB18030
(a superset of GBK, which Excel on Chinese Windows writes) and UTF-16; a line in
the other encoding is decoded in it and listed for the report.  Control
characters are removed from every cell and header of any table, each one listed.
"""

from __future__ import annotations

import re

from coverage.inputs.readers.table import CellIssue, RawTable

__all__ = ["CONTROL_CHARACTERS", "decode_lines", "strip_controls"]

#: Characters removed from every cell: C0 and C1 controls except tab, line feed and
#: carriage return, lone surrogates and the non-characters U+FFFE/U+FFFF (they make
#: Excel and XML exports fail).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def _mostly_cjk(text: str) -> bool:
    """Whether most non-ASCII characters of ``text`` are Chinese characters or CJK punctuation."""
    wide = [c for c in text if ord(c) > 127]
    return bool(wide) and sum(1 for c in wide if _CJK.match(c)) >= 0.8 * len(wide)


def decode_lines(raw: bytes, *, source: str) -> tuple[list[str], str, dict[int, str], bool]:
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
        zeros_even, zeros_odd = head[0::2].count(b"\x00"), head[1::2].count(b"\x00")
        text = raw.decode("utf-16-le" if zeros_odd > zeros_even else "utf-16-be", errors="replace")
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


def _visible(text: str) -> str:
    """``text`` with each control character shown as an escape (\\x00, \\x1b ...), the rest as is."""
    return CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                                  text)


def strip_controls(table: RawTable) -> None:
    """Remove control characters (see :data:`CONTROL_CHARACTERS`) from every cell and header, listing each cell."""
    frame = table.frame
    renamed: dict[str, str] = {}
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
            frame.iat[i, frame.columns.get_loc(col)] = CONTROL_CHARACTERS.sub("", value).strip() or None
            table.issues.append(CellIssue(
                position=int(i), header=str(col), value=_visible(value)[:200],
                severity="warning", code="control_character",
                message=f"invisible control character(s) {', '.join(found)} removed from the text",
                message_zh=f"已删除文字中的不可见控制字符 {'、'.join(found)}",
                fix="retype the cell (the characters came with a copy from another program)",
                fix_zh="重新输入该单元格（控制字符多来自从其他程序复制）"))
