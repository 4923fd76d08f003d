"""Load and validate demand points, facilities, candidate sites and boundaries.

Each ``load_*`` reads a planner's file (or a DataFrame), matches the headers
to the canonical columns of :mod:`coverage.model`, converts the coordinates to
WGS-84, validates every row, and returns a :class:`LoadResult`: the valid rows
as a GeoDataFrame in EPSG:4326, and a :class:`~coverage.inputs.validate.ValidationReport`
listing every rejected row and every doubt with file, row (as Excel shows it),
column, value, reason and fix.  Nothing is dropped silently; ``strict=True``
raises :class:`~coverage.errors.ValidationError` instead of rejecting rows.

Validation is vectorised (no Python loop over rows except to describe the rows
that have a problem), so 20,000 rows load in well under a second or two.

Example
-------
>>> result = load_demand("村庄名单.xlsx", crs="gcj02")  # doctest: +SKIP
>>> result.crs_assumed  # doctest: +SKIP
'GCJ-02 (Amap/Tencent) -> WGS-84'
>>> print(result.report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from coverage.errors import CRSError, FileReadError, MissingColumnError, UnknownCategoryError, ValidationError
from coverage.inputs.columns import ALIASES, ColumnMatch, accepted_headers, match_columns, required_columns
from coverage.inputs.crs import CHINA_BBOX, CoordinateSystem, parse_crs, points_to_wgs84
from coverage.inputs.readers import RawTable, alias_score, read_table
from coverage.inputs.validate import Problem, ValidationReport
from coverage.model import (
    BOUNDARY_COLUMNS,
    CANDIDATE_COLUMNS,
    COLUMN_LABELS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    HOST_SEPARATOR,
    POPULATION_COLUMNS,
    WGS84,
)
from coverage.taxonomy import (
    ADMIN_LEVELS,
    CAPACITY_UNITS,
    CATEGORIES,
    FACILITY_TYPES,
    POPULATION_GROUPS,
    candidate_kind,
    facility_status,
    facility_type,
    normalize_label,
)

__all__ = ["LoadResult", "load_boundaries", "load_candidates", "load_demand", "load_facilities"]

logger = logging.getLogger(__name__)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: Text columns of the result (pandas "str" dtype, missing = NaN).
_TEXT_COLUMNS = frozenset({"id", "name", "county_code", "county_name", "township_code", "township_name",
                           "village_code", "village_name", "type", "capacity_unit", "status", "kind", "can_host",
                           "level", "code", "parent_code"})

#: Columns whose Excel error cell rejects the row (elsewhere the cell is left empty with a warning).
_CELL_REQUIRED = frozenset({"id", "lon", "lat", "lonlat", "type", "kind", "can_host", "level", "code",
                            *POPULATION_COLUMNS})

#: Most people at one demand point: more is a mistake (an ID number, a code, a sum
#: row), and beyond 2**63 the count would wrap to a negative integer.
MAX_PEOPLE_PER_POINT = 10_000_000

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


# --------------------------------------------------------------------------- helpers

def _strings(series: pd.Series) -> pd.Series:
    """Text cells, NFKC-normalised and stripped, as pandas "string" (missing = <NA>)."""
    t = series.astype("string")
    wide = ~t.str.isascii().fillna(True).to_numpy(dtype=bool)
    if wide.any():  # full-width digits and punctuation (１２，) only occur in non-ASCII cells
        t = t.copy()
        t[wide] = t[wide].str.normalize("NFKC")
    t = t.str.strip()
    return t.mask(t == "")


def _parse_numbers(series: pd.Series, *,
                   units: str = "") -> tuple[FloatArray, BoolArray, BoolArray, BoolArray]:
    """(values, empty, bad, misgrouped) of a text column of numbers.

    ``units`` suffixes (a regex alternation such as "人|名") are dropped.
    Thousands separators are accepted only in groups of three digits ("1,234",
    "1 234", "12,345.6"); "12,34" (a decimal comma? a typo?) is ``misgrouped``
    and bad, never read as 1234.  Text such as "nan", "NA", "-", "inf" and
    numbers beyond the float range ("1e400") are bad; only an empty cell is
    ``empty``.
    """
    t = _strings(series)
    spaced = t.str.contains(r"\d\s+[\d,.]|[\d,.]\s+\d", regex=True).fillna(False).to_numpy(dtype=bool)
    space_ok = t.str.fullmatch(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?(?:\s*\D*)").fillna(False).to_numpy(dtype=bool)
    t = t.str.replace(r"\s", "", regex=True)
    if units:
        t = t.str.replace(f"({units})$", "", regex=True)
    commas = t.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    grouped = t.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).to_numpy(dtype=bool)
    misgrouped = (commas & ~grouped) | (spaced & ~space_ok)
    t = t.str.replace(",", "", regex=False)
    empty = t.isna().to_numpy(dtype=bool) | (t == "").fillna(True).to_numpy(dtype=bool)
    values = pd.to_numeric(t.mask(empty | misgrouped), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~empty & ~np.isfinite(values)
    return values, empty, bad, misgrouped & ~empty


_MISGROUPED_EN = ("'{value}' is not a number: a comma or space may only separate thousands (1,234); a decimal "
                  "comma or a typo cannot be read safely")
_MISGROUPED_ZH = "“{value}”不是有效数字：逗号或空格只能作千位分隔（如 1,234）；小数逗号或笔误无法可靠读取"
_MISGROUPED_FIX = "write the number with a decimal point and no separator, e.g. 1234 or 12.34"
_MISGROUPED_FIX_ZH = "填写不带分隔符的数字，小数用小数点，如 1234 或 12.34"


def _admin_code(series: pd.Series) -> tuple[pd.Series, BoolArray, BoolArray]:
    """(12-digit codes or <NA>, scientific-notation mask, malformed mask).

    County adcodes of 6 digits and township codes of 9 digits are padded to 12.
    """
    t = _strings(series)
    sci = t.str.fullmatch(r"\d+(\.\d+)?[eE][+]?\d+").fillna(False).to_numpy(dtype=bool)
    if sci.any():
        as_int = pd.to_numeric(t.where(sci), errors="coerce")
        # 1e400 is infinite and 1e20 too long for a code: keep the text, reported as a bad code.
        digits = as_int.map(lambda v: None if pd.isna(v) or not np.isfinite(v) or v >= 1e15 else str(int(v)))
        t = t.where(~sci | digits.isna().to_numpy(dtype=bool), digits.astype("string"))
    t = t.str.replace(r"\.0+$", "", regex=True)
    length = t.str.len()
    digits = t.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    t = t.mask((length == 6) & digits, t + "000000")
    t = t.mask((length == 9) & digits, t + "000")
    ok = t.str.fullmatch(r"\d{12}").fillna(True).to_numpy(dtype=bool)
    return t.mask(~ok), sci, ~ok


def _term_index(terms: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in terms.values():
        for name in (term.key, term.zh, term.en, *term.aliases):
            out.setdefault(normalize_label(name), term.key)
    return out


def _lookup_unique(values: pd.Series, lookup: Callable[[str], Any]) -> tuple[pd.Series, dict[str, str]]:
    """Map each distinct text value through ``lookup`` once: (keys or <NA>, {bad value: error message})."""
    keys: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for value in pd.unique(values.dropna()):
        try:
            keys[value] = lookup(value).key
        except UnknownCategoryError as exc:
            keys[value] = None
            errors[value] = str(exc)
    return values.map(keys).astype(object).where(values.notna(), None), errors


_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)' \((\w+)\)")


def _suggestion(message: str) -> tuple[str, str]:
    """(English, Chinese) hint from an UnknownCategoryError message."""
    m = _DID_YOU_MEAN.search(message)
    if not m:
        return "", ""
    return f"; did you mean '{m.group(1)}' ({m.group(2)})?", f"；是否应为“{m.group(1)}”？"


def _region_geometry(region: Any) -> BaseGeometry:
    """The study region as one WGS-84 geometry."""
    if isinstance(region, BaseGeometry):
        return region
    if isinstance(region, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if region.crs is None:
            raise CRSError("region: the study-region layer has no CRS; set one (e.g. .set_crs('EPSG:4326')) / "
                           "研究区域图层没有坐标系")
        return region.to_crs(WGS84).union_all()
    values = list(region)
    if len(values) == 4:
        return shapely.box(*[float(v) for v in values])
    raise ValueError("region must be a shapely geometry, a GeoDataFrame/GeoSeries or a bbox "
                     "(lon_min, lat_min, lon_max, lat_max)")


def _distance_outside_km(lon: FloatArray, lat: FloatArray, region: BaseGeometry) -> FloatArray:
    """Distance [km] of each point outside ``region`` (0 inside), in a local equidistant projection."""
    centre = region.centroid
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m")
    fwd = pyproj.Transformer.from_crs(WGS84, local, always_xy=True)
    region_m = shapely.transform(region, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    x, y = fwd.transform(lon, lat)
    points = shapely.points(np.asarray(x), np.asarray(y))
    return np.asarray(shapely.distance(points, region_m), dtype=np.float64) / 1000.0


# --------------------------------------------------------------------------- the loader

class _Load:
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
            names = ", ".join(self.match.unmatched)
            self.note("ignored_columns", f"columns not used: {names}", f"以下列未使用：{'、'.join(self.match.unmatched)}")
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
            self._text_cache[header] = _strings(self.raw.frame[header]).reset_index(drop=True)
        return self._text_cache[header].copy()

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
        exc.report = self.report  # type: ignore[attr-defined]
        return exc

    def check_required(self, *, optional: tuple[str, ...] = ()) -> None:
        for canonical in required_columns(self.kind):
            if canonical not in self.match.columns and canonical not in optional:
                raise self.missing_column(canonical)

    # -- identifiers and names
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
            first_row = {v: r for v, r in zip(ids[~empty][::-1], self.rows[~empty][::-1], strict=True)}
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
        codes, sci, bad = _admin_code(raw)
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
        values, _, bad, misgrouped = _parse_numbers(raw, units=units)
        left = "; left empty" if severity != "error" else ""
        left_zh = "，已置空" if severity != "error" else ""
        self.flag(misgrouped, column=canonical, code="ambiguous_separator", severity=severity,
                  en=_MISGROUPED_EN + left, zh=_MISGROUPED_ZH + left_zh, fix=_MISGROUPED_FIX,
                  fix_zh=_MISGROUPED_FIX_ZH)
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

    # -- coordinates
    def _system(self) -> tuple[CoordinateSystem, str]:
        """The coordinate system of a table's coordinates and where it came from."""
        if self.system is not None:
            return self.system, ""
        if self.match.crs_hint is not None:
            header = self.header("lon") or self.header("lonlat") or self.header("lat")
            return parse_crs(self.match.crs_hint), f" (from the header '{header}')"
        self.note("crs_assumed", "no coordinate system given: WGS-84 assumed. Coordinates picked on Amap or "
                                 "Tencent maps are GCJ-02 (pass crs='gcj02' / --crs gcj02), on Baidu maps BD-09 "
                                 "(crs='bd09')",
                  "未指定坐标系，按 WGS-84 处理。高德、腾讯地图拾取的坐标为 GCJ-02（--crs gcj02），"
                  "百度地图为 BD-09（--crs bd09）")
        return parse_crs("wgs84"), " (assumed: no crs given)"

    def points(self) -> tuple[FloatArray, FloatArray, str]:
        """WGS-84 lon/lat of each row (NaN where rejected) and the CRS description."""
        if self.raw.geometry is not None:
            return self._layer_points()
        lon_h, lat_h, both_h = self.header("lon"), self.header("lat"), self.header("lonlat")
        if lon_h is not None and lat_h is not None:
            x_text, y_text = self.text("lon"), self.text("lat")
        elif both_h is not None:
            both = self.text("lonlat")
            parts = both.str.split(r"[,，;；\s]+", n=1, expand=True, regex=True)
            x_text = parts[0] if 0 in parts else pd.Series([pd.NA] * self.n, dtype="string")
            y_text = parts[1] if 1 in parts else pd.Series([pd.NA] * self.n, dtype="string")
        else:
            missing = "lon" if lon_h is None else "lat"
            raise self.missing_column(missing, " (or one column 经纬度 'lon,lat')")
        system, origin = self._system()
        x, x_empty, x_bad, x_grp = _parse_numbers(x_text.str.replace("°", "", regex=False))
        y, y_empty, y_bad, y_grp = _parse_numbers(y_text.str.replace("°", "", regex=False))
        lon_col = "lon" if lon_h is not None else "lonlat"
        lat_col = "lat" if lat_h is not None else "lonlat"
        self.flag(x_grp, column=lon_col, code="ambiguous_separator", values=x_text,
                  en="longitude " + _MISGROUPED_EN, zh="经度" + _MISGROUPED_ZH,
                  fix="write decimal degrees with a point, e.g. 102.5432", fix_zh="用小数点填写十进制度数，如 102.5432")
        self.flag(y_grp & ~x_grp, column=lat_col, code="ambiguous_separator", values=y_text,
                  en="latitude " + _MISGROUPED_EN, zh="纬度" + _MISGROUPED_ZH,
                  fix="write decimal degrees with a point, e.g. 24.3511", fix_zh="用小数点填写十进制度数，如 24.3511")
        x_bad = x_bad & ~x_grp
        y_bad = y_bad & ~y_grp & ~x_grp
        self.flag(x_empty, column=lon_col, code="missing_coordinates",
                  en="missing longitude", zh="缺少经度",
                  fix="pick the point on a map and fill in both", fix_zh="在地图上拾取坐标并填写经纬度")
        self.flag(y_empty & ~x_empty, column=lat_col, code="missing_coordinates",
                  en="missing latitude", zh="缺少纬度",
                  fix="pick the point on a map and fill in both", fix_zh="在地图上拾取坐标并填写经纬度")
        self.flag(x_bad & ~y_empty, column=lon_col, code="non_numeric_coordinate",
                  en="longitude is not a number in decimal degrees", zh="经度不是十进制度数",
                  fix="enter decimal degrees, e.g. 102.5432", fix_zh="填写十进制度数，如 102.5432", values=x_text)
        self.flag(y_bad & ~x_empty & ~x_bad, column=lat_col, code="non_numeric_coordinate",
                  en="latitude is not a number in decimal degrees", zh="纬度不是十进制度数",
                  fix="enter decimal degrees, e.g. 24.3511", fix_zh="填写十进制度数，如 24.3511", values=y_text)
        valid = ~(x_empty | y_empty | x_bad | y_bad | x_grp | y_grp)
        return self._convert(x, y, valid, system, origin, lon_col=lon_col, x_text=x_text, y_text=y_text)

    def _convert(self, x: FloatArray, y: FloatArray, valid: BoolArray, system: CoordinateSystem, origin: str, *,
                 lon_col: str | None, x_text: pd.Series | None = None,
                 y_text: pd.Series | None = None) -> tuple[FloatArray, FloatArray, str]:
        pair = None
        if x_text is not None and y_text is not None:
            pair = (x_text.fillna("") + ", " + y_text.fillna("")).astype(object)
        else:
            pair = pd.Series([f"{a:.6f}, {b:.6f}" for a, b in zip(x, y, strict=True)], dtype=object)
        geographic = system.is_geographic and not (
            system.auto_zone and np.nanmax(np.abs(np.where(valid, x, 0.0)), initial=0.0) > 360.0)
        if geographic:
            swapped = valid & (x >= 18) & (x <= 54) & (y >= 73) & (y <= 135.1)
            self.flag(swapped, column=lon_col, code="swapped_lat_lon", values=pair,
                      en="longitude and latitude look swapped ({value}): in China longitude is 73..135 and "
                         "latitude 18..54",
                      zh="经纬度似乎填反了（{value}）：中国境内经度约 73~135，纬度约 18~54",
                      fix="swap the two values (or the two column headers)", fix_zh="交换经度和纬度")
            out_of_range = valid & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
            self.flag(out_of_range, column=lon_col, code="coordinate_out_of_range", values=pair,
                      en="({value}) is not longitude/latitude in degrees (projected metres? then pass "
                         "crs='cgcs2000' or the EPSG code)",
                      zh="（{value}）不是经纬度（若为投影坐标米，请指定 crs='cgcs2000' 或 EPSG 代码）",
                      fix="enter decimal degrees, or give the coordinate system",
                      fix_zh="填写十进制经纬度，或指定坐标系")
            valid = valid & ~swapped & ~out_of_range
        elif valid.any() and (x[valid] < 1e7).all() and (y[valid] >= 1e7).all():
            # Gauss-Krueger in the surveyors' convention: X = northing, Y = easting with the zone number.
            x, y = y, x
            self.note("xy_surveyor_order", "X holds northings and Y eastings (surveyors' convention): read as such",
                      "X 为纵坐标(北)、Y 为横坐标(东，含带号)：按测绘习惯读取")
        lon = np.full(self.n, np.nan)
        lat = np.full(self.n, np.nan)
        if valid.any():
            lon_v, lat_v, described = points_to_wgs84(x[valid], y[valid], system)
            lon[valid], lat[valid] = lon_v, lat_v
        else:
            described = system.describe()
        described += origin
        outside = valid & ~((lon >= CHINA_BBOX[0]) & (lon <= CHINA_BBOX[2]) & (lat >= CHINA_BBOX[1])
                            & (lat <= CHINA_BBOX[3]))
        self.flag(outside, column=lon_col, code="outside_china", values=pair,
                  en="point ({value}) is outside China (lon 73.5..135.1, lat 18..53.6)",
                  zh="点位（{value}）不在中国境内", fix="check the coordinates and the coordinate system",
                  fix_zh="检查坐标和坐标系")
        lon[outside | self.reject] = np.nan
        lat[outside | self.reject] = np.nan
        self.report.crs_assumed = described
        self._pair = pair
        return lon, lat, described

    def _layer_crs(self) -> tuple[CoordinateSystem, str]:
        claimed = self.raw.crs
        if self.system is not None:
            if claimed is not None and pyproj.CRS(claimed).is_projected and self.system.is_geographic:
                # Degrees cannot describe a layer stored in metres: the option is a mistake, the file is right.
                file_crs = parse_crs(pyproj.CRS(claimed))
                self.report.add(Problem(
                    file=self.source, row=None, column=None, value=None, severity="warning",
                    code="crs_option_ignored",
                    message=f"the layer is in projected {file_crs.label} (metres); crs='{self.system.label}' "
                            f"(degrees) cannot apply and was ignored",
                    message_zh=f"图层为投影坐标 {file_crs.label}（米），指定的 {self.system.label}（经纬度）不适用，已忽略",
                    fix="leave the coordinate system unset for this file", fix_zh="该文件无需指定坐标系"))
                return file_crs, " (from the file)"
            if claimed is not None and self.system.kind in ("gcj02", "bd09"):
                self.note("crs_override", f"the file claims {pyproj.CRS(claimed).to_string()}; crs="
                                          f"'{self.system.kind}' overrides it",
                          f"文件声明坐标系为 {pyproj.CRS(claimed).to_string()}，按指定的 {self.system.label} 处理")
            return self.system, ""
        if claimed is None:
            raise CRSError(f"{self.source}: the layer has no coordinate reference system (no .prj / CRS); pass "
                           f"the system: crs='wgs84' | 'gcj02' | 'bd09' | 'cgcs2000' | 'EPSG:4545' (CLI: --crs) / "
                           f"图层没有坐标系信息（缺 .prj），请用 --crs 指定")
        return parse_crs(pyproj.CRS(claimed)), " (from the file)"

    def _layer_points(self) -> tuple[FloatArray, FloatArray, str]:
        geoms = self.raw.geometry.to_numpy()
        system, origin = self._layer_crs()
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        self.flag(missing, column=None, code="missing_geometry", en="feature without geometry",
                  zh="要素没有几何图形", fix="draw the point or delete the feature", fix_zh="补画点位或删除该要素")
        kinds = shapely.get_type_id(geoms)
        polygons = ~missing & np.isin(kinds, (3, 6))
        if polygons.any():
            self.note("polygon_to_point", f"{int(polygons.sum())} polygon(s) replaced by a point inside them",
                      f"{int(polygons.sum())} 个面要素以面内一点代表")
        parts = np.where(missing, 0, shapely.get_num_geometries(geoms))
        multipoint = ~missing & (kinds == 4)
        single = multipoint & (parts == 1)
        if single.any():
            self.note("multipoint_one_part", f"{int(single.sum())} multipoint feature(s) with a single point read "
                                             f"as that point", f"{int(single.sum())} 个仅含一个点的多点要素按该点读取")
        names = {1: "LineString", 2: "LinearRing", 4: "MultiPoint", 5: "MultiLineString", 7: "GeometryCollection"}
        wrong = ~missing & ((multipoint & (parts > 1)) | np.isin(kinds, (1, 2, 5, 7)))
        shown = pd.Series([f"{names.get(int(k), k)} ({int(n)} part(s))" if k in (4, 5, 7) else names.get(int(k), str(k))
                           for k, n in zip(kinds, parts, strict=True)], dtype=object)
        self.flag(wrong, column=None, code="not_a_point", values=shown,
                  en="a point layer needs one point per feature, not a {value}; taking one point of it would put "
                     "the site somewhere it may not be",
                  zh="点图层每个要素应为一个点，而不是 {value}；任取其中一点可能位置不对",
                  fix="split the feature into points (one per site) or draw the site as a point in your GIS",
                  fix_zh="在 GIS 中把该要素拆分为点（每处一个）或重新画点")
        usable = ~missing & ~wrong
        pts = geoms.copy()
        pts[usable] = shapely.point_on_surface(geoms[usable])
        x = np.where(usable, shapely.get_x(np.where(usable, pts, shapely.Point(0, 0))), np.nan)
        y = np.where(usable, shapely.get_y(np.where(usable, pts, shapely.Point(0, 0))), np.nan)
        return self._convert(x, y, usable, system, origin, lon_col=None)

    def region_check(self, lon: FloatArray, lat: FloatArray, region: Any, tolerance_km: float,
                     column: str | None) -> None:
        if region is None:
            return
        geom = _region_geometry(region)
        ok = np.isfinite(lon) & ~self.reject
        if not ok.any():
            return
        dist = np.full(self.n, np.nan)
        dist[ok] = _distance_outside_km(lon[ok], lat[ok], geom)
        far = ok & (dist > tolerance_km)
        self.flag(far, column=column, code="outside_region", values=self._pair,
                  extra={"km": np.round(dist, 1)},
                  en="point ({value}) is {km} km outside the study region",
                  zh="点位（{value}）在研究区域外 {km} 公里",
                  fix="check the coordinates (a typo in a digit?) and the coordinate system, or the region",
                  fix_zh="检查坐标（是否输错数字）和坐标系")

    def same_spot(self, lon: FloatArray, lat: FloatArray, names: pd.Series, column: str | None) -> None:
        ok = np.isfinite(lon) & ~self.reject
        key = pd.Series(np.round(lon, 6).astype(str), dtype=object) + "," + np.round(lat, 6).astype(str)
        key = key.where(ok)
        dup = key.duplicated(keep="first").to_numpy(dtype=bool) & ok
        if not dup.any():
            return
        first = {}
        for k, r, nm in zip(key[ok], self.rows[ok], names[ok], strict=True):
            first.setdefault(k, (r, nm))
        first_rows = np.array([first[k][0] if k in first else 0 for k in key.fillna("")], dtype=object)
        first_names = np.array([first[k][1] if k in first else "" for k in key.fillna("")], dtype=object)
        self.flag(dup, column=column, code="same_location", severity="warning", values=self._pair,
                  extra={"first": first_rows, "first_name": first_names},
                  en="same spot as row {first} ({first_name})", zh="与第 {first} 行（{first_name}）位置完全相同",
                  fix="check that both points are right (a copied coordinate?)",
                  fix_zh="检查两处坐标是否正确（是否复制了坐标）")

    # -- result
    def finish(self, frame: dict[str, Any], columns: tuple[str, ...], lon: FloatArray | None,
               lat: FloatArray | None, geometry: Any, crs_assumed: str, strict: bool) -> LoadResult:
        keep = ~self.reject
        if geometry is None:
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


