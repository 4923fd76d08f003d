"""Seeded random draws the build stages share: points in polygons, weighted choices, exact rounding.

Every function takes the stage's :class:`numpy.random.Generator` and draws from it in a fixed
order, so a build with the same seed gives the same files.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

#: Metric coordinates (``(n, 2)`` x/y in metres) or any other float array.
FloatArray = npt.NDArray[np.float64]


def sample_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` uniform random points inside ``poly`` (metric)."""
    minx, miny, maxx, maxy = poly.bounds
    out: list[FloatArray] = []
    got = 0
    shapely.prepare(poly)
    for _ in range(1000):
        pts = np.column_stack([rng.uniform(minx, maxx, 4 * n + 16), rng.uniform(miny, maxy, 4 * n + 16)])
        pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
        out.append(pts)
        got += len(pts)
        if got >= n:
            break
    allpts = np.vstack(out)
    if len(allpts) < n:
        allpts = np.vstack([allpts, np.repeat(np.array(poly.representative_point().coords), n, axis=0)])
    return allpts[:n]


def best_candidate(
    poly: shapely.Geometry,
    existing: FloatArray,
    n: int,
    rng: np.random.Generator,
    *,
    n_try: int = 30,
    jitter: float = 0.6,
) -> FloatArray:
    """``n`` points in ``poly`` spread out (Mitchell's best-candidate sampling).

    ``jitter`` < 1 picks, among the candidates far enough from the rest, a random
    one rather than always the farthest, so the pattern is not a regular grid.
    """
    pts = list(existing)
    out = []
    for _ in range(n):
        cand = sample_in(poly, n_try, rng)
        if pts:
            ref = np.asarray(pts)
            dmin = np.min(
                np.hypot(cand[:, None, 0] - ref[None, :, 0], cand[:, None, 1] - ref[None, :, 1]), axis=1
            )
            ok = np.flatnonzero(dmin >= jitter * dmin.max())
            pick = cand[rng.choice(ok)]
        else:
            pick = cand[0]
        pts.append(pick)
        out.append(pick)
    return np.asarray(out).reshape(-1, 2)


def offset_on_land(
    xy: FloatArray, lo_m: float, hi_m: float, rng: np.random.Generator, land: shapely.Geometry
) -> FloatArray:
    """A point ``lo_m``..``hi_m`` metres from ``xy`` in a random direction, on land."""
    for _ in range(50):
        r, a = rng.uniform(lo_m, hi_m), rng.uniform(0, 2 * np.pi)
        p = xy + r * np.array([np.cos(a), np.sin(a)])
        if shapely.contains_xy(land, p[0], p[1]):
            return p
    return np.asarray(xy, dtype=float)


def choose(n_items: int, k: int, weights: FloatArray, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """``k`` distinct indices, drawn with probability proportional to ``weights``."""
    w = np.asarray(weights, dtype=float) + 1e-12
    return np.sort(rng.choice(n_items, size=k, replace=False, p=w / w.sum()))


def largest_remainder(values: FloatArray, total: int) -> npt.NDArray[np.int64]:
    """Round non-negative ``values`` to integers summing exactly to ``total``."""
    v = np.asarray(values, dtype=float)
    scaled = v / v.sum() * total
    out = np.floor(scaled).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(scaled - out), kind="stable")[:rest]] += 1
    return out

