"""A seeded synthetic province: road network, villages, candidate sites and existing facilities.

Built for the province benchmark (issue 16): a Yunnan-sized extent (620 x 640 km = 396,800 km², Yunnan is about
394,000 km²) in UTM zone 47N (``EPSG:32647``, metres), with the same administrative shape as the real
province: 16 prefecture cities, 129 counties, 1,400 townships, 14,000 administrative villages, and by default
100,000 demand points (natural villages and urban communities), 2,000 candidate sites and about 21,000
existing facilities of ten facility types.  Everything is numpy-vectorised and deterministic by seed: the
same seed gives the same tables, byte for byte; a 3,000,000-node network takes about 22 s of CPU (most of it
the Delaunay triangulation; a minute of wall time when the shared 2-core machine is loaded), with a peak
under 1 GB.  Usable from any script::

    import sys; sys.path.insert(0, "benchmarks")
    import synthetic_province as sp
    nodes, edges = sp.make_network(3_000_000, seed=0)
    eng = TravelTimeEngine.from_gdfs(nodes, edges, "car", crs=sp.CRS)
    villages = sp.make_demand(seed=0)                  # GeoDataFrame, DEMAND_COLUMNS
    candidates = sp.make_candidates(seed=0)            # GeoDataFrame, CANDIDATE_COLUMNS
    facilities = sp.make_facilities(seed=0)            # GeoDataFrame, FACILITY_COLUMNS
    province = sp.make_province(3_000_000, seed=0)     # all of them at once (a :class:`Province`)

Public functions
----------------
``make_layout(seed) -> Layout``
    The settlements every other table is placed around: prefecture cities, county seats, township seats and
    administrative villages (metric x/y, admin codes and names).  Cached per seed.
``make_network(n_nodes=3_000_000, seed=0, *, core_share=0.35) -> (nodes, edges)``
    ``nodes``: DataFrame indexed by node id (``osmid``, int64) with ``x``, ``y`` (metres, :data:`CRS`;
    ``nodes.attrs["crs"]`` holds it too).  ``edges``: one row per *directed* edge as osmnx gives them
    (two-way roads twice, oneway streets once): ``u``, ``v`` (node ids), ``key`` (0), ``length`` (metres),
    ``highway`` (OSM class, categorical), ``oneway``.  Exactly ``n_nodes`` nodes: ``core_share`` are drawn as
    junctions (some end up with two roads) and the rest are shape points along the roads, so that about 25%
    of the nodes are junctions or dead ends after chain contraction, as on Yuxi's demo network (67,542 ->
    16,628).  Pass them to ``TravelTimeEngine.from_gdfs(nodes, edges, mode, crs=CRS)`` or use
    :func:`network_arrays` for :func:`coverage.traveltime.compiled.compile_arrays`.
``network_arrays(nodes, edges) -> dict``
    The keyword arguments of ``compile_arrays`` (positions instead of ids; no DataFrame copies).
``make_engine(mode="car", n_nodes=3_000_000, seed=0) -> TravelTimeEngine``
    Network and engine in one call.
``make_demand(n_points=100_000, seed=0) -> GeoDataFrame``
    Demand points with :data:`coverage.model.DEMAND_COLUMNS` (ids ``D000001``...; admin codes and names;
    population groups as a village table has them), 85% natural villages clustered around administrative
    villages, 15% urban communities around the towns.
``make_candidates(n_sites=2_000, seed=0) -> GeoDataFrame``
    Candidate sites with :data:`coverage.model.CANDIDATE_COLUMNS` (village committee buildings, idle
    schools, open land near towns, upgrades of township facilities).
``make_facilities(seed=0, *, counts=None) -> GeoDataFrame``
    Existing facilities with :data:`coverage.model.FACILITY_COLUMNS`; ``counts`` maps facility type keys
    (:data:`coverage.taxonomy.FACILITY_TYPES`) to how many (default :data:`FACILITY_COUNTS`).
``make_province(n_nodes=3_000_000, seed=0, ...) -> Province``
    All of the above.

The network
-----------
Junctions are drawn as clusters: dense city grids around the 16 prefecture cities (Kunming-sized capital
first) and the county seats, smaller clusters at township seats, village clusters around administrative
villages and a sparse background of mountain tracks.  They are joined by a Delaunay triangulation thinned to
its minimum spanning tree (one connected network) plus a share of the shorter other edges (loops: junctions
average 3.1 roads, 13% of them are dead ends).  A backbone joins the settlements: motorway and trunk roads
between cities, primary roads to county seats, secondary/tertiary roads to townships, each linked to the local
roads every few km.  Local roads are ``residential``/``tertiary``/``service``/``footway`` in towns,
``unclassified``/``track``/``path`` outside; 8% of the looped town streets are oneway.  Shape points are
spread along the roads in proportion to their length (more on rural roads), with a winding offset, so road
lengths exceed straight lines as in the mountains.  The travel modes' speed tables
(:data:`coverage.network.MODES`) give each class its walk / e-bike / car speed; motorways are closed to
walking and e-bikes, footways and paths to cars.
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

__all__ = [
    "CRS", "EXTENT_M", "FACILITY_COUNTS", "Layout", "Province", "make_candidates", "make_demand", "make_engine",
    "make_facilities", "make_layout", "make_network", "make_province", "network_arrays",
]

#: CRS of every coordinate: WGS 84 / UTM zone 47N (metres).
CRS = "EPSG:32647"

#: The province's extent (xmin, ymin, xmax, ymax), metres in :data:`CRS`: 620 x 640 km (about 98.3-104.6 E,
#: 22.1-27.9 N).
EXTENT_M = (230_000.0, 2_450_000.0, 850_000.0, 3_090_000.0)

N_PREFECTURES = 16
N_COUNTIES = 129
N_TOWNSHIPS = 1_400
VILLAGES_PER_TOWNSHIP = 10

#: Existing facilities per type (province-wide) made by :func:`make_facilities` by default.
FACILITY_COUNTS: dict[str, int] = {
    "elderly_institution": 700,
    "township_elderly_center": 1_000,
    "community_daycare": 800,
    "rural_mutual_aid": 6_000,
    "elderly_canteen": 2_000,
    "funeral_home": 129,
    "public_cemetery": 1_500,
    "child_welfare_home": 60,
    "childrens_home": 8_000,
    "social_work_station": 1_400,
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # the coverage package, when run or imported from benchmarks/
    sys.path.insert(0, _ROOT)

# road classes (index into ROAD_CLASSES)
ROAD_CLASSES = ("motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary", "unclassified",
                "residential", "service", "track", "path", "footway")
_C = {name: i for i, name in enumerate(ROAD_CLASSES)}

# kinds of junction
_URBAN, _TOWNSHIP, _VILLAGE, _BACKGROUND, _BACKBONE = range(5)


# ---------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """The settlements of the synthetic province (metric x/y in :data:`CRS`).

    Attributes
    ----------
    city_xy, city_size
        Prefecture cities (16; the first is the capital) and their relative size.
    county_xy, county_pref
        County seats (129; the first 16 are the prefecture cities) and their prefecture (0..15).
    township_xy, township_county
        Township seats (1,400; the first 129 are the county seats) and their county.
    village_xy, village_township
        Administrative villages (14,000) and their township.
    county_code, township_code, village_code
        12-digit-style statistical codes (6, 9 and 12 digits).
    """

    city_xy: FloatArray
    city_size: FloatArray
    county_xy: FloatArray
    county_pref: IntArray
    township_xy: FloatArray
    township_county: IntArray
    village_xy: FloatArray
    village_township: IntArray
    county_code: npt.NDArray[np.str_]
    township_code: npt.NDArray[np.str_]
    village_code: npt.NDArray[np.str_]

    @property
    def county_name(self) -> npt.NDArray[np.str_]:
        return np.array([f"合成县{i + 1:03d}" for i in range(len(self.county_xy))])

    @property
    def township_name(self) -> npt.NDArray[np.str_]:
        return np.array([f"合成乡镇{i + 1:04d}" for i in range(len(self.township_xy))])

    @property
    def village_name(self) -> npt.NDArray[np.str_]:
        return np.array([f"合成村{i + 1:05d}" for i in range(len(self.village_xy))])


def _jittered_grid(rng: np.random.Generator, k: int, extent: tuple[float, float, float, float],
                   margin: float = 0.0) -> FloatArray:
    """``k`` points spread over ``extent``: one per cell of a jittered grid, cells picked at random."""
    x0, y0, x1, y1 = extent
    x0, y0, x1, y1 = x0 + margin, y0 + margin, x1 - margin, y1 - margin
    side = int(np.ceil(np.sqrt(k * (x1 - x0) / (y1 - y0))))
    rows = int(np.ceil(k / side))
    cells = rng.choice(side * rows, size=k, replace=False)
    cx, cy = cells % side, cells // side
    return np.column_stack([x0 + (cx + rng.uniform(0.15, 0.85, k)) * (x1 - x0) / side,
                            y0 + (cy + rng.uniform(0.15, 0.85, k)) * (y1 - y0) / rows])


def _inside(xy: FloatArray) -> npt.NDArray[np.bool_]:
    x0, y0, x1, y1 = EXTENT_M
    return (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)


def _clamp(xy: FloatArray) -> FloatArray:
    x0, y0, x1, y1 = EXTENT_M
    return np.column_stack([np.clip(xy[:, 0], x0 + 1.0, x1 - 1.0), np.clip(xy[:, 1], y0 + 1.0, y1 - 1.0)])


@functools.lru_cache(maxsize=4)
def make_layout(seed: int = 0) -> Layout:
    """The settlements of the province for ``seed`` (cached; arrays are read-only).

    Parameters
    ----------
    seed
        Random seed; every table of the same seed is placed around the same settlements.
    """
    rng = np.random.default_rng([seed, 1])
    city = _jittered_grid(rng, N_PREFECTURES, EXTENT_M, margin=40_000.0)
    size = np.sort(rng.pareto(1.2, N_PREFECTURES) + 1.0)[::-1]
    size = np.minimum(size / size[-1], 12.0)
    others = _jittered_grid(rng, N_COUNTIES * 2, EXTENT_M, margin=8_000.0)
    far = cKDTree(city).query(others)[0] > 15_000.0
    county = np.vstack([city, others[far][: N_COUNTIES - N_PREFECTURES]])
    county_pref = cKDTree(city).query(county)[1].astype(np.int64)
    county_pref[:N_PREFECTURES] = np.arange(N_PREFECTURES)
    others = _jittered_grid(rng, N_TOWNSHIPS * 2, EXTENT_M, margin=3_000.0)
    far = cKDTree(county).query(others)[0] > 4_000.0
    township = np.vstack([county, others[far][: N_TOWNSHIPS - N_COUNTIES]])
    township_county = cKDTree(county).query(township)[1].astype(np.int64)
    township_county[:N_COUNTIES] = np.arange(N_COUNTIES)
    n_v = N_TOWNSHIPS * VILLAGES_PER_TOWNSHIP
    village_township = np.repeat(np.arange(N_TOWNSHIPS), VILLAGES_PER_TOWNSHIP).astype(np.int64)
    village = township[village_township] + rng.normal(0.0, 3_500.0, (n_v, 2))
    village = _clamp(village)
    # codes: 53 (Yunnan) + prefecture + county, then township and village numbers within their parent
    county_rank = _rank_within(county_pref)
    county_code = np.array([f"53{p + 1:02d}{r + 1:02d}" for p, r in zip(county_pref, county_rank, strict=True)])
    township_rank = _rank_within(township_county)
    township_code = np.array([f"{county_code[c]}{r + 1:03d}" for c, r in
                              zip(township_county, township_rank, strict=True)])
    village_rank = _rank_within(village_township)
    village_code = np.array([f"{township_code[t]}{r + 1:03d}" for t, r in
                             zip(village_township, village_rank, strict=True)])
    out = Layout(city, size, county, county_pref, township, township_county, village, village_township,
                 county_code, township_code, village_code)
    for value in out.__dict__.values():
        value.setflags(write=False)
    return out


def _rank_within(group: IntArray) -> IntArray:
    """0, 1, 2... within each group, in order of appearance."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    rank = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
    out = np.empty(len(g), dtype=np.int64)
    out[order] = rank
    return out


