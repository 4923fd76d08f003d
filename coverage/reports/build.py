"""Building a :class:`~coverage.reports.ProposalReport`: from a proposal computed elsewhere (the app), by
planning one on a travel-time engine (nearest facility, OD tables, :func:`coverage.siting.propose_sites`), or
for sites a planner accepted.

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
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.reports.proposal import ProposalReport

__all__ = ["plan_proposal", "report_for_sites", "report_from_proposal", "solver_note"]

logger = logging.getLogger(__name__)


_STATUS = {
    "optimal": ("已求得最优解", "optimal solution found"),
    "time_limit": ("达到求解时间上限（未证明最优）", "time limit reached (not proved optimal)"),
    "feasible": ("可行解（未证明最优）", "feasible solution (not proved optimal)"),
}
_NOTES = {
    "gap": ("与上界差距 {gap:.2f}%", "gap to the bound {gap:.2f}%"),
    "none": ("无需新增站点：现有设施已达到目标，或新增站点不能再增加覆盖",
             "no new site needed: the existing facilities meet the target, or no new site adds coverage"),
    "total": ("{name}（总覆盖{value:,.0f}人）", "{name} (covers {value:,.0f} people in all)"),
    "less": ("{name}（替代本站则少覆盖{n:,.0f}人）", "{name} (in its place: {n:,.0f} fewer people covered)"),
    "same": ("{name}（替代本站覆盖相同）", "{name} (in its place: the same coverage)"),
    "more": ("{name}（替代本站覆盖多{n:,.0f}人）", "{name} (in its place: {n:,.0f} more people covered)"),
    "sep": ("；", "; "),
}


def _note(key: str, lang: str, **fields: Any) -> str:
    zh, en = _NOTES[key]
    return (zh if lang == "zh" else en).format(**fields)


def _alternatives_text(alternatives: Any, names: dict[str, str], lang: str = "zh") -> str:
    """The next-best candidates of a site in words: name and the coverage with it in the site's place."""
    if not isinstance(alternatives, (list, tuple)):
        return ""
    parts = []
    for alt in alternatives:
        if not isinstance(alt, dict):
            continue
        aid = str(alt.get("id", ""))
        value, delta = alt.get("value"), alt.get("vs_chosen")
        name = names.get(aid, aid)
        if delta is None or pd.isna(delta):
            parts.append(name if value is None or pd.isna(value) else _note("total", lang, name=name,
                                                                              value=float(value)))
        elif float(delta) < 0:
            parts.append(_note("less", lang, name=name, n=-float(delta)))
        elif float(delta) == 0:
            parts.append(_note("same", lang, name=name))
        else:
            parts.append(_note("more", lang, name=name, n=float(delta)))
    return _note("sep", lang).join(parts)


def solver_note(status: str, gap: float | None, n_sites: int, lang: str = "zh") -> str:
    """The solver's status in words for the report; the gap when not proved optimal.

    The solver's own English message stays in the log and in ``SitingResult.message``.
    """
    words = _STATUS.get(status)
    status_text = (words[0] if lang == "zh" else words[1]) if words else status
    gap_text = (_note("gap", lang, gap=100 * float(gap)) if status in ("time_limit", "feasible")
                and gap is not None and gap == gap else "")
    none_text = _note("none", lang) if not n_sites else ""
    return _note("sep", lang).join(x for x in (status_text, gap_text, none_text) if x)


