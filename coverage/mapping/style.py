"""One map style shared by the web map and the printed map.

Colours, symbols, class breaks and texts live here, so a village drawn in a
class on the screen is drawn in the same class, colour and shape on paper.
Class breaks follow one rule (:func:`class_breaks`): quantiles of the positive
values rounded to "nice" numbers (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k), the
top class closed by the largest value.  Compute the breaks once and hand them
to both maps.

Example
-------
>>> class_breaks([10, 20, 30, 40, 50, 60, 70, 80, 1234])
[30.0, 50.0, 80.0, 1234.0]
>>> class_labels([30.0, 50.0, 80.0, 1234.0])
['1–30', '31–50', '51–80', '81–1,234']
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, POPULATION_GROUPS

__all__ = [
    "CHOROPLETH",
    "COUNTY_EDGE",
    "COVERED",
    "DEMAND_COLOURS",
    "FACILITY_SYMBOLS",
    "INK",
    "LANGS",
    "MPL_MARKERS",
    "NEWLY",
    "PROPOSED",
    "SERVICE_AREA",
    "TOWNSHIP_EDGE",
    "UNCOVERED",
    "choropleth_colours",
    "class_breaks",
    "class_labels",
    "classify",
    "demand_colour",
    "nice_number",
    "retime_label",
    "text",
]

#: Languages of map texts.
LANGS = ("zh", "en")

INK = "#222222"
COUNTY_EDGE = "#3a3a3a"
TOWNSHIP_EDGE = "#8c8c8c"
COVERED = "#2e9e5b"
UNCOVERED = "#d7301f"
NEWLY = "#f28e2b"
PROPOSED = "#c51b7d"
SERVICE_AREA = "#31a354"

#: Population group -> fill colour of its symbols (screen and paper).
DEMAND_COLOURS: dict[str, str] = {
    "elderly_60plus": "#b5523b",
    "elderly_80plus": "#8c2d04",
    "disabled_elderly": "#7a0177",
    "left_behind_elderly": "#d95f0e",
    "dispersed_poor": "#636363",
    "left_behind_children": "#2171b5",
    "children_in_difficulty": "#08519c",
    "population": "#969696",
}

#: Sequential colours of a township choropleth (light to dark, ColorBrewer YlOrBr 5).
CHOROPLETH: tuple[str, ...] = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")

_CATEGORY_COLOURS: dict[str, tuple[str, ...]] = {
    "care": ("#e6550d", "#a63603", "#fd8d3c", "#d94801", "#f16913", "#b30000", "#fdae6b"),
    "funeral": ("#54278f", "#756bb1", "#4a1486", "#9e9ac8", "#3f007d"),
    "child": ("#238b45", "#006d2c", "#41ab5d", "#00441b"),
}
_SHAPES = ("circle", "square", "triangle", "diamond", "star", "pentagon", "hexagon")

#: Symbol shape -> matplotlib marker.
MPL_MARKERS: dict[str, str] = {
    "circle": "o", "square": "s", "triangle": "^", "diamond": "D", "star": "*", "pentagon": "p", "hexagon": "h",
}


def _facility_symbols() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for category in CATEGORIES:
        colours = _CATEGORY_COLOURS.get(category, ("#555555",))
        keys = [t.key for t in FACILITY_TYPES.values() if t.category == category]
        for i, key in enumerate(keys):
            # once every colour is used, the shapes move on by one: no two types share shape and colour
            out[key] = (_SHAPES[(i + i // len(colours)) % len(_SHAPES)], colours[i % len(colours)])
    return out


#: Facility type -> (shape, colour): every type its own symbol, hue by category.
FACILITY_SYMBOLS: dict[str, tuple[str, str]] = _facility_symbols()


def demand_colour(group: str) -> str:
    """Fill colour of a population group's symbols."""
    if group in DEMAND_COLOURS:
        return DEMAND_COLOURS[group]
    kind = POPULATION_GROUPS[group].kind if group in POPULATION_GROUPS else ""
    return {"elderly": "#b5523b", "child": "#2171b5"}.get(kind, "#7b5ea7")


