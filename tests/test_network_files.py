"""Road-network files of every kind, broken ones included: a clear project error naming the file, or a network
that routes correctly.  The files are made by tests/data/bad/roads/make_bad_roads.py and listed in its MANIFEST.csv."""

from __future__ import annotations

import csv
import io
import itertools
import logging
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from coverage import errors
from coverage.errors import CRSError, NetworkError
from coverage.network import graph_from_road_layer, load_graph
from coverage.traveltime import TravelTimeEngine

ROADS = Path(__file__).resolve().parent / "data" / "bad" / "roads"
OSM = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "osm"
with open(ROADS / "MANIFEST.csv", encoding="utf-8") as _f:
    MANIFEST = list(csv.DictReader(_f))
LON, LAT, STEP = 102.50, 24.30, 0.002
GEOD = pyproj.Geod(ellps="WGS84")
WALK_M_PER_MIN = 3600.0 / 60.0


def pts(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    lon = [LON + STEP * x for x, _ in xy]
    lat = [LAT + STEP * y for _, y in xy]
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(xy))]}, geometry=gpd.points_from_xy(lon, lat),
                            crs="EPSG:4326")


def step_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(LON + STEP * a[0], LAT + STEP * a[1], LON + STEP * b[0], LAT + STEP * b[1])[2])


def test_manifest_lists_every_file() -> None:
    listed = {row["file"] for row in MANIFEST}
    main_files = {p.name for p in ROADS.iterdir() if p.suffix in (".graphml", ".osm", ".geojson", ".gpkg", ".shp")}
    assert listed == main_files and len(listed) >= 30
    assert {row["expected_error"] for row in MANIFEST} <= {"ok", "FileReadError", "NetworkError", "CRSError",
                                                           "MissingColumnError"}


