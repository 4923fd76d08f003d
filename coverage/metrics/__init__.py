"""Coverage analysis: standards, travel times per service, coverage by group and
administrative unit, per-unit rules, capacity (nearest allocation and 2SFCA).

Example
-------
>>> from coverage.metrics import analyze, default_standards     # doctest: +SKIP
>>> result = analyze(demand, facilities, standards=default_standards(),
...                  engines={"walk": eng_walk, "car": eng_car}, boundaries=boundaries)  # doctest: +SKIP
>>> result.to_dict()["services"][0]["groups"][0]["share"]       # doctest: +SKIP
"""

from coverage.metrics.accessibility import (
    ServiceTravel,
    counted_facilities,
    nearest_facility,
    od_within,
    service_travel,
    travel_tables,
)
from coverage.metrics.analysis import (
    METRIC_LABELS,
    VERDICTS,
    CoverageResult,
    analyze,
    parse_statuses,
    verdict,
    verdict_label,
    weighted_quantile,
)
from coverage.metrics.capacity import (
    CapacityResult,
    actual_occupancy,
    allocate_nearest,
    capacity_analysis,
    two_step_fca,
)
from coverage.metrics.funeral import funeral_demand
from coverage.metrics.standards import (
    DEFAULT_STANDARDS_PATH,
    VILLAGES,
    FuneralDemand,
    Service,
    Standards,
    UnitRule,
    default_standards,
    group_label,
    load_standards,
    standards_from_dict,
)
from coverage.metrics.standards_tables import (
    save_standards,
    standards_from_tables,
    standards_from_yaml,
    standards_tables,
    standards_to_yaml,
)

__all__ = [
    "DEFAULT_STANDARDS_PATH",
    "METRIC_LABELS",
    "VERDICTS",
    "VILLAGES",
    "CapacityResult",
    "CoverageResult",
    "FuneralDemand",
    "Service",
    "ServiceTravel",
    "Standards",
    "UnitRule",
    "actual_occupancy",
    "allocate_nearest",
    "analyze",
    "capacity_analysis",
    "counted_facilities",
    "default_standards",
    "funeral_demand",
    "group_label",
    "load_standards",
    "nearest_facility",
    "od_within",
    "parse_statuses",
    "save_standards",
    "service_travel",
    "standards_from_dict",
    "standards_from_tables",
    "standards_from_yaml",
    "standards_tables",
    "standards_to_yaml",
    "travel_tables",
    "two_step_fca",
    "verdict",
    "verdict_label",
    "weighted_quantile",
]
