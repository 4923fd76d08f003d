"""Load and validate planners' files; convert Chinese coordinate systems to WGS-84.

Public API::

    from coverage.inputs import (load_demand, load_facilities, load_candidates, load_boundaries,
                                 LoadResult, ValidationReport, Problem)
    from coverage.inputs.crs import gcj02_to_wgs84, wgs84_to_gcj02, bd09_to_wgs84, ...

Example
-------
>>> from coverage.inputs import load_demand
>>> res = load_demand("tests/data/demand_cn.xlsx", crs="gcj02")
>>> res.crs_assumed
'GCJ-02 (Amap/Tencent) -> WGS-84'
"""

from coverage.inputs.loaders import LoadResult, load_boundaries, load_candidates, load_demand, load_facilities
from coverage.inputs.validate import Problem, ValidationReport

__all__ = [
    "LoadResult",
    "Problem",
    "ValidationReport",
    "load_boundaries",
    "load_candidates",
    "load_demand",
    "load_facilities",
]
