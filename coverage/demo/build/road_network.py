"""The simulated road network: street grids, roads between seats, expressways, village roads.

Grids in the seats, trunk / primary roads between county seats, expressways along the region's
corridors, secondary roads from each township seat towards its county seat (plus loops),
tertiary / unclassified / track roads to the villages, dead-end spurs, an access road to every
site off the road; every crossing then becomes a junction.  Roads go round the big lakes and wind
more in the mountains.  The geometry helpers are in :mod:`coverage.demo.roads`.
"""

from __future__ import annotations

import itertools
import logging
from typing import Protocol, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay

from coverage.demo.build.places import Places
from coverage.demo.build.sampling import FloatArray, offset_on_land
from coverage.demo.regions import RegionSpec
from coverage.demo.roads import HIGHWAY_CLASSES, RoadBuilder, meander, split_crossings

logger = logging.getLogger(__name__)


class RoadArrays(TypedDict):
    """The road network as stored in ``roads.npz`` (see :func:`coverage.demo.roads.save_roads`)."""

    node_lonlat: FloatArray  # (n, 2) WGS-84 degrees, rounded to 1e-7
    edges: npt.NDArray[np.int64]  # (m, 5) u, v, highway class, oneway, way id
    length_m: FloatArray
    maxspeed_kph: FloatArray  # NaN where no limit is posted


def street_grid(
    builder: RoadBuilder,
    centre: FloatArray,
    half_m: float,
    spacing_m: float,
    land: shapely.Geometry,
    rng: np.random.Generator,
    *,
    axis_class: str,
    minor_class: str = "residential",
    every: int = 4,
    axis2_class: str = "tertiary",
) -> int:
    """A street grid around ``centre`` clipped to ``land``; returns the node nearest the centre."""
    n = round(half_m / spacing_m)
    ij = np.arange(-n, n + 1)
    a = rng.uniform(0, np.pi / 2)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    gi, gj = np.meshgrid(ij, ij, indexing="ij")
    local = np.column_stack([gi.ravel(), gj.ravel()]).astype(float) * spacing_m
    local += rng.normal(0, 0.12 * spacing_m, local.shape)
    pts = centre + local @ rot.T
    inside = shapely.contains_xy(land, pts[:, 0], pts[:, 1])
    size = 2 * n + 1
    idx = np.arange(size * size).reshape(size, size)
    by_direction = []
    for di, dj in ((1, 0), (0, 1)):
        u = idx[: size - di, : size - dj].ravel()
        w = idx[di:, dj:].ravel()
        line = gj.ravel()[u] if di else gi.ravel()[u]
        by_direction.append(np.column_stack([u, w, line]))
    pairs = np.vstack(by_direction)
    pairs = pairs[inside[pairs[:, 0]] & inside[pairs[:, 1]]]
    if not len(pairs):
        return builder.add_node(centre, minor_class)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(size * size,) * 2)
    _, lab = connected_components(g, directed=False)
    centre_idx = int(idx[n, n]) if inside[idx[n, n]] else int(pairs[0, 0])
    keep = pairs[lab[pairs[:, 0]] == lab[centre_idx]]
    node_of: dict[int, int] = {}
    for u, w, line in keep:
        cls = axis_class if line == 0 else (axis2_class if line % every == 0 else minor_class)
        for k in (u, w):
            if k not in node_of:
                node_of[k] = builder.add_node(pts[k], cls)
        builder.add_way(np.vstack([pts[u], pts[w]]), cls, start=node_of[u], end=node_of[w])
    return node_of[centre_idx]


class Route(Protocol):
    """A road from ``a`` to ``b`` (metric), winding as :func:`coverage.demo.roads.meander` does."""

    def __call__(
        self,
        a: FloatArray,
        b: FloatArray,
        /,
        *,
        ratio: float,
        spacing_m: float,
        rng: np.random.Generator,
        wavelength_m: float = ...,
    ) -> FloatArray: ...