@pytest.mark.parametrize("row", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_every_road_file(row: dict[str, str]) -> None:
    path = ROADS / row["file"]
    if row["expected_error"] == "ok":
        G = load_graph(path)
        assert G.graph["crs"] == "EPSG:4326" and nx.number_of_selfloops(G) == 0
        engine = TravelTimeEngine(G, mode="walk")
        times = engine.od(pts((0, 0)), pts((1, 0), (2, 2)), cutoff_min=None)
        assert times["travel_time_min"].notna().any()
        return
    error = getattr(errors, row["expected_error"])
    with pytest.raises(error, match=re.escape(row["file"])):
        load_graph(path)


# ---------------------------------------------------------------- edge lengths
def test_bad_lengths_name_the_edge_and_file() -> None:
    with pytest.raises(NetworkError, match=r"negative_length.graphml: 1 road edge\(s\) have a negative, infinite or "
                                           r"non-numeric length, e.g. edge \(0, 1\) length -150.0"):
        load_graph(ROADS / "negative_length.graphml")
    with pytest.raises(NetworkError, match=r"edge \(0, 1\) length 'about 200 m'"):
        load_graph(ROADS / "text_length.graphml")
    with pytest.raises(NetworkError, match=r"edge \(0, 1\) length inf"):
        load_graph(ROADS / "inf_length.graphml")


def line_graph(lengths_m: list[float]) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", source="test network")
    for i in range(len(lengths_m) + 1):
        G.add_node(i, x=100.0 + 0.01 * i, y=0.0)
    for i, length in enumerate(lengths_m):
        G.add_edge(i, i + 1, length=length, highway="residential")
        G.add_edge(i + 1, i, length=length, highway="residential")
    return G


def test_engine_rejects_negative_and_infinite_lengths_of_a_graph_in_memory() -> None:
    """A negative edge used to give a shorter time that looked right (25 min instead of 41.7 min here)."""
    with pytest.raises(NetworkError, match=r"test network: 2 road edge\(s\).* edge \(1, 2\) length -500"):
        TravelTimeEngine(line_graph([1000.0, -500.0, 1000.0]), mode="walk")
    with pytest.raises(NetworkError, match=r"edge \(0, 1\) length inf"):
        TravelTimeEngine(line_graph([np.inf, 1000.0]), mode="walk")
    G = line_graph([1000.0, 1000.0])
    nodes = pd.DataFrame({"x": [d["x"] for _, d in G.nodes(data=True)], "y": [0.0] * 3}, index=list(G.nodes))
    edges = pd.DataFrame({"u": [0, 1], "v": [1, 2], "length": [1000.0, -1.0], "highway": ["residential"] * 2})
    with pytest.raises(NetworkError, match=r"edge \(1, 2\) length -1.0"):
        TravelTimeEngine.from_gdfs(nodes, edges, crs="EPSG:4326")
    del G.edges[0, 1, 0]["length"]  # an absent length is measured on the geometry, as before
    assert TravelTimeEngine(G, mode="walk").n_edges == 4


def test_zero_length_edges_are_kept_and_cost_nothing() -> None:
    G = load_graph(ROADS / "zero_length.graphml")
    assert G.number_of_edges(22, 99) == 1 and G.edges[22, 99, 0]["length"] == 0.0
    engine = TravelTimeEngine(G, mode="walk")
    t = engine.od(pts((0, 0)), pts((2, 2)), cutoff_min=None)["travel_time_min"].to_numpy()
    path_m = nx.shortest_path_length(G, 0, 22, weight="length")  # 0 -> 99 is the same: the last 0 m are free
    assert path_m == nx.shortest_path_length(G, 0, 99, weight="length")
    assert t == pytest.approx([path_m / WALK_M_PER_MIN], rel=1e-9)
    back = engine.od(pts((2, 2)), pts((0, 0)), cutoff_min=None)["travel_time_min"].to_numpy()
    assert back == pytest.approx(t, rel=1e-9)


def test_self_loops_only() -> None:
    with pytest.raises(NetworkError, match="all 3 edges are self-loops"):
        load_graph(ROADS / "self_loops_only.graphml")


# ---------------------------------------------------------------- loop roads
@pytest.mark.parametrize(("name", "half_loop"), [
    ("ring_at_junction.graphml", [(2, 2), (3, 2), (3, 3)]),
    ("ring_at_junction.osm", [(1, 0), (2, 0), (2, 1)]),
    ("ring_layer.geojson", [(2, 0), (3, 0), (3, 1)]),
])
def test_loop_road_at_one_junction_is_routable(name: str, half_loop: list[tuple[int, int]]) -> None:
    """A point at the far side of a loop road is on the road (no access walk) and reaches the junction along
    half of the loop; before, the loop was dropped and the point walked straight to another road."""
    G = load_graph(ROADS / name)
    assert nx.number_of_selfloops(G) == 0
    got = TravelTimeEngine(G, mode="walk").nearest(pts(half_loop[-1]), pts(half_loop[0]))
    assert got["access_distance_m"].iloc[0] < 0.5
    half_m = sum(step_m(a, b) for a, b in itertools.pairwise(half_loop))
    assert got["travel_time_min"].iloc[0] == pytest.approx(half_m / WALK_M_PER_MIN, rel=2e-3)


# ---------------------------------------------------------------- GraphML and CRS
def test_graphml_without_crs(tmp_path: Path) -> None:
    with pytest.raises(CRSError, match=r"no_crs.graphml: the graph has no 'crs' attribute.*crs='EPSG:4326'"):
        load_graph(ROADS / "no_crs.graphml")
    G = load_graph(ROADS / "no_crs.graphml", crs="EPSG:4326")
    H = load_graph(ROADS / "networkx_typed.graphml")
    assert sorted(G.edges) == sorted(H.edges) and G.graph["crs"] == "EPSG:4326"
    assert G.edges[0, 1, 0]["length"] == H.edges[0, 1, 0]["length"] > 200
    with pytest.raises(CRSError, match="says its crs is 'EPSG:4326' but crs='EPSG:4490' was given"):
        load_graph(ROADS / "networkx_typed.graphml", crs="EPSG:4490")
    with pytest.raises(CRSError, match="'EPSG:99999' is not a coordinate reference system"):
        load_graph(ROADS / "no_crs.graphml", crs="EPSG:99999")
    with pytest.raises(NetworkError, match=r"short.graphml: the road network has no edges \(1 nodes\)"):
        load_graph(OSM / "short.graphml")  # one node and no crs: the missing edges are the first problem
    with pytest.raises(NetworkError, match=r"short.graphml: the road network has no edges \(1 nodes\)"):
        load_graph(OSM / "short.graphml", crs="EPSG:4326")


def test_projected_graphml_comes_back_in_degrees() -> None:
    G = load_graph(ROADS / "projected_utm48n.graphml")
    H = load_graph(ROADS / "networkx_typed.graphml")
    assert G.graph["crs"] == "EPSG:4326"
    for n in H.nodes:
        assert (G.nodes[n]["x"], G.nodes[n]["y"]) == pytest.approx((H.nodes[n]["x"], H.nodes[n]["y"]), abs=1e-7)
    assert G.edges[0, 1, 0]["length"] == pytest.approx(H.edges[0, 1, 0]["length"], rel=1e-9)


def test_graphml_of_an_unfiltered_osm_graph_drops_non_roads(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    import osmnx as ox

    raw = ox.graph_from_xml(OSM / "West-Oakland.osm.bz2", retain_all=True)
    ox.save_graphml(raw, tmp_path / "raw.graphml")
    with caplog.at_level(logging.WARNING, logger="coverage.network.sources"):
        G = load_graph(tmp_path / "raw.graphml")
    assert "76 of 186 edges are not roads" in caplog.text
    assert G.number_of_edges() == 110 and all("highway" in d for *_, d in G.edges(data=True))


# ---------------------------------------------------------------- road layers
def test_gbk_shapefile_without_cpg_reads_chinese_classes() -> None:
    G = load_graph(ROADS / "gbk_no_cpg.shp")
    assert {d["road_class"] for *_, d in G.edges(data=True)} == {"国道", "县道", "乡道", "村道"}
    assert {d["highway"] for *_, d in G.edges(data=True)} == {"trunk", "secondary", "tertiary", "unclassified"}


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        out = super().read(size)
        self.read_bytes += len(out)
        return out


def test_dbf_encoding_is_guessed_from_a_bounded_sample() -> None:
    from coverage.network.sources import DBF_SAMPLE_BYTES, _dbf_sample_encoding

    dbf = (ROADS / "gbk_no_cpg.dbf").read_bytes()
    header_len = int.from_bytes(dbf[8:10], "little")
    record_len = int.from_bytes(dbf[10:12], "little")
    record = dbf[header_len: header_len + record_len]
    big = dbf[:header_len] + record * (3 * DBF_SAMPLE_BYTES // record_len)  # ~3 MB of GBK records
    reader = CountingReader(big)
    assert _dbf_sample_encoding(reader) == "gb18030"
    assert reader.read_bytes <= header_len + DBF_SAMPLE_BYTES < len(big) / 2
    # a field 254 bytes wide (0xFE in the header) does not make a UTF-8 file look like GBK
    ascii_dbf = (ROADS / "no_prj.dbf").read_bytes()  # field names class, name
    ascii_len = int.from_bytes(ascii_dbf[8:10], "little")
    utf8 = bytearray(ascii_dbf[:ascii_len]) + " 国道 滇中路".encode().ljust(int.from_bytes(ascii_dbf[10:12], "little"))
    utf8[32 + 16] = 254
    assert _dbf_sample_encoding(io.BytesIO(bytes(utf8))) == "utf-8"


def test_road_layers_without_lines_or_classes() -> None:
    with pytest.raises(NetworkError, match=r"points.geojson: the layer holds no lines \(Point 2\)"):
        load_graph(ROADS / "points.geojson")
    with pytest.raises(NetworkError, match=r"polygons.gpkg: the layer holds no lines \(Polygon 1\)"):
        load_graph(ROADS / "polygons.gpkg")
    with pytest.raises(NetworkError, match=r"unknown_class.geojson: none of the 4 roads has a known road class in "
                                           r"column '道路等级' \(values \?, 土坎, 大马路, 小马路\). "
                                           r"Known classes: 高速公路"):
        load_graph(ROADS / "unknown_class.geojson")
    with pytest.raises(NetworkError, match=r"empty_class.geojson: .*\(the column is empty\)"):
        load_graph(ROADS / "empty_class.geojson")


def test_mixed_layer_reports_the_features_that_are_not_lines(caplog: pytest.LogCaptureFixture) -> None:
    layer = gpd.GeoDataFrame({"道路等级": ["县道", "县道", "村道"]},
                             geometry=[shapely.LineString([(LON, LAT), (LON + STEP, LAT)]), shapely.Point(LON, LAT),
                                       shapely.LineString([(LON + STEP, LAT), (LON + STEP, LAT + STEP)])],
                             crs="EPSG:4326")
    with caplog.at_level(logging.WARNING, logger="coverage.network.sources"):
        G = graph_from_road_layer(layer)
    assert "1 features are not lines (Point 1) and were left out" in caplog.text
    assert G.graph["rejected_roads"] == [{"row": 2, "column": "geometry", "value": "Point",
                                          "message": "Point geometry, not a road line"}]
    assert G.number_of_edges() == 4