# --------------------------------------------------------------------------- public loaders

_DOC_COMMON = """
    Parameters
    ----------
    path
        .xlsx (first sheet, or ``sheet``), .csv (UTF-8, UTF-8 with BOM, GBK/GB18030),
        .geojson, .gpkg, .shp (GBK .dbf with or without .cpg), a .zip with a
        Shapefile, an uploaded file object (CSV/XLSX), or a DataFrame /
        GeoDataFrame.
    sheet
        Worksheet name or 0-based number (.xlsx); layer name (.gpkg).
    crs
        Coordinate system of the coordinates: "wgs84", "gcj02" (Amap, Tencent),
        "bd09" (Baidu), "cgcs2000" (EPSG:4490; for Gauss-Krueger metres the zone
        is read from the easting) or any EPSG code ("EPSG:4545").  For layers it
        overrides the file's claim (Amap data claiming EPSG:4326 is GCJ-02).
        None: a layer's own CRS (none: CRSError); for tables a system named in
        the coordinate headers (高德经度, bd_lng ...), else WGS-84 (noted in the
        report).
    columns
        Explicit ``{their header: canonical column}``, wins over the aliases.
    strict
        Raise instead of rejecting rows.
    region
        Study region (shapely geometry in WGS-84, GeoDataFrame/GeoSeries with a
        CRS, or a (lon_min, lat_min, lon_max, lat_max) bbox): points more than
        ``region_tolerance_km`` outside it are rejected, saying how far.
    region_tolerance_km
        Distance [km] outside the region still accepted.
"""

