"""Service areas: built from the reached street segments, consistent with the engine's travel times."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely

from coverage.traveltime import TravelTimeEngine

OAKLAND = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "osm" / "West-Oakland.osm.bz2"


def line_graph(n_edges: int, length_m: float) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n_edges + 1):
        G.add_node(i, x=100.0 + 0.01 * i, y=0.0)
    for i in range(n_edges):
        G.add_edge(i, i + 1, length=length_m, highway="residential")
        G.add_edge(i + 1, i, length=length_m, highway="residential")
    return G


def pts(lonlat: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    arr = np.asarray(lonlat, dtype=float)
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(arr))]},
                            geometry=gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs="EPSG:4326")


def test_line_area_reaches_partway_along_the_road() -> None:
    # walk 60 m/min; edges 1113 m long on the map but 600 m by their length: 10 min each
    eng = TravelTimeEngine(line_graph(3, 600.0), mode="walk")
    areas = eng.service_areas(pts([(100.0, 0.0)]), thresholds_min=[15, 5], buffer_m=20)
    assert areas["threshold_min"].tolist() == [15.0, 5.0]  # largest first
    thin = eng.service_areas(pts([(100.0, 0.0)]), thresholds_min=[15, 5], buffer_m=1)
    big, small = thin.geometry.iloc[0], thin.geometry.iloc[1]
    # 15 min = 1.5 edges: up to lon 100.015 (by fraction of the edge), not to 100.02
    assert big.contains(shapely.Point(100.0145, 0.0)) and not big.contains(shapely.Point(100.0155, 0.0))
    assert small.contains(shapely.Point(100.0049, 0.0)) and not small.contains(shapely.Point(100.0051, 0.0))
    assert small.within(big.buffer(1e-9))
    # an area, not a hull: a band of 2 x 20 m around 1.5 edges (~1670 m on the map) plus round ends
    assert areas["area_km2"].iloc[0] == pytest.approx((1670 * 40 + np.pi * 400) / 1e6, rel=0.03)


def test_source_in_mid_edge_reaches_both_ways() -> None:
    eng = TravelTimeEngine(line_graph(1, 6000.0), mode="walk")  # one 100-minute road
    area = eng.service_areas(pts([(100.005, 0.0)]), thresholds_min=[10], buffer_m=10).geometry.iloc[0]
    # 10 min = 0.1 of the edge each side of the source
    assert area.contains(shapely.Point(100.0041, 0.0)) and area.contains(shapely.Point(100.0059, 0.0))
    assert not area.contains(shapely.Point(100.0039, 0.0)) and not area.contains(shapely.Point(100.0061, 0.0))


def test_area_agrees_with_engine_times_on_real_streets() -> None:
    G = ox.graph_from_xml(OAKLAND)
    eng = TravelTimeEngine(G, mode="walk")
    sources = pts([(-122.30, 37.81), (-122.295, 37.805)])
    threshold = 6.0
    area = eng.service_areas(sources, thresholds_min=[threshold], buffer_m=0.05).to_crs(eng.metric_crs)
    area = area.geometry.iloc[0]
    # points on the streets: inside the area exactly when their time to the nearest source is within the threshold
    seg = eng.segments()
    rng = np.random.default_rng(0)
    on_road = shapely.line_interpolate_point(np.tile(seg.geometry.to_numpy(), 8),
                                             rng.uniform(0.02, 0.98, (8, len(seg))).ravel(), normalized=True)
    probe = gpd.GeoDataFrame({"id": np.arange(len(on_road))}, geometry=on_road, crs=eng.metric_crs)
    times = eng.nearest(probe, sources)["travel_time_min"].to_numpy()
    inside = shapely.contains(area, on_road)
    clearly_in = times < threshold - 0.05
    clearly_out = ~(times <= threshold + 0.5)
    assert clearly_in.sum() > 10 and clearly_out.sum() > 10
    assert inside[clearly_in].all()
    assert not inside[clearly_out].any()
    # and it is no convex hull: much smaller than the hull of its own streets
    assert area.area < 0.5 * area.convex_hull.area


def test_by_source_gives_one_area_each() -> None:
    eng = TravelTimeEngine(line_graph(4, 600.0), mode="walk")
    areas = eng.service_areas(pts([(100.0, 0.0), (100.04, 0.0)]), thresholds_min=[5], by_source=True)
    assert areas["source_id"].tolist() == ["p0", "p1"]
    assert not areas.geometry.iloc[0].intersects(areas.geometry.iloc[1])


def test_bad_thresholds() -> None:
    eng = TravelTimeEngine(line_graph(1, 600.0), mode="walk")
    with pytest.raises(ValueError, match="thresholds_min must be positive"):
        eng.service_areas(pts([(100.0, 0.0)]), thresholds_min=[0, 5])
    with pytest.raises(ValueError, match="thresholds_min must be positive"):
        eng.service_areas(pts([(100.0, 0.0)]), thresholds_min=[])


def test_bad_buffer() -> None:
    eng = TravelTimeEngine(line_graph(1, 600.0), mode="walk")
    with pytest.raises(ValueError, match="buffer_m must be a positive number"):
        eng.service_areas(pts([(100.0, 0.0)]), thresholds_min=[5], buffer_m=0)


@pytest.fixture(scope="module")
def oakland_walk() -> TravelTimeEngine:
    return TravelTimeEngine(ox.graph_from_xml(OAKLAND), mode="walk")


def test_pieces_cut_like_shapely_substring(oakland_walk: TravelTimeEngine) -> None:
    from shapely.ops import substring

    from coverage.traveltime.areas import _substrings

    eng = oakland_walk
    rng = np.random.default_rng(3)
    bent = np.flatnonzero(shapely.get_num_coordinates(eng.network.seg_geoms_m) > 3)[:200]  # curved streets
    assert len(bent) > 20
    lo = rng.uniform(0, 1, len(bent))
    hi = np.clip(lo + rng.uniform(-0.1, 0.8, len(bent)), 0, 1)  # some empty (hi <= lo): a point
    geoms, length = eng.network.seg_geoms_m[bent], eng.network.seg_length_m[bent]
    got = _substrings(geoms, length, lo, hi)
    for g, L, a, b, piece in zip(geoms, length, lo, hi, got, strict=True):
        if b <= a:
            assert piece.geom_type == "Point" and piece.distance(shapely.line_interpolate_point(g, a * L)) < 1e-6
        else:
            want = substring(g, a * L, b * L)
            assert piece.length == pytest.approx(want.length, abs=1e-6)
            assert shapely.hausdorff_distance(piece, want) < 1e-6


def test_joined_paths_cover_the_same_streets(oakland_walk: TravelTimeEngine) -> None:
    from coverage.traveltime.areas import _paths

    lines = oakland_walk.network.seg_geoms_m
    paths = _paths(lines)
    assert len(paths) < 0.5 * len(lines)  # joined through junctions, not only at degree-2 points
    assert shapely.get_coordinates(paths).shape == shapely.get_coordinates(lines).shape  # no vertex lost/added
    assert shapely.equals(shapely.union_all(paths), shapely.union_all(lines))


def test_nested_areas_hold_their_streets_and_no_others(oakland_walk: TravelTimeEngine) -> None:
    eng = oakland_walk
    segs = eng.segments()
    seg = segs.geometry.to_numpy()
    on_road = shapely.line_interpolate_point(seg[[15, 40]], 0.5, normalized=True)  # two sources on the streets
    sources = gpd.GeoDataFrame({"id": ["s1", "s2"]}, geometry=on_road, crs=eng.metric_crs).to_crs("EPSG:4326")
    buffer_m = 1.0  # thin bands: a street is inside only if (nearly) on a reached street
    areas = eng.service_areas(sources, thresholds_min=[3, 5, 8], buffer_m=buffer_m).to_crs(eng.metric_crs)
    assert areas["threshold_min"].tolist() == [8.0, 5.0, 3.0]
    geoms = areas.geometry.to_numpy()
    assert (np.diff(areas["area_km2"].to_numpy()) < 0).all()  # grows with the threshold
    # nested (to the mm: the areas went to lon/lat and back)
    assert shapely.covers(geoms[0].buffer(1e-3), geoms[1]) and shapely.covers(geoms[1].buffer(1e-3), geoms[2])
    walk_min = segs[["travel_time_uv_min", "travel_time_vu_min"]].max(axis=1).to_numpy()
    probe = gpd.GeoDataFrame({"id": np.arange(2 * len(seg))}, crs=eng.metric_crs, geometry=np.concatenate(
        [shapely.line_interpolate_point(seg, f, normalized=True) for f in (0.0, 1.0)]))
    t_ends = eng.nearest(probe, sources)["travel_time_min"].to_numpy().reshape(2, -1)
    for t, area in zip([8.0, 5.0, 3.0], geoms, strict=True):
        # an end reached in time to walk the whole segment: every point of it reaches a source in time
        whole = (t_ends + walk_min <= t).any(axis=0)
        assert whole.sum() > 0 and shapely.covers(area.buffer(1e-3), seg[whole]).all()
        # neither end reached (nor close to it): not in the area
        never = ~(t_ends <= t + 0.1).any(axis=0)
        assert never.sum() > 0 and not shapely.contains(area, seg[never]).any()