# ---------------------------------------------------------------------------------------------- network
def _junctions(rng: np.random.Generator, lay: Layout, n: int) -> tuple[FloatArray, IntArray]:
    """``n`` junction positions and their kind (urban, township, village, background)."""
    n_urban, n_town, n_village = int(0.30 * n), int(0.10 * n), int(0.45 * n)
    n_bg = n - n_urban - n_town - n_village
    # towns: the prefecture cities by size, county seats smaller
    w = np.r_[lay.city_size * 6.0, np.ones(len(lay.county_xy) - len(lay.city_xy))]
    sigma = np.r_[2_500.0 * np.sqrt(lay.city_size), np.full(len(w) - len(lay.city_xy), 1_200.0)]
    which = rng.choice(len(w), n_urban, p=w / w.sum())
    urban = lay.county_xy[which] + rng.normal(0.0, 1.0, (n_urban, 2)) * sigma[which, None]
    which = rng.integers(0, len(lay.township_xy), n_town)
    town = lay.township_xy[which] + rng.normal(0.0, 450.0, (n_town, 2))
    which = rng.integers(0, len(lay.village_xy), n_village)
    village = lay.village_xy[which] + rng.normal(0.0, 900.0, (n_village, 2))
    x0, y0, x1, y1 = EXTENT_M
    bg = np.column_stack([rng.uniform(x0, x1, n_bg), rng.uniform(y0, y1, n_bg)])
    xy = np.vstack([urban, town, village, bg])
    kind = np.repeat(np.array([_URBAN, _TOWNSHIP, _VILLAGE, _BACKGROUND], dtype=np.int64),
                     [n_urban, n_town, n_village, n_bg])
    out = ~_inside(xy)
    xy[out] = np.column_stack([rng.uniform(x0, x1, out.sum()), rng.uniform(y0, y1, out.sum())])
    kind[out] = _BACKGROUND
    return xy, kind


