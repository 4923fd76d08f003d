"""Validation problems and the report a planner acts on.

Each :class:`Problem` names the file, the row as Excel shows it (the header is
row 1, the first data row 2; for GIS layers the feature number), the column as
the user wrote it, the offending value, what is wrong and how to fix it, in
Chinese and English.  ``severity`` is "error" (the row was rejected, or the
file cannot be used), "warning" (the row was loaded but something is doubtful
or was changed) or "info" (a note, e.g. a population group absent from the file
and read as 0).

Example
-------
>>> report = ValidationReport(source="村庄.xlsx", kind="demand")
>>> report.add(Problem(file="村庄.xlsx", row=5, column="留守儿童", value="-3", code="negative_number",
...                    message="negative count", message_zh="人数为负", fix="enter 0 or more",
...                    fix_zh="填写 0 或正整数"))
>>> report.rejected_rows
[5]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["SEVERITIES", "Problem", "ValidationReport"]

#: Severities, most serious first.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One problem found in a user's file.

    Attributes
    ----------
    file
        The file (or "<DataFrame>").
    row
        Row number as Excel shows it (header row 1), or feature number for
        layers; None for a problem of the whole file or column.
    column
        The user's header as written, or None.
    value
        The offending cell as text, or None.
    message, message_zh
        What is wrong, in English and Chinese.
    fix, fix_zh
        How to fix it, in English and Chinese.
    severity
        "error" (row rejected / file unusable), "warning" (row loaded, check it)
        or "info".
    code
        A stable identifier of the kind of problem, e.g. "negative_number",
        "duplicate_id", "swapped_lat_lon".
    rejected
        Whether the row was left out of the result because of this problem.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str = ""
    message_zh: str = ""
    fix_zh: str = ""
    severity: str = "error"
    code: str = ""
    rejected: bool | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not '{self.severity}'")
        if self.rejected is None:
            object.__setattr__(self, "rejected", self.severity == "error" and self.row is not None)

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-able dict."""
        return asdict(self)

    def describe(self, *, row_label: str = "row", lang: str = "both") -> str:
        """One line: where, value, what, fix (``lang`` "zh", "en" or "both")."""
        where = self.file
        if self.row is not None:
            if lang != "zh":
                where += f", {row_label} {self.row}"
            else:
                where += f"，第 {self.row} 个要素" if row_label == "feature" else f"，第 {self.row} 行"
        if self.column is not None:
            where += f", column '{self.column}'" if lang != "zh" else f"，列“{self.column}”"
        value = f" = {self.value!r}" if self.value is not None else ""
        en = f"{self.message}" + (f". Fix: {self.fix}" if self.fix else "")
        zh = f"{self.message_zh}" + (f"。处理：{self.fix_zh}" if self.fix_zh else "")
        if lang == "en" or not self.message_zh:
            text = en
        elif lang == "zh":
            text = zh
        else:
            text = f"{zh} / {en}"
        return f"[{self.severity}] {where}{value}: {text}"


@dataclass
class ValidationReport:
    """Every problem found while loading one file, and what was loaded.

    Attributes
    ----------
    source
        The file.
    kind
        "demand", "facilities", "candidates" or "boundaries".
    problems
        In the order found (see :meth:`to_frame` for a sorted table).
    n_read
        Data rows (or features) read from the file.
    n_loaded
        Rows in the result.
    crs_assumed
        The coordinate system assumed and the conversion done.
    encoding, sheet
        The text encoding detected (CSV, .dbf) and the sheet or layer read.
    row_label
        "row" (tables: Excel row numbers) or "feature" (layers).
    columns
        Canonical column -> the user's header that fed it.
    """

    source: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    n_read: int = 0
    n_loaded: int = 0
    crs_assumed: str = ""
    encoding: str | None = None
    sheet: str | None = None
    row_label: str = "row"
    columns: dict[str, str] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        """Append a problem."""
        self.problems.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        """Append several problems."""
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity "error"."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity "warning"."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def rejected_rows(self) -> list[int]:
        """Row numbers (as Excel shows them) left out of the result, ascending."""
        return sorted({p.row for p in self.problems if p.rejected and p.row is not None})

    @property
    def n_rejected(self) -> int:
        """How many rows were rejected."""
        return len(self.rejected_rows)

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not self.errors

    def codes(self) -> set[str]:
        """The problem codes present (handy in tests and filters)."""
        return {p.code for p in self.problems}

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table sorted by severity, row, column.

        Returns
        -------
        pandas.DataFrame
            Columns file, row, column, value, severity, code, message, message_zh,
            fix, fix_zh, rejected; ``row`` is a nullable integer.
        """
        cols = ["file", "row", "column", "value", "severity", "code", "message", "message_zh", "fix", "fix_zh",
                "rejected"]
        frame = pd.DataFrame([p.to_dict() for p in self.problems], columns=cols)
        frame["row"] = frame["row"].astype("Int64")
        order = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        frame = frame.assign(_order=order).sort_values(["_order", "row", "column"], na_position="first",
                                                       kind="stable")
        return frame.drop(columns="_order").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary and every problem."""
        return {
            "file": self.source,
            "kind": self.kind,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "crs_assumed": self.crs_assumed,
            "row_label": self.row_label,
            "n_read": self.n_read,
            "n_loaded": self.n_loaded,
            "n_rejected": self.n_rejected,
            "rejected_rows": self.rejected_rows,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "columns": dict(self.columns),
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (Chinese kept readable)."""
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    def summary(self, *, lang: str = "both", max_problems: int | None = None) -> str:
        """A text summary: counts, coordinate system, then every problem.

        Parameters
        ----------
        lang
            "zh", "en" or "both".
        max_problems
            Show at most this many problems (None: all).
        """
        unit_en = "features" if self.row_label == "feature" else "rows"
        head_en = (f"{self.source} ({self.kind}): {self.n_read} {unit_en} read, {self.n_loaded} loaded, "
                   f"{self.n_rejected} rejected; {len(self.errors)} errors, {len(self.warnings)} warnings")
        unit_zh = "个要素" if self.row_label == "feature" else "行"
        head_zh = (f"{self.source}（{self.kind}）：读取 {self.n_read} {unit_zh}，载入 {self.n_loaded} {unit_zh}，"
                   f"拒绝 {self.n_rejected} {unit_zh}；错误 {len(self.errors)} 个，警告 {len(self.warnings)} 个")
        lines = []
        if lang in ("zh", "both"):
            lines.append(head_zh)
        if lang in ("en", "both"):
            lines.append(head_en)
        if self.crs_assumed:
            lines.append(f"坐标系 / coordinate system: {self.crs_assumed}")
        if self.encoding:
            lines.append(f"编码 / encoding: {self.encoding}")
        frame_order = sorted(self.problems, key=lambda p: (SEVERITIES.index(p.severity),
                                                           p.row if p.row is not None else -1))
        shown = frame_order if max_problems is None else frame_order[:max_problems]
        for p in shown:
            lines.append("  " + p.describe(row_label=self.row_label, lang=lang))
        if len(shown) < len(frame_order):
            lines.append(f"  ... {len(frame_order) - len(shown)} more / 另有 {len(frame_order) - len(shown)} 个")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
