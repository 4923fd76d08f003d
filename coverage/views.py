"""Tables for people: result tables with headers and vocabulary in Chinese or English.

The app, the command line and notebooks show the same tables; this module shapes them
from a :class:`coverage.metrics.CoverageResult` (or any canonical table) so no page does
pandas work of its own.  Nothing here changes a number: rows are selected, columns
chosen and renamed, vocabulary keys (groups, facility types, kinds, statuses, levels)
replaced by their labels.

Example
-------
>>> import pandas as pd
>>> translate_table(pd.DataFrame({"group": ["elderly_60plus"], "share": [0.5]}), lang="en")
                Group  Share covered
0  Older people (60+)            0.5
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from coverage.metrics import group_label
from coverage.metrics.analysis import METRIC_LABELS
from coverage.metrics.labels import term
from coverage.model import COLUMN_LABELS
from coverage.taxonomy import POPULATION_GROUPS

__all__ = [
    "VOCABULARY_COLUMNS",
    "band_chart_table",
    "column_labels",
    "facility_types_table",
    "overview_table",
    "report_table",
    "share_cards",
    "translate_table",
    "uncovered_table",
    "uncovered_village_ids",
    "unit_table",
    "village_travel_times",
]

#: Columns whose values are vocabulary keys shown by their label.
VOCABULARY_COLUMNS = ("group", "type", "kind", "status", "level", "facility_type", "capacity_unit", "mode",
                      "verdict", "severity")

#: Yes / no for true-false columns (a table for people never shows True/False).
YES_NO: dict[str, tuple[str, str]] = {"zh": ("是", "否"), "en": ("yes", "no")}

#: Headers of the validation report and comparison tables (beside the metric and data-model headers).
EXTRA_LABELS: dict[str, tuple[str, str]] = {
    "file": ("文件", "File"),
    "row": ("行（Excel 行号）", "Row (as Excel shows it)"),
    "column": ("列", "Column"),
    "value": ("值", "Value"),
    "severity": ("级别", "Severity"),
    "message": ("问题", "Problem"),
    "fix": ("处理建议", "How to fix"),
    "rejected": ("该行未采用", "Row left out"),
    "item": ("项目", "Item"),
    "same": ("相同", "Same"),
    "share_change": ("覆盖率变化", "Change in share"),
}

#: Columns of the validation report shown to people, in order.
REPORT_COLUMNS = ("severity", "file", "row", "column", "value", "message", "message_zh", "fix", "fix_zh",
                  "rejected")

#: Columns of the per-unit tables, in the order shown.
UNIT_COLUMNS = ("name", "group", "covered_people", "total_people", "share", "target_share", "passed",
                "uncovered_villages")

#: Columns of the all-services overview (``service``/``group`` become the ``_zh``/``_en`` label columns).
OVERVIEW_COLUMNS = ("service", "group", "mode", "threshold_min", "share", "target_share", "passed",
                    "gap_people")


def _check_lang(lang: str) -> int:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return 0 if lang == "zh" else 1


def column_labels(columns: Iterable[str], *, lang: str = "zh") -> dict[str, str]:
    """Header of each column in ``lang``, unique (a repeated label gets the column name appended).

    Parameters
    ----------
    columns
        Column names of a result or canonical table.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict
        ``column -> header``; unknown columns keep their name.

    Raises
    ------
    ValueError
        For a language other than ``zh``/``en``.
    """
    i = _check_lang(lang)
    names: dict[str, str] = {}
    for c in columns:
        c = str(c)
        if c in METRIC_LABELS or c in COLUMN_LABELS:
            name = (METRIC_LABELS.get(c) or COLUMN_LABELS[c])[i]
        elif c in EXTRA_LABELS:
            name = EXTRA_LABELS[c][i]
        elif c[-2:] in ("_a", "_b") and (c[:-2] in METRIC_LABELS or c[:-2] in COLUMN_LABELS):
            side = {"_a": ("（当前）", " (current)"), "_b": ("（载入）", " (loaded)")}[c[-2:]][i]
            name = (METRIC_LABELS.get(c[:-2]) or COLUMN_LABELS[c[:-2]])[i] + side
        elif c.startswith("uncovered_") and c[10:] in POPULATION_GROUPS:
            g = POPULATION_GROUPS[c[10:]]
            name = f"未覆盖{g.zh}" if lang == "zh" else f"Uncovered {g.en.lower()}"
        else:
            name = c
        names[c] = name if name not in names.values() else f"{name} ({c})"
    return names


def translate_table(df: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """A copy of ``df`` for people: headers and vocabulary keys in ``lang``, geometry dropped.

    Columns of the other language (``*_en`` when ``lang="zh"``) are dropped; a key column
    with a label column in this language (``rule`` beside ``rule_zh``) shows the label under
    the key's header; vocabulary keys (groups, travel modes, statuses...) become labels and
    true/false becomes 是/否 (yes/no).

    Parameters
    ----------
    df
        Any result or canonical table.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    DataFrame
        Same rows and values; renamed headers, labels for keys.

    Raises
    ------
    ValueError
        For a language other than ``zh``/``en``.
    """
    _check_lang(lang)
    own, other = ("_zh", "_en") if lang == "zh" else ("_en", "_zh")
    names = [str(c) for c in df.columns]
    # a key column with a label column in this language (rule + rule_zh): the label is shown under the key's header
    labelled = {c for c in names if f"{c}{own}" in names and c not in VOCABULARY_COLUMNS}
    drop = [c for c in df.columns if c == "geometry" or str(c).endswith(other) or str(c) in labelled
            or (str(c).endswith(("_zh", "_en")) and str(c)[:-3] in names and str(c)[:-3] not in labelled)]
    out = pd.DataFrame(df.drop(columns=drop)).copy()
    out = out.rename(columns={f"{c}{own}": c for c in labelled})
    for col in VOCABULARY_COLUMNS:
        if col in out.columns:
            out[col] = [(group_label(v, lang) if col == "group" else term(v, lang)) if isinstance(v, str) else v
                        for v in out[col]]
    yes, no = YES_NO[lang]
    for col in out.columns:
        values = out[col]
        if values.dtype == bool or (values.dtype == object and len(values) and values.map(
                lambda v: isinstance(v, (bool, np.bool_)) or v is None or (isinstance(v, float) and pd.isna(v))).all()
                and values.map(lambda v: isinstance(v, (bool, np.bool_))).any()):
            out[col] = values.map(lambda v: "—" if not isinstance(v, (bool, np.bool_)) else (yes if v else no))
    return out.rename(columns=column_labels(out.columns, lang=lang))


def report_table(report: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """A validation report (``ValidationReport.to_frame()``) for people: severity, place, problem, fix in ``lang``.

    The internal problem code is left out; messages and fixes are those of ``lang``
    (``message_zh`` / ``fix_zh`` in Chinese); every row is kept.

    Raises
    ------
    ValueError
        For a language other than ``zh``/``en``.
    """
    _check_lang(lang)
    return translate_table(report[[c for c in REPORT_COLUMNS if c in report.columns]], lang=lang)


def uncovered_village_ids(result: Any, service: str) -> list[Any]:
    """Ids of the villages not covered by ``service`` (nearest counted facility beyond the threshold).

    Parameters
    ----------
    result
        A :class:`coverage.metrics.CoverageResult`.
    service
        Service key.

    Returns
    -------
    list
        Demand ids, in the demand table's order.
    """
    v = result.villages
    part = v.loc[v["service"] == service]
    if not len(part) and service not in {s.key for s in result.standards.services}:
        result.standards.service(service)  # raises the library's unknown-service error
    return part.loc[~part["covered"].astype(bool), "id"].tolist()


def village_travel_times(result: Any, service: str) -> pd.Series:
    """Minutes to the nearest facility counted by ``service``, by village id (NaN: unreachable)."""
    v = result.villages
    part = v.loc[v["service"] == service]
    return part.set_index("id")["travel_time_min"]


def unit_table(result: Any, service: str, level: str) -> pd.DataFrame:
    """Coverage per administrative unit of one ``level`` (``county``/``township``) for ``service``.

    Returns
    -------
    DataFrame
        :data:`UNIT_COLUMNS` present in ``result.by_unit`` (untranslated keys; pass the
        table to :func:`translate_table` for people).
    """
    by_unit = result.by_unit
    part = by_unit.loc[(by_unit["level"] == level) & (by_unit["service"] == service)]
    return part[[c for c in UNIT_COLUMNS if c in part.columns]].reset_index(drop=True)


def band_chart_table(result: Any, service: str, *, lang: str = "zh") -> pd.DataFrame:
    """Covered share per travel-time band (rows, minutes) and group (columns, labels in ``lang``).

    Returns
    -------
    DataFrame
        Index: threshold in minutes; one column per group; values: share 0..1.
        Empty when the service has no bands.
    """
    _check_lang(lang)
    bands = result.bands
    part = bands.loc[bands["service"] == service]
    if not len(part):
        return pd.DataFrame()
    table = part.pivot_table(index="threshold_min", columns="group", values="share")
    table.columns = [group_label(g, lang) for g in table.columns]
    table.index.name = column_labels(["threshold_min"], lang=lang)["threshold_min"]
    return table


def uncovered_table(result: Any, service: str, *, lang: str = "zh", limit: int | None = 100) -> pd.DataFrame:
    """Uncovered villages of ``service`` ranked by uncovered people, translated (first ``limit`` rows)."""
    unc = result.uncovered
    part = unc.loc[unc["service"] == service].drop(columns=["service"])
    if limit is not None:
        part = part.head(limit)
    if "travel_time_min" in part.columns:  # minutes to one decimal, as the workbooks show them
        part = part.assign(travel_time_min=part["travel_time_min"].round(1))
    return translate_table(part, lang=lang)


def overview_table(result: Any, *, lang: str = "zh") -> pd.DataFrame:
    """Every service and group against its target (from ``result.summary``), translated."""
    summary = result.summary
    suffix = "_zh" if lang == "zh" else "_en"
    cols = [f"{c}{suffix}" if c in ("service", "group") and f"{c}{suffix}" in summary.columns else c
            for c in OVERVIEW_COLUMNS]
    return translate_table(summary[[c for c in cols if c in summary.columns]], lang=lang)


def share_cards(summary: pd.DataFrame, *, lang: str = "zh",
                before: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """One card per group of a service summary: label, share, target, passed, gap, change.

    Parameters
    ----------
    summary
        Rows of ``CoverageResult.summary`` for one service (``service_summary``).
    lang
        Language of the group labels.
    before
        The same service's summary without some change (e.g. accepted sites); each card
        then has ``change_share`` = share - share before (same group), else None.

    Returns
    -------
    list of dict
        ``group``, ``label``, ``share`` (0..1), ``target_share`` (None without a target),
        ``passed`` (None without a target), ``gap_people`` (int, 0 when met),
        ``change_share``.
    """
    _check_lang(lang)
    previous = {} if before is None else dict(zip(before["group"], before["share"], strict=True))
    cards = []
    for row in summary.to_dict("records"):
        target = row.get("target_share")
        has_target = isinstance(target, (int, float)) and pd.notna(target)
        gap = row.get("gap_people")
        cards.append({
            "group": row["group"],
            "label": group_label(row["group"], lang),
            "share": float(row["share"]),
            "target_share": float(target) if has_target else None,
            "passed": None if not has_target or row.get("passed") is None else bool(row["passed"]),
            "gap_people": int(gap) if isinstance(gap, (int, float)) and pd.notna(gap) and gap > 0 else 0,
            "change_share": (float(row["share"]) - float(previous[row["group"]])
                             if row["group"] in previous else None),
        })
    return cards


def facility_types_table(*, lang: str = "zh") -> pd.DataFrame:
    """Every facility type known now (built-in and added by a standards file): key, name, category, unit, aliases.

    Raises
    ------
    ValueError
        For a language other than ``zh``/``en``.
    """
    from coverage.taxonomy import CAPACITY_UNITS, CATEGORIES, FACILITY_TYPES

    _check_lang(lang)
    headers = {"key": ("键", "Key"), "name": ("名称", "Name"), "category": ("类别", "Category"),
               "unit": ("容量单位", "Capacity unit"), "aliases": ("别名", "Aliases")}
    i = 0 if lang == "zh" else 1
    rows = [{"key": t.key, "name": t.label(lang), "category": CATEGORIES[t.category].label(lang),
             "unit": CAPACITY_UNITS[t.capacity_unit].label(lang) if t.capacity_unit else "—",
             "aliases": "、".join(t.aliases)} for t in FACILITY_TYPES.values()]
    return pd.DataFrame(rows, columns=list(headers)).rename(columns={k: v[i] for k, v in headers.items()})