_DOC_RETURNS = """
    Returns
    -------
    LoadResult
        ``.data`` (EPSG:4326), ``.report``, ``.crs_assumed``, ``.rejected``.

    Raises
    ------
    FileReadError
        The file cannot be opened, decoded or parsed.
    MissingColumnError
        A required column is absent (the message lists the accepted headers).
    CRSError
        A layer without a CRS and no ``crs``; an unknown ``crs``.
    ValidationError
        ``strict=True`` and some row has an error (``.report`` lists them).
"""


def load_demand(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                region_tolerance_km: float = REGION_TOLERANCE_KM) -> LoadResult:
    load = _Load(path, kind="demand", sheet=sheet, crs=crs, columns=columns)
    load.check_required()
    lon, lat, crs_assumed = load.points()
    admin = load.admin()
    ids = load.ids(fallback=admin["village_code"] if admin["village_code"].notna().all() else None)
    names = load.names(ids, fallback=load.text("village_name"))
    frame: dict[str, Any] = {"id": ids, "name": names, **admin}
    absent = []
    for key in POPULATION_COLUMNS:
        raw = load.text(key)
        if raw is None:
            absent.append(key)
            frame[key] = np.zeros(load.n, dtype=np.int64)
            continue
        what_en, what_zh = POPULATION_GROUPS[key].en, POPULATION_GROUPS[key].zh
        values, empty, bad, misgrouped = _parse_numbers(raw, units="人|名")
        load.flag(misgrouped, column=key, code="ambiguous_separator", en=f"{what_en}: " + _MISGROUPED_EN,
                  zh=f"{what_zh}：" + _MISGROUPED_ZH, fix=_MISGROUPED_FIX, fix_zh=_MISGROUPED_FIX_ZH)
        bad = bad & ~misgrouped
        load.flag(bad, column=key, code="non_numeric_population", en=f"{what_en}: not a number",
                  zh=f"{what_zh}：不是数字", fix="enter a whole number of persons (0 if none)",
                  fix_zh="填写人数（整数，没有填 0）")
        negative = ~bad & ~empty & ~misgrouped & (values < 0)
        load.flag(negative, column=key, code="negative_population", en=f"{what_en}: negative count",
                  zh=f"{what_zh}：人数为负", fix="enter 0 or more", fix_zh="填写 0 或正整数")
        finite = np.where(np.isfinite(values), values, 0.0)
        huge = ~bad & ~empty & ~misgrouped & (values > MAX_PEOPLE_PER_POINT)
        load.flag(huge, column=key, code="implausible_population",
                  en=f"{what_en}: {{value}} people at one point is implausible (more than "
                     f"{MAX_PEOPLE_PER_POINT:,}): an ID number, a code or a total in the wrong column?",
                  zh=f"{what_zh}：一个点位 {{value}} 人不合理（超过 {MAX_PEOPLE_PER_POINT:,}）："
                     f"是否填入了身份证号、代码或合计？",
                  fix="enter the number of persons living at this point", fix_zh="填写该点位的实际人数")
        fractional = ~bad & ~empty & ~negative & ~huge & (np.abs(finite - np.round(finite)) > 1e-9)
        load.flag(fractional, column=key, code="non_integer_population", en=f"{what_en}: not a whole number",
                  zh=f"{what_zh}：人数不是整数", fix="enter a whole number of persons (not a share or percentage)",
                  fix_zh="填写整数人数（不是比例或百分数）")
        ok = ~(bad | misgrouped | negative | huge | fractional | empty)
        shown_empty = empty & ~load.reject
        if shown_empty.any():
            load.note("empty_population", f"{int(shown_empty.sum())} empty cell(s) in '{load.header(key)}' read as 0",
                      f"“{load.header(key)}”列有 {int(shown_empty.sum())} 个空格，按 0 计", column=load.header(key))
        frame[key] = np.where(ok, np.round(finite), 0).astype(np.int64)
    if len(absent) == len(POPULATION_COLUMNS):
        load.report.add(Problem(file=load.source, row=None, column=None, value=None, severity="warning",
                                code="no_population",
                                message="no population column found: every group is 0 (only per-village targets "
                                        "can be checked); accepted headers include "
                                        + ", ".join(POPULATION_GROUPS[k].zh for k in POPULATION_COLUMNS),
                                message_zh="没有找到任何人口列，各人群按 0 计（只能核对“每村一个”类指标）",
                                fix="add population columns or map them with columns=",
                                fix_zh="补充人口列，或用列映射指定"))
    elif absent:
        load.note("absent_groups", "population groups not in the file, set to 0: "
                  + ", ".join(POPULATION_GROUPS[k].en for k in absent),
                  "文件中没有以下人群，按 0 计：" + "、".join(POPULATION_GROUPS[k].zh for k in absent))
    load.region_check(lon, lat, region, region_tolerance_km, "lon" if load.header("lon") else None)
    load.same_spot(lon, lat, names, "lon" if load.header("lon") else None)
    return load.finish(frame, DEMAND_COLUMNS, lon, lat, None, crs_assumed, strict)


