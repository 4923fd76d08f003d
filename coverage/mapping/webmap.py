"""Interactive web maps (folium / Leaflet) that work offline.

folium loads Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from CDNs
by default; offline such a map does not render at all.  Every map made here
carries its own assets instead: Leaflet's script and stylesheet (from the
``xstatic-leaflet`` package, with its images inlined) as ``data:`` URIs, no
jQuery, Bootstrap or icon fonts (markers are Leaflet circle markers or inline
SVG), and no base tiles unless asked for (administrative boundaries on a plain
background).  The same map renders in Streamlit (``streamlit-folium``) and as a
standalone HTML file (:func:`to_html`).

Layers: older people and left-behind children by village (graduated symbols),
facilities by type (one symbol per type, a zh/en legend), boundaries with
labels, service areas, uncovered villages highlighted, proposed / accepted
sites.  Every text that comes from a user's file is HTML-escaped.

Example
-------
>>> from coverage.mapping.webmap import coverage_map, to_html
>>> m = coverage_map(demand, facilities, boundaries=bounds, lang="zh")   # doctest: +SKIP
>>> Path("map.html").write_text(to_html(m), encoding="utf-8")            # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import json
import logging
import math
import re
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement

from coverage.errors import CoverageError, CRSError, InputError
from coverage.mapping import style
from coverage.mapping.proposalmap import site_numbers
from coverage.model import COLUMN_LABELS, WGS84
from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, POPULATION_GROUPS, label

__all__ = [
    "BASEMAPS",
    "DEMAND_STYLES",
    "FACILITY_SYMBOLS",
    "Basemap",
    "OfflineAssetError",
    "add_boundaries",
    "add_demand",
    "add_facilities",
    "add_legend",
    "add_service_areas",
    "add_sites",
    "add_uncovered",
    "click_to_wgs84",
    "coverage_map",
    "graduated_breaks",
    "new_map",
    "offline_assets",
    "remote_asset_urls",
    "symbol_svg",
    "to_html",
]

logger = logging.getLogger(__name__)


class OfflineAssetError(CoverageError, FileNotFoundError):
    """Leaflet's files (package ``xstatic-leaflet``) cannot be found."""


# --------------------------------------------------------------------------------------------- assets
def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise OfflineAssetError(
            "the package xstatic-leaflet is not installed; run `python -m pip install -r requirements.txt`"
        ) from exc
    base = Path(xleaflet.BASE_DIR)
    if not (base / "leaflet.js").is_file():  # pragma: no cover
        raise OfflineAssetError(f"{base}: leaflet.js is missing; reinstall xstatic-leaflet")
    return base


