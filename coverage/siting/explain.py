"""Explain each proposed site so that a planner can defend it.

For each new site, in order of marginal gain (the site that adds most first,
given the existing facilities and the sites ranked before it): the people it
newly brings within the threshold, by group; the demand points (villages) it
brings in; the villages it serves (it is their nearest open site) and how
their travel time changes (mean and max, without it -> with it); how much
would be lost without it; and the next-best alternative candidates with how
much the solution would cover (or cost) with the alternative in its place.

An alternative is a single swap (the site out, the candidate in), recomputed
from the sites.  For the models that count sites ("target", "lscp") a
candidate is named only when the swap keeps every constraint (each group's
target share, the budget, least cost, per-unit rules when given) and covers
at least as many people; its ``verdict`` says "better" or "equal".  The
"target" model's solve prefers, among the fewest-site solutions, the one
covering most people, so "better" means the search stopped short of that.
For "mclp" and "pmedian" the next-best candidates are listed whatever their
value, each with its verdict ("better", "equal" or "worse").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.siting.problem import SitingProblem
from coverage.siting.result import SitingResult

if TYPE_CHECKING:
    import scipy.sparse as sp

    from coverage.siting.models.covering import UnitCoverageRule

__all__ = ["explain_sites"]

log = logging.getLogger(__name__)

_DENSE_LIMIT = 20_000_000


def _cost_cols(unit: str) -> tuple[str, str, str, str]:
    what = "time" if unit == "min" else "cost"
    return (f"mean_{what}_before_{unit}", f"mean_{what}_after_{unit}",
            f"max_{what}_before_{unit}", f"max_{what}_after_{unit}")


def explain_sites(problem: SitingProblem, result: SitingResult, *, threshold: float | None = None,
                  n_alternatives: int = 3, max_points_listed: int = 50,
                  unit_rules: Sequence[UnitCoverageRule] = ()) -> pd.DataFrame:
    """One row per proposed site, in order of marginal gain, with the reasons for it.

    Parameters
    ----------
    problem
        The problem the result solves.
    result
        A :class:`SitingResult` from :func:`coverage.siting.solve`.
    threshold
        Coverage threshold in the problem's cost unit (default: the result's).
        Without one (p-median), gains are reductions of total weighted travel cost.
    n_alternatives
        How many next-best alternative candidates to list per site.
    max_points_listed
        At most this many demand ids in ``new_point_ids`` per site.
    unit_rules
        The per-unit rules the "target" model was solved with: an alternative
        must keep them too.

    Returns
    -------
    DataFrame
        Columns: ``rank, site_id, gain`` (weight newly covered, or travel cost
        saved), ``new_<group>`` (people newly covered per group), ``n_new_points,
        new_point_ids`` (demand points brought within the threshold),
        ``n_served, weight_served`` (points whose nearest open site it is),
        mean/max travel cost of those points without and with the site
        (``mean_time_before_min`` ... when the unit is minutes; NaN when some of
        them are unreachable without it, counted in ``n_unreachable_before``), ``loss_without`` (what
        removing the site alone loses),
        ``alternatives`` (list of ``{"id", "value", "vs_chosen", "verdict"}``: covered
        weight or total cost with the alternative in its place, the difference, and
        "better" / "equal" / "worse"; see the module docstring for which are named)
        and ``alternatives_text``.

    Raises
    ------
    coverage.errors.InputError
        The result's sites are not in the problem.
    """
    threshold = result.threshold if threshold is None else threshold
    sel = problem.site_index(result.selected, what="selected site")
    unit = problem.cost_unit
    groups = problem.groups
    gv = groups.to_numpy(float)
    w = problem.weight
    m = problem.n_sites
    cand = ~problem.fixed
    cols_before_after = _cost_cols(unit)
    columns = (["rank", "site_id", "gain"] + [f"new_{g}" for g in groups.columns]
               + ["n_new_points", "new_point_ids", "n_served", "weight_served", *cols_before_after,
                  "loss_without", "alternatives", "alternatives_text"])
    if len(sel) == 0:
        return pd.DataFrame(columns=columns)
    covering = threshold is not None and result.model != "pmedian"
    open_final = problem.fixed.copy()
    open_final[sel] = True
    if covering:
        A = problem.cover_matrix(float(threshold)).tocsc()  # type: ignore[arg-type]
        cnt_fixed = np.asarray(A[:, problem.fixed].sum(axis=1)).ravel()
        covered = cnt_fixed > 0
        order: list[int] = []
        gains: dict[int, npt.NDArray[np.bool_]] = {}
        remaining = list(sel)
        while remaining:
            best, best_gain, best_new = remaining[0], -1.0, None
            for s in remaining:
                rows = A.indices[A.indptr[s]:A.indptr[s + 1]]
                new = rows[~covered[rows]]
                g = float(w[new].sum())
                if g > best_gain + 1e-12:
                    best, best_gain, best_new = s, g, new
            order.append(best)
            gains[best] = best_new if best_new is not None else np.array([], dtype=np.int64)
            covered[gains[best]] = True
            remaining.remove(best)
        cnt = np.asarray(A[:, open_final].sum(axis=1)).ravel()
        total_cov = float(w[cnt > 0].sum())
    else:
        order, gain_val = _pmedian_order(problem, sel)
    rows_out: list[dict[str, Any]] = []
    dense = problem.cost_matrix() if (not covering and problem.n_demand * m <= _DENSE_LIMIT) else None
    for rank, s in enumerate(order, start=1):
        without = open_final.copy()
        without[s] = False
        d_without = problem.nearest_cost(without)
        d_with = problem.nearest_cost(open_final)
        # points served by s: it is their nearest open site (ties go to the other site)
        served = _served_by(problem, open_final, s)
        row: dict[str, Any] = {"rank": rank, "site_id": problem.site_ids[s]}
        if covering:
            new = gains[s]
            row["gain"] = float(w[new].sum())
            for gi, g in enumerate(groups.columns):
                row[f"new_{g}"] = float(gv[new, gi].sum())
            row["n_new_points"] = len(new)
            row["new_point_ids"] = [problem.demand_ids[i] for i in new[:max_points_listed]]
            cnt_wo = cnt - np.asarray(A[:, s].todense()).ravel()
            row["loss_without"] = float(w[(cnt > 0) & (cnt_wo == 0)].sum())
            unc = (cnt_wo == 0) & (w > 0)
            alt_gain = np.asarray(A.T @ (w * unc)).ravel()
            base = total_cov - row["loss_without"]
            alt_val = base + alt_gain
            alt_val[open_final | ~cand] = -np.inf
            tol = 1e-9 * max(1.0, abs(total_cov))
            if result.model in ("target", "lscp"):
                alts = _swaps_keeping_constraints(problem, result, A, s, cnt, cnt_wo, alt_val, total_cov,
                                                  unit_rules, n_alternatives)
            else:
                top = np.argsort(-alt_val, kind="stable")[:n_alternatives]
                alts = [{"id": problem.site_ids[j], "value": float(alt_val[j]),
                         "vs_chosen": float(alt_val[j] - total_cov), "verdict": _verdict(alt_val[j] - total_cov, tol)}
                        for j in top if np.isfinite(alt_val[j])]
            text = "; ".join(f"{a['id']}: covers {a['value']:,.0f} ({a['vs_chosen']:+,.0f}, {a['verdict']})"
                             for a in alts)
            if not alts and result.model in ("target", "lscp"):
                text = ("forced in by the planner" if problem.forced_in[s] else
                        "no single other candidate in its place keeps the target with as many people covered")
        else:
            row["gain"] = float(gain_val[s])
            newly = np.zeros(problem.n_demand, bool)
            if threshold is not None:
                newly = (d_with <= threshold) & ~(d_without <= threshold)
            for gi, g in enumerate(groups.columns):
                row[f"new_{g}"] = float(gv[newly, gi].sum())
            row["n_new_points"] = int(newly.sum())
            row["new_point_ids"] = [problem.demand_ids[i] for i in np.flatnonzero(newly)[:max_points_listed]]
            total = float(np.nansum(w * d_with))
            pos = w > 0   # points without people cost nothing, even where no site reaches them
            tot_wo = float((w[pos] * np.where(np.isnan(d_without[pos]), np.inf, d_without[pos])).sum())
            row["loss_without"] = tot_wo - total
            alts = []
            if dense is not None:
                dw = np.where(np.isnan(d_without[pos]), np.inf, d_without[pos])
                vals = (w[pos, None] * np.minimum(dw[:, None], dense[pos])).sum(axis=0)
                vals[open_final | ~cand] = np.inf
                top = np.argsort(vals, kind="stable")[:n_alternatives]
                tol = 1e-9 * max(1.0, abs(total))
                alts = [{"id": problem.site_ids[j], "value": float(vals[j]), "vs_chosen": float(vals[j] - total),
                         "verdict": _verdict(total - vals[j], tol)}   # less travel cost is better
                        for j in top if np.isfinite(vals[j])]
            text = "; ".join(f"{a['id']}: total {a['value']:,.6g} ({a['vs_chosen']:+,.6g}, {a['verdict']})"
                             for a in alts)
        row["n_served"] = int(served.sum())
        row["weight_served"] = float(w[served].sum())
        b, a_ = d_without[served], d_with[served]
        row["n_unreachable_before"] = int(np.isnan(b).sum())
        ws = w[served]
        row[cols_before_after[0]] = _wmean(b, ws)
        row[cols_before_after[1]] = _wmean(a_, ws)
        row[cols_before_after[2]] = float(np.max(b)) if len(b) and not np.isnan(b).any() else float("nan")
        row[cols_before_after[3]] = float(np.max(a_)) if len(a_) else float("nan")
        row["alternatives"] = alts
        row["alternatives_text"] = text
        rows_out.append(row)
    return pd.DataFrame(rows_out, columns=columns)


def _verdict(diff: float, tol: float) -> str:
    """"better" / "equal" / "worse" for an alternative whose value beats the chosen one's by ``diff``."""
    return "better" if diff > tol else ("equal" if diff >= -tol else "worse")


