"""The siting models as HiGHS matrices, one module per family.

* :mod:`~coverage.siting.models.covering`: LSCP, partial covering ("target", with
  per-unit rules) and MCLP, on the reduced covering matrix;
* :mod:`~coverage.siting.models.pmedian`: the p-median radius formulation, its
  heuristic start and Lagrangian bound;
* :mod:`~coverage.siting.models.capacity`: the capacity-aware variants of MCLP,
  target and p-median.

Each builder returns a :class:`~coverage.siting.milp.Milp` and a function that
reads the chosen sites back from a solution; :func:`coverage.siting.solve` picks
the builder, runs HiGHS and assembles the result.
"""