def _data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@functools.lru_cache(maxsize=1)
def offline_assets() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Leaflet's script and stylesheet as self-contained ``data:`` URIs.

    Returns
    -------
    (js, css)
        ``(name, url)`` pairs in folium's ``default_js`` / ``default_css`` form;
        the stylesheet's images are inlined, so nothing is fetched from a network.

    Raises
    ------
    OfflineAssetError
        When the ``xstatic-leaflet`` package is missing.
    """
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = base / "images" / match.group(1)
        return f"url({_data_uri(image.read_bytes(), 'image/png')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    js = (("leaflet", _data_uri((base / "leaflet.js").read_bytes(), "text/javascript")),)
    return js, (("leaflet_css", _data_uri(css.encode("utf-8"), "text/css")),)


def remote_asset_urls(m: folium.Map) -> list[str]:
    """Every script or stylesheet of a map (and its layers) that would be fetched over a network.

    An empty list means the map renders offline.  Tile layers are not assets:
    they are optional and listed by :func:`BASEMAPS`.
    """
    urls: list[str] = []

    def walk(elem: Any) -> None:
        for _, url in [*getattr(elem, "default_js", []), *getattr(elem, "default_css", [])]:
            if not str(url).startswith("data:"):
                urls.append(str(url))
        for child in getattr(elem, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(urls))


# --------------------------------------------------------------------------------------------- basemaps
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


# --------------------------------------------------------------------------------------------- symbols
#: Demand groups drawn by default: fill colour of their graduated circles (shared with the printed maps).
DEMAND_STYLES: dict[str, str] = style.DEMAND_COLOURS

_SHAPES = tuple(style.MPL_MARKERS)

#: Facility type -> (shape, colour): every type its own symbol, hue by category (shared with the printed maps).
FACILITY_SYMBOLS: dict[str, tuple[str, str]] = style.FACILITY_SYMBOLS


def _polygon_points(n: int, r: float, c: float, start_deg: float = -90.0, inner: float | None = None) -> str:
    pts = []
    count = n * 2 if inner else n
    for i in range(count):
        radius = (inner if inner and i % 2 else r)
        a = math.radians(start_deg + 360.0 * i / count)
        pts.append(f"{c + radius * math.cos(a):.1f},{c + radius * math.sin(a):.1f}")
    return " ".join(pts)


def symbol_svg(shape: str, colour: str, *, size_px: int = 16, stroke: str = "#ffffff") -> str:
    """An inline SVG symbol (no icon font, no image file).

    Parameters
    ----------
    shape
        One of ``circle, square, triangle, diamond, star, pentagon, hexagon``.
    colour
        Fill colour (CSS).
    size_px
        Width and height [px].
    """
    c = size_px / 2
    r = c - 1.5
    if shape == "circle":
        body = f'<circle cx="{c}" cy="{c}" r="{r:.1f}"/>'
    elif shape == "square":
        body = f'<rect x="2" y="2" width="{size_px - 4}" height="{size_px - 4}"/>'
    elif shape == "triangle":
        body = f'<polygon points="{_polygon_points(3, r + 1, c, -90)}"/>'
    elif shape == "diamond":
        body = f'<polygon points="{_polygon_points(4, r, c, -90)}"/>'
    elif shape == "star":
        body = f'<polygon points="{_polygon_points(5, r + 1, c, -90, inner=r * 0.45)}"/>'
    elif shape == "pentagon":
        body = f'<polygon points="{_polygon_points(5, r, c, -90)}"/>'
    elif shape == "hexagon":
        body = f'<polygon points="{_polygon_points(6, r, c, 0)}"/>'
    else:
        raise InputError(f"unknown symbol shape '{shape}'; choose one of {', '.join(_SHAPES)}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {size_px} {size_px}" style="display:block">'
            f'<g fill="{colour}" stroke="{stroke}" stroke-width="1.2">{body}</g></svg>')


def graduated_breaks(values: Sequence[float] | np.ndarray, *, n_classes: int = 4) -> list[float]:
    """Rounded class limits for graduated symbols (upper limits, ascending).

    The one rule of :func:`coverage.mapping.style.class_breaks`, shared with the
    printed maps: quantiles rounded to nice numbers; zeros and NaN are left out
    (villages without the group get no symbol).
    """
    return style.class_breaks(values, n_classes=n_classes)


_RADII_PX = (4.0, 6.5, 9.5, 13.0, 17.0)


def _radius_px(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    idx = np.searchsorted(np.asarray(breaks), values, side="left")
    idx = np.clip(idx, 0, len(_RADII_PX) - 1)
    return np.asarray(_RADII_PX)[idx]


# --------------------------------------------------------------------------------------------- text
_TEXT = {
    "elderly": ("老年人", "Older people"),
    "facilities": ("服务设施", "Facilities"),
    "boundaries": ("行政区划", "Boundaries"),
    "labels": ("地名注记", "Place names"),
    "service_areas": ("服务范围", "Service areas"),
    "uncovered": ("未覆盖村庄", "Uncovered villages"),
    "sites": ("选址方案", "Proposed sites"),
    "proposed": ("拟建站点", "Proposed site"),
    "accepted": ("已采纳站点", "Accepted site"),
    "manual": ("手动添加站点", "Site placed by hand"),
    "legend": ("图例", "Legend"),
    "minutes": ("分钟", "min"),
    "travel_time": ("最近设施通行时间", "Travel time to nearest facility"),
    "unreachable": ("不可达", "unreachable"),
    "no_basemap": ("无底图（离线）", "No base map (offline)"),
    "gcj_note": ("高德底图：叠加图层已转换为 GCJ-02", "Amap base map: overlays shifted to GCJ-02"),
    "county": ("县界", "County boundary"),
    "township": ("乡镇界", "Township boundary"),
    "persons": ("人", "persons"),
    "explanation": ("说明", "Why"),
    "covers": ("新增覆盖", "Newly covered"),
    "township_total": ("乡镇合计", "township total"),
    "village_count": ("村(社区)数", "Villages"),
    "per_village": ("每村", "per village"),
    "zoom_note": ("缩小时显示乡镇合计，放大后显示各村", "Township totals when zoomed out, villages when zoomed in"),
    "number": ("编号", "No."),
}


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def _col_label(col: str, lang: str) -> str:
    if col in COLUMN_LABELS:
        zh, en = COLUMN_LABELS[col]
        return zh if lang == "zh" else en
    return col


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _fmt(value: object) -> str:
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(float(value)):
            return ""
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.1f}"
    return _esc(value)


# --------------------------------------------------------------------------------------------- elements
def _js_json(obj: Any) -> str:
    """JSON for a ``<script>``: Chinese kept as is (compact), ``<``/``>`` escaped so no text can close the tag."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_JINJA = jinja2.Environment(autoescape=False)
_JINJA.filters["js_json"] = _js_json


def _jinja(source: str) -> jinja2.Template:
    """A Jinja template with the ``js_json`` filter (folium's ``tojson`` escapes every Chinese character)."""
    return _JINJA.from_string(source)