# ------------------------------------------------------------------------------------------ classes
_NICE_STEPS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def nice_number(value: float) -> float:
    """Round a positive number up to 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k (0 for 0 and below)."""
    if not value > 0:
        return 0.0
    exp = math.floor(math.log10(value))
    base = value / 10**exp
    for step in _NICE_STEPS:
        if base <= step + 1e-9:
            return float(round(step * 10**exp, 6))
    return float(10 ** (exp + 1))  # pragma: no cover - base is below 10


def class_breaks(values: npt.ArrayLike, *, n_classes: int = 4) -> list[float]:
    """Upper limits (ascending) of up to ``n_classes`` classes of the positive values.

    Quantiles rounded up to nice numbers; the last limit is the largest value.
    Zeros and NaN are left out (villages without the group get no symbol).

    Parameters
    ----------
    values
        Counts (persons) per village or township.
    n_classes
        Classes wanted (fewer when values repeat).

    Returns
    -------
    list of float
        Empty when no value is positive.
    """
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return []
    top = float(vals.max())
    qs = np.quantile(vals, np.linspace(0, 1, n_classes + 1)[1:-1])
    breaks = sorted({nice_number(float(q)) for q in qs if nice_number(float(q)) < top})
    return [*breaks, top]


def class_labels(breaks: Sequence[float]) -> list[str]:
    """Legend texts of classes with upper limits ``breaks``: "1–30", "31–50", ..."""
    out = []
    lower = 0.0
    for i, upper in enumerate(breaks):
        lo = f"{math.floor(lower) + 1:,}" if i else "1"
        out.append(f"{lo}–{math.ceil(upper):,}")
        lower = upper
    return out


def classify(values: npt.ArrayLike, breaks: Sequence[float]) -> npt.NDArray[np.int64]:
    """Class index (0-based) of each value under ``breaks`` (values above the top go to the top class)."""
    vals = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks[:-1], dtype=float), vals, side="left")
    return idx.astype(np.int64)


def choropleth_colours(n: int) -> list[str]:
    """``n`` colours of the choropleth ramp, light to dark."""
    if n <= 0:
        return []
    if n == 1:
        return [CHOROPLETH[2]]
    picks = np.linspace(0, len(CHOROPLETH) - 1, n).round().astype(int)
    return [CHOROPLETH[i] for i in picks]


