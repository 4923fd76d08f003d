"""One choice of metric coordinate system for the whole library: the UTM zone of the data.

Distances, snapping, buffers and map scales are measured in metres.  Every stage that needs metres calls
:func:`metric_crs_for` (coordinates) or :func:`metric_crs_of` (layers), so a village, its road and its
printed map are all measured in the same zone.

Example
-------
>>> import numpy as np
>>> metric_crs_for(np.array([102.5]), np.array([24.3])).to_epsg()
32648
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

from coverage.errors import InputError

__all__ = ["crs_assumed_label", "metric_crs_for", "metric_crs_of"]


def metric_crs_for(lon: npt.ArrayLike, lat: npt.ArrayLike) -> pyproj.CRS:
    """The UTM zone (WGS-84) containing the median of the given WGS-84 coordinates.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (NaN values are ignored).

    Returns
    -------
    pyproj.CRS
        e.g. EPSG:32647 (UTM 47N) for western Yunnan, EPSG:32648 for eastern Yunnan.

    Raises
    ------
    InputError
        No finite coordinate was given.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.any():
        raise InputError("no coordinates to choose a metric coordinate system from (every point is empty)")
    lon0 = float(np.median(lon_a[ok]))
    lat0 = float(np.median(lat_a[ok]))
    zone = int(np.clip(math.floor((lon0 + 180.0) / 6.0) + 1, 1, 60))
    return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)


def metric_crs_of(*layers: Any) -> pyproj.CRS:
    """:func:`metric_crs_for` the points of the first non-empty layer (GeoDataFrame or GeoSeries, any CRS).

    Parameters
    ----------
    *layers
        GeoDataFrames / GeoSeries with a CRS; None and empty layers are skipped.

    Returns
    -------
    pyproj.CRS
        The UTM zone of the median of the layer's feature centres.

    Raises
    ------
    InputError
        Every layer is empty.
    """
    import shapely

    for layer in layers:
        if layer is None or len(layer) == 0:
            continue
        geom = layer.to_crs("EPSG:4326").geometry.to_numpy() if layer.crs is not None else None
        if geom is None:
            raise InputError("a layer has no coordinate system; set it (e.g. gdf.set_crs('EPSG:4326'))")
        keep = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
        if not keep.any():
            continue
        xy = shapely.get_coordinates(shapely.centroid(geom[keep]))
        return metric_crs_for(xy[:, 0], xy[:, 1])
    raise InputError("nothing to measure: every layer is empty")


# ------------------------------------------------------------------ what a loader assumed, in words

#: Pieces of a loader's ``crs_assumed`` text (:meth:`coverage.inputs.crs.CoordinateSystem.describe`) in Chinese.
_CRS_WORDS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^WGS-84 \(EPSG:4326\), unchanged"), "WGS-84（EPSG:4326），无需转换"),
    (re.compile(r"^GCJ-02 \(Amap/Tencent\)"), "GCJ-02（高德/腾讯）"),
    (re.compile(r"^BD-09 \(Baidu\)"), "BD-09（百度）"),
    (re.compile(r"^CGCS2000 3-degree Gauss-Krueger \(EPSG:(\d+)\)"), r"CGCS2000 3度带高斯-克吕格投影（EPSG:\1）"),
    (re.compile(r"^CGCS2000 \(EPSG:4490\)"), "CGCS2000（EPSG:4490）"),
    (re.compile(r"^[^()]*\((EPSG:\d+)\)"), r"坐标系 \1"),
    (re.compile(r" -> WGS-84"), " → 已转换为 WGS-84"),
    (re.compile(r" \(from the header '([^']*)'\)"), r"（按表头“\1”判断）"),
    (re.compile(r" \(assumed: no crs given\)"), "（未指定坐标系，默认按此处理）"),
    (re.compile(r" \(from the file\)"), "（按文件自带坐标系）"),
)


def crs_assumed_label(text: str, lang: str = "zh") -> str:
    """What a loader assumed about coordinates (its ``crs_assumed`` text) in ``lang`` ("zh" or "en").

    The loaders describe the coordinate system in English (``"GCJ-02 (Amap/Tencent) -> WGS-84 (from the
    header '高德经度')"``); this puts the same facts in Chinese for a Chinese screen or report.  English is
    returned as written.

    Parameters
    ----------
    text
        ``LoadResult.crs_assumed`` (or ``ValidationReport.crs_assumed``).
    lang
        "zh" or "en".

    Returns
    -------
    str

    Example
    -------
    >>> crs_assumed_label("WGS-84 (EPSG:4326), unchanged (assumed: no crs given)")
    'WGS-84（EPSG:4326），无需转换（未指定坐标系，默认按此处理）'
    >>> crs_assumed_label("GCJ-02 (Amap/Tencent) -> WGS-84", "en")
    'GCJ-02 (Amap/Tencent) -> WGS-84'
    """
    if lang == "en" or not text:
        return str(text)
    out = str(text)
    for pattern, words in _CRS_WORDS_ZH:
        out = pattern.sub(words, out, count=1)
    return out
