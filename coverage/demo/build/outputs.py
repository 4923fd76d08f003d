"""Writing a built region: the point tables, boundaries, road arrays and ``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from coverage.demo.build.calibration import BED_INSTITUTION_TYPES
from coverage.demo.build.road_network import RoadArrays
from coverage.demo.build.settlements import Settlements
from coverage.demo.regions import RegionSpec
from coverage.demo.roads import HIGHWAY_CLASSES, save_roads


def point_table(
    df: pd.DataFrame, v: pd.DataFrame, names: dict[str, str], to_ll: Transformer, id_prefix: str
) -> pd.DataFrame:
    """Facilities or candidate sites as stored: ``id`` (prefix + ``seq`` + 1), the host village's codes
    and names, WGS-84 ``lon``/``lat`` rounded to 1e-6 degrees."""
    hv = v.iloc[df["host"].to_numpy()].reset_index(drop=True)
    seq = df["seq"].to_numpy() if "seq" in df.columns else np.arange(len(df))
    out = df.drop(columns=[c for c in ("host", "x", "y", "seq") if c in df.columns]).reset_index(drop=True)
    out.insert(0, "id", [f"{id_prefix}{int(i) + 1:05d}" for i in seq])
    for col in ("county_code", "township_code", "village_code", "village_name"):
        out[col] = hv[col].to_numpy()
    out["county_name"] = out["county_code"].map(names)
    out["township_name"] = out["township_code"].map(names)
    lon, lat = to_ll.transform(df["x"].to_numpy(), df["y"].to_numpy())
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out


def code12(code: str) -> str:
    """A division code padded to the 12-digit form (county 530402 -> 530402000000)."""
    return str(code).ljust(12, "0")



def write_region(
    spec: RegionSpec,
    st: Settlements,
    fac: pd.DataFrame,
    cand: pd.DataFrame,
    arrays: RoadArrays,
    out_dir: Path,
) -> dict[str, object]:
    """Write ``villages.csv``, ``facilities.csv``, ``candidates.csv``, ``boundaries.geojson``,
    ``roads.npz`` and ``summary.json`` into ``out_dir``; returns the summary.

    Parameters
    ----------
    spec
        The region.
    st
        The first stage's settlements.
    fac, cand
        Facilities and candidate sites (metric ``x``, ``y`` and the ``host`` village's row).
    arrays
        The road network as stored.
    out_dir
        An existing folder.
    """
    key = spec.key
    counties, towns, names, bounds, pl, v = st.counties, st.towns, st.names, st.bounds, st.places, st.villages
    vills = v
    to_ll = Transformer.from_crs(f"EPSG:{spec.utm_epsg}", "EPSG:4326", always_xy=True)

    # demand
    lon, lat = to_ll.transform(v["x"].to_numpy(), v["y"].to_numpy())
    demand = pd.DataFrame(
        {
            "id": v["village_code"],
            "name": v["village_name"],
            "county_code": v["county_code"],
            "county_name": v["county_code"].map(names),
            "township_code": v["township_code"],
            "township_name": v["township_code"].map(names),
            "village_code": v["village_code"],
            "village_name": v["village_name"],
            **{
                c: v[c]
                for c in (
                    "population",
                    "elderly_60plus",
                    "elderly_80plus",
                    "disabled_elderly",
                    "left_behind_elderly",
                    "dispersed_poor",
                    "left_behind_children",
                    "children_in_difficulty",
                )
            },
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
        }
    )
    facilities = point_table(fac, v, names, to_ll, f"F{spec.code[:4]}")
    candidates = point_table(cand, v, names, to_ll, f"C{spec.code[:4]}")
    for table, fname in (
        (demand, "villages.csv"),
        (facilities, "facilities.csv"),
        (candidates, "candidates.csv"),
    ):
        for col in ("county_code", "township_code"):
            table[col] = table[col].map(code12)
        table.to_csv(out_dir / fname, index=False)

    # boundaries: prefecture and counties real, townships simulated
    rows = [
        {
            "level": "prefecture",
            "code": code12(spec.code),
            "name": spec.name_zh,
            "parent_code": code12(spec.code[:2]),
            "geometry": bounds.set_index("code").geometry[spec.code],
        }
    ]
    for r in counties.itertuples():
        rows.append(
            {
                "level": "county",
                "code": code12(r.county_code),
                "name": r.county_name,
                "parent_code": code12(spec.code),
                "geometry": bounds.set_index("code").geometry[r.county_code],
            }
        )
    tpolys = gpd.GeoSeries(list(pl.township_polys.values()), index=list(pl.township_polys), crs=spec.utm_epsg)
    tpolys = tpolys.to_crs("EPSG:4326")
    for r in towns.itertuples():
        rows.append(
            {
                "level": "township",
                "code": code12(r.township_code),
                "name": r.township_name,
                "parent_code": code12(r.county_code),
                "geometry": tpolys[r.township_code],
            }
        )
    bgdf = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    geoms = shapely.set_precision(bgdf.geometry.to_numpy(), 1e-7)
    bgdf["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms]
    bgdf.to_file(out_dir / "boundaries.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)

    save_roads(
        out_dir / "roads.npz",
        arrays["node_lonlat"],
        arrays["edges"],
        arrays["length_m"],
        arrays["maxspeed_kph"],
    )
    summary: dict[str, object] = {
        "region": key,
        "counties": len(counties),
        "townships": len(towns),
        "villages": len(vills),
        "population": int(demand["population"].sum()),
        **{
            f"total_{c}": int(demand[c].sum())
            for c in (
                "elderly_60plus",
                "elderly_80plus",
                "disabled_elderly",
                "left_behind_elderly",
                "dispersed_poor",
                "left_behind_children",
                "children_in_difficulty",
            )
        },
        "facilities_by_type": {k: int(n) for k, n in facilities["type"].value_counts().sort_index().items()},
        "bed_institutions": int(facilities["type"].isin(BED_INSTITUTION_TYPES).sum()),
        "bed_institution_beds": int(facilities.loc[facilities["type"].isin(BED_INSTITUTION_TYPES), "capacity"].sum()),
        "bed_institution_residents": int(facilities["residents"].sum()) if "residents" in facilities.columns else None,
        "candidates_by_kind": {k: int(n) for k, n in candidates["kind"].value_counts().sort_index().items()},
        "road_nodes": len(arrays["node_lonlat"]),
        "road_edges_undirected": len(arrays["edges"]),
        "road_km": round(float(arrays["length_m"].sum()) / 1000, 1),
        "road_km_by_class": {
            HIGHWAY_CLASSES[c]: round(float(arrays["length_m"][arrays["edges"][:, 2] == c].sum()) / 1000, 1)
            for c in range(len(HIGHWAY_CLASSES))
        },
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary

