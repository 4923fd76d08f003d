"""Write small road-network files, broken and unusual in every way a planner's file can be (run from the repo root).

    python tests/data/bad/roads/make_bad_roads.py

Each file is listed in ``MANIFEST.csv`` (``file,expected_error,description``): ``expected_error`` is the
exception class :func:`coverage.network.load_graph` (and so ``python -m coverage od --graph FILE``) must
raise, or ``ok`` when the file must load and be routable.  All roads lie around 102.50 E, 24.30 N (红塔区,
玉溪市); everything is made up.  The generated files are committed; re-running reproduces them.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

LON, LAT = 102.50, 24.30
STEP = 0.002  # degrees between grid nodes, about 200 m

MANIFEST: list[tuple[str, str, str]] = []


def record(name: str, expected: str, description: str) -> None:
    MANIFEST.append((name, expected, description))


def grid_graph(*, crs: str | None = "EPSG:4326", length: float | None = None) -> nx.MultiDiGraph:
    """A 3 x 3 street grid, two-way residential streets; ``length`` overrides every edge length."""
    G = nx.MultiDiGraph(crs=crs) if crs else nx.MultiDiGraph()
    for i in range(3):
        for j in range(3):
            G.add_node(10 * i + j, x=LON + STEP * j, y=LAT + STEP * i)
    for i in range(3):
        for j in range(3):
            for di, dj in ((0, 1), (1, 0)):
                a, b = 10 * i + j, 10 * (i + di) + j + dj
                if b not in G:
                    continue
                m = float(ox.distance.great_circle(G.nodes[a]["y"], G.nodes[a]["x"], G.nodes[b]["y"], G.nodes[b]["x"]))
                for u, v in ((a, b), (b, a)):
                    G.add_edge(u, v, length=m if length is None else length, highway="residential", oneway=False)
    return G


def graphml_files() -> None:
    (HERE / "empty.graphml").write_bytes(b"")
    record("empty.graphml", "FileReadError", "0 bytes")
    ox.save_graphml(grid_graph(), HERE / "grid.graphml")
    text = (HERE / "grid.graphml").read_text(encoding="utf-8")
    (HERE / "grid.graphml").unlink()
    (HERE / "corrupt.graphml").write_text(text[: len(text) // 2], encoding="utf-8")
    record("corrupt.graphml", "FileReadError", "GraphML cut in the middle (an interrupted download)")
    (HERE / "not_graphml.graphml").write_text("name,lon,lat\n大营街,102.5,24.3\n", encoding="utf-8")
    record("not_graphml.graphml", "FileReadError", "a CSV table renamed .graphml")

    G = grid_graph()
    del G.graph["crs"]
    nx.write_graphml(G, HERE / "no_crs.graphml")  # typed GraphML, as networkx writes it
    record("no_crs.graphml", "CRSError", "networkx-written GraphML (numbers typed) without a crs graph attribute")
    nx.write_graphml(grid_graph(), HERE / "networkx_typed.graphml")
    record("networkx_typed.graphml", "ok", "networkx-written GraphML with crs, numbers and booleans typed")
    U = nx.MultiGraph(grid_graph())
    nx.write_graphml(U, HERE / "undirected.graphml")
    record("undirected.graphml", "ok", "undirected GraphML: every street usable both ways")
    P = ox.projection.project_graph(grid_graph(), to_crs="EPSG:32648")
    ox.save_graphml(P, HERE / "projected_utm48n.graphml")
    record("projected_utm48n.graphml", "ok", "nodes in UTM 48N metres (crs EPSG:32648), converted to WGS-84")

    for name, value, what in (("negative_length", -150.0, "a negative"), ("nan_length", float("nan"), "a NaN"),
                              ("inf_length", float("inf"), "an infinite")):
        G = grid_graph()
        G.edges[0, 1, 0]["length"] = value
        ox.save_graphml(G, HERE / f"{name}.graphml")
        record(f"{name}.graphml", "NetworkError", f"edge (0, 1) has {what} length")
    G = grid_graph()
    G.edges[0, 1, 0]["length"] = "about 200 m"
    ox.save_graphml(G, HERE / "text_length.graphml")
    record("text_length.graphml", "NetworkError", "edge (0, 1) has the length 'about 200 m'")

    G = grid_graph()
    G.add_node(99, x=LON + STEP * 2, y=LAT + STEP * 2)  # a second node at the spot of node 22
    G.add_edge(22, 99, length=0.0, highway="residential", oneway=False)
    G.add_edge(99, 22, length=0.0, highway="residential", oneway=False)
    ox.save_graphml(G, HERE / "zero_length.graphml")
    record("zero_length.graphml", "ok", "two nodes at one spot joined by 0 m edges")

    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n in range(3):
        G.add_node(n, x=LON + STEP * n, y=LAT)
        G.add_edge(n, n, length=0.0, highway="residential")
    ox.save_graphml(G, HERE / "self_loops_only.graphml")
    record("self_loops_only.graphml", "NetworkError", "three nodes, each with only a self-loop: no road anywhere")
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=LON, y=LAT)
    ox.save_graphml(G, HERE / "one_node.graphml")
    record("one_node.graphml", "NetworkError", "one node, no edges (like osmnx's short.graphml, with a crs)")
    G = grid_graph()
    G.nodes[11]["x"] = "?"
    ox.save_graphml(G, HERE / "node_without_x.graphml")
    record("node_without_x.graphml", "NetworkError", "node 11 has x='?'")

    G = grid_graph()
    ring = shapely.LineString([(LON + 2 * STEP, LAT + 2 * STEP), (LON + 3 * STEP, LAT + 2 * STEP),
                               (LON + 3 * STEP, LAT + 3 * STEP), (LON + 2 * STEP, LAT + 3 * STEP),
                               (LON + 2 * STEP, LAT + 2 * STEP)])
    m = float(ox.distance.great_circle(*np.array(ring.coords)[:-1, ::-1].T, *np.array(ring.coords)[1:, ::-1].T).sum())
    G.add_edge(22, 22, length=m, highway="residential", oneway=False, geometry=ring)
    G.add_edge(22, 22, length=m, highway="residential", oneway=False, geometry=ring.reverse())
    ox.save_graphml(G, HERE / "ring_at_junction.graphml")
    record("ring_at_junction.graphml", "ok", "a loop road starting and ending at junction 22 (split to be routable)")


OSM_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="make_bad_roads">\n'


def osm_nodes(n: int) -> str:
    return "".join(f'  <node id="{i + 1}" lat="{LAT + STEP * (i // 3):.6f}" lon="{LON + STEP * (i % 3):.6f}"/>\n'
                   for i in range(n))


def osm_way(way_id: int, refs: list[int], **tags: str) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    tg = "".join(f'<tag k="{k.replace("_", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'  <way id="{way_id}">{nds}{tg}</way>\n'


def osm_files() -> None:
    (HERE / "empty.osm").write_bytes(b"")
    record("empty.osm", "FileReadError", "0 bytes")
    full = OSM_HEAD + osm_nodes(9) + osm_way(100, [1, 2, 3], highway="residential") + "</osm>\n"
    (HERE / "corrupt.osm").write_text(full[: len(full) - 40], encoding="utf-8")
    record("corrupt.osm", "FileReadError", "OSM XML cut before its end")
    (HERE / "no_ways.osm").write_text(OSM_HEAD + osm_nodes(9) + "</osm>\n", encoding="utf-8")
    record("no_ways.osm", "NetworkError", "nine nodes, no ways")
    (HERE / "buildings_only.osm").write_text(
        OSM_HEAD + osm_nodes(9) + osm_way(200, [1, 2, 5, 4, 1], building="yes")
        + osm_way(201, [5, 6, 9, 8, 5], landuse="residential")
        + osm_way(202, [2, 3, 6, 5, 2], highway="pedestrian", area="yes") + "</osm>\n", encoding="utf-8")
    record("buildings_only.osm", "NetworkError", "a building, a land-use area and a pedestrian area: no road")
    (HERE / "private_only.osm").write_text(
        OSM_HEAD + osm_nodes(9) + osm_way(300, [1, 2, 3], highway="service", access="private") + "</osm>\n",
        encoding="utf-8")
    record("private_only.osm", "NetworkError", "one private service road only")
    (HERE / "roads_and_buildings.osm").write_text(
        OSM_HEAD + osm_nodes(9) + osm_way(400, [1, 2, 3], highway="residential")
        + osm_way(401, [4, 5, 6], highway="residential") + osm_way(402, [2, 5, 8], highway="footway")
        + osm_way(403, [7, 8, 9], highway="service", access="private")
        + osm_way(404, [4, 5, 8, 7, 4], building="yes") + "</osm>\n", encoding="utf-8")
    record("roads_and_buildings.osm", "ok", "two streets and a footway among a building and a private road")
    (HERE / "ring_at_junction.osm").write_text(
        OSM_HEAD + osm_nodes(9) + osm_way(500, [1, 2], highway="residential")
        + osm_way(501, [2, 3, 6, 5, 2], highway="residential") + "</osm>\n", encoding="utf-8")
    record("ring_at_junction.osm", "ok", "a loop road whose first and last node is its junction with a street")
    (HERE / "clipped.osm").write_text(
        OSM_HEAD + osm_nodes(6) + osm_way(600, [1, 2, 3, 77, 6, 5, 4], highway="tertiary") + "</osm>\n",
        encoding="utf-8")
    record("clipped.osm", "ok", "a road through node 77, which the clipped extract lacks (cut there)")


def line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(LON + STEP * x, LAT + STEP * y) for x, y in xy])


def layer_files() -> None:
    roads = gpd.GeoDataFrame({"道路等级": ["国道", "县道", "乡道", "村道"],
                              "名称": ["滇中路", "玉江路", "小街", "田间路"]},
                             geometry=[line((0, 0), (2, 0)), line((1, -1), (1, 1)), line((2, 0), (2, 2)),
                                       line((0, 0), (0, 2))], crs="EPSG:4490")
    gbk = HERE / "gbk_no_cpg.shp"
    roads.to_file(gbk, engine="pyogrio", encoding="gbk")
    gbk.with_suffix(".cpg").unlink()
    record("gbk_no_cpg.shp", "ok",
           "GBK Shapefile without .cpg: Chinese column 道路等级 and classes 国道/县道/乡道/村道")
    nop = HERE / "no_prj.shp"
    roads.rename(columns={"道路等级": "class", "名称": "name"}).to_file(nop, engine="pyogrio", encoding="utf-8")
    nop.with_suffix(".prj").unlink()
    record("no_prj.shp", "CRSError", "Shapefile without its .prj")

    points = gpd.GeoDataFrame({"道路等级": ["国道", "县道"]},
                              geometry=gpd.points_from_xy([LON, LON + STEP], [LAT, LAT]), crs="EPSG:4326")
    points.to_file(HERE / "points.geojson", driver="GeoJSON")
    record("points.geojson", "NetworkError", "a road layer of points")
    polygons = gpd.GeoDataFrame({"道路等级": ["县道"]}, geometry=[shapely.box(LON, LAT, LON + STEP, LAT + STEP)],
                                crs="EPSG:4326")
    polygons.to_file(HERE / "polygons.gpkg", layer="roads", driver="GPKG")
    record("polygons.gpkg", "NetworkError", "a road layer of polygons")
    unknown = roads.assign(道路等级=["大马路", "小马路", "土坎", "?"])
    unknown.to_crs("EPSG:4326").to_file(HERE / "unknown_class.geojson", driver="GeoJSON")
    record("unknown_class.geojson", "NetworkError", "every road class unknown (大马路, 小马路 ...)")
    empty = roads.assign(道路等级=[None] * 4)
    empty.to_crs("EPSG:4326").to_file(HERE / "empty_class.geojson", driver="GeoJSON")
    record("empty_class.geojson", "NetworkError", "the road-class column is empty")
    roads.drop(columns="道路等级").to_crs("EPSG:4326").to_file(HERE / "no_class_column.geojson", driver="GeoJSON")
    record("no_class_column.geojson", "MissingColumnError", "no road-class column at all")
    (HERE / "no_features.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}),
                                              encoding="utf-8")
    record("no_features.geojson", "NetworkError", "a GeoJSON FeatureCollection with no features")
    (HERE / "not_json.geojson").write_text("{这不是 GeoJSON", encoding="utf-8")
    record("not_json.geojson", "FileReadError", "broken JSON")
    ring = gpd.GeoDataFrame({"道路等级": ["县道", "村道"]},
                            geometry=[line((0, 0), (2, 0)), line((2, 0), (3, 0), (3, 1), (2, 1), (2, 0))],
                            crs="EPSG:4326")
    ring.to_file(HERE / "ring_layer.geojson", driver="GeoJSON")
    record("ring_layer.geojson", "ok", "a loop village road meeting the county road at one point")


def main() -> None:
    for old in HERE.iterdir():
        if old.is_file() and old.name not in ("make_bad_roads.py", "README.md"):
            old.unlink()
    graphml_files()
    osm_files()
    layer_files()
    with open(HERE / "MANIFEST.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "expected_error", "description"])
        writer.writerows(MANIFEST)
    print(f"{len(MANIFEST)} road files in {HERE}")


if __name__ == "__main__":
    main()
