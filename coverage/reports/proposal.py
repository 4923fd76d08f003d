"""A siting proposal gathered for reporting: villages covered before and after, the sites, the tables.

:class:`ProposalReport` holds plain tables (the canonical GeoDataFrames of
:mod:`coverage.model` plus coverage flags) so it can be built from any source
(:mod:`coverage.reports.build`: :func:`~coverage.reports.plan_proposal` runs
the whole chain on a travel-time engine, :func:`~coverage.reports.report_from_proposal`
wraps a proposal computed elsewhere, the app).
Its :meth:`~ProposalReport.tables` are the report's tables with Chinese (``lang="zh"``) or English
(``lang="en"``) headers and words,
written by :func:`coverage.reports.write_workbook` and
:func:`coverage.reports.write_pdf_report`.

Example
-------
>>> from coverage.demo import load_demo
>>> from coverage.traveltime import TravelTimeEngine
>>> from coverage.reports import plan_proposal
>>> yuxi = load_demo("yuxi")
>>> report = plan_proposal(yuxi.demand, yuxi.facilities, yuxi.candidates,
...                        engine=TravelTimeEngine(yuxi.graph(), mode="walk"),
...                        facility_types=["happy_courtyard"], group="elderly_60plus",
...                        threshold_min=15, p=10, boundaries=yuxi.boundaries)  # doctest: +SKIP
>>> report.tables()["汇总"]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import InputError, MissingColumnError
from coverage.taxonomy import CANDIDATE_KINDS, POPULATION_GROUPS, TRAVEL_MODES, label

__all__ = ["LANGS", "MODE_LABELS", "REPORT_TEXT", "SHEETS", "TABLE_KEYS", "ProposalReport", "report_text"]

#: Travel-mode labels in Chinese, from the one vocabulary (:data:`coverage.taxonomy.TRAVEL_MODES`).
MODE_LABELS = {key: term.zh for key, term in TRAVEL_MODES.items()}

#: The report's languages.
LANGS = ("zh", "en")

#: Keys of the report tables, in order (their sheet names in each language are :data:`REPORT_TEXT`'s).
TABLE_KEYS = ("summary", "townships", "sites", "uncovered")

#: Every word of the report (workbook, PDF pages), ``key: (zh, en)`` with ``{placeholders}``.
REPORT_TEXT: dict[str, tuple[str, str]] = {
    "summary": ("汇总", "Summary"), "townships": ("乡镇覆盖", "Townships"), "sites": ("拟建站点", "Proposed sites"),
    "uncovered": ("未覆盖村(社区)", "Uncovered villages"),
    "title": ("{region}{service}选址方案", "{region}{service}: siting proposal"),
    "simulated_note": ("示例数据（模拟），仅供演示，不代表真实情况",
                       "Simulated demo data, for demonstration only; not the real situation"),
    "simulated_line": ("示例数据（模拟）：仅供演示，不代表真实情况", "Simulated demo data: for demonstration only"),
    "item": ("项目", "Item"), "content": ("内容", "Content"),
    "region": ("地区", "Region"), "service": ("服务", "Service"),
    "types_counted": ("计入的设施类型", "Facility types counted"), "group": ("服务人群", "Group served"),
    "reach_rule": ("可达标准", "Reach"), "within": ("{reach}以内", "within {reach}"),
    "n_sites": ("拟建站点数", "New sites"), "n_sites_value": ("{n} 处", "{n}"),
    "solver": ("求解说明", "Solver"), "date": ("制表日期", "Date"), "data_note": ("数据说明", "Data note"),
    "reach": ("{mode}{m:g}分钟", "{m:g} min {mode}"),
    "indicator": ("指标", "Indicator"), "today": ("现状", "Today"), "after": ("方案实施后", "With the proposal"),
    "change": ("变化", "Change"),
    "group_total": ("{group}总数（人）", "{group}, total (persons)"),
    "group_within": ("{reach}内{group}（人）", "{group} within {reach} (persons)"),
    "share_pct": ("覆盖率（%）", "Covered (%)"),
    "uncovered_villages_n": ("未覆盖村(社区)（个）", "Uncovered villages"),
    "facilities_n": ("计入设施数（处）", "Facilities counted"),
    "county": ("县(市、区)", "County"), "township": ("乡(镇、街道)", "Township"),
    "villages_n": ("村(社区)数", "Villages"), "group_people": ("{group}（人）", "{group} (persons)"),
    "covered_today": ("现状覆盖（人）", "Covered today (persons)"),
    "covered_today_pct": ("现状覆盖率（%）", "Covered today (%)"),
    "covered_after": ("方案后覆盖（人）", "Covered with the proposal (persons)"),
    "covered_after_pct": ("方案后覆盖率（%）", "Covered with the proposal (%)"),
    "newly_covered": ("新增覆盖（人）", "Newly covered (persons)"),
    "uncovered_after_n": ("方案后未覆盖村(社区)（个）", "Villages still uncovered"),
    "total": ("合计", "Total"),
    "no": ("序号", "No."), "site_name": ("站点名称", "Site"), "id": ("编号", "ID"), "kind": ("类别", "Kind"),
    "new_group": ("新增覆盖{group}（人）", "{group} newly covered (persons)"),
    "new_villages": ("新增覆盖村(社区)（个）", "Villages newly covered"),
    "cost": ("估算投资（万元）", "Estimated cost (10k yuan)"),
    "reasons": ("选址理由", "Reasons"), "alternatives": ("备选站点", "Alternatives"),
    "lon": ("经度", "Longitude"), "lat": ("纬度", "Latitude"), "village": ("村(社区)", "Village"),
    "to_nearest": ("至最近现有设施（分钟）", "To the nearest existing facility (min)"),
    "reason_gain": ("使{villages}{people:,}名{group}进入{reach}范围",
                    "brings {people:,} {group}{villages} within {reach}"),
    "reason_villages": ("{n}个村(社区)的", " in {n} village{s}"),
    "reason_time": ("受益村平均通行时间由{was}缩短为{now:.0f}分钟",
                    "mean travel time of the villages it serves falls from {was} to {now:.0f} min"),
    "minutes": ("{m:.0f}分钟", "{m:.0f} min"), "over_minutes": ("超过{m:g}分钟", "over {m:g} min"),
    "reason_loss": ("若不建此站，将少覆盖{n:,}人", "without it {n:,} fewer people would be covered"),
    "sep": ("；", "; "), "list_sep": ("、", ", "),
}


def report_text(key: str, lang: str = "zh", **fields: Any) -> str:
    """A word of the report in ``lang`` ("zh" or "en") with ``fields`` filled in."""
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}': use 'zh' (中文) or 'en' (English)")
    zh, en = REPORT_TEXT[key]
    template = zh if lang == "zh" else en
    return template.format(**fields) if fields else template


#: Sheet names of the report tables in Chinese, in order.
SHEETS = tuple(REPORT_TEXT[k][0] for k in TABLE_KEYS)


def _covered_flags(values: Any, demand: pd.DataFrame, what: str) -> npt.NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.shape != (len(demand),):
        raise InputError(
            f"{what}: expected {len(demand)} values (one per village of the demand table), "
            f"got shape {arr.shape}"
        )
    return np.where(pd.isna(arr), False, arr).astype(bool)


@dataclass
class ProposalReport:
    """A siting proposal and the coverage it brings, ready to print and export.

    Attributes
    ----------
    demand : villages (canonical demand GeoDataFrame, EPSG:4326).
    facilities : the existing facilities that count for the service.
    sites : proposed sites in rank order: ``id, name, kind, county_name,
        township_name, geometry`` and, when known, ``new_people`` (people of
        ``group`` newly covered), ``n_new_villages``, ``cost_10k_yuan``,
        ``mean_time_before_min``, ``mean_time_after_min``, ``loss_without``,
        ``alternatives_zh`` / ``alternatives_en`` (the next-best candidates in words).
    covered_before, covered_after : per village, covered within the threshold
        without / with the proposed sites.
    group : population-group key counted.
    service_label : the service in the report's language (e.g. "15分钟养老服务圈").
    threshold_min : travel-time threshold, minutes.
    mode : travel mode key ("walk", "ebike", "car").
    facility_types : facility-type keys that count.
    region_name : e.g. "玉溪市".
    boundaries : county / township polygons, optional.
    service_areas : areas reached within the threshold from the existing
        facilities (``threshold_min, geometry``), optional.
    travel_time_min : per village, travel time to the nearest existing facility
        (NaN beyond the search cutoff or unreachable).
    simulated : demo data (maps and tables carry "示例数据（模拟）").
    solver_note : the solver's status line.
    date : report date (ISO).
    lang : language of the tables, workbook and PDF ("zh" or "en"); ``service_label``
        and ``solver_note`` are given in it.
    """

    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    covered_before: npt.NDArray[np.bool_]
    covered_after: npt.NDArray[np.bool_]
    group: str
    service_label: str
    threshold_min: float
    mode: str = "walk"
    facility_types: tuple[str, ...] = ()
    region_name: str = ""
    boundaries: gpd.GeoDataFrame | None = None
    service_areas: gpd.GeoDataFrame | None = None
    travel_time_min: npt.NDArray[np.float64] | None = None
    simulated: bool = False
    solver_note: str = ""
    date: str = field(default_factory=lambda: _dt.date.today().isoformat())
    lang: str = "zh"

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise InputError(f"unknown language '{self.lang}': use 'zh' (中文) or 'en' (English)")
        if self.group not in POPULATION_GROUPS:
            raise InputError(
                f"unknown population group '{self.group}': use one of {', '.join(POPULATION_GROUPS)}"
            )
        if self.group not in self.demand.columns:
            raise MissingColumnError(f"demand: column '{self.group}' ({label(self.group)}) missing")
        self.covered_before = _covered_flags(self.covered_before, self.demand, "covered_before")
        self.covered_after = (
            _covered_flags(self.covered_after, self.demand, "covered_after") | self.covered_before
        )

    # ------------------------------------------------------------------ labels

    def t(self, key: str, **fields: Any) -> str:
        """A word of the report in its language (:data:`REPORT_TEXT`)."""
        return report_text(key, self.lang, **fields)

    @property
    def mode_label(self) -> str:
        """The travel mode in the report's language ("步行" / "Walking")."""
        term = TRAVEL_MODES.get(self.mode)
        if term is None:
            return self.mode
        return term.zh if self.lang == "zh" else term.en.lower()

    @property
    def reach_label(self) -> str:
        """E.g. "步行15分钟" / "15 min walking"."""
        return self.t("reach", mode=self.mode_label, m=self.threshold_min)

    @property
    def group_label(self) -> str:
        """The population group in the report's language."""
        return label(self.group, self.lang)

    @property
    def title(self) -> str:
        """E.g. "玉溪市15分钟养老服务圈选址方案" / "玉溪市 15-minute elderly service circle: siting proposal"."""
        region = f"{self.region_name} " if self.lang == "en" and self.region_name else self.region_name
        return self.t("title", region=region, service=self.service_label)

    def sheet_name(self, key: str) -> str:
        """The sheet name of table ``key`` (:data:`TABLE_KEYS`) in the report's language."""
        return self.t(key)

    @property
    def people(self) -> npt.NDArray[np.float64]:
        """People of :attr:`group` per village (NaN counted as 0)."""
        return np.nan_to_num(self.demand[self.group].to_numpy(dtype=float), nan=0.0)

    # ------------------------------------------------------------------ figures

    def figures(self) -> dict[str, float]:
        """Headline figures: total, covered before/after, shares (%), villages uncovered, sites."""
        people = self.people
        total = float(people.sum())
        before = float(people[self.covered_before].sum())
        after = float(people[self.covered_after].sum())
        return {
            "total_people": total,
            "covered_before": before,
            "covered_after": after,
            "newly_covered": after - before,
            "share_before_pct": 100.0 * before / total if total else float("nan"),
            "share_after_pct": 100.0 * after / total if total else float("nan"),
            "uncovered_villages_before": float(((~self.covered_before) & (people > 0)).sum()),
            "uncovered_villages_after": float(((~self.covered_after) & (people > 0)).sum()),
            "newly_covered_villages": float((self.covered_after & ~self.covered_before).sum()),
            "sites": float(len(self.sites)),
        }

    # ------------------------------------------------------------------ tables

    def info_table(self) -> pd.DataFrame:
        """The report's heading facts (项目, 内容 / Item, Content)."""
        t = self.t
        rows = [
            (t("region"), self.region_name or "—"),
            (t("service"), self.service_label),
            (t("types_counted"), t("list_sep").join(label(x, self.lang) for x in self.facility_types) or "—"),
            (t("group"), self.group_label),
            (t("reach_rule"), t("within", reach=self.reach_label)),
            (t("n_sites"), t("n_sites_value", n=len(self.sites))),
            (t("solver"), self.solver_note or "—"),
            (t("date"), self.date),
        ]
        if self.simulated:
            rows.append((t("data_note"), t("simulated_note")))
        return pd.DataFrame(rows, columns=[t("item"), t("content")])

    def summary_table(self) -> pd.DataFrame:
        """Before/after figures: 指标, 现状, 方案实施后, 变化 (Indicator, Today, With the proposal, Change)."""
        f = self.figures()
        t, group = self.t, self.group_label
        rows = [
            (t("group_total", group=group), f["total_people"], f["total_people"], 0.0),
            (t("group_within", reach=self.reach_label, group=group), f["covered_before"], f["covered_after"],
             f["newly_covered"]),
            (t("share_pct"), round(f["share_before_pct"], 1), round(f["share_after_pct"], 1),
             round(f["share_after_pct"] - f["share_before_pct"], 1)),
            (t("uncovered_villages_n"), f["uncovered_villages_before"], f["uncovered_villages_after"],
             f["uncovered_villages_after"] - f["uncovered_villages_before"]),
            (t("facilities_n"), float(len(self.facilities)), float(len(self.facilities) + len(self.sites)),
             float(len(self.sites))),
        ]
        return pd.DataFrame(rows, columns=[t("indicator"), t("today"), t("after"), t("change")])

    def _names(self, frame: pd.DataFrame, column: str) -> npt.NDArray[Any]:
        return frame.get(column, pd.Series("", index=frame.index)).fillna("").astype(str).to_numpy()

    def township_table(self) -> pd.DataFrame:
        """Per township coverage before and after, largest gain first, with a 合计 (Total) row last."""
        people = self.people
        t = self.t
        county, township = t("county"), t("township")
        frame = pd.DataFrame(
            {
                county: self._names(self.demand, "county_name"),
                township: self._names(self.demand, "township_name"),
                "villages": 1,
                "people": people,
                "before": np.where(self.covered_before, people, 0.0),
                "after": np.where(self.covered_after, people, 0.0),
                "uncovered_after": ((~self.covered_after) & (people > 0)).astype(int),
            }
        )
        per = frame.groupby([county, township], sort=False).sum(numeric_only=True).reset_index()
        total = per.sum(numeric_only=True)
        total_row = {county: t("total"), township: "", **total.to_dict()}
        per = per.assign(gain=per["after"] - per["before"]).sort_values(
            ["gain", county, township], ascending=[False, True, True]
        )
        per = pd.concat([per.drop(columns="gain"), pd.DataFrame([total_row])], ignore_index=True)

        def share(num: pd.Series, den: pd.Series) -> pd.Series:
            return (100.0 * num / den.where(den > 0)).round(1)

        return pd.DataFrame(
            {
                county: per[county],
                township: per[township],
                t("villages_n"): per["villages"].astype(int),
                t("group_people", group=self.group_label): per["people"].round().astype(int),
                t("covered_today"): per["before"].round().astype(int),
                t("covered_today_pct"): share(per["before"], per["people"]),
                t("covered_after"): per["after"].round().astype(int),
                t("covered_after_pct"): share(per["after"], per["people"]),
                t("newly_covered"): (per["after"] - per["before"]).round().astype(int),
                t("uncovered_after_n"): per["uncovered_after"].astype(int),
            }
        )

    def site_table(self) -> pd.DataFrame:
        """The proposed sites with their reasons, in rank order."""
        s = self.sites
        n = len(s)
        t = self.t

        def col(name: str, default: Any = "") -> pd.Series:
            return s[name].reset_index(drop=True) if name in s.columns else pd.Series([default] * n)

        kinds = [
            CANDIDATE_KINDS[k].label(self.lang) if k in CANDIDATE_KINDS else ("" if pd.isna(k) else str(k))
            for k in col("kind", None)
        ]
        gains = pd.to_numeric(col("new_people", np.nan), errors="coerce")
        n_new = pd.to_numeric(col("n_new_villages", np.nan), errors="coerce")
        lon = [g.x if g is not None and not g.is_empty else np.nan for g in s.geometry] if n else []
        lat = [g.y if g is not None and not g.is_empty else np.nan for g in s.geometry] if n else []
        reasons = [self._reason(s.iloc[i]) for i in range(n)]
        return pd.DataFrame(
            {
                t("no"): np.arange(1, n + 1),
                t("site_name"): col("name").astype(str),
                t("id"): col("id").astype(str),
                t("kind"): kinds,
                t("county"): col("county_name").fillna("").astype(str),
                t("township"): col("township_name").fillna("").astype(str),
                t("new_group", group=self.group_label): gains.round(),
                t("new_villages"): n_new,
                t("cost"): pd.to_numeric(col("cost_10k_yuan", np.nan), errors="coerce"),
                t("reasons"): reasons,
                t("alternatives"): col(f"alternatives_{self.lang}").fillna("").astype(str),
                t("lon"): lon,
                t("lat"): lat,
            }
        )

    def _reason(self, site: pd.Series) -> str:
        t = self.t
        parts = []
        gain = site.get("new_people", np.nan)
        n_new = site.get("n_new_villages", np.nan)
        if pd.notna(gain):
            villages = t("reason_villages", n=int(n_new), s="" if int(n_new) == 1 else "s") if pd.notna(n_new) else ""
            group = self.group_label
            if self.lang == "en" and group[:1].isupper() and not group[1:2].isupper():  # mid-sentence: lower case
                group = group[:1].lower() + group[1:]
            parts.append(t("reason_gain", villages=villages, people=round(float(gain)), group=group,
                           reach=self.reach_label))
        before, after = site.get("mean_time_before_min", np.nan), site.get("mean_time_after_min", np.nan)
        if pd.notna(after):
            was = t("minutes", m=float(before)) if pd.notna(before) else t("over_minutes", m=self.threshold_min)
            parts.append(t("reason_time", was=was, now=float(after)))
        loss = site.get("loss_without", np.nan)
        if pd.notna(loss) and pd.notna(gain) and float(loss) > 0:
            parts.append(t("reason_loss", n=round(float(loss))))
        return t("sep").join(parts)

    def uncovered_table(self) -> pd.DataFrame:
        """Villages with people of the group still uncovered after the proposal, most people first."""
        people = self.people
        t = self.t
        mask = (~self.covered_after) & (people > 0)
        d = self.demand.loc[mask]
        times = (
            self.travel_time_min[mask]
            if self.travel_time_min is not None
            else np.full(int(mask.sum()), np.nan)
        )
        people_col = t("group_people", group=self.group_label)
        out = pd.DataFrame(
            {
                t("county"): self._names(d, "county_name"),
                t("township"): self._names(d, "township_name"),
                t("village"): self._names(d, "name"),
                t("id"): d["id"].astype(str).to_numpy() if "id" in d.columns else np.arange(len(d)).astype(str),
                people_col: people[mask].round().astype(int),
                t("to_nearest"): np.round(np.asarray(times, dtype=float), 1),
                t("lon"): d.geometry.x.to_numpy(),
                t("lat"): d.geometry.y.to_numpy(),
            }
        )
        out = out.sort_values(people_col, ascending=False, kind="stable").reset_index(drop=True)
        out.insert(0, t("no"), np.arange(1, len(out) + 1))
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables by sheet name in the report's language (:data:`SHEETS` in Chinese).

        汇总 (before/after), 乡镇覆盖, 拟建站点, 未覆盖村(社区); Summary, Townships, Proposed sites,
        Uncovered villages.
        """
        made = {"summary": self.summary_table(), "townships": self.township_table(), "sites": self.site_table(),
                "uncovered": self.uncovered_table()}
        return {self.sheet_name(k): made[k] for k in TABLE_KEYS}
