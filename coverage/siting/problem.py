"""A siting problem built from a long OD table, and its reduction.

A :class:`SitingProblem` holds what every siting model needs, as arrays:
demand points (ids, an objective weight and the people by group), sites
(candidate sites and the existing facilities, which are fixed open), and the
reachable (demand, site) pairs with their travel cost (minutes, metres or any
unit: pairs that are absent are unreachable).  It is built once and solved
with several models and thresholds (:func:`coverage.siting.solve`).

Demand ids missing from the OD table are kept: they count as *uncovered*
(nobody reaches them within any threshold), are listed in
``SitingProblem.unreachable_ids`` and logged; p-median, which must assign every
demand point, refuses them with a message naming them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from coverage.errors import InputError, MissingColumnError

__all__ = ["CoverReduction", "SitingProblem", "build_problem", "reduce_cover"]

log = logging.getLogger(__name__)


def _preview(ids: Iterable[object], n: int = 10) -> str:
    ids = list(ids)
    head = ", ".join(str(i) for i in ids[:n])
    return head + (f", ... ({len(ids)} in all)" if len(ids) > n else "")


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """Demand points, sites and reachable pairs, as arrays (read-only).

    Attributes
    ----------
    demand_ids : object array (n,)
        Demand point ids.
    weight : float array (n,)
        Objective weight of each demand point (for several groups: the
        weighted sum of their people).
    groups : DataFrame (n x g)
        People of each group at each demand point (index = demand ids);
        a single column ``"weight"`` when the problem has one weight.
    site_ids : object array (m,)
        Sites: the candidates, then the fixed (existing) sites.
    fixed : bool array (m,)
        Open whatever the model (existing facilities); never counted in ``p``
        nor in costs.
    forced_in : bool array (m,)
        Candidates the planner forces into the solution (counted in ``p``).
    cost : float array (m,)
        Cost of opening each site (for example 万元, 10k yuan); 1 when unknown.
    capacity : float array (m,)
        Capacity (same unit as the weights); NaN = unlimited.
    pair_demand, pair_site : int arrays (k,)
        Row and column of each reachable pair, sorted by demand then cost.
    pair_cost : float array (k,)
        Travel cost of each pair (for example minutes); 0 is a valid cost.
    cost_unit : str
        Unit of ``pair_cost`` for the messages ("min", "m", ...).
    unreachable_ids : list
        Demand ids with no pair at all in the OD table.
    """

    demand_ids: npt.NDArray[np.object_]
    weight: npt.NDArray[np.float64]
    groups: pd.DataFrame
    site_ids: npt.NDArray[np.object_]
    fixed: npt.NDArray[np.bool_]
    forced_in: npt.NDArray[np.bool_]
    cost: npt.NDArray[np.float64]
    capacity: npt.NDArray[np.float64]
    pair_demand: npt.NDArray[np.int64]
    pair_site: npt.NDArray[np.int64]
    pair_cost: npt.NDArray[np.float64]
    cost_unit: str = "min"
    unreachable_ids: list[object] = field(default_factory=list)

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        """Number of sites (candidates and fixed)."""
        return len(self.site_ids)

    @property
    def n_candidates(self) -> int:
        """Number of candidate (not fixed) sites."""
        return int((~self.fixed).sum())

    def cover_matrix(self, threshold: float) -> sp.csr_matrix:
        """Boolean n x m matrix: demand i within ``threshold`` (inclusive) of site j."""
        keep = self.pair_cost <= threshold
        data = np.ones(int(keep.sum()), dtype=np.float64)
        return sp.csr_matrix((data, (self.pair_demand[keep], self.pair_site[keep])),
                             shape=(self.n_demand, self.n_sites))

    def cost_matrix(self, *, fill: float = np.inf) -> npt.NDArray[np.float64]:
        """Dense n x m matrix of travel cost, ``fill`` (default inf) where unreachable."""
        out = np.full((self.n_demand, self.n_sites), fill, dtype=np.float64)
        out[self.pair_demand, self.pair_site] = self.pair_cost
        return out

    def nearest_cost(self, open_sites: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Travel cost from each demand point to its nearest open site (NaN if none reachable)."""
        keep = open_sites[self.pair_site]
        out = np.full(self.n_demand, np.inf)
        np.minimum.at(out, self.pair_demand[keep], self.pair_cost[keep])
        out[np.isinf(out)] = np.nan
        return out

    def site_index(self, ids: Iterable[object], *, what: str = "site") -> npt.NDArray[np.int64]:
        """Positions of site ids; raises :class:`InputError` naming the unknown ones."""
        lookup = {k: i for i, k in enumerate(self.site_ids.tolist())}
        ids = list(ids)
        missing = [i for i in ids if i not in lookup]
        if missing:
            raise InputError(f"{what} ids not among the sites of the OD table: {_preview(missing)}; "
                             "check the ids (they must match the OD table's to_id)")
        return np.array([lookup[i] for i in ids], dtype=np.int64)


