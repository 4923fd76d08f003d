"""A road network from a road-lines layer (GeoPackage / Shapefile / GeoJSON) with a road-class column."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from coverage.errors import CRSError, FileReadError, MissingColumnError, NetworkError, UnknownCategoryError
from coverage.network.modes import ROAD_CLASSES, road_class
from coverage.network.sources.common import _REVERSE, _TRUE, _check_graph, _existing, _not_empty

logger = logging.getLogger(__name__)

#: Column names a road layer may use for its road class, tried in this order (case-insensitive).
CLASS_COLUMNS = ("road_class", "class", "highway", "fclass", "道路等级", "等级", "公路等级", "技术等级",
                 "行政等级", "道路类型", "类型", "type", "kind", "rclass", "grade")
ONEWAY_COLUMNS = ("oneway", "单行", "单向", "是否单行", "单行线")
MAXSPEED_COLUMNS = ("maxspeed", "speed_kph", "限速", "设计速度", "speed")


def _find_column(columns: Sequence[str], wanted: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for name in wanted:
        if name.lower() in lower:
            return str(lower[name.lower()])
    return None


def graph_from_road_layer(source: Any, *, class_column: str | None = None, oneway_column: str | None = None,
                          maxspeed_column: str | None = None, layer: str | None = None,
                          node_intersections: bool = True, tolerance_m: float = 0.5,
                          strict: bool = False, offset: str | None = None) -> nx.MultiDiGraph:
    """Build a road graph from a road-lines layer with a road-class column.

    Parameters
    ----------
    source
        A GeoPackage / Shapefile / GeoJSON path, or a GeoDataFrame of (Multi)LineStrings with a CRS.
    class_column
        Column holding the road class (国道/省道/县道/乡道/村道, 高速公路, 城市道路..., an OSM class such as
        ``primary``, or a route number such as G213 / X105).  Default: the first of
        :data:`CLASS_COLUMNS` present.
    oneway_column
        Optional column marking one-way roads (yes/1/是 = in drawing direction, -1 = against it).
    maxspeed_column
        Optional column of speed limits (km/h).
    layer
        Layer inside a multi-layer file (GeoPackage), e.g. "roads".
    node_intersections
        Split lines where they cross or touch (True), or connect them at shared end points only (False:
        for layers already noded at junctions, where crossings without a junction are bridges).
    tolerance_m
        End points closer than this (metres) are the same node.
    strict
        Raise on an unknown road class instead of leaving those roads out.
    offset
        ``"gcj02"`` or ``"bd09"``: the layer's longitudes/latitudes are GCJ-02 (Amap, Tencent) or BD-09
        (Baidu) although its CRS says WGS-84; they are converted to WGS-84 first.

    Returns
    -------
    networkx.MultiDiGraph
        EPSG:4326; edges carry ``highway`` (OSM class), ``road_class`` (as written in the layer), ``length``
        (metres, geodesic on the WGS-84 ellipsoid as osmnx measures it), ``geometry``, ``oneway``,
        ``maxspeed`` when given.  ``G.graph["rejected_roads"]`` lists the
        roads left out (row, value, reason).

    Raises
    ------
    CRSError
        The layer has no CRS.
    MissingColumnError
        No road-class column.
    UnknownCategoryError
        ``strict=True`` and a road class is unknown (the message lists the known classes).
    NetworkError
        No usable road lines.

    Notes
    -----
    Edge lengths are measured on the WGS-84 ellipsoid (:class:`pyproj.Geod`, vertex to vertex), like osmnx
    and the demo networks, not in the UTM zone used for noding (up to 0.1 % too long far from the zone's
    central meridian).  A length column of the layer itself is not used: its unit and the projection it was
    measured in are rarely documented, and it belongs to the whole line, not to the pieces the line is
    split into at junctions.
    """
    import geopandas as gpd

    layer_name = layer
    roads: gpd.GeoDataFrame
    if isinstance(source, gpd.GeoDataFrame):
        name = "road layer"
        roads = source
    else:
        path = _existing(source)
        _not_empty(path)
        kwargs: dict[str, Any] = {"layer": layer_name} if layer_name else {}
        encoding = _shapefile_encoding(path)
        if encoding:
            kwargs["encoding"] = encoding
        try:
            roads = gpd.read_file(path, **kwargs)
        except Exception as exc:  # pyogrio DataSourceError / DataLayerError, fiona errors, zip errors
            raise FileReadError(f"{path}: cannot read it as a GIS layer ({type(exc).__name__}: {exc}); a road "
                                "layer is a GeoPackage, Shapefile (.shp with its .shx/.dbf/.prj, or a .zip of "
                                "them) or GeoJSON of lines") from exc
        name = path.name if not layer_name else f"{path.name} (layer {layer_name})"
        if not isinstance(roads, gpd.GeoDataFrame) or roads.geometry.name not in roads.columns:
            raise FileReadError(f"{name}: the file holds a table without geometries, not a road layer")
    if len(roads) == 0:
        raise NetworkError(f"{name}: the road layer has no features (0 roads); nothing to build a network from"
                           " / 道路图层为空")
    if roads.crs is None:
        raise CRSError(f"{name}: the road layer has no coordinate reference system (a Shapefile without its .prj?); "
                       "set it, e.g. gdf.set_crs('EPSG:4490') for CGCS2000 or 'EPSG:4326' for WGS-84")
    col = class_column or _find_column(list(roads.columns), CLASS_COLUMNS)
    if col is None or col not in roads.columns:
        raise MissingColumnError(
            f"{name}: no road-class column{f' {class_column!r}' if class_column else ''}; columns are "
            f"{[c for c in roads.columns if c != roads.geometry.name]}. Name it with class_column=... "
            f"(values such as 国道, 县道, 村道, primary)")
    _check_line_geometries(roads, name)
    ow_col = oneway_column or _find_column(list(roads.columns), ONEWAY_COLUMNS)
    ms_col = maxspeed_column or _find_column(list(roads.columns), MAXSPEED_COLUMNS)
    roads = roads.reset_index(drop=True)
    roads["_row"] = np.arange(len(roads)) + (2 if name.lower().endswith((".csv", ".xlsx")) else 1)

    # road classes: map each distinct value once, collect the unknown ones
    rejected: list[dict[str, Any]] = []
    classes: dict[Any, str | None] = {}
    for value in pd.unique(roads[col]):
        if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
            classes[value] = None
            continue
        try:
            classes[value] = road_class(value)
        except UnknownCategoryError as exc:
            if strict:
                rows = roads.loc[roads[col] == value, "_row"].tolist()[:5]
                raise UnknownCategoryError(f"{name}: rows {rows}, column '{col}': {exc}") from exc
            classes[value] = None
    osm_class = roads[col].map(lambda v: classes.get(v))
    bad = osm_class.isna()
    if bad.all():
        values = sorted({str(v) for v in roads[col] if classes.get(v) is None and str(v).strip() not in ("", "nan",
                                                                                                       "None")})
        known = "、".join(t.zh for t in ROAD_CLASSES.values())
        what = (f"values {', '.join(values[:8])}{' ...' if len(values) > 8 else ''}" if values
                else "the column is empty")
        raise NetworkError(
            f"{name}: none of the {len(roads)} roads has a known road class in column '{col}' ({what}). Known "
            f"classes: {known} (or OSM classes such as primary, track; or route numbers G213, X105). Fill the "
            "column, or name the right one with class_column=... / 道路等级列没有可识别的等级")
    if bad.any():
        bad_values = sorted({str(v) for v in roads.loc[bad, col]})
        known = "、".join(t.zh for t in ROAD_CLASSES.values())
        logger.warning("%s: %d roads with an unknown or empty class in column '%s' were left out (%s). Known "
                       "classes: %s (or OSM classes such as primary, track; or route numbers G213, X105)",
                       name, int(bad.sum()), col, ", ".join(bad_values[:10]), known)
        for row, value in zip(roads.loc[bad, "_row"], roads.loc[bad, col], strict=True):
            rejected.append({"row": int(row), "column": col, "value": value,
                             "message": f"unknown road class '{value}'; known: {known}"})
    roads = roads.assign(_highway=osm_class)[~bad]
    if offset is not None:
        from coverage.inputs import crs as chinese

        convert = {"gcj02": chinese.gcj02_to_wgs84, "bd09": chinese.bd09_to_wgs84}.get(str(offset).lower())
        if convert is None:
            raise ValueError(f"offset must be 'gcj02' or 'bd09', not {offset!r}")
        roads = roads.to_crs("EPSG:4326")
        roads = roads.set_geometry(shapely.transform(
            roads.geometry.to_numpy(), lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))), crs="EPSG:4326")
    no_line = roads.geometry.isna() | roads.geometry.is_empty | ~roads.geom_type.isin(["LineString", "MultiLineString"])
    if no_line.any():
        kinds = roads.loc[no_line].geometry.apply(lambda g: "empty" if g is None or g.is_empty else g.geom_type)
        logger.warning("%s: %d features are not lines (%s) and were left out", name, int(no_line.sum()),
                       ", ".join(f"{k} {n}" for k, n in kinds.value_counts().items()))
        for row, kind in zip(roads.loc[no_line, "_row"], kinds, strict=True):
            rejected.append({"row": int(row), "column": "geometry", "value": kind,
                             "message": f"{kind} geometry, not a road line"})
    roads = roads[~no_line]
    roads = roads.explode(index_parts=False)
    roads = roads[roads.geom_type == "LineString"]
    if roads.empty:
        raise NetworkError(f"{name}: no road lines with a known class; nothing to build a network from")

    # work in metres
    lonlat = roads.to_crs("EPSG:4326")
    c = lonlat.geometry.union_all().centroid if len(lonlat) < 50_000 else lonlat.geometry.iloc[0].centroid
    from coverage.crs import metric_crs_for

    metric = metric_crs_for(np.array([c.x]), np.array([c.y]))
    lines = roads.to_crs(metric)
    geoms = lines.geometry.to_numpy()
    if node_intersections:
        noded = shapely.get_parts(shapely.union_all(geoms))
        noded = noded[shapely.get_type_id(noded) == 1]
        tree = shapely.STRtree(geoms)
        mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        src = tree.query_nearest(mid, all_matches=False)
        owner = np.empty(len(noded), dtype=np.int64)
        owner[src[0]] = src[1]
    else:
        noded = geoms
        owner = np.arange(len(geoms))
    orig = geoms[owner]
    start_at = shapely.line_locate_point(orig, shapely.get_point(noded, 0))
    end_at = shapely.line_locate_point(orig, shapely.get_point(noded, -1))
    flipped = start_at > end_at  # piece drawn against its road's direction
    noded = np.where(flipped, shapely.reverse(noded), noded)
    noded, owner = _split_closed_lines(noded, owner, tolerance_m)

    starts = shapely.get_coordinates(shapely.get_point(noded, 0))
    ends = shapely.get_coordinates(shapely.get_point(noded, -1))
    ends_all = np.vstack([starts, ends])
    keys = np.round(ends_all / tolerance_m).astype(np.int64)
    uniq, node_of = np.unique(keys, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    node_xy_m = np.zeros((len(uniq), 2))
    node_xy_m[node_of] = ends_all
    to_ll = pyproj.Transformer.from_crs(metric, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(node_xy_m[:, 0], node_xy_m[:, 1])
    u = node_of[: len(noded)]
    v = node_of[len(noded):]
    coords, part = shapely.get_coordinates(noded, return_index=True)
    cx, cy = (np.asarray(a, dtype=float) for a in to_ll.transform(coords[:, 0], coords[:, 1]))
    geoms_ll = shapely.linestrings(np.column_stack([cx, cy]), indices=part)
    length_m = geodesic_lengths_m(cx, cy, part, len(noded))

    attrs = lines.iloc[owner]
    hw = attrs["_highway"].to_numpy()
    rc = attrs[col].to_numpy()
    rows = attrs["_row"].to_numpy()
    ow = attrs[ow_col].astype(str).str.strip().str.lower().to_numpy() if ow_col else np.full(len(noded), "")
    ms = attrs[ms_col].to_numpy() if ms_col else np.full(len(noded), None)
    G = nx.MultiDiGraph(crs="EPSG:4326", source=f"road layer {name}", rejected_roads=rejected)
    G.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
    for k in range(len(noded)):
        if u[k] == v[k] or length_m[k] <= 0:
            continue
        data = {"highway": hw[k], "road_class": rc[k], "length": float(length_m[k]), "layer_row": int(rows[k]),
                "oneway": ow[k] in _TRUE or ow[k] in _REVERSE}
        if ms_col and ms[k] is not None and not (isinstance(ms[k], float) and math.isnan(ms[k])):
            data["maxspeed"] = ms[k]
        g = geoms_ll[k]
        if ow[k] in _REVERSE:
            G.add_edge(int(v[k]), int(u[k]), **data, geometry=shapely.reverse(g), reversed=True)
            continue
        G.add_edge(int(u[k]), int(v[k]), **data, geometry=g, reversed=False)
        if ow[k] not in _TRUE:
            G.add_edge(int(v[k]), int(u[k]), **data, geometry=shapely.reverse(g), reversed=True)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    _check_graph(G, name)
    logger.info("%s: %d road lines -> %d nodes, %d edges (%d roads left out)", name, len(roads), len(G),
                G.number_of_edges(), len(rejected))
    return G


def _check_line_geometries(layer: Any, name: str) -> None:
    """Raise :class:`NetworkError` when a layer holds no line at all (points, polygons, empty geometries)."""
    kinds = layer.geom_type.dropna()
    if kinds.isin(["LineString", "MultiLineString"]).any():
        return
    found = ", ".join(f"{k} {n}" for k, n in kinds.value_counts().items()) or "only empty geometries"
    raise NetworkError(f"{name}: the layer holds no lines ({found}); a road network needs (Multi)LineString roads. "
                       "Is this the points or the boundary layer? Choose the roads layer / 该图层不是线状道路图层")


def _split_closed_lines(noded: npt.NDArray[Any], owner: npt.NDArray[np.int64],
                        tolerance_m: float) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Split every closed piece (a loop road meeting the network at one point) in two halves, so that its two
    ends are different nodes; lines in metres."""
    gap = shapely.distance(shapely.get_point(noded, 0), shapely.get_point(noded, -1))
    length = shapely.length(noded)
    closed = np.flatnonzero((gap <= tolerance_m) & (length > 4 * tolerance_m))
    if len(closed) == 0:
        return noded, owner
    from shapely.ops import substring

    halves = [substring(noded[i], start, end, normalized=True) for i in closed for start, end in ((0, .5), (.5, 1))]
    keep = np.ones(len(noded), dtype=bool)
    keep[closed] = False
    logger.info("%d closed loop roads split in two so that they can be routed on", len(closed))
    return (np.concatenate([noded[keep], np.array(halves, dtype=object)]),
            np.concatenate([owner[keep], np.repeat(owner[closed], 2)]))


