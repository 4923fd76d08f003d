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
sites, and optionally the road network by road class (:func:`road_lines`).
Every text that comes from a user's file is HTML-escaped.

This module is the public face of :mod:`coverage.mapping.web`, where each part
lives in its own module.

Example
-------
>>> from coverage.mapping.webmap import coverage_map, to_html
>>> m = coverage_map(demand, facilities, boundaries=bounds, lang="zh")   # doctest: +SKIP
>>> Path("map.html").write_text(to_html(m), encoding="utf-8")            # doctest: +SKIP
"""

from coverage.mapping.web.assets import OfflineAssetError, offline_assets, remote_asset_urls
from coverage.mapping.web.base import new_map, to_html
from coverage.mapping.web.basemaps import BASEMAPS, Basemap, click_to_wgs84
from coverage.mapping.web.coverage_map import coverage_map
from coverage.mapping.web.layers import (
    add_boundaries,
    add_demand,
    add_facilities,
    add_service_areas,
    add_sites,
    add_township_totals,
    add_uncovered,
)
from coverage.mapping.web.legend import add_legend
from coverage.mapping.web.roads import ROAD_STYLES, add_roads, road_lines, road_lines_from_edges
from coverage.mapping.web.symbols import DEMAND_STYLES, FACILITY_SYMBOLS, graduated_breaks, symbol_svg
from coverage.mapping.web.symbols import _radius_px as _radius_px  # radius classes, checked by the tests

__all__ = [
    "BASEMAPS",
    "DEMAND_STYLES",
    "FACILITY_SYMBOLS",
    "ROAD_STYLES",
    "Basemap",
    "OfflineAssetError",
    "add_boundaries",
    "add_demand",
    "add_facilities",
    "add_legend",
    "add_roads",
    "add_service_areas",
    "add_sites",
    "add_township_totals",
    "add_uncovered",
    "click_to_wgs84",
    "coverage_map",
    "graduated_breaks",
    "new_map",
    "offline_assets",
    "remote_asset_urls",
    "road_lines",
    "road_lines_from_edges",
    "symbol_svg",
    "to_html",
]
