"""Siting proposals: where to add sites to meet a coverage target, exactly where it can be, explained.

Build a :class:`SitingProblem` from a long OD table (:func:`build_problem`),
solve it with HiGHS (:func:`solve`: "lscp", "target", "mclp", "pmedian", with
capacities, several groups, fixed existing sites, forced candidates), explain
each proposed site (:func:`explain_sites`), or do all three on the canonical
tables of :mod:`coverage.model` with :func:`propose_sites`; for one service straight from a
travel-time engine with :func:`propose_for_service`.
"""

from __future__ import annotations

from coverage.siting.explain import explain_sites
from coverage.siting.problem import SitingProblem, build_problem
from coverage.siting.propose import Proposal, propose_sites
from coverage.siting.service import ServicePlan, propose_for_service
from coverage.siting.solve import MODELS, STATUSES, SitingResult, UnitRule, solve

__all__ = [
    "MODELS",
    "STATUSES",
    "Proposal",
    "SitingProblem",
    "ServicePlan",
    "SitingResult",
    "UnitRule",
    "build_problem",
    "explain_sites",
    "propose_for_service",
    "propose_sites",
    "solve",
]
