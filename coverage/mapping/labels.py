"""Map labels: text with a halo that stays searchable, and placement without collisions.

Labels are placed after everything else is drawn, in order of importance:
the numbers of proposed sites (always shown, moved around their star, with a
leader line when far), county names (always shown, moved inside their county
off the symbols), then township names (dropped when they collide).  Nothing is
placed over the scale bar, the north arrow or the demo mark.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from matplotlib import patheffects
from matplotlib.transforms import Bbox, ScaledTranslation

if TYPE_CHECKING:
    from coverage.mapping.layout import Page

__all__ = ["place_labels", "renderer_of", "set_visible", "styled_text"]

logger = logging.getLogger(__name__)

#: Label kinds in the order they are placed; the first two are never dropped.
KINDS = ("site", "county", "township")


def renderer_of(fig: Any) -> Any:
    """The Agg renderer of a figure drawn on an Agg canvas (text sizes are measured with it)."""
    return fig.canvas.get_renderer()


def styled_text(target: Any, x: float, y: float, s: str, *, bold_pt: float = 0.0, halo_pt: float = 0.0,
                **kwargs: Any) -> Any:
    """Text with an optional white halo and faux bold that stays real (searchable) text in the PDF.

    The shipped font has a single weight, and matplotlib turns text with path
    effects into outlines (not extractable by pdftotext), so the halo and the
    extra weight are drawn by an outline *underlay* (gid "underlay"); plain text
    is drawn on top.  The underlay is the top text's ``_underlay``.
    """
    effects: list[Any] = []
    if halo_pt:
        effects.append(patheffects.Stroke(linewidth=halo_pt, foreground="white"))
    if bold_pt:
        effects.append(patheffects.Stroke(linewidth=bold_pt, foreground=kwargs.get("color", "#222222")))
    under = None
    if effects:
        zorder = kwargs.get("zorder", 3)
        under_kw = {k: v for k, v in kwargs.items() if k != "bbox"}
        under = target.text(x, y, s, **{**under_kw, "zorder": zorder + 0.005, "gid": "underlay"},
                            path_effects=effects)
        kwargs["zorder"] = zorder + 0.01
    top = target.text(x, y, s, **kwargs)
    top._underlay = under
    return top


def set_visible(text: Any, visible: bool) -> None:
    """Show or hide a label and its underlay."""
    text.set_visible(visible)
    under = getattr(text, "_underlay", None)
    if under is not None:
        under.set_visible(visible)


def _shift(page: Page, text: Any, base: Any, dx_pt: float, dy_pt: float) -> None:
    transform = base + ScaledTranslation(dx_pt / 72.0, dy_pt / 72.0, page.fig.dpi_scale_trans)
    for t in (text, getattr(text, "_underlay", None)):
        if t is not None:
            t.set_transform(transform)


def _candidates(page: Page, kind: str, text: Any, renderer: Any) -> list[tuple[float, float, int]]:
    """Offsets (dx_pt, dy_pt, ring) to try, nearest first."""
    box = text.get_window_extent(renderer)
    px_per_pt = page.fig.dpi / 72.0
    w, h = box.width / px_per_pt, box.height / px_per_pt
    if kind == "site":
        star = getattr(text, "_star_pt", page.pt(10))
        out = []
        for ring in (1, 2, 3, 4):
            radius = ring * (star / 2 + 1.5) + max(w, h) / 2
            for k in range(8):
                a = math.radians(90 - 45 * k)
                out.append((radius * math.cos(a), radius * math.sin(a), ring))
        return out
    if kind == "county":
        steps = [(0.0, 0.0)]
        for i in (1, 2, 3, 4):
            steps += [(0, i * h), (0, -i * h), (i * w * 0.6, 0), (-i * w * 0.6, 0), (i * w * 0.6, i * h),
                      (-i * w * 0.6, -i * h), (i * w * 0.6, -i * h), (-i * w * 0.6, i * h)]
        return [(dx, dy, 0) for dx, dy in steps]
    return [(0.0, 0.0, 0), (0.0, h, 0), (0.0, -h, 0)]


def _inside_area(page: Page, text: Any, dx_pt: float, dy_pt: float) -> bool:
    area = getattr(text, "_area", None)
    if area is None:
        return True
    from shapely.geometry import Point

    x, y = text.get_position()
    px = page.ax_map.transData.transform((x, y))
    dx_px, dy_px = dx_pt * page.fig.dpi / 72.0, dy_pt * page.fig.dpi / 72.0
    gx, gy = page.ax_map.transData.inverted().transform((px[0] + dx_px, px[1] + dy_px))
    return bool(area.contains(Point(gx, gy)))


def _padded(box: Bbox, pad: float) -> Bbox:
    return Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)


def _furniture_box(artist: Any, renderer: Any) -> Bbox:
    patch = artist.get_bbox_patch() if hasattr(artist, "get_bbox_patch") else None
    box = artist.get_window_extent(renderer)
    return Bbox.union([box, patch.get_window_extent(renderer)]) if patch is not None else box


def place_labels(page: Page, *, pad_pt: float = 1.2) -> None:
    """Place the map's labels clear of each other, of kept symbols and of the map furniture.

    Site numbers and county names are always shown (moved to the first free
    position, or the least crowded one); township names are hidden where no
    free position is found.
    """
    fig, ax = page.fig, page.ax_map
    renderer = renderer_of(fig)
    frame = ax.get_window_extent(renderer)
    pad = pad_pt * fig.dpi / 72.0
    placed: list[Bbox] = [_furniture_box(a, renderer) for a in page.furniture]
    for x, y, size_pt in page.obstacles:
        cx, cy = ax.transData.transform((x, y))
        half = size_pt / 2 * fig.dpi / 72.0 * 0.8
        placed.append(Bbox.from_extents(cx - half, cy - half, cx + half, cy + half))
    order = sorted(page.labels, key=lambda item: (KINDS.index(item[2]) if item[2] in KINDS else 9, item[0]))
    hidden = 0
    for _, text, kind in order:
        text.set_gid("map-label")
        base = text.get_transform()
        best: tuple[int, float, float, int] | None = None
        chosen = None
        for dx, dy, ring in _candidates(page, kind, text, renderer):
            _shift(page, text, base, dx, dy)
            box = _padded(text.get_window_extent(renderer), pad)
            inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
            if not inside or not _inside_area(page, text, dx, dy):
                continue
            clashes = sum(1 for other in placed if box.overlaps(other))
            if clashes == 0:
                chosen = (dx, dy, ring)
                break
            if best is None or clashes < best[0]:
                best = (clashes, dx, dy, ring)
        if chosen is None and kind in ("site", "county") and best is not None:
            chosen = best[1:]
            logger.info("label '%s' overlaps %d other(s): no free position", text.get_text(), best[0])
        if chosen is None:
            if kind in ("site", "county"):
                _shift(page, text, base, 0.0, 0.0)
                placed.append(_padded(text.get_window_extent(renderer), pad))
                continue
            set_visible(text, False)
            hidden += 1
            continue
        dx, dy, ring = chosen
        _shift(page, text, base, dx, dy)
        placed.append(_padded(text.get_window_extent(renderer), pad))
        if kind == "site" and ring > 1:
            _leader(page, text, dx, dy)
    if hidden:
        logger.debug("hid %d of %d labels to avoid overlaps", hidden, len(page.labels))


def _leader(page: Page, text: Any, dx_pt: float, dy_pt: float) -> None:
    """A thin line from a site's star towards its number placed further out."""
    x, y = text.get_position()
    star = getattr(text, "_star_pt", page.pt(10))
    length = math.hypot(dx_pt, dy_pt)
    if length <= 0:
        return
    start = (star / 2) / length
    end = 1 - 5.0 / length
    ax = page.ax_map
    px = ax.transData.transform((x, y))
    k = page.fig.dpi / 72.0
    pts = [ax.transData.inverted().transform((px[0] + dx_pt * k * f, px[1] + dy_pt * k * f)) for f in (start, end)]
    ax.plot([pts[0][0], pts[1][0]], [pts[0][1], pts[1][1]], color=text.get_color(), linewidth=0.5 * page.scale,
            zorder=21, gid="leader")