def router(lakes: shapely.Geometry) -> Route:
    """``route(a, b, **meander_kw)``: :func:`meander`, going round the lakes by one or two waypoints."""
    if lakes.is_empty:
        return meander
    shapely.prepare(lakes)
    hull = shapely.get_parts(lakes.buffer(1000))
    ways = np.vstack([np.asarray(shapely.convex_hull(h).simplify(500).exterior.coords)[:-1] for h in hull])

    def clear(p: FloatArray, q: FloatArray) -> bool:
        return not lakes.intersects(shapely.LineString([p, q]))

    def route(
        a: FloatArray,
        b: FloatArray,
        *,
        ratio: float,
        spacing_m: float,
        rng: np.random.Generator,
        wavelength_m: float = 1500.0,
    ) -> FloatArray:
        def wind(p: FloatArray, q: FloatArray) -> FloatArray:
            return meander(p, q, ratio=ratio, spacing_m=spacing_m, rng=rng, wavelength_m=wavelength_m)

        if np.allclose(a, b) or clear(a, b):
            return wind(a, b)
        best: tuple[float, list[FloatArray]] | None = None
        for w in ways:
            if clear(a, w) and clear(w, b):
                d = float(np.hypot(*(a - w)) + np.hypot(*(w - b)))
                if best is None or d < best[0]:
                    best = (d, [w])
        if best is None:
            for w1 in ways:
                if not clear(a, w1):
                    continue
                for w2 in ways:
                    if clear(w1, w2) and clear(w2, b):
                        d = float(np.hypot(*(a - w1)) + np.hypot(*(w1 - w2)) + np.hypot(*(w2 - b)))
                        if best is None or d < best[0]:
                            best = (d, [w1, w2])
        if best is None:
            return wind(a, b)
        pts = [a, *best[1], b]
        parts = [wind(p, q) for p, q in itertools.pairwise(pts)]
        return np.vstack([parts[0], *(part[1:] for part in parts[1:])])

    return route


def network_distance_m(builder: RoadBuilder, sources: list[int], *, limit_m: float = np.inf) -> FloatArray:
    """Road distance (m, both directions open) from each of ``sources`` to every node; ``inf`` past ``limit_m``."""
    e = np.asarray([(u, v) for u, v, *_ in builder.edges])
    xy = builder.xy
    w = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    n = builder.n_nodes
    g = coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]]))),
        shape=(n, n),
    ).tocsr()
    return dijkstra(g, directed=True, indices=sources, limit=limit_m)


