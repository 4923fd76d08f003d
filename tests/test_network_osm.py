"""OpenStreetMap files keep only road ways, per travel mode as osmnx's network types keep them.

The reference is osmnx itself: ``osmnx.graph_from_xml`` on a copy of the extract that holds only the ways an
Overpass query of that network type returns (the rules below are osmnx's filters written out by hand, so
they check the reader's reading of osmnx's filter text, not repeat it).
"""

from __future__ import annotations

import bz2
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from coverage.errors import FileReadError, NetworkError
from coverage.network import MODES, NETWORK_TYPES_ATTR, graph_from_osm_file, load_graph
from coverage.network.sources import osm_way_network_types
from coverage.traveltime import TravelTimeEngine

OSM = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "osm"
OAKLAND = OSM / "West-Oakland.osm.bz2"
BAVARIA = OSM / "planet_10.068,48.135_10.071,48.137.osm"

# osmnx 2.x network filters (osmnx/_overpass.py), written out as sets of excluded values
_NOT_IN_USE = {"abandoned", "construction", "no", "planned", "platform", "proposed", "raceway", "razed",
               "rest_area", "services"}
_EXCLUDED_HIGHWAY = {
    "drive": _NOT_IN_USE | {"bridleway", "bus_guideway", "corridor", "cycleway", "elevator", "escalator", "footway",
                            "path", "pedestrian", "service", "steps", "track"},
    "walk": _NOT_IN_USE | {"bus_guideway", "cycleway", "motorway", "motorway_link"},
    "bike": _NOT_IN_USE | {"bus_guideway", "corridor", "elevator", "escalator", "footway", "motorway", "motorway_link",
                           "steps"},
}


def osmnx_keeps(tags: dict[str, str], network_type: str) -> bool:
    if "highway" not in tags or tags.get("area") == "yes" or tags.get("access") == "private":
        return False
    if tags["highway"] in _EXCLUDED_HIGHWAY[network_type]:
        return False
    if network_type == "drive":
        return ("no" not in (tags.get("motor_vehicle"), tags.get("motorcar"))
                and tags.get("service") not in {"alley", "driveway", "emergency_access", "parking", "parking_aisle",
                                                "private"})
    if network_type == "walk":
        return (tags.get("foot") != "no" and tags.get("service") != "private"
                and all(tags.get(k) != "separate" for k in ("sidewalk", "sidewalk:both", "sidewalk:left",
                                                             "sidewalk:right")))
    return tags.get("bicycle") != "no" and tags.get("service") != "private"


def overpass_extract(src: Path, network_type: str, dst: Path) -> Path:
    """The ways (and their nodes) of ``src`` an Overpass query for ``network_type`` would return."""
    opener = bz2.open if src.suffix == ".bz2" else open
    with opener(src, "rb") as f:
        root = ET.parse(f).getroot()
    ways = [w for w in root.findall("way")
            if osmnx_keeps({t.get("k"): t.get("v") for t in w.findall("tag")}, network_type)]
    refs = {nd.get("ref") for w in ways for nd in w.findall("nd")}
    out = ET.Element("osm", {"version": "0.6"})
    out.extend(n for n in root.findall("node") if n.get("id") in refs)
    out.extend(ways)
    ET.ElementTree(out).write(dst, encoding="utf-8", xml_declaration=True)
    return dst


def osmnx_graph(src: Path, network_type: str, tmp_path: Path, *, retain_all: bool = True) -> nx.MultiDiGraph:
    path = overpass_extract(src, network_type, tmp_path / f"{network_type}.osm")
    return ox.graph_from_xml(path, bidirectional=network_type == "walk", retain_all=retain_all)


def total_m(G: nx.MultiDiGraph) -> float:
    return float(sum(d["length"] for *_, d in G.edges(data=True)))


