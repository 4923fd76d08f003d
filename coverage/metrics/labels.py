"""Labels of the coverage tables: column headers in Chinese and English, and verdicts on targets.

A target is *met*, *not met*, has *no data* (nothing to judge: no people, no
villages, no units; never reported as met) or *no target* (report only).

Example
-------
>>> verdict(True, has_data=True), verdict_label("not_met", "en")
('met', 'NOT met')
"""

from __future__ import annotations

import pandas as pd

from coverage.model import COLUMN_LABELS
from coverage.taxonomy import POPULATION_GROUPS

__all__ = ["METRIC_LABELS", "SOLVER_STATUSES", "VERDICTS", "header", "term", "verdict", "verdict_label"]

#: Chinese and English headers of the result columns (for workbooks and the app).
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "service": ("服务", "Service"),
    "service_zh": ("服务", "Service"),
    "service_en": ("服务(英)", "Service (en)"),
    "group": ("人群", "Group"),
    "group_zh": ("人群", "Group"),
    "group_en": ("人群(英)", "Group (en)"),
    "mode": ("出行方式", "Mode"),
    "threshold_min": ("时间阈值(分钟)", "Threshold (min)"),
    "covered_people": ("覆盖人数", "Covered"),
    "total_people": ("总人数", "Total"),
    "share": ("覆盖率", "Share covered"),
    "target_share": ("目标", "Target"),
    "passed": ("是否达标", "Target met"),
    "status": ("达标情况", "Status"),
    "gap_people": ("达标缺口(人)", "Gap (people)"),
    "gap_villages": ("达标缺口(村)", "Gap (villages)"),
    "uncovered_people": ("未覆盖人数", "Uncovered"),
    "uncovered_villages": ("未覆盖村数", "Uncovered villages"),
    "villages_total": ("村数", "Villages"),
    "facilities": ("设施数", "Facilities"),
    "median_travel_time_min": ("中位通行时间(分钟)", "Median travel time (min)"),
    "p90_travel_time_min": ("90%分位通行时间(分钟)", "90th percentile travel time (min)"),
    "travel_time_min": ("通行时间(分钟)", "Travel time (min)"),
    "facility_id": ("最近设施编号", "Nearest facility ID"),
    "facility_name": ("最近设施", "Nearest facility"),
    "facility_type": ("设施类型", "Facility type"),
    "covered": ("是否覆盖", "Covered"),
    "people": ("人数", "People"),
    "rank": ("排序", "Rank"),
    "rule": ("指标", "Rule"),
    "rule_zh": ("指标", "Rule"),
    "rule_en": ("指标(英)", "Rule (en)"),
    "units_total": ("单元数", "Units"),
    "units_passed": ("达标单元数", "Units passing"),
    "units_failed": ("未达标单元数", "Units failing"),
    "facility_count": ("设施数", "Facilities"),
    "min_count": ("最少设施数", "Minimum"),
    "parent_name": ("上级", "Parent"),
    "elderly_covered": ("养老服务可达", "Elderly service in reach"),
    "child_covered": ("儿童服务可达", "Child service in reach"),
    "lacks_both": ("一老一小均缺", "Lacks both"),
    "elderly_people": ("老年人", "Older people"),
    "child_people": ("儿童", "Children"),
    "capacity": ("容量", "Capacity"),
    "catchment_demand": ("服务范围内需求", "Demand in catchment"),
    "supply_per_1000": ("每千人供给", "Supply per 1,000"),
    "allocated_demand": ("分配需求", "Allocated demand"),
    "utilisation_share": ("预计利用率", "Expected utilisation"),
    "served_demand": ("可满足需求", "Served"),
    "spare_capacity": ("闲置容量", "Spare"),
    "shortfall": ("容量缺口", "Shortfall"),
    "villages_allocated": ("服务村数", "Villages allocated"),
    "flag": ("标记", "Flag"),
    "flag_zh": ("标记", "Flag"),
    "flag_en": ("标记(英)", "Flag (en)"),
    "demand": ("需求", "Demand"),
    "unmet_demand": ("未满足需求", "Unmet demand"),
    "facilities_in_reach": ("可达设施数", "Facilities in reach"),
    "capacity_in_reach": ("可达容量", "Capacity in reach"),
    "access_index_per_1000": ("可达性指数(每千人)", "Accessibility per 1,000 (2SFCA)"),
    "level": ("层级", "Level"),
    "code": ("区划代码", "Code"),
    "name": ("名称", "Name"),
    "expected_occupancy_share": ("预计入住率", "Expected occupancy"),
    "occupancy_share": ("入住率", "Occupancy"),
    "actual_occupancy_share": ("实际入住率", "Actual occupancy"),
    "population": ("常住人口", "Resident population"),
    "deaths_per_year": ("年死亡人数(估算)", "Deaths per year (estimate)"),
    "cemetery_plots": ("公墓可用墓穴", "Cemetery plots"),
    "cemetery_years": ("墓穴可用年限", "Cemetery plots last (years)"),
    "ash_places": ("骨灰安放格位", "Ash-placement places"),
    "ash_years": ("格位可用年限", "Ash places last (years)"),
    "facilities_without_capacity": ("未填容量的设施数", "Facilities without capacity"),
    "short": ("年限不足", "Short of capacity"),
}


