"""Snapping: where points meet the road network, and the access legs from there into it.

A point joins the network at the nearest point of the nearest road *segment* (not node).  Its access leg is
the straight line to that road point times the mode's detour factor, walked at the mode's access speed, plus
the part of the segment from the road point to either end node (:func:`out_offsets` for a point travelling
from there, :func:`in_offsets` for one reached there).  Two points on one segment may also travel along it
directly (:func:`same_segment_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from coverage.traveltime.compiled import CompiledNetwork

__all__ = ["Snap", "in_offsets", "out_offsets", "part_time", "same_segment_pairs", "snap_points"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Offsets = tuple[IntArray, FloatArray, IntArray, FloatArray]


@dataclass(frozen=True)
class Snap:
    """Where points meet the road network.

    Attributes
    ----------
    edge
        Index of the road segment (-1: not snapped: no geometry, or farther than allowed).
    fraction
        Position of the road point along the segment, 0 at its first node, 1 at its last.
    distance_m
        Straight-line distance from the point to the road point, metres (NaN when not snapped).
    access_min
        Access-leg time: ``distance_m * detour factor`` at the access speed, minutes.
    """

    edge: IntArray
    fraction: FloatArray
    distance_m: FloatArray
    access_min: FloatArray

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        """Which points are on the network."""
        return self.edge >= 0


def snap_points(net: CompiledNetwork, xm: FloatArray, ym: FloatArray, *,
                max_access_distance_m: float | None = None) -> Snap:
    """Snap points given in the network's metric CRS (NaN coordinates: not snapped).

    Parameters
    ----------
    net
        The compiled network.
    xm, ym
        Coordinates in ``net.metric_crs``, metres.
    max_access_distance_m
        Points farther than this from every road are left off the network.
    """
    n = len(xm)
    edge = np.full(n, -1, dtype=np.int64)
    fraction = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    ok = np.isfinite(xm) & np.isfinite(ym)
    if ok.any():
        pts = shapely.points(xm[ok], ym[ok])
        e = np.full(len(pts), -1, dtype=np.int64)
        hit = net.tree.query_nearest(pts, all_matches=False)
        e[hit[0]] = hit[1]
        g = net.seg_geoms_m[e]
        along = shapely.line_locate_point(g, pts)
        glen = net.seg_length_m[e]
        frac = np.where(glen > 0, along / np.where(glen > 0, glen, 1.0), 0.0)
        edge[ok] = e
        fraction[ok] = np.clip(frac, 0.0, 1.0)
        distance[ok] = shapely.distance(g, pts)
    if max_access_distance_m is not None:
        far = distance > max_access_distance_m
        edge[far] = -1
        fraction[far] = np.nan
    mode = net.mode
    access_min = distance * mode.access_detour_factor / (mode.access_speed_kph * 1000.0 / 60.0)
    access_min[edge < 0] = np.nan
    return Snap(edge=edge, fraction=fraction, distance_m=distance, access_min=access_min)


def part_time(share: FloatArray, time_min: FloatArray) -> FloatArray:
    """``share * time_min``, 0 where the share is 0 (a point on a node reaches it even against a oneway)."""
    return np.where(share == 0.0, 0.0, share * time_min)


def out_offsets(net: CompiledNetwork, s: Snap) -> Offsets:
    """For points travelling *from* the road point: (node a, minutes to a, node b, minutes to b), NaN where
    impossible (not snapped, or against a oneway)."""
    e = np.where(s.ok, s.edge, 0)
    to_a = s.access_min + part_time(s.fraction, net.seg_time_ba_min[e])
    to_b = s.access_min + part_time(1.0 - s.fraction, net.seg_time_ab_min[e])
    return net.seg_a[e], to_a, net.seg_b[e], to_b


def in_offsets(net: CompiledNetwork, s: Snap) -> Offsets:
    """For points reached *at* the road point: (node a, minutes from a, node b, minutes from b)."""
    e = np.where(s.ok, s.edge, 0)
    from_a = s.access_min + part_time(s.fraction, net.seg_time_ab_min[e])
    from_b = s.access_min + part_time(1.0 - s.fraction, net.seg_time_ba_min[e])
    return net.seg_a[e], from_a, net.seg_b[e], from_b


def pairs_by_key(key_o: IntArray, key_d: IntArray) -> tuple[IntArray, IntArray]:
    """All (i, j) with ``key_o[i] == key_d[j] >= 0``."""
    d_ok = np.flatnonzero(key_d >= 0)
    order = d_ok[np.argsort(key_d[d_ok], kind="stable")]
    d_key = key_d[order]
    o_ok = np.flatnonzero(key_o >= 0)
    lo = np.searchsorted(d_key, key_o[o_ok], side="left")
    count = np.searchsorted(d_key, key_o[o_ok], side="right") - lo
    i = np.repeat(o_ok, count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(lo, count) + offset]


def same_segment_pairs(net: CompiledNetwork, so: Snap, sd: Snap) -> tuple[IntArray, IntArray, FloatArray]:
    """Origin/destination pairs on the same road segment: (origin index, destination index, minutes) of
    direct travel along it."""
    i, j = pairs_by_key(np.where(so.ok, so.edge, -1), np.where(sd.ok, sd.edge, -1))
    e = so.edge[i]
    fo = so.fraction[i]
    fd = sd.fraction[j]
    along = np.where(fd >= fo, part_time(fd - fo, net.seg_time_ab_min[e]),
                     part_time(fo - fd, net.seg_time_ba_min[e]))
    t = so.access_min[i] + sd.access_min[j] + along
    keep = np.isfinite(t)
    return i[keep], j[keep], t[keep]