load_demand.__doc__ = """Load demand points (villages / communities with people by group).

    Population columns become non-negative integers; groups absent from the file
    are 0 (an info note says which); an empty cell is 0 (noted per column);
    a non-numeric (``nan``, ``NA``, ``-``, ``inf``, an Excel error), negative,
    fractional or implausible count (more than :data:`MAX_PEOPLE_PER_POINT`,
    e.g. an ID number) rejects the row, and so do thousands separators not in
    groups of three ("12,34").  Ids are text
    ("001" stays "001"); admin codes become 12-digit strings.
""" + _DOC_COMMON + _DOC_RETURNS + """
    Example
    -------
    >>> res = load_demand("tests/data/demand_cn.xlsx", crs="gcj02")
    >>> res.data.crs.to_epsg(), res.report.n_rejected
    (4326, 0)
"""


_UNIT_INDEX = _term_index(CAPACITY_UNITS)


def load_facilities(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM,
                    default_type: str | None = None) -> LoadResult:
    default_key = facility_type(default_type).key if default_type is not None else None
    load = _Load(path, kind="facilities", sheet=sheet, crs=crs, columns=columns)
    load.check_required(optional=("type",) if default_key else ())
    lon, lat, crs_assumed = load.points()
    admin = load.admin()
    ids = load.ids()
    names = load.names(ids)
    raw_type = load.text("type")
    if raw_type is None:
        load.note("default_type", f"no type column: every facility is '{default_key}'",
                  f"没有类型列：全部按“{FACILITY_TYPES[default_key].zh}”处理")  # type: ignore[index]
        types = pd.Series([default_key] * load.n, dtype=object)
    else:
        types, errors = _lookup_unique(raw_type, facility_type)
        if default_key is not None:
            types = types.where(raw_type.notna(), default_key)
        empty = raw_type.isna().to_numpy(dtype=bool) & (default_key is None)
        load.flag(empty, column="type", code="empty_type", en="empty facility type", zh="设施类型为空",
                  fix="enter a type such as 幸福小院, 儿童之家, 养老机构", fix_zh="填写设施类型，如 幸福小院、儿童之家、养老机构")
        bad = raw_type.isin(list(errors)).to_numpy(dtype=bool)
        hints = np.array([_suggestion(errors.get(v, "")) if isinstance(v, str) else ("", "") for v in raw_type],
                         dtype=object).reshape(-1, 2) if load.n else np.empty((0, 2), dtype=object)
        known = "、".join(t.zh for t in FACILITY_TYPES.values())
        load.flag(bad, column="type", code="unknown_facility_type", extra={"hint": hints[:, 0], "hint_zh": hints[:, 1]},
                  en="unknown facility type{hint}", zh="未知的设施类型{hint_zh}",
                  fix=f"use one of: {', '.join(FACILITY_TYPES)} (or the Chinese names)",
                  fix_zh=f"使用以下类型之一：{known}")
    capacity = load.numbers("capacity", what_en="capacity", what_zh="容量", units="张|床|个|人|穴|位",
                            maximum=MAX_CAPACITY)
    unit_default = pd.Series([FACILITY_TYPES[k].capacity_unit if k in FACILITY_TYPES else None for k in types],
                             dtype=object)
    unit_raw = load.text("capacity_unit")
    if unit_raw is None:
        units = unit_default.astype(object)
    else:
        mapped = unit_raw.map(lambda v: _UNIT_INDEX.get(normalize_label(v)) if isinstance(v, str) else None)
        unknown = unit_raw.notna().to_numpy(dtype=bool) & mapped.isna().to_numpy(dtype=bool)
        load.flag(unknown, column="capacity_unit", code="unknown_unit", severity="warning",
                  en="unknown capacity unit; the type's default unit is used", zh="未知的容量单位，按该类型默认单位",
                  fix="use 床位 (beds), 名额 (places) or 墓穴/格位 (plots)", fix_zh="填写 床位、名额 或 墓穴/格位")
        units = mapped.astype(object).where(mapped.notna(), unit_default)
    raw_status = load.text("status")
    if raw_status is None:
        status = pd.Series(["existing"] * load.n, dtype=object)
    else:
        status, errors = _lookup_unique(raw_status, facility_status)
        bad = raw_status.isin(list(errors)).to_numpy(dtype=bool)
        load.flag(bad, column="status", code="unknown_status", en="unknown status",
                  zh="未知的状态", fix="use 现有 (existing), 规划 (planned) or 拟建 (proposed)",
                  fix_zh="填写 现有、规划 或 拟建")
        status = status.where(raw_status.notna(), "existing")
    frame = {"id": ids, "name": names, "type": types, "capacity": capacity, "capacity_unit": units,
             "status": status, **admin}
    columns_out = FACILITY_COLUMNS
    if load.header("residents") is not None:  # optional 在院人数: actual occupancy beside the expected one
        residents = load.numbers("residents", what_en="residents", what_zh="在院人数", units="人|名",
                                 maximum=MAX_CAPACITY)
        over = np.nan_to_num(residents, nan=-1.0) > np.nan_to_num(capacity, nan=np.inf)
        load.flag(over, column="residents", code="residents_over_capacity", severity="warning",
                  en="more residents than capacity (kept as given)", zh="在院人数多于床位数（按原值保留）",
                  fix="check the residents and the beds", fix_zh="核对在院人数和床位数")
        frame["residents"] = residents
        columns_out = (*FACILITY_COLUMNS[:-1], "residents", FACILITY_COLUMNS[-1])
    column = "lon" if load.header("lon") else None
    load.region_check(lon, lat, region, region_tolerance_km, column)
    load.same_spot(lon, lat, names, column)
    return load.finish(frame, columns_out, lon, lat, None, crs_assumed, strict)


