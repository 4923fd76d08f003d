"""An empty offline map, the checks every layer passes through, and the standalone HTML page."""

from __future__ import annotations

import contextlib
import html
import math
import weakref
from collections.abc import Sequence
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from coverage.errors import CRSError, InputError
from coverage.mapping.web.assets import OfflineAssetError, offline_assets, remote_asset_urls
from coverage.mapping.web.basemaps import BASEMAPS, _basemap, _shift_gcj02
from coverage.mapping.web.elements import _CSS, _Scale, _Setup
from coverage.mapping.web.text import _esc, _fmt
from coverage.model import WGS84


def _check_wgs84(gdf: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame (from the loaders), got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(f"{what}: the layer has no coordinate reference system; load it with coverage.inputs")
    if not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    return gdf


def _view(bounds: Sequence[float] | None, *, width_px: int, height_px: int) -> tuple[list[float], float]:
    """Centre ``[lat, lon]`` and the largest zoom at which ``bounds`` fit ``width_px`` x ``height_px``.

    Set as the map's initial view (a ``fitBounds`` call runs before streamlit-folium
    has sized its frame, and zooms out too far).
    """
    if bounds is None or not all(math.isfinite(float(v)) for v in bounds):
        return [35.0, 105.0], 4.0
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bounds)

    def merc_y(lat: float) -> float:
        lat_r = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + lat_r / 2)) / (2 * math.pi)

    span_x = max(max_lon - min_lon, 1e-6) / 360.0
    span_y = max(merc_y(max_lat) - merc_y(min_lat), 1e-6)
    zoom = math.floor(4 * min(math.log2(width_px / 256 / span_x), math.log2(height_px / 256 / span_y))) / 4
    return [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2], max(1.0, min(zoom, 16.0))


def new_map(*, bounds: Sequence[float] | None = None, basemap: str | None = None, tianditu_key: str | None = None,
            lang: str = "zh", control_scale: bool = True, width_px: int = 900, height_px: int = 560,
            detail_zoom: float = 0.0) -> folium.Map:
    """An empty offline map: Leaflet served inline, plain background, optional base map.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` [deg, WGS-84] to fit; China if None.
    basemap
        None / "none" (default, offline), or a key of :data:`BASEMAPS` (needs the internet).
    tianditu_key
        The user's Tianditu key, required for the ``tianditu*`` base maps.
    lang
        "zh" or "en" (labels of the layer control).
    width_px, height_px
        Expected size of the map [px]: the initial zoom shows all of ``bounds``.
    detail_zoom
        Below this zoom the map is "zoomed out": facility symbols shrink.

    Raises
    ------
    InputError
        Unknown base map, or Tianditu without a key.
    """
    bm = _basemap(basemap)
    if bm is not None and bm.needs_key and not (tianditu_key or "").strip():
        raise InputError("the Tianditu base map needs your key (天地图密钥): get one at the Tianditu developer "
                         "site and enter it, or choose another base map")
    centre, zoom = _view(bounds, width_px=width_px, height_px=height_px)
    m = folium.Map(location=centre, zoom_start=cast(Any, zoom), tiles=None, control_scale=False,
                   prefer_canvas=False, max_zoom=19, zoom_snap=0.25, zoom_delta=0.5)
    m.add_child(_Setup(detail_zoom))
    if control_scale:
        m.add_child(_Scale())
    js, css = offline_assets()
    m.default_js = list(js)
    m.default_css = list(css)
    cast(Any, m.get_root()).header.add_child(Element(_CSS), name="coverage_css")
    if bm is not None:
        url = bm.url.replace("{key}", html.escape((tianditu_key or "").strip()))
        folium.TileLayer(tiles=url, attr=bm.attribution, name=bm.label(lang), subdomains=bm.subdomains or "abc",
                         max_zoom=bm.max_zoom, overlay=False, control=True).add_to(m)
        if bm.key == "tianditu":
            label_url = BASEMAPS["tianditu_label"].url.replace("{key}", html.escape((tianditu_key or "").strip()))
            folium.TileLayer(tiles=label_url, attr=bm.attribution, name=BASEMAPS["tianditu_label"].label(lang),
                             subdomains=bm.subdomains, overlay=True, control=True).add_to(m)
    setattr(m, "_coverage_basemap", bm.key if bm else None)  # noqa: B010 - read by _is_gcj
    return m


def _is_gcj(m: folium.Map) -> bool:
    key = getattr(m, "_coverage_basemap", None)
    return bool(key and BASEMAPS[key].gcj02)


