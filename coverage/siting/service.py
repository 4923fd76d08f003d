"""Siting for one service, from the canonical tables and a travel-time engine.

:func:`propose_for_service` is the one place where a service's facilities,
candidate sites and travel times are turned into the OD tables that
:func:`coverage.siting.propose_sites` solves on.  The app, the report command
and the notebook all call it, so they agree on which facilities count, which
candidates are eligible, and how each model weighs the population groups.

Example
-------
>>> from coverage.demo import load_demo
>>> from coverage.traveltime import TravelTimeEngine
>>> region = load_demo("yuxi")
>>> engine = TravelTimeEngine(region.graph(), mode="walk")
>>> plan = propose_for_service(region.demand, region.facilities, region.candidates, engine=engine,
...                            facility_types=["community_daycare", "rural_mutual_aid"],
...                            groups=["elderly_60plus"], threshold_min=15, model="mclp", p=5)
>>> len(plan.proposal.sites)
5
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage.errors import InputError
from coverage.metrics.accessibility import TravelEngine
from coverage.progress import Progress
from coverage.siting.propose import Proposal, propose_sites
from coverage.taxonomy import can_host

__all__ = ["PMEDIAN_CUTOFF_FACTOR", "ServicePlan", "propose_for_service"]

logger = logging.getLogger(__name__)

#: p-median needs every demand point assigned to some site: its OD tables reach
#: this many times the service threshold (demand beyond that is set aside and listed).
PMEDIAN_CUTOFF_FACTOR = 40.0


@dataclass(frozen=True)
class ServicePlan:
    """A siting proposal for one service, with the travel tables it was built on.

    Attributes
    ----------
    proposal : Proposal
        The solved model, the proposed sites with their reasons.
    groups : tuple of str
        The population groups the model weighed.
    od_existing, od_candidates : DataFrame
        ``from_id, to_id, travel_time_min`` from villages to the counted existing
        facilities and to the eligible candidates, within ``cutoff_min`` (for "pmedian":
        each village's nearest existing facility only, and the candidates nearer than it).
    candidates : DataFrame
        The eligible candidate sites (after the kind and facility-type filters).
    time_before_min : Series
        Each village's travel time to its nearest counted existing facility
        (index = demand id; NaN when none within ``cutoff_min``).
    cutoff_min : float
        Travel-time cutoff of the OD tables, minutes.
    set_aside_ids : tuple of str
        Demand points left out of a p-median (no site within ``cutoff_min``).
    """

    proposal: Proposal
    groups: tuple[str, ...]
    od_existing: pd.DataFrame
    od_candidates: pd.DataFrame
    candidates: pd.DataFrame
    time_before_min: pd.Series
    cutoff_min: float
    set_aside_ids: tuple[str, ...] = ()


def _model_groups(model: str, groups: Sequence[str], demand: pd.DataFrame) -> tuple[str, ...]:
    usable = tuple(g for g in groups if g in demand.columns)
    if not usable:
        raise InputError(
            f"none of the groups {list(groups)} is a column of the demand table; "
            "load the villages with coverage.inputs.load_demand"
        )
    if model == "target":
        return usable
    # mclp / lscp / pmedian add the groups' weights together, and the bureaus' groups are
    # nested (60+ contains 80+ and the left-behind elderly): weigh the first, the service's main group.
    return usable[:1]


def propose_for_service(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    engine: TravelEngine,
    facility_types: Sequence[str],
    groups: Sequence[str],
    threshold_min: float,
    model: str = "target",
    p: int | None = None,
    target_share: float | None = None,
    candidate_kinds: Iterable[str] | None = None,
    facility_type: str | None = None,
    forced_in: Iterable[object] = (),
    forced_out: Iterable[object] = (),
    time_limit_s: float = 60.0,
    progress: Progress | None = None,
    group_weights: Mapping[str, float] | None = None,
    budget: float | None = None,
    objective: str = "count",
    unit_rules: Mapping[str, float] | None = None,
    capacitated: bool = False,
) -> ServicePlan:
    """Propose new sites for one service: travel tables from ``engine``, then :func:`propose_sites`.

    Parameters
    ----------
    demand, facilities, candidates
        Canonical tables (:mod:`coverage.model`).  Facilities of ``facility_types``
        (any status, so accepted sites count) stay open.
    engine
        A :class:`coverage.traveltime.TravelTimeEngine` of the service's travel mode.
    facility_types
        Facility types that count for the service.
    groups
        Population groups of the service.  "target" holds each group to
        ``target_share``; "mclp", "lscp" and "pmedian" weigh only the first
        (the groups are nested: counting 60+ and 80+ together counts people twice).
    threshold_min
        Travel-time threshold, minutes.
    model
        "target", "mclp", "lscp" or "pmedian" (see :func:`coverage.siting.solve`).
    p, target_share
        Number of new sites (mclp, pmedian) or share to reach (target).
    candidate_kinds
        Keep only candidates of these kinds (``coverage.taxonomy.CANDIDATE_KINDS``); None keeps all.
    facility_type
        The type the new sites would be; candidates must be able to host it.
        Default: the first of ``facility_types``.
    forced_in, forced_out, time_limit_s, progress
        As :func:`coverage.siting.propose_sites`.
    group_weights, budget, objective, unit_rules, capacitated
        As :func:`coverage.siting.propose_sites`.  With ``group_weights`` every group
        named in it is weighed by every model (老幼共托: elderly and children together).

    Returns
    -------
    ServicePlan

    Raises
    ------
    InputError
        No eligible candidate, unknown groups, or bad options (from the solver too).
    coverage.errors.InfeasibleError
        "target" cannot be met even with every eligible candidate (the message gives the best share).
    """
    types = list(facility_types)
    if not types:
        raise InputError("facility_types: give at least one facility type that counts for the service")
    build_type = facility_type or types[0]
    model_groups = _model_groups(model, groups, demand)
    if group_weights:
        model_groups = tuple(g for g in groups if g in demand.columns and g in group_weights) or model_groups
    elif model == "target" and len(model_groups) > 1:
        # each group is held to its share; the people counted (gains, alternatives, the tie-break among
        # the fewest-site answers) are the first, main group's, as the nested groups would count twice
        group_weights = {g: 1.0 if k == 0 else 0.0 for k, g in enumerate(model_groups)}

    eligible = candidates
    if candidate_kinds is not None:
        kinds = list(candidate_kinds)
        eligible = eligible.loc[eligible["kind"].isin(kinds)]
    if "can_host" in eligible.columns and len(eligible):
        eligible = eligible.loc[eligible["can_host"].map(lambda v: can_host(v, build_type)).to_numpy(dtype=bool)]
    if not len(eligible):
        raise InputError(
            f"no candidate site can host '{build_type}'"
            + (f" among the kinds {sorted(set(candidate_kinds or []))}" if candidate_kinds is not None else "")
            + ": add candidates, widen the kinds, or choose another facility type"
        )

    cutoff_min = float(threshold_min) * (PMEDIAN_CUTOFF_FACTOR if model == "pmedian" else 1.0)
    counted = facilities.loc[facilities["type"].isin(types)]
    if len(counted):
        nearest = engine.nearest(demand, counted, cutoff_min=cutoff_min)
        time_before = nearest["travel_time_min"].reindex(demand["id"].to_numpy())
    else:
        nearest = None
        time_before = pd.Series(np.nan, index=demand["id"].to_numpy(), name="travel_time_min")
    if model == "pmedian":
        # Existing facilities stay open, so a village is never assigned farther than its nearest
        # existing one: that pair is the only existing pair needed, and candidate pairs at least as
        # far can never help.  This keeps a prefecture-wide p-median small.
        if nearest is not None:
            near = nearest.dropna(subset=["travel_time_min"])
            od_existing = pd.DataFrame({"from_id": near.index.to_numpy(), "to_id": near["to_id"].to_numpy(),
                                        "travel_time_min": near["travel_time_min"].to_numpy(dtype=float)})
        else:
            od_existing = pd.DataFrame({"from_id": [], "to_id": [], "travel_time_min": []})
        od_candidates = engine.od(demand, eligible, cutoff_min=cutoff_min)
        bound = od_candidates["from_id"].map(time_before).to_numpy(dtype=float)
        od_candidates = od_candidates.loc[~(od_candidates["travel_time_min"].to_numpy() >= bound)]
        od_candidates = od_candidates.reset_index(drop=True)
    else:
        od_existing = (engine.od(demand, counted, cutoff_min=cutoff_min) if len(counted)
                       else pd.DataFrame({"from_id": [], "to_id": [], "travel_time_min": []}))
        od_candidates = engine.od(demand, eligible, cutoff_min=cutoff_min)

    solve_demand = demand
    set_aside: tuple[str, ...] = ()
    if model == "pmedian":
        reached = set(od_candidates["from_id"].astype(str)) | set(od_existing["from_id"].astype(str))
        ids = demand["id"].astype(str)
        out = ~ids.isin(reached)
        if out.any():
            set_aside = tuple(ids[out])
            logger.warning("p-median: %d demand points have no site within %.0f min and are set aside",
                           len(set_aside), cutoff_min)
            solve_demand = demand.loc[~out.to_numpy()]

    proposal = propose_sites(
        solve_demand, od_existing if len(od_existing) else None, od_candidates, eligible,
        groups=list(model_groups), threshold_min=float(threshold_min), model=model, p=p,
        target_share=target_share, facility_type=build_type, forced_in=forced_in, forced_out=forced_out,
        time_limit_s=time_limit_s, progress=progress, group_weights=group_weights, budget=budget,
        objective=objective, unit_rules=unit_rules, capacitated=capacitated,
    )
    return ServicePlan(proposal=proposal, groups=model_groups, od_existing=od_existing,
                       od_candidates=od_candidates, candidates=eligible, time_before_min=time_before,
                       cutoff_min=cutoff_min, set_aside_ids=set_aside)