def _shares_of(problem: SitingProblem, result: SitingResult) -> dict[str, float]:
    """The target share of each group of a "target" result (empty for other models)."""
    ts = result.target_share
    if result.model != "target" or ts is None:
        return {}
    if isinstance(ts, Mapping):
        return {str(g): float(v) for g, v in ts.items()}
    return dict.fromkeys(map(str, problem.groups.columns), float(ts))


def _units_ok(problem: SitingProblem, rules: Sequence[UnitCoverageRule],
              covered: npt.NDArray[np.bool_]) -> bool:
    """True when ``covered`` (per demand point) meets every per-unit rule (as the model counts units)."""
    gv = problem.groups.to_numpy(float)
    positive = (problem.weight > 0) | (gv > 0).any(axis=1)
    for rule in rules:
        codes = rule.units.reindex(problem.demand_ids).astype(str).to_numpy()
        ucode, uidx = np.unique(codes[positive], return_inverse=True)
        n_cov = np.bincount(uidx, weights=covered[positive].astype(float), minlength=len(ucode))
        n_pts = np.bincount(uidx, minlength=len(ucode))
        ok = (n_cov >= n_pts) if rule.how == "all" else (n_cov > 0)
        if ok.sum() < np.ceil(rule.min_share * len(ucode) - 1e-9):
            return False
    return True