load_facilities.__doc__ = """Load facilities (care, funeral, child services).

    ``type`` becomes a key of :data:`coverage.taxonomy.FACILITY_TYPES` (Chinese
    names and aliases accepted; an unknown type rejects the row and the report
    suggests the closest known).  ``capacity`` is a non-negative number or NaN
    (a bad value is left empty with a warning); ``capacity_unit`` defaults to
    the type's unit; ``status`` defaults to "existing".
""" + _DOC_COMMON + """    default_type
        Facility type for every row when the file has no type column (e.g. a
        list of 幸福小院 only), and for rows whose type cell is empty.
""" + _DOC_RETURNS + """
    Example
    -------
    >>> res = load_facilities("tests/data/facilities_gbk.csv", crs="gcj02")
    >>> res.data["type"].iloc[0], res.data["capacity_unit"].iloc[0]
    ('elderly_institution', 'beds')
"""


_CATEGORY_INDEX = _term_index(CATEGORIES)
_HOST_SPLIT = r"[、,，;；/|\s]+"


def _hosts(value: str) -> tuple[str | None, list[str]]:
    """(keys joined by HOST_SEPARATOR, unknown items) of a can_host cell."""
    keys: list[str] = []
    unknown: list[str] = []
    for item in re.split(_HOST_SPLIT, value):
        if not item:
            continue
        category = _CATEGORY_INDEX.get(normalize_label(item))
        if category is not None:
            found = [t.key for t in FACILITY_TYPES.values() if t.category == category]
        else:
            try:
                found = [facility_type(item).key]
            except UnknownCategoryError:
                unknown.append(item)
                continue
        keys.extend(k for k in found if k not in keys)
    return HOST_SEPARATOR.join(keys), unknown


