"""Access legs as a small overlay on a shared road matrix: virtual source rows appended to a CSR graph.

Every query starts from points, not nodes: each point becomes a *virtual node* with edges (its access legs)
to up to four road nodes.  Rather than building a new graph per query, the virtual rows are appended to the
compiled CSR arrays of the road graph in one concatenation (no sparse-matrix arithmetic, no format
conversions); :func:`induced_with_sources` does the same on the part of the graph within reach of a block of
sources, cutting the rows and columns straight from the CSR arrays.  :func:`scipy.sparse.csgraph.dijkstra`
then runs from the virtual rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["induced_with_sources", "with_sources"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _source_rows(virtual: IntArray, cols: IntArray, wts: FloatArray, n: int, k: int
                 ) -> tuple[IntArray, FloatArray, IntArray]:
    """Edges of the virtual rows: the fastest per (row, column), finite weights and columns >= 0 only.
    Returns (row counts, weights, columns) sorted by row."""
    valid = np.isfinite(wts) & (cols >= 0)
    key = virtual[valid].astype(np.int64) * n + cols[valid]
    w = wts[valid]
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    if len(key):
        start = np.ones(len(key), dtype=bool)
        start[1:] = key[1:] != key[:-1]
        first = np.flatnonzero(start)
        w = np.minimum.reduceat(w, first)
        key = key[first]
    row, col = np.divmod(key, n)
    return np.bincount(row, minlength=k), w, col


def with_sources(base: sp.csr_matrix, virtual: IntArray, cols: IntArray, wts: FloatArray, *,
                 n_virtual: int | None = None) -> sp.csr_matrix:
    """``base`` plus virtual nodes ``n .. n + n_virtual - 1`` (after its nodes) with edges ``virtual[i] ->
    cols[i]`` of weight ``wts[i]``; of repeated edges the fastest is kept, non-finite weights and negative
    columns are dropped.  The virtual nodes have no incoming edges.

    Parameters
    ----------
    base
        Square CSR matrix of the road graph (minutes), sorted indices.
    virtual, cols, wts
        One entry per access leg: virtual node number (0-based), road node, minutes.
    n_virtual
        Number of virtual nodes (default ``max(virtual) + 1``).
    """
    n = base.shape[0]
    k = n_virtual if n_virtual is not None else (int(virtual.max()) + 1 if len(virtual) else 0)
    counts, w, col = _source_rows(virtual, cols, wts, n, k)
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([base.indices, col]).astype(np.int32)
    data = np.concatenate([base.data, w])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def induced_with_sources(base: sp.csr_matrix, sub: IntArray, pos: IntArray, virtual: IntArray, cols: IntArray,
                         wts: FloatArray, *, n_virtual: int) -> sp.csr_matrix:
    """The sub-graph of ``base`` on the nodes ``sub`` (renumbered ``pos[node]``, -1 outside), plus virtual
    source rows as in :func:`with_sources` (``cols`` in the original numbering)."""
    indptr = base.indptr
    lo = indptr[sub].astype(np.int64)
    cnt = indptr[sub + 1].astype(np.int64) - lo
    entry = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    new_col = pos[base.indices[entry]]
    keep = new_col >= 0
    row = np.repeat(np.arange(len(sub)), cnt)[keep]
    m = len(sub)
    v_counts, w, v_col = _source_rows(virtual, np.where(cols >= 0, pos[np.maximum(cols, 0)], -1), wts, m, n_virtual)
    counts = np.concatenate([np.bincount(row, minlength=m), v_counts])
    out_ptr = np.zeros(m + n_virtual + 1, dtype=np.int32)
    np.cumsum(counts, out=out_ptr[1:])
    indices = np.concatenate([new_col[keep], v_col]).astype(np.int32)
    data = np.concatenate([base.data[entry[keep]], w])
    return sp.csr_matrix((data, indices, out_ptr), shape=(m + n_virtual, m + n_virtual))
