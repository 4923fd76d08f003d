"""Print layout: the sheet divided into reserved boxes, and what goes in each.

A sheet (A4/A3, portrait or landscape) has a title band, the map frame, a panel
for the legend and the tables, and a footer (source, coordinate system, date).
Nothing is drawn outside its box: a legend too tall for its box gets a smaller
font, then two or three columns; the tables take what the legend leaves and
shrink their font, then cut rows ("……").  The scale bar and north arrow sit in
corners of the map frame that map labels keep clear of (:mod:`.labels`).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle
from matplotlib.transforms import Bbox

from coverage.errors import InputError
from coverage.mapping import style
from coverage.mapping.labels import renderer_of, styled_text

__all__ = ["ORIENTATIONS", "PAPER_SIZES_MM", "Page", "draw_legend", "finish", "info_table", "new_page",
           "page_size_mm", "set_extent"]

logger = logging.getLogger(__name__)

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

#: Page orientations.
ORIENTATIONS = ("landscape", "portrait")

MM_PER_INCH = 25.4
_LAND = "#fbfaf6"
_TITLE_INK = "#000000"  # the title: heavier than INK, as the font has a single weight


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
class Page:
    """A laid-out sheet: figure, map axes, legend and table boxes; sizes in points times ``scale``."""

    fig: Figure
    ax_map: Any
    ax_legend: Any
    ax_info: Any
    panel: Bbox  # figure fraction: the box shared by legend (top) and tables (below it)
    scale: float  # 1 on A4, sqrt(2) on A3: everything printed grows with the sheet
    landscape: bool
    lang: str = "zh"
    labels: list[tuple[int, Any, str]] = field(default_factory=list)  # (priority, Text, kind)
    obstacles: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y, size_pt) of symbols
    furniture: list[Any] = field(default_factory=list)  # artists in the map frame labels keep clear of

    def pt(self, size_pt: float) -> float:
        """A size in points on this sheet."""
        return size_pt * self.scale

    def text(self, key: str, **fields: object) -> str:
        """A map text in the sheet's language."""
        return style.text(key, self.lang, **fields)