class _Raw(Element):
    """Already-rendered script text (never parsed again as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _DataElement(MacroElement):
    """A MacroElement whose rendered script is added as is.

    branca would compile the rendered script (with its embedded data) as a new
    Jinja template: slow for large layers, and a village named ``{{ x }}`` would
    be evaluated.  This renders the ``script`` macro once and adds the text.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = cast(Any, self.get_root())
        parent = getattr(self, "_parent", None)
        while parent is not None and not isinstance(parent, folium.Map):
            parent = getattr(parent, "_parent", None)
        self.map_name = parent.get_name() if parent is not None else ""
        script = self._template.module.__getattribute__("script")
        figure.script.add_child(_Raw(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _PointLayer(_DataElement):
    """Points from a compact GeoJSON collection, drawn in the browser by one small script.

    Feature properties: ``r``/``fill``/``stroke``/``weight``/``fo`` (circle
    marker), or ``sym`` (a key of the layer's inline-SVG ``symbols``, with an
    optional number ``num`` printed on it), or ``label`` (a text label, CSS class
    ``cls``, in the label pane above every symbol); ``n`` (title) and ``v``
    (values of the layer's ``fields``) make the popup, ``tip`` the tooltip.  The
    layer is on the map only at zooms ``min_zoom`` <= z < ``max_zoom``.  Every
    text is HTML-escaped in Python before it gets here.
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var symbols = {{ this.symbols|js_json }};
            var fields = {{ this.fields|js_json }};
            var size = {{ this.size_px|js_json }};
            function popup(p) {
                var rows = "";
                for (var i = 0; i < fields.length; i++) {
                    if (p.v && p.v[i] !== "" && p.v[i] !== null && p.v[i] !== undefined) {
                        rows += "<tr><th>" + fields[i] + "</th><td>" + p.v[i] + "</td></tr>";
                    }
                }
                return '<div class="cov-pop"><b>' + (p.n || "") + "</b><table>" + rows + "</table></div>";
            }
            var layer = L.geoJSON({{ this.data|js_json }}, {
                pointToLayer: function (feature, latlng) {
                    var p = feature.properties;
                    var layer;
                    if (p.label !== undefined) {
                        return L.marker(latlng, {interactive: false, keyboard: false, pane: "covLabels",
                            icon: L.divIcon({html: '<div class="cov-label ' + (p.cls || "") + '">' + p.label + "</div>",
                            className: "cov-icon", iconSize: [160, 20], iconAnchor: [80, 10]})});
                    }
                    if (p.sym !== undefined) {
                        var s = p.size || size;
                        var num = p.num !== undefined ? '<span class="cov-num">' + p.num + "</span>" : "";
                        layer = L.marker(latlng, {icon: L.divIcon({html: symbols[p.sym] + num,
                            className: "cov-icon cov-sym " + (p.cls || ""),
                            iconSize: [s, s], iconAnchor: [s / 2, s / 2], popupAnchor: [0, -s / 2]}),
                            zIndexOffset: p.z || 0});
                    } else {
                        layer = L.circleMarker(latlng, {radius: p.r, color: p.stroke || "#ffffff",
                            weight: p.weight || 1, opacity: 0.95, fillColor: p.fill, fillOpacity: p.fo || 0.75,
                            dashArray: p.dash || null});
                    }
                    if (p.n !== undefined) { layer.bindPopup(popup(p), {maxWidth: 340}); }
                    if (p.tip) { layer.bindTooltip(p.tip); }
                    return layer;
                }
            });
            var parent = {{ this._parent.get_name() }};
            var zmin = {{ this.min_zoom|js_json }}, zmax = {{ this.max_zoom|js_json }};
            {% if this.map_name %}
            var map = {{ this.map_name }};
            function sync() {
                var z = map.getZoom(), on = (zmin === null || z >= zmin) && (zmax === null || z < zmax);
                if (on && !parent.hasLayer(layer)) { parent.addLayer(layer); }
                if (!on && parent.hasLayer(layer)) { parent.removeLayer(layer); }
            }
            map.on("zoomend", sync);
            sync();
            {% else %}
            layer.addTo(parent);
            {% endif %}
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]], *, fields: Sequence[str] = (),
                 symbols: Mapping[str, str] | None = None, size_px: int = 16, min_zoom: float | None = None,
                 max_zoom: float | None = None) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.data = {"type": "FeatureCollection", "features": features}
        self.fields = list(fields)
        self.symbols = dict(symbols or {})
        self.size_px = size_px
        self.min_zoom = min_zoom
        self.max_zoom = max_zoom


class _ShapeLayer(_DataElement):
    """Polygons / lines from GeoJSON with one fixed style, optionally a tooltip property ``tip``."""

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
            style: function () { return {{ this.style|js_json }}; },
            interactive: {{ this.interactive|js_json }},
            onEachFeature: function (feature, layer) {
                if (feature.properties && feature.properties.tip) { layer.bindTooltip(feature.properties.tip); }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geojson_text: str, *, style: Mapping[str, Any], interactive: bool = False) -> None:
        super().__init__()
        self._name = "ShapeLayer"
        self.data = geojson_text.replace("<", "\\u003c").replace(">", "\\u003e")
        self.style = dict(style)
        self.interactive = interactive


class _Scale(_DataElement):
    """A metric scale bar (Leaflet's, without miles)."""

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class _Setup(_DataElement):
    """A pane for labels above every symbol, and the map's zoom as a CSS class (small symbols when zoomed out)."""

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var pane = map.createPane("covLabels");
            pane.style.zIndex = 640;
            pane.style.pointerEvents = "none";
            function sync() {
                var low = map.getZoom() < {{ this.detail_zoom|js_json }};
                L.DomUtil[low ? "addClass" : "removeClass"](map.getContainer(), "cov-low");
            }
            map.on("zoomend", sync);
            sync();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, detail_zoom: float) -> None:
        super().__init__()
        self._name = "Setup"
        self.detail_zoom = detail_zoom


class _Legend(_DataElement):
    """A legend control (bottom right) with prepared, escaped HTML."""

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "cov-legend");
            div.innerHTML = {{ this.html|js_json }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            function fit() {  // never taller than the map: it scrolls instead of losing its bottom
                div.style.maxHeight = Math.max(80, map.getSize().y - 60) + "px";
            }
            map.on("resize", fit);
            fit();
            setTimeout(function () {  // a legend that would cover much of a small map starts folded
                var details = div.querySelector("details");
                var size = map.getSize();
                if (details && (div.scrollHeight > 0.55 * size.y || div.offsetWidth > 0.35 * size.x)) {
                    details.open = false;
                }
            }, 0);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text


_CSS = """
<style>
.leaflet-container.leaflet-container { background: #f4f2ec; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
  "PingFang SC", "Source Han Sans SC", sans-serif; }
.cov-icon { background: none; border: none; }
.cov-label { background: none; border: none; white-space: nowrap; text-align: center; pointer-events: none;
  color: #333; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.cov-label.county { font-size: 14px; font-weight: 700; color: #222; }
.cov-label.township { font-size: 11px; color: #555; }
.cov-pop { font-size: 12px; line-height: 1.35; }
.cov-pop table { border-collapse: collapse; margin-top: 4px; }
.cov-pop th { text-align: left; font-weight: 400; color: #666; padding: 1px 8px 1px 0; vertical-align: top; }
.cov-pop td { padding: 1px 0; }
.cov-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px; font-size: 12px;
  line-height: 1.45; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-height: 60vh; overflow-y: auto; max-width: 260px; }
.cov-legend summary { font-weight: 700; font-size: 13px; cursor: pointer; }
.cov-legend details:not([open]) summary { font-weight: 600; }
.cov-sym { position: relative; }
.cov-legend .classes { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 2px 8px; }
.cov-legend .cls { display: flex; flex-direction: column; align-items: center; }
.cov-legend .cls small { font-size: 10px; color: #444; white-space: nowrap; }
.cov-num { position: absolute; left: 0; right: 0; top: -15px; text-align: center; font: 700 12px sans-serif;
  color: #7a0045; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; pointer-events: none; }
.cov-low .cov-fac svg { transform: scale(0.6); }
.cov-label.county { z-index: 2; }
.cov-legend .sec { margin-top: 5px; font-weight: 600; color: #444; }
.cov-legend .row { display: flex; align-items: center; gap: 6px; }
.cov-legend .sym { width: 28px; display: flex; justify-content: center; align-items: center; }
.cov-legend .note { margin-top: 5px; color: #777; font-size: 11px; max-width: 220px; }
</style>
"""


# --------------------------------------------------------------------------------------------- map
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
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 6),
                                                                           round(float(lat), 6)]},
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


