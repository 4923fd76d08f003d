"""Two scenarios side by side: their settings and sites, and their coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from coverage.scenario.file import Scenario
from coverage.taxonomy import label

#: Names of scenario settings (and of the siting settings inside them): key -> (Chinese, English).
SETTING_LABELS: dict[str, tuple[str, str]] = {
    "source": ("数据来源", "Data source"), "region": ("示例地区", "Demo region"), "files": ("文件", "Files"),
    "service": ("考核服务", "Service"), "thresholds": ("通行时间阈值（分钟）", "Travel-time thresholds (min)"),
    "threshold_min": ("时间阈值（分钟）", "Threshold (min)"), "lang": ("界面语言", "Language"),
    "basemap": ("底图", "Base map"), "model": ("选址模型", "Siting model"), "k": ("新增站点数", "New sites k"),
    "target_share": ("覆盖目标", "Target share"), "siting": ("选址设置", "Siting settings"),
    "groups": ("服务人群", "Groups served"), "group_weights": ("人群权重", "Group weights"),
    "group_targets": ("分人群目标", "Targets per group"), "unit_rules": ("按行政单元的目标", "Targets per unit"),
    "budget": ("预算（万元）", "Budget (10k yuan)"), "objective": ("目标函数", "Objective"),
    "capacitated": ("考虑容量", "Capacities respected"), "candidate_kinds": ("候选站点类别", "Candidate kinds"),
    "facility_type": ("拟建设施类型", "Facility type to build"), "time_limit_s": ("求解时限（秒）", "Time limit (s)"),
    "name": ("名称", "Name"), "sha256": ("校验值", "Checksum"), "crs": ("坐标系", "Coordinate system"),
    "layer": ("图层", "Layer"), "demo": ("示例地区", "demo region"), "zh": ("中文", "Chinese"),
    "en": ("英文", "English"), "none": ("无", "none"), "cost": ("最少投资", "least cost"),
    "target": ("最少站点达到覆盖目标", "fewest sites to meet the target"),
    "mclp": ("k 个站点覆盖最多人", "cover the most people with k sites"),
    "lscp": ("覆盖所有可达村庄", "cover every reachable village"),
    "pmedian": ("k 个站点使平均通行时间最短", "least mean travel time with k sites"),
    "village_code": ("每个村（社区）", "villages"), "township_code": ("乡镇", "townships"),
    "county_code": ("县（市、区）", "counties"),
}


def _word(key: str, lang: str) -> str:
    """A setting name or value key in ``lang``: setting names, services, groups, types, kinds; else as written."""
    from coverage.demo import REGIONS
    from coverage.metrics import default_standards
    from coverage.metrics.labels import term

    if key in SETTING_LABELS:
        return SETTING_LABELS[key][0 if lang == "zh" else 1]
    if key in REGIONS:
        return REGIONS[key].name_zh if lang == "zh" else REGIONS[key].name_en
    services = {svc.key: svc.label(lang) for svc in default_standards().services}
    return services.get(key) or str(term(key, lang))


def _fmt_setting(value: Any, lang: str = "zh") -> str:
    """A setting's value for people: keys as labels, yes/no, lists joined, nested settings as name: value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
        wrap = "（{}）" if lang == "zh" else "({})"
        return sep.join(f"{_word(str(k), lang)}{colon}"
                        + (wrap.format(_fmt_setting(v, lang)) if isinstance(v, dict) else _fmt_setting(v, lang))
                        for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(_fmt_setting(v, lang) for v in value)
    if isinstance(value, str):
        return _word(value, lang)
    return str(value)


def scenario_labels(a: Scenario, b: Scenario) -> tuple[str, str]:
    """Two distinct column labels for a side-by-side comparison.

    The scenarios' names, or "A" / "B" when unnamed; equal names (a scenario
    compared with itself after applying it, or two called 方案A) become
    "方案A (1)" and "方案A (2)".
    """
    la, lb = (a.name.strip() or "A"), (b.name.strip() or "B")
    if la == lb:
        la, lb = f"{la} (1)", f"{lb} (2)"
    return la, lb


def compare_scenarios(a: Scenario, b: Scenario, *, lang: str = "zh") -> pd.DataFrame:
    """Side-by-side differences of two scenarios: inputs, settings, standards, sites.

    Returns
    -------
    DataFrame
        Columns ``item``, ``a``, ``b``, ``same`` (bool), one row per setting and
        per site (a site present in one scenario only shows "" on the other side).
    """
    zh = lang == "zh"
    rows: list[tuple[str, str, str]] = [
        ("名称" if zh else "name", a.name, b.name),
        ("数据" if zh else "inputs", _fmt_setting(a.inputs, lang), _fmt_setting(b.inputs, lang)),
        ("考核标准" if zh else "standards", "默认" if zh and a.standards is None else
         ("default" if a.standards is None else a.standards.get("name_zh" if zh else "name_en", "custom")),
         "默认" if zh and b.standards is None else
         ("default" if b.standards is None else b.standards.get("name_zh" if zh else "name_en", "custom"))),
        ("采纳站点数" if zh else "accepted sites", str(len(a.accepted_sites)), str(len(b.accepted_sites))),
    ]
    for key in sorted(set(a.settings) | set(b.settings)):
        rows.append((f"{'设置' if zh else 'setting'}: {_word(key, lang)}", _fmt_setting(a.settings.get(key), lang),
                     _fmt_setting(b.settings.get(key), lang)))
    sa = {s["id"]: s for s in a.accepted_sites}
    sb = {s["id"]: s for s in b.accepted_sites}

    def desc(s: Mapping[str, Any] | None) -> str:
        if s is None:
            return ""
        t = label(s["type"], lang) if s.get("type") else ""
        return f"{s.get('name', s['id'])} · {t} ({s['lon']:.4f}, {s['lat']:.4f})"

    for sid in list(dict.fromkeys([*sa, *sb])):
        rows.append((f"{'站点' if zh else 'site'} {sid}", desc(sa.get(sid)), desc(sb.get(sid))))
    df = pd.DataFrame(rows, columns=["item", "a", "b"])
    df["same"] = df["a"] == df["b"]
    return df


def compare_coverage(summary_a: pd.DataFrame, summary_b: pd.DataFrame, *,
                     keys: Sequence[str] = ("service", "group")) -> pd.DataFrame:
    """Coverage of two scenarios side by side, from two ``CoverageResult.summary`` tables.

    Returns
    -------
    DataFrame
        ``keys``, ``threshold_min_a/_b``, ``covered_people_a/_b``, ``share_a/_b``,
        ``share_change`` (b - a, share 0..1), ``target_share``, ``passed_a/_b``.
    """
    cols = [c for c in ("threshold_min", "covered_people", "share", "passed") if c in summary_a.columns]
    left = summary_a[[*keys, *cols, *(["target_share"] if "target_share" in summary_a.columns else [])]]
    right = summary_b[[*keys, *cols]]
    out = left.merge(right, on=list(keys), how="outer", suffixes=("_a", "_b"))
    out["share_change"] = out["share_b"] - out["share_a"]
    order = [*keys, *(f"{c}_{s}" for c in cols for s in ("a", "b")), "share_change"]
    if "target_share" in out.columns:
        order.insert(len(keys), "target_share")
    return out[order]