@pytest.mark.parametrize("src", [OAKLAND, BAVARIA], ids=["oakland", "bavaria"])
@pytest.mark.parametrize("network_type", ["walk", "bike", "drive"])
def test_network_type_matches_osmnx(src: Path, network_type: str, tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    ours = graph_from_osm_file(src, network_type=network_type)
    ref = osmnx_graph(src, network_type, tmp_path)
    ref.remove_nodes_from(list(nx.isolates(ref)))  # osmnx keeps a node of a clipped one-node way; no road
    assert (len(ours), ours.number_of_edges()) == (len(ref), ref.number_of_edges())
    assert total_m(ours) == pytest.approx(total_m(ref), abs=1e-6)
    assert sorted(ours.edges) == sorted(ref.edges)


def test_oakland_has_no_edge_without_a_highway_tag(tmp_path: Path) -> None:
    raw = ox.graph_from_xml(OAKLAND, retain_all=True)  # osmnx reads every way of the file
    not_roads = [d for *_, d in raw.edges(data=True) if "highway" not in d]
    assert (raw.number_of_edges(), len(not_roads)) == (186, 76)  # buildings, land use, area=yes
    G = load_graph(OAKLAND)
    assert all("highway" in d and d.get("area") != "yes" for *_, d in G.edges(data=True))
    assert all(d.get("access") != "private" for *_, d in G.edges(data=True))
    assert G.graph["rejected_roads"] == [
        {"way": G.graph["rejected_roads"][0]["way"], "column": "highway", "value": "service",
         "message": "not a road for walk/bike/drive in osmnx's filters (access=private)"}]
    # every edge lists the osmnx network types its way belongs to; a footway is for walking only
    types = {d["highway"]: d[NETWORK_TYPES_ATTR] for *_, d in G.edges(data=True) if isinstance(d["highway"], str)}
    assert types["footway"] == "walk" and types["residential"] == "walk,bike,drive"
    assert types["cycleway"] == "bike"


def test_largest_component_against_osmnx(tmp_path: Path) -> None:
    """osmnx's own defaults (largest piece, every way) give the published 47 nodes / 106 edges / 15,737.8 m,
    of which 1,339.9 m are not roads; the reader's largest piece holds roads only."""
    published = ox.graph_from_xml(OAKLAND)
    assert (len(published), published.number_of_edges()) == (47, 106)
    assert total_m(published) == pytest.approx(15737.8, abs=0.1)
    G = graph_from_osm_file(OAKLAND, retain_all=False)
    assert all("highway" in d for *_, d in G.edges(data=True))
    assert total_m(G) < total_m(published) - 1000
    for network_type in ("walk", "drive"):
        ours = graph_from_osm_file(OAKLAND, network_type=network_type, retain_all=False)
        ref = osmnx_graph(OAKLAND, network_type, tmp_path, retain_all=False)
        assert (len(ours), ours.number_of_edges()) == (len(ref), ref.number_of_edges())


def random_points(G: nx.MultiDiGraph, n: int, seed: int) -> gpd.GeoDataFrame:
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(xs.min(), xs.max(), n), rng.uniform(ys.min(), ys.max(), n)
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(n)]}, geometry=gpd.points_from_xy(lon, lat),
                            crs="EPSG:4326")


@pytest.mark.parametrize(("mode", "network_type"), [("walk", "walk"), ("ebike", "bike"), ("car", "drive")])
def test_each_mode_travels_on_its_osmnx_network(mode: str, network_type: str, tmp_path: Path) -> None:
    """One graph read without a mode serves every mode: each sees exactly the roads of its osmnx network type
    (same snapping, same travel times as on osmnx's network of that type)."""
    union = load_graph(OAKLAND)
    ref = osmnx_graph(OAKLAND, network_type, tmp_path)
    a, b = random_points(union, 25, seed=1), random_points(union, 25, seed=2)
    got = TravelTimeEngine(union, mode=mode).od(a, b, cutoff_min=None)
    want = TravelTimeEngine(ref, mode=mode).od(a, b, cutoff_min=None)
    merged = got.merge(want, on=["from_id", "to_id"], how="outer", suffixes=("", "_ref"))
    assert len(merged) == len(got) == len(want) > 0
    # within milliseconds: the lengths are summed in other pieces
    np.testing.assert_allclose(merged["travel_time_min"], merged["travel_time_min_ref"], atol=1e-5)


def test_car_does_not_use_footways_or_parking_aisles() -> None:
    G = load_graph(OAKLAND)
    car = TravelTimeEngine(G, mode="car").segments()
    walk = TravelTimeEngine(G, mode="walk").segments()
    assert len(car) < len(walk)
    drivable = sum(1 for *_, d in G.edges(data=True) if "drive" in d[NETWORK_TYPES_ATTR].split(","))
    assert drivable < G.number_of_edges()