_ADMIN_NAMES = ("county_name", "township_name", "village_name")


def add_demand(m: folium.Map, demand: gpd.GeoDataFrame, *, group: str = "elderly_60plus", lang: str = "zh",
               travel_time_min: pd.Series | None = None, show: bool = True,
               popup_groups: Collection[str] | None = None, radius_scale: float = 1.0,
               min_zoom: float | None = None, breaks: Sequence[float] | None = None) -> list[float]:
    """Villages as graduated circles of one population group; returns the class limits.

    Parameters
    ----------
    demand
        Demand table (canonical columns, a CRS).
    group
        Population column to draw (a key of ``taxonomy.POPULATION_GROUPS``).
    travel_time_min
        Optional travel time [min] to the nearest counted facility, indexed by
        demand id; shown in the popups (NaN: unreachable).
    popup_groups
        Population columns listed in the popups (default: every group present).
    radius_scale
        Factor on the symbol radii (a second group drawn smaller, inside the first).
    min_zoom
        The villages show from this zoom on (below it, township totals from
        :func:`add_township_totals`); always when None.
    breaks
        Class limits (default: :func:`coverage.mapping.style.class_breaks` of the
        values, as the printed maps use).

    Raises
    ------
    InputError
        When ``group`` is not a population group.
    MissingColumnError
        When ``group`` is not a column of ``demand``.
    """
    from coverage.errors import MissingColumnError

    if group not in POPULATION_GROUPS:
        raise InputError(f"unknown population group '{group}'; known: {', '.join(POPULATION_GROUPS)}")
    gdf = _prepare(m, demand, "demand")
    if gdf is None:
        return []
    if group not in gdf.columns:
        raise MissingColumnError(f"demand: no column '{group}' ({label(group, 'zh')}); add it to the village list")
    values = pd.to_numeric(gdf[group], errors="coerce").to_numpy(dtype=float)
    breaks = list(breaks) if breaks is not None else graduated_breaks(values)
    fg = folium.FeatureGroup(name=f"{label(group, lang)}", show=show).add_to(m)
    if not breaks:
        return []
    radii = _radius_px(np.nan_to_num(values), breaks) * radius_scale
    lon, lat = _xy(gdf)
    groups = [g for g in (popup_groups or POPULATION_GROUPS) if g in gdf.columns]
    admin = [c for c in _ADMIN_NAMES if c in gdf.columns]
    fields = [_col_label(c, lang) for c in admin] + [_esc(label(g, lang)) for g in groups]
    columns = [_text_column(gdf, c) for c in admin] + [_number_column(gdf, g) for g in groups]
    if travel_time_min is not None:
        fields.append(_t("travel_time", lang))
        tt = pd.Series(travel_time_min).reindex(gdf["id"].tolist()).to_numpy(dtype=float)
        columns.append([f"{v:.1f} {_t('minutes', lang)}" if np.isfinite(v) else _t("unreachable", lang)
                        for v in tt])
    names = _text_column(gdf, "name")
    colour = DEMAND_STYLES.get(group, "#b5523b")
    feats = []
    for i in np.argsort(-np.nan_to_num(values), kind="stable"):  # big circles first, small ones on top
        if not values[i] > 0:
            continue
        feats.append(_feature(lon[i], lat[i], {
            "r": float(radii[i]), "fill": colour, "n": names[i], "v": [col[i] for col in columns],
            "tip": f"{names[i]} · {_fmt(values[i])}"}))
    fg.add_child(_PointLayer(feats, fields=fields, min_zoom=min_zoom))
    return breaks


#: Radii [px] of township-total classes (larger than the villages' at the same class).
_TOWNSHIP_RADII_PX = (6.0, 9.0, 12.5, 16.5, 21.0)


