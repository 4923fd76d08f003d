"""Village and community positions and each village's mountain index (simulated).

Communities (社区) lie near their township seat, villages are spread over the township by
best-candidate sampling; nothing inside the big lakes.  The mountain index is the township's,
-0.15 for a community, plus a little noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from coverage.demo.build.sampling import best_candidate


def place_villages(
    towns: pd.DataFrame,
    vills: pd.DataFrame,
    township_polys: dict[str, shapely.Geometry],
    land: dict[str, shapely.Geometry],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Position (metric ``x``, ``y``) and ``mountain`` index of every village.

    Parameters
    ----------
    towns
        Townships with seats and mountain index, from :func:`~coverage.demo.build.townships.place_townships`.
    vills
        Villages from :func:`~coverage.demo.build.sources.read_divisions` (not modified).
    township_polys, land
        Township areas by township code, and county land (without lakes) by county code, metric.
    rng
        The first stage's generator (drawn from in township-code order).

    Returns
    -------
    pandas.DataFrame
        ``vills`` plus ``x``, ``y`` (metres) and ``mountain`` (0..1).
    """
    vills = vills.copy()
    vills["x"] = np.nan
    vills["y"] = np.nan
    tinfo = towns.set_index("township_code")
    for tcode, grp in vills.groupby("township_code", sort=True):
        t = tinfo.loc[tcode]
        tland = township_polys[tcode].intersection(land[t.county_code])
        if tland.is_empty or tland.area < 1e4:
            tland = township_polys[tcode]
        seat = np.array([t.seat_x, t.seat_y])
        comm = grp[grp["is_community"]]
        rural = grp[~grp["is_community"]]
        placed = np.empty((0, 2))
        if len(comm):
            radius = (500 if t.kind != "street" else 700) + 250 * np.sqrt(len(comm))
            core = shapely.Point(seat).buffer(radius).intersection(tland)
            if core.is_empty or core.area < 1e4:
                core = tland
            xy = best_candidate(core, np.empty((0, 2)), len(comm), rng, jitter=0.5)
            vills.loc[comm.index, ["x", "y"]] = xy
            placed = xy
        if len(rural):
            outer = tland.difference(shapely.Point(seat).buffer(600))
            if outer.is_empty or outer.area < 1e5:
                outer = tland
            xy = best_candidate(outer, np.vstack([placed, seat[None, :]]), len(rural), rng, jitter=0.7)
            vills.loc[rural.index, ["x", "y"]] = xy
    tm = tinfo["mountain"]
    vills["mountain"] = np.clip(
        vills["township_code"].map(tm).to_numpy()
        - 0.15 * vills["is_community"].to_numpy()
        + rng.normal(0, 0.05, len(vills)),
        0,
        1,
    )
    return vills