def report_from_proposal(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    proposal: Any,
    *,
    covered_before: Any,
    od_candidates: pd.DataFrame,
    group: str,
    threshold_min: float,
    candidates: pd.DataFrame | None = None,
    **options: Any,
) -> ProposalReport:
    """Wrap a :class:`coverage.siting.Proposal` (computed elsewhere) as a report.

    Parameters
    ----------
    demand
        The villages the proposal was computed on.
    facilities
        The existing facilities that count for the service.
    proposal
        A :class:`coverage.siting.Proposal` (``sites``, ``explanation``, ``result``).
    covered_before
        Per village, covered by existing facilities (bool array aligned with ``demand``).
    od_candidates
        The long OD table demand -> candidates used for the proposal
        (``from_id, to_id, travel_time_min``); villages within ``threshold_min`` of
        a proposed site become covered.
    group
        The population group of the report.
    threshold_min
        Travel-time threshold, minutes.
    candidates
        The candidate table, to name the alternatives (optional).
    **options
        Further :class:`ProposalReport` fields (``service_label``, ``mode``,
        ``facility_types``, ``region_name``, ``boundaries``, ``service_areas``,
        ``travel_time_min``, ``simulated``, ``date``, ``lang``).

    Returns
    -------
    ProposalReport
    """
    sites = proposal.sites
    selected = [str(x) for x in (sites["id"] if "id" in sites.columns else [])]
    od = od_candidates
    within = od.loc[
        od["to_id"].astype(str).isin(selected) & (od["travel_time_min"] <= threshold_min), "from_id"
    ]
    after = (
        np.asarray(covered_before, dtype=bool) | demand["id"].astype(str).isin(within.astype(str)).to_numpy()
    )
    names = {}
    if candidates is not None and {"id", "name"} <= set(candidates.columns):
        names = dict(zip(candidates["id"].astype(str), candidates["name"].astype(str), strict=True))
    gain_col = f"new_{group}"
    table = pd.DataFrame(sites).copy()
    table["new_people"] = table[gain_col] if gain_col in table.columns else np.nan
    table["n_new_villages"] = table["n_new_points"] if "n_new_points" in table.columns else np.nan
    for lang in ("zh", "en"):
        table[f"alternatives_{lang}"] = [
            _alternatives_text(a, names, lang) for a in table.get("alternatives", [None] * len(table))
        ]
    geo = (
        gpd.GeoDataFrame(table, geometry="geometry", crs=getattr(sites, "crs", None) or demand.crs)
        if "geometry" in table.columns
        else gpd.GeoDataFrame(table, geometry=[], crs=demand.crs)
    )
    result = getattr(proposal, "result", None)
    status = str(getattr(result, "status", "") or "")
    note = solver_note(status, getattr(result, "gap", None), len(selected), options.get("lang", "zh"))
    return ProposalReport(
        demand=demand,
        facilities=facilities,
        sites=geo,
        covered_before=covered_before,
        covered_after=after,
        group=group,
        threshold_min=float(threshold_min),
        solver_note=options.pop("solver_note", note),
        **options,
    )


def plan_proposal(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    engine: Any,
    facility_types: Sequence[str],
    group: str,
    threshold_min: float,
    model: str = "mclp",
    p: int | None = 5,
    target_share: float | None = None,
    facility_type: str | None = None,
    service_label: str = "",
    region_name: str = "",
    boundaries: gpd.GeoDataFrame | None = None,
    with_service_areas: bool = False,
    simulated: bool = False,
    time_limit_s: float = 60.0,
    forced_in: Sequence[str] = (),
    lang: str = "zh",
) -> ProposalReport:
    """Compute coverage and a siting proposal for one service, ready to report.

    Travel times come from ``engine`` (a :class:`coverage.traveltime.TravelTimeEngine`
    of the service's mode): each village's nearest existing facility of
    ``facility_types``, the OD tables to those facilities and to the candidate
    sites within ``threshold_min``; then :func:`coverage.siting.propose_sites`.

    Parameters
    ----------
    demand, facilities, candidates
        Canonical tables (:mod:`coverage.model`).
    engine
        Travel-time engine of the service's travel mode.
    facility_types
        Facility types that count for the service (existing ones stay open).
    group
        Population group to serve.
    threshold_min
        Travel-time threshold, minutes.
    model, p, target_share
        As :func:`coverage.siting.propose_sites`: "mclp" covers the most people
        with ``p`` new sites, "target" the fewest sites reaching ``target_share``.
    facility_type
        The type the new sites would be (candidates must be able to host it);
        default the first of ``facility_types``.
    service_label, region_name, boundaries, simulated
        For the maps and tables.
    with_service_areas
        Also compute the existing facilities' service areas for the coverage map
        (``engine.service_areas``; can take a minute on a prefecture's walking network).
    time_limit_s
        Solver time limit, seconds.
    forced_in
        Candidate ids that must be among the sites (they count in ``p``).
    lang
        Language of the report's tables, workbook and PDF: "zh" (default) or "en";
        ``service_label`` is given in it.

    Returns
    -------
    ProposalReport

    Raises
    ------
    InputError, MissingColumnError
        Bad tables or options.
    CRSError
        A layer without CRS.
    coverage.errors.InfeasibleError
        ``model="target"`` and the target cannot be met with the candidates.
    """
    from coverage.siting import propose_for_service

    for what, layer in (("demand", demand), ("facilities", facilities), ("candidates", candidates)):
        if getattr(layer, "crs", None) is None:
            raise CRSError(
                f"{what} has no coordinate reference system: set one, e.g. gdf.set_crs('EPSG:4326')"
            )
    if "type" not in facilities.columns:
        raise MissingColumnError(
            "facilities: column 'type' missing; load it with coverage.inputs.load_facilities"
        )
    types = list(facility_types)
    if not types:
        raise InputError("facility_types: give at least one facility type that counts for the service")
    counted = facilities.loc[facilities["type"].isin(types)]
    mode = getattr(getattr(engine, "mode", None), "key", None) or str(getattr(engine, "mode", "walk"))
    logger.info(
        "%d villages, %d facilities of %s, %d candidates", len(demand), len(counted), types, len(candidates)
    )
    plan = propose_for_service(
        demand,
        facilities,
        candidates,
        engine=engine,
        facility_types=types,
        groups=[group],
        threshold_min=threshold_min,
        model=model,
        p=p,
        target_share=target_share,
        facility_type=facility_type or types[0],
        time_limit_s=time_limit_s,
        forced_in=forced_in,
    )
    proposal, od_candidates = plan.proposal, plan.od_candidates
    times = plan.time_before_min.to_numpy(dtype=float)
    before = np.nan_to_num(times, nan=np.inf) <= threshold_min
    areas = None
    if with_service_areas and len(counted) and hasattr(engine, "service_areas"):
        areas = engine.service_areas(counted, thresholds_min=[threshold_min])
    return report_from_proposal(
        demand,
        counted,
        proposal,
        covered_before=before,
        od_candidates=od_candidates,
        group=group,
        threshold_min=threshold_min,
        candidates=candidates,
        service_label=service_label,
        mode=mode,
        facility_types=tuple(types),
        region_name=region_name,
        boundaries=boundaries,
        service_areas=areas,
        travel_time_min=times,
        simulated=simulated,
        lang=lang,
    )