# ------------------------------------------------------------------------------------------ texts
_TEXT: dict[str, tuple[str, str]] = {
    "legend": ("图  例", "Legend"),
    "admin": ("行政区划", "Boundaries"),
    "county_line": ("县(市、区)界", "County boundary"),
    "township_line": ("乡(镇、街道)界", "Township boundary"),
    "facilities": ("服务设施", "Facilities"),
    "facilities_n": ("服务设施（个）", "Facilities (number)"),
    "existing_n": ("现有设施（个）", "Existing facilities (number)"),
    "per_village": ("（每村，人）", " (per village, persons)"),
    "per_township": ("（乡镇合计，人）", " (township total, persons)"),
    "by_village": ("按村(社区)统计", "by village"),
    "by_township": ("按乡(镇、街道)统计", "by township"),
    "distribution_title": ("{region}{what}分布图", "{region}{what}: where they live"),
    "one_old_one_young": ('"一老一小"', "Older people and children"),
    "coverage_title": ("{region}{what}覆盖图", "{region}{what}: coverage"),
    "proposal_title": ("{region}{what}选址方案图", "{region}{what}: proposed sites"),
    "reach": ("{mode}{minutes:g}分钟", "{minutes:g} min {mode}"),
    "reach_areas": ("{reach}可达范围", "reached within {reach}"),
    "new_sites": ("新增 {n} 处", "{n} new sites"),
    "villages": ("村(社区)", "Villages"),
    "covered_n": ("已覆盖（{n} 个）", "Covered ({n})"),
    "uncovered_group": ("未覆盖村 {group}（人）", "Uncovered villages: {group} (persons)"),
    "service_areas": ("服务范围", "Service areas"),
    "area_minutes": ("{mode}{minutes:g}分钟服务范围", "Within {minutes:g} min {mode}"),
    "after_areas": ("方案后{reach}服务范围", "After the proposal: within {reach}"),
    "before_n": ("现状已覆盖（{n}）", "Covered now ({n})"),
    "newly_n": ("方案新增覆盖（{n}）", "Newly covered ({n})"),
    "still_n": ("仍未覆盖（{n}）", "Still uncovered ({n})"),
    "proposed": ("拟建站点", "Proposed sites"),
    "proposed_n": ("拟建站点及编号（{n}）", "Proposed site and its number ({n})"),
    "totals": ("人数合计", "Persons"),
    "persons": ("人数", "Persons"),
    "village_count": ("村(社区)数", "Villages"),
    "top_townships": ("{group}最多的乡镇", "Townships with most {group}"),
    "township": ("乡(镇、街道)", "Township"),
    "coverage_box": ("覆盖情况", "Coverage"),
    "total_of": ("{group}总数", "{group}, total"),
    "covered": ("已覆盖", "Covered"),
    "uncovered": ("未覆盖", "Uncovered"),
    "share": ("覆盖率", "Share covered"),
    "uncovered_villages": ("未覆盖村(社区)", "Uncovered villages"),
    "n_villages": ("{n} 个", "{n}"),
    "lowest_townships": ("覆盖率最低的乡镇", "Townships least covered"),
    "before_after": ("方案前后对比", "Before and after"),
    "indicator": ("指标", "Indicator"),
    "now": ("现状", "Now"),
    "after": ("方案后", "After"),
    "change": ("变化", "Change"),
    "covered_group": ("覆盖{group}", "{group} covered"),
    "site": ("站点", "Site"),
    "gain": ("新增覆盖(人)", "Newly covered"),
    "source": ("数据来源：{source}", "Source: {source}"),
    "date": ("制图日期：{date}", "Map date: {date}"),
    "crs": ("坐标系：WGS-84；地图投影：UTM {zone} 带{code}", "Coordinates: WGS-84; projection: UTM zone {zone}{code}"),
    "km": ("公里", "km"),
    "scale": ("比例尺 1:{ratio:,}", "Scale 1:{ratio:,}"),
    "north": ("北", "N"),
    "demo_only": ("仅供演示，不代表真实情况", "For demonstration only"),
    "simulated": ("示例数据（模拟）", "Demo data (simulated)"),
    "default_source": ("民政部门统计数据；道路：OpenStreetMap 贡献者",
                       "Civil-affairs statistics; roads: OpenStreetMap contributors"),
    "demo_source": ("示例数据（模拟）：县界及乡镇、村名称与代码为真实，位置、人口、设施和道路为模拟",
                    "Demo data (simulated): county borders and place names are real; locations, "
                    "population, facilities and roads are simulated"),
    "more": ("……", "..."),
}


def text(key: str, lang: str = "zh", **fields: object) -> str:
    """A map text in ``lang`` ("zh" or "en"), with ``fields`` filled in."""
    zh, en = _TEXT[key]
    template = en if lang == "en" else zh
    return template.format(**fields) if fields else template


_MINUTES = re.compile(r"\d+(?:\.\d+)?\s*(?:分钟|-?\s*min(?:ute)?s?\b)")


def retime_label(service_label: str, threshold_min: float | None) -> str:
    """A service name with any minutes in it set to ``threshold_min`` ("15分钟养老服务圈" at 30 -> "30分钟...")."""
    if threshold_min is None:
        return service_label

    def swap(match: re.Match[str]) -> str:
        unit = match.group(0).lstrip("0123456789.").lstrip()
        return f"{threshold_min:g}{unit if unit.startswith('分钟') else '-' + unit.lstrip('- ')}"

    return _MINUTES.sub(swap, service_label)
