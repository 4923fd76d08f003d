"""Greedy and local-search (swap) heuristics for the siting models.

They give the exact solver a warm start and stand alone for instances too
large to prove within the time limit; :func:`coverage.siting.solve` then
reports their best solution together with the best known bound.

All functions work on positions (integers), not ids, and never mutate their inputs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["greedy_cover", "greedy_pmedian", "pmedian_cost", "swap_cover", "swap_keep_need", "swap_pmedian"]

log = logging.getLogger(__name__)

_EPS = 1e-9


def greedy_cover(
    matrix: sp.csr_matrix,
    row_values: npt.NDArray[np.float64],
    *,
    p: int | None = None,
    budget: float | None = None,
    col_cost: npt.NDArray[np.float64] | None = None,
    need: npt.NDArray[np.float64] | None = None,
    forced: Sequence[int] = (),
) -> list[int]:
    """Greedy covering: add the column with the best gain (per cost) until a stop.

    Parameters
    ----------
    matrix
        Rows x columns 0/1 coverage matrix.
    row_values
        Value of each row, (rows,) or (rows, groups) for several groups.
    p
        Stop after ``p`` columns (forced ones included).
    budget
        Stop before the total ``col_cost`` would exceed ``budget``.
    col_cost
        Cost of each column (default 1).
    need
        Per group, the value to reach (partial covering): stop when every group
        has reached its need; the gain of a column counts only what is still needed.
    forced
        Columns chosen first.

    Returns
    -------
    list of int
        Chosen columns in order of choice.  Stops early when no column adds value.
    """
    vals = np.asarray(row_values, float)
    vals = vals.reshape(matrix.shape[0], -1 if vals.size else (vals.shape[1] if vals.ndim == 2 else 1))
    n_cols = matrix.shape[1]
    cost = np.ones(n_cols) if col_cost is None else np.asarray(col_cost, float)
    csc = matrix.tocsc()
    covered = np.zeros(matrix.shape[0], dtype=bool)
    chosen: list[int] = []
    spent = 0.0
    is_chosen = np.zeros(n_cols, dtype=bool)
    reached = np.zeros(vals.shape[1])

    def take(j: int) -> None:
        nonlocal spent
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        reached[:] += vals[new].sum(axis=0)
        covered[new] = True
        chosen.append(int(j))
        is_chosen[j] = True
        spent += cost[j]

    for j in forced:
        take(int(j))
    while n_cols:
        if p is not None and len(chosen) >= p:
            break
        if need is not None and np.all(reached >= need - _EPS):
            break
        unc = vals * ~covered[:, None]
        gains = np.asarray(csc.T @ unc)  # cols x groups
        if need is not None:
            rem = np.maximum(need - reached, 0.0)
            scale = np.where(need > 0, 1.0 / np.maximum(need, _EPS), 0.0)
            gain = (np.minimum(gains, rem) * scale).sum(axis=1)
        else:
            gain = gains.sum(axis=1)
        gain[is_chosen] = -np.inf
        if budget is not None:
            gain[spent + cost > budget + _EPS] = -np.inf
        score = gain / np.maximum(cost, _EPS)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or gain[j] <= _EPS:
            break
        take(j)
    return chosen


def swap_cover(
    matrix: sp.csr_matrix,
    row_weight: npt.NDArray[np.float64],
    chosen: Sequence[int],
    *,
    fixed: Sequence[int] = (),
    col_cost: npt.NDArray[np.float64] | None = None,
    budget: float | None = None,
    time_limit_s: float = 10.0,
) -> list[int]:
    """Improve a maximal-covering solution by swapping one column for another.

    Best-improvement interchange: repeatedly replace the chosen column whose
    removal loses least by the unchosen one that gains most, while the covered
    weight grows (and the budget, if any, holds).

    Parameters
    ----------
    matrix
        Rows x columns 0/1 coverage matrix.
    row_weight
        Weight of each row.
    chosen
        Starting columns.
    fixed
        Columns never removed (forced in).
    col_cost, budget
        Swaps must keep the total cost within the budget.
    time_limit_s
        Stop searching after this many seconds (wall clock).

    Returns
    -------
    list of int
        The improved columns (same count).
    """
    start = time.perf_counter()
    csr = matrix.tocsr()
    csc = matrix.tocsc()
    n_cols = matrix.shape[1]
    cost = np.ones(n_cols) if col_cost is None else np.asarray(col_cost, float)
    sel = np.zeros(n_cols, dtype=bool)
    sel[list(chosen)] = True
    keep = np.zeros(n_cols, dtype=bool)
    keep[list(fixed)] = True
    cnt = np.asarray(csc[:, sel].sum(axis=1)).ravel()
    w = np.asarray(row_weight, float)
    while time.perf_counter() - start < time_limit_s:
        if not n_cols or not len(w):
            break
        gain_in = csc.T @ (w * (cnt == 0))
        best = (_EPS, -1, -1)
        for r in np.flatnonzero(sel & ~keep):
            rows = csc.indices[csc.indptr[r]:csc.indptr[r + 1]]
            only = rows[cnt[rows] == 1]
            loss = w[only].sum()
            back = csr[only].T @ w[only] if len(only) else np.zeros(n_cols)
            delta = gain_in + back - loss
            delta[sel] = -np.inf
            if budget is not None:
                spent = cost[sel].sum() - cost[r]
                delta[spent + cost > budget + _EPS] = -np.inf
            j = int(np.argmax(delta))
            if delta[j] > best[0]:
                best = (float(delta[j]), int(r), j)
        if best[1] < 0:
            break
        _, out_col, in_col = best
        sel[out_col], sel[in_col] = False, True
        cnt -= np.asarray(csc[:, out_col].todense()).ravel().astype(cnt.dtype)
        cnt += np.asarray(csc[:, in_col].todense()).ravel().astype(cnt.dtype)
    out = [c for c in chosen if sel[c]]
    out += [int(c) for c in np.flatnonzero(sel) if c not in set(out)]
    return out


def pmedian_cost(dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64],
                 open_cols: Sequence[int]) -> float:
    """Total weighted distance to the nearest open column (inf if some row reaches none)."""
    if len(open_cols) == 0:
        return float("inf")
    d = dist[:, list(open_cols)].min(axis=1)
    return float((weight * d).sum())


def greedy_pmedian(dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], p: int, *,
                   candidates: npt.NDArray[np.bool_] | None = None, fixed: Sequence[int] = (),
                   forced: Sequence[int] = ()) -> list[int]:
    """Greedy p-median: add the candidate that lowers the total weighted distance most.

    Parameters
    ----------
    dist
        Dense rows x columns distance matrix; ``inf`` where unreachable.
    weight
        Weight of each row.
    p
        Number of columns to choose (forced ones included; fixed ones not).
    candidates
        Columns that may be chosen (default all).
    fixed
        Columns open from the start (existing), not counted in ``p``.
    forced
        Columns chosen first (counted in ``p``).

    Returns
    -------
    list of int
        Chosen columns (excluding ``fixed``) in order of choice.
    """
    big = _big(dist)
    D = np.where(np.isfinite(dist), dist, big)
    n_cols = D.shape[1]
    allowed = np.ones(n_cols, dtype=bool) if candidates is None else candidates.copy()
    cur = np.full(D.shape[0], big * 2)
    for j in fixed:
        cur = np.minimum(cur, D[:, j])
        allowed[j] = False
    chosen: list[int] = []
    for j in forced:
        cur = np.minimum(cur, D[:, j])
        allowed[j] = False
        chosen.append(int(j))
    while len(chosen) < p and allowed.any():
        gain = weight @ np.maximum(cur[:, None] - D, 0.0)
        gain[~allowed] = -np.inf
        j = int(np.argmax(gain))
        cur = np.minimum(cur, D[:, j])
        allowed[j] = False
        chosen.append(j)
    return chosen


def _big(dist: npt.NDArray[np.float64]) -> float:
    finite = dist[np.isfinite(dist)]
    return float(finite.max() * 10 + 1) if finite.size else 1.0


def swap_pmedian(dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], chosen: Sequence[int], *,
                 candidates: npt.NDArray[np.bool_] | None = None, fixed: Sequence[int] = (),
                 forced: Sequence[int] = (), time_limit_s: float = 10.0) -> list[int]:
    """Improve a p-median solution by best-improvement vertex substitution (Teitz-Bart).

    Every pass evaluates all (in, out) swaps at once with the nearest and
    second-nearest open distances (Whitaker's fast interchange, vectorised) and
    applies the best one, until no swap lowers the total weighted distance.

    Parameters
    ----------
    dist, weight, candidates, fixed
        As for :func:`greedy_pmedian`.
    chosen
        Starting columns (excluding fixed).
    forced
        Chosen columns never swapped out.
    time_limit_s
        Stop after this many seconds.

    Returns
    -------
    list of int
        The improved columns (same count).
    """
    start = time.perf_counter()
    big = _big(dist)
    D = np.where(np.isfinite(dist), dist, big)
    n_rows, n_cols = D.shape
    allowed = np.ones(n_cols, dtype=bool) if candidates is None else candidates.copy()
    sel = list(chosen)
    fixed = list(fixed)
    keep = {int(f) for f in forced}
    w = np.asarray(weight, float)
    while time.perf_counter() - start < time_limit_s:
        open_cols = np.array(sel + fixed, dtype=np.int64)
        sub = D[:, open_cols]
        if len(open_cols) >= 2:
            part = np.argpartition(sub, 1, axis=1)[:, :2]
            a = np.take_along_axis(sub, part, axis=1)
            order = np.argsort(a, axis=1)
            first = np.take_along_axis(part, order, axis=1)
            d1 = sub[np.arange(n_rows), first[:, 0]]
            d2 = sub[np.arange(n_rows), first[:, 1]]
            n1 = first[:, 0]
        else:
            d1 = sub[:, 0]
            d2 = np.full(n_rows, big * 2)
            n1 = np.zeros(n_rows, dtype=np.int64)
        removable = np.array([k for k, c in enumerate(open_cols) if k < len(sel) and int(c) not in keep],
                             dtype=np.int64)
        if removable.size == 0:
            break
        cand = np.flatnonzero(allowed & ~np.isin(np.arange(n_cols), open_cols))
        if cand.size == 0:
            break
        Dc = D[:, cand]
        m1 = np.minimum(Dc, d1[:, None])
        base = w @ (m1 - d1[:, None])                                  # adding j, removing nothing
        extra = (w[:, None] * (np.minimum(Dc, d2[:, None]) - m1))      # rows whose nearest is removed
        onehot = sp.csr_matrix((np.ones(n_rows), (np.arange(n_rows), n1)), shape=(n_rows, len(open_cols)))
        delta = base[:, None] + np.asarray((onehot.T @ extra).T)[:, removable]  # cand x removable
        k = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[k] >= -_EPS * max(1.0, abs(float(w @ d1))):
            break
        j, r = int(cand[k[0]]), int(open_cols[removable[k[1]]])
        sel[sel.index(r)] = j
    return sel


def lagrangian_pmedian(dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], p: int, *,
                       upper_bound: float, candidates: npt.NDArray[np.bool_] | None = None,
                       fixed: Sequence[int] = (), max_iter: int = 5000, patience: int = 30,
                       time_limit_s: float = 10.0, return_primal: bool = False
                       ) -> tuple[Any, ...]:
    """Lagrangian lower bound of the p-median (assignment constraints relaxed), by subgradient.

    With multipliers ``lam`` on "every row is assigned once", the relaxation
    splits by column: column j is worth ``rho_j = sum_i min(0, w_i d_ij - lam_i)``;
    ``L(lam) = sum(lam) + sum(rho of fixed) + sum(p smallest rho of candidates)``
    is a lower bound of the optimum (Beasley 1985).

    Parameters
    ----------
    dist
        Dense rows x columns distances, ``inf`` where unreachable.
    weight
        Row weights.
    p
        Candidates to open (fixed columns are open besides).
    upper_bound
        Cost of a known solution (steers the step size).
    candidates
        Columns that may be opened (default: all not fixed).
    fixed
        Columns always open.
    max_iter, time_limit_s
        Stop after so many iterations or seconds.

    return_primal
        Also return the best feasible solution met on the way (every 10th
        iteration the Lagrangian's open columns are evaluated: Beasley's
        Lagrangian heuristic) and its cost.

    Returns
    -------
    (bound, rho) or (bound, rho, best_columns, best_cost)
        The best lower bound found and the column values ``rho`` at its multipliers
        (used by :func:`lagrangian_reduce`); with ``return_primal`` also the best
        candidate columns found and their total cost.
    """
    start = time.perf_counter()
    a = weight[:, None] * np.where(np.isfinite(dist), dist, np.inf)
    m = a.shape[1]
    fixed_mask = np.zeros(m, dtype=bool)
    fixed_mask[list(fixed)] = True
    cand = (~fixed_mask) if candidates is None else (candidates & ~fixed_mask)
    cand_idx = np.flatnonzero(cand)
    finite = np.where(np.isfinite(a), a, np.nan)
    srt = np.sort(np.where(np.isnan(finite), np.inf, finite), axis=1)
    lam = srt[:, min(1, m - 1)].copy()
    lam[~np.isfinite(lam)] = srt[~np.isfinite(lam), 0]
    lam[~np.isfinite(lam)] = 0.0
    best_bound, best_rho = -np.inf, np.zeros(m)
    best_cols: list[int] = []
    best_cost = np.inf
    fixed_list = list(fixed)
    mu, stall = 2.0, 0
    for it in range(max_iter):
        red = np.minimum(a - lam[:, None], 0.0)  # inf - lam stays inf -> min 0
        rho = red.sum(axis=0)
        order = cand_idx[np.argsort(rho[cand_idx], kind="stable")[:p]]
        open_mask = fixed_mask.copy()
        open_mask[order] = True
        bound = float(lam.sum() + rho[open_mask].sum())
        if return_primal and it % 10 == 0:
            cost = float(a[:, order.tolist() + fixed_list].min(axis=1).sum())
            if cost < best_cost:
                best_cost, best_cols = cost, [int(c) for c in order]
        if bound > best_bound + 1e-9 * max(1.0, abs(bound)):
            best_bound, best_rho, stall = bound, rho.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                mu, stall = mu / 2, 0
        g = 1.0 - (red[:, open_mask] < 0).sum(axis=1)
        norm = float((g * g).sum())
        if norm == 0 or mu < 1e-5 or time.perf_counter() - start > time_limit_s:
            break
        step = mu * max(upper_bound - bound, 1e-9 * max(1.0, abs(upper_bound))) / norm
        lam = np.maximum(lam + step * g, 0.0)
        if upper_bound - best_bound <= 1e-9 * max(1.0, abs(upper_bound)):
            break
    if return_primal:
        return best_bound, best_rho, best_cols, best_cost
    return best_bound, best_rho


def lagrangian_reduce(rho: npt.NDArray[np.float64], bound: float, p: int, upper_bound: float, *,
                      candidates: npt.NDArray[np.bool_], keep: Sequence[int] = (),
                      integral: bool = False) -> npt.NDArray[np.bool_]:
    """Candidates that may still be in a solution better than ``upper_bound``.

    Forcing candidate j into the Lagrangian solution raises the bound to
    ``bound - rho_(p) + rho_j`` (it replaces the worst chosen one); when that is
    not below ``upper_bound`` no better solution opens j, and j is dropped.

    Parameters
    ----------
    rho, bound
        From :func:`lagrangian_pmedian`.
    p
        Candidates to open.
    upper_bound
        Cost of a known solution.
    candidates
        Candidate columns.
    keep
        Columns never dropped (the known solution, forced ones).
    integral
        Every cost is an integer, so a better solution is at most ``upper_bound - 1``.

    Returns
    -------
    bool array
        Candidates kept.
    """
    cand_idx = np.flatnonzero(candidates)
    if len(cand_idx) <= p:
        return candidates.copy()
    srt = np.sort(rho[cand_idx])
    pth = srt[p - 1]
    forced_bound = bound - pth + rho
    limit = upper_bound - (1.0 - 1e-6 if integral else 1e-9 * max(1.0, abs(upper_bound)))
    out = candidates & ~(forced_bound > limit)
    out[list(keep)] = candidates[list(keep)]
    return out


def iterated_swap_pmedian(dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64], chosen: Sequence[int], *,
                          candidates: npt.NDArray[np.bool_] | None = None, fixed: Sequence[int] = (),
                          forced: Sequence[int] = (), time_limit_s: float = 10.0, kick: int = 3,
                          max_stall: int = 40, seed: int = 0) -> list[int]:
    """Iterated local search: swap to a local optimum, then kick (``kick`` random swaps) and descend again.

    Keeps the best solution met; seeded, so the same inputs and time give the same answer on a
    machine of the same speed.

    Parameters
    ----------
    dist, weight, candidates, fixed, forced
        As for :func:`swap_pmedian`.
    chosen
        Starting columns (excluding fixed).
    time_limit_s
        Total wall-clock budget, seconds.
    kick
        Random swaps applied before each new descent.
    max_stall
        Stop after this many descents in a row without improvement.
    seed
        Random seed.

    Returns
    -------
    list of int
        The best columns found (same count).
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_cols = dist.shape[1]
    allowed = np.ones(n_cols, dtype=bool) if candidates is None else candidates.copy()
    allowed[list(fixed)] = False
    keep = {int(f) for f in forced}
    fixed = list(fixed)

    def left() -> float:
        return time_limit_s - (time.perf_counter() - start)

    best = swap_pmedian(dist, weight, chosen, candidates=candidates, fixed=fixed, forced=forced,
                        time_limit_s=max(left(), 0.0))
    best_cost = pmedian_cost(dist, weight, best + fixed)
    stall = 0
    while left() > 0 and stall < max_stall:
        stall += 1
        cur = list(best)
        movable = [k for k, c in enumerate(cur) if c not in keep]
        outside = np.flatnonzero(allowed & ~np.isin(np.arange(n_cols), cur))
        if not movable or outside.size == 0:
            break
        for k in rng.choice(movable, size=min(kick, len(movable)), replace=False):
            cur[k] = int(rng.choice(outside))
            outside = outside[outside != cur[k]]
        cur = swap_pmedian(dist, weight, cur, candidates=candidates, fixed=fixed, forced=forced,
                           time_limit_s=max(left(), 0.0))
        cost = pmedian_cost(dist, weight, cur + fixed)
        if cost < best_cost - 1e-9:
            best, best_cost, stall = cur, cost, 0
    return best


def swap_keep_need(
    matrix: sp.csr_matrix,
    row_weight: npt.NDArray[np.float64],
    row_groups: npt.NDArray[np.float64],
    need: npt.NDArray[np.float64],
    chosen: Sequence[int],
    *,
    fixed: Sequence[int] = (),
    accept: Callable[[list[int]], bool] | None = None,
    time_limit_s: float = 5.0,
) -> list[int]:
    """Cover more weight by one-for-one swaps that keep every group's need met (partial covering).

    Every pass finds, for each chosen column, the best column to put in its
    place among the swaps that keep ``row_groups`` coverage at or above
    ``need`` and that ``accept`` (further constraints: budget, per-unit rules)
    approves, and applies the best improving one, until none improves.

    Parameters
    ----------
    matrix
        Rows x columns 0/1 coverage matrix.
    row_weight
        Weight of each row (what the swaps increase).
    row_groups
        Rows x groups values whose covered sums must stay at or above ``need``.
    need
        Per group, the value to keep covered.
    chosen
        Starting columns; they must meet ``need``.
    fixed
        Columns never swapped out (forced in).
    accept
        Called with a candidate solution (columns) before a swap is applied.
    time_limit_s
        Stop searching after this many seconds.

    Returns
    -------
    list of int
        The improved columns (same count).
    """
    start = time.perf_counter()
    csc = matrix.tocsc()
    csr = matrix.tocsr()
    n_rows, n_cols = matrix.shape
    w = np.asarray(row_weight, float)
    need = np.asarray(need, float).ravel()
    G = np.asarray(row_groups, float).reshape(n_rows, len(need))
    sel = np.zeros(n_cols, dtype=bool)
    sel[list(chosen)] = True
    keep = np.zeros(n_cols, dtype=bool)
    keep[list(fixed)] = True
    cnt = np.asarray(csc[:, sel].sum(axis=1)).ravel()
    slack_tol = 1e-9 * np.maximum(1.0, np.abs(need))
    while n_cols and n_rows and time.perf_counter() - start < time_limit_s:
        cov = cnt > 0
        gain_in = np.asarray(csc.T @ (w * ~cov)).ravel()
        ggain_in = np.asarray(csc.T @ (G * ~cov[:, None]))
        have = G[cov].sum(axis=0)
        moves: list[tuple[float, int, int]] = []
        for r in np.flatnonzero(sel & ~keep):
            rows = csc.indices[csc.indptr[r]:csc.indptr[r + 1]]
            only = rows[cnt[rows] == 1]
            back = np.asarray(csr[only].T @ w[only]).ravel() if len(only) else np.zeros(n_cols)
            gback = np.asarray(csr[only].T @ G[only]) if len(only) else np.zeros((n_cols, G.shape[1]))
            delta = gain_in + back - w[only].sum()
            groups_after = have - G[only].sum(axis=0) + ggain_in + gback
            ok = np.all(groups_after >= need - slack_tol, axis=1) & ~sel & (delta > _EPS * max(1.0, w.sum()))
            for j in np.flatnonzero(ok):
                moves.append((float(delta[j]), int(r), int(j)))
        moves.sort(key=lambda m: -m[0])
        applied = False
        for _, out_col, in_col in moves:
            trial = [int(c) for c in np.flatnonzero(sel) if c != out_col] + [in_col]
            if accept is not None and not accept(trial):
                continue
            sel[out_col], sel[in_col] = False, True
            cnt -= np.asarray(csc[:, out_col].todense()).ravel().astype(cnt.dtype)
            cnt += np.asarray(csc[:, in_col].todense()).ravel().astype(cnt.dtype)
            applied = True
            break
        if not applied:
            break
    out = [c for c in chosen if sel[c]]
    out += [int(c) for c in np.flatnonzero(sel) if c not in set(out)]
    return out