def _delaunay_edges(xy: FloatArray) -> IntArray:
    """Unique undirected edges (a < b) of the Delaunay triangulation of ``xy``."""
    tri = Delaunay(xy)
    simp = tri.simplices.astype(np.int64)
    nb = tri.neighbors
    own = np.arange(len(simp))[:, None]
    parts = []
    for j in range(3):  # the edge opposite vertex j, taken from the triangle with the larger index (or the hull)
        take = nb[:, j] < own[:, 0]
        parts.append(simp[take][:, [(j + 1) % 3, (j + 2) % 3]])
    ab = np.vstack(parts)
    ab.sort(axis=1)
    return ab


def _mst_mask(n: int, ab: IntArray, length: FloatArray) -> npt.NDArray[np.bool_]:
    """Which of the edges ``ab`` form a minimum spanning tree (forest) by length."""
    g = sp.csr_matrix((length + 1e-3, (ab[:, 0], ab[:, 1])), shape=(n, n))
    t = minimum_spanning_tree(g).tocoo()
    key_t = np.sort(t.row.astype(np.int64) * n + t.col)
    key = ab[:, 0] * n + ab[:, 1]
    pos = np.searchsorted(key_t, key)
    pos[pos >= len(key_t)] = 0
    return key_t[pos] == key


