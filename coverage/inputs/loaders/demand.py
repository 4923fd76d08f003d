"""Load demand points: villages / communities with people by group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from coverage.inputs.loaders.cells import MISGROUPED_EN, MISGROUPED_FIX, MISGROUPED_FIX_ZH, MISGROUPED_ZH, parse_numbers
from coverage.inputs.loaders.common import REGION_TOLERANCE_KM, LoadResult
from coverage.inputs.loaders.points import Load
from coverage.inputs.validate import Problem
from coverage.model import DEMAND_COLUMNS, POPULATION_COLUMNS
from coverage.taxonomy import POPULATION_GROUPS

__all__ = ["MAX_PEOPLE_PER_POINT", "load_demand"]

#: Most people at one demand point: more is a mistake (an ID number, a code, a sum
#: row), and beyond 2**63 the count would wrap to a negative integer.
MAX_PEOPLE_PER_POINT = 10_000_000


def load_demand(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                region_tolerance_km: float = REGION_TOLERANCE_KM) -> LoadResult:
    """Load demand points (villages / communities with people by group).

    Population columns become non-negative integers; groups absent from the file
    are 0 (an info note says which); an empty cell is 0 (noted per column);
    a non-numeric (``nan``, ``NA``, ``-``, ``inf``, an Excel error), negative,
    fractional or implausible count (more than :data:`MAX_PEOPLE_PER_POINT`,
    e.g. an ID number) rejects the row, and so do thousands separators not in
    groups of three ("12,34").  Ids are text
    ("001" stays "001"); admin codes become 12-digit strings.

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

    Example
    -------
    >>> res = load_demand("tests/data/demand_cn.xlsx", crs="gcj02")
    >>> res.data.crs.to_epsg(), res.report.n_rejected
    (4326, 0)
    """
    load = Load(path, kind="demand", sheet=sheet, crs=crs, columns=columns)
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
        values, empty, bad, misgrouped = parse_numbers(raw, units="人|名")
        load.flag(misgrouped, column=key, code="ambiguous_separator", en=f"{what_en}: " + MISGROUPED_EN,
                  zh=f"{what_zh}：" + MISGROUPED_ZH, fix=MISGROUPED_FIX, fix_zh=MISGROUPED_FIX_ZH)
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
