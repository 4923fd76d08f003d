"""Readers for published benchmark instances (OR-Library p-median) and matrix helpers.

Used by the tests and ``benchmarks/siting.py`` to check the solvers against
published optima; also handy for an analyst who has a dense cost matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from coverage.errors import FileReadError

__all__ = ["matrix_to_od", "read_orlib_pmed"]


def read_orlib_pmed(path: str | Path) -> tuple[npt.NDArray[np.float64], int]:
    """Read an OR-Library p-median instance (pmed1..pmed40) as a distance matrix.

    As the OR-Library notes say: start from infinity (0 on the diagonal), read
    the edges in turn setting c(i, j) = c(j, i) = cost, so a repeated edge keeps
    its *last* cost; then all-pairs shortest paths (scipy's Dijkstra).

    Parameters
    ----------
    path
        The instance file: first line ``n m p``, then ``m`` lines ``i j cost`` (1-based).

    Returns
    -------
    (distance, p)
        The n x n shortest-path distance matrix (vertex k is row/column k-1) and p.

    Raises
    ------
    FileReadError
        The file is missing or not in the format above.
    """
    path = Path(path)
    try:
        raw = np.loadtxt(path, dtype=np.int64, ndmin=2, max_rows=None, usecols=(0, 1, 2), skiprows=1)
        with open(path, encoding="ascii") as f:
            n, m, p = (int(v) for v in f.readline().split()[:3])
    except (OSError, ValueError) as exc:
        raise FileReadError(f"{path}: cannot read an OR-Library p-median instance ({exc})") from exc
    if len(raw) != m:
        raise FileReadError(f"{path}: the header says {m} edges but the file has {len(raw)}")
    # last cost wins for a repeated edge: keep the last occurrence of each unordered pair
    a, b = np.minimum(raw[:, 0], raw[:, 1]) - 1, np.maximum(raw[:, 0], raw[:, 1]) - 1
    edges = pd.DataFrame({"a": a, "b": b, "c": raw[:, 2]}).drop_duplicates(["a", "b"], keep="last")
    edges = edges[edges["a"] != edges["b"]]
    graph = sp.csr_matrix((edges["c"].to_numpy(float), (edges["a"].to_numpy(), edges["b"].to_numpy())), shape=(n, n))
    return shortest_path(graph, method="D", directed=False), p


def matrix_to_od(cost: npt.NDArray[np.float64], *, from_ids: npt.ArrayLike | None = None,
                 to_ids: npt.ArrayLike | None = None, cutoff: float | None = None,
                 cost_column: str = "travel_time_min") -> pd.DataFrame:
    """A dense cost matrix as a long OD table (``inf``/NaN and pairs beyond ``cutoff`` absent).

    Parameters
    ----------
    cost
        Rows (origins) x columns (destinations).
    from_ids, to_ids
        Ids of rows and columns (default 0..n-1, 0..m-1).
    cutoff
        Drop pairs with cost above this (inclusive keeps).
    cost_column
        Name of the cost column.

    Returns
    -------
    DataFrame
        ``from_id, to_id, <cost_column>``.
    """
    cost = np.asarray(cost, dtype=float)
    keep = np.isfinite(cost)
    if cutoff is not None:
        keep &= cost <= cutoff
    i, j = np.nonzero(keep)
    fi = np.arange(cost.shape[0]) if from_ids is None else np.asarray(from_ids)
    tj = np.arange(cost.shape[1]) if to_ids is None else np.asarray(to_ids)
    return pd.DataFrame({"from_id": fi[i], "to_id": tj[j], cost_column: cost[i, j]})