def new_page(*, paper: str, orientation: str, title: str, subtitle: str | None, source: str | None, date: str,
             crs_note: str, simulated: bool, lang: str = "zh") -> Page:
    """Open a sheet: boxes, title, footer and the demo mark."""
    if lang not in style.LANGS:
        raise InputError(f"unknown language '{lang}': use 'zh' (中文) or 'en' (English)")
    width_mm, height_mm = page_size_mm(paper, orientation)
    scale = width_mm / 297.0 if orientation == "landscape" else width_mm / 210.0
    fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH))
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
        panel = Bbox.from_bounds(fx(px), fy(bottom_mm), fx(panel_mm), fy(top_mm - bottom_mm))
        ax_legend = fig.add_axes(panel.bounds)
        ax_info = fig.add_axes(panel.bounds)
    else:
        panel_h_mm = 0.27 * (top_mm - bottom_mm)
        gap_mm = 4.0 * scale
        full_w_mm = width_mm - 2 * margin_mm
        map_bottom_mm = bottom_mm + panel_h_mm + gap_mm
        ax_map = fig.add_axes((fx(margin_mm), fy(map_bottom_mm), fx(full_w_mm), fy(top_mm - map_bottom_mm)))
        half_mm = full_w_mm * 0.55
        panel = Bbox.from_bounds(fx(margin_mm), fy(bottom_mm), fx(full_w_mm), fy(panel_h_mm))
        ax_legend = fig.add_axes((fx(margin_mm), fy(bottom_mm), fx(half_mm - 2 * scale), fy(panel_h_mm)))
        ax_info = fig.add_axes((fx(margin_mm + half_mm + 2 * scale), fy(bottom_mm),
                                fx(full_w_mm - half_mm - 2 * scale), fy(panel_h_mm)))
    for ax in (ax_legend, ax_info):
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    ax_map.set_facecolor(_LAND)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    for spine in ax_map.spines.values():
        spine.set_linewidth(1.2 * scale)
        spine.set_color(style.INK)
    page = Page(fig, ax_map, ax_legend, ax_info, panel, scale, landscape, lang)
    if source is None:
        source = page.text("demo_source" if simulated else "default_source")
    renderer = renderer_of(fig)
    room_px = (1 - 2 * fx(margin_mm)) * fig.bbox.width
    # The title is plain text in pure black, with no faux-bold outline underneath: the shipped font has one
    # weight, and an outline drawn under rasterised text shows as doubled glyphs in low-resolution previews.
    title_text = fig.text(0.5, 1 - fy(margin_mm + 9.0 * scale), title, ha="center", va="center",
                          fontsize=page.pt(20), color=_TITLE_INK, gid="title")
    _shrink_to(title_text, room_px, renderer)
    if subtitle:
        sub = fig.text(0.5, 1 - fy(margin_mm + 17.5 * scale), subtitle, ha="center", va="center",
                       fontsize=page.pt(10.5), color="#444444", gid="subtitle")
        _shrink_to(sub, room_px, renderer)
    # footer: source on the upper line, coordinate system below it, date on the right
    upper_y, lower_y = fy(margin_mm + 5.0 * scale), fy(margin_mm + 1.2 * scale)
    footer: dict[str, Any] = {"va": "center", "fontsize": page.pt(7), "color": "#444444"}
    dated = fig.text(1 - fx(margin_mm), upper_y, page.text("date", date=date), ha="right", gid="date", **footer)
    src = fig.text(fx(margin_mm), upper_y, page.text("source", source=source), ha="left", gid="source", **footer)
    _shrink_to(src, room_px - dated.get_window_extent(renderer).width - page.pt(12) * fig.dpi / 72, renderer)
    fig.text(fx(margin_mm), lower_y, crs_note, ha="left", gid="crs", **footer)
    if simulated:
        mark = styled_text(ax_map, 0.012, 0.985, page.text("simulated"), transform=ax_map.transAxes, ha="left",
                           va="top", fontsize=page.pt(11), color="#c00000", zorder=30, bold_pt=0.4 * scale,
                           gid="simulated",
                           bbox={"boxstyle": "square,pad=0.35", "facecolor": "white", "edgecolor": "#c00000",
                                 "linewidth": 1.2 * scale})
        note = styled_text(ax_map, 0.012, 0.985 - 0.045, page.text("demo_only"), transform=ax_map.transAxes,
                           ha="left", va="top", fontsize=page.pt(7), color="#c00000", zorder=30,
                           halo_pt=1.6 * scale)
        page.furniture += [mark, note]
    return page


def _shrink_to(text: Any, room_px: float, renderer: Any) -> None:
    """Shrink a text's font so that it is at most ``room_px`` wide."""
    width = text.get_window_extent(renderer).width
    if width > room_px > 0:
        text.set_fontsize(text.get_fontsize() * room_px / width * 0.98)


def set_extent(page: Page, *layers: gpd.GeoDataFrame | None, pad: float = 0.03) -> None:
    """Fit the layers' bounds into the map frame at equal x/y scale (centred, padded)."""
    arr = np.array([layer.total_bounds for layer in layers if layer is not None and len(layer)])
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


def metres_per_paper_mm(page: Page) -> float:
    """Map metres per millimetre of paper."""
    x0, x1 = page.ax_map.get_xlim()
    width_mm = page.ax_map.get_position().width * page.fig.get_figwidth() * MM_PER_INCH
    return float((x1 - x0) / width_mm)


