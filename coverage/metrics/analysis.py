"""Coverage against the standards, per service, group and administrative unit.

:func:`analyze` takes the canonical demand and facility tables, the standards
and one travel-time engine per mode (or travel tables computed earlier) and
returns a :class:`CoverageResult`: plain DataFrames with units in the column
names, ready for the app, printed maps, Excel reports and siting.

A village is *covered* by a service when its nearest counted facility is within
the service's ``threshold_min`` (inclusive).  People of a group count as covered
when their village is.  Travel times are population-weighted for the median and
the 90th percentile; a percentile that falls among villages that reach no
facility at all is NaN (unreachable).

Example
-------
>>> from coverage.demo import load_demo                          # doctest: +SKIP
>>> from coverage.traveltime import TravelTimeEngine             # doctest: +SKIP
>>> region = load_demo("yuxi"); G = region.graph()               # doctest: +SKIP
>>> engines = {m: TravelTimeEngine(G, mode=m) for m in ("walk", "car")}  # doctest: +SKIP
>>> result = analyze(region.demand, region.facilities, standards=default_standards(),
...                  engines=engines, boundaries=region.boundaries)     # doctest: +SKIP
>>> result.summary[["service", "group", "covered_people", "share", "passed"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.metrics.accessibility import (
    Engines,
    ServiceTravel,
    counted_facilities,
    fingerprint,
    service_travel,
)
from coverage.metrics.capacity import CapacityResult, capacity_analysis
from coverage.metrics.standards import (
    VILLAGES,
    Service,
    Standards,
    default_standards,
    group_label,
)
from coverage.model import COLUMN_LABELS
from coverage.taxonomy import POPULATION_GROUPS, facility_status

__all__ = [
    "METRIC_LABELS",
    "VERDICTS",
    "CoverageResult",
    "analyze",
    "parse_statuses",
    "verdict",
    "verdict_label",
    "weighted_quantile",
]

logger = logging.getLogger(__name__)

_LEVELS = ("county", "township", "village")

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
}


#: The verdict on a target: key -> (Chinese, English).  "no_data" when there is
#: nothing to judge (no people, no villages, no units): never reported as met.
VERDICTS: dict[str, tuple[str, str]] = {
    "met": ("达标", "met"),
    "not_met": ("未达标", "NOT met"),
    "no_data": ("无数据", "no data"),
    "no_target": ("无目标", "no target"),
}


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


def parse_statuses(values: Collection[object] | str | None) -> tuple[str, ...] | None:
    """Facility statuses given by key, Chinese label or alias (现有, 规划, 拟建, 在建 ...) as keys.

    Parameters
    ----------
    values
        Statuses as the planner writes them (``"现有"``, ``"existing"``, ``"规划中"``),
        one or several; None = every facility counts.

    Returns
    -------
    tuple of str or None
        The status keys (``"existing"``, ``"planned"``, ``"proposed"``), without repeats.

    Raises
    ------
    UnknownCategoryError
        An unknown status (the message suggests the closest known one).

    Example
    -------
    >>> parse_statuses(["现有", "规划"])
    ('existing', 'planned')
    """
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    return tuple(dict.fromkeys(facility_status(v).key for v in items))


def _header(col: str, lang: str) -> str:
    i = 0 if lang == "zh" else 1
    if col in METRIC_LABELS:
        return METRIC_LABELS[col][i]
    if col in COLUMN_LABELS:
        return COLUMN_LABELS[col][i]
    if col.startswith("uncovered_") and col[10:] in POPULATION_GROUPS:
        g = POPULATION_GROUPS[col[10:]]
        return f"未覆盖{g.zh}" if lang == "zh" else f"Uncovered {g.en.lower()}"
    return col


def weighted_quantile(values: npt.ArrayLike, weights: npt.ArrayLike, q: float) -> float:
    """Population-weighted quantile: the smallest value within which ``q`` of the weight lies.

    Parameters
    ----------
    values
        Travel times in minutes; NaN = unreachable (treated as infinitely far).
    weights
        People per value (non-negative).
    q
        Quantile in 0..1 (0.5 = median, 0.9 = 90th percentile).

    Returns
    -------
    float
        The quantile in minutes; NaN if it falls among unreachable values or the
        total weight is 0.

    Example
    -------
    >>> weighted_quantile([5, 10, float("nan")], [50, 30, 20], 0.5)
    5.0
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = np.where(np.isnan(v[keep]), np.inf, v[keep]), w[keep]
    total = w.sum()
    if total <= 0:
        return math.nan
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    i = int(np.searchsorted(cum, q * total - 1e-9 * total, side="left"))
    x = float(v[order][min(i, len(v) - 1)])
    return x if math.isfinite(x) else math.nan


def _code_str(s: pd.Series) -> pd.Series:
    """Codes as clean strings (530402.0 -> "530402"); missing stays missing (None)."""
    if pd.api.types.is_float_dtype(s):
        s = s.map(lambda x: str(int(x)) if pd.notna(x) and float(x).is_integer() else x)
    out = pd.Series(None, index=s.index, dtype=object)
    mask = s.notna().to_numpy()
    if mask.any():
        text = s[mask].astype(str).str.strip()
        out[mask] = text.where(text != "", None).to_numpy(dtype=object)
    return out