def _as_id_array(values: Iterable[object]) -> npt.NDArray[np.object_]:
    vals = list(values)
    arr = np.empty(len(vals), dtype=object)
    arr[:] = vals
    return arr


def _normalise_ids(series: pd.Series) -> pd.Series:
    """Ids compare as strings when the table mixes types (``1`` vs ``"1"`` from CSV)."""
    return series.map(lambda v: str(v).strip() if not isinstance(v, str) else v.strip())


def _finite_number(value: object, what: str) -> float:
    """``value`` as a finite float >= 0, else :class:`InputError` naming ``what``."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} '{value}' is not a number; give a number >= 0") from None
    if v < 0:
        raise InputError(f"{what} {v} is negative; it must be >= 0")
    if not np.isfinite(v):
        raise InputError(f"{what} {value} is not a finite number; give a number >= 0")
    return v


def _weights(values: pd.Series, column: str, ids: pd.Series,
             rows: npt.NDArray[np.int64] | None) -> npt.NDArray[np.float64]:
    """Demand weights as floats; missing, non-numeric, infinite or negative ones raise, naming the id.

    A missing weight is never read as 0: a wrong count of people that looks right
    is worse than an error.
    """
    raw = pd.Series(values.to_numpy(dtype=object), dtype=object)
    num = pd.to_numeric(raw.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce")
    num = num.astype(float).to_numpy()
    problems = [
        (np.isnan(num) & raw.map(lambda v: v is None or (not isinstance(v, str) and bool(pd.isna(v)))
                                 or (isinstance(v, str) and v.strip() == "")).to_numpy(dtype=bool),
         "is empty (NaN/NA)", "give the number of people, 0 if there are none"),
        (np.isnan(num), "is not a number", "give the number of people"),
        (np.isinf(num), "is infinite", "give the number of people"),
        (num < 0, "is negative", "people cannot be negative"),
    ]
    for bad, reason, fix in problems:
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            where = f"row {rows[k]}: " if rows is not None else ""
            raise InputError(f"demand table: {where}id '{ids.iloc[k]}': weight column '{column}' value "
                             f"'{raw.iloc[k]}' {reason} ({int(bad.sum())} such weights in all: "
                             f"{_preview(ids[bad])}); {fix}")
    return num


def build_problem(
    od: pd.DataFrame,
    demand: pd.DataFrame | pd.Series,
    *,
    cost_column: str = "travel_time_min",
    weight_columns: str | Iterable[str] | None = None,
    group_weights: Mapping[str, float] | None = None,
    candidates: Iterable[object] | None = None,
    fixed: Iterable[object] = (),
    forced_in: Iterable[object] = (),
    forced_out: Iterable[object] = (),
    site_cost: Mapping[object, float] | pd.Series | None = None,
    site_capacity: Mapping[object, float] | pd.Series | None = None,
    cost_unit: str = "min",
    source: str = "OD table",
) -> SitingProblem:
    """Build a :class:`SitingProblem` from a long OD table and demand weights.

    Parameters
    ----------
    od
        Long table with ``from_id`` (demand id), ``to_id`` (site id) and
        ``cost_column`` (travel cost, for example minutes).  Pairs that are
        absent, or whose cost is NaN, are unreachable.  A repeated pair keeps
        its smallest cost.
    demand
        Demand table with an ``id`` column and the weight column(s), or a
        Series of weights indexed by demand id.
    cost_column
        Column of ``od`` holding the travel cost.
    weight_columns
        Column(s) of ``demand`` with people by group (default: ``"weight"``).
    group_weights
        Weight of each group in the objective (default 1 each), for example
        ``{"elderly_60plus": 1.0, "left_behind_children": 2.0}``.
    candidates
        Candidate site ids (default: every ``to_id`` not in ``fixed``).
    fixed
        Ids of existing facilities: open in every solution, free, not counted in ``p``.
    forced_in, forced_out
        Candidate ids the planner forces into or out of every solution.
    site_cost
        Cost of each candidate (for example 万元); missing or NaN = 1.
    site_capacity
        Capacity of each site in the unit of the weights; missing or NaN = unlimited.
    cost_unit
        Unit of the travel cost, for messages.
    source
        Name of the OD table (a file name) for messages.

    Returns
    -------
    SitingProblem

    Raises
    ------
    MissingColumnError
        A required column is absent.
    InputError
        Negative travel costs, weights, site costs or capacities; an id both
        forced in and out; forced ids that are not candidates.

    Example
    -------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"from_id": ["a", "b"], "to_id": ["s", "s"], "travel_time_min": [3.0, 9.0]})
    >>> prob = build_problem(od, pd.Series({"a": 10, "b": 5}))
    >>> prob.n_demand, prob.n_sites
    (2, 1)
    """
    for col in ("from_id", "to_id", cost_column):
        if col not in od.columns:
            raise MissingColumnError(f"{source}: column '{col}' is missing (has: {', '.join(map(str, od.columns))});"
                                     " an OD table needs from_id, to_id and a travel cost column")
    # --- demand weights: every weight a finite number >= 0 (a missing weight is an error, not 0)
    if isinstance(demand, pd.Series):
        ids = pd.Series(demand.index, dtype=object)
        raw = {"weight": demand}
        rows = None
    else:
        if "id" not in demand.columns:
            raise MissingColumnError("demand table: column 'id' is missing; every demand point needs an id")
        cols = ["weight"] if weight_columns is None else (
            [weight_columns] if isinstance(weight_columns, str) else list(weight_columns))
        if not cols:
            raise InputError("demand table: give at least one weight column")
        missing = [c for c in cols if c not in demand.columns]
        if missing:
            raise MissingColumnError(f"demand table: weight column(s) {', '.join(map(str, missing))} missing "
                                     f"(has: {', '.join(map(str, demand.columns))})")
        ids = pd.Series(demand["id"].to_numpy(), dtype=object)
        raw = {c: demand[c] for c in cols}
        rows = np.arange(len(demand)) + 2  # as a spreadsheet shows it: header = row 1
    empty_id = ids.map(lambda v: v is None or (not isinstance(v, str) and bool(pd.isna(v)))
                       or str(v).strip() == "").to_numpy(dtype=bool)
    if empty_id.any():
        k = int(np.flatnonzero(empty_id)[0])
        where = f"row {rows[k]}" if rows is not None else f"position {k + 1}"
        raise InputError(f"demand table: {where}: empty id ({int(empty_id.sum())} in all); every demand point"
                         " needs an id")
    if ids.duplicated().any():
        raise InputError(f"demand table: duplicate ids {_preview(ids[ids.duplicated()].unique())}; ids must be unique")
    vals = {c: _weights(v, c, ids, rows) for c, v in raw.items()}
    groups = pd.DataFrame(vals, index=pd.Index(ids.to_numpy(), name="id"))
    gw = dict.fromkeys(groups.columns, 1.0)
    if group_weights:
        unknown = [g for g in group_weights if g not in gw]
        if unknown:
            raise InputError(f"group weights for unknown groups {unknown}; groups are {list(gw)}")
        for g, w in group_weights.items():
            gw[g] = _finite_number(w, f"group weight of '{g}':")
    weight = groups.to_numpy() @ np.array([gw[c] for c in groups.columns])

    # --- OD pairs; ids compare as strings when the two tables disagree on type
    od = od[["from_id", "to_id", cost_column]]
    from_ids, to_ids = od["from_id"], od["to_id"]
    demand_key = ids
    def all_text(values: pd.Series) -> bool:
        return all(isinstance(v, str) for v in values.tolist())   # any dtype, empty included

    if ((not all_text(from_ids) or not all_text(demand_key))
            and not set(from_ids.head(100)).issubset(set(demand_key))):
        from_ids, demand_key = _normalise_ids(from_ids), _normalise_ids(demand_key)
    for col, values in (("from_id", od["from_id"]), ("to_id", od["to_id"])):
        empty = values.map(lambda v: v is None or (not isinstance(v, str) and bool(pd.isna(v)))
                           or str(v).strip() == "").to_numpy(dtype=bool)
        if empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise InputError(f"{source}: row {row + 2}: column '{col}' is empty ({int(empty.sum())} rows in all);"
                             " every pair needs both ids: fill them in or delete the rows")
    raw_cost = od[cost_column]
    cost = pd.to_numeric(raw_cost.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce")
    cost = cost.astype(float).to_numpy()
    bad = np.isnan(cost) & raw_cost.map(lambda v: not (v is None or (not isinstance(v, str) and bool(pd.isna(v)))
                                                      or (isinstance(v, str) and v.strip() == ""))).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{source}: row {row + 2}: column '{cost_column}': '{raw_cost.iloc[row]}' is not a number"
                         f" ({int(bad.sum())} such values in all); give the travel cost, or leave the cell empty"
                         " (or delete the row) for an unreachable pair")
    if np.isinf(cost).any():
        row = int(np.flatnonzero(np.isinf(cost))[0])
        raise InputError(f"{source}: row {row + 2}: {cost_column} = {raw_cost.iloc[row]} is infinite"
                         f" ({int(np.isinf(cost).sum())} in all); leave the cell empty (or delete the row) for an"
                         " unreachable pair")
    if (cost < 0).any():
        row = int(np.flatnonzero(cost < 0)[0])
        raise InputError(f"{source}: row {row + 2}: {cost_column} = {cost[row]} is negative; travel costs must be >= 0"
                         f" ({int((cost < 0).sum())} negative values in all)")
    as_text = _normalise_ids(ids)
    if as_text.duplicated().any():
        raise InputError(f"demand table: ids {_preview(as_text[as_text.duplicated()].unique())} are the same"
                         " once read as text (for example 1 and '1'); ids must be unique")
    # --- sites
    fixed_ids = list(dict.fromkeys(fixed))
    to_unique = list(dict.fromkeys(to_ids.tolist()))
    fixed_set = set(fixed_ids)
    cand_ids = [t for t in to_unique if t not in fixed_set] if candidates is None else list(dict.fromkeys(candidates))
    overlap = fixed_set.intersection(cand_ids)
    if overlap:
        raise InputError(f"ids both existing (fixed) and candidate: {_preview(overlap)}; give each site one role")
    out_set = set(forced_out)
    in_set = set(forced_in)
    both = in_set & out_set
    if both:
        raise InputError(f"candidates both forced in and forced out: {_preview(both)}")
    not_candidates = (in_set | out_set) - set(cand_ids)
    if not_candidates:
        raise InputError(f"forced candidates that are not candidate sites: {_preview(not_candidates)}")
    cand_ids = [c for c in cand_ids if c not in out_set]
    site_list = cand_ids + fixed_ids
    site_pos = {s: k for k, s in enumerate(site_list)}
    n_cand = len(cand_ids)

    def per_site(values: Mapping[object, float] | pd.Series | None, default: float, what: str) -> np.ndarray:
        out = np.full(len(site_list), default, dtype=float)
        if values is None:
            return out
        for k, v in values.items():
            if k in site_pos and v is not None and not (np.isscalar(v) and pd.isna(v)):
                if what == "capacity" and isinstance(v, (int, float, np.integer, np.floating)) and np.isposinf(v):
                    continue  # an infinite capacity is no limit
                out[site_pos[k]] = _finite_number(v, f"site '{k}': {what}")
        return out

    site_cost_arr = per_site(site_cost, 1.0, "cost")
    site_cost_arr[n_cand:] = 0.0
    capacity = per_site(site_capacity, np.nan, "capacity")

    d_pos = pd.Series(np.arange(len(demand_key)), index=pd.Index(demand_key.to_numpy()))
    i = d_pos.reindex(from_ids.to_numpy()).to_numpy()
    j = pd.Series(site_pos, dtype=float).reindex(to_ids.to_numpy()).to_numpy()
    keep = ~np.isnan(i) & ~np.isnan(j) & ~np.isnan(cost)
    n_extra = int(np.isnan(i).sum())
    if n_extra:
        log.info("%s: %d pairs from ids not in the demand table ignored", source, n_extra)
    pairs = pd.DataFrame({"i": i[keep].astype(np.int64), "j": j[keep].astype(np.int64), "c": cost[keep]})
    pairs = pairs.groupby(["i", "j"], sort=False, as_index=False)["c"].min().sort_values(["i", "c", "j"])
    reached = np.zeros(len(ids), dtype=bool)
    reached[pairs["i"].to_numpy()] = True
    unreachable = ids[~reached].tolist()
    if unreachable:
        log.warning("%d demand points have no pair in the %s and count as uncovered: %s",
                    len(unreachable), source, _preview(unreachable))
    forced_mask = np.zeros(len(site_list), dtype=bool)
    forced_mask[[site_pos[c] for c in in_set]] = True
    fixed_mask = np.zeros(len(site_list), dtype=bool)
    fixed_mask[n_cand:] = True
    return SitingProblem(
        demand_ids=_as_id_array(ids.tolist()), weight=weight.astype(float), groups=groups,
        site_ids=_as_id_array(site_list), fixed=fixed_mask, forced_in=forced_mask,
        cost=site_cost_arr, capacity=capacity,
        pair_demand=pairs["i"].to_numpy(np.int64), pair_site=pairs["j"].to_numpy(np.int64),
        pair_cost=pairs["c"].to_numpy(float), cost_unit=cost_unit, unreachable_ids=unreachable,
    )


@dataclass(frozen=True, eq=False)
class CoverReduction:
    """A covering problem reduced to what matters for the solver.

    ``rows`` are classes of demand points with the same set of candidate
    sites within the threshold (and not covered by a fixed site); ``row_weight``
    sums their weights (``row_groups`` by group).  ``cols`` are the candidate
    sites kept (positions in the problem).  ``row_members[r]`` are the demand
    positions of class r.  ``covered_fixed`` marks demand covered by fixed sites.
    """

    matrix: sp.csr_matrix          # classes x kept candidates (0/1)
    cols: npt.NDArray[np.int64]
    row_weight: npt.NDArray[np.float64]
    row_groups: npt.NDArray[np.float64]
    row_of_demand: npt.NDArray[np.int64]  # class of each demand point, -1 if none
    covered_fixed: npt.NDArray[np.bool_]
    n_dominated: int


def reduce_cover(problem: SitingProblem, threshold: float, *, drop_dominated: bool = True,
                 keep_cols: npt.NDArray[np.bool_] | None = None) -> CoverReduction:
    """Merge demand with identical coverage sets and drop dominated candidates.

    Parameters
    ----------
    problem
        The siting problem.
    threshold
        Coverage threshold in the problem's cost unit (inclusive).
    drop_dominated
        Drop candidate j when another candidate k covers a superset of j's
        demand at no more cost (ties keep the first).  Valid for the
        uncapacitated covering models; forced-in candidates are never dropped.
    keep_cols
        Candidates never to drop (besides the forced ones).

    Returns
    -------
    CoverReduction
    """
    A = problem.cover_matrix(threshold).tocsc()
    gvals = problem.groups.to_numpy(dtype=float)
    positive = (problem.weight > 0) | (gvals > 0).any(axis=1)
    covered_fixed = np.asarray(A[:, problem.fixed].sum(axis=1)).ravel() > 0
    cand = np.flatnonzero(~problem.fixed)
    B = A[:, cand].tocsr()
    n_dom = 0
    if drop_dominated and B.shape[1] > 1:
        # only rows that matter: not covered by fixed sites, positive weight
        live = ~covered_fixed & positive
        Bl = B[np.flatnonzero(live)].tocsc()
        size = np.asarray(Bl.sum(axis=0)).ravel()
        inter = (Bl.T @ Bl).tocoo()
        protect = problem.forced_in[cand].copy()
        if keep_cols is not None:
            protect |= keep_cols[cand]
        costs = problem.cost[cand]
        r, c, v = inter.row, inter.col, inter.data
        # j=r dominated by k=c: |N_j ∩ N_k| == |N_j|, cost_k <= cost_j, and (bigger set, cheaper, or earlier tie)
        m = (r != c) & (v >= size[r]) & (costs[c] <= costs[r]) & (
            (size[c] > size[r]) | (costs[c] < costs[r]) | (c < r))
        dominated = np.zeros(len(cand), dtype=bool)
        dominated[np.unique(r[m])] = True
        # empty columns (cover nothing live) are dominated too
        dominated |= size == 0
        # a dominated column may be dominated only by dominated ones in a chain of ties: the c<r tie-break and
        # strict order make the relation acyclic, so every chain ends at a kept column.
        dominated &= ~protect
        n_dom = int(dominated.sum())
        cand = cand[~dominated]
        B = B[:, np.flatnonzero(~dominated)]
    B = B.tocsr()
    B.sort_indices()
    live = ~covered_fixed & positive & (np.diff(B.indptr) > 0)
    # group identical rows by hashing their column pattern
    row_of_demand = np.full(problem.n_demand, -1, dtype=np.int64)
    live_idx = np.flatnonzero(live)
    if len(live_idx):
        keys = [B.indices[B.indptr[i]:B.indptr[i + 1]].tobytes() for i in live_idx]
        codes = pd.factorize(pd.Series(keys))[0]
        row_of_demand[live_idx] = codes
        n_rows = int(codes.max()) + 1
        rep = np.zeros(n_rows, dtype=np.int64)
        rep[codes[::-1]] = live_idx[::-1]
        matrix = B[rep]
    else:
        n_rows = 0
        matrix = sp.csr_matrix((0, B.shape[1]))
    row_weight = np.zeros(n_rows)
    row_groups = np.zeros((n_rows, gvals.shape[1]))
    if n_rows:
        np.add.at(row_weight, row_of_demand[live_idx], problem.weight[live_idx])
        np.add.at(row_groups, row_of_demand[live_idx], gvals[live_idx])
    log.debug("cover reduction: %d demand -> %d classes, %d candidates -> %d (%d dominated)",
              problem.n_demand, n_rows, problem.n_candidates, len(cand), n_dom)
    return CoverReduction(matrix=matrix.tocsr(), cols=cand.astype(np.int64), row_weight=row_weight,
                          row_groups=row_groups, row_of_demand=row_of_demand, covered_fixed=covered_fixed,
                          n_dominated=n_dom)
