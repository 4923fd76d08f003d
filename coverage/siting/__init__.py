"""Siting proposals: where to add sites to meet a coverage target, exactly where it can be, explained.

Build a :class:`SitingProblem` from a long OD table (:func:`build_problem`),
solve it with HiGHS (:func:`solve`: "lscp", "target", "mclp", "pmedian", with
capacities, several groups, fixed existing sites, forced candidates, per-unit
rules :class:`UnitCoverageRule`), explain
each proposed site (:func:`explain_sites`), or do all three on the canonical
tables of :mod:`coverage.model` with :func:`propose_sites`; for one service straight from a
travel-time engine with :func:`propose_for_service`.

Modules, in the order a solve runs: :mod:`~coverage.siting.problem` (arrays and
reduction), :mod:`~coverage.siting.checks` (arguments),
:mod:`~coverage.siting.models` (covering, p-median, capacity-aware models),
:mod:`~coverage.siting.heuristics` (greedy, swap, Lagrangian),
:mod:`~coverage.siting.milp` (HiGHS), :mod:`~coverage.siting.scale` (kernel search and
Lagrangian bound for models too large to prove), :mod:`~coverage.siting.result`
(:class:`SitingResult`), :mod:`~coverage.siting.solve` (the entry point), then
:mod:`~coverage.siting.explain`, :mod:`~coverage.siting.propose` and
:mod:`~coverage.siting.service` on top.
"""

from __future__ import annotations

from coverage.siting.explain import explain_sites
from coverage.siting.models.covering import UnitCoverageRule
from coverage.siting.problem import SitingProblem, build_problem
from coverage.siting.propose import Proposal, propose_sites
from coverage.siting.result import MODELS, STATUSES, SitingResult
from coverage.siting.service import ServicePlan, propose_for_service
from coverage.siting.solve import solve

__all__ = [
    "MODELS",
    "STATUSES",
    "Proposal",
    "ServicePlan",
    "SitingProblem",
    "SitingResult",
    "UnitCoverageRule",
    "build_problem",
    "explain_sites",
    "propose_for_service",
    "propose_sites",
    "solve",
]
