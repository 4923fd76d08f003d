"""Printed maps: A4/A3, portrait or landscape, PDF (vector, fonts embedded) and PNG.

Three kinds of map, each a :class:`matplotlib.figure.Figure` laid out as a
bureau prints it: a title, the map in a neat line with county and township
boundaries and their names, a north arrow pointing to true north, a scale bar
in kilometres, a legend, a panel of figures, and a footer with the data
source, the date and the coordinate system; demo data carry a red
"示例数据（模拟）" mark.

* :func:`distribution_map` -- where older people and left-behind children live:
  graduated symbols per village, or a township choropleth with symbols;
* :func:`coverage_map` -- one service: its service areas, covered and uncovered
  villages, facilities by type;
* :func:`proposal_map` -- a siting proposal: existing and proposed sites, the
  villages newly covered, before/after figures.

People are shown only as counts per village or township, never individually.
The map is drawn in the UTM zone of the data (a metric, conformal projection),
so the scale bar is exact to within 0.1 % anywhere on the sheet.

Library functions take plain GeoDataFrames (the canonical tables of
:mod:`coverage.model`) so the app can print a user's own data; :func:`save_map`
writes ``.pdf`` or ``.png`` (300 dpi) and :func:`map_bytes` returns the bytes for
a download button.

Example
-------
>>> from coverage.demo import load_demo
>>> from coverage.mapping.printmap import distribution_map, save_map
>>> region = load_demo("yuxi")
>>> fig = distribution_map(region.demand, boundaries=region.boundaries,
...                        region_name=region.name_zh, simulated=True)
>>> save_map(fig, "maps/yuxi_distribution.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox, ScaledTranslation

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.mapping.fonts import cjk_rc, warn_missing_glyphs
from coverage.output import output_path
from coverage.taxonomy import FACILITY_TYPES, POPULATION_GROUPS, label

__all__ = [
    "MAP_KINDS",
    "ORIENTATIONS",
    "PAPER_SIZES_MM",
    "DEFAULT_SOURCE",
    "DEMO_SOURCE",
    "SIMULATED_MARK",
    "coverage_map",
    "distribution_map",
    "map_bytes",
    "page_size_mm",
    "proposal_map",
    "save_map",
]

logger = logging.getLogger(__name__)

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

#: Page orientations.
ORIENTATIONS = ("landscape", "portrait")

#: Kinds of printed map.
MAP_KINDS = ("distribution", "coverage", "proposal")

#: The mark printed on maps of demo (simulated) data.
SIMULATED_MARK = "示例数据（模拟）"

#: Default data source line.
DEFAULT_SOURCE = "民政部门统计数据；道路：OpenStreetMap 贡献者"

#: Data source line of maps of the demo regions (used when ``simulated`` and no source is given).
DEMO_SOURCE = "示例数据（模拟）：县界及乡镇、村名称与代码为真实，位置、人口、设施和道路为模拟"

_MM_PER_INCH = 25.4

# Colours: muted, print-friendly, distinguishable in greyscale where it matters.
_INK = "#222222"
_TITLE_INK = "#000000"  # the title: heavier than _INK, as the font has a single weight
_COUNTY_EDGE = "#3a3a3a"
_TOWNSHIP_EDGE = "#8c8c8c"
_LAND = "#fbfaf6"
_GROUP_COLOURS = {"elderly": "#d9822b", "child": "#2b7bb9", "all": "#7b5ea7"}
_COVERED = "#2e9e5b"
_UNCOVERED = "#d7301f"
_NEWLY = "#f28e2b"
_PROPOSED = "#c51b7d"
_AREA_FILL = "#a6dba0"
_CATEGORY_MARKERS = {"care": "s", "child": "^", "funeral": "D"}
_TYPE_COLOURS = [
    "#1b9e77",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#a6761d",
    "#1f78b4",
    "#b15928",
    "#6a3d9a",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#4d4d4d",
    "#fb9a99",
    "#cab2d6",
    "#b2df8a",
    "#80b1d3",
]
_TYPE_COLOUR = {key: _TYPE_COLOURS[i % len(_TYPE_COLOURS)] for i, key in enumerate(FACILITY_TYPES)}


# --------------------------------------------------------------------------------------------------
# Page geometry


def page_size_mm(paper: str = "A4", orientation: str = "landscape") -> tuple[float, float]:
    """Width and height of a sheet in millimetres.

    Parameters
    ----------
    paper
        "A4" or "A3" (case-insensitive).
    orientation
        "landscape" or "portrait".

    Returns
    -------
    tuple of float
        (width_mm, height_mm).

    Raises
    ------
    InputError
        For an unknown paper size or orientation.

    Example
    -------
    >>> page_size_mm("A3", "landscape")
    (420.0, 297.0)
    """
    key = str(paper).upper()
    if key not in PAPER_SIZES_MM:
        raise InputError(f"unknown paper size '{paper}': use one of {', '.join(PAPER_SIZES_MM)}")
    if orientation not in ORIENTATIONS:
        raise InputError(f"unknown orientation '{orientation}': use 'landscape' (横向) or 'portrait' (纵向)")
    short_mm, long_mm = PAPER_SIZES_MM[key]
    return (long_mm, short_mm) if orientation == "landscape" else (short_mm, long_mm)


@dataclass
class _Page:
    """A laid-out sheet: figure, map axes, legend and info panels, sizes in points."""

    fig: Figure
    ax_map: Any
    ax_legend: Any
    ax_info: Any
    scale: float  # 1 on A4, sqrt(2) on A3: everything printed grows with the sheet
    landscape: bool
    labels: list[tuple[int, Any]] = field(default_factory=list)  # (priority, Text) for de-cluttering
    obstacles: list[tuple[float, float, float]] = field(
        default_factory=list
    )  # (x, y, size_pt): keep labels off

    def pt(self, size_pt: float) -> float:
        return size_pt * self.scale


def _new_page(
    *,
    paper: str,
    orientation: str,
    title: str,
    subtitle: str | None,
    source: str | None,
    date: str,
    crs_note: str,
    simulated: bool,
) -> _Page:
    width_mm, height_mm = page_size_mm(paper, orientation)
    scale = width_mm / 297.0 if orientation == "landscape" else width_mm / 210.0
    fig = Figure(figsize=(width_mm / _MM_PER_INCH, height_mm / _MM_PER_INCH))
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")

    def fx(mm: float) -> float:
        return mm / width_mm

    def fy(mm: float) -> float:
        return mm / height_mm

    margin_mm = 10.0 * scale
    title_mm = (24.0 if subtitle else 18.0) * scale
    footer_mm = 10.0 * scale
    landscape = orientation == "landscape"
    top_mm = height_mm - margin_mm - title_mm
    bottom_mm = margin_mm + footer_mm
    if landscape:
        panel_mm = 0.25 * (width_mm - 2 * margin_mm)
        gap_mm = 5.0 * scale
        map_w_mm = width_mm - 2 * margin_mm - panel_mm - gap_mm
        ax_map = fig.add_axes((fx(margin_mm), fy(bottom_mm), fx(map_w_mm), fy(top_mm - bottom_mm)))
        px = margin_mm + map_w_mm + gap_mm
        split_mm = bottom_mm + 0.42 * (top_mm - bottom_mm)
        ax_legend = fig.add_axes((fx(px), fy(split_mm), fx(panel_mm), fy(top_mm - split_mm)))
        ax_info = fig.add_axes((fx(px), fy(bottom_mm), fx(panel_mm), fy(split_mm - bottom_mm - 3 * scale)))
    else:
        panel_h_mm = 0.27 * (top_mm - bottom_mm)
        gap_mm = 4.0 * scale
        full_w_mm = width_mm - 2 * margin_mm
        map_bottom_mm = bottom_mm + panel_h_mm + gap_mm
        ax_map = fig.add_axes((fx(margin_mm), fy(map_bottom_mm), fx(full_w_mm), fy(top_mm - map_bottom_mm)))
        half_mm = full_w_mm / 2
        ax_legend = fig.add_axes((fx(margin_mm), fy(bottom_mm), fx(half_mm - 2 * scale), fy(panel_h_mm)))
        ax_info = fig.add_axes(
            (fx(margin_mm + half_mm + 2 * scale), fy(bottom_mm), fx(half_mm - 2 * scale), fy(panel_h_mm))
        )
    for ax in (ax_legend, ax_info):
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    ax_map.set_facecolor(_LAND)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    for spine in ax_map.spines.values():
        spine.set_linewidth(1.2 * scale)
        spine.set_color(_INK)

    if source is None:
        source = DEMO_SOURCE if simulated else DEFAULT_SOURCE
    page = _Page(fig, ax_map, ax_legend, ax_info, scale, landscape)
    title_y = 1 - fy(margin_mm + 9.0 * scale)
    # The title is plain text in pure black, with no faux-bold outline underneath: the shipped font has one
    # weight, and an outline drawn under rasterised text shows as doubled glyphs in the app's preview
    # (110 dpi) and in low-resolution renderings of the PDF.  (Larger than 20 pt, pdftotext splits a title
    # that mixes CJK and Latin glyphs into pieces: the PDF's text would no longer search as one phrase.)
    title_text = fig.text(
        0.5, title_y, title, ha="center", va="center", fontsize=page.pt(20), color=_TITLE_INK, gid="title"
    )
    title_px = title_text.get_window_extent(fig.canvas.get_renderer()).width
    room_px = (1 - 2 * fx(margin_mm)) * fig.bbox.width
    if title_px > room_px:  # a long title shrinks to the sheet's width rather than running off it
        title_text.set_fontsize(page.pt(20) * room_px / title_px)
    if subtitle:
        fig.text(
            0.5,
            1 - fy(margin_mm + 17.5 * scale),
            subtitle,
            ha="center",
            va="center",
            fontsize=page.pt(10.5),
            color="#444444",
        )
    # footer: source on the upper line, coordinate system below it, date on the right
    upper_y, lower_y = fy(margin_mm + 5.0 * scale), fy(margin_mm + 1.2 * scale)
    footer = {"va": "center", "fontsize": page.pt(7), "color": "#444444"}
    fig.text(fx(margin_mm), upper_y, f"数据来源：{source}", ha="left", **footer)
    fig.text(fx(margin_mm), lower_y, crs_note, ha="left", **footer)
    fig.text(1 - fx(margin_mm), upper_y, f"制图日期：{date}", ha="right", **footer)
    if simulated:
        ax_map.text(
            0.012,
            0.985,
            SIMULATED_MARK,
            transform=ax_map.transAxes,
            ha="left",
            va="top",
            fontsize=page.pt(11),
            color="#c00000",
            zorder=30,
            bbox={
                "boxstyle": "square,pad=0.35",
                "facecolor": "white",
                "edgecolor": "#c00000",
                "linewidth": 1.2 * scale,
            },
        )
        _text(
            ax_map,
            0.012,
            0.985,
            SIMULATED_MARK,
            transform=ax_map.transAxes,
            ha="left",
            va="top",
            fontsize=page.pt(11),
            color="#c00000",
            zorder=30.5,
            bold_pt=0.4 * scale,
            underlay_only=True,
        )
        _text(
            ax_map,
            0.012,
            0.985 - 0.045,
            "仅供演示，不代表真实情况",
            transform=ax_map.transAxes,
            ha="left",
            va="top",
            fontsize=page.pt(7),
            color="#c00000",
            zorder=30,
            halo_pt=1.6 * scale,
        )
    return page


# --------------------------------------------------------------------------------------------------
# Data checks and projection


def _check_layer(gdf: Any, what: str, *, required: Sequence[str] = ()) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(f"{what} has no coordinate reference system: set one, e.g. gdf.set_crs('EPSG:4326')")
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        raise MissingColumnError(
            f"{what}: column(s) {', '.join(missing)} missing; present: {', '.join(map(str, gdf.columns))}"
        )
    return gdf


def _check_group(demand: gpd.GeoDataFrame, group: str) -> str:
    if group not in POPULATION_GROUPS:
        raise InputError(f"unknown population group '{group}': use one of {', '.join(POPULATION_GROUPS)}")
    if group not in demand.columns:
        raise MissingColumnError(
            f"demand: column '{group}' ({label(group)}) missing; present: "
            f"{', '.join(map(str, demand.columns))}"
        )
    return group


def _metric_crs(*layers: gpd.GeoDataFrame | None) -> Any:
    for layer in layers:
        if layer is not None and len(layer):
            return layer.to_crs("EPSG:4326").estimate_utm_crs()
    raise InputError("nothing to map: every layer is empty")


def _crs_note(crs: Any) -> str:
    name = getattr(crs, "name", str(crs))
    zone = name.split("zone")[-1].strip() if "zone" in name else name
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    code = f"（EPSG:{epsg}）" if epsg else ""
    return f"坐标系：WGS-84；地图投影：UTM {zone} 带{code}"


def _project(gdf: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame | None:
    if gdf is None:
        return None
    return gdf.to_crs(crs)


def _flags(values: Any, demand: gpd.GeoDataFrame, what: str) -> npt.NDArray[np.bool_]:
    """A boolean per demand row from a column name, a Series keyed by demand id, or an array."""
    if isinstance(values, str):
        if values not in demand.columns:
            raise MissingColumnError(f"demand: column '{values}' ({what}) missing")
        series = demand[values]
        return series.fillna(False).astype(bool).to_numpy()
    if isinstance(values, pd.Series):
        if "id" in demand.columns and values.index.isin(demand["id"]).any():
            aligned = values.reindex(demand["id"].to_numpy())
        else:
            aligned = values.reindex(demand.index)
        return aligned.fillna(False).astype(bool).to_numpy()
    arr = np.asarray(values)
    if arr.shape != (len(demand),):
        raise InputError(f"{what}: expected {len(demand)} values (one per demand row), got shape {arr.shape}")
    return arr.astype(bool)


# --------------------------------------------------------------------------------------------------
# Classes, sizes


def _nice(value: float) -> float:
    """Round a positive number to 1 or 2 significant digits (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 0.0
    exp = math.floor(math.log10(value))
    base = value / 10**exp
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if base <= step:
            return float(step * 10**exp)
    return float(10 ** (exp + 1))


def _class_breaks(values: npt.ArrayLike, *, n_classes: int = 4) -> list[float]:
    """Upper bounds of up to ``n_classes`` classes of positive values, rounded to nice numbers."""
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return []
    top = float(vals.max())
    qs = np.quantile(vals, np.linspace(0, 1, n_classes + 1)[1:-1])
    breaks = sorted({_nice(q) for q in qs if _nice(q) < top})
    return [*breaks, top]


def _class_labels(breaks: Sequence[float]) -> list[str]:
    out = []
    lower = 0.0
    for i, upper in enumerate(breaks):
        lo = f"{int(lower) + 1:,}" if i else "1"
        out.append(f"{lo}–{int(math.ceil(upper)):,}")
        lower = upper
    return out


def _classify(values: npt.ArrayLike, breaks: Sequence[float]) -> npt.NDArray[np.int64]:
    vals = np.asarray(values, dtype=float)
    return np.searchsorted(np.asarray(breaks[:-1], dtype=float), vals, side="left").astype(np.int64)


def _symbol_sizes_pt(n: int, *, scale: float, small_pt: float = 3.0, large_pt: float = 11.0) -> list[float]:
    """Marker diameters (points) of ``n`` graduated classes, growing by area."""
    if n <= 1:
        return [large_pt * 0.7 * scale]
    areas = np.linspace(small_pt**2, large_pt**2, n)
    return [float(math.sqrt(a)) * scale for a in areas]


# --------------------------------------------------------------------------------------------------
# Drawing helpers


def _text(
    target: Any,
    x: float,
    y: float,
    s: str,
    *,
    bold_pt: float = 0.0,
    halo_pt: float = 0.0,
    underlay_only: bool = False,
    **kwargs: Any,
) -> Any:
    """Text with an optional white halo and faux bold, that stays real (searchable) text in the PDF.

    The shipped font has a single weight, and matplotlib turns text with path
    effects into outlines (not extractable by pdftotext), so the halo and the
    extra weight are drawn by an outline *underlay*; plain text is drawn on top.
    The underlay is stored as the top text's ``_underlay`` (hidden with it).
    """
    effects: list[Any] = []
    if halo_pt:
        effects.append(patheffects.Stroke(linewidth=halo_pt, foreground="white"))
    if bold_pt:
        effects.append(patheffects.Stroke(linewidth=bold_pt, foreground=kwargs.get("color", _INK)))
    under = None
    if effects:
        zorder = kwargs.get("zorder", 3)
        under = target.text(x, y, s, **{**kwargs, "zorder": zorder - 0.01, "gid": None}, path_effects=effects)
    if underlay_only:
        return under
    top = target.text(x, y, s, **kwargs)
    top._underlay = under  # type: ignore[attr-defined]
    return top


def _set_visible(text: Any, visible: bool) -> None:
    text.set_visible(visible)
    under = getattr(text, "_underlay", None)
    if under is not None:
        under.set_visible(visible)


def _draw_boundaries(
    page: _Page, boundaries: gpd.GeoDataFrame | None, *, label_townships: bool = True, fill: bool = True
) -> None:
    ax = page.ax_map
    if boundaries is None or not len(boundaries):
        return
    level = (
        boundaries["level"] if "level" in boundaries.columns else pd.Series("county", index=boundaries.index)
    )
    townships = boundaries[level == "township"]
    counties = boundaries[level == "county"]
    outer = boundaries[level.isin(["prefecture", "province"])]
    if fill:
        base = counties if len(counties) else boundaries
        base.plot(ax=ax, facecolor="white", edgecolor="none", zorder=0)
    if len(townships):
        townships.boundary.plot(
            ax=ax, color=_TOWNSHIP_EDGE, linewidth=0.35 * page.scale, linestyle=(0, (4, 2)), zorder=2
        )
    if len(counties):
        counties.boundary.plot(ax=ax, color=_COUNTY_EDGE, linewidth=1.0 * page.scale, zorder=3)
    if len(outer):
        outer.boundary.plot(ax=ax, color=_INK, linewidth=1.6 * page.scale, zorder=3)
    elif len(counties):
        counties.dissolve().boundary.plot(ax=ax, color=_INK, linewidth=1.6 * page.scale, zorder=3)
    if label_townships and len(townships) and "name" in townships.columns:
        for geom, name in zip(townships.geometry.representative_point(), townships["name"], strict=True):
            if isinstance(name, str) and name:
                text = _text(
                    ax,
                    geom.x,
                    geom.y,
                    name,
                    ha="center",
                    va="center",
                    fontsize=page.pt(5.2),
                    color="#555555",
                    zorder=20,
                    halo_pt=1.6 * page.scale,
                )
                page.labels.append((1, text))
    if len(counties) and "name" in counties.columns:
        for geom, name in zip(counties.geometry.representative_point(), counties["name"], strict=True):
            if isinstance(name, str) and name:
                text = _text(
                    ax,
                    geom.x,
                    geom.y,
                    name,
                    ha="center",
                    va="center",
                    fontsize=page.pt(8.5),
                    color="#1f1f1f",
                    zorder=21,
                    bold_pt=0.35 * page.scale,
                    halo_pt=2.8 * page.scale,
                )
                page.labels.append((0, text))


def _set_extent(page: _Page, *layers: gpd.GeoDataFrame | None, pad: float = 0.03) -> None:
    """Fit the layers' bounds into the map frame at equal x/y scale (centred, padded)."""
    bounds = [layer.total_bounds for layer in layers if layer is not None and len(layer)]
    arr = np.array(bounds)
    xmin, ymin = np.nanmin(arr[:, 0]), np.nanmin(arr[:, 1])
    xmax, ymax = np.nanmax(arr[:, 2]), np.nanmax(arr[:, 3])
    dx = max(xmax - xmin, 1000.0) * (1 + 2 * pad)
    dy = max(ymax - ymin, 1000.0) * (1 + 2 * pad)
    ax = page.ax_map
    pos = ax.get_position()
    box_ratio = (pos.height * page.fig.get_figheight()) / (pos.width * page.fig.get_figwidth())
    if dy / dx > box_ratio:
        dx = dy / box_ratio
    else:
        dy = dx * box_ratio
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    ax.set_xlim(cx - dx / 2, cx + dx / 2)
    ax.set_ylim(cy - dy / 2, cy + dy / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("")
    ax.set_ylabel("")


def _scale_bar(page: _Page, crs: Any) -> None:
    """A scale bar in kilometres, lower left, true to ground distance at the map centre.

    The map is in a conformal (UTM) projection, whose grid distance is the ground
    distance times the point scale factor ``k`` (0.9996 at the central meridian);
    the bar is drawn ``k`` times its ground length, so it is exact at the centre
    and within 0.1 % anywhere on the sheet.
    """
    from pyproj import Proj, Transformer

    ax = page.ax_map
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform((x0 + x1) / 2, (y0 + y1) / 2)
    k = float(Proj(crs).get_factors(lon, lat).meridional_scale)
    m_per_mm = _metres_per_paper_mm(page)  # grid metres per millimetre of paper
    target_km = (x1 - x0) / k / 1000.0 / 5.0
    length_km = max(step for step in _nice_steps() if step <= max(target_km, 0.1))
    length_m = length_km * 1000.0 * k  # grid metres
    n_seg = 4
    seg_m = length_m / n_seg
    bar_h = 1.4 * page.scale * m_per_mm
    bx = x0 + 6.0 * page.scale * m_per_mm
    by = y0 + 8.0 * page.scale * m_per_mm
    pad = 3.0 * page.scale * m_per_mm
    ax.add_patch(
        Rectangle(
            (bx - pad, by - 5.0 * page.scale * m_per_mm),
            length_m + 2 * pad + 8 * page.scale * m_per_mm,
            12.5 * page.scale * m_per_mm,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=24,
        )
    )
    for i in range(n_seg):
        ax.add_patch(
            Rectangle(
                (bx + i * seg_m, by),
                seg_m,
                bar_h,
                facecolor=_INK if i % 2 == 0 else "white",
                edgecolor=_INK,
                linewidth=0.6 * page.scale,
                zorder=25,
                gid="scalebar",
            )
        )
    for value_km, x in ((0.0, bx), (length_km / 2, bx + length_m / 2), (length_km, bx + length_m)):
        ax.text(
            x,
            by + bar_h + 0.8 * page.scale * m_per_mm,
            f"{value_km:g}",
            ha="center",
            va="bottom",
            fontsize=page.pt(6.5),
            color=_INK,
            zorder=26,
            gid="scalebar-km",
        )
    ax.text(
        bx + length_m + 2.0 * page.scale * m_per_mm,
        by + bar_h / 2,
        "公里",
        ha="left",
        va="center",
        fontsize=page.pt(6.5),
        color=_INK,
        zorder=26,
    )
    ratio = m_per_mm * 1000.0 / k
    ax.text(
        bx,
        by - 1.2 * page.scale * m_per_mm,
        f"比例尺 1:{_round_sig(ratio, 3):,}",
        ha="left",
        va="top",
        fontsize=page.pt(6),
        color="#444444",
        zorder=26,
        gid="scale-ratio",
    )


def _metres_per_paper_mm(page: _Page) -> float:
    ax = page.ax_map
    x0, x1 = ax.get_xlim()
    width_mm = ax.get_position().width * page.fig.get_figwidth() * _MM_PER_INCH
    return (x1 - x0) / width_mm


def _round_sig(value: float, digits: int) -> int:
    if value <= 0:
        return 0
    return int(round(value, digits - 1 - math.floor(math.log10(value))))


def _nice_steps() -> list[float]:
    return [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]


def _north_arrow(page: _Page, crs: Any) -> None:
    """A north arrow in the upper right, rotated to true north at the map centre."""
    from pyproj import Transformer

    ax = page.ax_map
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = to_ll.transform(cx, cy)
    nx_, ny_ = to_map.transform(lon, lat + 0.01)
    angle = math.atan2(nx_ - cx, ny_ - cy)  # radians clockwise from grid north
    size = 0.085
    inset = ax.inset_axes((1 - size - 0.012, 1 - size * 1.55 - 0.012, size, size * 1.55), zorder=27)
    inset.set_axis_off()
    inset.set_xlim(-1, 1)
    inset.set_ylim(-1.1, 1.9)
    inset.set_aspect("equal", adjustable="box")
    cos, sin = math.cos(angle), math.sin(angle)

    def rot(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * cos + y * sin, -x * sin + y * cos) for x, y in points]

    inset.add_patch(
        Polygon(
            rot([(0, 1), (-0.45, -0.8), (0, -0.4)]),
            closed=True,
            facecolor=_INK,
            edgecolor=_INK,
            linewidth=0.6 * page.scale,
        )
    )
    inset.add_patch(
        Polygon(
            rot([(0, 1), (0.45, -0.8), (0, -0.4)]),
            closed=True,
            facecolor="white",
            edgecolor=_INK,
            linewidth=0.6 * page.scale,
        )
    )
    tx, ty = rot([(0, 1.45)])[0]
    _text(
        inset,
        tx,
        ty,
        "北",
        ha="center",
        va="center",
        fontsize=page.pt(10),
        color=_INK,
        bold_pt=0.4 * page.scale,
    )


def _declutter(page: _Page, *, pad_pt: float = 1.5) -> None:
    """Hide labels that overlap a label of higher priority or a symbol kept clear, or leave the map frame.

    Labels of negative priority (the numbers of proposed sites) are always shown.
    """
    renderer = page.fig.canvas.get_renderer()
    frame = page.ax_map.get_window_extent(renderer)
    pad = pad_pt * page.fig.dpi / 72.0
    placed: list[Any] = []
    for x, y, size_pt in page.obstacles:
        cx, cy = page.ax_map.transData.transform((x, y))
        half = size_pt / 2 * page.fig.dpi / 72.0
        placed.append(Bbox.from_extents(cx - half, cy - half, cx + half, cy + half))
    for priority, text in sorted(page.labels, key=lambda item: item[0]):
        text.set_gid("map-label")
        box = text.get_window_extent(renderer).expanded(1.0, 1.0)
        box = box.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
        inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
        if priority >= 0 and (not inside or any(box.overlaps(other) for other in placed)):
            _set_visible(text, False)
            continue
        placed.append(box)
    hidden = sum(1 for _, text in page.labels if not text.get_visible())
    if hidden:
        logger.debug("hid %d of %d labels to avoid overlaps", hidden, len(page.labels))


def _legend(
    page: _Page,
    sections: Sequence[tuple[str, Sequence[tuple[Any, str]]]],
    *,
    title: str = "图  例",
    boundaries: gpd.GeoDataFrame | None = None,
) -> None:
    """The legend, sections headed in black, in the legend panel (two columns on portrait sheets).

    The administrative boundaries drawn (county, township lines) close the legend
    as the section "行政区划" when ``boundaries`` is given.
    """
    sections = [*sections, ("行政区划", _boundary_entries(page, boundaries))]
    kept = [(heading, entries) for heading, entries in sections if entries]
    if page.landscape:
        columns = [kept]
    else:  # two columns side by side, a section never split between them
        sizes = [len(entries) + 1 for _, entries in kept]
        half = sum(sizes) / 2
        cut = next((i + 1 for i in range(len(kept)) if sum(sizes[: i + 1]) >= half), len(kept))
        columns = [kept[:cut], kept[cut:]]
    for col, column in enumerate(columns):
        if not column:
            continue
        handles, labels, headers = [], [], []
        for heading, entries in column:
            headers.append(len(labels))
            handles.append(Line2D([], [], linestyle="none"))
            labels.append(heading)
            for handle, text in entries:
                handles.append(handle)
                labels.append(text)
        legend = page.ax_legend.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(0.5 * col, 1.0 if col == 0 else 0.93),
            frameon=col == 0 and page.landscape,
            fancybox=False,
            edgecolor="#999999",
            fontsize=page.pt(7),
            title=title if col == 0 else None,
            title_fontsize=page.pt(9.5),
            handlelength=2.2,
            handleheight=1.1,
            labelspacing=0.55,
            borderpad=0.8,
            alignment="left",
        )
        legend.get_frame().set_linewidth(0.6 * page.scale)
        for i, text in enumerate(legend.get_texts()):
            if i in headers:
                text.set_fontsize(page.pt(7.6))
                text.set_color("#000000")
        page.ax_legend.add_artist(legend)
    if not page.landscape:
        page.ax_legend.add_patch(
            Rectangle(
                (0, 0),
                1,
                1,
                transform=page.ax_legend.transAxes,
                fill=False,
                edgecolor="#999999",
                linewidth=0.6 * page.scale,
            )
        )


