"""Load and validate demand points, facilities, candidate sites and boundaries.

Each ``load_*`` reads a planner's file (or a DataFrame), matches the headers
to the canonical columns of :mod:`coverage.model`, converts the coordinates to
WGS-84, validates every row, and returns a :class:`LoadResult`: the valid rows
as a GeoDataFrame in EPSG:4326, and a :class:`~coverage.inputs.validate.ValidationReport`
listing every rejected row and every doubt with file, row (as Excel shows it),
column, value, reason and fix.  Nothing is dropped silently; ``strict=True``
raises :class:`~coverage.errors.ValidationError` instead of rejecting rows.

Validation is vectorised (no Python loop over rows except to describe the rows
that have a problem), so 20,000 rows load in well under a second or two.

One module per kind of table, over the shared machinery:

- :mod:`~coverage.inputs.loaders.demand`, :mod:`~coverage.inputs.loaders.facilities`,
  :mod:`~coverage.inputs.loaders.candidates`, :mod:`~coverage.inputs.loaders.boundaries`:
  the four ``load_*`` functions;
- :mod:`~coverage.inputs.loaders.common`: :class:`LoadResult`, the limits and the
  table-level part of a load (report, ids, names, codes, numbers, result);
- :mod:`~coverage.inputs.loaders.points`: coordinates (read, converted to WGS-84,
  checked);
- :mod:`~coverage.inputs.loaders.cells`: text cells to numbers, codes and categories.

Example
-------
>>> result = load_demand("村庄名单.xlsx", crs="gcj02")  # doctest: +SKIP
>>> result.crs_assumed  # doctest: +SKIP
'GCJ-02 (Amap/Tencent) -> WGS-84'
>>> print(result.report.summary())  # doctest: +SKIP
"""

from coverage.inputs.loaders.boundaries import load_boundaries
from coverage.inputs.loaders.candidates import load_candidates
from coverage.inputs.loaders.common import MAX_CAPACITY, MAX_COST_10K_YUAN, REGION_TOLERANCE_KM, LoadResult
from coverage.inputs.loaders.demand import MAX_PEOPLE_PER_POINT, load_demand
from coverage.inputs.loaders.facilities import load_facilities

__all__ = [
    "MAX_CAPACITY",
    "MAX_COST_10K_YUAN",
    "MAX_PEOPLE_PER_POINT",
    "REGION_TOLERANCE_KM",
    "LoadResult",
    "load_boundaries",
    "load_candidates",
    "load_demand",
    "load_facilities",
]
