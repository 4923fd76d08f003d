"""Coverage against the standards: :func:`analyze`, per service, group and administrative unit.

:func:`analyze` takes the canonical demand and facility tables, the standards
and one travel-time engine per mode (or travel tables computed earlier) and
returns a :class:`CoverageResult`: plain DataFrames with units in the column
names, ready for the app, printed maps, Excel reports and siting.

A village is *covered* by a service when its nearest counted facility is within
the service's ``threshold_min`` (inclusive).  People of a group count as covered
when their village is.  Travel times are population-weighted for the median and
the 90th percentile; a percentile that falls among villages that reach no
facility at all is NaN (unreachable).

The stages live where their names say: travel times in
:mod:`coverage.metrics.accessibility`, capacity in :mod:`coverage.metrics.capacity`,
administrative units in :mod:`coverage.metrics.units`, per-unit rules in
:mod:`coverage.metrics.rules`, the result and its exports in
:mod:`coverage.metrics.result`, labels and verdicts in :mod:`coverage.metrics.labels`.

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

import logging
import math
from collections.abc import Collection, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import InputError, MissingColumnError
from coverage.metrics.accessibility import (
    Engines,
    ServiceTravel,
    counted_facilities,
    fingerprint,
    service_travel,
)
from coverage.metrics.capacity import CapacityResult, capacity_analysis
from coverage.metrics.labels import METRIC_LABELS, VERDICTS, verdict, verdict_label
from coverage.metrics.result import CoverageResult
from coverage.metrics.rules import one_old_one_young, unit_rule_results
from coverage.metrics.standards import (
    VILLAGES,
    Service,
    Standards,
    default_standards,
    group_label,
)
from coverage.metrics.units import admin_keys, by_unit, capacity_by_county, uncovered_villages_table
from coverage.progress import Progress
from coverage.taxonomy import facility_status, facility_types_scope

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



def _resolve_travel(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
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


def analyze(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    standards: Standards | None = None,
    engines: Engines | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    travel: Mapping[str, ServiceTravel] | None = None,
    statuses: Collection[str] | None = None,
    nearest_cutoff_min: float | None = None,
    spare_below: float = 0.5,
    prefecture_name: str | None = None,
    with_od: bool = False,
    progress: Progress | None = None,
) -> CoverageResult:
    """Coverage of demand by facilities against the standards.

    Parameters
    ----------
    demand
        Canonical demand table, usually a GeoDataFrame (villages; unique ``id``, population columns,
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
        ``progress(fraction, message)`` (:class:`coverage.progress.Progress`) after
        each service's travel times; the message names the service.

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
    # the vocabulary follows the standards passed in: their own facility types are known during the
    # analysis (labels, counts), whatever this thread or process registered
    with facility_types_scope(standards.facility_types, source=standards.source or "standards"):
        return _analyze(demand, facilities, standards=standards, engines=engines, boundaries=boundaries,
                        travel=travel, statuses=statuses, nearest_cutoff_min=nearest_cutoff_min,
                        spare_below=spare_below, prefecture_name=prefecture_name, with_od=with_od,
                        progress=progress)


def _analyze(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    standards: Standards,
    engines: Engines | None,
    boundaries: gpd.GeoDataFrame | None,
    travel: Mapping[str, ServiceTravel] | None,
    statuses: Collection[str] | None,
    nearest_cutoff_min: float | None,
    spare_below: float,
    prefecture_name: str | None,
    with_od: bool,
    progress: Progress | None,
) -> CoverageResult:
    """:func:`analyze` inside the standards' facility-type scope."""
    statuses = parse_statuses(statuses)
    if "id" not in demand.columns:
        raise MissingColumnError("demand table: no 'id' column; load it with coverage.inputs.load_demand")
    if demand["id"].duplicated().any():
        dup = demand["id"][demand["id"].duplicated()].iloc[0]
        raise InputError(f"demand table: id {dup!r} occurs more than once; ids must be unique")
    notes: list[str] = []
    ids = demand["id"].to_numpy()
    n = len(demand)
    adm = admin_keys(demand, keep_missing_names=True)
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
            progress((k + 1) / len(standards.services), f"travel times {k + 1}/{len(standards.services)}: {svc.key}")
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
            summary_rows.append(_group_summary(svc, g, people, covered, t, n_fac))
            band_rows.extend(_band_rows(svc, g, people, t))
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
            capacity[svc.key] = _service_capacity(demand, facilities, svc, st, adm=adm, names=names,
                                                  statuses=statuses, spare_below=spare_below)

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

    per_unit = by_unit(people_long, adm, standards, prefecture_name)
    uncovered = uncovered_villages_table(people_long, villages, adm, names)
    rules, rule_units = unit_rule_results(
        demand, facilities, adm, standards, boundaries=boundaries, statuses=statuses, notes=notes
    )
    oooy = one_old_one_young(demand, standards, covered_by, adm, names)
    funeral = _funeral_table(demand, facilities, standards, statuses=statuses, prefecture_name=prefecture_name,
                             notes=notes)
    people_long = people_long.drop(columns="_row")
    for note in notes:
        logger.info(note)
    return CoverageResult(
        standards=standards,
        summary=summary,
        bands=bands,
        by_unit=per_unit,
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
        funeral=funeral,
    )


def _funeral_table(demand: pd.DataFrame, facilities: pd.DataFrame, standards: Standards, *,
                   statuses: Collection[str] | None, prefecture_name: str, notes: list[str]) -> pd.DataFrame | None:
    """Funeral demand by county (:func:`coverage.metrics.funeral.funeral_demand`) when the standards ask for it.

    None when the standards have no ``funeral_demand`` section, or (with a note) when the villages have
    no resident population to estimate deaths from.  The region row is named after the prefecture.
    """
    from coverage.metrics.funeral import funeral_demand

    if standards.funeral is None:
        return None
    if "population" not in demand.columns:
        notes.append("殡葬需求未估算：村庄名单没有常住人口（population）列 / funeral demand not estimated: "
                     "the villages have no resident population column")
        return None
    table = funeral_demand(demand, facilities, standards.funeral, statuses=statuses)
    table.loc[table["county_code"] == "all", "county_name"] = prefecture_name
    return table




def _group_summary(svc: Service, group: str, people: npt.NDArray[np.float64], covered: npt.NDArray[np.bool_],
                   travel_time_min: npt.NDArray[np.float64], n_facilities: int) -> dict[str, Any]:
    """The summary row of one service and group: covered people, share, verdict, gaps, travel times.

    ``gap_people`` is the people still to cover to meet the target (NaN when
    there is nothing to judge); ``gap_villages`` the fewest uncovered villages,
    largest first, that would close it.
    """
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
    return {
        "service": svc.key,
        "service_zh": svc.zh,
        "service_en": svc.en,
        "group": group,
        "group_zh": group_label(group, "zh"),
        "group_en": group_label(group, "en"),
        "mode": svc.mode,
        "threshold_min": svc.threshold_min,
        "facilities": n_facilities,
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
        "median_travel_time_min": weighted_quantile(travel_time_min, people, 0.5),
        "p90_travel_time_min": weighted_quantile(travel_time_min, people, 0.9),
    }


def _band_rows(svc: Service, group: str, people: npt.NDArray[np.float64],
               travel_time_min: npt.NDArray[np.float64]) -> list[dict[str, Any]]:
    """People within each of the service's bands (and its threshold), minutes."""
    total = float(people.sum())
    rows = []
    for b in sorted({*svc.bands_min, svc.threshold_min}):
        cb = float(people[np.nan_to_num(travel_time_min, nan=np.inf) <= b + 1e-9].sum())
        rows.append(
            {
                "service": svc.key,
                "group": group,
                "threshold_min": b,
                "covered_people": cb,
                "total_people": total,
                "share": cb / total if total > 0 else math.nan,
            }
        )
    return rows


def _service_capacity(demand: pd.DataFrame, facilities: pd.DataFrame, svc: Service, st: ServiceTravel, *,
                      adm: pd.DataFrame, names: npt.NDArray[Any], statuses: Collection[str] | None,
                      spare_below: float) -> CapacityResult:
    """Capacity analysis of one service: the groups' people times the uptake share, against capacities."""
    n = len(demand)
    ids = demand["id"].to_numpy()
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
    cap.by_county = capacity_by_county(cap, counted, adm)
    return cap
