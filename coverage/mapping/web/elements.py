"""Leaflet elements rendered once from compact data (no template re-parsing of user text), and the CSS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import folium
import jinja2
from branca.element import Element, MacroElement


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

    Properties every feature shares go once into ``defaults``; with ``tip_value``
    a feature without ``tip`` gets "``n`` · ``v[tip_value]``" (smaller pages).
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var symbols = {{ this.symbols|js_json }};
            var fields = {{ this.fields|js_json }};
            var size = {{ this.size_px|js_json }};
            var defaults = {{ this.defaults|js_json }}, tipValue = {{ this.tip_value|js_json }};
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
                    for (var d in defaults) { if (p[d] === undefined) { p[d] = defaults[d]; } }
                    if (p.tip === undefined && tipValue !== null && p.v) { p.tip = p.n + " · " + p.v[tipValue]; }
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
                 max_zoom: float | None = None, defaults: Mapping[str, Any] | None = None,
                 tip_value: int | None = None) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.data = {"type": "FeatureCollection", "features": features}
        self.fields = list(fields)
        self.symbols = dict(symbols or {})
        self.size_px = size_px
        self.min_zoom = min_zoom
        self.max_zoom = max_zoom
        self.defaults = dict(defaults or {})
        self.tip_value = tip_value


class _ShapeLayer(_DataElement):
    """Polygons / lines from GeoJSON with one fixed style, optionally a tooltip property ``tip``.

    The layer is on the map only at zooms ``min_zoom`` <= z < ``max_zoom`` (always when both are None).
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var layer = L.geoJSON({{ this.data }}, {
                style: function () { return {{ this.style|js_json }}; },
                interactive: {{ this.interactive|js_json }},
                onEachFeature: function (feature, layer) {
                    if (feature.properties && feature.properties.tip) { layer.bindTooltip(feature.properties.tip); }
                }
            });
            var parent = {{ this._parent.get_name() }};
            var zmin = {{ this.min_zoom|js_json }}, zmax = {{ this.max_zoom|js_json }};
            {% if this.map_name and (this.min_zoom is not none or this.max_zoom is not none) %}
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

    def __init__(self, geojson_text: str, *, style: Mapping[str, Any], interactive: bool = False,
                 min_zoom: float | None = None, max_zoom: float | None = None) -> None:
        super().__init__()
        self._name = "ShapeLayer"
        self.data = geojson_text.replace("<", "\\u003c").replace(">", "\\u003e")
        self.style = dict(style)
        self.interactive = interactive
        self.min_zoom = min_zoom
        self.max_zoom = max_zoom


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