def test_way_filter_examples() -> None:
    assert osm_way_network_types({"highway": "residential"}) == ["walk", "bike", "drive"]
    assert osm_way_network_types({"highway": "footway"}) == ["walk"]
    assert osm_way_network_types({"highway": "motorway"}) == ["drive"]
    assert osm_way_network_types({"highway": "service", "service": "parking_aisle"}) == ["walk", "bike"]
    assert osm_way_network_types({"highway": "residential", "access": "private"}) == []
    assert osm_way_network_types({"highway": "pedestrian", "area": "yes"}) == []
    assert osm_way_network_types({"building": "yes"}) == []
    assert osm_way_network_types({"highway": "track", "foot": "no", "bicycle": "no"}) == []
    assert MODES["car"].uses_network("walk,bike,drive") and not MODES["car"].uses_network("walk,bike")
    assert MODES["walk"].uses_network(["walk", "walk,bike"]) and MODES["walk"].uses_network(None)


def test_files_without_roads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    head = '<?xml version="1.0"?><osm version="0.6">'
    nodes = '<node id="1" lat="24.30" lon="102.50"/><node id="2" lat="24.31" lon="102.50"/>' \
            '<node id="3" lat="24.31" lon="102.51"/>'
    cases = {
        "empty.osm": ("", FileReadError, "the file is empty"),
        "cut.osm": (head + nodes + '<way id="9"><nd ref="1"/>', FileReadError,
                    "cannot read it as an OpenStreetMap XML file"),
        "nodes_only.osm": (head + nodes + "</osm>", NetworkError, "has 3 nodes but no ways"),
        "buildings.osm": (head + nodes + '<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>'
                          '<tag k="building" v="yes"/></way></osm>', NetworkError,
                          r"none of the 1 ways is a road .*1 without a 'highway' tag"),
        "private.osm": (head + nodes + '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="service"/>'
                        '<tag k="access" v="private"/></way></osm>', NetworkError, "1 roads excluded: private"),
    }
    for name, (text, error, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(error, match=message) as info:
            load_graph(tmp_path / name)
        assert name in str(info.value)
    # a clipped extract: a road whose middle node is missing is cut there, not an error
    (tmp_path / "clipped.osm").write_text(
        head + nodes + '<node id="4" lat="24.32" lon="102.51"/><way id="9"><nd ref="1"/><nd ref="2"/><nd ref="7"/>'
        '<nd ref="3"/><nd ref="4"/><nd ref="8"/><nd ref="1"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        '</osm>', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="coverage.network.sources"):
        G = load_graph(tmp_path / "clipped.osm", simplify=False)
    assert "2 node references of road ways are not in the file" in caplog.text
    assert sorted(G.edges()) == [(1, 2), (1, 3), (2, 1), (3, 1), (3, 4), (4, 3)]
    assert {d["osmid"] for *_, d in G.edges(data=True)} == {9}


def test_download_keeps_each_modes_roads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A download of network type "all" (private roads included) is filtered and annotated like a file."""
    served_with: list[dict[str, object]] = []

    def served(bbox: tuple[float, ...], **kwargs: object) -> nx.MultiDiGraph:  # what Overpass returns for "all"
        served_with.append(kwargs)
        raw = ox.graph_from_xml(OAKLAND, simplify=False, retain_all=True)
        raw.remove_edges_from([(u, v, k) for u, v, k, d in raw.edges(keys=True, data=True) if "highway" not in d])
        raw.remove_nodes_from(list(nx.isolates(raw)))
        return raw

    monkeypatch.setattr(ox, "graph_from_bbox", served)
    from coverage.network import download_osm_graph

    G = download_osm_graph(bbox=(-122.31, 37.80, -122.29, 37.82), cache_dir=tmp_path)
    assert served_with == [{"network_type": "all", "retain_all": True, "simplify": False}]
    assert all(d.get("access") != "private" for *_, d in G.edges(data=True))
    assert sorted(G.edges) == sorted(load_graph(OAKLAND).edges)
    cached = download_osm_graph(bbox=(-122.31, 37.80, -122.29, 37.82), cache_dir=tmp_path)
    a, b = random_points(G, 10, seed=3), random_points(G, 10, seed=4)
    pd_a = TravelTimeEngine(cached, mode="car").od(a, b, cutoff_min=None)
    pd_b = TravelTimeEngine(load_graph(OAKLAND), mode="car").od(a, b, cutoff_min=None)
    np.testing.assert_allclose(pd_a["travel_time_min"], pd_b["travel_time_min"], atol=1e-9)
    assert "access" in ox.settings.useful_tags_way and "foot" not in ox.settings.useful_tags_way  # restored
