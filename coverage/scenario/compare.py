"""Two scenarios side by side: their settings and sites, and their coverage."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from coverage.scenario.file import Scenario
from coverage.taxonomy import label


def _fmt_setting(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
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
        ("数据" if zh else "inputs", _fmt_setting(a.inputs), _fmt_setting(b.inputs)),
        ("考核标准" if zh else "standards", "默认" if zh and a.standards is None else
         ("default" if a.standards is None else a.standards.get("name_zh" if zh else "name_en", "custom")),
         "默认" if zh and b.standards is None else
         ("default" if b.standards is None else b.standards.get("name_zh" if zh else "name_en", "custom"))),
        ("采纳站点数" if zh else "accepted sites", str(len(a.accepted_sites)), str(len(b.accepted_sites))),
    ]
    for key in sorted(set(a.settings) | set(b.settings)):
        rows.append((f"{'设置' if zh else 'setting'}: {key}", _fmt_setting(a.settings.get(key)),
                     _fmt_setting(b.settings.get(key))))
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
