"""Coordinates of a load: read, convert to WGS-84, and check (swapped, outside China or the region, same spot).

:class:`Load` is :class:`~coverage.inputs.loaders.common.TableLoad` with the
coordinates: from two columns (经度/纬度), one "lon,lat" column, or a layer's
geometries, in the coordinate system given, named in the headers or claimed by
the file.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from coverage.errors import CRSError
from coverage.inputs.crs import CHINA_BBOX, CoordinateSystem, parse_crs, points_to_wgs84
from coverage.inputs.loaders.cells import (
    MISGROUPED_EN,
    MISGROUPED_ZH,
    BoolArray,
    FloatArray,
    parse_numbers,
)
from coverage.inputs.loaders.common import TableLoad
from coverage.inputs.validate import Problem
from coverage.model import WGS84

__all__ = ["Load"]


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


class Load(TableLoad):
    """A load with coordinates: a point per row (tables and point layers) or a layer's own geometries."""

    #: "x, y" of each row as written, for messages about its location.
    _pair: pd.Series

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
            return self._layer_points(self.raw.geometry)
        lon_h, lat_h, both_h = self.header("lon"), self.header("lat"), self.header("lonlat")
        if lon_h is not None and lat_h is not None:
            x_text, y_text = self.required_text("lon"), self.required_text("lat")
        elif both_h is not None:
            both = self.required_text("lonlat")
            parts = both.str.split(r"[,，;；\s]+", n=1, expand=True, regex=True)
            x_text = parts[0] if 0 in parts else pd.Series([pd.NA] * self.n, dtype="string")
            y_text = parts[1] if 1 in parts else pd.Series([pd.NA] * self.n, dtype="string")
        else:
            missing = "lon" if lon_h is None else "lat"
            raise self.missing_column(missing, " (or one column 经纬度 'lon,lat')")
        system, origin = self._system()
        x, x_empty, x_bad, x_grp = parse_numbers(x_text.str.replace("°", "", regex=False))
        y, y_empty, y_bad, y_grp = parse_numbers(y_text.str.replace("°", "", regex=False))
        lon_col = "lon" if lon_h is not None else "lonlat"
        lat_col = "lat" if lat_h is not None else "lonlat"
        self.flag(x_grp, column=lon_col, code="ambiguous_separator", values=x_text,
                  en="longitude " + MISGROUPED_EN, zh="经度" + MISGROUPED_ZH,
                  fix="write decimal degrees with a point, e.g. 102.5432", fix_zh="用小数点填写十进制度数，如 102.5432")
        self.flag(y_grp & ~x_grp, column=lat_col, code="ambiguous_separator", values=y_text,
                  en="latitude " + MISGROUPED_EN, zh="纬度" + MISGROUPED_ZH,
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
                    message_zh=f"图层为投影坐标 {file_crs.label}（米），指定的 {self.system.label}（经纬度）"
                               f"不适用，已忽略",
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

    def _layer_points(self, geometry: gpd.GeoSeries) -> tuple[FloatArray, FloatArray, str]:
        geoms = geometry.to_numpy()
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
        first: dict[str, tuple[int, str]] = {}
        for k, r, nm in zip(key[ok], self.rows[ok], names[ok], strict=True):
            first.setdefault(k, (r, nm))
        first_rows = np.array([first[k][0] if k in first else 0 for k in key.fillna("")], dtype=object)
        first_names = np.array([first[k][1] if k in first else "" for k in key.fillna("")], dtype=object)
        self.flag(dup, column=column, code="same_location", severity="warning", values=self._pair,
                  extra={"first": first_rows, "first_name": first_names},
                  en="same spot as row {first} ({first_name})", zh="与第 {first} 行（{first_name}）位置完全相同",
                  fix="check that both points are right (a copied coordinate?)",
                  fix_zh="检查两处坐标是否正确（是否复制了坐标）")