def _info_table(
    page: _Page,
    heading: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    top: float = 1.0,
    col_x: Sequence[float] | None = None,
    fontsize_pt: float = 7.0,
) -> float:
    """Draw a small table of text in the info panel; returns the y (axes fraction) below it.

    The font shrinks (down to 5 pt) so that every row fits above the panel's bottom.
    """
    ax = page.ax_info
    height_pt = ax.get_position().height * page.fig.get_figheight() * 72.0
    needed = page.pt(fontsize_pt) * 1.75 / height_pt * (len(rows) + 2.6)
    if needed > top > 0:
        fontsize_pt = max(5.0, fontsize_pt * top / needed)
    line = page.pt(fontsize_pt) * 1.75 / height_pt
    ncols = len(header)
    if col_x is None:
        col_x = [0.0, *[0.46 + i * (0.54 / max(ncols - 1, 1)) for i in range(ncols - 1)]]
    y = top
    _text(
        ax, 0.0, y, heading, ha="left", va="top", fontsize=page.pt(8.5), color=_INK, bold_pt=0.35 * page.scale
    )
    y -= line * 1.25
    for j, cell in enumerate(header):
        _text(
            ax,
            col_x[j] + (0 if j == 0 else 0.5 * (0.54 / max(ncols - 1, 1))),
            y,
            cell,
            ha="left" if j == 0 else "center",
            va="top",
            fontsize=page.pt(fontsize_pt),
            color="#333333",
            bold_pt=0.25 * page.scale,
        )
    y -= line
    ax.plot([0, 1], [y + line * 0.15, y + line * 0.15], color="#999999", linewidth=0.6 * page.scale)
    for row in rows:
        if y - line < 0:
            ax.text(0.0, y, "……", ha="left", va="top", fontsize=page.pt(fontsize_pt), color="#666666")
            y -= line
            break
        for j, cell in enumerate(row):
            ax.text(
                col_x[j] + (0 if j == 0 else 0.5 * (0.54 / max(ncols - 1, 1))),
                y,
                cell,
                ha="left" if j == 0 else "center",
                va="top",
                fontsize=page.pt(fontsize_pt),
                color=_INK,
            )
        y -= line
    ax.plot([0, 1], [y + line * 0.15, y + line * 0.15], color="#999999", linewidth=0.6 * page.scale)
    return y - line * 0.6


