"""Load facilities: care, funeral and child services, with type, capacity, unit and status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from coverage.inputs.loaders.cells import lookup_unique, suggestion, term_index
from coverage.inputs.loaders.common import MAX_CAPACITY, REGION_TOLERANCE_KM, LoadResult
from coverage.inputs.loaders.points import Load
from coverage.model import FACILITY_COLUMNS
from coverage.taxonomy import CAPACITY_UNITS, FACILITY_TYPES, facility_status, facility_type, normalize_label

__all__ = ["load_facilities"]

_UNIT_INDEX = term_index(CAPACITY_UNITS)


def load_facilities(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM,
                    default_type: str | None = None) -> LoadResult:
    """Load facilities (care, funeral, child services).

    ``type`` becomes a key of :data:`coverage.taxonomy.FACILITY_TYPES` (Chinese
    names and aliases accepted; an unknown type rejects the row and the report
    suggests the closest known).  ``capacity`` is a non-negative number or NaN
    (a bad value is left empty with a warning); ``capacity_unit`` defaults to
    the type's unit; ``status`` defaults to "existing".  An optional
    ``residents`` column (在院人数) is kept beside the capacity, with a warning
    where it is above it.

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
    default_type
        Facility type for every row when the file has no type column (e.g. a
        list of 幸福小院 only), and for rows whose type cell is empty.

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
    >>> res = load_facilities("tests/data/facilities_gbk.csv", crs="gcj02")
    >>> res.data["type"].iloc[0], res.data["capacity_unit"].iloc[0]
    ('elderly_institution', 'beds')
    """
    default_key = facility_type(default_type).key if default_type is not None else None
    load = Load(path, kind="facilities", sheet=sheet, crs=crs, columns=columns)
    load.check_required(optional=("type",) if default_key else ())
    lon, lat, crs_assumed = load.points()
    admin = load.admin()
    ids = load.ids()
    names = load.names(ids)
    raw_type = load.text("type")
    if raw_type is None:
        if default_key is None:  # check_required has raised already
            raise load.missing_column("type")
        load.note("default_type", f"no type column: every facility is '{default_key}'",
                  f"没有类型列：全部按“{FACILITY_TYPES[default_key].zh}”处理")
        types = pd.Series([default_key] * load.n, dtype=object)
    else:
        types, errors = lookup_unique(raw_type, facility_type)
        if default_key is not None:
            types = types.where(raw_type.notna(), default_key)
        empty = raw_type.isna().to_numpy(dtype=bool) & (default_key is None)
        load.flag(empty, column="type", code="empty_type", en="empty facility type", zh="设施类型为空",
                  fix="enter a type such as 幸福小院, 儿童之家, 养老机构",
                  fix_zh="填写设施类型，如 幸福小院、儿童之家、养老机构")
        bad = raw_type.isin(list(errors)).to_numpy(dtype=bool)
        hints = np.array([suggestion(errors.get(v, "")) if isinstance(v, str) else ("", "") for v in raw_type],
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
        status, errors = lookup_unique(raw_status, facility_status)
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