def _backbone(rng: np.random.Generator, lay: Layout, n_points: int
              ) -> tuple[FloatArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Highways between settlements, as about ``n_points`` points (the township seats first, then points every
    few km along each road): (points, edges between consecutive points as pairs of point indices, their
    class, and for each point whether it links to the local roads)."""
    seats = lay.township_xy  # cities and county seats come first
    n_city, n_county, n_seat = len(lay.city_xy), len(lay.county_xy), len(lay.township_xy)
    links: list[IntArray] = []
    classes: list[IntArray] = []
    # motorways / trunk roads between cities, primary roads between county seats, secondary / tertiary roads
    # between townships: each a triangulation thinned to its spanning tree plus its shortest other links
    for n_pts, extra, cls_main in ((n_city, 0.7, _C["motorway"]), (n_county, 0.35, _C["primary"]),
                                   (n_seat, 0.12, _C["tertiary"])):
        ab_l = _delaunay_edges(seats[:n_pts])
        len_l = np.hypot(*(seats[ab_l[:, 0]] - seats[ab_l[:, 1]]).T)
        keep = _mst_mask(n_pts, ab_l, len_l) | (len_l < np.quantile(len_l, extra))
        ab_l = ab_l[keep]
        c = np.full(len(ab_l), cls_main, dtype=np.int64)
        if cls_main == _C["motorway"]:
            c[rng.random(len(c)) < 0.3] = _C["trunk"]
        elif cls_main == _C["tertiary"]:
            c[ab_l.min(axis=1) < n_county] = _C["secondary"]
        links.append(ab_l)
        classes.append(c)
    ab = np.vstack(links)
    cls = np.concatenate(classes)
    length = np.hypot(*(seats[ab[:, 0]] - seats[ab[:, 1]]).T)
    spacing_m = max(2_000.0, float(length.sum()) / max(1, n_points - n_seat))
    k = np.maximum(1, np.round(length / spacing_m).astype(np.int64))  # pieces per link
    n_in = k - 1  # interior points per link
    first = n_seat + np.r_[0, np.cumsum(n_in)[:-1]]
    link = np.repeat(np.arange(len(ab)), n_in)
    step = np.arange(int(n_in.sum())) + 1 - np.repeat(first - n_seat, n_in)  # 1..k-1
    t = step / k[link]
    d = seats[ab[link, 1]] - seats[ab[link, 0]]
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1.0)[:, None]
    phase = rng.uniform(0, 2 * np.pi, len(ab))[link]
    waves = rng.integers(1, 4, len(ab))[link]
    wiggle = 0.04 * np.sin(np.pi * t * waves * 2 + phase) * np.sin(np.pi * t) * length[link]
    pts = np.vstack([seats, _clamp(seats[ab[link, 0]] + d * t[:, None] + normal * wiggle[:, None])])
    # edges: seat a -> interior points -> seat b
    piece_link = np.repeat(np.arange(len(ab)), k)
    j = np.arange(int(k.sum())) - np.repeat(np.r_[0, np.cumsum(k)[:-1]], k)  # 0..k-1
    base = first[piece_link] - 1  # node of interior step s is base + s
    e_u = np.where(j == 0, ab[piece_link, 0], base + j)
    e_v = np.where(j == k[piece_link] - 1, ab[piece_link, 1], base + j + 1)
    edges = np.column_stack([e_u, e_v])
    e_cls = cls[piece_link]
    # links to the local roads: every seat and every point of ordinary roads; motorways every 8th point
    linked = np.ones(len(pts), dtype=bool)
    linked[n_seat:] = (cls[link] != _C["motorway"]) | (step % 8 == 0)
    return pts, edges, e_cls, linked


def make_network(n_nodes: int = 3_000_000, seed: int = 0, *, core_share: float = 0.35
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded road network of exactly ``n_nodes`` nodes over the province (see the module docstring).

    Parameters
    ----------
    n_nodes
        Number of nodes (junctions, dead ends and shape points), at least 2,000.
    seed
        Random seed (the same seed gives the same tables).
    core_share
        Share of the nodes that are junctions or dead ends (the rest are degree-2 shape points).

    Returns
    -------
    tuple of pandas.DataFrame
        ``nodes`` (index ``osmid``; ``x``, ``y`` in metres, :data:`CRS`) and ``edges`` (``u``, ``v``, ``key``,
        ``length`` in metres, ``highway``, ``oneway``; one row per directed edge).
    """
    if n_nodes < 2_000:
        raise ValueError(f"n_nodes must be at least 2,000, got {n_nodes}")
    if not 0.05 <= core_share <= 1.0:
        raise ValueError(f"core_share must be within 0.05..1, got {core_share}")
    lay = make_layout(seed)
    rng = np.random.default_rng([seed, 2])
    n_core_target = max(1_000, round(core_share * n_nodes))
    # backbone points: about 6% of the junctions, at most one every 2 km
    bb_xy, bb_edges, bb_cls, bb_linked = _backbone(rng, lay, int(0.06 * n_core_target))
    n_local = n_core_target - len(bb_xy)
    if n_local < 500:
        raise ValueError(f"n_nodes={n_nodes} is too small for the province's backbone; use at least 50,000")
    xy, kind = _junctions(rng, lay, n_local)

    # local roads: Delaunay thinned to its spanning tree plus the shorter other edges
    ab = _delaunay_edges(xy)
    length = np.hypot(*(xy[ab[:, 0]] - xy[ab[:, 1]]).T)
    tree = _mst_mask(len(xy), ab, length)
    urban = (kind[ab[:, 0]] == _URBAN) & (kind[ab[:, 1]] == _URBAN)
    townish = urban | ((kind[ab[:, 0]] == _TOWNSHIP) & (kind[ab[:, 1]] == _TOWNSHIP))
    p_keep = np.where(townish, 0.42, 0.30) * np.exp(-length / np.where(townish, 1_500.0, 2_500.0))
    keep = tree | ((rng.random(len(ab)) < p_keep) & (length < 6_000.0))
    ab, length, tree, urban, townish = ab[keep], length[keep], tree[keep], urban[keep], townish[keep]
    r = rng.random(len(ab))
    cls = np.where(
        townish,
        np.select([tree & (r < 0.12), r < 0.08, r < 0.13, r < 0.16],
                  [_C["tertiary"], _C["secondary"], _C["service"], _C["footway"]], _C["residential"]),
        np.where(tree, np.where(r < 0.55, _C["unclassified"], _C["track"]),
                 np.where(r < 0.6, _C["track"], _C["path"])),
    )
    oneway = urban & ~tree & (cls == _C["residential"]) & (rng.random(len(ab)) < 0.08)

    # join the backbone: its points come after the local junctions; each linked point to its nearest junction
    n_j = len(xy)
    bb_idx = n_j + np.arange(len(bb_xy))
    near_d, near = cKDTree(xy).query(bb_xy[bb_linked])
    is_mw_end = np.zeros(len(bb_xy), dtype=bool)
    mw_pts = np.unique(bb_edges[bb_cls == _C["motorway"]])
    is_mw_end[mw_pts] = True
    lk_from = bb_idx[bb_linked]
    lk_cls = np.where(is_mw_end[bb_linked], _C["motorway_link"], _C["unclassified"])
    # a backbone point and its nearest junction, where both ends would be the same place, still get an edge
    all_xy = np.vstack([xy, bb_xy])
    del xy
    e_a = np.concatenate([ab[:, 0], bb_idx[bb_edges[:, 0]], lk_from])
    e_b = np.concatenate([ab[:, 1], bb_idx[bb_edges[:, 1]], near.astype(np.int64)])
    e_cls = np.concatenate([cls, bb_cls, lk_cls]).astype(np.int8)
    e_oneway = np.concatenate([oneway, np.zeros(len(bb_edges) + len(lk_from), dtype=bool)])
    e_rural = np.concatenate([~townish, np.ones(len(bb_edges) + len(lk_from), dtype=bool)])
    del ab, length, tree, urban, townish, cls, oneway, near, near_d
    n_core = len(all_xy)

    # shape points: the remaining nodes, along the roads in proportion to length (rural roads wind more)
    seg = all_xy[e_b] - all_xy[e_a]
    straight = np.maximum(np.hypot(seg[:, 0], seg[:, 1]), 1.0)
    n_shape = n_nodes - n_core
    if n_shape < 0:
        raise ValueError(f"core_share={core_share} leaves no room for shape points")
    w = straight * np.where(e_rural, 1.6, 1.0)
    quota = n_shape * w / w.sum()
    k = np.floor(quota).astype(np.int64)
    short = n_shape - int(k.sum())
    if short:
        k[np.argsort(k - quota, kind="stable")[:short]] += 1
    n_pieces = k + 1
    edge_of = np.repeat(np.arange(len(e_a)), k)  # per shape point
    first = np.r_[0, np.cumsum(k)[:-1]]
    step = np.arange(n_shape) + 1 - np.repeat(first, k)  # 1..k along its road
    t = (step + rng.uniform(-0.3, 0.3, n_shape)) / np.repeat(n_pieces, k)
    amp = np.where(e_rural, rng.uniform(0.03, 0.12, len(e_a)), rng.uniform(0.0, 0.02, len(e_a)))
    phase = rng.uniform(0.0, 2 * np.pi, len(e_a))
    waves = rng.integers(1, 4, len(e_a))
    d = seg[edge_of]
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / straight[edge_of, None]
    off = (amp[edge_of] * straight[edge_of] * np.sin(np.pi * t)
           * np.sin(2 * np.pi * waves[edge_of] * t + phase[edge_of]))
    shape_xy = all_xy[e_a[edge_of]] + d * t[:, None] + normal * off[:, None]
    del d, normal, off, t, seg
    x = np.concatenate([all_xy[:, 0], shape_xy[:, 0]])
    y = np.concatenate([all_xy[:, 1], shape_xy[:, 1]])
    del shape_xy, all_xy

    # pieces: junction a -> shape points -> junction b
    piece_start = np.r_[0, np.cumsum(n_pieces)[:-1]]
    road = np.repeat(np.arange(len(e_a)), n_pieces)
    j = np.arange(int(n_pieces.sum())) - np.repeat(piece_start, n_pieces)  # 0..k
    shape_base = n_core + np.repeat(first, n_pieces)  # node id of the road's first shape point
    kk = np.repeat(k, n_pieces)
    pu = np.where(j == 0, e_a[road], shape_base + j - 1)
    pv = np.where(j == kk, e_b[road], shape_base + j)
    del shape_base, kk, j, piece_start
    plen = np.hypot(x[pu] - x[pv], y[pu] - y[pv])
    p_cls = e_cls[road]
    p_one = e_oneway[road]
    del road
    two = ~p_one
    u = np.concatenate([pu, pv[two]])
    v = np.concatenate([pv, pu[two]])
    nodes = pd.DataFrame({"x": x, "y": y}, index=pd.RangeIndex(n_nodes, name="osmid"))
    nodes.index = nodes.index.astype(np.int64)
    nodes.attrs["crs"] = CRS
    edges = pd.DataFrame({
        "u": u, "v": v, "key": np.zeros(len(u), dtype=np.int8),
        "length": np.round(np.concatenate([plen, plen[two]]), 3),
        "highway": pd.Categorical.from_codes(np.concatenate([p_cls, p_cls[two]]), categories=list(ROAD_CLASSES)),
        "oneway": np.concatenate([p_one, p_one[two]]),
    })
    edges.attrs["crs"] = CRS
    return nodes, edges


def network_arrays(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, Any]:
    """Keyword arguments of :func:`coverage.traveltime.compiled.compile_arrays` for a synthetic network
    (node ids are 0..n-1, so ids are positions); add ``mode=``.

    Returns
    -------
    dict
        ``node_ids``, ``x``, ``y``, ``crs``, ``u``, ``v``, ``length_m``, ``highway``, ``maxspeed``,
        ``geometry`` (None).
    """
    import pyproj

    n = len(edges)
    return {
        "node_ids": nodes.index.to_numpy().astype(object), "x": nodes["x"].to_numpy(),
        "y": nodes["y"].to_numpy(), "crs": pyproj.CRS.from_user_input(CRS),
        "u": edges["u"].to_numpy(np.int64), "v": edges["v"].to_numpy(np.int64),
        "length_m": edges["length"].to_numpy(np.float64),
        "highway": edges["highway"].to_numpy(dtype=object), "maxspeed": np.full(n, None, dtype=object),
        "geometry": None,
    }


def make_engine(mode: str = "car", n_nodes: int = 3_000_000, seed: int = 0) -> Any:
    """A :class:`~coverage.traveltime.TravelTimeEngine` over :func:`make_network` (``from_gdfs``)."""
    from coverage.traveltime import TravelTimeEngine

    nodes, edges = make_network(n_nodes, seed)
    return TravelTimeEngine.from_gdfs(nodes, edges, mode, crs=CRS)


# ---------------------------------------------------------------------------------------------- points
def _gdf(df: pd.DataFrame, xy: FloatArray) -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def _admin(lay: Layout, township: IntArray, village: IntArray | None) -> dict[str, Any]:
    county = lay.township_county[township]
    out: dict[str, Any] = {
        "county_code": lay.county_code[county], "county_name": lay.county_name[county],
        "township_code": lay.township_code[township], "township_name": lay.township_name[township],
    }
    if village is None:
        out["village_code"] = np.full(len(township), None, dtype=object)
        out["village_name"] = np.full(len(township), None, dtype=object)
    else:
        out["village_code"] = lay.village_code[village]
        out["village_name"] = lay.village_name[village]
    return out


def make_demand(n_points: int = 100_000, seed: int = 0) -> Any:
    """Seeded demand points (villages and urban communities) with their population groups.

    Parameters
    ----------
    n_points
        Number of demand points.
    seed
        Random seed (the same seed as the network places them around the same settlements).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`coverage.model.DEMAND_COLUMNS` in :data:`CRS`: ``id`` (``D000001``...), ``name``, admin codes
        and names, ``population`` and every population group (non-negative integers), ``geometry``.
    """
    from coverage.model import DEMAND_COLUMNS

    lay = make_layout(seed)
    rng = np.random.default_rng([seed, 3])
    n_urban = int(0.15 * n_points)
    n_rural = n_points - n_urban
    # rural: natural villages around their administrative village, a few hundred people each
    village = rng.integers(0, len(lay.village_xy), n_rural)
    rural_xy = lay.village_xy[village] + rng.normal(0.0, 700.0, (n_rural, 2))
    rural_pop = np.maximum(20, rng.lognormal(np.log(240.0), 0.7, n_rural)).astype(np.int64)
    # urban: communities around the towns (capital largest), a few thousand people each
    w = np.r_[lay.city_size * 6.0, np.ones(len(lay.county_xy) - len(lay.city_xy))]
    sigma = np.r_[2_000.0 * np.sqrt(lay.city_size), np.full(len(w) - len(lay.city_xy), 900.0)]
    town = rng.choice(len(w), n_urban, p=w / w.sum())
    urban_xy = lay.county_xy[town] + rng.normal(0.0, 1.0, (n_urban, 2)) * sigma[town, None]
    urban_pop = np.maximum(200, rng.lognormal(np.log(1_200.0), 0.6, n_urban)).astype(np.int64)
    xy = _clamp(np.vstack([rural_xy, urban_xy]))
    pop = np.concatenate([rural_pop, urban_pop])
    is_rural = np.r_[np.ones(n_rural, dtype=bool), np.zeros(n_urban, dtype=bool)]
    # urban communities take the nearest administrative village's code (a 社区 of that township)
    near_v = cKDTree(lay.village_xy).query(urban_xy)[1].astype(np.int64)
    vil = np.concatenate([village, near_v]).astype(np.int64)
    township = lay.village_township[vil]
    e60 = rng.binomial(pop, np.where(is_rural, 0.19, 0.15))
    data = {
        "id": [f"D{i + 1:06d}" for i in range(n_points)],
        "name": [f"{'自然村' if r else '社区'}{i + 1:06d}" for i, r in enumerate(is_rural)],
        **_admin(lay, township, vil),
        "population": pop,
        "elderly_60plus": e60,
        "elderly_80plus": rng.binomial(e60, 0.14),
        "disabled_elderly": rng.binomial(e60, 0.07),
        "left_behind_elderly": rng.binomial(e60, np.where(is_rural, 0.22, 0.02)),
        "dispersed_poor": rng.binomial(pop, np.where(is_rural, 0.008, 0.002)),
        "left_behind_children": rng.binomial(pop, np.where(is_rural, 0.025, 0.002)),
        "children_in_difficulty": rng.binomial(pop, 0.003),
    }
    df = pd.DataFrame(data)
    return _gdf(df, xy)[list(DEMAND_COLUMNS)]


#: Candidate kinds, their share and the facility types each can host.
_CANDIDATE_KINDS = {
    "village_committee": (0.45, "rural_mutual_aid;happy_courtyard;elderly_canteen;childrens_home"),
    "idle_school": (0.30, "township_elderly_center;elderly_institution;rural_mutual_aid;childrens_home"),
    "open_land": (0.15, "elderly_institution;county_disability_care;township_elderly_center;public_cemetery"),
    "upgrade_existing": (0.10, "township_elderly_center;elderly_institution;social_work_station"),
}


def make_candidates(n_sites: int = 2_000, seed: int = 0) -> Any:
    """Seeded candidate sites.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`coverage.model.CANDIDATE_COLUMNS` in :data:`CRS`: ``id`` (``C0001``...), ``kind``
        (:data:`coverage.taxonomy.CANDIDATE_KINDS`), ``can_host``, ``cost_10k_yuan``, ``capacity``, admin
        columns, ``geometry``.
    """
    from coverage.model import CANDIDATE_COLUMNS

    lay = make_layout(seed)
    rng = np.random.default_rng([seed, 4])
    kinds = list(_CANDIDATE_KINDS)
    share = np.array([_CANDIDATE_KINDS[k][0] for k in kinds])
    kind = rng.choice(len(kinds), n_sites, p=share / share.sum())
    village = rng.integers(0, len(lay.village_xy), n_sites)
    township = rng.integers(0, len(lay.township_xy), n_sites)
    at_village = np.isin(kind, [0])  # village committees at a village; the others at or near a township seat
    base = np.where(at_village[:, None], lay.village_xy[village], lay.township_xy[township])
    spread = np.select([at_village, kind == 2], [150.0, 2_500.0], 600.0)
    xy = _clamp(base + rng.normal(0.0, 1.0, (n_sites, 2)) * spread[:, None])
    township = np.where(at_village, lay.village_township[village], township)
    vil = np.where(at_village, village, cKDTree(lay.village_xy).query(xy)[1]).astype(np.int64)
    cost = np.round(rng.lognormal(np.log(np.select([kind == 0, kind == 1, kind == 2], [40.0, 120.0, 600.0],
                                                   80.0)), 0.4), 1)
    capacity = np.round(rng.lognormal(np.log(np.select([kind == 0, kind == 2], [20.0, 120.0], 50.0)), 0.3))
    df = pd.DataFrame({
        "id": [f"C{i + 1:04d}" for i in range(n_sites)],
        "name": [f"候选点{i + 1:04d}" for i in range(n_sites)],
        "kind": np.array(kinds, dtype=object)[kind],
        "can_host": np.array([_CANDIDATE_KINDS[k][1] for k in kinds], dtype=object)[kind],
        "cost_10k_yuan": cost, "capacity": capacity,
        **_admin(lay, township.astype(np.int64), vil),
    })
    return _gdf(df, xy)[list(CANDIDATE_COLUMNS)]


def make_facilities(seed: int = 0, *, counts: dict[str, int] | None = None) -> Any:
    """Seeded existing facilities of several types.

    Parameters
    ----------
    seed
        Random seed.
    counts
        Facility type key -> number of facilities (default :data:`FACILITY_COUNTS`).  Types serving a
        county (funeral homes, child welfare homes, elderly institutions) sit at county or township seats,
        township types at township seats, village types at administrative villages, day care in towns.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`coverage.model.FACILITY_COLUMNS` in :data:`CRS` (``id`` ``F000001``..., ``status`` existing).
    """
    from coverage.model import FACILITY_COLUMNS
    from coverage.taxonomy import FACILITY_TYPES

    lay = make_layout(seed)
    rng = np.random.default_rng([seed, 5])
    counts = dict(FACILITY_COUNTS if counts is None else counts)
    unknown = set(counts) - set(FACILITY_TYPES)
    if unknown:
        raise ValueError(f"unknown facility types {sorted(unknown)}; use keys of coverage.taxonomy.FACILITY_TYPES")
    county_level = {"funeral_home", "child_welfare_home", "elderly_institution", "county_disability_care",
                    "relief_station", "mental_health_rehab"}
    township_level = {"township_elderly_center", "social_work_station", "public_cemetery", "minor_protection_station",
                      "ash_placement", "commercial_cemetery"}
    town_level = {"community_daycare", "elderly_canteen", "childcare_institution", "elderly_activity_center"}
    parts: list[pd.DataFrame] = []
    xys: list[FloatArray] = []
    n_done = 0
    for key, k in counts.items():
        if k <= 0:
            continue
        if key in county_level:
            first = rng.permutation(len(lay.county_xy))[: min(k, len(lay.county_xy))]
            rest = rng.integers(0, len(lay.township_xy), k - len(first))
            township = np.concatenate([first, rest]).astype(np.int64)  # county seats are townships 0..128
            xy = lay.township_xy[township] + rng.normal(0.0, 1_200.0, (k, 2))
        elif key in township_level:
            township = rng.permutation(np.resize(np.arange(len(lay.township_xy)), max(k, 1)))[:k].astype(np.int64)
            spread = 3_000.0 if "cemetery" in key else 400.0
            xy = lay.township_xy[township] + rng.normal(0.0, spread, (k, 2))
        elif key in town_level:
            w = np.r_[lay.city_size * 6.0, np.ones(len(lay.county_xy) - len(lay.city_xy)),
                      np.full(len(lay.township_xy) - len(lay.county_xy), 0.15)]
            township = rng.choice(len(w), k, p=w / w.sum()).astype(np.int64)
            sigma = np.where(township < len(lay.city_xy), 2_000.0 * np.sqrt(lay.city_size[np.minimum(
                township, len(lay.city_xy) - 1)]), 800.0)
            xy = lay.township_xy[township] + rng.normal(0.0, 1.0, (k, 2)) * sigma[:, None]
        else:  # village level
            village = rng.permutation(np.resize(np.arange(len(lay.village_xy)), max(k, 1)))[:k]
            township = lay.village_township[village].astype(np.int64)
            xy = lay.village_xy[village] + rng.normal(0.0, 200.0, (k, 2))
        xy = _clamp(xy)
        vil = cKDTree(lay.village_xy).query(xy)[1].astype(np.int64)
        township = lay.village_township[vil]
        unit = FACILITY_TYPES[key].capacity_unit
        cap_mean = {"beds": 80.0, "places": 30.0, "plots": 2_000.0}.get(unit or "", np.nan)
        capacity = np.round(rng.lognormal(np.log(cap_mean), 0.5, k)) if unit else np.full(k, np.nan)
        zh = FACILITY_TYPES[key].zh
        parts.append(pd.DataFrame({
            "id": [f"F{n_done + i + 1:06d}" for i in range(k)],
            "name": [f"{zh}{i + 1:05d}" for i in range(k)],
            "type": key, "capacity": capacity, "capacity_unit": unit, "status": "existing",
            **_admin(lay, township, vil),
        }))
        xys.append(xy)
        n_done += k
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(FACILITY_COLUMNS)[:-1])
    xy_all = np.vstack(xys) if xys else np.empty((0, 2))
    return _gdf(df, xy_all)[list(FACILITY_COLUMNS)]