def _swaps_keeping_constraints(problem: SitingProblem, result: SitingResult, A: sp.csc_matrix, s: int,
                               cnt: npt.NDArray[np.float64], cnt_wo: npt.NDArray[np.float64],
                               alt_val: npt.NDArray[np.float64], total_cov: float,
                               unit_rules: Sequence[UnitCoverageRule], n_alternatives: int) -> list[dict[str, Any]]:
    """Candidates that may replace site ``s`` in a counting model ("target", "lscp"), best first.

    A swap is named only when it keeps the model's constraints and covers at
    least as many people (see the module docstring); every figure is recomputed
    from the sites.
    """
    if problem.forced_in[s]:
        return []
    tol = 1e-9 * max(1.0, abs(total_cov))
    ok = np.isfinite(alt_val) & (alt_val >= total_cov - tol)
    gv = problem.groups.to_numpy(float)
    unc = cnt_wo == 0
    if result.model == "target":
        names = list(map(str, problem.groups.columns))
        for g, share in _shares_of(problem, result).items():
            vals = gv[:, names.index(g)]
            need = share * vals.sum()
            after = float(vals[~unc].sum()) + np.asarray(A.T @ (vals * unc)).ravel()
            ok &= after >= need - 1e-9 * max(1.0, need)
    else:   # lscp: every point with people that some site reaches stays covered
        positive = (problem.weight > 0) | (gv > 0).any(axis=1)
        lost = positive & unc & (cnt > 0)
        ok &= np.asarray(A.T @ lost.astype(float)).ravel() >= lost.sum() - 0.5
    chosen_cost = float(problem.cost[s])
    if result.stats.get("objective") == "cost":
        ok &= problem.cost <= chosen_cost + 1e-9 * max(1.0, chosen_cost)
    if result.budget is not None:
        spent = float(result.total_cost or 0.0) - chosen_cost
        ok &= spent + problem.cost <= result.budget + 1e-9 * max(1.0, result.budget)
    out: list[dict[str, Any]] = []
    for j in np.argsort(-np.where(ok, alt_val, -np.inf), kind="stable"):
        if not ok[j] or len(out) >= n_alternatives:
            break
        if unit_rules:
            covered = (cnt_wo > 0) | (np.asarray(A[:, j].todense()).ravel() > 0)
            if not _units_ok(problem, unit_rules, covered):
                continue
        diff = float(alt_val[j] - total_cov)
        out.append({"id": problem.site_ids[j], "value": float(alt_val[j]), "vs_chosen": diff,
                    "verdict": _verdict(diff, tol)})
    return out


