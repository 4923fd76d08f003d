"""Simulated road networks for the demo regions, and their compact storage.

The build (:mod:`coverage.demo.build`) synthesises roads in a metric CRS with
:class:`RoadBuilder`; :func:`save_roads` stores them as a compressed ``.npz`` of
node coordinates and undirected edges; :func:`graph_from_arrays` turns the
arrays into the same kind of graph osmnx returns (``nx.MultiDiGraph``, graph
attribute ``crs``, nodes with ``x``/``y`` in degrees, edges with ``osmid``,
``highway``, ``length`` in metres, ``oneway``, optional ``maxspeed``), so the
demo and OpenStreetMap go through one code path.

The networks are planar (:func:`split_crossings`): roads meet at grade with a
junction wherever they cross, so the exported road layer read back by
:func:`coverage.network.graph_from_road_layer` is the same network.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt

from coverage.errors import NetworkError

__all__ = [
    "HIGHWAY_CLASSES",
    "RoadBuilder",
    "find_crossings",
    "graph_from_arrays",
    "load_road_arrays",
    "merge_close_nodes",
    "save_roads",
    "split_crossings",
]

logger = logging.getLogger(__name__)

#: Road classes in storage order (the npz stores the index).
HIGHWAY_CLASSES: tuple[str, ...] = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "track",
)


def meander(
    start_xy: npt.NDArray[np.float64],
    end_xy: npt.NDArray[np.float64],
    *,
    ratio: float,
    spacing_m: float,
    rng: np.random.Generator,
    wavelength_m: float = 1500.0,
) -> npt.NDArray[np.float64]:
    """A winding polyline from ``start_xy`` to ``end_xy`` (metric CRS).

    The lateral offset is a random sum of sine harmonics that vanish at both
    ends, scaled so that the curve is ``ratio`` times the straight line, then
    resampled every ``spacing_m`` metres along the curve.

    Parameters
    ----------
    start_xy, end_xy
        End points (metres).
    ratio
        Curve length over straight-line length (>= 1).
    spacing_m
        Target distance between successive vertices (metres).
    rng
        Seeded random generator.
    wavelength_m
        Typical wavelength of the bends (metres).

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` vertices, the first and last exactly the end points.
    """
    start_xy = np.asarray(start_xy, dtype=float)
    end_xy = np.asarray(end_xy, dtype=float)
    d = end_xy - start_xy
    dist_m = float(np.hypot(*d))
    if dist_m < 1e-6:
        return np.vstack([start_xy, end_xy])
    k_max = int(np.clip(2 * dist_m / wavelength_m, 2, 200))
    k = np.arange(1, k_max + 1)
    coef = rng.normal(size=k_max) / k**1.2
    n_fine = int(np.clip(dist_m / 10.0, 50, 20000))
    t = np.linspace(0.0, 1.0, n_fine)
    shape = np.sin(np.pi * np.outer(t, k)) @ coef
    shape /= max(np.abs(shape).max(), 1e-9)
    unit = d / dist_m
    normal = np.array([-unit[1], unit[0]])
    base = start_xy + np.outer(t, d)

    def curve(amplitude_m: float) -> npt.NDArray[np.float64]:
        return base + np.outer(amplitude_m * shape, normal)

    def length(c: npt.NDArray[np.float64]) -> float:
        return float(np.hypot(*np.diff(c, axis=0).T).sum())

    target = ratio * dist_m
    lo, hi = 0.0, dist_m
    while length(curve(hi)) < target and hi < 50 * dist_m:
        hi *= 2
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if length(curve(mid)) < target:
            lo = mid
        else:
            hi = mid
    c = curve(0.5 * (lo + hi))
    seg = np.hypot(*np.diff(c, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n_out = max(round(s[-1] / spacing_m), 1)
    s_out = np.linspace(0.0, s[-1], n_out + 1)
    out = np.column_stack([np.interp(s_out, s, c[:, 0]), np.interp(s_out, s, c[:, 1])])
    out[0], out[-1] = start_xy, end_xy
    return out


class RoadBuilder:
    """Grows a road network node by node (metric coordinates).

    Nodes are kept in growing arrays; edges are undirected pairs with a road
    class and a way id (``osmid``), or directed ones for one-way carriageways.
    """

    def __init__(self) -> None:
        self._xy = np.empty((1024, 2))
        self._cls = np.empty(1024, dtype=np.int64)  # best (lowest index) class touching the node
        self.n_nodes = 0
        self.edges: list[tuple[int, int, int, bool, int]] = []  # u, v, class index, oneway, way id
        self._n_ways = 0

    @property
    def xy(self) -> npt.NDArray[np.float64]:
        """Node coordinates, ``(n, 2)`` metres (a view: do not modify)."""
        return self._xy[: self.n_nodes]

    @property
    def node_class(self) -> npt.NDArray[np.int64]:
        """Best (lowest-index) road class touching each node."""
        return self._cls[: self.n_nodes]

    def add_node(self, xy: npt.ArrayLike, highway: str) -> int:
        """Add a node; returns its index."""
        if self.n_nodes == len(self._xy):
            self._xy = np.vstack([self._xy, np.empty_like(self._xy)])
            self._cls = np.concatenate([self._cls, np.empty_like(self._cls)])
        self._xy[self.n_nodes] = np.asarray(xy, dtype=float)
        self._cls[self.n_nodes] = HIGHWAY_CLASSES.index(highway)
        self.n_nodes += 1
        return self.n_nodes - 1

    def add_way(
        self,
        vertices: npt.NDArray[np.float64],
        highway: str,
        *,
        start: int | None = None,
        end: int | None = None,
        oneway: bool = False,
    ) -> list[int]:
        """Add a polyline as a way; ``start``/``end`` reuse existing nodes.

        Returns the node indices along the way.
        """
        cls = HIGHWAY_CLASSES.index(highway)
        ids: list[int] = []
        for i, xy in enumerate(vertices):
            if i == 0 and start is not None:
                ids.append(start)
            elif i == len(vertices) - 1 and end is not None:
                ids.append(end)
            else:
                ids.append(self.add_node(xy, highway))
        way = self._n_ways
        self._n_ways += 1
        for u, v in itertools.pairwise(ids):
            if u != v:
                self.edges.append((u, v, cls, oneway, way))
                self._cls[u] = min(self._cls[u], cls)
                self._cls[v] = min(self._cls[v], cls)
        return ids

    def split_crossings(self, *, snap_m: float = 1.0) -> int:
        """Join every crossing of two edges with a junction node (see :func:`split_crossings`).

        Node indices change (merged and unused nodes go).  Returns the number of crossings joined.
        """
        if not self.edges:
            return 0
        xy, edges, n = split_crossings(self.xy, np.asarray(self.edges, dtype=np.int64), snap_m=snap_m)
        cls = np.full(len(xy), len(HIGHWAY_CLASSES) - 1, dtype=np.int64)
        for col in (0, 1):
            np.minimum.at(cls, edges[:, col], edges[:, 2])
        self._xy, self._cls, self.n_nodes = xy.copy(), cls, len(xy)
        self.edges = [(u, v, c, bool(ow), w) for u, v, c, ow, w in edges.tolist()]
        return n

    def nearest(self, xy: npt.ArrayLike, *, classes: tuple[str, ...]) -> tuple[int, float]:
        """Index of and distance (m) to the nearest node whose best road class is in ``classes``."""
        pts, p = self.xy, np.asarray(xy, dtype=float)
        d = np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])
        allowed = np.isin(self.node_class, [HIGHWAY_CLASSES.index(c) for c in classes])
        d = np.where(allowed, d, np.inf)
        i = int(np.argmin(d))
        return i, float(d[i])


def find_crossings(
    xy: npt.NDArray[np.float64], edges: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pairs of straight edges that cross or touch without sharing a node.

    Parameters
    ----------
    xy
        ``(n, 2)`` node coordinates in a metric CRS (metres).
    edges
        ``(m, >=2)`` integers whose first two columns are the end nodes ``u``, ``v``.

    Returns
    -------
    pairs
        ``(k, 2)`` edge indices ``i < j`` whose segments meet.
    t, s
        Where they meet, as fractions (0..1) along edge ``i`` (from ``u``) and edge ``j``.
        NaN for collinear overlapping segments.
    """
    import shapely

    e = np.asarray(edges, dtype=np.int64)[:, :2]
    if not len(e):
        empty = np.empty(0)
        return np.empty((0, 2), dtype=np.int64), empty, empty
    p, q = xy[e[:, 0]], xy[e[:, 1]]
    segs = shapely.linestrings(np.stack([p, q], axis=1))
    tree = shapely.STRtree(segs)
    pairs = tree.query(segs, predicate="intersects").T
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    a, b = pairs[:, 0], pairs[:, 1]
    shared = (
        (e[a, 0] == e[b, 0]) | (e[a, 0] == e[b, 1]) | (e[a, 1] == e[b, 0]) | (e[a, 1] == e[b, 1])
    )
    pairs = pairs[~shared]
    a, b = pairs[:, 0], pairs[:, 1]
    r, sv, qp = q[a] - p[a], q[b] - p[b], p[b] - p[a]
    denom = r[:, 0] * sv[:, 1] - r[:, 1] * sv[:, 0]
    scale = np.hypot(*r.T) * np.hypot(*sv.T)
    parallel = np.abs(denom) <= 1e-12 * np.maximum(scale, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(parallel, np.nan, (qp[:, 0] * sv[:, 1] - qp[:, 1] * sv[:, 0]) / denom)
        s = np.where(parallel, np.nan, (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / denom)
    return pairs, np.clip(t, 0.0, 1.0), np.clip(s, 0.0, 1.0)


def merge_close_nodes(
    xy: npt.NDArray[np.float64], edges: npt.NDArray[np.int64], *, min_gap_m: float = 2.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], int]:
    """Merge nodes closer than ``min_gap_m`` into one junction, and drop the nodes no edge uses.

    Two roads passing through the same point (e.g. the same way-point round a
    lake) meet there, as a reader joining lines at coincident points sees them.

    Parameters
    ----------
    xy
        ``(n, 2)`` node coordinates, metres.  Not modified.
    edges
        ``(m, k)`` integers, ``u`` and ``v`` first, then the class index.  Not modified.
    min_gap_m
        Nodes closer than this (metres) become the lowest-numbered of them.

    Returns
    -------
    xy, edges
        The nodes still used (in their original order, renumbered) and the
        edges; an edge whose ends merged is dropped, and of parallel edges
        between the same two nodes the one of the best (lowest) class is kept.
    n_merged
        How many nodes were merged into another.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(xy)
    close = cKDTree(xy).query_pairs(min_gap_m, output_type="ndarray")
    rep = np.arange(n)
    if len(close):
        _, label = connected_components(
            coo_matrix((np.ones(len(close)), (close[:, 0], close[:, 1])), shape=(n, n)), directed=False
        )
        first = np.full(label.max() + 1, n)
        np.minimum.at(first, label, np.arange(n))
        rep = first[label]
    e = edges.copy()
    e[:, 0], e[:, 1] = rep[e[:, 0]], rep[e[:, 1]]
    e = e[e[:, 0] != e[:, 1]]
    key = np.sort(e[:, :2], axis=1)
    order = np.lexsort((e[:, 2], key[:, 1], key[:, 0]))  # best class first within each node pair
    uniq = np.r_[True, np.any(key[order][1:] != key[order][:-1], axis=1)]
    keep = np.zeros(len(e), dtype=bool)
    keep[order[uniq]] = True
    e = e[keep]
    used = np.unique(e[:, :2])
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[used] = np.arange(len(used))
    e[:, 0], e[:, 1] = new_id[e[:, 0]], new_id[e[:, 1]]
    return xy[used], e, int((rep != np.arange(n)).sum())


def split_crossings(
    xy: npt.NDArray[np.float64],
    edges: npt.NDArray[np.int64],
    *,
    snap_m: float = 1.0,
    min_gap_m: float = 2.0,
    max_passes: int = 6,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], int]:
    """Make a straight-edged road network planar: a junction node at every crossing.

    Roads in the demo regions meet at grade (as most rural roads do), so where
    two edges cross or one ends on another without a shared node, both are
    split there and joined by a new node; a crossing within ``snap_m`` of an
    edge's end uses that end node instead.  Nodes closer than ``min_gap_m``
    are merged (:func:`merge_close_nodes`).  A road layer read back with its
    lines noded at every crossing and end points joined within a tolerance
    (:func:`coverage.network.graph_from_road_layer`) then gives the same network.

    Parameters
    ----------
    xy
        ``(n, 2)`` node coordinates, metric CRS (metres).  Not modified.
    edges
        ``(m, k)`` integers: ``u``, ``v``, class index, then any other columns
        (oneway, way id), copied to every piece.  Not modified.
    snap_m
        Crossings this close to an edge's end node (metres) join at that node.
    min_gap_m
        Distinct nodes are at least this far apart (metres) in the result.
    max_passes
        Splitting and merging move junctions by a metre or two, which can make
        new crossings; the search is repeated until none is left.

    Returns
    -------
    xy
        Node coordinates: the input nodes still used, in order, then the new junctions.
    edges
        The pieces, each edge's pieces in order from ``u`` to ``v``, in the
        input order (so each way stays a chain).
    n_crossings
        How many crossings were joined.

    Raises
    ------
    NetworkError
        If collinear overlapping edges are found (they cannot be noded into a
        unique network), or crossings remain after ``max_passes``.
    """
    xy = np.asarray(xy, dtype=float)
    edges = np.asarray(edges, dtype=np.int64)
    total = 0
    for _ in range(max_passes):
        xy, edges, n_merged = merge_close_nodes(xy, edges, min_gap_m=min_gap_m)
        pairs, t, s = find_crossings(xy, edges)
        if not len(pairs):
            if n_merged == 0:
                return xy, edges, total
            continue
        if np.isnan(t).any():
            k = int(np.flatnonzero(np.isnan(t))[0])
            i, j = pairs[k]
            raise NetworkError(
                f"road edges {i} and {j} overlap (collinear): the network cannot be made planar; "
                "change the seed or the road layout"
            )
        e_len = np.hypot(*(xy[edges[:, 1]] - xy[edges[:, 0]]).T)
        new_xy: list[npt.NDArray[np.float64]] = []
        splits: dict[int, list[tuple[float, int]]] = {}
        n0 = len(xy)
        for (i, j), ti, sj in zip(pairs.tolist(), t.tolist(), s.tolist(), strict=True):
            node = -1
            for k, f in ((i, ti), (j, sj)):
                if f * e_len[k] <= snap_m:
                    node = int(edges[k, 0])
                elif (1.0 - f) * e_len[k] <= snap_m:
                    node = int(edges[k, 1])
                if node >= 0:
                    break
            if node < 0:
                node = n0 + len(new_xy)
                new_xy.append(xy[edges[i, 0]] + ti * (xy[edges[i, 1]] - xy[edges[i, 0]]))
            for k, f in ((i, ti), (j, sj)):
                if node not in (edges[k, 0], edges[k, 1]):
                    splits.setdefault(k, []).append((f, node))
        if new_xy:
            xy = np.vstack([xy, np.asarray(new_xy)])
        out: list[npt.NDArray[np.int64]] = []
        for k in range(len(edges)):
            cuts = splits.get(k)
            if cuts is None:
                out.append(edges[k : k + 1])
                continue
            chain = [int(edges[k, 0])]
            for _, node in sorted(cuts):
                if node != chain[-1]:
                    chain.append(node)
            if chain[-1] != edges[k, 1]:
                chain.append(int(edges[k, 1]))
            piece = np.repeat(edges[k : k + 1], len(chain) - 1, axis=0)
            piece[:, 0], piece[:, 1] = chain[:-1], chain[1:]
            out.append(piece)
        edges = np.vstack(out)
        total += len(pairs)
        logger.debug("split %d road crossings (%d new junctions)", len(pairs), len(new_xy))
    raise NetworkError(
        f"road crossings remain after {max_passes} passes of splitting: rebuild with another seed"
    )


def save_roads(
    path: Path,
    node_lonlat: npt.NDArray[np.float64],
    edges: npt.NDArray[np.int64],
    length_m: npt.NDArray[np.float64],
    maxspeed_kph: npt.NDArray[np.float64],
) -> None:
    """Store a road network compactly.

    Parameters
    ----------
    path
        ``.npz`` file to write.
    node_lonlat
        ``(n, 2)`` WGS-84 degrees.
    edges
        ``(m, 5)`` integers: u, v, class index in :data:`HIGHWAY_CLASSES`, oneway (0/1), way id.
        Two-way roads are stored once and expanded to both directions on load.
    length_m
        Edge lengths (metres).
    maxspeed_kph
        Posted speed limit (km/h), NaN where none is posted.
    """
    np.savez_compressed(
        path,
        node_lonlat=np.round(node_lonlat, 7),
        edges=edges.astype(np.int32),
        length_m=np.round(length_m, 2).astype(np.float32),
        maxspeed_kph=maxspeed_kph.astype(np.float32),
        highway_classes=np.array(HIGHWAY_CLASSES),
    )


def load_road_arrays(path: Path) -> dict[str, npt.NDArray]:
    """The arrays written by :func:`save_roads`."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def graph_from_arrays(arrays: dict[str, npt.NDArray], *, name: str = "demo") -> nx.MultiDiGraph:
    """Build an osmnx-style graph from the stored arrays.

    Parameters
    ----------
    arrays
        As returned by :func:`load_road_arrays`.
    name
        Graph name (``G.graph["name"]``).

    Returns
    -------
    networkx.MultiDiGraph
        ``G.graph["crs"] == "EPSG:4326"``; nodes ``x``, ``y`` (degrees); edges
        ``osmid`` (way id), ``highway``, ``length`` (m), ``oneway``, ``reversed``
        and ``maxspeed`` (km/h as a string, as OSM tags it) where posted.

    Raises
    ------
    NetworkError
        If the arrays are inconsistent.
    """
    lonlat = arrays["node_lonlat"]
    edges = arrays["edges"]
    classes = [str(c) for c in arrays["highway_classes"]]
    if edges.size and int(edges[:, :2].max()) >= len(lonlat):
        raise NetworkError(
            "demo road arrays: an edge refers to a node that does not exist (rebuild the demo)"
        )
    G = nx.MultiDiGraph(crs="EPSG:4326", name=name, simplified=False)
    G.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(lonlat.tolist()))
    highway = [classes[c] for c in edges[:, 2].tolist()]
    maxspeed = [None if ms != ms else str(int(ms)) for ms in arrays["maxspeed_kph"].tolist()]
    # Fill the adjacency dicts directly (networkx's documented dict-of-dict-of-dict-of-dict layout:
    # succ[u][v] and pred[v][u] share one {key: data} dict); add_edges_from is several times slower.
    succ, pred = G._succ, G._pred
    length_m = arrays["length_m"].astype(float).round(2).tolist()
    for (u, v, _, oneway, way), len_m, hw, ms in zip(edges.tolist(), length_m, highway, maxspeed, strict=True):
        attr = {"osmid": way, "highway": hw, "oneway": bool(oneway), "reversed": False, "length": len_m}
        if ms is not None:
            attr["maxspeed"] = ms
        pairs = ((u, v, attr),) if oneway else ((u, v, attr), (v, u, {**attr, "reversed": True}))
        for a, b, data in pairs:
            keydict = succ[a].get(b)
            if keydict is None:
                keydict = succ[a][b] = pred[b][a] = {}
            keydict[len(keydict)] = data
    return G