def report_for_sites(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    sites: Sequence[Mapping[str, Any]],
    *,
    engine: Any,
    facility_types: Sequence[str],
    group: str,
    threshold_min: float,
    **options: Any,
) -> ProposalReport:
    """A report of sites chosen by the planner (a scenario's accepted sites) instead of a new proposal.

    Each site is explained as a proposed one would be (people and villages it brings
    in, travel times before and after), in order of its contribution; the maps draw
    them numbered.

    Parameters
    ----------
    demand, facilities
        Canonical tables; the facilities do not include the sites.
    sites
        Accepted sites as stored in a scenario (``id, name, type, lon, lat``, optional
        ``kind``); only those of ``facility_types`` are reported.
    engine, facility_types, group, threshold_min
        As :func:`plan_proposal`.
    **options
        Further :func:`plan_proposal` options (``service_label``, ``region_name``,
        ``boundaries``, ``simulated``, ``with_service_areas``, ``lang``).

    Raises
    ------
    InputError
        No site of the service's facility types.
    """
    from coverage.model import CANDIDATE_COLUMNS, HOST_SEPARATOR

    types = list(facility_types)
    recs = [dict(s) for s in sites if str(s.get("type")) in types]
    if not recs:
        raise InputError(
            f"none of the {len(sites)} accepted site(s) is of a type this service counts ({', '.join(types)}) "
            "/ 已采纳站点中没有本服务计入的设施类型"
        )
    table = pd.DataFrame({
        "id": [str(s["id"]) for s in recs],
        "name": [str(s.get("name") or s["id"]) for s in recs],
        "kind": [str(s.get("kind") or "open_land") for s in recs],
        "can_host": [HOST_SEPARATOR.join(types) for _ in recs],
        "cost_10k_yuan": [float(s["cost_10k_yuan"]) if s.get("cost_10k_yuan") is not None else np.nan
                          for s in recs],
        "capacity": [float(s["capacity"]) if s.get("capacity") is not None else np.nan for s in recs],
    })
    for col in CANDIDATE_COLUMNS:
        if col not in table.columns and col != "geometry":
            table[col] = None
    candidates = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy([float(s["lon"]) for s in recs], [float(s["lat"]) for s in recs]),
        crs="EPSG:4326",
    )[list(CANDIDATE_COLUMNS)]
    return plan_proposal(
        demand, facilities, candidates, engine=engine, facility_types=types, group=group,
        threshold_min=threshold_min, model="mclp", p=len(recs), facility_type=str(recs[0]["type"]),
        forced_in=list(table["id"]), **options,
    )