# ------------------------------------------------------------------------------------------ legend
def draw_legend(page: Page, sections: Sequence[tuple[str, Sequence[tuple[Any, str]]]], *,
                min_table_share: float = 0.34) -> Legend | None:
    """The legend, sections headed in black, fitted into its box.

    On a landscape sheet the legend sits at the top of the side panel and may
    take up to ``1 - min_table_share`` of it; the tables get the rest.  On a
    portrait sheet it has the left part of the bottom panel.  A legend that
    does not fit gets a smaller font (down to 5 pt), then more columns (never wider than
    its panel), then, on a landscape sheet, more of the panel at the tables' expense.
    Entries without a symbol (``None`` handle) are refused: every entry shows
    what is drawn.
    """
    kept = [(heading, list(entries)) for heading, entries in sections if entries]
    if not kept:
        return None
    handles: list[Any] = []
    labels: list[str] = []
    headings: list[str] = []
    for heading, entries in kept:
        handles.append(Line2D([], [], linestyle="none"))
        labels.append(heading)
        headings.append(heading)
        for handle, text in entries:
            if handle is None:
                raise InputError(f"legend entry '{text}' has no symbol")
            handles.append(handle)
            labels.append(text)
    fig = page.fig
    renderer = renderer_of(fig)
    panel_px = page.panel.transformed(fig.transFigure)
    if page.landscape:
        room = Bbox.from_extents(panel_px.x0, panel_px.y0 + min_table_share * panel_px.height,
                                 panel_px.x1, panel_px.y1)
    else:
        room = page.ax_legend.get_window_extent(renderer)
    rooms = [room]
    if page.landscape:  # still too large: the legend may take the whole panel, the tables what is left
        rooms.append(Bbox.from_extents(panel_px.x0, panel_px.y0 + 0.08 * panel_px.height, panel_px.x1,
                                       panel_px.y1))
    legend: Legend | None = None
    best: tuple[float, int, float] | None = None  # (height overflow, ncol, size) of the best that fits the width
    fitted = False
    for space in rooms:
        for ncol in (1, 2, 3):
            for size in (7.0, 6.5, 6.0, 5.5, 5.0):
                if legend is not None:
                    legend.remove()
                legend = _make_legend(page, handles, labels, headings, size_pt=size, ncol=ncol)
                box = legend.get_window_extent(renderer)
                if box.width <= space.width:
                    overflow = box.height - space.height
                    if overflow <= 0:
                        fitted = True
                        break
                    if best is None or overflow < best[0]:
                        best = (overflow, ncol, size)
            if fitted:
                break
        if fitted:
            break
    if not fitted and best is not None:  # never wider than the panel (it would leave the sheet)
        if legend is not None:
            legend.remove()
        legend = _make_legend(page, handles, labels, headings, size_pt=best[2], ncol=best[1])
        logger.warning("the legend (%d entries) is taller than its box even at 5 pt; it overlaps the tables",
                       len(labels))
    if legend is None:  # pragma: no cover - the loop always makes one
        return None
    box = legend.get_window_extent(renderer)
    if page.landscape:  # the tables take the panel below the legend
        gap_px = page.pt(4) * fig.dpi / 72
        top = (box.y0 - gap_px - panel_px.y0) / panel_px.height
        pos = page.panel
        page.ax_info.set_position((pos.x0, pos.y0, pos.width, pos.height * max(top, 0.05)))
    return legend


def _make_legend(page: Page, handles: list[Any], labels: list[str], headings: list[str], *, size_pt: float,
                 ncol: int) -> Legend:
    legend = page.ax_legend.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(0.0, 0.0, 1.0, 1.0), ncols=ncol, frameon=True,
        fancybox=False,
        edgecolor="#999999", fontsize=page.pt(size_pt), title=page.text("legend"),
        title_fontsize=page.pt(size_pt + 2.5), handlelength=2.2, handleheight=1.1, labelspacing=0.5,
        borderpad=0.7, columnspacing=1.2, alignment="left")  # natural width: the fit test sees long labels
    legend.get_frame().set_linewidth(0.6 * page.scale)
    legend.set_gid("legend")
    heads = set(headings)
    for text in legend.get_texts():
        if text.get_text() in heads:
            text.set_fontsize(page.pt(size_pt + 0.6))
            text.set_color("#000000")
            text.set_gid("legend-heading")
    legend._coverage_headings = headings
    return legend


