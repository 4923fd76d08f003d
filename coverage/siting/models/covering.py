"""Covering models without capacities: LSCP, partial covering ("target") and MCLP.

Columns are the candidate sites left after :func:`~coverage.siting.problem.reduce_cover`
(identical demand rows merged into classes, dominated candidates dropped), then
one coverage variable ``z_r`` per demand class (target, mclp), then one variable
per administrative unit of each :class:`UnitCoverageRule` (target only):

* ``"lscp"``: every class that can be reached is covered, ``M y >= 1``;
* ``"target"``: ``z_r <= sum of y over the sites reaching r``, each group's
  covered people >= its share (existing coverage deducted), at most ``p`` sites
  and within ``budget`` when given, per-unit rules;
* ``"mclp"``: the same links, most covered weight with at most ``p`` sites and/or
  within ``budget``; existing coverage is the objective's offset.

:func:`cover_heuristic` gives the greedy (+ swap) solution that warm-starts HiGHS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from coverage.errors import InfeasibleError, InputError
from coverage.siting import heuristics as heur
from coverage.siting.milp import Decode, Milp, StartOf, stack_rows
from coverage.siting.problem import CoverReduction, SitingProblem, _preview, reduce_cover

__all__ = ["UnitCoverageRule", "cover_heuristic", "cover_model"]

_INF = math.inf


@dataclass(frozen=True)
class UnitCoverageRule:
    """A per-unit constraint of the "target" model: at least ``min_share`` of the units are covered.

    A unit is covered when *all* its demand points with people are within the
    threshold (``how="all"``, for example "every village") or at least one is
    (``how="any"``).  This is a constraint on coverage by travel time; the
    standards' :class:`coverage.metrics.UnitRule` ("60% of townships have a
    centre") counts facilities per unit instead.

    Attributes
    ----------
    name
        Name of the rule in messages.
    units
        Demand id -> unit code (for example the village or township code).
    min_share
        Share of the units (0..1) that must be covered.
    how
        "all" or "any" (see above).
    """

    name: str
    units: pd.Series
    min_share: float = 1.0
    how: str = "all"


def _decode(k: int) -> Decode:
    """Read the chosen columns (of the first ``k``) back from a solution vector."""
    return lambda x: [int(j) for j in np.flatnonzero(x[:k] > 0.5)]


def _limit_rows(problem: SitingProblem, R: CoverReduction, p: int | None, budget: float | None,
                blocks: list[sp.csc_matrix], rlo: list[npt.NDArray[np.float64]],
                rhi: list[npt.NDArray[np.float64]]) -> None:
    """Append "at most ``p`` new sites" and "total cost within ``budget``" rows, when given."""
    k, nr = len(R.cols), R.matrix.shape[0]
    if p is not None:
        blocks.append(sp.csc_matrix(np.concatenate([np.ones(k), np.zeros(nr)])[None, :]))
        rlo.append(np.array([-_INF]))
        rhi.append(np.array([float(p)]))
    if budget is not None:
        blocks.append(sp.csc_matrix(np.concatenate([problem.cost[R.cols], np.zeros(nr)])[None, :]))
        rlo.append(np.array([-_INF]))
        rhi.append(np.array([float(budget)]))


def _unit_rows(rule: UnitCoverageRule, problem: SitingProblem, R: CoverReduction, positive: npt.NDArray[np.bool_],
               first_col: int) -> tuple[sp.csc_matrix, list[float], list[float], npt.NDArray[np.float64],
                                        npt.NDArray[np.bool_]]:
    """Rows linking the unit variables ``v_u`` (columns ``first_col + u``) to the class variables.

    ``v_u <= z_r`` for the class of every point of ``u`` ("all"), or
    ``v_u <= sum z_r`` over them ("any").  Returns the block, its row bounds,
    the upper bound of each ``v_u`` (0 when a point of ``u`` can never be
    reached) and which units have a point with people.
    """
    k = len(R.cols)
    codes = rule.units.reindex(problem.demand_ids)
    if codes.isna().any():
        miss = problem.demand_ids[codes.isna().to_numpy()]
        raise InputError(f"unit rule '{rule.name}': no unit for demand ids {_preview(miss)}")
    ucode, uidx = np.unique(codes.astype(str).to_numpy(), return_inverse=True)
    nu = len(ucode)
    v_ub = np.ones(nu)
    has_point = np.zeros(nu, bool)
    r_of = R.row_of_demand
    rlo_u: list[float] = []
    rhi_u: list[float] = []
    if rule.how == "all":
        rows_v: list[int] = []
        rows_z: list[int] = []
        for d in np.flatnonzero(positive):
            u = uidx[d]
            has_point[u] = True
            if R.covered_fixed[d]:
                continue
            if r_of[d] < 0:
                v_ub[u] = 0.0
                continue
            rows_v.append(u)
            rows_z.append(r_of[d])
            rlo_u.append(-_INF)
            rhi_u.append(0.0)
        rows = np.arange(len(rlo_u))
        block = sp.csc_matrix((np.concatenate([np.ones(len(rows)), -np.ones(len(rows))]),
                               (np.concatenate([rows, rows]),
                                np.concatenate([first_col + np.array(rows_v, dtype=np.int64),
                                                k + np.array(rows_z, dtype=np.int64)]))),
                              shape=(len(rows), first_col + nu))
    elif rule.how == "any":
        fixed_u = np.zeros(nu, bool)
        entries: dict[int, set[int]] = {}
        for d in np.flatnonzero(positive):
            u = uidx[d]
            has_point[u] = True
            if R.covered_fixed[d]:
                fixed_u[u] = True
            elif r_of[d] >= 0:
                entries.setdefault(u, set()).add(int(r_of[d]))
        ri: list[int] = []
        ci: list[int] = []
        vv: list[float] = []
        row = 0
        for u in range(nu):
            if fixed_u[u] or not has_point[u]:
                continue
            ri.append(row)
            ci.append(first_col + u)
            vv.append(1.0)
            for r in entries.get(u, ()):
                ri.append(row)
                ci.append(k + r)
                vv.append(-1.0)
            row += 1
        rlo_u, rhi_u = [-_INF] * row, [0.0] * row
        block = sp.csc_matrix((vv, (ri, ci)), shape=(row, first_col + nu))
    else:
        raise InputError(f"unit rule '{rule.name}': how must be 'all' or 'any', got '{rule.how}'")
    v_ub[~has_point] = 0.0
    return block, rlo_u, rhi_u, v_ub, has_point


def cover_model(problem: SitingProblem, model: str, threshold: float, *, p: int | None, budget: float | None,
                shares: dict[str, float] | None, use_cost: bool, unit_rules: Sequence[UnitCoverageRule],
                reduce: bool, reduction: CoverReduction | None = None
                ) -> tuple[Milp, Decode, StartOf, dict[str, Any], CoverReduction]:
    """Build an LSCP, target or MCLP model (see the module docstring).

    Parameters
    ----------
    problem
        The siting problem.
    model
        "lscp", "target" or "mclp".
    threshold
        Coverage threshold, in the problem's cost unit.
    p, budget
        At most ``p`` new sites; total cost of the new sites at most ``budget`` (None: no limit).
    shares
        Target share of each group ("target").
    use_cost
        Minimise the cost of the new sites rather than their number (lscp, target).
    unit_rules
        Per-unit constraints ("target").
    reduce
        Drop dominated candidates (not with unit rules).
    reduction
        A reduction to build the model on instead of the problem's own (for
        example one restricted to some candidates: :func:`coverage.siting.scale.restrict`).

    Returns
    -------
    tuple
        The model; a function reading the chosen columns from a solution; one
        turning chosen columns into a start vector; model sizes; the reduction
        (its ``cols`` map a column to the problem's site index).

    Raises
    ------
    InputError
        A unit rule without a unit for some demand point, or with an unknown ``how``.
    InfeasibleError
        A unit rule that even opening every candidate cannot meet.
    """
    R = reduction if reduction is not None else reduce_cover(problem, threshold,
                                                             drop_dominated=reduce and not unit_rules)
    M = R.matrix.tocsc()
    nr, k = M.shape
    ccost = problem.cost[R.cols] if use_cost else np.ones(k)
    gvals = problem.groups.to_numpy(float)
    stats: dict[str, Any] = {"n_demand": problem.n_demand, "n_candidates": problem.n_candidates, "n_rows": nr,
                             "n_cols": k, "n_dominated": R.n_dominated}
    y_lb = problem.forced_in[R.cols].astype(float)
    y_ub = np.ones(k)
    if model == "lscp":
        milp = Milp(cost=ccost.astype(float), lower=y_lb, upper=y_ub, integer=np.ones(k, bool), A=M.tocsc(),
                    row_lower=np.ones(nr), row_upper=np.full(nr, _INF))

        def lscp_start(sel: Sequence[int]) -> npt.NDArray[np.float64]:
            y = np.zeros(k)
            y[list(sel)] = 1
            return y

        return milp, _decode(k), lscp_start, stats, R

    # z_r in [0, 1]: class r covered;  z_r - sum_{c in N_r} y_c <= 0
    blocks = [sp.hstack([-M, sp.identity(nr, format="csc")], format="csc")]
    rlo = [np.full(nr, -_INF)]
    rhi = [np.zeros(nr)]
    if model == "mclp":
        obj = np.concatenate([np.zeros(k), R.row_weight])
        offset = float(problem.weight[R.covered_fixed].sum())
        maximize = True
    else:  # target: each group's covered people >= its share, existing coverage deducted
        obj = np.concatenate([ccost, np.zeros(nr)])
        offset = 0.0
        maximize = False
        for g, s in (shares or {}).items():
            gi = list(problem.groups.columns).index(g)
            need = s * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum()
            if need > 1e-9:
                blocks.append(sp.csc_matrix(np.concatenate([np.zeros(k), R.row_groups[:, gi]])[None, :]))
                rlo.append(np.array([need - 1e-9 * max(1.0, need)]))
                rhi.append(np.array([_INF]))
    _limit_rows(problem, R, p, budget, blocks, rlo, rhi)
    lower = np.concatenate([y_lb, np.zeros(nr)])
    upper = np.concatenate([y_ub, np.ones(nr)])
    integer = np.concatenate([np.ones(k, bool), np.zeros(nr, bool)])
    unit_blocks: list[tuple[int, int]] = []
    positive = (problem.weight > 0) | (gvals > 0).any(axis=1)
    for rule in unit_rules:
        first_col = len(obj)
        block, rlo_u, rhi_u, v_ub, has_point = _unit_rows(rule, problem, R, positive, first_col)
        nu = len(v_ub)
        n_units = int(has_point.sum())
        need_units = math.ceil(rule.min_share * n_units - 1e-9)
        max_units = int(v_ub.sum()) if rule.how == "all" else n_units
        if need_units > max_units:
            raise InfeasibleError(
                f"unit rule '{rule.name}': {rule.min_share:.0%} of {n_units} units ({need_units}) must be covered,"
                f" but even opening every candidate covers at most {max_units} ({max_units / max(n_units, 1):.1%});"
                " lower the share, raise the threshold or add candidate sites")
        # widen every previous block by nu columns, then append
        blocks = [sp.hstack([b, sp.csc_matrix((b.shape[0], nu))], format="csc") for b in blocks]
        card = sp.csc_matrix((np.ones(nu), (np.zeros(nu, dtype=np.int64), first_col + np.arange(nu))),
                             shape=(1, first_col + nu))
        blocks += [block, card]
        rlo += [np.array(rlo_u, float), np.array([float(need_units)])]
        rhi += [np.array(rhi_u, float), np.array([_INF])]
        obj = np.concatenate([obj, np.zeros(nu)])
        lower = np.concatenate([lower, np.zeros(nu)])
        upper = np.concatenate([upper, v_ub])
        integer = np.concatenate([integer, np.zeros(nu, bool)])
        unit_blocks.append((first_col, nu))
    milp = Milp(cost=obj.astype(float), lower=lower, upper=upper, integer=integer, A=stack_rows(blocks),
                row_lower=np.concatenate(rlo), row_upper=np.concatenate(rhi), maximize=maximize, offset=offset)

    def start_of(sel: Sequence[int]) -> npt.NDArray[np.float64]:
        y = np.zeros(k)
        y[list(sel)] = 1
        z = np.minimum(np.asarray(M @ y).ravel(), 1.0)
        x = np.concatenate([y, z])
        for (c0, nu), rule in zip(unit_blocks, unit_rules, strict=True):
            codes = rule.units.reindex(problem.demand_ids).astype(str).to_numpy()
            _, uidx = np.unique(codes, return_inverse=True)
            ok_any = np.zeros(nu, bool)
            ok_all = np.ones(nu, bool)
            for d in np.flatnonzero(positive):
                cov = bool(R.covered_fixed[d]) or (R.row_of_demand[d] >= 0 and z[R.row_of_demand[d]] > 0.5)
                ok_any[uidx[d]] |= cov
                ok_all[uidx[d]] &= cov
            x = np.concatenate([x, (ok_all if rule.how == "all" else ok_any).astype(float) * upper[c0:c0 + nu]])
        return x

    return milp, _decode(k), start_of, stats, R


def cover_heuristic(problem: SitingProblem, R: CoverReduction, model: str, *, p: int | None, budget: float | None,
                    shares: dict[str, float] | None, use_cost: bool, time_limit_s: float) -> list[int] | None:
    """Greedy (and for MCLP swap) solution of a covering model, as column indices of ``R``.

    Returns None when the greedy search cannot meet the model's constraints.
    """
    M = R.matrix
    k = M.shape[1]
    forced = [int(j) for j in np.flatnonzero(problem.forced_in[R.cols])]
    ccost = problem.cost[R.cols]
    if model == "lscp":
        # every class counts once
        return heur.greedy_cover(M, np.ones(M.shape[0]), need=np.array([M.shape[0]], float), forced=forced,
                                 col_cost=ccost if use_cost else None) if M.shape[0] else forced
    if model == "mclp":
        sel = heur.greedy_cover(M, R.row_weight, p=p, budget=budget, col_cost=problem.cost[R.cols] if budget else None,
                                forced=forced)
        if k and sel:
            sel = heur.swap_cover(M, R.row_weight, sel, fixed=forced, col_cost=ccost, budget=budget,
                                  time_limit_s=time_limit_s)
        return sel
    # target: per-group need after existing coverage
    gvals = problem.groups.to_numpy(float)
    cols = list(problem.groups.columns)
    need = np.zeros(len(cols))
    for g, s in (shares or {}).items():
        gi = cols.index(g)
        need[gi] = max(s * gvals[:, gi].sum() - gvals[R.covered_fixed, gi].sum(), 0.0)
    return heur.greedy_cover(M, R.row_groups, need=need, forced=forced, col_cost=ccost if use_cost else None,
                             p=p, budget=budget)
