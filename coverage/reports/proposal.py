"""A siting proposal gathered for reporting: villages covered before and after, the sites, the tables.

:class:`ProposalReport` holds plain tables (the canonical GeoDataFrames of
:mod:`coverage.model` plus coverage flags) so it can be built from any source
(:mod:`coverage.reports.build`: :func:`~coverage.reports.plan_proposal` runs
the whole chain on a travel-time engine, :func:`~coverage.reports.report_from_proposal`
wraps a proposal computed elsewhere, the app).
Its :meth:`~ProposalReport.tables` are the report's tables with Chinese headers,
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

__all__ = ["MODE_LABELS", "SHEETS", "ProposalReport"]

#: Chinese names of the travel modes, as printed.
#: Travel-mode labels in Chinese, from the one vocabulary (:data:`coverage.taxonomy.TRAVEL_MODES`).
MODE_LABELS = {key: term.zh for key, term in TRAVEL_MODES.items()}

#: Sheet names of the report tables, in order.
SHEETS = ("汇总", "乡镇覆盖", "拟建站点", "未覆盖村(社区)")


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
        ``alternatives_zh``.
    covered_before, covered_after : per village, covered within the threshold
        without / with the proposed sites.
    group : population-group key counted.
    service_label : the service in Chinese (e.g. "15分钟养老服务圈").
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

    def __post_init__(self) -> None:
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

    @property
    def mode_label(self) -> str:
        """The travel mode in Chinese ("步行", "电动车", "驾车")."""
        return MODE_LABELS.get(self.mode, self.mode)

    @property
    def reach_label(self) -> str:
        """E.g. "步行15分钟"."""
        return f"{self.mode_label}{self.threshold_min:g}分钟"

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
        """The report's heading facts (项目, 内容)."""
        rows = [
            ("地区", self.region_name or "—"),
            ("服务", self.service_label),
            ("计入的设施类型", "、".join(label(t) for t in self.facility_types) or "—"),
            ("服务人群", label(self.group)),
            ("可达标准", f"{self.reach_label}以内"),
            ("拟建站点数", f"{len(self.sites)} 处"),
            ("求解说明", self.solver_note or "—"),
            ("制表日期", self.date),
        ]
        if self.simulated:
            rows.append(("数据说明", "示例数据（模拟），仅供演示，不代表真实情况"))
        return pd.DataFrame(rows, columns=["项目", "内容"])

    def summary_table(self) -> pd.DataFrame:
        """Before/after figures: 指标, 现状, 方案实施后, 变化."""
        f = self.figures()
        group = label(self.group)
        rows = [
            (f"{group}总数（人）", f["total_people"], f["total_people"], 0.0),
            (
                f"{self.reach_label}内{group}（人）",
                f["covered_before"],
                f["covered_after"],
                f["newly_covered"],
            ),
            (
                "覆盖率（%）",
                round(f["share_before_pct"], 1),
                round(f["share_after_pct"], 1),
                round(f["share_after_pct"] - f["share_before_pct"], 1),
            ),
            (
                "未覆盖村(社区)（个）",
                f["uncovered_villages_before"],
                f["uncovered_villages_after"],
                f["uncovered_villages_after"] - f["uncovered_villages_before"],
            ),
            (
                "计入设施数（处）",
                float(len(self.facilities)),
                float(len(self.facilities) + len(self.sites)),
                float(len(self.sites)),
            ),
        ]
        return pd.DataFrame(rows, columns=["指标", "现状", "方案实施后", "变化"])

    def township_table(self) -> pd.DataFrame:
        """Per township coverage before and after, largest gain first, with a 合计 row last."""
        people = self.people
        frame = pd.DataFrame(
            {
                "县(市、区)": self.demand.get("county_name", pd.Series("", index=self.demand.index))
                .fillna("")
                .astype(str)
                .to_numpy(),
                "乡(镇、街道)": self.demand.get("township_name", pd.Series("", index=self.demand.index))
                .fillna("")
                .astype(str)
                .to_numpy(),
                "村(社区)数": 1,
                "people": people,
                "before": np.where(self.covered_before, people, 0.0),
                "after": np.where(self.covered_after, people, 0.0),
                "uncovered_after": ((~self.covered_after) & (people > 0)).astype(int),
            }
        )
        per = frame.groupby(["县(市、区)", "乡(镇、街道)"], sort=False).sum(numeric_only=True).reset_index()
        total = per.sum(numeric_only=True)
        total_row = {"县(市、区)": "合计", "乡(镇、街道)": "", **total.to_dict()}
        per = per.assign(gain=per["after"] - per["before"]).sort_values(
            ["gain", "县(市、区)", "乡(镇、街道)"], ascending=[False, True, True]
        )
        per = pd.concat([per.drop(columns="gain"), pd.DataFrame([total_row])], ignore_index=True)
        group = label(self.group)

        def share(num: pd.Series, den: pd.Series) -> pd.Series:
            return (100.0 * num / den.where(den > 0)).round(1)

        return pd.DataFrame(
            {
                "县(市、区)": per["县(市、区)"],
                "乡(镇、街道)": per["乡(镇、街道)"],
                "村(社区)数": per["村(社区)数"].astype(int),
                f"{group}（人）": per["people"].round().astype(int),
                "现状覆盖（人）": per["before"].round().astype(int),
                "现状覆盖率（%）": share(per["before"], per["people"]),
                "方案后覆盖（人）": per["after"].round().astype(int),
                "方案后覆盖率（%）": share(per["after"], per["people"]),
                "新增覆盖（人）": (per["after"] - per["before"]).round().astype(int),
                "方案后未覆盖村(社区)（个）": per["uncovered_after"].astype(int),
            }
        )

    def site_table(self) -> pd.DataFrame:
        """The proposed sites with their reasons, in rank order."""
        s = self.sites
        n = len(s)

        def col(name: str, default: Any = "") -> pd.Series:
            return s[name].reset_index(drop=True) if name in s.columns else pd.Series([default] * n)

        kinds = [
            CANDIDATE_KINDS[k].zh if k in CANDIDATE_KINDS else ("" if pd.isna(k) else str(k))
            for k in col("kind", None)
        ]
        gains = pd.to_numeric(col("new_people", np.nan), errors="coerce")
        n_new = pd.to_numeric(col("n_new_villages", np.nan), errors="coerce")
        lon = [g.x if g is not None and not g.is_empty else np.nan for g in s.geometry] if n else []
        lat = [g.y if g is not None and not g.is_empty else np.nan for g in s.geometry] if n else []
        reasons = [self._reason(s.iloc[i]) for i in range(n)]
        return pd.DataFrame(
            {
                "序号": np.arange(1, n + 1),
                "站点名称": col("name").astype(str),
                "编号": col("id").astype(str),
                "类别": kinds,
                "县(市、区)": col("county_name").fillna("").astype(str),
                "乡(镇、街道)": col("township_name").fillna("").astype(str),
                f"新增覆盖{label(self.group)}（人）": gains.round(),
                "新增覆盖村(社区)（个）": n_new,
                "估算投资（万元）": pd.to_numeric(col("cost_10k_yuan", np.nan), errors="coerce"),
                "选址理由": reasons,
                "备选站点": col("alternatives_zh").fillna("").astype(str),
                "经度": lon,
                "纬度": lat,
            }
        )

    def _reason(self, site: pd.Series) -> str:
        parts = []
        gain = site.get("new_people", np.nan)
        n_new = site.get("n_new_villages", np.nan)
        if pd.notna(gain):
            villages = f"{int(n_new)}个村(社区)的" if pd.notna(n_new) else ""
            parts.append(
                f"使{villages}{round(float(gain)):,}名{label(self.group)}进入{self.reach_label}范围"
            )
        before, after = site.get("mean_time_before_min", np.nan), site.get("mean_time_after_min", np.nan)
        if pd.notna(after):
            was = f"{float(before):.0f}分钟" if pd.notna(before) else f"超过{self.threshold_min:g}分钟"
            parts.append(f"受益村平均通行时间由{was}缩短为{float(after):.0f}分钟")
        loss = site.get("loss_without", np.nan)
        if pd.notna(loss) and pd.notna(gain) and float(loss) > 0:
            parts.append(f"若不建此站，将少覆盖{round(float(loss)):,}人")
        return "；".join(parts)

    def uncovered_table(self) -> pd.DataFrame:
        """Villages with people of the group still uncovered after the proposal, most people first."""
        people = self.people
        mask = (~self.covered_after) & (people > 0)
        d = self.demand.loc[mask]
        times = (
            self.travel_time_min[mask]
            if self.travel_time_min is not None
            else np.full(int(mask.sum()), np.nan)
        )
        out = pd.DataFrame(
            {
                "县(市、区)": d.get("county_name", pd.Series("", index=d.index))
                .fillna("")
                .astype(str)
                .to_numpy(),
                "乡(镇、街道)": d.get("township_name", pd.Series("", index=d.index))
                .fillna("")
                .astype(str)
                .to_numpy(),
                "村(社区)": d.get("name", pd.Series("", index=d.index)).fillna("").astype(str).to_numpy(),
                "编号": d["id"].astype(str).to_numpy()
                if "id" in d.columns
                else np.arange(len(d)).astype(str),
                f"{label(self.group)}（人）": people[mask].round().astype(int),
                "至最近现有设施（分钟）": np.round(np.asarray(times, dtype=float), 1),
                "经度": d.geometry.x.to_numpy(),
                "纬度": d.geometry.y.to_numpy(),
            }
        )
        out = out.sort_values(f"{label(self.group)}（人）", ascending=False, kind="stable").reset_index(
            drop=True
        )
        out.insert(0, "序号", np.arange(1, len(out) + 1))
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables by sheet name (:data:`SHEETS`).

        汇总 (before/after), 乡镇覆盖, 拟建站点, 未覆盖村(社区).
        """
        return {
            "汇总": self.summary_table(),
            "乡镇覆盖": self.township_table(),
            "拟建站点": self.site_table(),
            "未覆盖村(社区)": self.uncovered_table(),
        }
