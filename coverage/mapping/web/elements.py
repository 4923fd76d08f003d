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

    Circles are drawn on the map's one canvas (``map.covCanvas`` from :class:`_Setup`), in the order
    of ``canvas_z`` (villages 0, uncovered rings 1, facility symbols 2); with ``canvas_symbols`` the
    symbols are drawn there too (thousands of facilities: no DOM element each), shrunk by
    ``low_scale`` below the map's detail zoom.  Otherwise a symbol is a DOM marker (numbered sites).

    ``features`` is a list of GeoJSON features, or their collection as script text (``_js_json``,
    built once and reused).  Properties every feature shares go once into ``defaults``; with ``tip_value``
    a feature without ``tip`` gets "``n`` · ``v[tip_value]``" (smaller pages).  With ``lookup``, the
    popup of the feature with ``k`` = i also shows row i of the global table ``covLookup[lookup]``
    (set by :class:`_Lookup`, which can change without redrawing this layer).
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var symbols = {{ this.symbols|js_json }};
            var fields = {{ this.fields|js_json }};
            var size = {{ this.size_px|js_json }};
            var defaults = {{ this.defaults|js_json }}, tipValue = {{ this.tip_value|js_json }};
            var lookup = {{ this.lookup|js_json }}, z = {{ this.canvas_z|js_json }};
            var onCanvas = {{ this.canvas_symbols|js_json }}, lowScale = {{ this.low_scale|js_json }};
            {% if this.map_name %}var map = {{ this.map_name }};{% else %}var map = null;{% endif %}
            var canvas = (map && map.covCanvas) || undefined;
            function popup(p) {
                var rows = "";
                for (var i = 0; i < fields.length; i++) {
                    if (p.v && p.v[i] !== "" && p.v[i] !== null && p.v[i] !== undefined) {
                        rows += "<tr><th>" + fields[i] + "</th><td>" + p.v[i] + "</td></tr>";
                    }
                }
                var extra = lookup !== null && window.covLookup ? window.covLookup[lookup] : null;
                if (extra && p.k !== undefined && extra.values[p.k] !== undefined && extra.values[p.k] !== null) {
                    rows += "<tr><th>" + extra.field + "</th><td>" + extra.values[p.k] + "</td></tr>";
                }
                return '<div class="cov-pop"><b>' + (p.n || "") + "</b><table>" + rows + "</table></div>";
            }
            var layer = L.geoJSON({{ this.data_json }}, {
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
                        if (onCanvas && canvas && L.CovSymbol) {
                            // a click on a symbol opens its popup only (not the map's click), as a marker's
                            layer = new L.CovSymbol(latlng, {renderer: canvas, radius: s / 2, svg: symbols[p.sym],
                                size: s, low: lowScale, covZ: z, bubblingMouseEvents: false});
                        } else {
                            var num = p.num !== undefined ? '<span class="cov-num">' + p.num + "</span>" : "";
                            layer = L.marker(latlng, {icon: L.divIcon({html: symbols[p.sym] + num,
                                className: "cov-icon cov-sym " + (p.cls || ""),
                                iconSize: [s, s], iconAnchor: [s / 2, s / 2], popupAnchor: [0, -s / 2]}),
                                zIndexOffset: p.z || 0});
                        }
                    } else {
                        layer = L.circleMarker(latlng, {radius: p.r, color: p.stroke || "#ffffff",
                            weight: p.weight || 1, opacity: 0.95, fillColor: p.fill, fillOpacity: p.fo || 0.75,
                            dashArray: p.dash || null, renderer: canvas, covZ: z});
                    }
                    if (p.n !== undefined) { layer.bindPopup(function () { return popup(p); }, {maxWidth: 340}); }
                    if (p.tip) { layer.bindTooltip(p.tip); }
                    return layer;
                }
            });
            var parent = {{ this._parent.get_name() }};
            var zmin = {{ this.min_zoom|js_json }}, zmax = {{ this.max_zoom|js_json }};
            if (map) {
                var sync = function () {
                    var zoom = map.getZoom(), on = (zmin === null || zoom >= zmin) && (zmax === null || zoom < zmax);
                    if (on && !parent.hasLayer(layer)) { parent.addLayer(layer); }
                    if (!on && parent.hasLayer(layer)) { parent.removeLayer(layer); }
                };
                map.on("zoomend", sync);
                sync();
            } else {
                layer.addTo(parent);
            }
            return layer;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]] | str, *, fields: Sequence[str] = (),
                 symbols: Mapping[str, str] | None = None, size_px: int = 16, min_zoom: float | None = None,
                 max_zoom: float | None = None, defaults: Mapping[str, Any] | None = None,
                 tip_value: int | None = None, canvas_symbols: bool = False, canvas_z: int = 0,
                 low_scale: float = 1.0, lookup: str | None = None) -> None:
        super().__init__()
        self._name = "PointLayer"
        # the data as script text once (not again at every render, and cheap to copy with a cached map)
        self.data_json = features if isinstance(features, str) else _js_json(
            {"type": "FeatureCollection", "features": features})
        self.fields = list(fields)
        self.symbols = dict(symbols or {})
        self.size_px = size_px
        self.min_zoom = min_zoom
        self.max_zoom = max_zoom
        self.defaults = dict(defaults or {})
        self.tip_value = tip_value
        self.canvas_symbols = canvas_symbols
        self.canvas_z = canvas_z
        self.low_scale = low_scale
        self.lookup = lookup