def _shapefile_encoding(path: Path) -> str | None:
    """Encoding of a Shapefile's .dbf (also inside a .zip) that has no .cpg: UTF-8 when a sample of its field
    names and first records decodes as UTF-8, else GB18030 (GBK, as Chinese GIS software writes it).
    None when there is a .cpg (GDAL reads it) or no .dbf."""
    import zipfile

    lower = path.name.lower()
    if lower.endswith(".shp"):
        if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
            return None
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        if dbf is None:
            return None
        with open(dbf, "rb") as f:
            return _dbf_sample_encoding(f)
    if lower.endswith(".zip") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            for member in names:
                if member.endswith(".shp"):
                    stem = member[:-4]
                    if stem + ".cpg" in names or stem + ".dbf" not in names:
                        return None
                    with zf.open(names[stem + ".dbf"]) as f:
                        return _dbf_sample_encoding(f)
    return None


#: How many bytes of .dbf records are read to guess their encoding.
DBF_SAMPLE_BYTES = 1 << 20


def _dbf_sample_encoding(f: Any) -> str:
    """UTF-8 or GB18030 for an open .dbf: decodes the field names and whole records within the first
    :data:`DBF_SAMPLE_BYTES` (never the whole file; the binary parts of the header are skipped)."""
    head = f.read(32)
    if len(head) < 32:
        return "utf-8"
    header_len = int.from_bytes(head[8:10], "little")
    record_len = max(1, int.from_bytes(head[10:12], "little"))
    descriptors = f.read(max(0, header_len - 32))
    names = b"".join(descriptors[i:i + 11].split(b"\x00", 1)[0]
                     for i in range(0, len(descriptors) - 31, 32) if descriptors[i:i + 1] != b"\r")
    records = f.read(max(record_len, DBF_SAMPLE_BYTES // record_len * record_len))
    records = records[: len(records) // record_len * record_len]
    for encoding in ("utf-8", "gb18030"):
        try:
            (names + records).decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "gb18030"  # undecodable bytes either way: GBK is what Chinese GIS software writes


def geodesic_lengths_m(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], part: npt.NDArray[np.int64],
                       n_lines: int) -> npt.NDArray[np.float64]:
    """Lengths (metres) of lines on the WGS-84 ellipsoid, as osmnx measures edges.

    Parameters
    ----------
    lon, lat
        Vertex longitudes and latitudes (degrees) of all lines, one line after the other.
    part
        Line index of each vertex (non-decreasing, as :func:`shapely.get_coordinates` returns it).
    n_lines
        Number of lines (lines without vertices get 0).

    Returns
    -------
    numpy.ndarray
        Sum of the geodesic distances between consecutive vertices of each line, metres.
    """
    same = part[1:] == part[:-1]
    _, _, step_m = pyproj.Geod(ellps="WGS84").inv(lon[:-1][same], lat[:-1][same], lon[1:][same], lat[1:][same])
    return np.bincount(part[1:][same], weights=np.asarray(step_m, dtype=float), minlength=n_lines).astype(
        np.float64, copy=False)