def _finish(page: _Page, crs: Any) -> Figure:
    page.ax_map.set_xlabel("")
    page.ax_map.set_ylabel("")
    _north_arrow(page, crs)
    _scale_bar(page, crs)
    _declutter(page)
    return page.fig


def _fmt_int(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{int(round(value)):,}"


def _fmt_pct(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:.1f}%"


def _today() -> str:
    return _dt.date.today().isoformat()


def _group_colour(group: str) -> str:
    return _GROUP_COLOURS.get(POPULATION_GROUPS[group].kind, "#7b5ea7")


def _draw_facilities(
    page: _Page,
    facilities: gpd.GeoDataFrame | None,
    *,
    types: Sequence[str] | None = None,
    size_pt: float = 5.0,
    zorder: float = 12,
    alpha: float = 1.0,
) -> list[tuple[Any, str]]:
    """Facilities by type (marker by category, colour by type); returns legend entries."""
    entries: list[tuple[Any, str]] = []
    if facilities is None or not len(facilities):
        return entries
    ftype = (
        facilities["type"].astype(str)
        if "type" in facilities.columns
        else pd.Series("", index=facilities.index)
    )
    present = [t for t in FACILITY_TYPES if (ftype == t).any()]
    if types is not None:
        present = [t for t in present if t in set(types)]
    others = sorted(set(ftype) - set(FACILITY_TYPES)) if types is None else []
    for key in [*present, *others]:
        sub = facilities[ftype == key]
        info = FACILITY_TYPES.get(key)
        marker = _CATEGORY_MARKERS.get(info.category, "o") if info else "o"
        colour = _TYPE_COLOUR.get(key, "#555555")
        ms = page.pt(size_pt)
        page.ax_map.scatter(
            sub.geometry.x,
            sub.geometry.y,
            s=ms**2,
            marker=marker,
            c=colour,
            edgecolors="white",
            linewidths=0.3 * page.scale,
            zorder=zorder,
            alpha=alpha,
        )
        handle = _marker(marker, ms, colour, edge_pt=0.4 * page.scale)
        entries.append((handle, f"{label(key)}（{len(sub)}）"))
    return entries


def _boundary_entries(page: _Page, boundaries: gpd.GeoDataFrame | None) -> list[tuple[Any, str]]:
    if boundaries is None or not len(boundaries) or "level" not in boundaries.columns:
        return []
    entries = []
    if (boundaries["level"] == "county").any():
        entries.append((Line2D([], [], color=_COUNTY_EDGE, linewidth=1.0 * page.scale), "县(市、区)界"))
    if (boundaries["level"] == "township").any():
        entries.append(
            (
                Line2D([], [], color=_TOWNSHIP_EDGE, linewidth=0.6 * page.scale, linestyle=(0, (4, 2))),
                "乡(镇、街道)界",
            )
        )
    return entries


def _township_totals(
    demand: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """Sum demand columns per township polygon (by township code, else by location)."""
    codes = townships["code"].astype(str) if "code" in townships.columns else None
    if codes is not None and "township_code" in demand.columns and demand["township_code"].notna().all():
        sums = demand.groupby(demand["township_code"].astype(str))[list(columns)].sum()
        if sums.index.isin(codes).all():
            return sums.reindex(codes.to_numpy()).fillna(0).set_axis(townships.index)
    joined = gpd.sjoin(
        demand[[*columns, "geometry"]], townships[["geometry"]], how="left", predicate="within"
    )
    sums = joined.groupby("index_right")[list(columns)].sum()
    return sums.reindex(townships.index).fillna(0)


def _marker(
    marker: str,
    size_pt: float,
    colour: str,
    *,
    edge: str = "white",
    edge_pt: float | None = None,
    alpha: float | None = None,
) -> Line2D:
    """A legend handle: one marker of ``size_pt`` points (already scaled to the sheet)."""
    style: dict[str, Any] = {} if edge_pt is None else {"markeredgewidth": edge_pt}
    if alpha is not None:
        style["alpha"] = alpha
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size_pt,
        markerfacecolor=colour,
        markeredgecolor=edge,
        **style,
    )


def _dots(
    page: _Page,
    xs: npt.NDArray[np.float64],
    ys: npt.NDArray[np.float64],
    *,
    size_pt: float,
    colour: str,
    marker: str = "o",
    edge: str = "white",
    edge_pt: float | None = None,
    zorder: float,
) -> Line2D:
    """Villages as equal markers of ``size_pt`` points (scaled); returns their legend handle."""
    page.ax_map.scatter(
        xs,
        ys,
        s=size_pt**2,
        marker=marker,
        c=colour,
        edgecolors=edge,
        linewidths=0.3 * page.scale if edge_pt is None else edge_pt,
        zorder=zorder,
    )
    return _marker(marker, size_pt, colour, edge=edge)


def _check_service_layers(
    demand: Any,
    facilities: Any,
    *,
    group: str,
    boundaries: Any,
    service_areas: Any,
    areas_name: str = "service_areas",
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check the layers of a one-service map (coverage or proposal); returns (demand, facilities)."""
    demand = _check_layer(demand, "demand")
    _check_group(demand, group)
    facilities = _check_layer(facilities, "facilities")
    if boundaries is not None:
        _check_layer(boundaries, "boundaries", required=("level", "geometry"))
    if service_areas is not None:
        _check_layer(service_areas, areas_name)
    return demand, facilities


def _service_words(
    service_label: str, facility_types: Sequence[str] | None, threshold_min: float | None, mode_label: str
) -> tuple[str, str]:
    """(what, reach) for titles: e.g. ("幸福小院", "步行15分钟"); reach is "" without a threshold."""
    what = service_label or "、".join(label(t) for t in (facility_types or [])) or "服务设施"
    reach = f"{mode_label}{threshold_min:g}分钟" if threshold_min is not None else ""
    return what, reach


class _ServiceSheet(NamedTuple):
    """A one-service sheet opened: page with boundaries and extent, layers in the map CRS."""

    page: _Page
    crs: Any
    bnd: gpd.GeoDataFrame | None
    fac: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    values: npt.NDArray[np.float64]  # persons of the group per village
    xs: npt.NDArray[np.float64]  # village x, metres (map CRS)
    ys: npt.NDArray[np.float64]


def _service_sheet(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    group: str,
    boundaries: gpd.GeoDataFrame | None,
    service_areas: gpd.GeoDataFrame | None,
    title: str,
    subtitle: str,
    paper: str,
    orientation: str,
    source: str | None,
    date: str | None,
    simulated: bool,
    sites: gpd.GeoDataFrame | None = None,
) -> _ServiceSheet:
    """Project the layers of a one-service map, open its page, draw boundaries, set the extent."""
    if not len(demand):
        raise InputError("demand is empty: nothing to map")
    crs = _metric_crs(boundaries, demand)
    dem = _project(demand, crs)
    bnd = _project(boundaries, crs)
    sites_m = _project(sites, crs)
    page = _new_page(
        paper=paper,
        orientation=orientation,
        title=title,
        subtitle=subtitle,
        source=source,
        date=date or _today(),
        crs_note=_crs_note(crs),
        simulated=simulated,
    )
    _draw_boundaries(page, bnd)
    _set_extent(page, bnd, dem, *([] if sites_m is None else [sites_m]))
    return _ServiceSheet(
        page=page,
        crs=crs,
        bnd=bnd,
        fac=_project(facilities, crs),
        areas=_project(service_areas, crs),
        sites=sites_m,
        values=dem[group].to_numpy(dtype=float),
        xs=dem.geometry.x.to_numpy(),
        ys=dem.geometry.y.to_numpy(),
    )


def _render(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a map builder with the Chinese font rcParams active."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(cjk_rc()):
            return fn(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------------
# The three kinds of map


@_render
def distribution_map(
    demand: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    groups: Sequence[str] | None = None,
    style: str = "symbols",
    region_name: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
    date: str | None = None,
    simulated: bool = False,
) -> Figure:
    """Map where older people and left-behind children live, by village or township.

    Parameters
    ----------
    demand
        Villages (points) with the population columns of ``groups`` (persons).
    boundaries
        County and township polygons (``level``, ``code``, ``name``), optional.
    facilities
        Facilities to show for orientation (by type), optional.
    groups
        One or two population-group keys; the first is drawn in the style chosen,
        the second always as graduated symbols.  Default: older people (60+) and
        left-behind children, those of the two that ``demand`` has.
    style
        "symbols": graduated circles per village for each group (two groups side
        by side); "choropleth": townships shaded by the first group's total
        (needs township boundaries), the second group as circles per township.
    region_name
        Name in the default title, e.g. "玉溪市".
    title, subtitle
        Override the default title (``{region_name}"一老一小"分布图``) and subtitle.
    paper, orientation
        "A4"/"A3", "landscape"/"portrait".
    source
        The data-source line of the footer (default: :data:`DEMO_SOURCE` when
        ``simulated``, else :data:`DEFAULT_SOURCE`).
    date
        The date printed (ISO), default today.
    simulated
        Print the "示例数据（模拟）" mark (demo data).

    Returns
    -------
    matplotlib.figure.Figure
        Sized to the sheet; save with :func:`save_map`.

    Raises
    ------
    CRSError
        When a layer has no CRS.
    MissingColumnError
        When a group column is missing from ``demand``.
    InputError
        For an unknown style, group, paper size or orientation, or no township
        boundaries for a choropleth.
    """
    demand = _check_layer(demand, "demand")
    if groups is None:
        groups = [g for g in ("elderly_60plus", "left_behind_children") if g in demand.columns]
        if not groups:
            raise MissingColumnError(
                "demand: neither 'elderly_60plus' (60岁以上老年人) nor 'left_behind_children' (留守儿童) is "
                "present; pass groups=[...] with the population columns to map"
            )
    groups = list(groups)
    if not 1 <= len(groups) <= 2:
        raise InputError(f"groups: give one or two population groups, got {len(groups)}")
    for group in groups:
        _check_group(demand, group)
    if style not in ("symbols", "choropleth"):
        raise InputError(f"unknown style '{style}': use 'symbols' (分级符号) or 'choropleth' (分级设色)")
    if boundaries is not None:
        _check_layer(boundaries, "boundaries", required=("level", "geometry"))
    if facilities is not None:
        _check_layer(facilities, "facilities")
    townships = None if boundaries is None else boundaries[boundaries["level"] == "township"]
    if style == "choropleth" and (townships is None or not len(townships)):
        raise InputError(
            "a choropleth needs township boundaries (level 'township'): pass boundaries=..., "
            "or use style='symbols'"
        )
    if not len(demand):
        raise InputError("demand is empty: nothing to map")

    crs = _metric_crs(boundaries, demand)
    dem = _project(demand, crs)
    bnd = _project(boundaries, crs)
    fac = _project(facilities, crs)
    names = "、".join(label(g) for g in groups)
    default_title = (
        f'{region_name}"一老一小"分布图'
        if set(groups) == {"elderly_60plus", "left_behind_children"}
        else f"{region_name}{names}分布图"
    )
    unit = "按村(社区)统计" if style == "symbols" else "按乡(镇、街道)统计"
    page = _new_page(
        paper=paper,
        orientation=orientation,
        title=title or default_title,
        subtitle=subtitle or f"{names}  ·  {unit}",
        source=source,
        date=date or _today(),
        crs_note=_crs_note(crs),
        simulated=simulated,
    )
    ax = page.ax_map
    _draw_boundaries(page, bnd, fill=style == "symbols")
    _set_extent(page, bnd, dem)
    sections: list[tuple[str, list[tuple[Any, str]]]] = []
    totals_rows: list[list[str]] = []

    if style == "choropleth":
        tws = bnd[bnd["level"] == "township"].copy()
        sums = _township_totals(dem, tws, groups)
        first = groups[0]
        breaks = _class_breaks(sums[first], n_classes=5)
        cmap = matplotlib.colormaps["YlOrBr"]
        colours = [cmap(0.15 + 0.75 * i / max(len(breaks) - 1, 1)) for i in range(len(breaks))]
        cls = _classify(sums[first].to_numpy(), breaks) if breaks else np.zeros(len(tws), dtype=np.int64)
        face = [colours[c] if v > 0 else "#f0f0f0" for c, v in zip(cls, sums[first], strict=True)]
        tws.plot(ax=ax, color=face, edgecolor="none", zorder=1)
        sections.append(
            (
                f"{label(first)}（乡镇合计，人）",
                [
                    (Patch(facecolor=c, edgecolor="#999999", linewidth=0.4), t)
                    for c, t in zip(colours, _class_labels(breaks), strict=True)
                ],
            )
        )
        if len(groups) == 2:
            second = groups[1]
            pts = tws.geometry.representative_point()
            entries = _symbols(
                page,
                pts.x.to_numpy(),
                pts.y.to_numpy(),
                sums[second].to_numpy(),
                colour=_group_colour(second),
                offset_pt=0.0,
                small_pt=5.0,
                large_pt=15.0,
                zorder=11,
            )
            sections.append((f"{label(second)}（乡镇合计，人）", entries))
    else:
        offsets = [0.0] if len(groups) == 1 else [-1.6, 1.6]
        for group, off in zip(groups, offsets, strict=False):
            entries = _symbols(
                page,
                dem.geometry.x.to_numpy(),
                dem.geometry.y.to_numpy(),
                dem[group].to_numpy(dtype=float),
                colour=_group_colour(group),
                offset_pt=off,
            )
            sections.append((f"{label(group)}（每村，人）", entries))

    for group in groups:
        totals_rows.append([label(group), _fmt_int(float(demand[group].sum()))])
    if facilities is not None and len(facilities):
        sections.append(("服务设施", _draw_facilities(page, fac, size_pt=4.0, zorder=13)))
    _legend(page, sections, boundaries=bnd)
    totals_rows.append(["村(社区)数", _fmt_int(float(len(demand)))])
    y = _info_table(page, "人数合计", ["", "人数"], totals_rows, col_x=[0.0, 0.55])
    if townships is not None and len(townships) and "name" in townships.columns:
        sums_all = _township_totals(demand.to_crs(townships.crs), townships, groups)
        top = sums_all.assign(name=townships["name"]).sort_values(groups[0], ascending=False).head(5)
        rows = [[str(r["name"]), *[_fmt_int(float(r[g])) for g in groups]] for _, r in top.iterrows()]
        _info_table(
            page, f"{label(groups[0])}最多的乡镇", ["乡(镇、街道)", *[label(g) for g in groups]], rows, top=y
        )
    return _finish(page, crs)


def _symbols(
    page: _Page,
    xs: npt.NDArray[np.float64],
    ys: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    *,
    colour: str,
    offset_pt: float,
    zorder: int = 10,
    small_pt: float | None = None,
    large_pt: float | None = None,
) -> list[tuple[Any, str]]:
    """Graduated circles (classed sizes) for positive values; returns legend entries.

    Unless given, the largest circle is about the typical spacing of the points
    on paper (median nearest-neighbour distance), within 4..11 pt times the
    sheet scale, so dense regions stay legible.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    breaks = _class_breaks(values, n_classes=4)
    if not breaks:
        return []
    if large_pt is None:
        large_pt = 11.0
        if len(xs) > 2:
            from scipy.spatial import cKDTree

            xy = np.column_stack([xs, ys])
            dist_m, _ = cKDTree(xy).query(xy, k=2)
            spacing_pt = float(np.median(dist_m[:, 1])) / _metres_per_paper_mm(page) * 72.0 / _MM_PER_INCH
            large_pt = float(np.clip(spacing_pt / page.scale * 1.1, 4.0, 11.0))
    if small_pt is None:
        small_pt = max(large_pt / 3.5, 1.5)
    sizes = _symbol_sizes_pt(len(breaks), scale=page.scale, small_pt=small_pt, large_pt=large_pt)
    cls = _classify(values, breaks)
    positive = values > 0
    order = np.argsort(-values[positive], kind="stable")  # big circles first, small on top
    diam = np.asarray(sizes)[cls[positive]][order]
    shift = ScaledTranslation(offset_pt * page.scale / 72.0, 0, page.fig.dpi_scale_trans)
    page.ax_map.scatter(
        xs[positive][order],
        ys[positive][order],
        s=diam**2,
        c=colour,
        alpha=0.8,
        edgecolors="white",
        linewidths=0.35 * page.scale,
        zorder=zorder,
        transform=page.ax_map.transData + shift,
    )
    return [
        (_marker("o", d, colour, alpha=0.8), text)
        for d, text in zip(sizes, _class_labels(breaks), strict=True)
    ]


@_render
def coverage_map(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    covered: Any,
    group: str,
    service_areas: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    facility_types: Sequence[str] | None = None,
    service_label: str = "",
    threshold_min: float | None = None,
    mode_label: str = "",
    region_name: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
    date: str | None = None,
    simulated: bool = False,
) -> Figure:
    """Map the coverage of one service: service areas, covered and uncovered villages, facilities.

    Parameters
    ----------
    demand
        Villages (points) with the column ``group`` (persons).
    facilities
        Facilities (points) with ``type``; those of ``facility_types`` are drawn
        by type (all when None).
    covered
        Which villages reach the service within the threshold: a boolean column
        name of ``demand``, a boolean Series indexed by demand ``id``, or an array
        aligned with the rows of ``demand``.
    group
        The population group whose counts size the uncovered villages' symbols.
    service_areas
        Polygons (``threshold_min``, geometry) reachable within the threshold, optional.
    boundaries
        County and township polygons, optional.
    facility_types
        Facility-type keys that count for the service.
    service_label, threshold_min, mode_label
        For the title and legend, e.g. "幸福小院", 15, "步行".
    region_name, title, subtitle, paper, orientation, source, date, simulated
        As in :func:`distribution_map`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CRSError, MissingColumnError, InputError
        As in :func:`distribution_map`; also when ``covered`` does not match ``demand``.
    """
    demand, facilities = _check_service_layers(
        demand, facilities, group=group, boundaries=boundaries, service_areas=service_areas
    )
    flags = _flags(covered, demand, "covered")
    what, reach = _service_words(service_label, facility_types, threshold_min, mode_label)
    page, crs, bnd, fac, areas, _, values, xs, ys = _service_sheet(
        demand,
        facilities,
        group=group,
        boundaries=boundaries,
        service_areas=service_areas,
        title=title or f"{region_name}{what}覆盖图",
        subtitle=subtitle or f"{label(group)}  ·  {reach}可达范围".replace("  ·  可达范围", ""),
        paper=paper,
        orientation=orientation,
        source=source,
        date=date,
        simulated=simulated,
    )
    sections: list[tuple[str, list[tuple[Any, str]]]] = []
    area_entries: list[tuple[Any, str]] = []
    if areas is not None and len(areas):
        areas = (
            areas.sort_values("threshold_min", ascending=False) if "threshold_min" in areas.columns else areas
        )
        n = len(areas)
        for i, (_, row) in enumerate(areas.iterrows()):
            alpha = 0.35 + 0.25 * (i / max(n - 1, 1))
            gpd.GeoSeries([row.geometry], crs=crs).plot(
                ax=page.ax_map,
                color=_AREA_FILL,
                alpha=alpha,
                edgecolor="#5aae61",
                linewidth=0.4 * page.scale,
                zorder=1.5,
            )
            tm = row.get("threshold_min", threshold_min)
            text = f"{mode_label}{float(tm):g}分钟服务范围" if tm is not None and pd.notna(tm) else "服务范围"
            area_entries.append((Patch(facecolor=_AREA_FILL, alpha=alpha, edgecolor="#5aae61"), text))
    covered_dot = _dots(page, xs[flags], ys[flags], size_pt=page.pt(3.2), colour=_COVERED, zorder=9)
    unc_entries = _symbols(page, xs[~flags], ys[~flags], values[~flags], colour=_UNCOVERED, offset_pt=0.0)
    n_total = float(np.nansum(values))
    n_cov = float(np.nansum(values[flags]))
    sections.append(("村(社区)", [(covered_dot, f"已覆盖（{int(flags.sum())} 个）")]))
    if unc_entries:
        sections.append((f"未覆盖村 {label(group)}（人）", unc_entries))
    sections.append(("服务范围", area_entries))
    sections.append(
        (
            "服务设施（个）",
            _draw_facilities(page, fac, types=facility_types, size_pt=4.2, zorder=8, alpha=0.85),
        )
    )
    _legend(page, sections, boundaries=bnd)
    share = 100.0 * n_cov / n_total if n_total > 0 else float("nan")
    rows = [
        [f"{label(group)}总数", _fmt_int(n_total)],
        ["已覆盖", _fmt_int(n_cov)],
        ["未覆盖", _fmt_int(n_total - n_cov)],
        ["覆盖率", _fmt_pct(share)],
        ["未覆盖村(社区)", f"{int((~flags & (values > 0)).sum())} 个"],
    ]
    y = _info_table(
        page, f"覆盖情况{('（' + reach + '）') if reach else ''}", ["", "人数"], rows, col_x=[0.0, 0.55]
    )
    if bnd is not None and "township_name" in demand.columns:
        frame = pd.DataFrame(
            {
                "township": demand["township_name"].astype(str).to_numpy(),
                "v": values,
                "c": np.where(flags, values, 0.0),
            }
        )
        per = frame.groupby("township").sum()
        per = per[per["v"] > 0].assign(share=lambda d: 100 * d["c"] / d["v"]).sort_values("share").head(6)
        _info_table(
            page,
            "覆盖率最低的乡镇",
            ["乡(镇、街道)", "覆盖率"],
            [[name, _fmt_pct(float(r["share"]))] for name, r in per.iterrows()],
            top=y,
            col_x=[0.0, 0.55],
        )
    return _finish(page, crs)


@_render
def proposal_map(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    proposed: gpd.GeoDataFrame,
    *,
    covered_before: Any,
    covered_after: Any,
    group: str,
    boundaries: gpd.GeoDataFrame | None = None,
    facility_types: Sequence[str] | None = None,
    service_areas_after: gpd.GeoDataFrame | None = None,
    site_gain: Mapping[Any, float] | None = None,
    service_label: str = "",
    threshold_min: float | None = None,
    mode_label: str = "",
    region_name: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
    date: str | None = None,
    simulated: bool = False,
) -> Figure:
    """Map a siting proposal: existing and proposed sites, villages newly covered, before/after.

    Parameters
    ----------
    demand
        Villages (points) with the column ``group`` (persons).
    facilities
        Existing facilities (points) with ``type``.
    proposed
        The proposed sites (points) with ``name`` (and optionally ``id``, ``type``);
        numbered 1, 2, ... on the map in their row order.
    covered_before, covered_after
        Which villages are covered without and with the proposal (as ``covered``
        in :func:`coverage_map`).
    group
        The population group counted in the before/after figures.
    boundaries
        County and township polygons, optional.
    facility_types
        The facility types that count for the service (existing facilities shown).
    service_areas_after
        Service areas with the proposal, optional (drawn lightly).
    site_gain
        People newly covered per proposed site, keyed by the site's ``id``
        (or row position), for the site list; optional.
    service_label, threshold_min, mode_label
        As in :func:`coverage_map`.
    region_name, title, subtitle, paper, orientation, source, date, simulated
        As in :func:`distribution_map`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CRSError, MissingColumnError, InputError
        As in :func:`coverage_map`.
    """
    demand, facilities = _check_service_layers(
        demand,
        facilities,
        group=group,
        boundaries=boundaries,
        service_areas=service_areas_after,
        areas_name="service_areas_after",
    )
    proposed = _check_layer(proposed, "proposed sites")
    before = _flags(covered_before, demand, "covered_before")
    after = _flags(covered_after, demand, "covered_after") | before
    what, reach = _service_words(service_label, facility_types, threshold_min, mode_label)
    page, crs, bnd, fac, areas, sites, values, xs, ys = _service_sheet(
        demand,
        facilities,
        group=group,
        boundaries=boundaries,
        service_areas=service_areas_after,
        sites=proposed,
        title=title or f"{region_name}{what}选址方案图",
        subtitle=subtitle
        or (
            f"新增 {len(proposed)} 处  ·  {label(group)}  ·  {reach}可达"
            if reach
            else f"新增 {len(proposed)} 处  ·  {label(group)}"
        ),
        paper=paper,
        orientation=orientation,
        source=source,
        date=date,
        simulated=simulated,
    )
    ax = page.ax_map
    sections: list[tuple[str, list[tuple[Any, str]]]] = []
    if areas is not None and len(areas):
        areas.plot(ax=ax, color=_AREA_FILL, alpha=0.35, edgecolor="none", zorder=1.5)
        sections.append(
            (
                "服务范围",
                [
                    (
                        Patch(facecolor=_AREA_FILL, alpha=0.35),
                        f"方案后{reach}服务范围" if reach else "方案后服务范围",
                    )
                ],
            )
        )
    newly = after & ~before
    still = ~after & (values > 0)
    ms = page.pt(3.0)
    before_dot = _dots(page, xs[before], ys[before], size_pt=ms, colour=_COVERED, zorder=9)
    newly_dot = _dots(
        page,
        xs[newly],
        ys[newly],
        size_pt=page.pt(4.6),
        colour=_NEWLY,
        edge="#7f3b08",
        edge_pt=0.4 * page.scale,
        zorder=10,
    )
    still_dot = _dots(page, xs[still], ys[still], size_pt=ms, colour=_UNCOVERED, marker="X", zorder=10)
    sections.append(
        (
            "村(社区)",
            [
                (before_dot, f"现状已覆盖（{int(before.sum())}）"),
                (newly_dot, f"方案新增覆盖（{int(newly.sum())}）"),
                (still_dot, f"仍未覆盖（{int(still.sum())}）"),
            ],
        )
    )
    existing = _draw_facilities(page, fac, types=facility_types, size_pt=3.4, zorder=8, alpha=0.75)
    sections.append(("现有设施（个）", existing))
    star = page.pt(13)
    ax.scatter(
        sites.geometry.x,
        sites.geometry.y,
        s=star**2,
        marker="*",
        c=_PROPOSED,
        edgecolors="white",
        linewidths=0.6 * page.scale,
        zorder=14,
    )
    page.obstacles.extend((geom.x, geom.y, star) for geom in sites.geometry)
    for i, geom in enumerate(sites.geometry, start=1):
        lift = ScaledTranslation(0, (star / 2 + 2.5) / 72.0, page.fig.dpi_scale_trans)
        text = _text(
            ax,
            geom.x,
            geom.y,
            str(i),
            transform=ax.transData + lift,
            ha="center",
            va="bottom",
            fontsize=page.pt(8),
            color=_PROPOSED,
            zorder=22,
            bold_pt=0.4 * page.scale,
            halo_pt=2.6 * page.scale,
        )
        page.labels.insert(0, (-1, text))
    sections.append(("拟建站点", [(_marker("*", star * 0.8, _PROPOSED), f"拟建站点及编号（{len(sites)}）")]))
    _legend(page, sections, boundaries=bnd)

    total = float(np.nansum(values))
    cov_b = float(np.nansum(values[before]))
    cov_a = float(np.nansum(values[after]))
    pct_b = 100 * cov_b / total if total > 0 else float("nan")
    pct_a = 100 * cov_a / total if total > 0 else float("nan")
    unc_b = int((~before & (values > 0)).sum())
    unc_a = int(still.sum())
    rows = [
        [f"覆盖{label(group)}", _fmt_int(cov_b), _fmt_int(cov_a), f"+{_fmt_int(cov_a - cov_b)}"],
        ["覆盖率", _fmt_pct(pct_b), _fmt_pct(pct_a), f"+{pct_a - pct_b:.1f}" if total > 0 else "—"],
        ["未覆盖村(社区)", str(unc_b), str(unc_a), f"{unc_a - unc_b:+d}"],
    ]
    y = _info_table(
        page, "方案前后对比", ["指标", "现状", "方案后", "变化"], rows, col_x=[0.0, 0.36, 0.57, 0.78]
    )
    names = (
        sites["name"].astype(str).tolist()
        if "name" in sites.columns
        else [f"站点{i}" for i in range(1, len(sites) + 1)]
    )
    ids = sites["id"].tolist() if "id" in sites.columns else list(range(len(sites)))
    site_rows = []
    for i, (name, sid) in enumerate(zip(names, ids, strict=True), start=1):
        gain = None if site_gain is None else site_gain.get(sid, site_gain.get(i - 1))
        site_rows.append([f"{i}. {name}", _fmt_int(float(gain)) if gain is not None else ""])
    _info_table(
        page,
        "拟建站点",
        ["站点", "新增覆盖(人)" if site_gain is not None else ""],
        site_rows,
        top=y,
        col_x=[0.0, 0.62],
        fontsize_pt=7.0 if len(site_rows) <= 8 else 5.8,
    )
    return _finish(page, crs)


# --------------------------------------------------------------------------------------------------
# Output


#: Resolutions accepted for PNG maps [dots per inch]: below 72 text is unreadable, above 1200 an A3 page
#: needs gigabytes of memory.
MIN_DPI, MAX_DPI = 72, 1200


def save_map(fig: Figure, path: str | Path, *, dpi: int = 300) -> Path:
    """Write a printed map to ``.pdf`` (vector, fonts embedded) or ``.png`` (``dpi``).

    Parameters
    ----------
    fig
        A figure from :func:`distribution_map`, :func:`coverage_map` or :func:`proposal_map`.
    path
        Output file; the suffix chooses the format. Parent folders are created.
    dpi
        Resolution of PNG output (dots per inch, :data:`MIN_DPI`..:data:`MAX_DPI`); PDF output is vector.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        When the suffix is not ``.pdf`` or ``.png``, or ``dpi`` is outside 72..1200.
    """
    if not (isinstance(dpi, (int, float)) and MIN_DPI <= dpi <= MAX_DPI):
        raise InputError(f"dpi={dpi!r}: the resolution must be between {MIN_DPI} and {MAX_DPI} dots per inch")
    path = output_path(
        path,
        suffixes=(".pdf", ".png"),
        problem="unsupported map format '{suffix}'; use .pdf (vector) or .png (300 dpi)",
    )
    fmt = path.suffix.lower().lstrip(".")
    path.write_bytes(map_bytes(fig, fmt=fmt, dpi=dpi))
    logger.info("wrote %s", path)
    return path


def map_bytes(fig: Figure, *, fmt: str = "pdf", dpi: int = 300) -> bytes:
    """The bytes of a printed map as PDF or PNG (for a download button).

    Parameters
    ----------
    fig
        The map figure.
    fmt
        "pdf" or "png".
    dpi
        Resolution of PNG output (dots per inch, above 0 and at most :data:`MAX_DPI`; previews may be coarse).

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        For another format.
    """
    if fmt not in ("pdf", "png"):
        raise InputError(f"unsupported map format '{fmt}': use 'pdf' or 'png'")
    if not (isinstance(dpi, (int, float)) and 0 < dpi <= MAX_DPI):  # previews may be coarser than MIN_DPI
        raise InputError(f"dpi={dpi!r}: the resolution must be more than 0 and at most {MAX_DPI} dots per inch "
                         f"/ 分辨率须大于 0 且不超过 {MAX_DPI}")
    warn_missing_glyphs([t.get_text() for t in fig.findobj(Text)], where="printed map")
    buf = io.BytesIO()
    metadata = {"Creator": "coverage-planner"} if fmt == "pdf" else {"Software": "coverage-planner"}
    with matplotlib.rc_context(cjk_rc()):
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
    return buf.getvalue()
