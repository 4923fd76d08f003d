"""What every loader shares: the result, the limits, and the table-level part of a load.

:class:`TableLoad` reads the file, matches the headers, turns what the reader
found (undecodable text, control characters, Excel error cells) into report
lines, and reads the columns every kind of table has (ids, names, admin codes,
optional numbers); :class:`~coverage.inputs.loaders.points.Load` adds the
coordinates.  :meth:`TableLoad.finish` keeps the valid rows and lists the
rejected ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.errors import MissingColumnError, ValidationError
from coverage.inputs.columns import ALIASES, ColumnMatch, accepted_headers, match_columns, required_columns
from coverage.inputs.crs import CoordinateSystem, parse_crs
from coverage.inputs.loaders.cells import (
    MISGROUPED_EN,
    MISGROUPED_FIX,
    MISGROUPED_FIX_ZH,
    MISGROUPED_ZH,
    BoolArray,
    FloatArray,
    admin_codes,
    clean_text,
    parse_numbers,
)
from coverage.inputs.readers import RawTable, alias_score, read_table
from coverage.inputs.validate import Problem, ValidationReport
from coverage.model import COLUMN_LABELS, POPULATION_COLUMNS, WGS84
from coverage.taxonomy import normalize_label

__all__ = ["MAX_CAPACITY", "MAX_COST_10K_YUAN", "REGION_TOLERANCE_KM", "LoadResult", "TableLoad"]

logger = logging.getLogger(__name__)

#: Text columns of the result (pandas "str" dtype, missing = NaN).
_TEXT_COLUMNS = frozenset({"id", "name", "county_code", "county_name", "township_code", "township_name",
                           "village_code", "village_name", "type", "capacity_unit", "status", "kind", "can_host",
                           "level", "code", "parent_code"})

#: Columns whose Excel error cell rejects the row (elsewhere the cell is left empty with a warning).
_CELL_REQUIRED = frozenset({"id", "lon", "lat", "lonlat", "type", "kind", "can_host", "level", "code",
                            *POPULATION_COLUMNS})

#: Largest plausible capacity (beds, places, plots) and cost (万元) of one site.
MAX_CAPACITY = 1_000_000
MAX_COST_10K_YUAN = 10_000_000

#: Default distance [km] beyond the study region at which a point is rejected.
REGION_TOLERANCE_KM = 5.0


@dataclass
class LoadResult:
    """What a loader returns.

    Attributes
    ----------
    data
        The valid rows: a GeoDataFrame with the canonical columns of
        :mod:`coverage.model` for its kind, in EPSG:4326, index 0..n-1.
    report
        Every problem found (rejected rows, warnings, notes).
    crs_assumed
        The coordinate system assumed and the conversion done, e.g.
        "GCJ-02 (Amap/Tencent) -> WGS-84".
    rejected
        The rejected rows as read (text), with ``_row`` (Excel row / feature
        number) and ``_reasons`` columns, for fixing and re-loading.
    """

    data: gpd.GeoDataFrame
    report: ValidationReport
    crs_assumed: str
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)


class TableLoad:
    """One load: the raw table, the column match, the report and the reject mask."""

    def __init__(self, data: Any, *, kind: str, sheet: str | int | None, crs: Any,
                 columns: Mapping[str, str] | None) -> None:
        self.kind = kind
        self.system: CoordinateSystem | None = parse_crs(crs) if crs is not None else None
        known: set[str] = set()
        for canonical in ALIASES:
            known.update(normalize_label(h) for h in accepted_headers(canonical))
        self.raw: RawTable = read_table(data, sheet=sheet, header_score=alias_score(known))
        self.source = self.raw.source
        self.match: ColumnMatch = match_columns(self.raw.frame.columns, kind=kind, mapping=columns,
                                                source=self.source)
        self.n = len(self.raw.frame)
        self.rows = self.raw.rows
        self.reject = np.zeros(self.n, dtype=bool)
        self._text_cache: dict[str, pd.Series] = {}
        self.report = ValidationReport(source=self.source, kind=kind, n_read=self.n, encoding=self.raw.encoding,
                                       sheet=self.raw.sheet, row_label=self.raw.row_label,
                                       columns=dict(self.match.columns))
        for note in self.raw.notes:
            en, _, zh = note.partition(" / ")
            self.note("file_note", en, zh or en)
        for canonical, extra in self.match.duplicates.items():
            used = self.match.columns[canonical]
            for header in extra:
                self.report.add(Problem(
                    file=self.source, row=None, column=header, value=None, severity="warning",
                    code="duplicate_column",
                    message=f"'{header}' also looks like the column {canonical}; '{used}' is used and '{header}' "
                            f"is ignored",
                    message_zh=f"“{header}”与“{used}”都像是 {COLUMN_LABELS.get(canonical, (canonical,))[0]} 列；"
                               f"使用“{used}”，忽略“{header}”",
                    fix=f"rename or delete one of them, or pass columns={{'{header}': '{canonical}'}}",
                    fix_zh="删除或改名其中一列，或用列映射指定"))
        if self.match.unmatched:
            unused = self.match.unmatched
            self.note("ignored_columns", f"columns not used: {', '.join(unused)}", f"以下列未使用：{'、'.join(unused)}")
        for position, header in self.raw.undecodable:
            self.report.add(Problem(
                file=self.source, row=int(self.rows[position]), column=header,
                value=str(self.raw.frame.iat[position, list(self.raw.frame.columns).index(header)]),
                severity="warning", code="undecodable_text", rejected=False,
                message=f"text that cannot be decoded as {self.raw.encoding or 'UTF-8/GBK'} (shown as \ufffd)",
                message_zh="文字无法解码（显示为\ufffd）",
                fix="retype the cell, or save the file as 'CSV UTF-8' in Excel",
                fix_zh="重新输入该单元格，或在 Excel 中另存为“CSV UTF-8”"))
        for issue in self.raw.issues:
            row = int(self.rows[issue.position]) if issue.position is not None else None
            self.report.add(Problem(
                file=self.source, row=row, column=issue.header, value=issue.value, severity=issue.severity,
                code=issue.code, message=issue.message, message_zh=issue.message_zh, fix=issue.fix,
                fix_zh=issue.fix_zh))
            if issue.severity == "error" and issue.position is not None:
                self.reject[issue.position] = True
        self._bad_cells()

    def _bad_cells(self) -> None:
        """Report worksheet cells holding an Excel error or a formula without a saved value.

        In a column the row cannot do without (id, coordinates, population,
        type, kind, can_host) the row is rejected; elsewhere the cell is left
        empty with a warning; in a column not used it is a note.
        """
        canonical_of = {header: canonical for canonical, header in self.match.columns.items()}
        for position, header, ref, what in self.raw.bad_cells:
            canonical = canonical_of.get(header)
            if what == "formula":
                shown = "(formula without a saved value)"
                en = (f"cell {ref} holds a formula whose value was never calculated and saved (the file was written "
                      f"by a program, not saved by Excel)")
                zh = f"单元格 {ref} 为公式，但没有保存计算结果（文件由程序生成，未经 Excel 保存）"
                fix = "open the file in Excel and save it, or paste the values"
                fix_zh = "在 Excel 中打开并保存，或粘贴为数值"
            else:
                shown = what
                en = f"cell {ref} holds the Excel error {what} (a formula failed), not a value"
                zh = f"单元格 {ref} 是 Excel 错误值 {what}（公式出错），不是数值"
                fix, fix_zh = "correct the formula or enter the value", "修正公式或直接填写数值"
            if canonical is None:
                severity = "info"
            elif canonical in _CELL_REQUIRED:
                severity = "error"
                self.raw.frame.iat[position, self.raw.frame.columns.get_loc(header)] = shown
            else:
                severity = "warning"
                en += "; left empty"
                zh += "，已置空"
            self.report.add(Problem(file=self.source, row=int(self.rows[position]), column=header, value=shown,
                                    severity=severity, code="excel_error", message=en, message_zh=zh, fix=fix,
                                    fix_zh=fix_zh))
            if severity == "error":
                self.reject[position] = True

    # -- reporting
    def note(self, code: str, en: str, zh: str, *, column: str | None = None) -> None:
        self.report.add(Problem(file=self.source, row=None, column=column, value=None, severity="info",
                                code=code, message=en, message_zh=zh))

    def header(self, canonical: str) -> str | None:
        return self.match.columns.get(canonical)

    def text(self, canonical: str) -> pd.Series | None:
        header = self.header(canonical)
        if header is None:
            return None
        if header not in self._text_cache:
            self._text_cache[header] = clean_text(self.raw.frame[header]).reset_index(drop=True)
        return self._text_cache[header].copy()

    def required_text(self, canonical: str) -> pd.Series:
        """:meth:`text` of a column the table must have (:meth:`check_required` has checked it is there)."""
        text = self.text(canonical)
        if text is None:
            raise self.missing_column(canonical)
        return text

    def flag(self, mask: BoolArray, *, column: str | None, code: str, en: str, zh: str, fix: str, fix_zh: str,
             severity: str = "error", values: pd.Series | None = None,
             extra: Mapping[str, Any] | None = None) -> None:
        """Report every row in ``mask``; templates may use {value} and the keys of ``extra`` (arrays)."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        header = self.header(column) if column else None
        if values is None and header is not None:
            values = self.raw.frame[header].reset_index(drop=True)
        for i in positions:
            value = None if values is None else values.iat[i]
            value = None if value is None or value is pd.NA else str(value)
            ctx = {"value": value, **{k: v[i] for k, v in (extra or {}).items()}}
            self.report.add(Problem(
                file=self.source, row=int(self.rows[i]), column=header if header else column, value=value,
                severity=severity, code=code, message=en.format(**ctx), message_zh=zh.format(**ctx),
                fix=fix.format(**ctx), fix_zh=fix_zh.format(**ctx)))
        if severity == "error":
            self.reject[positions] = True

    def missing_column(self, canonical: str, why: str = "") -> MissingColumnError:
        accepted = "、".join(accepted_headers(canonical)[:12])
        zh_label = COLUMN_LABELS.get(canonical, (canonical, canonical))[0]
        headers = ", ".join(map(str, self.raw.frame.columns))
        message = (f"{self.source}: the {self.kind} table needs a column '{zh_label}' ({canonical}){why}; "
                   f"accepted headers: {accepted}. The file's headers are: {headers}. Rename the column or pass "
                   f"a mapping, e.g. columns={{'your header': '{canonical}'}} (CLI: --map 'your header={canonical}') / "
                   f"缺少必需的列“{zh_label}”；可用表头：{accepted}")
        self.report.add(Problem(file=self.source, row=None, column=None, value=None, severity="error",
                                code="missing_column",
                                message=f"missing required column '{zh_label}' ({canonical}){why}; accepted "
                                        f"headers: {accepted}",
                                message_zh=f"缺少必需的列“{zh_label}”；可用表头：{accepted}",
                                fix="rename the column or pass a column mapping",
                                fix_zh="修改表头或指定列映射"))
        exc = MissingColumnError(message)
        exc.report = self.report  # type: ignore[attr-defined]  # read by the CLI's validate command to print it
        return exc

    def check_required(self, *, optional: tuple[str, ...] = ()) -> None:
        for canonical in required_columns(self.kind):
            if canonical not in self.match.columns and canonical not in optional:
                raise self.missing_column(canonical)

    # -- identifiers, names, codes, numbers
    def ids(self, *, fallback: pd.Series | None = None) -> pd.Series:
        ids = self.text("id")
        if ids is None:
            if fallback is not None and fallback.notna().all() and fallback.is_unique:
                self.note("generated_ids", "no id column: the village code is used as id",
                          "没有编号列：以村级代码作为编号")
                return fallback.astype(object)
            self.note("generated_ids", "no id column: ids 'R<row>' were made from the row numbers",
                      "没有编号列：按行号生成编号 R<行号>")
            return pd.Series([f"R{r}" for r in self.rows], dtype=object)
        empty = ids.isna().to_numpy(dtype=bool)
        self.flag(empty, column="id", code="empty_id", en="empty id", zh="编号为空",
                  fix="give every row a unique id", fix_zh="为每一行填写唯一编号")
        sci = ids.str.fullmatch(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+").fillna(False).to_numpy(dtype=bool)
        self.flag(sci, column="id", code="id_scientific", severity="warning",
                  en="id in scientific notation: Excel may have dropped digits, so different ids can look alike",
                  zh="编号为科学计数法，Excel 可能已丢失末尾数字，不同编号可能变得相同",
                  fix="format the column as text in Excel and enter the full id",
                  fix_zh="在 Excel 中把该列设为“文本”格式后重新输入完整编号")
        dup = ids.duplicated(keep="first").to_numpy(dtype=bool) & ~empty
        if dup.any():
            first_row = dict(zip(ids[~empty][::-1], self.rows[~empty][::-1], strict=True))
            firsts = np.array([first_row.get(v, 0) for v in ids.fillna("")], dtype=object)
            self.flag(dup, column="id", code="duplicate_id", en="duplicate id: row {first} has the same id",
                      zh="编号重复：与第 {first} 行相同", fix="give this row its own id, or delete the repeated row",
                      fix_zh="改为唯一编号，或删除重复行", extra={"first": firsts})
        return ids.astype(object).where(ids.notna(), None)

    def names(self, ids: pd.Series, *, fallback: pd.Series | None = None) -> pd.Series:
        names = self.text("name")
        if names is None:
            if fallback is not None:
                self.note("name_from_village", "no name column: the village name is used",
                          "没有名称列：使用村(社区)名称")
                names = fallback
            else:
                self.note("name_from_id", "no name column: the id is used as name", "没有名称列：以编号作为名称")
                return ids.copy()
        else:
            empty = names.isna().to_numpy(dtype=bool)
            self.flag(empty, column="name", code="empty_name", severity="warning",
                      en="empty name; the id is shown instead", zh="名称为空，以编号代替",
                      fix="fill in the name", fix_zh="填写名称")
            if fallback is not None:
                names = names.fillna(fallback)
        out = names.astype(object).where(names.notna(), None)
        return out.where(out.notna(), ids)

    def admin(self) -> dict[str, pd.Series]:
        out: dict[str, pd.Series] = {}
        for level in ("county", "township", "village"):
            name = self.text(f"{level}_name")
            out[f"{level}_name"] = (pd.Series([None] * self.n, dtype=object) if name is None
                                    else name.astype(object).where(name.notna(), None))
            out[f"{level}_code"] = self.codes(f"{level}_code")
        return out

    def codes(self, canonical: str) -> pd.Series:
        raw = self.text(canonical)
        if raw is None:
            return pd.Series([None] * self.n, dtype=object)
        codes, sci, bad = admin_codes(raw)
        self.flag(sci, column=canonical, code="code_scientific", severity="warning",
                  en="code in scientific notation: Excel may have dropped digits",
                  zh="代码为科学计数法，Excel 可能已丢失末尾数字",
                  fix="format the column as text in Excel and enter the 12-digit code",
                  fix_zh="在 Excel 中把该列设为“文本”格式后重新输入 12 位代码")
        self.flag(bad & raw.notna().to_numpy(dtype=bool), column=canonical, code="bad_code", severity="warning",
                  en="not a 6-, 9- or 12-digit statistical division code; left empty",
                  zh="不是 6、9 或 12 位统计用区划代码，已置空",
                  fix="enter the 12-digit code (first 6 digits = county adcode)",
                  fix_zh="填写 12 位区划代码（前 6 位为县级代码）")
        return codes.astype(object).where(codes.notna(), None)

    def numbers(self, canonical: str, *, what_en: str, what_zh: str, units: str = "",
                severity: str = "warning", maximum: float = np.inf) -> FloatArray:
        """An optional non-negative number column (capacity, cost): bad values -> NaN with a warning."""
        raw = self.text(canonical)
        if raw is None:
            return np.full(self.n, np.nan)
        values, _, bad, misgrouped = parse_numbers(raw, units=units)
        left = "; left empty" if severity != "error" else ""
        left_zh = "，已置空" if severity != "error" else ""
        self.flag(misgrouped, column=canonical, code="ambiguous_separator", severity=severity,
                  en=MISGROUPED_EN + left, zh=MISGROUPED_ZH + left_zh, fix=MISGROUPED_FIX,
                  fix_zh=MISGROUPED_FIX_ZH)
        huge = ~bad & (values > maximum)
        self.flag(huge, column=canonical, code="implausible_number", severity=severity,
                  en=f"{what_en} {{value}} is implausibly large (more than {maximum:,.0f}): a code or an ID number "
                     f"in the wrong column?" + left,
                  zh=f"{what_zh} {{value}} 大得不合理（超过 {maximum:,.0f}）："
                     f"是否把代码或身份证号填入了该列？" + left_zh,
                  fix=f"enter the {what_en} of this one site", fix_zh=f"填写该点位的{what_zh}")
        bad = bad & ~misgrouped
        self.flag(bad, column=canonical, code="non_numeric", severity=severity,
                  en=f"{what_en} is not a number" + ("; left empty" if severity != "error" else ""),
                  zh=f"{what_zh}不是数字" + ("，已置空" if severity != "error" else ""),
                  fix="enter a number (digits only)", fix_zh="填写数字")
        negative = values < 0
        self.flag(negative, column=canonical, code="negative_number", severity=severity,
                  en=f"{what_en} is negative" + ("; left empty" if severity != "error" else ""),
                  zh=f"{what_zh}为负数" + ("，已置空" if severity != "error" else ""),
                  fix="enter 0 or more", fix_zh="填写 0 或正数")
        values = values.copy()
        values[bad | negative | misgrouped | huge] = np.nan
        return values

    # -- result
    def finish(self, frame: dict[str, Any], columns: tuple[str, ...], lon: FloatArray | None,
               lat: FloatArray | None, geometry: Any, crs_assumed: str, strict: bool) -> LoadResult:
        keep = ~self.reject
        if geometry is None:
            if lon is None or lat is None:
                raise TypeError("finish() needs either lon and lat or the geometries")
            geometry = shapely.points(np.where(keep, lon, np.nan), np.where(keep, lat, np.nan))
        data = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in frame.items()})
        gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(np.asarray(geometry, dtype=object)), crs=WGS84)
        gdf = gdf.loc[keep, list(columns)].reset_index(drop=True)
        for col in columns:
            if col in _TEXT_COLUMNS:
                gdf[col] = gdf[col].astype("str")  # pandas' text dtype; missing values are NaN
        self.report.n_loaded = len(gdf)
        self.report.crs_assumed = crs_assumed
        rejected = self.raw.frame.loc[self.reject].copy()
        if len(rejected):
            reasons: dict[int, list[str]] = {}
            for p in self.report.problems:
                if p.rejected and p.row is not None:
                    reasons.setdefault(p.row, []).append(p.message_zh or p.message)
            rejected.insert(0, "_row", self.rows[self.reject])
            rejected["_reasons"] = ["；".join(reasons.get(int(r), [])) for r in rejected["_row"]]
        if self.reject.any() or self.report.errors:
            logger.info("%s: %d of %d rows rejected", self.source, int(self.reject.sum()), self.n)
        if strict and self.report.errors:
            raise ValidationError(
                f"{self.source}: {self.report.n_rejected} row(s) rejected in strict mode "
                f"(rows {', '.join(map(str, self.report.rejected_rows[:20]))}"
                f"{' ...' if self.report.n_rejected > 20 else ''}); fix them or load without strict / "
                f"严格模式下有 {self.report.n_rejected} 行不合格\n{self.report.summary()}",
                self.report)
        return LoadResult(data=gdf, report=self.report, crs_assumed=crs_assumed, rejected=rejected)