def _admin(table: pd.DataFrame, *, keep_missing_names: bool = False) -> pd.DataFrame:
    """County/township/village keys (code, else name) and names (else code) of each row."""
    out = pd.DataFrame(index=table.index)
    for level in _LEVELS:
        code = (
            _code_str(table[f"{level}_code"])
            if f"{level}_code" in table.columns
            else pd.Series(None, index=table.index, dtype=object)
        )
        name = (
            table[f"{level}_name"].astype(object)
            if f"{level}_name" in table.columns
            else pd.Series(None, index=table.index, dtype=object)
        )
        name = name.where(name.notna(), None)
        out[f"{level}_code"] = code.where(code.notna(), name)
        out[f"{level}_name"] = name if keep_missing_names else name.where(name.notna(), code)
    return out


def _metric_crs(gdf: Any) -> Any:
    try:
        return gdf.estimate_utm_crs()
    except Exception:  # noqa: BLE001 - empty or odd extent: a world metric CRS will do for "nearest"
        return "EPSG:3857"


def _place_facilities(
    facilities: Any,
    level: str,
    *,
    demand: Any,
    demand_admin: pd.DataFrame,
    boundaries: Any | None,
    notes: list[str],
    facilities_admin: pd.DataFrame | None = None,
) -> pd.Series:
    """Unit key at ``level`` of every facility: its own code, else the boundary it
    lies in, else the unit of the nearest village."""
    import geopandas as gpd

    fadm = facilities_admin if facilities_admin is not None else _admin(facilities)
    key = fadm[f"{level}_code"].copy()
    missing = key.isna()
    if missing.any() and boundaries is not None and hasattr(facilities, "geometry"):
        polys = boundaries.loc[boundaries["level"] == level]
        if len(polys):
            pts = facilities.loc[missing, ["geometry"]]
            if pts.crs is None or polys.crs is None:
                raise CRSError("facilities or boundaries have no CRS; load them with coverage.inputs")
            joined = gpd.sjoin(
                pts, polys[["code", "geometry"]].to_crs(pts.crs), how="left", predicate="within"
            )
            joined = joined[~joined.index.duplicated()]
            key[missing] = _code_str(joined["code"]).reindex(key.index[missing]).to_numpy()
            missing = key.isna()
    if missing.any() and hasattr(facilities, "geometry") and hasattr(demand, "geometry") and len(demand):
        if facilities.crs is None or demand.crs is None:
            raise CRSError("facilities or demand have no CRS; load them with coverage.inputs")
        crs = _metric_crs(demand)
        vil = gpd.GeoDataFrame(
            {"unit": demand_admin[f"{level}_code"].to_numpy()},
            geometry=demand.geometry.to_crs(crs).to_numpy(),
            crs=crs,
        )
        pts = facilities.loc[missing, ["geometry"]].to_crs(crs)
        joined = gpd.sjoin_nearest(pts, vil, how="left")
        joined = joined[~joined.index.duplicated()]
        key[missing] = joined["unit"].reindex(key.index[missing]).to_numpy()
        notes.append(
            f"{int(missing.sum())} facilities have no {level} code and lie in no {level} boundary: "
            f"placed in the {level} of the nearest village"
        )
    return key


