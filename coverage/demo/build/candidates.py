"""Candidate sites for new facilities: idle schools, village committee buildings, upgrades, land.

Every village and community has a village committee building (村委会/居委会用房) among the
candidate sites, on a road at most 200 m along the roads from the village
(:func:`place_village_committees`, run on the finished road network).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from coverage.demo.build.facilities import short_county
from coverage.demo.build.places import Places
from coverage.demo.build.sampling import FloatArray, offset_on_land
from coverage.demo.regions import RegionSpec
from coverage.demo.roads import HIGHWAY_CLASSES, RoadBuilder
from coverage.model import HOST_SEPARATOR

logger = logging.getLogger(__name__)

#: Facility types each kind of candidate site can host.
CANDIDATE_HOSTS: dict[str, tuple[str, ...]] = {
    "idle_school": (
        "township_elderly_center",
        "community_daycare",
        "rural_mutual_aid",
        "happy_courtyard",
        "childrens_home",
        "elderly_canteen",
        "minor_protection_station",
    ),
    "village_committee": (
        "happy_courtyard",
        "childrens_home",
        "rural_mutual_aid",
        "elderly_canteen",
        "community_daycare",
        "social_work_station",
    ),
    "upgrade_existing": (
        "township_elderly_center",
        "community_daycare",
        "elderly_canteen",
        "happy_courtyard",
    ),
    "open_land": (
        "elderly_institution",
        "county_disability_care",
        "township_elderly_center",
        "ash_placement",
        "eco_burial",
        "public_cemetery",
    ),
}
#: Conversion / build cost range per kind, 10k yuan (万元), drawn uniformly.
CANDIDATE_COST_10K_YUAN: dict[str, tuple[float, float]] = {
    "idle_school": (80, 250),
    "village_committee": (15, 60),
    "upgrade_existing": (50, 200),
    "open_land": (300, 1200),
}
#: Capacity range per kind (beds or places, the hosted type's unit), drawn uniformly.
CANDIDATE_CAPACITY: dict[str, tuple[float, float]] = {
    "idle_school": (40, 120),
    "village_committee": (15, 40),
    "upgrade_existing": (20, 60),
    "open_land": (60, 200),
}


def draw_candidates(
    spec: RegionSpec,
    pl: Places,
    v: pd.DataFrame,
    fac: pd.DataFrame,
    names: dict[str, str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """At least two candidate sites per township (idle school + village committee), plus upgrades and land.

    Village committee buildings in the villages not drawn here are added after the
    roads are built, by :func:`place_village_committees`.
    """
    hosts = CANDIDATE_HOSTS
    cost = CANDIDATE_COST_10K_YUAN
    cap = CANDIDATE_CAPACITY
    vxy = v[["x", "y"]].to_numpy()
    has_ch = np.zeros(len(v), bool)
    has_ch[fac.loc[fac["type"] == "childrens_home", "host"].to_numpy()] = True
    rows: list[dict] = []

    def add(kind: str, host: int, xy: FloatArray, name: str) -> None:
        lo, hi = cost[kind]
        clo, chi = cap[kind]
        rows.append(
            {
                "kind": kind,
                "name": name,
                "host": host,
                "x": xy[0],
                "y": xy[1],
                "can_host": HOST_SEPARATOR.join(hosts[kind]),
                "cost_10k_yuan": float(round(rng.uniform(lo, hi))),
                "capacity": float(round(rng.uniform(clo, chi))) if rng.random() < 0.7 else np.nan,
            }
        )

    for tcode, grp in v.groupby("township_code", sort=True):
        idx = grp.index.to_numpy()
        land = pl.land[grp["county_code"].iloc[0]]
        rural = idx[~grp["is_community"].to_numpy()]
        pool = rural if len(rural) else idx
        n_school = 1 + int(rng.random() < 0.5)
        for h in rng.choice(pool, size=min(n_school, len(pool)), replace=False):
            add(
                "idle_school",
                int(h),
                offset_on_land(vxy[h], 150, 400, rng, land),
                f"原{v.at[h, 'village_name']}小学闲置校舍",
            )
        n_comm = 1 + int(rng.random() < 0.4)
        w = np.where(has_ch[idx], 1.0, 4.0)
        for h in rng.choice(idx, size=min(n_comm, len(idx)), replace=False, p=w / w.sum()):
            add(
                "village_committee",
                int(h),
                offset_on_land(vxy[h], 20, 80, rng, land),  # moved onto the roads by place_village_committees
                committee_name(v.at[h, "full_name"]),
            )
        if rng.random() < 0.35:
            ex = fac[
                fac["host"].isin(idx)
                & fac["type"].isin(["happy_courtyard", "rural_mutual_aid", "community_daycare"])
            ]
            if len(ex):
                r = ex.iloc[int(rng.integers(len(ex)))]
                add("upgrade_existing", int(r.host), np.array([r.x, r.y]), f"{r['name']}提升改造")
        if rng.random() < 0.25:
            tr = pl.towns.set_index("township_code").loc[tcode]
            h = int(idx[np.argmin(np.hypot(vxy[idx, 0] - tr.seat_x, vxy[idx, 1] - tr.seat_y))])
            add(
                "open_land",
                h,
                offset_on_land(np.array([tr.seat_x, tr.seat_y]), 500, 1500, rng, land),
                f"{names[tcode]}规划养老用地",
            )
    for tr in pl.towns[pl.towns["is_county_seat"]].itertuples():
        idx = np.flatnonzero((v["township_code"] == tr.township_code).to_numpy())
        h = int(idx[np.argmin(np.hypot(vxy[idx, 0] - tr.seat_x, vxy[idx, 1] - tr.seat_y))])
        add(
            "open_land",
            h,
            offset_on_land(np.array([tr.seat_x, tr.seat_y]), 1000, 3000, rng, pl.land[tr.county_code]),
            f"{short_county(names[tr.county_code])}社会福利园区规划用地",
        )
    return pd.DataFrame(rows)


def committee_name(full_name: str) -> str:
    """The committee building's name from the official committee name.

    "聂耳社区居民委员会" -> "聂耳社区居委会用房", "大营村民委员会" -> "大营村委会用房".
    """
    short = str(full_name).replace("村民委员会", "村委会").replace("居民委员会", "居委会")
    if not short.endswith(("村委会", "居委会")):
        short += "居委会" if "社区" in short else "村委会"
    return f"{short}用房"


def place_village_committees(
    spec: RegionSpec,
    v: pd.DataFrame,
    roads: RoadBuilder,
    cand: pd.DataFrame,
    *,
    lakes: shapely.Geometry | None = None,
    near_m: tuple[float, float] = (30.0, 200.0),
    chunk: int = 64,
) -> pd.DataFrame:
    """A village committee building (村委会/居委会用房) in every village, on the road.

    Every village and community has a committee building, a standard conversion
    site for a 幸福小院, 互助养老站 or 儿童之家.  Each is put on a random road node
    ``near_m`` metres along the walkable roads from where the village joins them
    (the nearest point of the nearest road, as a travel-time engine snaps it), at
    most ``near_m[1]`` from the village point and not within 50 m of a lake; if
    there is none, at the village point itself.  Either way it is a short walk
    from the village, whatever road it sits on.

    The committee rows :func:`draw_candidates` drew (before the roads existed, from the
    main generator, whose sequence the roads continue) keep their id, cost and
    capacity and are moved here; the villages without one get a new row, appended
    in village order.  These draws come from their own generator (the region's seed
    and 1), so the roads are those of the build without them.

    Parameters
    ----------
    spec
        The region.
    v
        Villages with metric ``x, y`` and ``full_name``.
    roads
        The finished road builder (after crossings are joined), metric.
    cand
        Candidate rows from :func:`draw_candidates` (not modified).
    lakes
        Water (metric): no site on a road node within 50 m of it (lakeshore roads, bridges).
    near_m
        Distance range along the roads from the village's road point, metres.
    chunk
        Villages per shortest-path batch (memory: ``chunk`` x road nodes floats).

    Returns
    -------
    pandas.DataFrame
        ``cand`` with the committee rows placed and one more per village lacking one.
    """
    rng = np.random.default_rng([spec.seed, 1])
    e = np.asarray([(u, w, c) for u, w, c, *_ in roads.edges], dtype=np.int64)
    e = e[e[:, 2] != HIGHWAY_CLASSES.index("motorway")]  # no walking on expressways
    xy = roads.xy
    n = roads.n_nodes
    length_m = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    g = coo_matrix(
        (
            np.concatenate([length_m, length_m]),
            (np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]])),
        ),
        shape=(n, n),
    ).tocsr()
    # the village joins the roads where a travel-time engine snaps it: the nearest point of the nearest road
    vxy = v[["x", "y"]].to_numpy(float)
    lines = shapely.linestrings(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1))
    pts = shapely.points(vxy)
    hit = shapely.STRtree(lines).query_nearest(pts, all_matches=False)
    snap_edge = np.empty(len(v), dtype=np.int64)
    snap_edge[hit[0]] = hit[1]
    along_m = shapely.line_locate_point(lines[snap_edge], pts)
    to_u_m, to_w_m = along_m, length_m[snap_edge] - along_m
    dry = np.ones(n, dtype=bool)
    if lakes is not None and not lakes.is_empty:
        dry = ~shapely.contains_xy(lakes.buffer(50.0), xy[:, 0], xy[:, 1])
    site_xy = np.zeros((len(v), 2))
    n_at_village = 0
    for a in range(0, len(v), chunk):
        ends = e[snap_edge[a : a + chunk], :2]
        du = dijkstra(g, directed=True, indices=ends[:, 0], limit=near_m[1])
        dw = dijkstra(g, directed=True, indices=ends[:, 1], limit=near_m[1])
        d = np.minimum(du + to_u_m[a : a + chunk, None], dw + to_w_m[a : a + chunk, None])
        for i, row in enumerate(d):
            ok = np.flatnonzero((row >= near_m[0]) & (row <= near_m[1]) & dry)
            ok = ok[np.hypot(*(xy[ok] - vxy[a + i]).T) <= near_m[1]]
            if len(ok):
                site_xy[a + i] = xy[int(rng.choice(ok))]
            else:  # at the village point itself, which joins the same road
                site_xy[a + i] = vxy[a + i]
                n_at_village += 1

    out = cand.copy()
    is_vc = (out["kind"] == "village_committee").to_numpy()
    hosts = out.loc[is_vc, "host"].to_numpy(dtype=np.int64)
    out.loc[is_vc, "x"] = site_xy[hosts, 0]
    out.loc[is_vc, "y"] = site_xy[hosts, 1]
    lo, hi = CANDIDATE_COST_10K_YUAN["village_committee"]
    clo, chi = CANDIDATE_CAPACITY["village_committee"]
    rows: list[dict] = []
    for h in np.setdiff1d(np.arange(len(v)), hosts):
        rows.append(
            {
                "kind": "village_committee",
                "name": committee_name(v.at[h, "full_name"]),
                "host": int(h),
                "x": float(site_xy[h, 0]),
                "y": float(site_xy[h, 1]),
                "can_host": HOST_SEPARATOR.join(CANDIDATE_HOSTS["village_committee"]),
                "cost_10k_yuan": float(round(rng.uniform(lo, hi))),
                "capacity": float(round(rng.uniform(clo, chi))) if rng.random() < 0.7 else np.nan,
            }
        )
    logger.info(
        "%s: village committee sites in all %d villages (%d new; %d at the village point, no road node near)",
        spec.key,
        len(v),
        len(rows),
        n_at_village,
    )
    return pd.concat([out, pd.DataFrame(rows)], ignore_index=True)

