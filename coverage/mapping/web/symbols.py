"""Inline-SVG symbols, graduated-circle classes and the colours of the web map's layers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from coverage.errors import InputError
from coverage.mapping import style

#: Demand groups drawn by default: fill colour of their graduated circles (shared with the printed maps).
DEMAND_STYLES: dict[str, str] = style.DEMAND_COLOURS

_SHAPES = tuple(style.MPL_MARKERS)

#: Facility type -> (shape, colour): every type its own symbol, hue by category (shared with the printed maps).
FACILITY_SYMBOLS: dict[str, tuple[str, str]] = style.FACILITY_SYMBOLS


def _polygon_points(n: int, r: float, c: float, start_deg: float = -90.0, inner: float | None = None) -> str:
    pts = []
    count = n * 2 if inner else n
    for i in range(count):
        radius = (inner if inner and i % 2 else r)
        a = math.radians(start_deg + 360.0 * i / count)
        pts.append(f"{c + radius * math.cos(a):.1f},{c + radius * math.sin(a):.1f}")
    return " ".join(pts)


def symbol_svg(shape: str, colour: str, *, size_px: int = 16, stroke: str = "#ffffff") -> str:
    """An inline SVG symbol (no icon font, no image file).

    Parameters
    ----------
    shape
        One of ``circle, square, triangle, diamond, star, pentagon, hexagon``.
    colour
        Fill colour (CSS).
    size_px
        Width and height [px].
    """
    c = size_px / 2
    r = c - 1.5
    if shape == "circle":
        body = f'<circle cx="{c}" cy="{c}" r="{r:.1f}"/>'
    elif shape == "square":
        body = f'<rect x="2" y="2" width="{size_px - 4}" height="{size_px - 4}"/>'
    elif shape == "triangle":
        body = f'<polygon points="{_polygon_points(3, r + 1, c, -90)}"/>'
    elif shape == "diamond":
        body = f'<polygon points="{_polygon_points(4, r, c, -90)}"/>'
    elif shape == "star":
        body = f'<polygon points="{_polygon_points(5, r + 1, c, -90, inner=r * 0.45)}"/>'
    elif shape == "pentagon":
        body = f'<polygon points="{_polygon_points(5, r, c, -90)}"/>'
    elif shape == "hexagon":
        body = f'<polygon points="{_polygon_points(6, r, c, 0)}"/>'
    else:
        raise InputError(f"unknown symbol shape '{shape}'; choose one of {', '.join(_SHAPES)}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {size_px} {size_px}" style="display:block">'
            f'<g fill="{colour}" stroke="{stroke}" stroke-width="1.2">{body}</g></svg>')


def graduated_breaks(values: Sequence[float] | np.ndarray, *, n_classes: int = 4) -> list[float]:
    """Rounded class limits for graduated symbols (upper limits, ascending).

    The one rule of :func:`coverage.mapping.style.class_breaks`, shared with the
    printed maps: quantiles rounded to nice numbers; zeros and NaN are left out
    (villages without the group get no symbol).
    """
    return style.class_breaks(values, n_classes=n_classes)


_RADII_PX = (4.0, 6.5, 9.5, 13.0, 17.0)


def _radius_px(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    idx = np.searchsorted(np.asarray(breaks), values, side="left")
    idx = np.clip(idx, 0, len(_RADII_PX) - 1)
    return np.asarray(_RADII_PX)[idx]


#: Radii [px] of township-total classes (larger than the villages' at the same class).
_TOWNSHIP_RADII_PX = (6.0, 9.0, 12.5, 16.5, 21.0)

#: Star colour of a site by status.
_SITE_COLOURS = {"proposed": "#ffd400", "accepted": "#1a9641", "manual": "#0571b0"}
