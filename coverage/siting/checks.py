"""Checks of a siting model's arguments against its problem, before any model is built.

Every check raises with a sentence that says what is wrong and how to fix it:
:class:`~coverage.errors.InputError` for an impossible argument (p larger than
the candidates, a share above 1, ...), :class:`~coverage.errors.InfeasibleError`
for a target that even opening every candidate cannot meet (the message gives
the best achievable share).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from coverage.errors import InfeasibleError, InputError
from coverage.siting.problem import SitingProblem, _preview
from coverage.siting.result import MODELS

__all__ = ["check_arguments", "check_p", "check_reachable", "check_target", "infeasible_message", "is_real",
           "target_shares"]


def is_real(value: object) -> bool:
    """A plain real number (not a bool, not text)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_p(problem: SitingProblem, p: int | None, *, required: bool, model: str) -> None:
    n_cand = problem.n_candidates
    if p is None:
        if required:
            raise InputError(f"model '{model}' needs p, the number of new sites (for example p=5)")
        return
    if (isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating))
            or not np.isfinite(p) or int(p) != p or p < 1):
        raise InputError(f"p must be a whole number >= 1, got {p!r}")
    if p > n_cand:
        raise InputError(f"p={p} is larger than the {n_cand} candidate sites; lower p or add candidates"
                         " (forced-out candidates do not count)")
    n_forced = int(problem.forced_in.sum())
    if n_forced > p:
        raise InputError(f"{n_forced} candidates are forced in but p={p}; raise p or force fewer")


def target_shares(problem: SitingProblem, target_share: float | Mapping[str, float] | None) -> dict[str, float]:
    groups = list(problem.groups.columns)
    if target_share is None:
        raise InputError("model 'target' needs target_share, the share of people to reach (for example 0.95)")
    if isinstance(target_share, Mapping):
        unknown = [g for g in target_share if g not in groups]
        if unknown:
            raise InputError(f"target shares for unknown groups {unknown}; groups are {groups}")
        raw = dict(target_share)
    else:
        raw = dict.fromkeys(groups, target_share)
    bad = {g: s for g, s in raw.items() if not is_real(s)}
    if bad:
        raise InputError(f"target share must be a number between 0 and 1 (0.95 = 95%), got {bad}")
    shares = {g: float(s) for g, s in raw.items()}
    for g, s in shares.items():
        if not 0 <= s <= 1:
            raise InputError(f"target share for '{g}' must be between 0 and 1 (0.95 = 95%), got {s}")
    return shares



def check_target(problem: SitingProblem, threshold: float | None, shares: dict[str, float],
                  capacitated: bool) -> None:
    """Raise InfeasibleError when even every candidate cannot reach a target share."""
    open_all = np.ones(problem.n_sites, bool)
    d = problem.nearest_cost(open_all)
    cov = ~np.isnan(d) & (d <= float(threshold))  # type: ignore[arg-type]
    for g, s in shares.items():
        vals = problem.groups[g].to_numpy(float)
        total = vals.sum()
        if total <= 0:
            continue
        best = vals[cov].sum() / total
        if s > best + 1e-12:
            raise InfeasibleError(
                f"target {s:.1%} of '{g}' within {threshold:g} {problem.cost_unit} cannot be met: even opening every"
                f" candidate reaches at most {best:.1%} ({vals[cov].sum():,.0f} of {total:,.0f});"
                " lower the target, raise the threshold, or add candidate sites")


def check_reachable(problem: SitingProblem, threshold: float) -> None:
    """Raise InfeasibleError when no demand point with people is within ``threshold`` of any site (LSCP)."""
    d = problem.nearest_cost(np.ones(problem.n_sites, bool))
    people = problem.weight > 0
    if people.any() and not (people & ~np.isnan(d) & (d <= threshold)).any():
        nearest = np.nanmin(d[people]) if (people & ~np.isnan(d)).any() else None
        near = (f"the nearest pair is {nearest:g} {problem.cost_unit}" if nearest is not None
                else "the OD table has no pair for them")
        raise InfeasibleError(
            f"no demand point with people is within {threshold:g} {problem.cost_unit} of any site ({near}): there is"
            " nothing a set cover could reach; raise the threshold, add candidate sites, or check the OD table")


