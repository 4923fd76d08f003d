"""The data model: canonical column names of the library's tables.

Every loader returns these columns (whatever the user's headers were), in
WGS-84 (EPSG:4326) with Point or Polygon geometries; every later stage reads
them.  See README.md, "Data model", for the meaning of each column.
"""

from __future__ import annotations

from coverage.taxonomy import HOST_SEPARATOR, POPULATION_GROUPS

__all__ = [
    "ADMIN_COLUMNS",
    "BOUNDARY_COLUMNS",
    "CANDIDATE_COLUMNS",
    "COLUMN_LABELS",
    "DEMAND_COLUMNS",
    "FACILITY_COLUMNS",
    "HOST_SEPARATOR",
    "POPULATION_COLUMNS",
    "WGS84",
]

#: The CRS of every table the loaders return.
WGS84 = "EPSG:4326"

#: Administrative codes (12-digit statistical division codes; the first 6 are the
#: county adcode) and names, optional on every point layer.
ADMIN_COLUMNS: tuple[str, ...] = (
    "county_code", "county_name", "township_code", "township_name", "village_code", "village_name",
)

#: Population columns of a demand table (non-negative integers; missing groups are 0).
POPULATION_COLUMNS: tuple[str, ...] = tuple(POPULATION_GROUPS)

#: Demand points: a village / community (or finer) with its people by group.
DEMAND_COLUMNS: tuple[str, ...] = ("id", "name", *ADMIN_COLUMNS, *POPULATION_COLUMNS, "geometry")

#: Facilities: ``type`` is a key of ``taxonomy.FACILITY_TYPES``; ``capacity`` is a
#: non-negative number in ``capacity_unit`` ("beds", "places", "plots" or empty);
#: ``status`` is "existing", "planned" or "proposed".
FACILITY_COLUMNS: tuple[str, ...] = (
    "id", "name", "type", "capacity", "capacity_unit", "status", *ADMIN_COLUMNS, "geometry",
)

#: Candidate sites: ``kind`` is a key of ``taxonomy.CANDIDATE_KINDS``; ``can_host``
#: lists facility-type keys joined by :data:`HOST_SEPARATOR` (defined in
#: :mod:`coverage.taxonomy`, re-exported here); ``cost_10k_yuan``
#: (万元) and ``capacity`` are optional (NaN when unknown).
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "id", "name", "kind", "can_host", "cost_10k_yuan", "capacity", *ADMIN_COLUMNS, "geometry",
)

#: Administrative boundaries: ``level`` is "county", "township" or "village";
#: ``parent_code`` is the code of the unit one level up.
BOUNDARY_COLUMNS: tuple[str, ...] = ("level", "code", "name", "parent_code", "geometry")

#: Chinese and English header of every canonical column, as written in the
#: templates and exports (population columns take their labels from the taxonomy).
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "county_code": ("县级代码", "County code"),
    "county_name": ("县(市、区)", "County"),
    "township_code": ("乡镇代码", "Township code"),
    "township_name": ("乡(镇、街道)", "Township"),
    "village_code": ("村级代码", "Village code"),
    "village_name": ("村(社区)", "Village / community"),
    **{key: (g.zh, g.en) for key, g in POPULATION_GROUPS.items()},
    "type": ("类型", "Type"),
    "capacity": ("容量", "Capacity"),
    "capacity_unit": ("容量单位", "Capacity unit"),
    "residents": ("在院人数", "Residents"),
    "status": ("状态", "Status"),
    "kind": ("类别", "Kind"),
    "can_host": ("可设设施类型", "Can host"),
    "cost_10k_yuan": ("估算投资(万元)", "Cost (10k yuan)"),
    "level": ("层级", "Level"),
    "code": ("区划代码", "Code"),
    "parent_code": ("上级代码", "Parent code"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
}