def add_township_totals(m: folium.Map, demand: gpd.GeoDataFrame, *, group: str = "elderly_60plus",
                        boundaries: gpd.GeoDataFrame | None = None, lang: str = "zh", max_zoom: float | None = None,
                        show: bool = True, radius_scale: float = 1.0) -> list[float]:
    """One graduated circle per township (the sum of its villages), for the zooms below ``max_zoom``.

    A whole prefecture of villages saturates a screen; its townships do not.
    The circle sits on the township's polygon (``boundaries`` of level
    "township" with a matching ``code``), else at the mean of its villages.

    Parameters
    ----------
    demand
        Demand table with ``township_code`` or ``township_name``.
    group
        Population column summed.
    max_zoom
        The totals show below this zoom (where the villages do not).

    Returns
    -------
    list of float
        The class limits of the totals (:func:`coverage.mapping.style.class_breaks`); empty when
        ``demand`` names no townships.
    """
    gdf = _prepare(m, demand, "demand")
    key = next((c for c in ("township_code", "township_name") if gdf is not None and c in gdf.columns), None)
    if gdf is None or gdf.empty or key is None or group not in gdf.columns:
        return []
    lon, lat = _xy(gdf)
    frame = pd.DataFrame({"key": gdf[key].astype(str).to_numpy(), "lon": lon, "lat": lat,
                          "v": pd.to_numeric(gdf[group], errors="coerce").fillna(0).to_numpy(dtype=float),
                          "name": gdf["township_name"].astype(str).to_numpy() if "township_name" in gdf.columns
                          else gdf[key].astype(str).to_numpy(),
                          "county": gdf["county_name"].astype(str).to_numpy() if "county_name" in gdf.columns
                          else ""})
    per = frame.groupby("key").agg(lon=("lon", "mean"), lat=("lat", "mean"), v=("v", "sum"), name=("name", "first"),
                                   county=("county", "first"), n=("v", "size"))
    bnd = _prepare(m, boundaries, "boundaries") if boundaries is not None else None
    if bnd is not None and key == "township_code" and {"level", "code"} <= set(bnd.columns):
        tws = bnd[bnd["level"] == "township"]
        blon, blat = _xy(tws)
        where = dict(zip(tws["code"].astype(str), zip(blon, blat, strict=True), strict=True))
        for code in per.index.intersection(list(where)):
            per.loc[code, ["lon", "lat"]] = where[code]
    values = per["v"].to_numpy(dtype=float)
    breaks = graduated_breaks(values)
    if not breaks:
        return []
    idx = np.clip(style.classify(values, breaks), 0, len(_TOWNSHIP_RADII_PX) - 1)
    radii = np.asarray(_TOWNSHIP_RADII_PX)[idx] * radius_scale
    colour = DEMAND_STYLES.get(group, style.demand_colour(group))
    fields = [_col_label("county_name", lang), _esc(label(group, lang)), _t("village_count", lang)]
    feats = []
    for i in np.argsort(-values, kind="stable"):
        if not values[i] > 0:
            continue
        row = per.iloc[i]
        name = _esc(row["name"])
        feats.append(_feature(row["lon"], row["lat"], {
            "r": float(radii[i]), "fill": colour, "stroke": "#ffffff", "weight": 1.5, "fo": 0.7, "n": name,
            "v": [_esc(row["county"]), _fmt(float(row["v"])), _fmt(int(row["n"]))],
            "tip": f"{name} · {_fmt(float(row['v']))}"}))
    fg = folium.FeatureGroup(name=f"{label(group, lang)} · {_t('township_total', lang)}", show=show).add_to(m)
    fg.add_child(_PointLayer(feats, fields=fields, max_zoom=max_zoom))
    return breaks


def add_facilities(m: folium.Map, facilities: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True,
                   types: Collection[str] | None = None, size_px: int = 12) -> list[str]:
    """Facilities, one symbol per type (inline SVG); returns the types drawn, in taxonomy order.

    Parameters
    ----------
    facilities
        Facility table (canonical columns, ``type`` keys of ``taxonomy.FACILITY_TYPES``).
    types
        Only these types (default: all present).
    size_px
        Symbol size [px].
    """
    gdf = _prepare(m, facilities, "facilities")
    if gdf is None or gdf.empty:
        return []
    if types is not None:
        gdf = gdf[gdf["type"].isin(list(types))]
    type_keys = [str(t) for t in gdf["type"].tolist()]
    present = [k for k in FACILITY_TYPES if k in set(type_keys)]
    symbols = {k: symbol_svg(*FACILITY_SYMBOLS.get(k, ("circle", "#777777")), size_px=size_px)
               for k in set(type_keys)}
    lon, lat = _xy(gdf)
    type_text = [_esc(label(k, lang)) for k in type_keys]
    caps = gdf["capacity"].tolist() if "capacity" in gdf.columns else [None] * len(gdf)
    units = gdf["capacity_unit"].tolist() if "capacity_unit" in gdf.columns else [None] * len(gdf)
    cap_text = [f"{_fmt(c)} {_esc(label(u, lang)) if isinstance(u, str) and u else ''}".strip()
                if c is not None and pd.notna(c) else "" for c, u in zip(caps, units, strict=False)]
    status = [_esc(label(v, lang)) if isinstance(v, str) else "" for v in
              (gdf["status"].tolist() if "status" in gdf.columns else [None] * len(gdf))]
    admin = [c for c in _ADMIN_NAMES if c in gdf.columns]
    fields = [_col_label(c, lang) for c in ("type", "capacity", "status", *admin)]
    columns = [type_text, cap_text, status] + [_text_column(gdf, c) for c in admin]
    names = _text_column(gdf, "name")
    by_cat: dict[str, list[dict[str, Any]]] = {c: [] for c in [*CATEGORIES, ""]}
    for i, key in enumerate(type_keys):
        cat = FACILITY_TYPES[key].category if key in FACILITY_TYPES else ""
        by_cat[cat].append(_feature(lon[i], lat[i], {"sym": key, "n": names[i], "v": [c[i] for c in columns],
                                                    "tip": f"{names[i]} · {type_text[i]}", "z": 100,
                                                    "cls": "cov-fac"}))
    for cat, feats in by_cat.items():
        if feats:
            name = CATEGORIES[cat].label(lang) if cat else _t("facilities", lang)
            fg = folium.FeatureGroup(name=name, show=show).add_to(m)
            fg.add_child(_PointLayer(feats, fields=fields, symbols=symbols, size_px=size_px))
    return present


#: Boundary styles by level: colour, weight [px], dash pattern.
_BOUNDARY_STYLES: dict[str, tuple[str, float, str | None]] = {
    "prefecture": ("#222222", 2.6, None), "county": ("#444444", 1.6, None),
    "township": ("#8a8a8a", 0.8, "4 3"), "village": ("#bbbbbb", 0.5, "2 3"),
}


