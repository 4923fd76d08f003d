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
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

from coverage.errors import InputError

__all__ = ["metric_crs_for", "metric_crs_of"]


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