def _wmean(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    if len(values) == 0 or np.isnan(values).any():
        return float("nan")
    if weights.sum() <= 0:
        return float(values.mean())
    return float(np.average(values, weights=weights))


def _served_by(problem: SitingProblem, open_mask: npt.NDArray[np.bool_], s: int) -> npt.NDArray[np.bool_]:
    keep = open_mask[problem.pair_site]
    pi, pj, pc = problem.pair_demand[keep], problem.pair_site[keep], problem.pair_cost[keep]
    first = np.ones(len(pi), bool)
    first[1:] = pi[1:] != pi[:-1]
    near = np.full(problem.n_demand, -1, dtype=np.int64)
    near[pi[first]] = pj[first]
    # a tie at the nearest distance goes to the earlier site in the sort: count s only when strictly nearer
    best = np.full(problem.n_demand, np.inf)
    best[pi[first]] = pc[first]
    served = near == s
    if served.any():
        ks = keep & (problem.pair_site != s)
        alt = np.full(problem.n_demand, np.inf)
        np.minimum.at(alt, problem.pair_demand[ks], problem.pair_cost[ks])
        served &= best < alt
    return served


def _pmedian_order(problem: SitingProblem, sel: npt.NDArray[np.int64]) -> tuple[list[int], dict[int, float]]:
    """Order p-median sites greedily: first the one reaching most people not yet reached, then most cost saved.

    The gain reported is the total weighted travel cost saved for the points
    that were already reachable before the site was added.
    """
    w = problem.weight
    sel = np.asarray(sel, dtype=np.int64)
    if problem.n_demand * len(sel) <= _DENSE_LIMIT:
        cols = problem.cost_matrix()[:, sel] if problem.n_demand * problem.n_sites <= _DENSE_LIMIT else None
    else:
        cols = None
    if cols is None:
        # one column at a time from the pairs (large problems)
        cols = np.full((problem.n_demand, len(sel)), np.inf)
        pos = {int(s): k for k, s in enumerate(sel)}
        keep = np.isin(problem.pair_site, sel)
        cols[problem.pair_demand[keep], [pos[int(j)] for j in problem.pair_site[keep]]] = problem.pair_cost[keep]
    cur = problem.nearest_cost(problem.fixed)
    cur = np.where(np.isnan(cur), np.inf, cur)
    order: list[int] = []
    gain: dict[int, float] = {}
    remaining = list(range(len(sel)))
    while remaining:
        sub = cols[:, remaining]
        reached_before = np.isfinite(cur)
        new_w = w @ (~reached_before[:, None] & np.isfinite(sub))
        c_before = np.where(reached_before, cur, 0.0)
        saved = w @ (c_before[:, None] - np.where(reached_before[:, None], np.minimum(cur[:, None], sub), 0.0))
        k = max(range(len(remaining)), key=lambda t: (new_w[t], saved[t]))
        s = remaining[k]
        order.append(int(sel[s]))
        gain[int(sel[s])] = float(saved[k])
        cur = np.minimum(cur, cols[:, s])
        remaining.remove(s)
    return order, gain