def add_boundaries(m: folium.Map, boundaries: gpd.GeoDataFrame, *, lang: str = "zh",
                   levels: Sequence[str] = ("county", "township"), labels: bool = True,
                   simplify_deg: float = 0.0004, township_label_min_zoom: float | None = None) -> None:
    """Administrative boundaries (outlines, no fill) with their names as labels.

    Parameters
    ----------
    levels
        Levels drawn besides "prefecture" (always drawn when present).
    simplify_deg
        Outline simplification tolerance [deg] for display (0.0004 deg is about 40 m).
    township_label_min_zoom
        Township names show from this zoom on (county names always, above every symbol).
    """
    if boundaries is None or len(boundaries) == 0:
        return
    gcj = _is_gcj(m)
    layers = _cached(boundaries, ("outlines", tuple(levels), simplify_deg, gcj),
                     lambda: _boundary_layers(m, boundaries, levels, simplify_deg))
    label_feats: list[dict[str, Any]] = []
    for level, text, labels_of_level in layers:
        colour, weight, dash = _BOUNDARY_STYLES[level]
        name = _t(level, lang) if level in ("county", "township") else label(level, lang)
        fg = folium.FeatureGroup(name=name, show=True).add_to(m)
        fg.add_child(_ShapeLayer(text, style={"color": colour, "weight": weight, "dashArray": dash,
                                              "fill": False, "opacity": 0.9}))
        if labels:
            label_feats += labels_of_level
    if label_feats:
        fg = folium.FeatureGroup(name=_t("labels", lang), show=True).add_to(m)
        county = [f for f in label_feats if f["properties"].get("cls") != "township"]
        township = [f for f in label_feats if f["properties"].get("cls") == "township"]
        if township:
            fg.add_child(_PointLayer(township, min_zoom=township_label_min_zoom))
        if county:
            fg.add_child(_PointLayer(county))


def _boundary_layers(m: folium.Map, boundaries: gpd.GeoDataFrame, levels: Sequence[str],
                     simplify_deg: float) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(level, outline GeoJSON text, label features), finest level first."""
    gdf = _prepare(m, boundaries, "boundaries")
    if gdf is None or gdf.empty:
        return []
    if "level" not in gdf.columns:
        gdf = gdf.assign(level="county")
    present = set(gdf["level"])
    draw = [lv for lv in _BOUNDARY_STYLES if lv in present and (lv == "prefecture" or lv in levels)]
    out = []
    for level in reversed(draw):  # finest first, so coarser outlines lie on top
        part = gdf[gdf["level"] == level]
        geoms = shapely.set_precision(shapely.simplify(np.asarray(part.geometry.values), simplify_deg), 1e-5)
        text = gpd.GeoDataFrame(geometry=shapely.boundary(geoms), crs=WGS84).to_json(drop_id=True, ensure_ascii=False)
        feats = []
        if level in ("county", "township"):
            lon, lat = _xy(part)
            feats = [_feature(x, y, {"label": t, "cls": level})
                     for x, y, t in zip(lon, lat, _text_column(part, "name"), strict=False)]
        out.append((level, text, feats))
    return out


def add_service_areas(m: folium.Map, areas: gpd.GeoDataFrame, *, lang: str = "zh", colour: str = "#31a354",
                      show: bool = True, simplify_deg: float = 0.0002) -> None:
    """Service areas (polygons, optional ``threshold_min``) as translucent fills."""
    gdf = _prepare(m, areas, "service areas")
    if gdf is None or gdf.empty:
        return
    fg = folium.FeatureGroup(name=_t("service_areas", lang), show=show).add_to(m)
    tips = ([f"≤ {_fmt(v)} {_t('minutes', lang)}" for v in gdf["threshold_min"].tolist()]
            if "threshold_min" in gdf.columns else [""] * len(gdf))
    geoms = shapely.simplify(np.asarray(gdf.geometry.values), simplify_deg)
    text = gpd.GeoDataFrame({"tip": tips}, geometry=geoms, crs=WGS84).to_json(drop_id=True, ensure_ascii=False)
    fg.add_child(_ShapeLayer(text, style={"color": colour, "weight": 1, "fillColor": colour,
                                          "fillOpacity": 0.18, "opacity": 0.6}, interactive=False))


def add_uncovered(m: folium.Map, demand: gpd.GeoDataFrame, uncovered_ids: Collection[object], *,
                  lang: str = "zh", title: str | None = None, show: bool = True) -> int:
    """Highlight villages left uncovered (a red ring); returns how many were drawn."""
    gdf = _prepare(m, demand, "demand")
    if gdf is None or gdf.empty or not len(uncovered_ids):
        return 0
    part = gdf[gdf["id"].isin(list(uncovered_ids))]
    # the layer control shows layer names as HTML: a user's title is escaped like every other text
    fg = folium.FeatureGroup(name=_esc(title) if title else _t("uncovered", lang), show=show).add_to(m)
    lon, lat = _xy(part)
    feats = [_feature(x, y, {"r": 11, "fill": "#ff0000", "stroke": "#d7191c", "weight": 2.2, "fo": 0.06,
                             "tip": f"{n} · {_t('uncovered', lang)}"})
             for x, y, n in zip(lon, lat, _text_column(part, "name"), strict=False)]
    fg.add_child(_PointLayer(feats))
    return len(feats)


_SITE_COLOURS = {"proposed": "#ffd400", "accepted": "#1a9641", "manual": "#0571b0"}


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> None:
    """Proposed / accepted / hand-placed sites as stars, with their explanation in the popup.

    ``sites`` has ``id``, ``name`` and optionally ``status`` ("proposed",
    "accepted", "manual"), ``type``, ``kind``, ``explanation`` (text),
    ``newly_covered`` (persons) columns.  Each star carries its number, 1, 2, ...
    in row order (the numbering of the site list and of the printed proposal map).
    """
    gdf = _prepare(m, sites, "sites")
    if gdf is None or gdf.empty:
        return
    fg = folium.FeatureGroup(name=_t("sites", lang), show=show).add_to(m)
    lon, lat = _xy(gdf)
    n = len(gdf)
    status = [v if isinstance(v, str) and v in _SITE_COLOURS else "proposed"
              for v in (gdf["status"].tolist() if "status" in gdf.columns else [None] * n)]

    def labels_of(col: str) -> list[str]:
        vals = gdf[col].tolist() if col in gdf.columns else [None] * n
        return [_esc(label(v, lang)) if isinstance(v, str) and v else "" for v in vals]

    covered = gdf["newly_covered"].tolist() if "newly_covered" in gdf.columns else [None] * n
    fields = [_t("sites", lang), _col_label("type", lang), _col_label("kind", lang), _t("covers", lang),
              _t("explanation", lang)]
    columns = [[_t(s, lang) for s in status], labels_of("type"), labels_of("kind"),
               [f"{_fmt(v)} {_t('persons', lang)}" if v is not None and pd.notna(v) else "" for v in covered],
               _text_column(gdf, "explanation")]
    names = _text_column(gdf, "name") if "name" in gdf.columns else _text_column(gdf, "id")
    symbols = {s: symbol_svg("star", c, size_px=24, stroke="#333333") for s, c in _SITE_COLOURS.items()}
    numbers = site_numbers(gdf)
    feats = [_feature(lon[i], lat[i], {"sym": status[i], "size": 24, "z": 1000, "num": numbers[i],
                                       "n": f"{numbers[i]}. {names[i]}", "v": [c[i] for c in columns],
                                       "tip": f"{numbers[i]}. {names[i]}"}) for i in range(n)]
    fg.add_child(_PointLayer(feats, fields=fields, symbols=symbols, size_px=24))


def _legend_row(sym: str, text: str) -> str:
    return f'<div class="row"><span class="sym">{sym}</span><span>{text}</span></div>'


def _class_row(breaks: Sequence[float], radii: Sequence[float], colour: str) -> str:
    """Graduated classes side by side: each circle over its range (the printed maps' labels)."""
    cells = "".join(f'<span class="cls">{_circle_svg(r, colour)}<small>{text}</small></span>'
                    for r, text in zip(radii, style.class_labels(breaks), strict=True))
    return f'<div class="classes">{cells}</div>'


def _circle_svg(r: float, colour: str, *, ring: bool = False) -> str:
    s = int(2 * r + 4)
    fill = "none" if ring else colour
    stroke = colour if ring else "#ffffff"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}"><circle cx="{s / 2}" cy="{s / 2}" '
            f'r="{r}" fill="{fill}" fill-opacity="0.75" stroke="{stroke}" stroke-width="{2 if ring else 1}"/></svg>')


