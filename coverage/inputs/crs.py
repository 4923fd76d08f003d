"""Chinese coordinate systems: WGS-84, CGCS2000, GCJ-02 (Amap, Tencent), BD-09 (Baidu).

GCJ-02 is WGS-84 plus a deliberate, smooth offset of a few hundred metres inside
China (the published "eviltransform" / "coordtransform" formulas, Krasovsky
ellipsoid); BD-09 adds Baidu's rotation-and-shift on top of GCJ-02.  The forward
directions (WGS-84 -> GCJ-02 -> BD-09) are closed formulas; the inverses here are
solved iteratively, so a point survives a round trip to well under a centimetre
(the usual one-step inverse formulas are off by 1 to 10+ metres).

Outside China GCJ-02 is the identity (the usual rectangle rule of the reference
implementations: longitude 73.66..135.05, latitude 3.86..53.55).

CGCS2000 (EPSG:4490) is, for this purpose, WGS-84 to within a metre; its 3-degree
Gauss-Krueger projections (EPSG:4513-4533 with the zone number in front of the
easting, EPSG:4534-4554 without) are converted with pyproj.

All functions are vectorised: they take and return numpy arrays of longitudes
and latitudes in degrees (scalars work too).

Example
-------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> back_lon, back_lat = gcj02_to_wgs84(lon, lat)
>>> abs(float(back_lon) - 116.404) < 1e-9
True
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

from coverage.errors import CRSError

__all__ = [
    "CHINA_BBOX",
    "CoordinateSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_crs",
    "points_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Krasovsky 1940 semi-major axis [m] and eccentricity squared, as used by GCJ-02.
_A_M = 6378245.0
_EE = 0.00669342162296594323
#: Baidu's angular constant (pi * 3000 / 180).
_X_PI = np.pi * 3000.0 / 180.0

#: Rough bounding box of China (lon_min, lat_min, lon_max, lat_max) [deg] used to
#: flag points "outside China" in validation.
CHINA_BBOX: tuple[float, float, float, float] = (73.5, 18.0, 135.1, 53.6)

#: The rectangle inside which GCJ-02 applies its offset (reference implementations).
_GCJ_BBOX: tuple[float, float, float, float] = (73.66, 3.86, 135.05, 53.55)


def _arrays(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"longitude and latitude arrays differ in shape: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a


def in_china(lon: Any, lat: Any, *, bbox: tuple[float, float, float, float] = _GCJ_BBOX) -> npt.NDArray[np.bool_]:
    """Whether points fall in the rectangle where GCJ-02 applies its offset.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes [deg].
    bbox
        (lon_min, lat_min, lon_max, lat_max) [deg]; defaults to the GCJ-02 rule.

    Returns
    -------
    numpy.ndarray of bool
        False for NaN coordinates.
    """
    lon_a, lat_a = _arrays(lon, lat)
    return (lon_a >= bbox[0]) & (lon_a <= bbox[2]) & (lat_a >= bbox[1]) & (lat_a <= bbox[3])


def _gcj_offset_deg(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlon, dlat) [deg] at WGS-84 points (without the China test)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A_M * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to GCJ-02 (Amap, Tencent): the closed forward formula.

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes [deg]; arrays or scalars.

    Returns
    -------
    (lon, lat)
        GCJ-02 coordinates [deg]; points outside China are returned unchanged,
        NaN stays NaN.
    """
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _gcj_offset_deg(lon_a, lat_a)
    inside = in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def gcj02_to_wgs84(lon: Any, lat: Any, *, tol_deg: float = 1e-10,
                   max_iter: int = 50) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 (Amap, Tencent) to WGS-84, solved iteratively (sub-centimetre).

    Finds the WGS-84 point whose GCJ-02 image is the given point by fixed-point
    iteration ``w <- w - (gcj(w) - g)``; the offset's derivative is tiny, so this
    converges in a handful of steps to ``tol_deg``.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes [deg].
    tol_deg
        Stop when every point's forward image is within this many degrees of the
        input (1e-10 deg is about 0.01 mm).
    max_iter
        Upper bound on the iterations.

    Returns
    -------
    (lon, lat)
        WGS-84 coordinates [deg]; points outside China unchanged, NaN stays NaN.
    """
    g_lon, g_lat = _arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        worst = np.nanmax(np.maximum(np.abs(e_lon), np.abs(e_lat)), initial=0.0)
        if worst < tol_deg:
            break
    else:  # pragma: no cover - the iteration contracts by a factor of ~1e-3 per step
        logger.warning("GCJ-02 -> WGS-84 did not converge to %g deg in %d steps", tol_deg, max_iter)
    return w_lon, w_lat


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to BD-09 (Baidu): Baidu's closed forward formula.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes [deg].

    Returns
    -------
    (lon, lat)
        BD-09 coordinates [deg].
    """
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: Any, lat: Any, *, tol_deg: float = 1e-10,
                  max_iter: int = 20) -> tuple[FloatArray, FloatArray]:
    """BD-09 (Baidu) to GCJ-02: the usual closed formula, refined to an exact inverse.

    The published one-step formula is the starting point; a few fixed-point steps
    then make the result the exact inverse of :func:`gcj02_to_bd09` (the
    one-step formula alone is off by up to a few centimetres).

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes [deg].
    tol_deg
        Convergence tolerance [deg].
    max_iter
        Upper bound on the refinement steps.

    Returns
    -------
    (lon, lat)
        GCJ-02 coordinates [deg].
    """
    b_lon, b_lat = _arrays(lon, lat)
    x = b_lon - 0.0065
    y = b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(max_iter):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        e_lon, e_lat = f_lon - b_lon, f_lat - b_lat
        g_lon = g_lon - e_lon
        g_lat = g_lat - e_lat
        if np.nanmax(np.maximum(np.abs(e_lon), np.abs(e_lat)), initial=0.0) < tol_deg:
            break
    return g_lon, g_lat


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    """BD-09 (Baidu) to WGS-84 (via GCJ-02, both inverses iterative).

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes [deg].

    Returns
    -------
    (lon, lat)
        WGS-84 coordinates [deg].
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to BD-09 (Baidu), via GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes [deg].

    Returns
    -------
    (lon, lat)
        BD-09 coordinates [deg].
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


# --------------------------------------------------------------------------- CRS options

@dataclass(frozen=True)
class CoordinateSystem:
    """A coordinate system a user's file may be in.

    Attributes
    ----------
    kind
        "wgs84", "gcj02", "bd09" or "epsg" (any CRS pyproj knows, including
        CGCS2000 and its Gauss-Krueger zones).
    crs
        The pyproj CRS for ``kind == "epsg"`` (EPSG:4326 for the others: GCJ-02
        and BD-09 are not in the EPSG registry).
    label
        Human-readable name for reports, e.g. "GCJ-02 (Amap/Tencent)".
    auto_zone
        True for a bare "cgcs2000" on projected coordinates: the Gauss-Krueger
        zone is read from the easting's leading zone number.
    """

    kind: str
    crs: pyproj.CRS
    label: str
    auto_zone: bool = False

    @property
    def is_geographic(self) -> bool:
        """Whether coordinates are longitude/latitude in degrees."""
        return self.kind in ("wgs84", "gcj02", "bd09") or bool(self.crs.is_geographic)

    def describe(self) -> str:
        """What a loader converting from this system does, e.g. "GCJ-02 (Amap/Tencent) -> WGS-84"."""
        if self.kind == "wgs84":
            return "WGS-84 (EPSG:4326), unchanged"
        return f"{self.label} -> WGS-84"


_WGS84 = pyproj.CRS.from_epsg(4326)
_ALIASES = {
    "wgs84": "wgs84", "wgs1984": "wgs84", "epsg4326": "wgs84", "4326": "wgs84", "gps": "wgs84",
    "gcj02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02", "tencent": "gcj02", "高德": "gcj02",
    "火星坐标": "gcj02", "国测局": "gcj02",
    "bd09": "bd09", "bd09ll": "bd09", "baidu": "bd09", "百度": "bd09",
    "cgcs2000": "cgcs2000", "cgcs": "cgcs2000", "epsg4490": "cgcs2000", "4490": "cgcs2000",
}


def parse_crs(value: object) -> CoordinateSystem:
    """Interpret a user's coordinate-system option.

    Parameters
    ----------
    value
        "wgs84", "gcj02" (Amap, Tencent), "bd09" (Baidu), "cgcs2000" (EPSG:4490 for
        degrees; for projected metres the 3-degree Gauss-Krueger zone is read from
        the easting), "EPSG:n" / an int / a :class:`pyproj.CRS` / anything
        :meth:`pyproj.CRS.from_user_input` accepts.

    Returns
    -------
    CoordinateSystem

    Raises
    ------
    CRSError
        When the value is not a coordinate system; the message lists the options.
    """
    if isinstance(value, CoordinateSystem):
        return value
    if isinstance(value, pyproj.CRS):
        return _from_pyproj(value)
    key = re.sub(r"[\s_\-:.]+", "", str(value).strip().lower())
    kind = _ALIASES.get(key)
    if kind == "wgs84":
        return CoordinateSystem("wgs84", _WGS84, "WGS-84 (EPSG:4326)")
    if kind == "gcj02":
        return CoordinateSystem("gcj02", _WGS84, "GCJ-02 (Amap/Tencent)")
    if kind == "bd09":
        return CoordinateSystem("bd09", _WGS84, "BD-09 (Baidu)")
    if kind == "cgcs2000":
        return CoordinateSystem("epsg", pyproj.CRS.from_epsg(4490), "CGCS2000 (EPSG:4490)", auto_zone=True)
    try:
        crs = pyproj.CRS.from_user_input(int(str(value)) if str(value).isdigit() else value)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise CRSError(
            f"unknown coordinate system '{value}'. Use wgs84, gcj02 (Amap/Tencent), bd09 (Baidu), "
            f"cgcs2000, or an EPSG code such as EPSG:4545 / 未知坐标系 '{value}'：可用 wgs84、gcj02(高德/腾讯)、"
            f"bd09(百度)、cgcs2000 或 EPSG 代码") from exc
    return _from_pyproj(crs)


def _from_pyproj(crs: pyproj.CRS) -> CoordinateSystem:
    epsg = crs.to_epsg()
    if epsg == 4326:
        return CoordinateSystem("wgs84", _WGS84, "WGS-84 (EPSG:4326)")
    name = f"EPSG:{epsg}" if epsg else crs.name
    return CoordinateSystem("epsg", crs, f"{crs.name} ({name})" if epsg else crs.name)


def gauss_krueger_zone_epsg(easting_m: float) -> int | None:
    """EPSG code of the CGCS2000 3-degree Gauss-Krueger zone named by an easting's prefix.

    Eastings of EPSG:4513-4533 carry the zone number (25..45) in front of the
    500 km false easting, e.g. 34 512 345.6 m is zone 34 (EPSG:4522).

    Parameters
    ----------
    easting_m
        An easting [m].

    Returns
    -------
    int or None
        The EPSG code, or None when the easting carries no zone number.
    """
    if not np.isfinite(easting_m) or easting_m < 1e7:
        return None
    zone = int(easting_m // 1_000_000)
    if 25 <= zone <= 45:
        return 4513 + zone - 25
    return None


def points_to_wgs84(x: Any, y: Any, system: CoordinateSystem) -> tuple[FloatArray, FloatArray, str]:
    """Convert point coordinates in ``system`` to WGS-84 longitude/latitude.

    Parameters
    ----------
    x, y
        Longitudes and latitudes [deg], or eastings and northings [m] for a
        projected system.
    system
        From :func:`parse_crs`.

    Returns
    -------
    (lon, lat, description)
        WGS-84 [deg] and what was done, e.g. "GCJ-02 (Amap/Tencent) -> WGS-84".

    Raises
    ------
    CRSError
        For "cgcs2000" with projected coordinates that carry no zone number.
    """
    x_a, y_a = _arrays(x, y)
    if system.kind == "wgs84":
        return x_a.copy(), y_a.copy(), system.describe()
    if system.kind == "gcj02":
        return (*gcj02_to_wgs84(x_a, y_a), system.describe())
    if system.kind == "bd09":
        return (*bd09_to_wgs84(x_a, y_a), system.describe())
    crs = system.crs
    label = system.label
    if system.auto_zone and np.nanmax(np.abs(x_a), initial=0.0) > 360.0:
        finite = x_a[np.isfinite(x_a)]
        zones = {gauss_krueger_zone_epsg(float(v)) for v in np.unique(finite // 1_000_000 * 1_000_000 + 500_000)}
        epsg = zones.pop() if len(zones) == 1 else None
        if epsg is None:
            raise CRSError(
                "CGCS2000 projected coordinates without a single zone number in the easting: pass the exact "
                "EPSG code, e.g. --crs EPSG:4543 (3-degree zone, central meridian 102E) / CGCS2000 投影坐标"
                "无法从横坐标判断带号：请给出 EPSG 代码，如 EPSG:4543（中央经线 102°）")
        crs = pyproj.CRS.from_epsg(epsg)
        label = f"CGCS2000 3-degree Gauss-Krueger (EPSG:{epsg})"
    transformer = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)
    lon, lat = transformer.transform(x_a, y_a)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), f"{label} -> WGS-84"