#: The verdict on a target: key -> (Chinese, English).  "no_data" when there is
#: nothing to judge (no people, no villages, no units): never reported as met.
VERDICTS: dict[str, tuple[str, str]] = {
    "met": ("达标", "met"),
    "not_met": ("未达标", "NOT met"),
    "no_data": ("无数据", "no data"),
    "no_target": ("无目标", "no target"),
}


#: Solver statuses (coverage.siting) and verdicts of alternatives: key -> (Chinese, English).
SOLVER_STATUSES: dict[str, tuple[str, str]] = {
    "optimal": ("最优解", "optimal"),
    "feasible": ("可行解（未证明最优）", "feasible (not proven optimal)"),
    "time_limit": ("达到求解时限（未证明最优）", "time limit reached (not proven optimal)"),
    "infeasible": ("无可行解", "infeasible"),
    "unchanged": ("无变化", "unchanged"),
    "better": ("更优", "better"),
    "equal": ("相同", "equal"),
    "worse": ("较差", "worse"),
    "proposed": ("拟建", "proposed"),
    "accepted": ("已采纳", "accepted"),
    "manual": ("手动添加", "placed by hand"),
    "prefecture": ("市（州）", "Prefecture"),
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "info": ("提示", "info"),
}


def term(key: object, lang: str = "zh") -> object:
    """The label of a vocabulary key in ``lang``: travel modes, verdicts, solver statuses, groups, types...

    Keys of :data:`VERDICTS` and :data:`SOLVER_STATUSES` first, then the taxonomy
    (:func:`coverage.taxonomy.label`, which covers travel modes, groups, facility types,
    kinds, levels); anything else (a place name, a number) is returned unchanged.

    Example
    -------
    >>> term("walk", "zh"), term("optimal", "en")
    ('步行', 'optimal')
    """
    from coverage.taxonomy import TRAVEL_MODES, label

    if not isinstance(key, str):
        return key
    i = 0 if lang == "zh" else 1
    if key in VERDICTS:
        return VERDICTS[key][i]
    if key in SOLVER_STATUSES:
        return SOLVER_STATUSES[key][i]
    if key in TRAVEL_MODES:
        return TRAVEL_MODES[key].label(lang)
    return label(key, lang)


def verdict(passed: bool | None, *, has_data: bool, has_target: bool = True) -> str:
    """The verdict key of :data:`VERDICTS` for a target check.

    Parameters
    ----------
    passed
        Whether the target is met (None when it cannot be judged).
    has_data
        False when there is nothing to judge (no people or no units): "no_data".
    has_target
        False when the standard sets no target: "no_target".
    """
    if not has_target:
        return "no_target"
    if not has_data or passed is None or (not isinstance(passed, bool) and pd.isna(passed)):
        return "no_data"
    return "met" if passed else "not_met"


def verdict_label(key: str | None, lang: str = "zh") -> str:
    """Display text of a verdict key ("达标" / "met", "无数据" / "no data", ...); "" for None."""
    if key is None or key not in VERDICTS:
        return ""
    zh, en = VERDICTS[key]
    return zh if lang == "zh" else en



def header(col: str, lang: str) -> str:
    """The header of a result or canonical column in ``lang`` ("zh" or "en"); unknown columns unchanged."""
    i = 0 if lang == "zh" else 1
    if col in METRIC_LABELS:
        return METRIC_LABELS[col][i]
    if col in COLUMN_LABELS:
        return COLUMN_LABELS[col][i]
    if col.startswith("uncovered_") and col[10:] in POPULATION_GROUPS:
        g = POPULATION_GROUPS[col[10:]]
        return f"未覆盖{g.zh}" if lang == "zh" else f"Uncovered {g.en.lower()}"
    return col

