"""Simulated road networks for the demo regions, and their compact storage.

The build (:mod:`coverage.demo.build`) synthesises roads in a metric CRS with
:class:`RoadBuilder`; :func:`save_roads` stores them as a compressed ``.npz`` of
node coordinates and undirected edges; :func:`graph_from_arrays` turns the
arrays into the same kind of graph osmnx returns (``nx.MultiDiGraph``, graph
attribute ``crs``, nodes with ``x``/``y`` in degrees, edges with ``osmid``,
``highway``, ``length`` in metres, ``oneway``, optional ``maxspeed``), so the
demo and OpenStreetMap go through one code path.
"""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt

from coverage.errors import NetworkError

__all__ = ["HIGHWAY_CLASSES", "RoadBuilder", "graph_from_arrays", "load_road_arrays", "save_roads"]

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
    n_out = max(int(round(s[-1] / spacing_m)), 1)
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
        for u, v in zip(ids[:-1], ids[1:]):
            if u != v:
                self.edges.append((u, v, cls, oneway, way))
                self._cls[u] = min(self._cls[u], cls)
                self._cls[v] = min(self._cls[v], cls)
        return ids

    def nearest(self, xy: npt.ArrayLike, *, classes: tuple[str, ...]) -> tuple[int, float]:
        """Index of and distance (m) to the nearest node whose best road class is in ``classes``."""
        pts = self.xy
        d = np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1])
        allowed = np.isin(self.node_class, [HIGHWAY_CLASSES.index(c) for c in classes])
        d = np.where(allowed, d, np.inf)
        i = int(np.argmin(d))
        return i, float(d[i])


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
    for (u, v, _, oneway, way), len_m, hw, ms in zip(edges.tolist(), length_m, highway, maxspeed):
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