def load_candidates(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM) -> LoadResult:
    load = _Load(path, kind="candidates", sheet=sheet, crs=crs, columns=columns)
    load.check_required()
    lon, lat, crs_assumed = load.points()
    admin = load.admin()
    ids = load.ids()
    names = load.names(ids)
    raw_kind = load.text("kind")
    kinds, errors = _lookup_unique(raw_kind, candidate_kind)  # type: ignore[arg-type]
    load.flag(raw_kind.isna().to_numpy(dtype=bool), column="kind", code="empty_kind",  # type: ignore[union-attr]
              en="empty candidate kind", zh="候选点类别为空",
              fix="enter 闲置校舍, 村委会用房, 现有设施提升改造 or 新建用地",
              fix_zh="填写 闲置校舍、村委会用房、现有设施提升改造 或 新建用地")
    bad = raw_kind.isin(list(errors)).to_numpy(dtype=bool)  # type: ignore[union-attr]
    pairs = [_suggestion(errors.get(v, "")) if isinstance(v, str) else ("", "") for v in raw_kind]
    hints = np.array([p[0] for p in pairs], dtype=object)
    hints_zh = np.array([p[1] for p in pairs], dtype=object)
    load.flag(bad, column="kind", code="unknown_candidate_kind", extra={"hint": hints, "hint_zh": hints_zh},
              en="unknown candidate kind{hint}", zh="未知的候选点类别{hint_zh}",
              fix="use 闲置校舍 (idle_school), 村委会用房 (village_committee), 现有设施提升改造 "
                  "(upgrade_existing) or 新建用地 (open_land)",
              fix_zh="填写 闲置校舍、村委会用房、现有设施提升改造 或 新建用地")
    raw_host = load.text("can_host")
    if raw_host is None:
        load.note("can_host_any", "no can_host column: every site may host any facility type",
                  "没有“可设设施类型”列：每个候选点可设任何类型")
        hosts = pd.Series([""] * load.n, dtype=object)
    else:
        parsed = {v: _hosts(v) for v in pd.unique(raw_host.dropna())}
        hosts = raw_host.map(lambda v: parsed[v][0] if isinstance(v, str) else "").astype(object)
        unknown = np.array([", ".join(parsed[v][1]) if isinstance(v, str) else "" for v in raw_host], dtype=object)
        load.flag(unknown != "", column="can_host", code="unknown_facility_type", extra={"items": unknown},
                  en="unknown facility type(s) in can_host: {items}", zh="可设设施类型中有未知类型：{items}",
                  fix="list facility types separated by 、 e.g. 幸福小院、儿童之家; leave empty for any type",
                  fix_zh="用顿号分隔设施类型，如 幸福小院、儿童之家；留空表示任何类型")
    cost = load.numbers("cost_10k_yuan", what_en="cost", what_zh="投资", units="万元|万", maximum=MAX_COST_10K_YUAN)
    capacity = load.numbers("capacity", what_en="capacity", what_zh="容量", units="张|床|个|人|穴|位",
                            maximum=MAX_CAPACITY)
    frame = {"id": ids, "name": names, "kind": kinds, "can_host": hosts, "cost_10k_yuan": cost,
             "capacity": capacity, **admin}
    column = "lon" if load.header("lon") else None
    load.region_check(lon, lat, region, region_tolerance_km, column)
    load.same_spot(lon, lat, names, column)
    return load.finish(frame, CANDIDATE_COLUMNS, lon, lat, None, crs_assumed, strict)


