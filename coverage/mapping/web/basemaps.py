"""Optional online base maps (OSM, Tianditu, Amap) and the GCJ-02 shift their overlays need."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from coverage.errors import InputError


@dataclass(frozen=True)
class Basemap:
    """An optional online tile layer.

    ``gcj02`` marks tiles drawn in GCJ-02 (Amap): overlays are shifted to match.
    ``needs_key`` marks a layer that needs the user's key (``{key}`` in ``url``).
    """

    key: str
    zh: str
    en: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    gcj02: bool = False
    needs_key: bool = False

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang``."""
        return self.zh if lang == "zh" else self.en


#: Optional base maps, shown only when asked for (they need the internet).
BASEMAPS: dict[str, Basemap] = {
    b.key: b
    for b in (
        Basemap("osm", "OpenStreetMap", "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "&copy; OpenStreetMap contributors", subdomains="", max_zoom=19),
        Basemap("tianditu", "天地图（需密钥）", "Tianditu (needs a key)",
                "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
                "&copy; 天地图 Tianditu", subdomains="01234567", needs_key=True),
        Basemap("tianditu_label", "天地图注记（需密钥）", "Tianditu labels (needs a key)",
                "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
                "&copy; 天地图 Tianditu", subdomains="01234567", needs_key=True),
        Basemap("amap", "高德地图（GCJ-02）", "Amap (GCJ-02)",
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                "&copy; 高德地图 AutoNavi", subdomains="1234", gcj02=True),
    )
}


def _basemap(key: str | None) -> Basemap | None:
    if key in (None, "", "none"):
        return None
    if key not in BASEMAPS:
        raise InputError(f"unknown base map '{key}'; choose one of: none, {', '.join(BASEMAPS)}")
    return BASEMAPS[key]


def _shift_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of a WGS-84 layer with its coordinates moved to GCJ-02 (to lie on Amap tiles)."""
    from coverage.inputs.crs import wgs84_to_gcj02

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out["geometry"] = shapely.transform(np.asarray(gdf.geometry.values), move)
    return out


def click_to_wgs84(lat: float, lon: float, *, basemap: str | None = None) -> tuple[float, float]:
    """WGS-84 ``(lon, lat)`` of a point clicked on a map drawn with ``basemap``.

    On an Amap (GCJ-02) map the overlays are drawn shifted, so a click is in
    GCJ-02 and is converted back; otherwise it is returned as is.
    """
    bm = _basemap(basemap)
    if bm is not None and bm.gcj02:
        from coverage.inputs.crs import gcj02_to_wgs84

        lon_a, lat_a = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        return float(lon_a[0]), float(lat_a[0])
    return float(lon), float(lat)
