"""Road-network sources, all returning one format: an osmnx-style ``networkx.MultiDiGraph``.

Nodes carry ``x``/``y`` (longitude/latitude, ``G.graph["crs"] == "EPSG:4326"``); edges carry ``length``
(metres), ``highway`` (OSM class), optional ``maxspeed``, ``oneway`` and ``geometry``.  A two-way road is
two directed edges; a oneway road one.  ``G.graph["source"]`` says where the network came from.

- :func:`download_osm_graph`: OpenStreetMap via osmnx, by place name, polygon or bounding box, cached to
  disk as GraphML; offline it fails within seconds with :class:`~coverage.errors.DownloadError`.
- :func:`graph_from_osm_file`: ``.osm`` / ``.osm.bz2`` XML (osmnx), ways filtered as osmnx's network types
  filter them (a ``highway`` tag, not ``area=yes``, not ``access=private``...); without a network type the
  graph keeps the ways of any of walk / bike / drive and each edge lists them in ``network_types``, which
  the travel-time engine reads to open each edge only to the modes whose osmnx filter it passes.
- :func:`graph_from_graphml`: GraphML (osmnx's or networkx's), with a ``crs`` graph attribute or ``crs=``.
- :func:`graph_from_pbf`: ``.osm.pbf`` (pyrosm).
- :func:`graph_from_road_layer`: a road-lines layer (GeoPackage / Shapefile / GeoJSON or a GeoDataFrame)
  with a road-class column (国道/省道/县道/乡道/村道, 高速, OSM classes or route numbers), noded into a graph.
- :func:`load_graph`: any of the above from one argument ("demo:yuxi", "osm:红塔区, 玉溪市", a path, a graph).

Every file-based source checks what it built: no edges, only self-loops, negative / infinite / non-numeric
lengths and nodes without coordinates are :class:`~coverage.errors.NetworkError` naming the file (and edge);
a closed loop road attached to the rest at one junction (osmnx: an edge whose start is its end) is split
in two at its middle vertex so that it can be routed on.

One module per source (``osm_download``, ``osm_files``, ``graphml``, ``road_layer``), the osmnx way
filters they share (``osm_filters``), the checks every source runs (``common``) and ``dispatch``
(:func:`load_graph`).
"""

from coverage.network.sources.dispatch import LAYER_SUFFIXES, OSM_SUFFIXES, load_graph
from coverage.network.sources.graphml import graph_from_graphml
from coverage.network.sources.osm_download import DEFAULT_CACHE_DIR, download_osm_graph
from coverage.network.sources.osm_files import graph_from_osm_file, graph_from_pbf
from coverage.network.sources.osm_filters import osm_way_network_types
from coverage.network.sources.road_layer import (
    CLASS_COLUMNS,
    DBF_SAMPLE_BYTES,
    MAXSPEED_COLUMNS,
    ONEWAY_COLUMNS,
    geodesic_lengths_m,
    graph_from_road_layer,
)
from coverage.network.sources.road_layer import _dbf_sample_encoding as _dbf_sample_encoding  # checked by tests

__all__ = [
    "CLASS_COLUMNS",
    "DBF_SAMPLE_BYTES",
    "DEFAULT_CACHE_DIR",
    "LAYER_SUFFIXES",
    "MAXSPEED_COLUMNS",
    "ONEWAY_COLUMNS",
    "OSM_SUFFIXES",
    "download_osm_graph",
    "geodesic_lengths_m",
    "graph_from_graphml",
    "graph_from_osm_file",
    "graph_from_pbf",
    "graph_from_road_layer",
    "load_graph",
    "osm_way_network_types",
]