class _Lookup(_DataElement):
    """A table the popups of a :class:`_PointLayer` read when opened (``covLookup[name]``).

    ``values`` is a list by the features' ``k`` (None: no row), ``field`` the row's heading; ``values``
    None removes the table.  Sent with the layers that change (travel times follow the threshold and
    the service) while the villages themselves stay drawn.
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        window.covLookup = window.covLookup || {};
        {% if this.values is none %}delete window.covLookup[{{ this.key|js_json }}];{% else %}
        window.covLookup[{{ this.key|js_json }}] = {field: {{ this.field|js_json }}, values: {{ this.values_json }}};
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, key: str, field: str, values: list[str | None] | None) -> None:
        super().__init__()
        self._name = "Lookup"
        self.key = key
        self.field = field
        self.values = values
        self.values_json = None if values is None else _js_json(values)


class _ShapeLayer(_DataElement):
    """Polygons / lines from GeoJSON with one fixed style, optionally a tooltip property ``tip``.

    The layer is on the map only at zooms ``min_zoom`` <= z < ``max_zoom`` (always when both are None).
    ``pane``: a pane of :class:`_Setup` ("covRoads", "covAreas": under the boundaries and points
    whenever the layer is added), default Leaflet's overlay pane.
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var layer = L.geoJSON({{ this.data }}, {
                style: function () { return {{ this.style|js_json }}; },
                interactive: {{ this.interactive|js_json }},
                pane: {{ (this.pane or "overlayPane")|js_json }},
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
                 min_zoom: float | None = None, max_zoom: float | None = None, pane: str | None = None) -> None:
        super().__init__()
        self._name = "ShapeLayer"
        self.pane = pane
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
    """Panes and the canvas of the map, and its zoom as a CSS class (small symbols when zoomed out).

    Panes: labels above every symbol; roads and service areas under the overlay pane (so they stay
    under boundaries and points whenever they are added).  ``map.covCanvas`` is one canvas for every
    point symbol, drawing in the order of each layer's ``covZ`` option (then in order of addition), and
    ``L.CovSymbol`` a marker drawn on it from an inline SVG (thousands of facilities without a DOM
    element each: the map appears and changes in a fraction of the time).
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var pane = map.createPane("covLabels");
            pane.style.zIndex = 640;
            pane.style.pointerEvents = "none";
            map.createPane("covRoads").style.zIndex = 380;
            map.createPane("covAreas").style.zIndex = 390;
            map.covDetailZoom = {{ this.detail_zoom|js_json }};
            var Ordered = L.Canvas.extend({
                _initPath: function (layer) {  // appended last, then moved before every higher covZ
                    L.Canvas.prototype._initPath.call(this, layer);
                    var z = layer.options.covZ || 0, o = layer._order, at = o.prev;
                    while (at && (at.layer.options.covZ || 0) > z) { at = at.prev; }
                    if (at === o.prev) { return; }
                    this._drawLast = o.prev;
                    o.prev.next = null;
                    var next = at ? at.next : this._drawFirst;
                    o.prev = at;
                    o.next = next;
                    next.prev = o;
                    if (at) { at.next = o; } else { this._drawFirst = o; }
                }
            });
            map.covCanvas = new Ordered({padding: 0.3, tolerance: 2});
            if (!L.CovSymbol) {
                var images = {};
                L.CovSymbol = L.CircleMarker.extend({
                    _updatePath: function () {
                        var r = this._renderer;
                        if (!r._drawing || this._empty()) { return; }
                        var svg = this.options.svg, im = images[svg];
                        if (!im) {
                            im = images[svg] = {img: new Image(), ready: false, waiting: []};
                            im.img.onload = function () {
                                im.ready = true;
                                im.waiting.forEach(function (w) {  // draw again, whole canvas, once loaded
                                    if (w._map) {
                                        L.Util.cancelAnimFrame(w._redrawRequest);
                                        w._redrawBounds = null;
                                        w._redrawRequest = L.Util.requestAnimFrame(w._redraw, w);
                                    }
                                });
                                im.waiting = [];
                            };
                            im.img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
                        }
                        if (!im.ready) {
                            if (im.waiting.indexOf(r) < 0) { im.waiting.push(r); }
                            return;
                        }
                        var map = this._map, s = this.options.size;
                        if (map && map.getZoom() < (map.covDetailZoom || 0)) { s = s * (this.options.low || 1); }
                        r._ctx.drawImage(im.img, this._point.x - s / 2, this._point.y - s / 2, s, s);
                    }
                });
            }
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
    """A legend control (bottom right) with prepared, escaped HTML.

    Added as a layer of its parent (the map or a feature group), so it comes and goes with the group:
    a new legend replaces the old one without redrawing the map.  Folded or unfolded by the planner,
    the next legend keeps that state.
    """

    _template = _jinja(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var control = L.control({position: "bottomright"});
            control.onAdd = function (map) {
                var div = L.DomUtil.create("div", "cov-legend");
                div.innerHTML = {{ this.html|js_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                function fit() {  // never taller than the map: it scrolls instead of losing its bottom
                    div.style.maxHeight = Math.max(80, map.getSize().y - 60) + "px";
                }
                map.on("resize", fit);
                fit();
                var details = div.querySelector("details");
                if (details && window.covLegendOpen !== undefined) {
                    details.open = window.covLegendOpen;
                } else {
                    setTimeout(function () {  // a legend that would cover much of a small map starts folded
                        var size = map.getSize();
                        if (details && (div.scrollHeight > 0.55 * size.y || div.offsetWidth > 0.35 * size.x)) {
                            details.open = false;
                        }
                    }, 0);
                }
                if (details) {
                    details.addEventListener("toggle", function () { window.covLegendOpen = details.open; });
                }
                return div;
            };
            var Holder = L.Layer.extend({
                onAdd: function (map) { control.addTo(map); },
                onRemove: function (map) { map.removeControl(control); }
            });
            var holder = new Holder();
            {{ this._parent.get_name() }}.addLayer(holder);
            return holder;
        })();
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
.cov-label.village { font-size: 10.5px; color: #3a3a3a; transform: translateY(13px); }
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
.leaflet-container canvas.leaflet-interactive { cursor: pointer; }
.cov-label.county { z-index: 2; }
.cov-legend .sec { margin-top: 5px; font-weight: 600; color: #444; }
.cov-legend .row { display: flex; align-items: center; gap: 6px; }
.cov-legend .sym { width: 28px; display: flex; justify-content: center; align-items: center; }
.cov-legend .note { margin-top: 5px; color: #777; font-size: 11px; max-width: 220px; }
</style>
"""
