"""The interactive web map (folium / Leaflet), one module per part; the public API is :mod:`coverage.mapping.webmap`.

``assets`` (Leaflet inline), ``basemaps`` (optional tiles, GCJ-02 shift), ``symbols`` and ``text``
(what is drawn and written), ``elements`` (Leaflet scripts rendered from data), ``base`` (an empty
map, layer checks, HTML page), ``layers`` (one ``add_*`` per layer), ``legend``, and ``coverage_map``
(the app's map in one call).
"""
