"""The web map's zh/en legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium

from coverage.mapping import style
from coverage.mapping.web.base import _is_gcj
from coverage.mapping.web.elements import _Legend
from coverage.mapping.web.layers import dynamic
from coverage.mapping.web.roads import ROAD_STYLES
from coverage.mapping.web.symbols import (
    _RADII_PX,
    _SITE_COLOURS,
    _TOWNSHIP_RADII_PX,
    DEMAND_STYLES,
    FACILITY_SYMBOLS,
    symbol_svg,
)
from coverage.mapping.web.text import _esc, _t
from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, label


def _paren(text: str, lang: str) -> str:
    """``text`` in brackets of the language: full-width in Chinese, ASCII after a space in English."""
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _unit(lang: str) -> str:
    """The unit of the population classes in the language of the map: （人） or (persons)."""
    return _paren(_t("persons", lang), lang)


def _legend_row(sym: str, text: str) -> str:
    return f'<div class="row"><span class="sym">{sym}</span><span>{text}</span></div>'


def _class_row(breaks: Sequence[float], radii: Sequence[float], colour: str) -> str:
    """Graduated classes side by side: each circle over its range (the printed maps' labels)."""
    cells = "".join(f'<span class="cls">{_circle_svg(r, colour)}<small>{text}</small></span>'
                    for r, text in zip(radii, style.class_labels(breaks), strict=True))
    return f'<div class="classes">{cells}</div>'


def _circle_svg(r: float, colour: str, *, ring: bool = False) -> str:
    s = int(2 * r + 4)
    fill = "none" if ring else colour
    stroke = colour if ring else "#ffffff"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}"><circle cx="{s / 2}" cy="{s / 2}" '
            f'r="{r}" fill="{fill}" fill-opacity="0.75" stroke="{stroke}" stroke-width="{2 if ring else 1}"/></svg>')


def add_legend(m: folium.Map, *, lang: str = "zh", demand: Mapping[str, list[float]] | None = None,
               demand_scales: Mapping[str, float] | None = None,
               facility_types: Sequence[str] = (), uncovered: bool | int = False, service_areas: bool = False,
               sites: bool = False, title: str | None = None, note: str | None = None,
               townships: Mapping[str, list[float]] | None = None, roads: Sequence[str] = ()) -> str:
    """A zh/en legend (bottom right, folds away) for the layers drawn; returns its HTML.

    Parameters
    ----------
    demand
        Population group -> class limits (as returned by :func:`add_demand`).
    townships
        Population group -> class limits of the township totals (:func:`add_township_totals`).
    facility_types
        Facility-type keys drawn (as returned by :func:`add_facilities`).
    note
        A line of small print (e.g. "示例数据（模拟）"); escaped.
    roads
        Road display classes drawn (keys of :data:`coverage.mapping.web.roads.ROAD_STYLES`).
    uncovered
        Uncovered villages drawn: their number (shown in the legend), or True.

    The legend is a layer of a feature group of its own (:func:`coverage.mapping.web.layers.dynamic`):
    it changes with the coverage without the map being drawn again.
    """
    parts = [f"<details open><summary>{_esc(title or _t('legend', lang))}</summary>"]
    scales = demand_scales or {}
    for group, breaks in (townships or {}).items():
        if breaks:
            radii = [_TOWNSHIP_RADII_PX[min(i, len(_TOWNSHIP_RADII_PX) - 1)] * scales.get(group, 1.0)
                     for i in range(len(breaks))]
            parts.append(f'<div class="sec">{_esc(label(group, lang))} · {_t("township_total", lang)}'
                         f'{_unit(lang)}</div>')
            parts.append(_class_row(breaks, radii, DEMAND_STYLES.get(group, style.demand_colour(group))))
    for group, breaks in (demand or {}).items():
        if breaks:
            radii = [_RADII_PX[min(i, len(_RADII_PX) - 1)] * scales.get(group, 1.0) for i in range(len(breaks))]
            parts.append(f'<div class="sec">{_esc(label(group, lang))} · {_t("per_village", lang)}'
                         f'{_unit(lang)}</div>')
            parts.append(_class_row(breaks, radii, DEMAND_STYLES.get(group, style.demand_colour(group))))
    if townships and any(townships.values()):
        parts.append(f'<div class="note">{_t("zoom_note", lang)}</div>')
    if facility_types:
        by_cat: dict[str, list[str]] = {}
        for key in facility_types:
            by_cat.setdefault(FACILITY_TYPES[key].category if key in FACILITY_TYPES else "", []).append(key)
        for cat, keys in by_cat.items():
            head = CATEGORIES[cat].label(lang) if cat in CATEGORIES else _t("facilities", lang)
            parts.append(f'<div class="sec">{_esc(head)}</div>')
            for key in keys:
                shape, colour = FACILITY_SYMBOLS.get(key, ("circle", "#777777"))
                parts.append(_legend_row(symbol_svg(shape, colour, size_px=14), _esc(label(key, lang))))
    if roads:
        parts.append(f'<div class="sec">{_t("roads", lang)}</div>')
        for key in roads:
            rs = ROAD_STYLES[key]
            parts.append(_legend_row(f'<span style="display:inline-block;width:18px;height:0;vertical-align:middle;'
                                     f'border-top:{max(rs.weight_px, 1.0):g}px solid {rs.colour}"></span>',
                                     _esc(rs.label(lang))))
        if any(ROAD_STYLES[k].min_zoom is not None for k in roads):
            parts.append(f'<div class="note">{_t("roads_zoom_note", lang)}</div>')
    extra = []
    if uncovered:
        count = "" if uncovered is True else _paren(f"{int(uncovered):,}", lang)
        extra.append(_legend_row(_circle_svg(7, "#d7191c", ring=True), _t("uncovered", lang) + count))
    if service_areas:
        extra.append(_legend_row('<span style="display:inline-block;width:18px;height:12px;background:#31a354;'
                                 'opacity:0.5;border:2px solid #006d2c"></span>', _t("service_areas", lang)))
    if sites:
        for status, colour in _SITE_COLOURS.items():
            extra.append(_legend_row(symbol_svg("star", colour, size_px=16, stroke="#333333"), _t(status, lang)))
    if extra:
        parts.append(f'<div class="sec">{_t("sites", lang) if sites else ""}</div>')
        parts.extend(extra)
    if _is_gcj(m):
        parts.append(f'<div class="note">{_t("gcj_note", lang)}</div>')
    if note:
        parts.append(f'<div class="note">{_esc(note)}</div>')
    parts.append("</details>")
    text = "".join(parts)
    fg = dynamic(folium.FeatureGroup(name=_t("legend", lang), control=False))
    fg.add_child(_Legend(text))
    fg.add_to(m)
    return text