def _prepare(m: folium.Map, gdf: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
    gdf = _check_wgs84(gdf, what)
    if gdf is None or gdf.empty:
        return gdf
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return _shift_gcj02(gdf) if _is_gcj(m) else gdf


def _xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    pts = gdf.geometry.representative_point() if not (gdf.geom_type == "Point").all() else gdf.geometry
    return shapely.get_x(pts.values), shapely.get_y(pts.values)


def _feature(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    # 1e-5 degree (about 1 m) is finer than any symbol's position on screen
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 5),
                                                                           round(float(lat), 5)]},
            "properties": props}


def _text_column(gdf: pd.DataFrame, col: str) -> list[str]:
    """Escaped text of a column ("" where missing or absent)."""
    if col not in gdf.columns:
        return [""] * len(gdf)
    return [html.escape(v) if type(v) is str else _esc(v) for v in gdf[col].tolist()]


def _number_column(gdf: pd.DataFrame, col: str) -> list[str]:
    """Formatted numbers of a column ("" where missing)."""
    values = pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=float)
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return [f"{v:,}" for v in values.astype(np.int64).tolist()]
    return [_fmt(v) for v in values.tolist()]


_OUTLINE_CACHE: dict[tuple[Any, ...], tuple[Any, int, Any]] = {}


def _cached(source: object, key: tuple[Any, ...], build: Any) -> Any:
    """``build()`` cached per (unchanged, shared) source table: demo layers are drawn on every rerun."""
    full = (id(source), *key)
    hit = _OUTLINE_CACHE.get(full)
    n = len(source) if hasattr(source, "__len__") else 0
    if hit is not None and hit[0]() is source and hit[1] == n:
        return hit[2]
    value = build()
    if len(_OUTLINE_CACHE) > 64:
        _OUTLINE_CACHE.clear()
    with contextlib.suppress(TypeError):  # not weak-referenceable: no caching
        _OUTLINE_CACHE[full] = (weakref.ref(source), n, value)
    return value


#: Metres in a degree of latitude at most (110.6 km at the equator, 111.7 km at the poles); a degree of
#: longitude is never longer.  A vertex moved by ``d / _M_PER_DEG`` degrees moved by at most ``d`` metres.
_M_PER_DEG = 111_700.0


def _simplify_m(geoms: gpd.GeoSeries, tolerance_m: float) -> np.ndarray:
    """Geometries simplified for display (no point moves more than ``tolerance_m`` metres), in WGS-84.

    Geographic input is simplified in degrees with a tolerance that is never more than ``tolerance_m``
    on the ground (no reprojection: some 10x faster on a prefecture's roads or service areas);
    projected input is simplified in its own metres, then turned into WGS-84.  No topology checks:
    Leaflet draws any ring or line it gets.
    """
    if tolerance_m <= 0:
        return np.asarray(geoms.to_crs(WGS84).values)
    if geoms.crs is None or geoms.crs.is_geographic:
        wgs = geoms.to_crs(WGS84) if geoms.crs is not None else geoms
        return np.asarray(shapely.simplify(np.asarray(wgs.values), tolerance_m / _M_PER_DEG,
                                           preserve_topology=False))
    simple = shapely.simplify(np.asarray(geoms.values), float(tolerance_m), preserve_topology=False)
    return np.asarray(gpd.GeoSeries(simple, crs=geoms.crs).to_crs(WGS84).values)


def _geojson_text(geoms: Sequence[Any] | np.ndarray, properties: Sequence[dict[str, Any]] | None = None) -> str:
    """A GeoJSON FeatureCollection as text, written by GEOS (no Python loop over coordinates).

    Missing or empty geometries are left out; ``<``/``>`` in properties are escaped for a ``<script>``.
    """
    from coverage.mapping.web.elements import _js_json

    arr = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, dtype=bool)
    texts = shapely.to_geojson(arr[keep]) if keep.any() else []
    props = [_js_json(p) for p, k in zip(properties, keep, strict=True) if k] if properties is not None \
        else ["{}"] * int(keep.sum())
    features = ",".join(f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
                        for p, g in zip(props, texts, strict=True))
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def to_html(m: folium.Map) -> str:
    """The map as one standalone HTML page that opens offline (every asset inline)."""
    remote = remote_asset_urls(m)
    if remote:
        raise OfflineAssetError(f"the map would fetch {', '.join(remote)}; build it with coverage_map / new_map")
    return m.get_root().render()
