"""Load administrative boundaries: county, township and village polygons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from coverage.errors import FileReadError, UnknownCategoryError
from coverage.inputs.crs import CHINA_BBOX, points_to_wgs84
from coverage.inputs.loaders.cells import FloatArray, term_index
from coverage.inputs.loaders.common import REGION_TOLERANCE_KM, LoadResult
from coverage.inputs.loaders.points import Load
from coverage.model import BOUNDARY_COLUMNS, WGS84
from coverage.taxonomy import ADMIN_LEVELS, normalize_label

__all__ = ["load_boundaries"]


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


_LEVEL_INDEX = {**term_index(ADMIN_LEVELS),
                # Amap's district API levels.
                "district": "county", "street": "township", "town": "township"}


def load_boundaries(path: Any, *, sheet: str | int | None = None, crs: Any = None,
                    columns: Mapping[str, str] | None = None, strict: bool = False, region: Any = None,
                    region_tolerance_km: float = REGION_TOLERANCE_KM, level: str | None = None) -> LoadResult:
    """Load administrative boundaries (county / township / village polygons).

    ``level`` is read from a 层级 column (县/乡镇/村), from the ``level=`` option,
    or from the 12-digit code; ``parent_code`` is inferred from the code when
    absent.  Invalid polygons are repaired (warning); non-polygons rejected.

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
    level
        Admin level of every feature ("county", "township", "village" or 县/乡镇/村).

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
    >>> res = load_boundaries("tests/data/townships_gbk.shp")
    >>> res.data["level"].unique().tolist()
    ['township']
    """
    load = Load(path, kind="boundaries", sheet=sheet, crs=crs, columns=columns)
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
              en="boundary ({value}) is outside China: wrong coordinate system?",
              zh="边界（{value}）不在中国境内：坐标系是否有误？",
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
