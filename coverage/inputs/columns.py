"""Header aliases: which of a user's column headers is which canonical column.

Planners' lists come with headers such as 村(社区), 经度, 60岁以上老年人, 床位数.
:data:`ALIASES` maps every canonical column of :mod:`coverage.model` (plus the
coordinate columns ``lon``/``lat`` and a combined ``lonlat`` "102.5,24.3" column)
to the headers accepted for it, in Chinese and English; population-group aliases
come from :mod:`coverage.taxonomy`.  Matching folds case, width, spaces and
punctuation (:func:`coverage.taxonomy.normalize_label`) and ignores a trailing
unit in brackets, so "60岁以上老年人（人）" and "床位数(张)" match.

A user's explicit mapping ``{their header: canonical column}`` always wins.

Example
-------
>>> match_columns(["序号", "村名", "经度", "纬度", "留守儿童"], kind="demand").columns["name"]
'村名'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coverage.errors import MissingColumnError
from coverage.model import (
    BOUNDARY_COLUMNS,
    CANDIDATE_COLUMNS,
    COLUMN_LABELS,
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
)
from coverage.taxonomy import POPULATION_GROUPS, normalize_label

__all__ = ["ALIASES", "KINDS", "ColumnMatch", "accepted_headers", "match_columns", "required_columns"]

#: The kinds of table a loader reads.
KINDS: tuple[str, ...] = ("demand", "facilities", "candidates", "boundaries")

_COORDS = ("lon", "lat", "lonlat")

#: Canonical columns each kind may carry (besides geometry), coordinates included.
_KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "demand": tuple(c for c in DEMAND_COLUMNS if c != "geometry") + _COORDS,
    "facilities": (*(c for c in FACILITY_COLUMNS if c != "geometry"), "residents", *_COORDS),
    "candidates": tuple(c for c in CANDIDATE_COLUMNS if c != "geometry") + _COORDS,
    "boundaries": tuple(c for c in BOUNDARY_COLUMNS if c != "geometry"),
}

#: Accepted headers per canonical column, most specific first (besides the
#: column's own key and its labels in :data:`coverage.model.COLUMN_LABELS`).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "编码", "ID", "id", "代号", "点位编号", "设施编号", "村编号", "fid", "序号", "no", "number"),
    "name": ("名称", "名字", "村名", "村庄名称", "村(社区)名称", "村(社区)", "村社区", "设施名称", "机构名称",
             "站点名称", "点位名称", "候选点名称", "选址名称", "地点", "name", "title"),
    "county_code": ("县级代码", "县代码", "县区代码", "区县代码", "县级区划代码", "adcode", "county code"),
    "county_name": ("县(市、区)", "县(市区)", "县市区", "县区", "区县", "县", "所属县", "所属县区", "county"),
    "township_code": ("乡镇代码", "乡级代码", "乡镇区划代码", "乡镇街道代码", "township code", "town code"),
    "township_name": ("乡(镇、街道)", "乡镇(街道)", "乡镇街道", "乡镇", "乡/镇", "街道", "所属乡镇", "township",
                      "town"),
    "village_code": ("村级代码", "村代码", "村级区划代码", "村(社区)代码", "统计用区划代码", "区划代码",
                     "village code"),
    "village_name": ("村(社区)", "所属村", "所属村(社区)", "行政村", "村委会", "村", "village"),
    "type": ("类型", "设施类型", "设施类别", "机构类型", "类别", "种类", "type", "facility type"),
    "capacity": ("容量", "床位数", "床位", "床位数(张)", "核定床位", "设计床位", "服务名额", "规模", "墓穴数",
                 "格位数", "capacity", "beds"),
    "capacity_unit": ("容量单位", "单位", "capacity unit", "unit"),
    "residents": ("在院人数", "入住人数", "在院老人", "入住老人数", "在住人数", "实际入住", "residents", "occupants"),
    "status": ("状态", "建设状态", "运营状态", "现状", "status"),
    "kind": ("类别", "候选类型", "类型", "用地类型", "场地类型", "选址类型", "kind", "site kind"),
    "can_host": ("可设设施类型", "可建设施", "可设设施", "可建类型", "适宜设施", "拟建设施", "用途", "can host",
                 "can_host", "hosts"),
    "cost_10k_yuan": ("估算投资(万元)", "投资(万元)", "估算投资", "投资估算", "投资", "造价(万元)", "造价",
                      "费用(万元)", "cost", "cost (10k yuan)"),
    "level": ("层级", "级别", "行政级别", "level"),
    "code": ("区划代码", "行政区划代码", "代码", "编码", "adcode", "code", "gb"),
    "parent_code": ("上级代码", "上级区划代码", "父级代码", "parent", "parent code", "parent_adcode"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x", "x坐标", "横坐标", "gcj经度", "高德经度",
            "百度经度", "bd经度", "gcj_lon", "gcj_lng", "bd_lon", "bd_lng", "wgs84经度", "wgs经度"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y", "y坐标", "纵坐标", "gcj纬度", "高德纬度", "百度纬度",
            "bd纬度", "gcj_lat", "bd_lat", "wgs84纬度", "wgs纬度"),
    "lonlat": ("经纬度", "坐标", "经纬度坐标", "位置", "lnglat", "lonlat", "coordinates", "location"),
}
for _key, _group in POPULATION_GROUPS.items():
    ALIASES[_key] = (_group.zh, _group.en, *_group.aliases)

# Which canonical columns a kind needs; coordinates are checked separately.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "demand": (),
    "facilities": ("type",),
    "candidates": ("kind",),
    "boundaries": (),
}

_UNIT_SUFFIX = re.compile(r"[（(][^（）()]*[）)]$")
_HINTS = {"gcj02": ("gcj", "高德", "腾讯", "amap"), "bd09": ("bd", "百度", "baidu"), "wgs84": ("wgs", "gps")}


def _folded(header: object) -> tuple[str, str]:
    """(full, without a trailing bracketed unit) normalised forms of a header."""
    text = str(header)
    stripped = _UNIT_SUFFIX.sub("", text.strip())
    return normalize_label(text), normalize_label(stripped)


def accepted_headers(column: str) -> list[str]:
    """Headers accepted for a canonical column, for messages ("accepted: 经度, lon, lng, x ...")."""
    labels = COLUMN_LABELS.get(column, ())
    out: list[str] = []
    for name in (*labels, *ALIASES.get(column, ()), column):
        if name not in out:
            out.append(name)
    return out


@dataclass
class ColumnMatch:
    """Which user header feeds which canonical column.

    Attributes
    ----------
    columns
        Canonical column -> the user's header, as written.
    unmatched
        The user's headers that feed no canonical column (kept out of the result).
    duplicates
        Canonical column -> further headers that also matched it (ignored; the
        first one wins and the report says so).
    crs_hint
        "gcj02", "bd09" or "wgs84" when the coordinate headers name a system
        (高德经度, bd_lng ...), else None.
    """

    columns: dict[str, str]
    unmatched: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    crs_hint: str | None = None


def _alias_index(kind: str) -> dict[str, list[tuple[int, str]]]:
    """Normalised alias -> [(priority, canonical)], lower priority wins."""
    index: dict[str, list[tuple[int, str]]] = {}
    for column in _KIND_COLUMNS[kind]:
        for rank, name in enumerate(accepted_headers(column)):
            index.setdefault(normalize_label(name), []).append((rank, column))
    return index


def match_columns(headers: Iterable[object], *, kind: str,
                  mapping: Mapping[str, str] | None = None, source: str = "") -> ColumnMatch:
    """Match a user's headers to the canonical columns of ``kind``.

    Parameters
    ----------
    headers
        The user's headers, in file order.
    kind
        "demand", "facilities", "candidates" or "boundaries".
    mapping
        Explicit ``{their header: canonical column}``; wins over the aliases.
    source
        The file name, for error messages.

    Returns
    -------
    ColumnMatch

    Raises
    ------
    MissingColumnError
        When ``mapping`` names a header that is not in the file or a canonical
        column that does not exist.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind '{kind}'; use one of {', '.join(KINDS)}")
    names = [str(h) for h in headers]
    allowed = _KIND_COLUMNS[kind]
    columns: dict[str, str] = {}
    duplicates: dict[str, list[str]] = {}
    used: set[str] = set()
    for user_header, canonical in (mapping or {}).items():
        if user_header not in names:
            raise MissingColumnError(
                f"{source}: the column mapping names '{user_header}', which is not a header of the file "
                f"(headers: {', '.join(names)}) / 列映射中的表头“{user_header}”在文件中不存在")
        if canonical not in allowed:
            raise MissingColumnError(
                f"{source}: the column mapping sends '{user_header}' to '{canonical}', which is not a column of "
                f"a {kind} table (columns: {', '.join(allowed)}) / 列映射目标“{canonical}”不是{kind}表的列")
        columns[canonical] = user_header
        used.add(user_header)
    index = _alias_index(kind)
    # Best match per header: exact normalised header first, then without a unit suffix.
    candidates: list[tuple[int, int, str, str]] = []  # (rank, position, canonical, header)
    for position, header in enumerate(names):
        if header in used:
            continue
        full, stripped = _folded(header)
        hits = index.get(full) or index.get(stripped) or []
        for rank, canonical in hits:
            candidates.append((rank, position, canonical, header))
    taken: set[str] = set(used)
    for _rank, _position, canonical, header in sorted(candidates):
        if header in taken:
            continue
        if canonical in columns:
            if columns[canonical] != header:
                duplicates.setdefault(canonical, []).append(header)
            continue
        columns[canonical] = header
        taken.add(header)
    # A header that matched something already taken elsewhere stays listed as a duplicate only.
    for canonical, extra in list(duplicates.items()):
        duplicates[canonical] = [h for h in extra if h not in taken]
        if not duplicates[canonical]:
            del duplicates[canonical]
    unmatched = [h for h in names if h not in taken]
    hint = None
    for coord in ("lon", "lat", "lonlat"):
        if coord in columns:
            folded = normalize_label(columns[coord])
            for system, words in _HINTS.items():
                if any(folded.startswith(w) or (w in folded and not w.isascii()) for w in words):
                    hint = system
    return ColumnMatch(columns=columns, unmatched=unmatched, duplicates=duplicates, crs_hint=hint)


def required_columns(kind: str) -> tuple[str, ...]:
    """Canonical columns a ``kind`` table must have (coordinates checked separately)."""
    return _REQUIRED[kind]