@dataclass
class CoverageResult:
    """Coverage of every service, group, unit and rule; capacity; one-old-one-young.

    Attributes
    ----------
    standards : the standards analysed.
    summary : one row per service and group: service, service_zh, service_en, group,
        group_zh, group_en, mode, threshold_min, facilities, covered_people,
        total_people, share, target_share, passed (None without target), gap_people
        (people still to cover to meet the target), gap_villages (fewest uncovered
        villages that would close the gap), uncovered_people, uncovered_villages,
        villages_total, median_travel_time_min, p90_travel_time_min.
    bands : share within each of a service's ``bands_min`` (service, group,
        threshold_min, covered_people, total_people, share).
    by_unit : per administrative unit (level "prefecture", "county", "township"),
        service and group: level, code, name, parent_code, covered_people,
        total_people, uncovered_people, share, target_share, passed, villages_total,
        uncovered_villages.
    villages : per village and service: id, name, admin columns, service,
        travel_time_min, facility_id, facility_name, facility_type, covered.
    people : per village, service and group: id, service, group, people,
        covered_people, uncovered_people.
    uncovered : uncovered villages ranked by uncovered people, per service and
        group: service, group, rank, id, name, township_name, county_name, people,
        travel_time_min, facility_name.
    unit_rules : one row per per-unit rule: rule, rule_zh, rule_en, level,
        min_count, units_total, units_passed, units_failed, share, target_share, passed.
    unit_rule_units : per rule and unit: rule, level, code, name, parent_name,
        facility_count, passed.
    one_old_one_young : per village: id, name, township_name, county_name,
        elderly_covered, child_covered, lacks_both, elderly_people, child_people.
    capacity : ``{service key: CapacityResult}`` for services with capacity.
    travel : ``{service key: ServiceTravel}``: the travel tables used (nearest
        facility per village and, for capacity services, the OD within threshold).
    notes : things a planner should know about this run (placement fallbacks...).
    demand : the demand table analysed (not copied; never modified).
    """

    standards: Standards
    summary: pd.DataFrame
    bands: pd.DataFrame
    by_unit: pd.DataFrame
    villages: pd.DataFrame
    people: pd.DataFrame
    uncovered: pd.DataFrame
    unit_rules: pd.DataFrame
    unit_rule_units: pd.DataFrame
    one_old_one_young: pd.DataFrame
    capacity: dict[str, CapacityResult]
    travel: dict[str, ServiceTravel]
    notes: list[str] = field(default_factory=list)
    demand: Any = None
    prefecture_name: str = ""

    # ---------------------------------------------------------------- views

    def service_summary(self, service: str) -> pd.DataFrame:
        """Rows of :attr:`summary` for one service."""
        self.standards.service(service)
        return self.summary.loc[self.summary["service"] == service].reset_index(drop=True)

    def village_table(self, service: str) -> Any:
        """One service per village, with geometry: for maps and siting.

        Returns
        -------
        GeoDataFrame (or DataFrame if the demand had no geometry)
            The demand table's columns plus ``travel_time_min``, ``facility_id``,
            ``facility_name``, ``facility_type``, ``covered`` and, per group of the
            service, ``uncovered_<group>`` (people).
        """
        svc = self.standards.service(service)
        v = self.villages.loc[self.villages["service"] == service].set_index("id")
        out = self.demand.copy()
        ids = out["id"].to_numpy()
        for col in ("travel_time_min", "facility_id", "facility_name", "facility_type", "covered"):
            values = v[col].reindex(ids).to_numpy()
            out[col] = (
                values if col in ("travel_time_min", "covered") else np.where(pd.isna(values), None, values)
            )
        p = self.people.loc[self.people["service"] == service]
        for g in svc.groups:
            if g == VILLAGES:
                continue
            out[f"uncovered_{g}"] = (
                p.loc[p["group"] == g].set_index("id")["uncovered_people"].reindex(ids).to_numpy()
            )
        return out

    def uncovered_villages(self, service: str, group: str | None = None) -> pd.DataFrame:
        """Uncovered villages of a service ranked by uncovered people (first group by default)."""
        svc = self.standards.service(service)
        group = group or svc.groups[0]
        u = self.uncovered
        return u.loc[(u["service"] == service) & (u["group"] == group)].reset_index(drop=True)

    def od(self, service: str) -> pd.DataFrame | None:
        """OD pairs (from_id, to_id, travel_time_min) within the threshold (capacity services, or
        every service when analysed with ``with_od=True``); None if not computed."""
        self.standards.service(service)
        t = self.travel.get(service)
        return None if t is None or t.od is None else t.od

    # ---------------------------------------------------------------- export

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: per service and group covered, total, share, target, passed; rules; capacity."""

        def num(x: Any) -> Any:
            if x is None or (isinstance(x, float) and not math.isfinite(x)):
                return None
            if isinstance(x, (np.integer,)):
                return int(x)
            if isinstance(x, (np.floating, float)):
                f = float(x)
                return int(f) if f.is_integer() and abs(f) < 2**53 else f
            if isinstance(x, (np.bool_, bool)):
                return bool(x)
            return x

        services = []
        for svc in self.standards.services:
            rows = self.summary.loc[self.summary["service"] == svc.key]
            services.append(
                {
                    "service": svc.key,
                    "zh": svc.zh,
                    "en": svc.en,
                    "mode": svc.mode,
                    "threshold_min": num(svc.threshold_min),
                    "target": num(svc.target_share),
                    "facility_types": list(svc.facility_types),
                    "facilities": num(rows["facilities"].iloc[0]) if len(rows) else 0,
                    "groups": [
                        {
                            "group": r.group,
                            "zh": r.group_zh,
                            "en": r.group_en,
                            "covered": num(r.covered_people),
                            "total": num(r.total_people),
                            "share": num(r.share),
                            "target": num(r.target_share),
                            "passed": None if r.passed is None or pd.isna(r.passed) else bool(r.passed),
                            "status": r.status,
                            "gap_people": num(r.gap_people),
                            "gap_villages": num(r.gap_villages),
                            "uncovered_villages": num(r.uncovered_villages),
                            "median_travel_time_min": num(r.median_travel_time_min),
                            "p90_travel_time_min": num(r.p90_travel_time_min),
                        }
                        for r in rows.itertuples(index=False)
                    ],
                }
            )
        rules = []
        for r in self.unit_rules.itertuples(index=False):
            failing = self.unit_rule_units.loc[
                (self.unit_rule_units["rule"] == r.rule) & ~self.unit_rule_units["passed"].astype(bool),
                "name",
            ]
            rules.append(
                {
                    "rule": r.rule,
                    "zh": r.rule_zh,
                    "en": r.rule_en,
                    "level": r.level,
                    "units": num(r.units_total),
                    "units_passed": num(r.units_passed),
                    "share": num(r.share),
                    "target": num(r.target_share),
                    "passed": None if r.passed is None or pd.isna(r.passed) else bool(r.passed),
                    "status": r.status,
                    "failing_units": [str(x) for x in failing.tolist()],
                }
            )
        o = self.one_old_one_young
        lack = o.loc[o["lacks_both"]] if len(o) else o
        return {
            "standards": {
                "zh": self.standards.name_zh,
                "en": self.standards.name_en,
                "source": self.standards.source,
            },
            "region": self.prefecture_name,
            "villages": int(len(self.demand)) if self.demand is not None else None,
            "services": services,
            "unit_rules": rules,
            "capacity": {
                k: {kk: num(vv) for kk, vv in c.to_dict().items()} for k, c in self.capacity.items()
            },
            "one_old_one_young": {
                "villages_lacking_both": int(len(lack)),
                "elderly_people_in_them": num(float(lack["elderly_people"].sum())) if len(lack) else 0,
                "children_in_them": num(float(lack["child_people"].sum())) if len(lack) else 0,
            },
            "notes": list(self.notes),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (Chinese kept as is)."""
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name (capacity: ``capacity_facilities_<service>``, ...)."""
        out = {
            "summary": self.summary,
            "bands": self.bands,
            "by_unit": self.by_unit,
            "uncovered": self.uncovered,
            "unit_rules": self.unit_rules,
            "unit_rule_units": self.unit_rule_units,
            "one_old_one_young": self.one_old_one_young,
            "villages": self.villages,
        }
        for k, c in self.capacity.items():
            out[f"capacity_facilities_{k}"] = c.facilities
            out[f"capacity_villages_{k}"] = c.villages
            if c.by_county is not None:
                out[f"capacity_counties_{k}"] = c.by_county
        return out

    def to_excel(self, path: str | Path, *, lang: str = "zh") -> Path:
        """Write the result tables to a workbook, one sheet each, headers in ``lang``.

        Parameters
        ----------
        path
            Output ``.xlsx``.
        lang
            "zh" or "en" headers and sheet names.

        Returns
        -------
        Path
        """
        from coverage.output import safe_frame, text_cells

        path = Path(path)
        names_zh = {
            "summary": "汇总",
            "bands": "时间分布",
            "by_unit": "分区统计",
            "uncovered": "未覆盖村",
            "unit_rules": "单元指标",
            "unit_rule_units": "单元明细",
            "one_old_one_young": "一老一小",
            "villages": "村明细",
        }
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, table in self.tables().items():
                sheet = names_zh.get(name, name) if lang == "zh" else name
                if name.startswith("capacity_"):
                    kind, key = name[len("capacity_") :].split("_", 1)
                    zh_kind = {"facilities": "容量-设施-", "villages": "容量-村-", "counties": "容量-县-"}[
                        kind
                    ]
                    sheet = zh_kind + key if lang == "zh" else name
                t = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
                if "status" in t.columns and not name.startswith("capacity_"):
                    t["status"] = t["status"].map(lambda k: verdict_label(k, lang) if isinstance(k, str) else k)
                t.columns = [_header(str(c), lang) for c in t.columns]
                safe_frame(t).to_excel(xw, sheet_name=sheet[:31], index=False)
                text_cells(xw.sheets[sheet[:31]])  # names such as "=1+1" stay text, never formulas
        return path


# ====================================================================== analysis


def _resolve_travel(
    demand: Any,
    facilities: Any,
    service: Service,
    *,
    engines: Engines | None,
    travel: Mapping[str, ServiceTravel] | None,
    statuses: Collection[str] | None,
    nearest_cutoff_min: float | None,
    with_od: bool,
) -> ServiceTravel:
    st = (travel or {}).get(service.key)
    wanted_status = None if statuses is None else tuple(statuses)
    need_od = service.capacity or with_od
    ok = (
        st is not None
        and st.mode == service.mode
        and set(st.facility_types) == set(service.facility_types)
        and st.statuses == wanted_status
        and st.nearest.index.equals(pd.Index(demand["id"]))
        and (
            not need_od
            or (
                st.od is not None
                and st.od_cutoff_min is not None
                and st.od_cutoff_min >= service.threshold_min
            )
        )
    )
    if ok and st.fingerprint:  # type: ignore[union-attr]
        counted = counted_facilities(facilities, service.facility_types, statuses=statuses)
        ok = st.fingerprint == fingerprint(demand, counted)  # type: ignore[union-attr]
    if ok:
        return st  # type: ignore[return-value]
    if engines is None:
        why = (
            "none given"
            if st is None
            else "the given ones were computed for other facility types, mode, "
            "statuses, villages or facilities, or a smaller threshold"
        )
        raise InputError(
            f"service '{service.key}': no travel tables ({why}) and no engines; pass "
            f"engines={{'{service.mode}': TravelTimeEngine(G, mode='{service.mode}')}}"
        )
    return service_travel(
        demand,
        facilities,
        service,
        engines=engines,
        statuses=statuses,
        nearest_cutoff_min=nearest_cutoff_min,
        with_od=with_od,
    )


def _group_people(demand: pd.DataFrame, group: str, service: Service) -> npt.NDArray[np.float64]:
    if group == VILLAGES:
        return np.ones(len(demand))
    if group not in demand.columns:
        raise MissingColumnError(
            f"demand table: no column '{group}' ({group_label(group)}) needed by service "
            f"'{service.key}'; add it to the villages file or remove the group from the "
            f"standards"
        )
    return pd.to_numeric(demand[group], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _kind(group: str) -> str:
    return "village" if group == VILLAGES else POPULATION_GROUPS[group].kind


def analyze(
    demand: Any,
    facilities: Any,
    *,
    standards: Standards | None = None,
    engines: Engines | None = None,
    boundaries: Any | None = None,
    travel: Mapping[str, ServiceTravel] | None = None,
    statuses: Collection[str] | None = None,
    nearest_cutoff_min: float | None = None,
    spare_below: float = 0.5,
    prefecture_name: str | None = None,
    with_od: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> CoverageResult:
    """Coverage of demand by facilities against the standards.

    Parameters
    ----------
    demand
        Canonical demand GeoDataFrame (villages; unique ``id``, population columns,
        admin columns ``county_code``/``county_name``/``township_code``/...).
    facilities
        Canonical facility GeoDataFrame (``id``, ``type``, ``capacity``, ``status``...).
    standards
        The targets (default: :func:`default_standards`).
    engines
        ``{mode: TravelTimeEngine}`` or a factory ``mode -> engine``; needed for every
        service whose travel tables are not passed in ``travel``.
    boundaries
        Canonical boundaries (``level``, ``code``, ``name``, ``parent_code``): the
        units judged by per-unit rules (units without villages included) and the
        fallback to place facilities without admin codes.
    travel
        Travel tables computed earlier (:func:`coverage.metrics.travel_tables`,
        or :attr:`CoverageResult.travel` of a previous run); reused when they
        match a service's facility types, mode and statuses, so a change of
        threshold or target costs no routing.
    statuses
        Facility statuses that count (e.g. ``("existing",)``); None = every row.
    nearest_cutoff_min
        Cutoff of the nearest-facility search, minutes (None = unbounded).
    spare_below
        Capacity analysis: utilisation below which a facility is flagged spare.
    with_od
        Also keep, for every service, the OD pairs within its threshold
        (:meth:`CoverageResult.od`; siting uses them).  Capacity services always do.
    prefecture_name
        Name of the whole region in the prefecture-level row (default: the
        boundaries' prefecture, else "全部").
    progress
        ``progress(done, total, service_key)`` after each service's travel times.

    Returns
    -------
    CoverageResult

    Raises
    ------
    MissingColumnError
        The demand lacks ``id`` or a population group a service measures.
    InputError
        Duplicate ids, or a service has neither travel tables nor an engine.
    CRSError
        A layer without CRS where a spatial fallback is needed.
    """
    standards = standards or default_standards()
    statuses = parse_statuses(statuses)
    if "id" not in demand.columns:
        raise MissingColumnError("demand table: no 'id' column; load it with coverage.inputs.load_demand")
    if demand["id"].duplicated().any():
        dup = demand["id"][demand["id"].duplicated()].iloc[0]
        raise InputError(f"demand table: id {dup!r} occurs more than once; ids must be unique")
    notes: list[str] = []
    ids = demand["id"].to_numpy()
    n = len(demand)
    adm = _admin(demand, keep_missing_names=True)
    adm.index = pd.RangeIndex(n)
    names = demand["name"].astype(object).to_numpy() if "name" in demand.columns else ids.astype(object)
    names = np.where(pd.isna(names), ids.astype(object), names)
    adm["village_code"] = adm["village_code"].where(adm["village_code"].notna(), pd.Series(ids, dtype=object))
    adm["village_name"] = adm["village_name"].where(
        adm["village_name"].notna(), pd.Series(names, dtype=object)
    )
    for level in ("county", "township"):
        adm[f"{level}_name"] = adm[f"{level}_name"].where(adm[f"{level}_name"].notna(), adm[f"{level}_code"])
    fac_info = (
        facilities.set_index("id")[[c for c in ("name", "type") if c in facilities.columns]]
        if "id" in facilities.columns
        else pd.DataFrame()
    )

    if prefecture_name is None:
        prefecture_name = "全部"
        if boundaries is not None and "level" in boundaries.columns:
            pref = boundaries.loc[boundaries["level"] == "prefecture"]
            if len(pref):
                prefecture_name = str(pref["name"].iloc[0])

    summary_rows: list[dict[str, Any]] = []
    band_rows: list[dict[str, Any]] = []
    village_frames: list[pd.DataFrame] = []
    people_frames: list[pd.DataFrame] = []
    travel_out: dict[str, ServiceTravel] = {}
    capacity: dict[str, CapacityResult] = {}
    covered_by: dict[str, npt.NDArray[np.bool_]] = {}

    for k, svc in enumerate(standards.services):
        st = _resolve_travel(
            demand,
            facilities,
            svc,
            engines=engines,
            travel=travel,
            statuses=statuses,
            nearest_cutoff_min=nearest_cutoff_min,
            with_od=with_od,
        )
        travel_out[svc.key] = st
        if progress is not None:
            progress(k + 1, len(standards.services), svc.key)
        near = st.nearest.reindex(pd.Index(ids))
        t = near["travel_time_min"].to_numpy(dtype=float)
        fid = near["facility_id"].to_numpy(dtype=object)
        fid = np.where(pd.isna(fid) | np.isnan(t), None, fid)
        covered = np.nan_to_num(t, nan=np.inf) <= svc.threshold_min + 1e-9
        covered_by[svc.key] = covered
        n_fac = len(counted_facilities(facilities, svc.facility_types, statuses=statuses))
        vf = pd.DataFrame(
            {
                "id": ids,
                "name": names,
                **{c: adm[c].to_numpy() for c in adm.columns},
                "service": svc.key,
                "travel_time_min": t,
                "facility_id": fid,
            }
        )
        if len(fac_info):
            fi = fac_info.reindex(pd.Index(fid))
            vf["facility_name"] = fi["name"].to_numpy() if "name" in fi else None
            vf["facility_type"] = fi["type"].to_numpy() if "type" in fi else None
        else:
            vf["facility_name"] = None
            vf["facility_type"] = None
        vf["covered"] = covered
        village_frames.append(vf)

        for g in svc.groups:
            people = _group_people(demand, g, svc)
            cov = float(people[covered].sum())
            total = float(people.sum())
            share = cov / total if total > 0 else math.nan
            target = svc.target_share
            if target is None or not math.isfinite(share):
                # nothing to judge (no people of the group): "no data", never "met"
                passed: bool | None = None
                gap = 0.0 if target is None else math.nan
            else:
                passed = bool(share >= target - 1e-9)
                gap = max(0.0, math.ceil(target * total - cov - 1e-9))
            unc_mask = ~covered & (people > 0)
            unc_people = people[unc_mask]
            order = np.argsort(-unc_people, kind="stable")
            if target is None or not gap or not math.isfinite(gap):
                gap_v: float = 0.0 if target is not None and math.isfinite(gap) else math.nan
            else:
                cum = np.cumsum(unc_people[order])
                gap_v = float(min(int(np.searchsorted(cum, gap - 1e-9, side="left")) + 1, len(cum)))
            summary_rows.append(
                {
                    "service": svc.key,
                    "service_zh": svc.zh,
                    "service_en": svc.en,
                    "group": g,
                    "group_zh": group_label(g, "zh"),
                    "group_en": group_label(g, "en"),
                    "mode": svc.mode,
                    "threshold_min": svc.threshold_min,
                    "facilities": n_fac,
                    "covered_people": cov,
                    "total_people": total,
                    "share": share,
                    "target_share": target,
                    "passed": passed,
                    "status": verdict(passed, has_data=total > 0, has_target=target is not None),
                    "gap_people": gap,
                    "gap_villages": gap_v,
                    "uncovered_people": total - cov,
                    "uncovered_villages": int(unc_mask.sum()),
                    "villages_total": int((people > 0).sum()),
                    "median_travel_time_min": weighted_quantile(t, people, 0.5),
                    "p90_travel_time_min": weighted_quantile(t, people, 0.9),
                }
            )
            for b in sorted({*svc.bands_min, svc.threshold_min}):
                cb = float(people[np.nan_to_num(t, nan=np.inf) <= b + 1e-9].sum())
                band_rows.append(
                    {
                        "service": svc.key,
                        "group": g,
                        "threshold_min": b,
                        "covered_people": cb,
                        "total_people": total,
                        "share": cb / total if total > 0 else math.nan,
                    }
                )
            people_frames.append(
                pd.DataFrame(
                    {
                        "id": ids,
                        "service": svc.key,
                        "group": g,
                        "people": people,
                        "covered_people": np.where(covered, people, 0.0),
                        "uncovered_people": np.where(covered, 0.0, people),
                        "_row": np.arange(n),
                    }
                )
            )

        if svc.capacity:
            demand_people = (
                sum((_group_people(demand, g, svc) for g in svc.groups if g != VILLAGES), np.zeros(n))
                * svc.uptake_share
            )
            counted = counted_facilities(facilities, svc.facility_types, statuses=statuses)
            od = st.od if st.od is not None else pd.DataFrame(columns=["from_id", "to_id", "travel_time_min"])
            cap = capacity_analysis(
                pd.Series(demand_people, index=pd.Index(ids, name="id")),
                counted,
                st.nearest,
                od,
                threshold_min=svc.threshold_min,
                service_key=svc.key,
                spare_below=spare_below,
            )
            cap.villages.insert(1, "name", names)
            cap.villages.insert(2, "township_name", adm["township_name"].to_numpy())
            cap.villages.insert(3, "county_name", adm["county_name"].to_numpy())
            cap.by_county = _capacity_by_county(cap, counted, adm)
            capacity[svc.key] = cap

    summary = pd.DataFrame(summary_rows)
    bands = pd.DataFrame(
        band_rows, columns=["service", "group", "threshold_min", "covered_people", "total_people", "share"]
    )
    villages = pd.concat(village_frames, ignore_index=True) if village_frames else pd.DataFrame()
    people_long = (
        pd.concat(people_frames, ignore_index=True)
        if people_frames
        else pd.DataFrame(
            columns=["id", "service", "group", "people", "covered_people", "uncovered_people", "_row"]
        )
    )

    by_unit = _by_unit(people_long, adm, standards, prefecture_name)
    uncovered = _uncovered(people_long, villages, adm, names)
    rules, rule_units = _unit_rules(
        demand, facilities, adm, standards, boundaries=boundaries, statuses=statuses, notes=notes
    )
    oooy = _one_old_one_young(demand, standards, covered_by, adm, names)
    people_long = people_long.drop(columns="_row")
    for note in notes:
        logger.info(note)
    return CoverageResult(
        standards=standards,
        summary=summary,
        bands=bands,
        by_unit=by_unit,
        villages=villages,
        people=people_long,
        uncovered=uncovered,
        unit_rules=rules,
        unit_rule_units=rule_units,
        one_old_one_young=oooy,
        capacity=capacity,
        travel=travel_out,
        notes=notes,
        demand=demand,
        prefecture_name=prefecture_name,
    )


def _capacity_by_county(cap: CapacityResult, counted: Any, adm: pd.DataFrame) -> pd.DataFrame:
    """Beds and demand per county: where beds stand empty and where demand goes unmet."""
    fac = cap.facilities
    fcounty = pd.Series(_admin(counted)["county_code"].to_numpy(), index=counted["id"].to_numpy())
    f = pd.DataFrame(
        {
            "county_code": fcounty.reindex(fac["facility_id"]).to_numpy(),
            **{
                c: fac[c].to_numpy(dtype=float)
                for c in ("capacity", "allocated_demand", "served_demand", "spare_capacity", "shortfall")
            },
        }
    )
    f_sum = f.groupby("county_code", dropna=False, sort=False).sum(min_count=0)
    v = pd.DataFrame(
        {
            "county_code": adm["county_code"].to_numpy(),
            "demand": cap.villages["demand"].to_numpy(),
            "unmet_demand": cap.villages["unmet_demand"].to_numpy(),
        }
    )
    v_sum = v.groupby("county_code", dropna=False, sort=False).sum()
    out = f_sum.join(v_sum, how="outer").fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["expected_occupancy_share"] = (out["served_demand"] / out["capacity"]).where(out["capacity"] > 0)
    fadm = _admin(counted)
    names = {c: n for c, n in zip(fadm["county_code"], fadm["county_name"], strict=True) if pd.notna(n)}
    names.update({c: n for c, n in zip(adm["county_code"], adm["county_name"], strict=True) if pd.notna(n)})
    out = out.reset_index()
    # a county known only from its facilities (no village in the list) keeps a name, else its code
    out.insert(1, "county_name", [names.get(c, c) for c in out["county_code"]])
    return out[
        [
            "county_code",
            "county_name",
            "capacity",
            "allocated_demand",
            "served_demand",
            "spare_capacity",
            "shortfall",
            "expected_occupancy_share",
            "demand",
            "unmet_demand",
        ]
    ]


def _by_unit(
    people: pd.DataFrame, adm: pd.DataFrame, standards: Standards, prefecture_name: str
) -> pd.DataFrame:
    """Aggregate the per-village people table to townships, counties and the whole region."""
    cols = [
        "level",
        "code",
        "name",
        "parent_code",
        "service",
        "group",
        "covered_people",
        "total_people",
        "uncovered_people",
        "share",
        "target_share",
        "passed",
        "status",
        "villages_total",
        "uncovered_villages",
    ]
    if people.empty:
        return pd.DataFrame(columns=cols)
    row = people["_row"].to_numpy()
    n = len(people)
    has = people["people"].to_numpy() > 0
    nums = {
        "covered_people": people["covered_people"].to_numpy(),
        "total_people": people["people"].to_numpy(),
        "uncovered_people": people["uncovered_people"].to_numpy(),
        "villages_total": has.astype(int),
        "uncovered_villages": (has & (people["uncovered_people"].to_numpy() > 0)).astype(int),
    }
    levels = ("prefecture", "county", "township")
    codes = [
        np.full(n, "", dtype=object),
        adm["county_code"].to_numpy(dtype=object)[row],
        adm["township_code"].to_numpy(dtype=object)[row],
    ]
    long = pd.DataFrame(
        {
            "level": np.repeat(levels, n),
            "code": np.concatenate(codes),
            "service": np.tile(people["service"].to_numpy(dtype=object), 3),
            "group": np.tile(people["group"].to_numpy(dtype=object), 3),
            **{k: np.tile(v, 3) for k, v in nums.items()},
        }
    )
    out = long.groupby(["level", "code", "service", "group"], sort=False, dropna=False).sum().reset_index()
    # Names and parents of each unit, from the villages' admin columns.
    names = {("prefecture", ""): (prefecture_name, None)}
    for level, parent in (("county", None), ("township", "county_code")):
        u = adm.drop_duplicates(f"{level}_code")
        parents = u[parent].to_numpy() if parent else [""] * len(u)
        names.update(
            {
                (level, c): (nm, p)
                for c, nm, p in zip(u[f"{level}_code"], u[f"{level}_name"], parents, strict=True)
            }
        )
    keys = list(zip(out["level"], out["code"], strict=True))
    out["name"] = [names.get(k, (None, None))[0] for k in keys]
    out["parent_code"] = [names.get(k, (None, None))[1] for k in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = (out["covered_people"] / out["total_people"]).where(out["total_people"] > 0)
    targets = {s.key: s.target_share for s in standards.services}
    out["target_share"] = out["service"].map(targets).astype(float)
    passed = out["share"] >= out["target_share"] - 1e-9
    out["passed"] = passed.astype(object).where(out["target_share"].notna() & out["share"].notna(), None)
    out["status"] = [verdict(p, has_data=bool(t > 0), has_target=bool(pd.notna(ts)))
                     for p, t, ts in zip(out["passed"], out["total_people"], out["target_share"], strict=True)]
    return out[cols]


def _uncovered(
    people: pd.DataFrame, villages: pd.DataFrame, adm: pd.DataFrame, names: npt.NDArray[Any]
) -> pd.DataFrame:
    cols = [
        "service",
        "group",
        "rank",
        "id",
        "name",
        "township_name",
        "county_name",
        "people",
        "travel_time_min",
        "facility_name",
    ]
    u = people.loc[people["uncovered_people"] > 0]
    if u.empty:
        return pd.DataFrame(columns=cols)
    row = u["_row"].to_numpy()
    out = pd.DataFrame(
        {
            "service": u["service"].to_numpy(),
            "group": u["group"].to_numpy(),
            "id": u["id"].to_numpy(),
            "name": names[row],
            "township_name": adm["township_name"].to_numpy()[row],
            "county_name": adm["county_name"].to_numpy()[row],
            "people": u["uncovered_people"].to_numpy(),
        }
    )
    v = villages.set_index(["service", "id"])
    key = pd.MultiIndex.from_arrays([out["service"], out["id"]])
    out["travel_time_min"] = v["travel_time_min"].reindex(key).to_numpy()
    out["facility_name"] = v["facility_name"].reindex(key).to_numpy()
    out = out.sort_values(
        ["service", "group", "people", "travel_time_min"],
        ascending=[True, True, False, False],
        kind="stable",
        na_position="first",
    )
    out["rank"] = out.groupby(["service", "group"], sort=False).cumcount() + 1
    return out[cols].reset_index(drop=True)


def _unit_rules(
    demand: Any,
    facilities: Any,
    adm: pd.DataFrame,
    standards: Standards,
    *,
    boundaries: Any | None,
    statuses: Collection[str] | None,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rule_cols = [
        "rule",
        "rule_zh",
        "rule_en",
        "level",
        "min_count",
        "units_total",
        "units_passed",
        "units_failed",
        "share",
        "target_share",
        "passed",
        "status",
    ]
    unit_cols = ["rule", "level", "code", "name", "parent_name", "facility_count", "passed"]
    if not standards.unit_rules:
        return pd.DataFrame(columns=rule_cols), pd.DataFrame(columns=unit_cols)
    placed: dict[str, pd.Series] = {}
    fadm: pd.DataFrame | None = None
    units_by_level: dict[str, pd.DataFrame] = {}
    rows, unit_frames = [], []
    parent_of = {"village": "township_name", "township": "county_name", "county": None}
    for rule in standards.unit_rules:
        level = rule.level
        if level not in units_by_level:
            units_by_level[level] = _units(adm, level, boundaries, parent_of[level])
        units = units_by_level[level]
        if rule.name_suffix:
            units = units.loc[units["name"].astype(str).str.endswith(rule.name_suffix)]
        if level not in placed:
            if fadm is None:
                fadm = _admin(facilities)
            placed[level] = (
                _place_facilities(
                    facilities,
                    level,
                    demand=demand,
                    demand_admin=adm,
                    boundaries=boundaries,
                    notes=notes,
                    facilities_admin=fadm,
                )
                if len(facilities)
                else pd.Series(dtype=object)
            )
        counted = counted_facilities(facilities, rule.facility_types, statuses=statuses)
        keys = placed[level].reindex(counted.index)
        counts = keys.value_counts()
        u = units.copy()
        u["facility_count"] = counts.reindex(u["code"]).fillna(0).astype(int).to_numpy()
        u["passed"] = u["facility_count"] >= rule.min_count
        u["rule"], u["level"] = rule.key, level
        unit_frames.append(u[unit_cols])
        total, ok = len(u), int(u["passed"].sum())
        share = ok / total if total else math.nan
        rows.append(
            {
                "rule": rule.key,
                "rule_zh": rule.zh,
                "rule_en": rule.en,
                "level": level,
                "min_count": rule.min_count,
                "units_total": total,
                "units_passed": ok,
                "units_failed": total - ok,
                "share": share,
                "target_share": rule.target_share,
                # no units to judge: "no data", never "met"
                "passed": None if total == 0 else bool(share >= rule.target_share - 1e-9),
                "status": verdict(None if total == 0 else bool(share >= rule.target_share - 1e-9),
                                  has_data=total > 0),
            }
        )
        if total == 0:
            notes.append(f"rule '{rule.key}': no {level} units to judge")
    return pd.DataFrame(rows, columns=rule_cols), pd.concat(unit_frames, ignore_index=True)


def _units(adm: pd.DataFrame, level: str, boundaries: Any | None, parent_col: str | None) -> pd.DataFrame:
    """Units of a level: from the villages' admin columns, plus boundaries of that level."""
    d = pd.DataFrame(
        {
            "code": adm[f"{level}_code"],
            "name": adm[f"{level}_name"],
            "parent_name": adm[parent_col] if parent_col else None,
        }
    )
    d = d.loc[d["code"].notna()].drop_duplicates("code")
    if boundaries is not None and "level" in boundaries.columns:
        b = boundaries.loc[boundaries["level"] == level]
        if len(b):
            parents = {}
            if parent_col:
                up = "county" if level == "township" else "township"
                pb = boundaries.loc[boundaries["level"] == up]
                parents = dict(zip(_code_str(pb["code"]), pb["name"], strict=False))
            extra = pd.DataFrame(
                {
                    "code": _code_str(b["code"]).to_numpy(),
                    "name": b["name"].to_numpy(),
                    "parent_name": [parents.get(p) for p in _code_str(b["parent_code"])]
                    if "parent_code" in b.columns
                    else None,
                }
            )
            extra = extra.loc[extra["code"].notna() & ~extra["code"].isin(d["code"])]
            d = pd.concat([d, extra], ignore_index=True)
    return d.reset_index(drop=True)


def _one_old_one_young(
    demand: Any,
    standards: Standards,
    covered_by: Mapping[str, npt.NDArray[np.bool_]],
    adm: pd.DataFrame,
    names: npt.NDArray[Any],
) -> pd.DataFrame:
    """Villages lacking both an elderly and a child service (services with a target count)."""
    n = len(demand)
    eld = np.zeros(n, dtype=bool)
    chi = np.zeros(n, dtype=bool)
    any_e = any_c = False
    for svc in standards.services:
        if svc.target_share is None:
            continue
        kinds = {_kind(g) for g in svc.groups}
        if "elderly" in kinds:
            eld |= covered_by[svc.key]
            any_e = True
        if "child" in kinds:
            chi |= covered_by[svc.key]
            any_c = True

    def col(c: str) -> npt.NDArray[np.float64]:
        return (
            pd.to_numeric(demand[c], errors="coerce").fillna(0).to_numpy(dtype=float)
            if c in demand.columns
            else np.zeros(n)
        )

    out = pd.DataFrame(
        {
            "id": demand["id"].to_numpy(),
            "name": names,
            "township_name": adm["township_name"].to_numpy(),
            "county_name": adm["county_name"].to_numpy(),
            "elderly_covered": eld if any_e else np.full(n, None),
            "child_covered": chi if any_c else np.full(n, None),
            "lacks_both": ~eld & ~chi if (any_e and any_c) else np.zeros(n, dtype=bool),
            "elderly_people": col("elderly_60plus"),
            "child_people": col("left_behind_children"),
        }
    )
    return out.sort_values(
        ["lacks_both", "elderly_people"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