def add_legend(m: folium.Map, *, lang: str = "zh", demand: Mapping[str, list[float]] | None = None,
               demand_scales: Mapping[str, float] | None = None,
               facility_types: Sequence[str] = (), uncovered: bool = False, service_areas: bool = False,
               sites: bool = False, title: str | None = None, note: str | None = None,
               townships: Mapping[str, list[float]] | None = None) -> str:
    """A zh/en legend (bottom right, folds away) for the layers drawn; returns its HTML.

    Parameters
    ----------
    demand
        Population group -> class limits (as returned by :func:`add_demand`).
    townships
        Population group -> class limits of the township totals (:func:`add_township_totals`).
    facility_types
        Facility-type keys drawn (as returned by :func:`add_facilities`).
    note
        A line of small print (e.g. "示例数据（模拟）"); escaped.
    """
    parts = [f"<details open><summary>{_esc(title or _t('legend', lang))}</summary>"]
    scales = demand_scales or {}
    for group, breaks in (townships or {}).items():
        if breaks:
            radii = [_TOWNSHIP_RADII_PX[min(i, len(_TOWNSHIP_RADII_PX) - 1)] * scales.get(group, 1.0)
                     for i in range(len(breaks))]
            parts.append(f'<div class="sec">{_esc(label(group, lang))} · {_t("township_total", lang)}'
                         f'（{_t("persons", lang)}）</div>')
            parts.append(_class_row(breaks, radii, DEMAND_STYLES.get(group, style.demand_colour(group))))
    for group, breaks in (demand or {}).items():
        if breaks:
            radii = [_RADII_PX[min(i, len(_RADII_PX) - 1)] * scales.get(group, 1.0) for i in range(len(breaks))]
            parts.append(f'<div class="sec">{_esc(label(group, lang))} · {_t("per_village", lang)}'
                         f'（{_t("persons", lang)}）</div>')
            parts.append(_class_row(breaks, radii, DEMAND_STYLES.get(group, style.demand_colour(group))))
    if townships and any(townships.values()):
        parts.append(f'<div class="note">{_t("zoom_note", lang)}</div>')
    if facility_types:
        by_cat: dict[str, list[str]] = {}
        for key in facility_types:
            by_cat.setdefault(FACILITY_TYPES[key].category if key in FACILITY_TYPES else "", []).append(key)
        for cat, keys in by_cat.items():
            head = CATEGORIES[cat].label(lang) if cat in CATEGORIES else _t("facilities", lang)
            parts.append(f'<div class="sec">{_esc(head)}</div>')
            for key in keys:
                shape, colour = FACILITY_SYMBOLS.get(key, ("circle", "#777777"))
                parts.append(_legend_row(symbol_svg(shape, colour, size_px=14), _esc(label(key, lang))))
    extra = []
    if uncovered:
        extra.append(_legend_row(_circle_svg(7, "#d7191c", ring=True), _t("uncovered", lang)))
    if service_areas:
        extra.append(_legend_row('<span style="display:inline-block;width:18px;height:12px;background:#31a354;'
                                 'opacity:0.35;border:1px solid #31a354"></span>', _t("service_areas", lang)))
    if sites:
        for status, colour in _SITE_COLOURS.items():
            extra.append(_legend_row(symbol_svg("star", colour, size_px=16, stroke="#333333"), _t(status, lang)))
    if extra:
        parts.append(f'<div class="sec">{_t("sites", lang) if sites else ""}</div>')
        parts.extend(extra)
    if _is_gcj(m):
        parts.append(f'<div class="note">{_t("gcj_note", lang)}</div>')
    if note:
        parts.append(f'<div class="note">{_esc(note)}</div>')
    parts.append("</details>")
    text = "".join(parts)
    m.add_child(_Legend(text))
    return text


