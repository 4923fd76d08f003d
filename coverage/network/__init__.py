"""Road networks: one graph format (an osmnx-style ``networkx.MultiDiGraph``) from every source, and travel modes.

Sources (:mod:`coverage.network.sources`): OpenStreetMap download by place, polygon or bounding box (cached as
GraphML), local ``.osm`` / ``.osm.bz2`` (osmnx) and ``.osm.pbf`` (pyrosm) files, GraphML, a road-lines layer
(GeoPackage / Shapefile / GeoJSON) with a road-class column, and the demo regions; :func:`load_graph`
dispatches on what it is given ("demo:yuxi", a path, a graph).

Modes (:mod:`coverage.network.modes`): :class:`TravelMode` and the default :data:`MODES` walk / ebike / car.

The travel-time engine that runs on these graphs is :class:`coverage.traveltime.TravelTimeEngine`.
"""

from __future__ import annotations

from typing import Any

from coverage.network.modes import (
    MODES,
    NETWORK_TYPES_ATTR,
    OSM_NETWORK_TYPES,
    ROAD_CLASSES,
    TravelMode,
    get_mode,
    network_types_of,
    parse_maxspeed_kph,
    road_class,
)

__all__ = [
    "MODES",
    "NETWORK_TYPES_ATTR",
    "OSM_NETWORK_TYPES",
    "ROAD_CLASSES",
    "TravelMode",
    "download_osm_graph",
    "get_mode",
    "graph_from_graphml",
    "graph_from_osm_file",
    "graph_from_pbf",
    "graph_from_road_layer",
    "load_graph",
    "network_types_of",
    "osm_way_network_types",
    "parse_maxspeed_kph",
    "road_class",
]

_SOURCES = {"download_osm_graph", "graph_from_graphml", "graph_from_osm_file", "graph_from_pbf",
            "graph_from_road_layer", "load_graph", "osm_way_network_types"}


def __getattr__(name: str) -> Any:  # osmnx / pyrosm are imported only when a source is used
    if name in _SOURCES:
        from coverage.network import sources

        return getattr(sources, name)
    raise AttributeError(f"module 'coverage.network' has no attribute '{name}'")
