"""zh/en texts of the web map, and HTML escaping / number formatting of the values it shows."""

from __future__ import annotations

import html
import math

import numpy as np

from coverage.model import COLUMN_LABELS

_TEXT = {
    "elderly": ("老年人", "Older people"),
    "facilities": ("服务设施", "Facilities"),
    "boundaries": ("行政区划", "Boundaries"),
    "labels": ("地名注记", "Place names"),
    "village_names": ("村名", "Village names"),
    "service_areas": ("服务范围", "Service areas"),
    "uncovered": ("未覆盖村庄", "Uncovered villages"),
    "sites": ("选址方案", "Proposed sites"),
    "proposed": ("拟建站点", "Proposed site"),
    "accepted": ("已采纳站点", "Accepted site"),
    "manual": ("手动添加站点", "Site placed by hand"),
    "legend": ("图例", "Legend"),
    "minutes": ("分钟", "min"),
    "travel_time": ("最近设施通行时间", "Travel time to nearest facility"),
    "unreachable": ("不可达", "unreachable"),
    "no_basemap": ("无底图（离线）", "No base map (offline)"),
    "gcj_note": ("高德底图：叠加图层已转换为 GCJ-02", "Amap base map: overlays shifted to GCJ-02"),
    "county": ("县界", "County boundary"),
    "township": ("乡镇界", "Township boundary"),
    "prefecture": ("州(市)界", "Prefecture boundary"),
    "persons": ("人", "persons"),
    "explanation": ("说明", "Why"),
    "covers": ("新增覆盖", "Newly covered"),
    "township_total": ("乡镇合计", "township total"),
    "village_count": ("村(社区)数", "Villages"),
    "per_village": ("每村", "per village"),
    "zoom_note": ("缩小时显示乡镇合计，放大后显示各村", "Township totals when zoomed out, villages when zoomed in"),
    "number": ("编号", "No."),
    "roads": ("道路", "Roads"),
    "roads_zoom_note": ("乡道、村道放大后显示", "Township and village roads show when zoomed in"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def _col_label(col: str, lang: str) -> str:
    if col in COLUMN_LABELS:
        zh, en = COLUMN_LABELS[col]
        return zh if lang == "zh" else en
    return col


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _fmt(value: object) -> str:
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(float(value)):
            return ""
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.1f}"
    return _esc(value)
