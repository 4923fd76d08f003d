"""Load candidate sites: idle schools, village committee buildings, upgrades, open land."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from coverage.inputs.loaders.cells import lookup_unique, suggestion
from coverage.inputs.loaders.common import MAX_CAPACITY, MAX_COST_10K_YUAN, REGION_TOLERANCE_KM, LoadResult
from coverage.inputs.loaders.points import Load
from coverage.model import CANDIDATE_COLUMNS
from coverage.taxonomy import HOST_SEPARATOR, candidate_kind, parse_hosts

__all__ = ["load_candidates"]


def load_candidates(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM) -> LoadResult:
    """Load candidate sites (idle schools, village committee buildings, upgrades, open land).

    ``kind`` becomes a key of :data:`coverage.taxonomy.CANDIDATE_KINDS` (unknown:
    row rejected).  ``can_host`` accepts lists such as "幸福小院、儿童之家", type
    keys, or a category (养老 / 殡葬 / 儿童 = every type in it); it is stored as
    type keys joined by ";" (:data:`coverage.model.HOST_SEPARATOR`).  **An empty
    can_host means the site can host any facility type.**  ``cost_10k_yuan``
    (万元) and ``capacity`` are optional (NaN when unknown or unreadable).

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
    >>> res = load_candidates("tests/data/candidates.csv", crs="gcj02")
    >>> res.data["can_host"].iloc[0]
    'happy_courtyard;childrens_home'
    """
    load = Load(path, kind="candidates", sheet=sheet, crs=crs, columns=columns)
    load.check_required()
    lon, lat, crs_assumed = load.points()
    admin = load.admin()
    ids = load.ids()
    names = load.names(ids)
    raw_kind = load.required_text("kind")
    kinds, errors = lookup_unique(raw_kind, candidate_kind)
    load.flag(raw_kind.isna().to_numpy(dtype=bool), column="kind", code="empty_kind",
              en="empty candidate kind", zh="候选点类别为空",
              fix="enter 闲置校舍, 村委会用房, 现有设施提升改造 or 新建用地",
              fix_zh="填写 闲置校舍、村委会用房、现有设施提升改造 或 新建用地")
    bad = raw_kind.isin(list(errors)).to_numpy(dtype=bool)
    pairs = [suggestion(errors.get(v, "")) if isinstance(v, str) else ("", "") for v in raw_kind]
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
        parsed = {v: parse_hosts(v) for v in pd.unique(raw_host.dropna())}
        hosts = raw_host.map(lambda v: HOST_SEPARATOR.join(parsed[v][0]) if isinstance(v, str) else "")
        hosts = hosts.astype(object)
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
