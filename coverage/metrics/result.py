"""The answer of a coverage analysis: :class:`CoverageResult` and its views and exports.

Every figure is a plain DataFrame with units in the column names (``*_people``,
``*_min``, ``share`` 0..1); the views select one service, the exports write JSON
or an Excel workbook with Chinese or English headers (:mod:`coverage.metrics.labels`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage.errors import InputError
from coverage.metrics.accessibility import ServiceTravel
from coverage.metrics.capacity import CapacityResult
from coverage.metrics.labels import header, verdict_label
from coverage.metrics.standards import VILLAGES, Standards

__all__ = ["CoverageResult"]


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
    funeral : funeral demand by county (:data:`coverage.metrics.funeral.FUNERAL_COLUMNS`: county_code,
        county_name, population, deaths_per_year, cemetery_plots, cemetery_years, ash_places,
        ash_years, facilities_without_capacity, short), the region last (county_code "all");
        None when the standards have no ``funeral_demand`` or the villages no ``population``.
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
    demand: pd.DataFrame | None = None
    prefecture_name: str = ""
    funeral: pd.DataFrame | None = None

    # ---------------------------------------------------------------- views

    def service_summary(self, service: str) -> pd.DataFrame:
        """Rows of :attr:`summary` for one service."""
        self.standards.service(service)
        return self.summary.loc[self.summary["service"] == service].reset_index(drop=True)

    def village_table(self, service: str) -> pd.DataFrame:
        """One service per village, with geometry: for maps and siting.

        Returns
        -------
        GeoDataFrame (or DataFrame if the demand had no geometry)
            The demand table's columns plus ``travel_time_min``, ``facility_id``,
            ``facility_name``, ``facility_type``, ``covered`` and, per group of the
            service, ``uncovered_<group>`` (people).

        Raises
        ------
        InputError
            The result was built without its demand table.
        """
        svc = self.standards.service(service)
        if self.demand is None:
            raise InputError("this coverage result has no demand table; run coverage.metrics.analyze")
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
            "villages": len(self.demand) if self.demand is not None else None,
            "services": services,
            "unit_rules": rules,
            "capacity": {
                k: {kk: num(vv) for kk, vv in c.to_dict().items()} for k, c in self.capacity.items()
            },
            "one_old_one_young": {
                "villages_lacking_both": len(lack),
                "elderly_people_in_them": num(float(lack["elderly_people"].sum())) if len(lack) else 0,
                "children_in_them": num(float(lack["child_people"].sum())) if len(lack) else 0,
            },
            "funeral_demand": None if self.funeral is None else self._funeral_dict(num),
            "notes": list(self.notes),
        }

    def _funeral_dict(self, num: Any) -> dict[str, Any]:
        """The funeral-demand part of :meth:`to_dict`: the rate, then one entry per county and the region."""
        fd = self.standards.funeral
        rows = [{k: num(v) if not isinstance(v, (bool, np.bool_)) else bool(v) for k, v in r.items()}
                for r in self.funeral.to_dict("records")] if self.funeral is not None else []
        return {
            "death_rate_per_1000": num(fd.death_rate_per_1000) if fd is not None else None,
            "min_years": num(fd.min_years) if fd is not None else None,
            "counties": rows[:-1],
            "total": rows[-1] if rows else None,
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
        if self.funeral is not None:
            out["funeral_demand"] = self.funeral
        for k, c in self.capacity.items():
            out[f"capacity_facilities_{k}"] = c.facilities
            out[f"capacity_villages_{k}"] = c.villages
            if c.by_county is not None:
                out[f"capacity_counties_{k}"] = c.by_county
        return out

    def to_excel(self, path: str | Path, *, lang: str = "zh", simulated: bool = False, source: str = "") -> Path:
        """Write the result tables to a workbook, one sheet each, styled as a bureau's table.

        Headers and vocabulary in ``lang`` (each header once: labels, not keys; 是/否 for
        true/false), shares as percentages, minutes with one decimal, counts with thousands
        separators, header row frozen, columns sized; a first sheet 说明 (About) gives the
        data source, the standards, the date and, for demo data, the 示例数据（模拟） mark.

        Parameters
        ----------
        path
            Output ``.xlsx``.
        lang
            "zh" or "en" headers and sheet names.
        simulated
            The data are the simulated demo data: the 说明 sheet says so.
        source
            Data source line for the 说明 sheet (default: the region name).

        Returns
        -------
        Path
        """
        from openpyxl import Workbook

        from coverage.reports.excel import MINUTES_COLUMNS, PERCENT_COLUMNS, about_sheet, table_sheet
        from coverage.views import translate_table

        path = Path(path)
        i = 0 if lang == "zh" else 1
        names = {"summary": ("汇总",), "bands": ("时间分布",), "by_unit": ("分区统计",), "uncovered": ("未覆盖村",),
                 "unit_rules": ("单元指标",), "unit_rule_units": ("单元明细",), "one_old_one_young": ("一老一小",),
                 "villages": ("村明细",), "funeral_demand": ("殡葬需求",)}  # English sheets keep the table names
        kinds = {"facilities": ("容量-设施-",), "villages": ("容量-村-",), "counties": ("容量-县-",)}
        wb = Workbook()
        wb.remove(wb.active)
        services = {s.key: s.label(lang) for s in self.standards.services}
        rules = {r.key: (r.zh if lang == "zh" else r.en) for r in self.standards.unit_rules}
        standards = self.standards.name_zh if lang == "zh" else self.standards.name_en
        about_sheet(wb, source=source or self.prefecture_name or "—", simulated=simulated, lang=lang,
                    rows=[(("标准", "Standards")[i], (("{}（{}）", "{} ({})")[i].format(
                        standards, Path(self.standards.source).name) if self.standards.source else standards))])
        for name, table in self.tables().items():
            if name.startswith("capacity_"):
                kind, key = name[len("capacity_") :].split("_", 1)
                sheet = kinds[kind][0] + key if lang == "zh" else name
            else:
                sheet = names.get(name, (name, name))[0] if lang == "zh" else name
            t = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
            for col, names_of in (("service", services), ("rule", rules)):  # keys without a label column
                if col in t.columns and f"{col}_{lang}" not in t.columns:
                    t[col] = t[col].map(lambda k, n=names_of: n.get(k, k) if isinstance(k, str) else k)
            if name == "funeral_demand":  # the region row: a word, not the key "all"
                t["county_code"] = t["county_code"].replace("all", ("合计", "Total")[i])
            if "status" in t.columns and not name.startswith("capacity_"):
                t["status"] = t["status"].map(lambda k: verdict_label(k, lang) if isinstance(k, str) else k)
            shown = translate_table(t, lang=lang)
            formats = {header(c, lang): "0.0%" for c in PERCENT_COLUMNS}
            formats |= {header(c, lang): "0.0" for c in (*MINUTES_COLUMNS, "cemetery_years", "ash_years")}
            formats |= {header(c, lang): "#,##0" for c in ("deaths_per_year", "cemetery_plots", "ash_places")}
            table_sheet(wb, sheet, shown, formats=formats, freeze="A2", lang=lang)
        wb.properties.creator = "coverage-planner"
        wb.save(path)
        return path


# ====================================================================== analysis

