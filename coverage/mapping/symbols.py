"""What the printed maps draw: boundaries with names, facilities, villages, graduated symbols.

Each drawing function returns the legend entries of what it drew, built
from the same style (:mod:`.style`) as the marks on the map, so every legend
entry shows its symbol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation

from coverage.mapping import style
from coverage.mapping.labels import styled_text
from coverage.mapping.layout import MM_PER_INCH, Page, metres_per_paper_mm
from coverage.taxonomy import FACILITY_TYPES, label

__all__ = ["boundary_entries", "dots", "draw_boundaries", "draw_facilities", "graduated", "marker",
           "symbol_sizes_pt", "township_totals"]


def marker(shape: str, size_pt: float, colour: str, *, edge: str = "white", edge_pt: float | None = None,
           alpha: float | None = None) -> Line2D:
    """A legend handle: one marker of ``size_pt`` points (already scaled to the sheet).

    The legend shows at least 4 pt, and the outline never covers the fill.
    """
    size = max(size_pt, 4.0)
    width = min(edge_pt if edge_pt is not None else 0.5, size / 8)
    extra: dict[str, Any] = {} if alpha is None else {"alpha": alpha}
    return Line2D([], [], linestyle="none", marker=shape, markersize=size, markerfacecolor=colour,
                  markeredgecolor=edge, markeredgewidth=width, **extra)


def dots(page: Page, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], *, size_pt: float, colour: str,
         shape: str = "o", edge: str = "white", edge_pt: float | None = None, zorder: float) -> Line2D:
    """Villages as equal markers of ``size_pt`` points (scaled); returns their legend handle."""
    width = 0.3 * page.scale if edge_pt is None else edge_pt
    page.ax_map.scatter(xs, ys, s=size_pt**2, marker=shape, c=colour, edgecolors=edge, linewidths=width,
                        zorder=zorder)
    return marker(shape, size_pt, colour, edge=edge, edge_pt=width)


def symbol_sizes_pt(n: int, *, scale: float, small_pt: float = 3.0, large_pt: float = 11.0) -> list[float]:
    """Marker diameters (points) of ``n`` graduated classes, growing by area."""
    if n <= 1:
        return [large_pt * 0.7 * scale]
    areas = np.linspace(small_pt**2, large_pt**2, n)
    return [float(np.sqrt(a)) * scale for a in areas]


def graduated(page: Page, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64],
              values: npt.NDArray[np.float64], *, colour: str, breaks: Sequence[float] | None = None,
              offset_pt: float = 0.0, zorder: float = 10, small_pt: float | None = None,
              large_pt: float | None = None) -> list[tuple[Any, str]]:
    """Graduated circles (classed sizes) for positive values; returns legend entries.

    ``breaks`` default to :func:`coverage.mapping.style.class_breaks` of ``values``
    (the web map uses the same).  Unless given, the largest circle is about the
    typical spacing of the points on paper, within 4..11 pt times the sheet scale.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    breaks = list(breaks) if breaks is not None else style.class_breaks(values, n_classes=4)
    if not breaks:
        return []
    if large_pt is None:
        large_pt = 11.0
        if len(xs) > 2:
            from scipy.spatial import cKDTree

            xy = np.column_stack([xs, ys])
            dist_m, _ = cKDTree(xy).query(xy, k=2)
            spacing_pt = float(np.median(dist_m[:, 1])) / metres_per_paper_mm(page) * 72.0 / MM_PER_INCH
            large_pt = float(np.clip(spacing_pt / page.scale * 1.1, 4.0, 11.0))
    if small_pt is None:
        small_pt = max(large_pt / 3.5, 1.5)
    sizes = symbol_sizes_pt(len(breaks), scale=page.scale, small_pt=small_pt, large_pt=large_pt)
    cls = style.classify(values, breaks)
    positive = values > 0
    order = np.argsort(-values[positive], kind="stable")  # big circles first, small on top
    diam = np.asarray(sizes)[np.minimum(cls[positive], len(sizes) - 1)][order]
    shift = ScaledTranslation(offset_pt * page.scale / 72.0, 0, page.fig.dpi_scale_trans)
    page.ax_map.scatter(xs[positive][order], ys[positive][order], s=diam**2, c=colour, alpha=0.8,
                        edgecolors="white", linewidths=0.35 * page.scale, zorder=zorder,
                        transform=page.ax_map.transData + shift)
    return [(marker("o", d, colour, alpha=0.8), text) for d, text in zip(sizes, style.class_labels(breaks),
                                                                          strict=True)]