def draw_roads(
    spec: RegionSpec,
    pl: Places,
    v: pd.DataFrame,
    rng: np.random.Generator,
    *,
    sites_xy: FloatArray | None = None,
    access_min_m: float = 150.0,
) -> RoadBuilder:
    """Roads: grids in seats, trunk/primary between county seats, expressways,
    secondary from each township seat towards its county seat (plus loops),
    tertiary/unclassified/track to villages, dead-end spurs, an access road to
    every facility or candidate site (``sites_xy``, metric) farther than
    ``access_min_m`` from a drivable road; finally every crossing becomes a junction."""
    b = RoadBuilder()
    route = router(pl.lakes)
    mountain = {c.code: c.mountain for c in spec.counties}
    towns = pl.towns.reset_index(drop=True)
    seat_node: dict[str, int] = {}
    # 1. street grids: county seats large, other township seats small
    for r in towns.itertuples():
        centre = np.array([r.seat_x, r.seat_y])
        land = pl.land[r.county_code]
        if r.is_county_seat:
            seat_node[r.township_code] = street_grid(b, centre, 1500, 150, land, rng, axis_class="primary")
    for r in towns.itertuples():
        if r.is_county_seat:
            continue
        centre = np.array([r.seat_x, r.seat_y])
        cs = towns[(towns["county_code"] == r.county_code) & towns["is_county_seat"]].iloc[0]
        if r.kind == "street" and np.hypot(cs.seat_x - r.seat_x, cs.seat_y - r.seat_y) < 1600:
            seat_node[r.township_code], _ = b.nearest(centre, classes=HIGHWAY_CLASSES[1:7])
            continue
        seat_node[r.township_code] = street_grid(
            b,
            centre,
            450 if r.kind != "xiang" else 300,
            150,
            pl.land[r.county_code],
            rng,
            axis_class="tertiary",
            every=99,
        )
    # 2. trunk (minimum spanning tree) and primary (other short Delaunay edges) between county seats
    cseats = towns[towns["is_county_seat"]].reset_index(drop=True)
    cxy = cseats[["seat_x", "seat_y"]].to_numpy()
    tri = Delaunay(cxy)
    cand = {tuple(sorted((int(s[i]), int(s[j])))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
    cand_l = sorted(cand, key=lambda p: np.hypot(*(cxy[p[0]] - cxy[p[1]])))
    parent = list(range(len(cxy)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in cand_l:
        dist = float(np.hypot(*(cxy[i] - cxy[j])))
        m = 0.5 * (mountain[cseats.at[i, "county_code"]] + mountain[cseats.at[j, "county_code"]])
        tree = find(i) != find(j)
        if not tree and dist > 60000:
            continue
        parent[find(i)] = find(j)
        cls = "trunk" if tree else "primary"
        line = route(cxy[i], cxy[j], ratio=1.1 + 0.2 * m, spacing_m=250, rng=rng, wavelength_m=4000)
        b.add_way(
            line,
            cls,
            start=seat_node[cseats.at[i, "township_code"]],
            end=seat_node[cseats.at[j, "township_code"]],
        )
    # 3. expressways: two one-way carriageways 15 m apart, joined to the seats by short trunk links
    by_county = cseats.set_index("county_code")
    for corridor in spec.motorways:
        for ca, cb in itertools.pairwise(corridor):
            pa = by_county.loc[ca, ["seat_x", "seat_y"]].to_numpy(float)
            pb = by_county.loc[cb, ["seat_x", "seat_y"]].to_numpy(float)
            line = route(pa, pb, ratio=1.06, spacing_m=400, rng=rng, wavelength_m=8000)
            d = np.gradient(line, axis=0)
            nrm = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(np.hypot(*d.T), 1e-9)[:, None]
            for seq in (line + 15 * nrm, (line - 15 * nrm)[::-1]):
                ids = b.add_way(seq, "motorway", oneway=True)
                for end in (ids[0], ids[-1]):
                    near_c = ca if np.hypot(*(b.xy[end] - pa)) < np.hypot(*(b.xy[end] - pb)) else cb
                    b.add_way(
                        np.vstack([b.xy[end], b.xy[seat_node[by_county.loc[near_c, "township_code"]]]]),
                        "trunk",
                        start=end,
                        end=seat_node[by_county.loc[near_c, "township_code"]],
                    )
    # 4. secondary roads to the township seats, nearest first
    others = towns[~towns["is_county_seat"]].copy()
    cs_xy = towns[towns["is_county_seat"]].set_index("county_code")[["seat_x", "seat_y"]]
    others["d"] = np.hypot(
        others["seat_x"].to_numpy() - cs_xy.loc[others["county_code"], "seat_x"].to_numpy(),
        others["seat_y"].to_numpy() - cs_xy.loc[others["county_code"], "seat_y"].to_numpy(),
    )
    # Each runs towards its county seat, as county roads do: to the main-road node already connected
    # to the seat that minimises the new road plus the road distance on from there to the seat.
    road_classes = ("trunk", "primary", "secondary", "tertiary")
    main_class = np.isin(np.arange(len(HIGHWAY_CLASSES)), [HIGHWAY_CLASSES.index(c) for c in road_classes])
    county_seat_node = {
        r.county_code: seat_node[r.township_code] for r in towns[towns["is_county_seat"]].itertuples()
    }
    for r in others.sort_values("d").itertuples():
        start = seat_node[r.township_code]
        to_seat = network_distance_m(b, [county_seat_node[r.county_code]])[0]
        if np.isfinite(to_seat[start]):
            continue  # a street of the county seat, on its grid
        xy = b.xy[start]
        d = np.hypot(*(b.xy - xy).T)
        m = r.mountain
        ratio = 1.15 + 0.3 * m
        allowed = main_class[b.node_class] & (d > 700) & np.isfinite(to_seat)
        if not allowed.any():
            continue
        j = int(np.argmin(np.where(allowed, ratio * d + to_seat, np.inf)))
        line = route(xy, b.xy[j], ratio=ratio, spacing_m=150, rng=rng, wavelength_m=1500 - 600 * m)
        b.add_way(line, "secondary", start=start, end=j)
    # loops: neighbouring township seats whose road distance is over twice the straight line
    txy = towns[["seat_x", "seat_y"]].to_numpy()
    tri = Delaunay(txy)
    seat_pairs = sorted(
        {tuple(sorted((int(s[i]), int(s[j])))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
    )
    nodes = [seat_node[c] for c in towns["township_code"]]
    dist_net = network_distance_m(b, nodes)
    for i, j in seat_pairs:
        straight = float(np.hypot(*(txy[i] - txy[j])))
        if straight > 25000 or dist_net[i, nodes[j]] < 2.0 * straight:
            continue
        m = 0.5 * (towns.at[i, "mountain"] + towns.at[j, "mountain"])
        line = route(
            txy[i], txy[j], ratio=1.15 + 0.3 * m, spacing_m=150, rng=rng, wavelength_m=1500 - 600 * m
        )
        b.add_way(line, "tertiary", start=nodes[i], end=nodes[j])
    # 5. village roads, nearest to their township seat first
    seat_xy = towns.set_index("township_code")[["seat_x", "seat_y"]]
    vd = np.hypot(
        v["x"].to_numpy() - seat_xy.loc[v["township_code"], "seat_x"].to_numpy(),
        v["y"].to_numpy() - seat_xy.loc[v["township_code"], "seat_y"].to_numpy(),
    )
    drivable = tuple(c for c in HIGHWAY_CLASSES[1:] if c != "track")
    track_i = HIGHWAY_CLASSES.index("track")
    village_node = np.zeros(len(v), dtype=np.int64)
    village_track = np.zeros(len(v), dtype=bool)
    for k in np.argsort(vd, kind="stable"):
        r = v.iloc[k]
        m = float(r.mountain)
        land = pl.land[r.county_code]
        end_xy = offset_on_land(np.array([r.x, r.y]), 30, 150, rng, land)
        is_track = (not r.is_community) and m > 0.5 and rng.random() < 0.5 * m and r.population < 2500
        j, dist = b.nearest(end_xy, classes=HIGHWAY_CLASSES[1:] if is_track else drivable)
        if b.node_class[j] == track_i:
            is_track = True
        if r.is_community:
            cls = "residential" if dist < 1000 else "tertiary"
        elif is_track:
            cls = "track"
        else:
            cls = "tertiary" if r.population > 3000 and dist > 1500 else "unclassified"
        if dist < 250:
            line = np.vstack([b.xy[j], end_xy])
        else:
            line = route(
                b.xy[j],
                end_xy,
                ratio=float(np.clip(1.15 + 0.35 * m + rng.normal(0, 0.04), 1.1, 1.6)),
                spacing_m=160,
                rng=rng,
                wavelength_m=900 - 300 * m,
            )
        ids = b.add_way(line, cls, start=j)
        vnode = ids[-1]
        village_node[k] = vnode
        village_track[k] = cls == "track"
        # 6. dead-end spurs into the fields and hamlets
        for _ in range(1 + int(rng.random() < 0.5)):
            spur_cls = (
                "residential"
                if r.is_community
                else ("track" if is_track or rng.random() < 0.6 else "unclassified")
            )
            tip = offset_on_land(b.xy[vnode], 400, 1500, rng, land)
            line = route(b.xy[vnode], tip, ratio=1.2 + 0.2 * m, spacing_m=200, rng=rng, wavelength_m=700)
            b.add_way(line, spur_cls, start=vnode)
    # 7. links between neighbouring villages whose road distance is over twice the straight line
    vxy = b.xy[village_node]
    tri = Delaunay(vxy)
    pairs = np.array(
        sorted(
            {
                tuple(sorted((int(s[i]), int(s[j]))))
                for s in tri.simplices
                for i, j in ((0, 1), (1, 2), (0, 2))
            }
        )
    )
    straight = np.hypot(*(vxy[pairs[:, 0]] - vxy[pairs[:, 1]]).T)
    same_county = v["county_code"].to_numpy()[pairs[:, 0]] == v["county_code"].to_numpy()[pairs[:, 1]]
    pairs, straight = pairs[(straight < 6000) & same_county], straight[(straight < 6000) & same_county]
    ratio = np.empty(len(pairs))
    for a in range(0, len(pairs), 200):
        chunk = pairs[a : a + 200]
        d = network_distance_m(b, list(village_node[chunk[:, 0]]), limit_m=15000)
        ratio[a : a + 200] = d[np.arange(len(chunk)), village_node[chunk[:, 1]]] / straight[a : a + 200]
    for (i, j), rt in zip(pairs, ratio, strict=True):
        if rt < 2.2 or rng.random() < 0.3:
            continue
        m = 0.5 * (v["mountain"].iat[i] + v["mountain"].iat[j])
        cls = "track" if village_track[i] or village_track[j] else "unclassified"
        line = route(
            vxy[i], vxy[j], ratio=1.15 + 0.35 * m, spacing_m=160, rng=rng, wavelength_m=900 - 300 * m
        )
        b.add_way(line, cls, start=int(village_node[i]), end=int(village_node[j]))
    # 8. a driveway to every site off the road (a funeral home or cemetery has its own access road)
    n_access = 0
    for xy in np.asarray(sites_xy if sites_xy is not None else np.empty((0, 2)), dtype=float):
        j, dist = b.nearest(xy, classes=drivable)
        if dist <= access_min_m:
            continue
        line = meander(b.xy[j], xy, ratio=1.15, spacing_m=160, rng=rng, wavelength_m=700)
        b.add_way(line, "unclassified", start=j)
        n_access += 1
    logger.info("%s: %d access roads to facilities and candidate sites", spec.key, n_access)
    # 9. roads meet at grade: a junction wherever two cross, as a road layer noded at crossings reads them
    n_cross = b.split_crossings()
    logger.info("%s: %d road crossings joined by junctions", spec.key, n_cross)
    return b


def road_arrays(spec: RegionSpec, b: RoadBuilder, rng: np.random.Generator) -> RoadArrays:
    """The finished network as stored: WGS-84 nodes (crossings made by rounding joined), geodesic
    lengths and posted speed limits (drawn per way from ``rng``)."""
    to_ll = Transformer.from_crs(f"EPSG:{spec.utm_epsg}", "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(b.xy[:, 0], b.xy[:, 1])
    lon, lat = np.round(lon, 7), np.round(lat, 7)  # as stored
    edges = np.asarray(b.edges, dtype=np.int64)
    # rounding to the stored precision (about 1 cm) must not make new crossings: check, and join any
    x_m, y_m = to_ll.transform(lon, lat, direction="INVERSE")
    xy_m, edges, n_cross = split_crossings(np.column_stack([x_m, y_m]), edges)
    if n_cross or len(xy_m) != len(lon):
        logger.info("%s: %d more crossings after rounding, joined", spec.key, n_cross)
        lon, lat = to_ll.transform(xy_m[:, 0], xy_m[:, 1])
        lon, lat = np.round(lon, 7), np.round(lat, 7)
    _, _, length_m = Geod(ellps="WGS84").inv(
        lon[edges[:, 0]], lat[edges[:, 0]], lon[edges[:, 1]], lat[edges[:, 1]]
    )
    n_ways = int(edges[:, 4].max()) + 1
    way_speed = np.full(n_ways, np.nan)
    way_cls = np.zeros(n_ways, dtype=np.int64)
    way_cls[edges[:, 4]] = edges[:, 2]
    draw = rng.random(n_ways)
    for cls, kph, share in (
        ("motorway", 100, 1.0),
        ("trunk", 80, 0.8),
        ("primary", 60, 0.5),
        ("secondary", 40, 0.3),
    ):
        sel = (way_cls == HIGHWAY_CLASSES.index(cls)) & (draw < share)
        way_speed[sel] = kph
    return {
        "node_lonlat": np.column_stack([lon, lat]),
        "edges": edges,
        "length_m": length_m,
        "maxspeed_kph": way_speed[edges[:, 4]],
    }



def walkable_node_xy(spec: RegionSpec, arrays: RoadArrays) -> FloatArray:
    """Metric coordinates of the stored road nodes on a road one may walk (not a motorway)."""
    walkable = arrays["edges"][arrays["edges"][:, 2] != HIGHWAY_CLASSES.index("motorway")]
    to_m = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.utm_epsg}", always_xy=True)
    return np.column_stack(to_m.transform(*arrays["node_lonlat"][np.unique(walkable[:, :2])].T))
