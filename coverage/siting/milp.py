"""The HiGHS interface: a mixed-integer model as arrays, one solve, its status.

:class:`Milp` holds a model in the form HiGHS reads (column costs and bounds,
integrality, a sparse constraint matrix with row bounds); :func:`run_highs`
solves it, or its LP relaxation, and translates HiGHS's model status into the
siting statuses: ``"optimal"`` only when HiGHS proved it (gap 0 within 1e-6
absolute), ``"time_limit"`` when the limit stopped the search, ``"feasible"`` for
a solution stopped short for another reason, ``"infeasible"``.  Any other
outcome raises :class:`~coverage.errors.SolverError`.

:class:`AllocationPairs` names the allocation columns of the capacity-aware
models, so a solution vector can be read back as shares of people served.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.errors import SolverError
from coverage.progress import Progress

__all__ = ["AllocationPairs", "Decode", "Milp", "SolverRun", "StartOf", "is_feasible", "run_highs", "stack_rows"]

#: Reads the chosen site columns back from a solution vector.
Decode = Callable[[npt.NDArray[np.float64]], list[int]]

#: Turns chosen site columns into a feasible start vector for HiGHS.
StartOf = Callable[[Sequence[int]], npt.NDArray[np.float64]]

@dataclass
class Milp:
    """A mixed-integer linear model: ``min/max cost @ x + offset`` s.t. ``row_lower <= A x <= row_upper``.

    Attributes
    ----------
    cost, lower, upper
        Per column: objective coefficient and bounds (``upper`` may be inf).
    integer
        Per column: True for an integer (0/1 here) variable.
    A
        Constraint matrix, rows x columns.
    row_lower, row_upper
        Per row: bounds (-inf / inf for one-sided rows).
    maximize
        Maximise instead of minimise.
    offset
        Constant added to the objective.
    """

    cost: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    integer: npt.NDArray[np.bool_]
    A: sp.csc_matrix
    row_lower: npt.NDArray[np.float64]
    row_upper: npt.NDArray[np.float64]
    maximize: bool = False
    offset: float = 0.0

    @property
    def nnz(self) -> int:
        """Non-zeros of the constraint matrix (the model's size)."""
        return int(self.A.nnz)


@dataclass
class SolverRun:
    """One solve: status (see the module docstring), solution, objective, dual bound, seconds, B&B nodes."""

    status: str
    x: npt.NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    time_s: float
    nodes: int = 0


_BANNER_DONE = False


def _new_highs() -> Any:
    """A silent Highs instance: its one-time banner is discarded (keeps ``--json`` and the terminal clean)."""
    global _BANNER_DONE
    import highspy

    if _BANNER_DONE:
        return highspy.Highs()
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (some GUIs)
        _BANNER_DONE = True
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
    return h


def run_highs(milp: Milp, *, time_limit_s: float, mip_rel_gap: float = 0.0,
               start: npt.NDArray[np.float64] | None = None, progress: Progress | None = None,
               relax: bool = False, threads: int | None = None, label: str = "",
               options: Mapping[str, Any] | None = None) -> SolverRun:
    """Solve ``milp`` (or its LP relaxation) with HiGHS.

    Parameters
    ----------
    milp
        The model.
    time_limit_s
        Wall-clock limit, seconds.
    mip_rel_gap
        Relative gap at which HiGHS may stop; a solution stopped at a positive
        gap is reported "feasible", never "optimal".
    start
        A feasible solution to start from (ignored for the relaxation).
    progress
        Called about twice a second with the incumbent, bound and gap.
    relax
        Solve the LP relaxation (for a bound) instead of the MILP.
    threads
        HiGHS threads (None: HiGHS decides).
    label
        Name of the model in messages.
    options
        Further HiGHS options by name.

    Returns
    -------
    SolverRun
        With ``x`` None when HiGHS found no solution.

    Raises
    ------
    SolverError
        HiGHS rejected the model or stopped with a status that is neither a
        solution, a proof of infeasibility nor a limit.
    """
    import highspy

    if len(milp.cost) == 0:
        # nothing to decide (HiGHS calls such a model "Empty"): feasible iff 0 lies within every row's bounds
        ok = bool(np.all(milp.row_lower <= 1e-9) and np.all(milp.row_upper >= -1e-9))
        return SolverRun(status="optimal" if ok else "infeasible", x=np.zeros(0) if ok else None,
                    objective=float(milp.offset) if ok else None, bound=float(milp.offset) if ok else None,
                    time_s=0.0)
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", int(threads))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    n_col, n_row = len(milp.cost), milp.A.shape[0]
    A = milp.A.tocsc()
    A.sort_indices()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = milp.cost.astype(np.float64)
    lp.col_lower_ = milp.lower.astype(np.float64)
    lp.col_upper_ = milp.upper.astype(np.float64)
    lp.row_lower_ = milp.row_lower.astype(np.float64)
    lp.row_upper_ = milp.row_upper.astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if milp.maximize else highspy.ObjSense.kMinimize
    lp.offset_ = float(milp.offset)
    if not relax and milp.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in milp.integer]
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the {label} model ({n_col} variables, {n_row} rows)")
    if start is not None and not relax:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        h.setSolution(sol)
    t0 = time.perf_counter()
    if progress is not None and not relax:
        last = [0.0]

        def on_event(e: Any) -> None:
            now = time.perf_counter() - t0
            if now - last[0] < 0.5:
                return
            last[0] = now
            out = e.data_out
            try:
                msg = (f"{label}: best {out.mip_primal_bound:.6g}, bound {out.mip_dual_bound:.6g}, "
                       f"gap {out.mip_gap:.2%}, {now:.1f} s")
            except Exception:
                msg = f"{label}: {now:.1f} s"
            progress(min(0.05 + 0.9 * now / max(time_limit_s, 1e-9), 0.95), msg)

        h.cbMipInterrupt.subscribe(on_event)
    h.run()
    elapsed = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    M = highspy.HighsModelStatus
    has_x = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if has_x else None
    if relax:
        bound = obj if ms == M.kOptimal else None
    else:
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if ms == M.kOptimal:
        st = "optimal"
        if not relax and obj is not None and bound is not None and abs(obj - bound) > max(1e-6, 1e-9 * abs(obj)):
            st = "feasible"  # stopped at a user-given gap: not proved
    elif ms == M.kInfeasible:
        st = "infeasible"
    elif ms == M.kTimeLimit:
        st = "time_limit"
    elif ms in (M.kInterrupt, getattr(M, "kHighsInterrupt", M.kInterrupt), M.kIterationLimit, M.kSolutionLimit,
                M.kObjectiveBound, M.kObjectiveTarget, M.kMemoryLimit) and has_x:
        st = "feasible"
    elif ms == M.kUnboundedOrInfeasible:
        st = "infeasible"
    else:
        raise SolverError(f"HiGHS stopped with status '{h.modelStatusToString(ms)}' on the {label} model "
                          f"({n_col} variables, {n_row} rows) after {elapsed:.1f} s")
    nodes = int(getattr(info, "mip_node_count", 0) or 0)
    return SolverRun(status=st, x=x, objective=obj, bound=bound, time_s=elapsed, nodes=max(nodes, 0))


@dataclass(frozen=True)
class AllocationPairs:
    """The (demand, site) pairs of a capacity-aware model: column ``offset + k`` is pair k's share x."""

    demand: npt.NDArray[np.int64]
    site: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    offset: int

    def shares(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Share of each pair's demand weight served, from a solution vector (clipped to 0..1)."""
        return np.clip(np.asarray(x, float)[self.offset:self.offset + len(self.demand)], 0.0, 1.0)


def stack_rows(blocks: list[sp.spmatrix]) -> sp.csc_matrix:
    """Stack row blocks of equal width into one CSC matrix."""
    return sp.vstack(blocks, format="csc")


def is_feasible(milp: Milp, x: npt.NDArray[np.float64]) -> bool:
    """True when ``x`` satisfies the bounds and rows of ``milp`` (tolerance 1e-9 / 1e-6)."""
    if np.any(x < milp.lower - 1e-9) or np.any(x > milp.upper + 1e-9):
        return False
    ax = milp.A @ x
    return bool(np.all(ax >= milp.row_lower - 1e-6) and np.all(ax <= milp.row_upper + 1e-6))