def coverage_map(demand: gpd.GeoDataFrame | None = None, facilities: gpd.GeoDataFrame | None = None, *,
                 boundaries: gpd.GeoDataFrame | None = None, groups: Sequence[str] = ("elderly_60plus",
                                                                                        "left_behind_children"),
                 facility_types: Collection[str] | None = None, service_areas: gpd.GeoDataFrame | None = None,
                 uncovered_ids: Collection[object] | None = None, uncovered_title: str | None = None,
                 sites: gpd.GeoDataFrame | None = None, travel_time_min: pd.Series | None = None,
                 lang: str = "zh", basemap: str | None = None, tianditu_key: str | None = None,
                 note: str | None = None, title: str | None = None,
                 village_min_zoom: float | None = None) -> folium.Map:
    """The app's map: boundaries, villages by group, facilities by type, coverage layers, a legend.

    Parameters
    ----------
    demand, facilities, boundaries
        Canonical tables from the loaders or the demo (any may be None).
    groups
        Population groups drawn as graduated circles, one layer each.
    facility_types
        Facility types drawn (default all).
    service_areas
        Polygons with ``threshold_min`` (from ``TravelTimeEngine.service_areas``).
    uncovered_ids
        Demand ids outside the threshold: highlighted in red.
    sites
        Proposed / accepted / hand-placed sites (see :func:`add_sites`).
    travel_time_min
        Travel time [min] to the nearest facility by demand id, for the popups.
    lang
        "zh" (default) or "en": layer names, popups and legend.
    basemap, tianditu_key
        See :func:`new_map`; with "amap" every overlay is shifted to GCJ-02.
    note
        Small print in the legend (e.g. the demo's "示例数据（模拟）").
    village_min_zoom
        Zoom from which villages are drawn; below it each township shows as one
        circle (the sum of its villages) and township names are hidden.  Default:
        1.5 levels closer than the initial view (at most 11), or villages at every
        zoom when there are no more than 300 of them.

    Returns
    -------
    folium.Map
        A map whose every asset is inline (:func:`remote_asset_urls` is empty).

    Example
    -------
    >>> demo = load_demo("yuxi")                                            # doctest: +SKIP
    >>> m = coverage_map(demo.demand, demo.facilities, boundaries=demo.boundaries)  # doctest: +SKIP
    """
    layers = [x for x in (boundaries, demand, facilities) if x is not None and len(x)]
    bounds = None
    if layers:
        checked = [_check_wgs84(x, "layer") for x in layers]
        tb = np.array([x.total_bounds for x in checked if x is not None])
        bounds = (tb[:, 0].min(), tb[:, 1].min(), tb[:, 2].max(), tb[:, 3].max())
    detail = village_min_zoom
    if detail is None and demand is not None and len(demand) > _MAX_VILLAGES_ALWAYS:
        detail = min(_view(bounds, width_px=900, height_px=560)[1] + 1.5, 11.0)
    m = new_map(bounds=bounds, basemap=basemap, tianditu_key=tianditu_key, lang=lang, detail_zoom=detail or 0.0)
    if _is_gcj(m):
        try:
            import coverage.inputs.crs  # noqa: F401
        except ImportError as exc:  # pragma: no cover - part of the library
            raise InputError("cannot shift overlays to GCJ-02 for the Amap base map: coverage.inputs.crs "
                             "is missing; choose another base map") from exc
    if service_areas is not None:
        add_service_areas(m, service_areas, lang=lang)
    if boundaries is not None:
        add_boundaries(m, boundaries, lang=lang, township_label_min_zoom=None if detail is None else detail - 1.0)
    demand_breaks: dict[str, list[float]] = {}
    township_breaks: dict[str, list[float]] = {}
    if demand is not None:
        for i, group in enumerate(groups):
            if group in demand.columns:
                if detail is not None:
                    township_breaks[group] = add_township_totals(
                        m, demand, group=group, boundaries=boundaries, lang=lang, max_zoom=detail,
                        radius_scale=0.55 if i else 1.0)
                demand_breaks[group] = add_demand(m, demand, group=group, lang=lang, radius_scale=0.55 if i else 1.0,
                                                  travel_time_min=travel_time_min if i == 0 else None,
                                                  min_zoom=detail if township_breaks.get(group) else None)
    drawn: list[str] = []
    if facilities is not None:
        drawn = add_facilities(m, facilities, lang=lang, types=facility_types)
    n_uncovered = 0
    if demand is not None and uncovered_ids is not None:
        n_uncovered = add_uncovered(m, demand, uncovered_ids, lang=lang, title=uncovered_title)
    if sites is not None and len(sites):
        add_sites(m, sites, lang=lang)
    scales = {g: (0.55 if i else 1.0) for i, g in enumerate(demand_breaks)}
    add_legend(m, lang=lang, demand=demand_breaks, demand_scales=scales, facility_types=drawn,
               uncovered=n_uncovered > 0,
               service_areas=service_areas is not None and len(service_areas) > 0,
               sites=sites is not None and len(sites) > 0, title=title, note=note, townships=township_breaks)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


#: Up to this many villages are drawn at every zoom (no township totals).
_MAX_VILLAGES_ALWAYS = 300


def to_html(m: folium.Map) -> str:
    """The map as one standalone HTML page that opens offline (every asset inline)."""
    remote = remote_asset_urls(m)
    if remote:
        raise OfflineAssetError(f"the map would fetch {', '.join(remote)}; build it with coverage_map / new_map")
    return m.get_root().render()