# ---------------------------------------------------------------------------------------------- all at once
@dataclass
class Province:
    """Every table of one synthetic province (see :func:`make_province`)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    demand: Any
    candidates: Any
    facilities: Any
    seconds: dict[str, float]


def make_province(n_nodes: int = 3_000_000, seed: int = 0, *, n_demand: int = 100_000, n_candidates: int = 2_000,
                  facility_counts: dict[str, int] | None = None) -> Province:
    """Network, demand, candidates and facilities of one seed; ``seconds`` says how long each took."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    nodes, edges = make_network(n_nodes, seed)
    seconds["network"] = time.perf_counter() - t
    t = time.perf_counter()
    demand = make_demand(n_demand, seed)
    seconds["demand"] = time.perf_counter() - t
    t = time.perf_counter()
    candidates = make_candidates(n_candidates, seed)
    seconds["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    facilities = make_facilities(seed, counts=facility_counts)
    seconds["facilities"] = time.perf_counter() - t
    return Province(nodes, edges, demand, candidates, facilities, seconds)


def _main() -> None:
    import argparse
    import resource

    p = argparse.ArgumentParser(description="Build the synthetic province and print its size and build times.")
    p.add_argument("--n-nodes", type=int, default=3_000_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    prov = make_province(args.n_nodes, args.seed)
    deg = np.bincount(prov.edges["u"].to_numpy(), minlength=len(prov.nodes)) + np.bincount(
        prov.edges["v"].to_numpy(), minlength=len(prov.nodes))
    print(f"nodes {len(prov.nodes):,}  directed edges {len(prov.edges):,}  "
          f"nodes with other than 2 roads {(deg != 4).sum():,}")
    print("road classes:", prov.edges["highway"].value_counts().to_dict())
    print(f"demand {len(prov.demand):,} (population {prov.demand['population'].sum():,})  "
          f"candidates {len(prov.candidates):,}  facilities {len(prov.facilities):,}")
    print("seconds:", {k: round(v, 2) for k, v in prov.seconds.items()})
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")


if __name__ == "__main__":
    _main()