# ------------------------------------------------------------------------------------------ tables
def info_table(page: Page, heading: str, header: Sequence[str], rows: Sequence[Sequence[str]], *,
               top: float = 1.0, col_x: Sequence[float] | None = None, fontsize_pt: float = 7.0) -> float:
    """A small table of text in the table box; returns the y (axes fraction) below it.

    The font shrinks (down to 5 pt) so that every row fits above the box's bottom;
    rows that still do not fit are cut and "……" says so.
    """
    ax = page.ax_info
    height_pt = ax.get_position().height * page.fig.get_figheight() * 72.0
    needed = page.pt(fontsize_pt) * 1.75 / height_pt * (len(rows) + 2.6)
    if needed > top > 0:
        fontsize_pt = max(5.0, fontsize_pt * top / needed)
    line = page.pt(fontsize_pt) * 1.75 / height_pt
    head_line = page.pt(8.5) * 1.5 / height_pt
    ncols = len(header)
    if col_x is None:
        col_x = [0.0, *[0.46 + i * (0.54 / max(ncols - 1, 1)) for i in range(ncols - 1)]]
    col_x, fontsize_pt = _fit_columns(page, [header, *rows], list(col_x), fontsize_pt)
    line = page.pt(fontsize_pt) * 1.75 / height_pt
    widths = [*(b - a for a, b in itertools.pairwise(col_x)), 1.0 - col_x[-1]]

    def cell(j: int, y: float, value: str, **kw: Any) -> Any:
        x = col_x[j] + (0 if j == 0 else widths[j] / 2)
        return styled_text(ax, x, y, value, ha="left" if j == 0 else "center", va="top",
                           fontsize=page.pt(fontsize_pt), gid="table", **kw)

    y = top
    if y - head_line - 2 * line < 0:  # no room for even one row
        return y
    styled_text(ax, 0.0, y, heading, ha="left", va="top", fontsize=page.pt(8.5), color=style.INK,
                bold_pt=0.35 * page.scale, gid="table")
    y -= head_line
    for j, value in enumerate(header):
        if value:
            cell(j, y, value, color="#333333", bold_pt=0.25 * page.scale)
    y -= line
    ax.plot([0, 1], [y + line * 0.15, y + line * 0.15], color="#999999", linewidth=0.6 * page.scale)
    for i, row in enumerate(rows):
        if y - 2 * line < 0 and i < len(rows) - 1:
            cell(0, y, page.text("more"), color="#666666")
            y -= line
            break
        for j, value in enumerate(row):
            cell(j, y, value, color=style.INK)
        y -= line
    ax.plot([0, 1], [y + line * 0.15, y + line * 0.15], color="#999999", linewidth=0.6 * page.scale)
    return y - line * 0.6


def _text_widths(page: Page, cells: Sequence[Sequence[str]], fontsize_pt: float) -> list[float]:
    """Widest text of each column at ``fontsize_pt``, as a fraction of the table box's width."""
    ax = page.ax_info
    renderer = renderer_of(page.fig)
    box_px = ax.get_window_extent(renderer).width or 1.0
    ncols = max(len(r) for r in cells)
    widest = [0.0] * ncols
    probe = ax.text(0, 0, "", fontsize=page.pt(fontsize_pt))
    try:
        for row in cells:
            for j, value in enumerate(row):
                if value:
                    probe.set_text(str(value))
                    widest[j] = max(widest[j], probe.get_window_extent(renderer).width / box_px)
    finally:
        probe.remove()
    return widest


def _fit_columns(page: Page, cells: Sequence[Sequence[str]], col_x: list[float],
                 fontsize_pt: float) -> tuple[list[float], float]:
    """Column starts (axes fractions) and a font size at which no cell runs into its neighbour.

    The given starts are kept when every text fits (first column left-aligned, the others centred
    in theirs); otherwise the first column gets the width of its longest text and the others share
    the rest in proportion to theirs, and the font shrinks (down to 5 pt) if even that is too wide.
    """
    pad = 0.04  # between columns, as a fraction of the box
    ncols = len(col_x)
    for _ in range(4):
        wide = _text_widths(page, cells, fontsize_pt)[:ncols]
        wide += [0.0] * (ncols - len(wide))
        widths = [*(b - a for a, b in itertools.pairwise(col_x)), 1.0 - col_x[-1]]
        if all(w + (pad if j < ncols - 1 else 0.0) <= widths[j] + 1e-9 for j, w in enumerate(wide)):
            return col_x, fontsize_pt
        need = [w + pad for w in wide]
        total = sum(need)
        if total > 1.0:
            if fontsize_pt <= 5.0:
                break
            fontsize_pt = max(5.0, fontsize_pt / total * 0.98)
            continue
        spare = (1.0 - total) / ncols
        starts, x = [], 0.0
        for w in need:
            starts.append(x)
            x += w + spare
        return starts, fontsize_pt
    return col_x, fontsize_pt