load_candidates.__doc__ = """Load candidate sites (idle schools, village committee buildings, upgrades, open land).

    ``kind`` becomes a key of :data:`coverage.taxonomy.CANDIDATE_KINDS` (unknown:
    row rejected).  ``can_host`` accepts lists such as "幸福小院、儿童之家", type
    keys, or a category (养老 / 殡葬 / 儿童 = every type in it); it is stored as
    type keys joined by ";" (:data:`coverage.model.HOST_SEPARATOR`).  **An empty
    can_host means the site can host any facility type.**  ``cost_10k_yuan``
    (万元) and ``capacity`` are optional (NaN when unknown or unreadable).
""" + _DOC_COMMON + _DOC_RETURNS + """
    Example
    -------
    >>> res = load_candidates("tests/data/candidates.csv", crs="gcj02")
    >>> res.data["can_host"].iloc[0]
    'happy_courtyard;childrens_home'
"""


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry collection (a repaired polygon with stray lines), as one geometry."""
    polys = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6) and g.area > 0]
    if not polys:
        return geom
    return polys[0] if len(polys) == 1 else shapely.union_all(polys)


def _level_from_code(codes: pd.Series) -> pd.Series:
    """Admin level of 12-digit codes: xxxxxx000000 county, xxxxxxxxx000 township, else village."""
    def level(code: object) -> str | None:
        if not isinstance(code, str) or len(code) != 12:
            return None
        if code.endswith("000000"):
            return "county"
        if code.endswith("000"):
            return "township"
        return "village"

    return codes.map(level).astype(object)


def _parent_from_code(codes: pd.Series, levels: pd.Series) -> pd.Series:
    def parent(code: object, lvl: object) -> str | None:
        if not isinstance(code, str) or len(code) != 12:
            return None
        if lvl == "county":
            return code[:4] + "00000000"
        if lvl == "township":
            return code[:6] + "000000"
        if lvl == "village":
            return code[:9] + "000"
        return None

    return pd.Series([parent(c, lv) for c, lv in zip(codes, levels, strict=True)], dtype=object)


_LEVEL_INDEX = {**_term_index(ADMIN_LEVELS),
                # Amap's district API levels.
                "district": "county", "street": "township", "town": "township"}


def load_boundaries(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM, level: str | None = None) -> LoadResult:
    load = _Load(path, kind="boundaries", sheet=sheet, crs=crs, columns=columns)
    if load.raw.geometry is None:
        raise FileReadError(f"{load.source}: boundaries need a GIS layer with polygons (.geojson, .gpkg, .shp), "
                            f"not a table / 行政区划边界须为面图层（.geojson、.gpkg、.shp）")
    system, origin = load._layer_crs()
    geoms = load.raw.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    load.flag(missing, column=None, code="missing_geometry", en="feature without geometry",
              zh="要素没有几何图形", fix="draw the boundary or delete the feature", fix_zh="补画边界或删除该要素")
    types = shapely.get_type_id(geoms)
    not_polygon = ~missing & ~np.isin(types, (3, 6))
    load.flag(not_polygon, column=None, code="not_polygon",
              values=pd.Series(shapely.get_type_id(geoms)).map({0: "Point", 1: "LineString", 2: "LinearRing",
                                                                  4: "MultiPoint", 5: "MultiLineString",
                                                                  7: "GeometryCollection"}),
              en="a boundary must be a polygon, not {value}", zh="边界必须是面，而不是 {value}",
              fix="convert the lines to polygons in your GIS", fix_zh="在 GIS 中把线转为面")
    usable = ~load.reject
    gs = gpd.GeoSeries(np.where(usable, geoms, None), crs=system.crs if system.kind == "epsg" else WGS84)
    invalid = usable & ~shapely.is_valid(gs.to_numpy())
    if invalid.any():
        reasons = pd.Series([shapely.is_valid_reason(g) if g is not None else None for g in gs.to_numpy()])
        fixed = gs.to_numpy().copy()
        repaired = shapely.make_valid(fixed[invalid])
        # make_valid turns a degenerate ring into a line or a point: keep only a polygonal part with area.
        mixed = shapely.get_type_id(repaired) == 7
        if mixed.any():
            repaired[mixed] = [_polygonal(g) for g in repaired[mixed]]
        polygonal = np.isin(shapely.get_type_id(repaired), (3, 6))
        area = np.where(polygonal, shapely.area(np.where(polygonal, repaired, None)), 0.0)
        degenerate = np.zeros(load.n, dtype=bool)
        degenerate[np.flatnonzero(invalid)[~(np.nan_to_num(area) > 0)]] = True
        fixed[invalid] = repaired
        load.flag(degenerate, column=None, code="degenerate_polygon", values=reasons,
                  en="the polygon has no area ({value}): repairing it leaves a line or a point, not a boundary",
                  zh="该面没有面积（{value}）：修复后只剩线或点，不是边界",
                  fix="redraw the boundary in your GIS", fix_zh="在 GIS 中重新绘制该边界")
        load.flag(invalid & ~degenerate, column=None, code="invalid_geometry", severity="warning", values=reasons,
                  en="invalid polygon ({value}); repaired", zh="面几何无效（{value}），已自动修复",
                  fix="check the boundary in your GIS", fix_zh="在 GIS 中检查该边界")
        fixed[degenerate] = None
        gs = gpd.GeoSeries(fixed, crs=gs.crs)
        usable = ~load.reject
    if system.kind == "epsg":
        out = gs.to_crs(WGS84)
        described = f"{system.label} -> WGS-84" if system.crs.to_epsg() != 4326 else system.describe()
    else:
        def convert(xy: FloatArray) -> FloatArray:
            lon, lat, _ = points_to_wgs84(xy[:, 0], xy[:, 1], system)
            return np.column_stack([lon, lat])

        out = gpd.GeoSeries(shapely.transform(gs.to_numpy(), convert), crs=WGS84)
        described = system.describe()
    described += origin
    bounds = out.bounds.to_numpy()
    outside = usable & ((bounds[:, 2] < CHINA_BBOX[0]) | (bounds[:, 0] > CHINA_BBOX[2])
                        | (bounds[:, 3] < CHINA_BBOX[1]) | (bounds[:, 1] > CHINA_BBOX[3]))
    load.flag(outside, column=None, code="outside_china", severity="error",
              values=pd.Series([f"{b[0]:.4f}, {b[1]:.4f}" for b in bounds]),
              en="boundary ({value}) is outside China: wrong coordinate system?", zh="边界（{value}）不在中国境内：坐标系是否有误？",
              fix="give the right coordinate system (crs=)", fix_zh="指定正确的坐标系")
    codes = load.codes("code")
    raw_level = load.text("level")
    if level is not None:
        level_key = _LEVEL_INDEX.get(normalize_label(level))
        if level_key is None:
            raise UnknownCategoryError(f"unknown admin level '{level}'; use county, township or village "
                                       f"(县, 乡镇, 村)")
        levels = pd.Series([level_key] * load.n, dtype=object)
    elif raw_level is not None:
        levels = raw_level.map(lambda v: _LEVEL_INDEX.get(normalize_label(v)) if isinstance(v, str) else None)
        levels = levels.astype(object).where(levels.notna(), _level_from_code(codes))
    else:
        levels = _level_from_code(codes)
        load.note("level_from_code", "no level column: levels read from the codes (…000000 county, …000 "
                                     "township, else village)", "没有层级列：按区划代码判断层级")
    no_level = levels.isna().to_numpy(dtype=bool) & ~load.reject
    load.flag(no_level, column="level" if raw_level is not None else "code", code="unknown_level",
              en="cannot tell the admin level (county/township/village)", zh="无法判断行政层级（县/乡镇/村）",
              fix="add a column 层级 with 县/乡镇/村, a 12-digit code, or pass level=",
              fix_zh="增加“层级”列（县/乡镇/村）或 12 位区划代码")
    names = load.text("name")
    if names is None:
        load.note("no_names", "no name column: boundaries are unnamed", "没有名称列")
        names = pd.Series([None] * load.n, dtype=object)
    parents = load.codes("parent_code")
    if load.header("parent_code") is None:
        parents = _parent_from_code(codes, levels)
    frame = {"level": levels, "code": codes, "name": names.astype(object).where(names.notna(), None),
             "parent_code": parents}
    load.report.crs_assumed = described
    if region is not None:
        inner = out.to_numpy().copy()
        ok = ~load.reject & ~shapely.is_missing(inner)
        inner[ok] = shapely.point_on_surface(inner[ok])
        lon = np.where(ok, shapely.get_x(np.where(ok, inner, shapely.Point(0, 0))), np.nan)
        lat = np.where(ok, shapely.get_y(np.where(ok, inner, shapely.Point(0, 0))), np.nan)
        load._pair = pd.Series([f"{a:.5f}, {b:.5f}" for a, b in zip(lon, lat, strict=True)], dtype=object)
        load.region_check(lon, lat, region, region_tolerance_km, None)
    return load.finish(frame, BOUNDARY_COLUMNS, None, None, out.to_numpy(), described, strict)


load_boundaries.__doc__ = """Load administrative boundaries (county / township / village polygons).

    ``level`` is read from a 层级 column (县/乡镇/村), from the ``level=`` option,
    or from the 12-digit code; ``parent_code`` is inferred from the code when
    absent.  Invalid polygons are repaired (warning); non-polygons rejected.
""" + _DOC_COMMON + """    level
        Admin level of every feature ("county", "township", "village" or 县/乡镇/村).
""" + _DOC_RETURNS + """
    Example
    -------
    >>> res = load_boundaries("tests/data/townships_gbk.shp")
    >>> res.data["level"].unique().tolist()
    ['township']
"""