def draw_boundaries(page: Page, boundaries: gpd.GeoDataFrame | None, *, label_townships: bool = True,
                    fill: bool = True) -> None:
    """County and township outlines with their names (labels placed later, without collisions)."""
    ax = page.ax_map
    if boundaries is None or not len(boundaries):
        return
    level = boundaries["level"] if "level" in boundaries.columns else pd.Series("county", index=boundaries.index)
    townships = boundaries[level == "township"]
    counties = boundaries[level == "county"]
    outer = boundaries[level.isin(["prefecture", "province"])]
    if fill:
        (counties if len(counties) else boundaries).plot(ax=ax, facecolor="white", edgecolor="none", zorder=0)
    if len(townships):
        townships.boundary.plot(ax=ax, color=style.TOWNSHIP_EDGE, linewidth=0.35 * page.scale,
                                linestyle=(0, (4, 2)), zorder=2)
    if len(counties):
        counties.boundary.plot(ax=ax, color=style.COUNTY_EDGE, linewidth=1.0 * page.scale, zorder=3)
    if len(outer):
        outer.boundary.plot(ax=ax, color=style.INK, linewidth=1.6 * page.scale, zorder=3)
    elif len(counties):
        counties.dissolve().boundary.plot(ax=ax, color=style.INK, linewidth=1.6 * page.scale, zorder=3)
    if label_townships and len(townships) and "name" in townships.columns:
        for geom, name in zip(townships.geometry, townships["name"], strict=True):
            if isinstance(name, str) and name:
                pt = geom.representative_point()
                text = styled_text(ax, pt.x, pt.y, name, ha="center", va="center", fontsize=page.pt(5.2),
                                   color="#555555", zorder=20, halo_pt=1.6 * page.scale)
                page.labels.append((1, text, "township"))
    if len(counties) and "name" in counties.columns:
        for geom, name in zip(counties.geometry, counties["name"], strict=True):
            if isinstance(name, str) and name:
                pt = geom.representative_point()
                text = styled_text(ax, pt.x, pt.y, name, ha="center", va="center", fontsize=page.pt(8.5),
                                   color="#1f1f1f", zorder=21, bold_pt=0.35 * page.scale,
                                   halo_pt=2.8 * page.scale)
                text._area = geom
                page.labels.append((0, text, "county"))


def boundary_entries(page: Page, boundaries: gpd.GeoDataFrame | None) -> list[tuple[Any, str]]:
    """Legend entries of the boundary lines drawn."""
    if boundaries is None or not len(boundaries) or "level" not in boundaries.columns:
        return []
    entries: list[tuple[Any, str]] = []
    if (boundaries["level"] == "county").any():
        entries.append((Line2D([], [], color=style.COUNTY_EDGE, linewidth=1.0 * page.scale),
                        page.text("county_line")))
    if (boundaries["level"] == "township").any():
        entries.append((Line2D([], [], color=style.TOWNSHIP_EDGE, linewidth=0.6 * page.scale,
                               linestyle=(0, (4, 2))), page.text("township_line")))
    return entries


def draw_facilities(page: Page, facilities: gpd.GeoDataFrame | None, *, types: Sequence[str] | None = None,
                    size_pt: float = 5.0, zorder: float = 12, alpha: float = 1.0) -> list[tuple[Any, str]]:
    """Facilities by type (the web map's shape and colour per type); returns legend entries."""
    entries: list[tuple[Any, str]] = []
    if facilities is None or not len(facilities):
        return entries
    ftype = facilities["type"].astype(str) if "type" in facilities.columns else pd.Series("", index=facilities.index)
    present = [t for t in FACILITY_TYPES if (ftype == t).any()]
    if types is not None:
        present = [t for t in present if t in set(types)]
    others = sorted(set(ftype) - set(FACILITY_TYPES)) if types is None else []
    for key in [*present, *others]:
        sub = facilities[ftype == key]
        shape, colour = style.FACILITY_SYMBOLS.get(key, ("circle", "#555555"))
        mk = style.MPL_MARKERS[shape]
        ms = page.pt(size_pt * (1.35 if shape == "star" else 1.0))
        page.ax_map.scatter(sub.geometry.x, sub.geometry.y, s=ms**2, marker=mk, c=colour, edgecolors="white",
                            linewidths=0.3 * page.scale, zorder=zorder, alpha=alpha)
        entries.append((marker(mk, ms, colour, edge_pt=0.4 * page.scale), f"{label(key, page.lang)}（{len(sub)}）"
                        if page.lang == "zh" else f"{label(key, page.lang)} ({len(sub)})"))
    return entries


def township_totals(demand: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Sum demand columns per township polygon (by township code, else by location)."""
    codes = townships["code"].astype(str) if "code" in townships.columns else None
    if codes is not None and "township_code" in demand.columns and demand["township_code"].notna().all():
        sums = demand.groupby(demand["township_code"].astype(str))[list(columns)].sum()
        if sums.index.isin(codes).all():
            return sums.reindex(codes.to_numpy()).fillna(0).set_axis(townships.index)
    joined = gpd.sjoin(demand[[*columns, "geometry"]], townships[["geometry"]], how="left", predicate="within")
    sums = joined.groupby("index_right")[list(columns)].sum()
    return sums.reindex(townships.index).fillna(0)
