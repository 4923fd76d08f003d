"""Degree-2 chain contraction: the road graph searched at its junctions and dead ends only.

A node with exactly two neighbours (a bend, or a village street running on into the next) offers no choice of
route: a search need not visit it.  Maximal runs of such nodes are *chains* between two *core* nodes
(junctions and dead ends); a ring without any junction gets its lowest node as core.  Contracted, the Yuxi
demo network keeps a quarter of its nodes, and nearest-facility searches and OD tables run several times
faster with the same results.  Points on a chain reach its two ends along it (:func:`core_offsets`); pairs on
one chain also get the direct route along it (:func:`same_chain_pairs`).

The contraction is array work: components of the pass-through nodes (:func:`scipy.sparse.csgraph.
connected_components`), positions along each chain as hop counts from its first node (one unweighted
search from a virtual node joined to every chain's start), cumulative times by segmented sums.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from coverage.traveltime.compiled import CompiledNetwork, array_build, csr_min
from coverage.traveltime.snap import Snap, in_offsets, out_offsets, pairs_by_key

__all__ = ["Chains", "chain_time", "contract", "core_offsets", "same_chain_pairs"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Chains:
    """The road graph with pass-through nodes contracted.

    ``seq_start[c] + p`` indexes the per-position arrays for position ``p`` of chain ``c`` (0: its first core
    node, ``n_steps[c]``: its last); ``cum_f`` / ``cum_b``: minutes from the chain's first node forwards /
    back to it, ``blk_f`` / ``blk_b``: steps closed that way (oneway) so far.  ``csr`` / ``csr_rev``: the
    contracted graph over the core nodes (``core[k]`` is graph node of core index ``k``; ``core_pos`` the
    inverse, -1 for pass-through nodes).
    """

    core: IntArray
    core_pos: IntArray
    chain_of: IntArray
    pos_of: IntArray
    first: IntArray
    last: IntArray
    n_steps: IntArray
    seq_start: IntArray
    cum_f: FloatArray
    cum_b: FloatArray
    blk_f: IntArray
    blk_b: IntArray
    csr: sp.csr_matrix
    csr_rev: sp.csr_matrix


def contract(net: CompiledNetwork) -> Chains:
    """Contract the pass-through nodes of a compiled network into chains (see the module docstring)."""
    with array_build():
        return _contract(net)


def _contract(net: CompiledNetwork) -> Chains:
    n = net.n_nodes
    coo = net.csr.tocoo()
    # distinct neighbours: the union of the two directions' patterns (a sorted merge, no sort of all edges)
    ones = np.ones(net.csr.nnz, dtype=np.int8)
    und = (sp.csr_matrix((ones, net.csr.indices, net.csr.indptr), shape=(n, n))
           + sp.csr_matrix((ones, net.csr_rev.indices, net.csr_rev.indptr), shape=(n, n)))
    und.sort_indices()
    indptr, indices = und.indptr.astype(np.int64), und.indices.astype(np.int64)
    del und, ones
    deg = np.diff(indptr)
    is_core = deg != 2

    def components(is_core: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_], IntArray]:
        inner = np.flatnonzero(~is_core)
        nb = np.stack([indices[indptr[inner]], indices[indptr[inner] + 1]], axis=1)
        both = ~is_core[nb]  # neighbours that are pass-through too
        counts = np.zeros(n, dtype=np.int64)
        counts[inner] = both.sum(axis=1)
        g_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=g_ptr[1:])
        g_idx = nb.ravel()[both.ravel()]  # rows in node order already: the CSR arrays directly
        g = sp.csr_matrix((np.ones(len(g_idx), dtype=np.int8), g_idx, g_ptr), shape=(n, n))
        label = connected_components(g, directed=False)[1].astype(np.int64)
        return inner, nb, both, label

    inner, nb, both, label = components(is_core)
    touches = ~both.all(axis=1)
    reaches_core = np.zeros(n, dtype=bool)
    reaches_core[label[inner[touches]]] = True
    ring = ~reaches_core[label[inner]]
    if ring.any():  # rings without a junction: their lowest node becomes core
        lowest = np.full(n, n, dtype=np.int64)
        np.minimum.at(lowest, label[inner[ring]], inner[ring])
        is_core[lowest[lowest < n]] = True
        inner, nb, both, label = components(is_core)
        touches = ~both.all(axis=1)

    chain_of = np.full(n, -1, dtype=np.int64)
    pos_of = np.zeros(n, dtype=np.int64)
    if len(inner):
        used = np.zeros(int(label.max()) + 1, dtype=bool)
        used[label[inner]] = True
        n_chain = int(used.sum())
        chain_id = (np.cumsum(used) - 1)[label[inner]]  # components in label order, numbered 0, 1, ...
        start = np.full(n_chain, n, dtype=np.int64)  # the lowest end node of each chain
        np.minimum.at(start, chain_id[touches], inner[touches])
        # positions: hops from a virtual node n joined to every chain's start node
        rows = np.concatenate([np.repeat(inner, 2)[both.ravel()], np.full(n_chain, n)])
        cols = np.concatenate([nb.ravel()[both.ravel()], start])
        g = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
        depth = _chain_depths(g, n, inner, chain_id, n_chain)
        chain_of[inner] = chain_id
        pos_of[inner] = depth
        n_inner = np.bincount(chain_id, minlength=n_chain)
        deepest = depth == n_inner[chain_id]  # positions run 1 .. n_inner along each chain
        end = np.empty(n_chain, dtype=np.int64)
        end[chain_id[deepest]] = inner[deepest]  # the deepest node of each chain
        nb_of = np.full((n, 2), -1, dtype=np.int64)
        nb_of[inner] = nb
        s0, s1 = nb_of[start, 0], nb_of[start, 1]
        e0, e1 = nb_of[end, 0], nb_of[end, 1]
        first = np.where(is_core[s0], s0, s1)
        last = np.where(is_core[e1], e1, e0)
        length = n_inner + 2  # nodes per chain, both ends included
        starts = np.cumsum(length) - length
        seq_a = np.empty(int(length.sum()), dtype=np.int64)
        seq_a[starts] = first
        seq_a[starts + length - 1] = last
        seq_a[starts[chain_id] + depth] = inner
    else:  # no pass-through node: one placeholder chain keeps the lookups simple
        n_chain = 1
        starts = np.array([0], dtype=np.int64)
        length = np.array([2], dtype=np.int64)
        seq_a = np.zeros(2, dtype=np.int64)
    step = np.ones(len(seq_a), dtype=bool)
    step[starts + length - 1] = False  # no step after a chain's last node
    fu, fv = seq_a[:-1][step[:-1]], seq_a[1:][step[:-1]]
    fwd = _lookup(net.csr, fu, fv)
    bwd = _lookup(net.csr, fv, fu)
    # cumulative time (finite steps) and number of closed steps (oneway against) from the chain's start
    cum_f = np.zeros(len(seq_a))
    cum_b = np.zeros(len(seq_a))
    blk_f = np.zeros(len(seq_a), dtype=np.int64)
    blk_b = np.zeros(len(seq_a), dtype=np.int64)
    at = np.flatnonzero(step[:-1]) + 1  # positions reached by a step
    cum_f[at] = np.where(np.isfinite(fwd), fwd, 0.0)
    cum_b[at] = np.where(np.isfinite(bwd), bwd, 0.0)
    blk_f[at] = ~np.isfinite(fwd)
    blk_b[at] = ~np.isfinite(bwd)
    for arr in (cum_f, cum_b, blk_f, blk_b):  # cumulative sums restarting at each chain
        total = np.cumsum(arr)
        arr[:] = total - np.repeat(total[starts] - arr[starts], length)
    core = np.flatnonzero(is_core)
    core_pos = np.full(n, -1, dtype=np.int64)
    core_pos[core] = np.arange(len(core))
    last_at = starts + length - 1
    # core graph: direct core-core edges plus one edge per chain and open direction
    direct = is_core[coo.row] & is_core[coo.col]
    ok_f = blk_f[last_at] == 0
    ok_b = blk_b[last_at] == 0
    if not len(inner):
        ok_f[:] = ok_b[:] = False
    rows = np.concatenate([coo.row[direct], seq_a[starts][ok_f], seq_a[last_at][ok_b]])
    cols = np.concatenate([coo.col[direct], seq_a[last_at][ok_f], seq_a[starts][ok_b]])
    wts = np.concatenate([coo.data[direct], cum_f[last_at][ok_f], cum_b[last_at][ok_b]])
    keep = rows != cols
    rows, cols, wts = core_pos[rows[keep]], core_pos[cols[keep]], wts[keep]
    core_csr = csr_min(rows, cols, wts, len(core))
    logger.debug("contracted %d pass-through nodes into %d chains: %d core nodes", int((chain_of >= 0).sum()),
                 n_chain, len(core))
    return Chains(
        core=core, core_pos=core_pos, chain_of=chain_of, pos_of=pos_of,
        first=seq_a[starts], last=seq_a[last_at], n_steps=length - 1, seq_start=starts,
        cum_f=cum_f, cum_b=cum_b, blk_f=blk_f, blk_b=blk_b,
        csr=core_csr, csr_rev=core_csr.transpose().tocsr(),
    )


def _chain_depths(g: sp.csr_matrix, root: int, inner: IntArray, chain_id: IntArray, n_chain: int) -> IntArray:
    """Hops from ``root`` (joined to every chain's first pass-through node) to each pass-through node.

    One breadth-first search (no heap): it reaches every chain one step per level, so a node's depth is its rank
    among its chain's nodes in the search order (a stable counting sort by chain: no comparison sort).
    """
    order = breadth_first_order(g, root, directed=True, return_predecessors=False)[1:]  # without the root
    pos = np.full(g.shape[0], -1, dtype=np.int64)
    pos[inner] = np.arange(len(inner))
    k = pos[order]  # index into inner of each node, in search order
    cid = chain_id[k]
    m = len(k)
    try:
        from scipy.sparse import _sparsetools

        itype = np.int32 if max(n_chain, m) < 2**31 - 1 else np.int64
        ptr = np.empty(n_chain + 1, dtype=itype)
        perm = np.empty(m, dtype=np.int64)
        _sparsetools.coo_tocsr(n_chain, 1, m, cid.astype(itype), np.zeros(m, dtype=itype),
                               np.arange(m, dtype=np.int64), ptr, np.empty(m, dtype=itype), perm)
        starts = np.repeat(ptr[:-1].astype(np.int64), np.diff(ptr))
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - scipy internals moved
        perm = np.argsort(cid, kind="stable")
        counts = np.bincount(cid, minlength=n_chain)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
    depth = np.empty(len(inner), dtype=np.int64)
    depth[k[perm]] = np.arange(m) - starts + 1
    return depth


def core_offsets(ch: Chains, node: IntArray, t: FloatArray, *, outward: bool
                 ) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Move offsets at graph nodes to the core: a pass-through node becomes its chain's two ends.

    ``outward``: the point travels *from* ``node`` (times node -> end added), else *to* it (end -> node).
    Returns (core index, minutes, core index, minutes); -1 / inf where there is no second end.
    """
    c = ch.chain_of[node]
    inner = c >= 0
    cc = np.where(inner, c, 0)
    i = ch.seq_start[cc] + ch.pos_of[node]
    j = ch.seq_start[cc] + ch.n_steps[cc]
    if outward:  # node -> first end (backwards), node -> last end (forwards)
        t1 = np.where(ch.blk_b[i] == 0, ch.cum_b[i], np.inf)
        t2 = np.where(ch.blk_f[j] == ch.blk_f[i], ch.cum_f[j] - ch.cum_f[i], np.inf)
    else:  # first end -> node, last end -> node
        t1 = np.where(ch.blk_f[i] == 0, ch.cum_f[i], np.inf)
        t2 = np.where(ch.blk_b[j] == ch.blk_b[i], ch.cum_b[j] - ch.cum_b[i], np.inf)
    n1 = np.where(inner, ch.core_pos[ch.first[cc]], ch.core_pos[node])
    n2 = np.where(inner, ch.core_pos[ch.last[cc]], -1)
    w1 = np.where(inner, t + t1, t)
    w2 = np.where(inner, t + t2, np.inf)
    return n1, w1, n2, w2


def segment_positions(net: CompiledNetwork, ch: Chains, edge: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Chain of each road segment (-1: between two core nodes) and the positions of its ends in it."""
    a, b = net.seg_a[edge], net.seg_b[edge]
    c = np.where(ch.chain_of[a] >= 0, ch.chain_of[a], ch.chain_of[b])
    cc = np.where(c >= 0, c, 0)

    def pos(x: IntArray, other: IntArray) -> IntArray:
        other_pos = ch.pos_of[other]
        at_first = (x == ch.first[cc]) & ((ch.first[cc] != ch.last[cc]) | (other_pos == 1))
        return np.where(ch.chain_of[x] >= 0, ch.pos_of[x], np.where(at_first, 0, ch.n_steps[cc]))

    return c, pos(a, b), pos(b, a)


def chain_time(ch: Chains, c: IntArray, p1: IntArray, p2: IntArray) -> FloatArray:
    """Minutes along chain ``c`` from position ``p1`` to ``p2`` (inf against a oneway)."""
    i, j = ch.seq_start[c] + p1, ch.seq_start[c] + p2
    fwd = np.where(ch.blk_f[j] == ch.blk_f[i], ch.cum_f[j] - ch.cum_f[i], np.inf)
    bwd = np.where(ch.blk_b[i] == ch.blk_b[j], ch.cum_b[i] - ch.cum_b[j], np.inf)
    return np.where(p2 >= p1, fwd, bwd)


def same_chain_pairs(net: CompiledNetwork, ch: Chains, so: Snap, sd: Snap) -> tuple[IntArray, IntArray, FloatArray]:
    """Origin/destination pairs on one chain: (origin, destination, minutes) of travel along the chain
    without passing a core node (other routes leave the chain and are found by the search)."""
    co, ao, bo = segment_positions(net, ch, np.where(so.ok, so.edge, 0))
    cd, ad, bd = segment_positions(net, ch, np.where(sd.ok, sd.edge, 0))
    i, j = pairs_by_key(np.where(so.ok, co, -1), np.where(sd.ok, cd, -1))
    if len(i) == 0:
        return i, j, np.empty(0)
    _, to_a, _, to_b = out_offsets(net, so)
    _, from_a, _, from_b = in_offsets(net, sd)
    c = co[i]
    best = np.full(len(i), np.inf)
    for p_o, t_o in ((ao[i], to_a[i]), (bo[i], to_b[i])):
        for p_d, t_d in ((ad[j], from_a[j]), (bd[j], from_b[j])):
            with np.errstate(invalid="ignore"):
                t = t_o + chain_time(ch, c, p_o, p_d) + t_d
            best = np.fmin(best, t)
    keep = np.isfinite(best)
    return i[keep], j[keep], best[keep]


def _lookup(csr: sp.csr_matrix, rows: IntArray, cols: IntArray) -> FloatArray:
    """Weights of the entries (rows, cols) of a CSR matrix with sorted, unique indices; inf where absent."""
    try:  # scipy's compiled per-row search (what its own item assignment uses)
        from scipy.sparse import _sparsetools

        itype = csr.indices.dtype
        offsets = np.empty(len(rows), dtype=itype)
        _sparsetools.csr_sample_offsets(csr.shape[0], csr.shape[1], csr.indptr.astype(itype, copy=False),
                                        csr.indices, len(rows), rows.astype(itype), cols.astype(itype), offsets)
        found = offsets >= 0
        return np.where(found, csr.data[np.where(found, offsets, 0)] if csr.nnz else 0.0, np.inf)
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - scipy internals moved
        pass
    n = csr.shape[1]
    row_of = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))
    keys = row_of * n + csr.indices
    want = rows.astype(np.int64) * n + cols
    at = np.clip(np.searchsorted(keys, want), 0, max(len(keys) - 1, 0))
    found = (keys[at] == want) if len(keys) else np.zeros(len(want), dtype=bool)
    return np.where(found, csr.data[at] if len(keys) else 0.0, np.inf)