# ------------------------------------------------------------------------------------------ furniture
def scale_bar(page: Page, crs: Any) -> None:
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
    m_per_mm = metres_per_paper_mm(page)  # grid metres per millimetre of paper
    target_km = (x1 - x0) / k / 1000.0 / 5.0
    length_km = max(step for step in _NICE_STEPS if step <= max(target_km, 0.1))
    length_m = length_km * 1000.0 * k  # grid metres
    n_seg = 4
    seg_m = length_m / n_seg
    mm = page.scale * m_per_mm
    bar_h = 1.4 * mm
    bx, by = x0 + 6.0 * mm, y0 + 8.0 * mm
    pad = 3.0 * mm
    backdrop = Rectangle((bx - pad, by - 5.0 * mm), length_m + 2 * pad + 8 * mm, 12.5 * mm, facecolor="white",
                         edgecolor="none", alpha=0.85, zorder=24)
    ax.add_patch(backdrop)
    page.furniture.append(backdrop)
    for i in range(n_seg):
        ax.add_patch(Rectangle((bx + i * seg_m, by), seg_m, bar_h, facecolor=style.INK if i % 2 == 0 else "white",
                               edgecolor=style.INK, linewidth=0.6 * page.scale, zorder=25, gid="scalebar"))
    for value_km, x in ((0.0, bx), (length_km / 2, bx + length_m / 2), (length_km, bx + length_m)):
        ax.text(x, by + bar_h + 0.8 * mm, f"{value_km:g}", ha="center", va="bottom", fontsize=page.pt(6.5),
                color=style.INK, zorder=26, gid="scalebar-km")
    ax.text(bx + length_m + 2.0 * mm, by + bar_h / 2, page.text("km"), ha="left", va="center",
            fontsize=page.pt(6.5), color=style.INK, zorder=26)
    ratio = m_per_mm * 1000.0 / k
    ax.text(bx, by - 1.2 * mm, page.text("scale", ratio=_round_sig(ratio, 3)), ha="left", va="top",
            fontsize=page.pt(6), color="#444444", zorder=26, gid="scale-ratio")


def _round_sig(value: float, digits: int) -> int:
    if value <= 0:
        return 0
    return int(round(value, digits - 1 - math.floor(math.log10(value))))


_NICE_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def north_arrow(page: Page, crs: Any) -> None:
    """A north arrow in the upper right, rotated to true north at the map centre."""
    from pyproj import Transformer

    ax = page.ax_map
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    nx_, ny_ = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat + 0.01)
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

    for side, fill in ((-0.45, style.INK), (0.45, "white")):
        inset.add_patch(Polygon(rot([(0, 1), (side, -0.8), (0, -0.4)]), closed=True, facecolor=fill,
                                edgecolor=style.INK, linewidth=0.6 * page.scale))
    tx, ty = rot([(0, 1.45)])[0]
    styled_text(inset, tx, ty, page.text("north"), ha="center", va="center", fontsize=page.pt(10),
                color=style.INK, bold_pt=0.4 * page.scale, gid="north")
    page.furniture.append(inset)


def finish(page: Page, crs: Any) -> Figure:
    """Draw the north arrow and scale bar, then place the map's labels clear of everything."""
    from coverage.mapping.labels import place_labels

    page.ax_map.set_xlabel("")
    page.ax_map.set_ylabel("")
    north_arrow(page, crs)
    scale_bar(page, crs)
    place_labels(page)
    return page.fig
