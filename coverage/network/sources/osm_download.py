"""OpenStreetMap download with osmnx (place, polygon or bounding box), cached to disk as GraphML."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import networkx as nx
import shapely

from coverage.errors import CRSError, DownloadError
from coverage.network.modes import OSM_NETWORK_TYPES
from coverage.network.sources.common import _check_graph
from coverage.network.sources.graphml import graph_from_graphml
from coverage.network.sources.osm_filters import _osm_way_filter, _with_network_types

logger = logging.getLogger(__name__)

#: Where downloaded networks are cached (GraphML), unless ``cache_dir`` is given.
DEFAULT_CACHE_DIR = Path(os.environ.get("COVERAGE_CACHE_DIR", Path.home() / ".cache" / "coverage" / "osm"))


def download_osm_graph(*, place: str | None = None, polygon: Any = None,
                       bbox: tuple[float, float, float, float] | None = None, network_type: str = "all",
                       cache_dir: str | os.PathLike[str] | None = None, timeout_s: float = 10.0,
                       refresh: bool = False) -> nx.MultiDiGraph:
    """Download an OpenStreetMap road network with osmnx, cached to disk as GraphML.

    Give exactly one of ``place``, ``polygon`` or ``bbox``.

    Parameters
    ----------
    place
        A place name osmnx can geocode (Nominatim), e.g. ``"Hongta District, Yuxi, Yunnan, China"``.
    polygon
        A shapely (Multi)Polygon in WGS-84, or a GeoDataFrame / GeoSeries (any CRS) whose union is used,
        e.g. a county boundary.
    bbox
        ``(west, south, east, north)`` in degrees (WGS-84).
    network_type
        osmnx network type; ``"all"`` (default) serves every travel mode from one download.
    cache_dir
        Folder of cached GraphML files (default ``~/.cache/coverage/osm`` or ``$COVERAGE_CACHE_DIR``).
    timeout_s
        Network timeout (seconds).  The Overpass rate-limit check (which waits up to 60 s offline) is off.
    refresh
        Download again even if a cached copy exists.

    Returns
    -------
    networkx.MultiDiGraph
        The road graph (EPSG:4326).

    Raises
    ------
    DownloadError
        OpenStreetMap could not be reached (offline, blocked, timed out) or returned nothing.
    ValueError
        Not exactly one of place / polygon / bbox.

    Example
    -------
    >>> G = download_osm_graph(bbox=(102.52, 24.33, 102.57, 24.37))  # doctest: +SKIP
    """
    given = [x is not None for x in (place, polygon, bbox)]
    if sum(given) != 1:
        raise ValueError("give exactly one of place=, polygon= or bbox= to download an OpenStreetMap network")
    if polygon is not None and hasattr(polygon, "geometry"):
        if polygon.crs is None:
            raise CRSError("the polygon layer has no CRS; set it before downloading roads inside it")
        polygon = shapely.union_all(polygon.to_crs("EPSG:4326").geometry.to_numpy())
    query: dict[str, Any] = {"network_type": network_type}
    if place is not None:
        query["place"] = place
    elif polygon is not None:
        query["polygon"] = shapely.to_wkt(polygon, rounding_precision=6)
    else:
        west, south, east, north = (float(v) for v in bbox)  # type: ignore[union-attr]
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError(f"bbox must be (west, south, east, north) in degrees, got {bbox}")
        query["bbox"] = [west, south, east, north]
    key = hashlib.sha1(json.dumps(query, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    path = folder / f"osm_{network_type}_{key}.graphml"
    if path.exists() and not refresh:
        logger.info("OpenStreetMap network from cache %s", path)
        G = graph_from_graphml(path)
        G.graph["source"] = f"OpenStreetMap (cached {path.name})"
        return G

    import osmnx as ox

    saved = {name: getattr(ox.settings, name) for name in ("overpass_rate_limit", "requests_timeout", "use_cache",
                                                           "useful_tags_way")}
    access = str(ox.settings.default_access)
    filter_keys = sorted({key for t in OSM_NETWORK_TYPES for key, _, _ in _osm_way_filter(t, access)})
    started = time.monotonic()
    what = place or ("polygon" if polygon is not None else f"bbox {query.get('bbox')}")
    try:
        ox.settings.overpass_rate_limit = False
        ox.settings.requests_timeout = timeout_s
        ox.settings.use_cache = False
        ox.settings.useful_tags_way = sorted({*ox.settings.useful_tags_way, *filter_keys})  # for the mode filters
        if place is not None:
            G = ox.graph_from_place(place, network_type=network_type, retain_all=True, simplify=False)
        elif polygon is not None:
            G = ox.graph_from_polygon(polygon, network_type=network_type, retain_all=True, simplify=False)
        else:
            G = ox.graph_from_bbox(tuple(query["bbox"]), network_type=network_type, retain_all=True, simplify=False)
    except Exception as exc:  # requests errors, osmnx InsufficientResponseError, geocoding failures
        elapsed = time.monotonic() - started
        msg = (f"could not download the OpenStreetMap road network for {what} ({type(exc).__name__} after "
               f"{elapsed:.1f} s: {exc}). Are you offline? Use a local network instead: a .osm/.osm.pbf file, a "
               "GraphML file, a road layer (GeoPackage/Shapefile with a road-class column) or the demo network")
        raise DownloadError(msg) from exc
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)
    G = _with_network_types(G, what)
    _check_graph(G, f"OpenStreetMap download for {what}")
    folder.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(G, path)
    logger.info("downloaded %d nodes, %d edges; cached as %s", len(G), G.number_of_edges(), path)
    G.graph["source"] = f"OpenStreetMap ({what})"
    return G