def infeasible_message(problem: SitingProblem, model: str, threshold: float | None, p: int | None,
                        budget: float | None, shares: dict[str, float] | None) -> str:
    parts = [f"the {model} model has no solution"]
    if p is not None:
        parts.append(f"with p={p}")
    if budget is not None:
        parts.append(f"within budget {budget:g}")
    if shares:
        parts.append("for targets " + ", ".join(f"{g} {s:.0%}" for g, s in shares.items()))
    if model == "pmedian":
        parts.append("(no choice of p sites reaches every demand point, or capacities are too small)")
    return " ".join(parts) + "; raise p, the budget or the capacities, or lower the target"


def check_arguments(problem: SitingProblem, *, model: str, threshold: float | None, p: int | None,
                    target_share: float | Mapping[str, float] | None, budget: float | None, objective: str,
                    unit_rules: Sequence[object], capacitated: bool, time_limit_s: float,
                    method: str) -> dict[str, float] | None:
    """Check the arguments of :func:`coverage.siting.solve` (see there for their meaning).

    Returns
    -------
    dict or None
        The target share of each group ("target"), else None.

    Raises
    ------
    InputError
        An unknown model, method or objective; a missing or impossible p,
        threshold, budget, time limit or target share; unit rules or
        capacities where the model does not take them; demand points p-median
        cannot assign.
    InfeasibleError
        The forced-in candidates exceed the budget, a target share cannot be met
        by opening every candidate, or no demand point is reachable (LSCP).
    """
    if model not in MODELS:
        raise InputError(f"unknown siting model '{model}'; choose one of {', '.join(MODELS)}")
    if method not in ("auto", "exact", "heuristic"):
        raise InputError(f"method must be 'auto', 'exact' or 'heuristic', got '{method}'")
    if objective not in ("count", "cost"):
        raise InputError(f"objective must be 'count' or 'cost', got '{objective}'")
    if model in ("lscp", "target", "mclp") and threshold is None:
        raise InputError(f"model '{model}' needs a threshold (for example threshold=15 minutes)")
    if threshold is not None and (not is_real(threshold) or not np.isfinite(threshold) or threshold < 0):
        raise InputError(f"threshold must be a number >= 0, got {threshold!r}")
    if budget is not None and (not is_real(budget) or not np.isfinite(budget) or budget < 0):
        raise InputError(f"budget must be a number >= 0, got {budget!r}")
    if not is_real(time_limit_s) or not np.isfinite(time_limit_s) or time_limit_s <= 0:
        raise InputError(f"time_limit_s must be a number > 0, got {time_limit_s!r}")
    if model == "mclp" and p is None and budget is None:
        raise InputError("model 'mclp' needs p (the number of new sites) or a budget, or both")
    check_p(problem, p, required=model == "pmedian", model=model)
    if unit_rules and model != "target":
        raise InputError("unit rules apply to model 'target' only")
    if unit_rules and capacitated:
        raise InputError("unit rules and capacities together are not supported; solve without capacities")
    shares = target_shares(problem, target_share) if model == "target" else None
    if budget is not None:
        forced_cost = float(problem.cost[problem.forced_in].sum())
        if forced_cost > budget + 1e-9:
            raise InfeasibleError(f"the forced-in candidates cost {forced_cost:g}, more than the budget {budget:g};"
                                  " raise the budget or force fewer candidates")
    if model == "pmedian":
        no_pair = problem.weight > 0
        has = np.zeros(problem.n_demand, bool)
        has[problem.pair_demand] = True
        bad = no_pair & ~has
        if bad.any():
            ids = problem.demand_ids[bad]
            raise InputError(f"p-median must assign every demand point, but {len(ids)} have no site in the OD "
                             f"table: {_preview(ids)}; remove them from the demand or extend the OD table's cutoff")
    if model == "target":
        check_target(problem, threshold, shares or {}, capacitated)
    if model == "lscp":
        check_reachable(problem, float(threshold))  # type: ignore[arg-type]
    return shares
