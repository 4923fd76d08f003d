"""One entry for every road-network source: a graph, a demo region, an OSM place name or a file."""

from __future__ import annotations

from typing import Any

import networkx as nx

from coverage.errors import FileReadError
from coverage.network.sources.common import _existing
from coverage.network.sources.graphml import graph_from_graphml
from coverage.network.sources.osm_download import download_osm_graph
from coverage.network.sources.osm_files import graph_from_osm_file, graph_from_pbf
from coverage.network.sources.road_layer import graph_from_road_layer

LAYER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".zip", ".fgb")
OSM_SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.xml", ".bz2")


def load_graph(source: Any, **options: Any) -> nx.MultiDiGraph:
    """A road graph from whatever names it.

    Parameters
    ----------
    source
        - a ``networkx.MultiDiGraph``: returned as is;
        - ``"demo:yuxi"`` / ``"demo:dali"``: the demo region's network (:mod:`coverage.demo`);
        - ``"osm:<place name>"``: download from OpenStreetMap (cached), see :func:`download_osm_graph`;
        - a path: ``.graphml``; ``.osm`` / ``.osm.bz2``; ``.osm.pbf``; ``.gpkg`` / ``.shp`` / ``.geojson``
          road layer; a GeoDataFrame of road lines is taken as a road layer.
    **options
        Passed to the reader (e.g. ``class_column=`` for a road layer, ``cache_dir=`` for a download,
        ``network_type=`` for an OSM file, ``crs=`` for a GraphML file without a ``crs`` attribute).

    Raises
    ------
    FileReadError
        The file does not exist, is empty, cannot be parsed or its kind is unknown.
    CRSError
        A GraphML file or road layer without a coordinate system.
    NetworkError
        The file holds no usable road network (no roads, no edges, only self-loops, bad lengths).
    """
    if isinstance(source, nx.MultiDiGraph):
        return source
    if hasattr(source, "geometry") and hasattr(source, "crs"):
        return graph_from_road_layer(source, **options)
    text = str(source)
    if text.startswith("demo:"):
        from coverage.demo import load_demo

        G = load_demo(text.split(":", 1)[1].strip()).graph()
        return G
    if text.startswith("osm:"):
        return download_osm_graph(place=text.split(":", 1)[1].strip(), **options)
    path = _existing(source)
    lower = path.name.lower()
    if lower.endswith(".graphml"):
        return graph_from_graphml(path, crs=options.get("crs"))
    if lower.endswith(".pbf"):
        return graph_from_pbf(path, **options)
    if lower.endswith(OSM_SUFFIXES):
        return graph_from_osm_file(path, **options)
    if lower.endswith(LAYER_SUFFIXES):
        return graph_from_road_layer(path, **options)
    raise FileReadError(f"{path}: unknown kind of road network file; use .graphml, .osm, .osm.bz2, .osm.pbf, "
                        f".gpkg, .shp or .geojson")
