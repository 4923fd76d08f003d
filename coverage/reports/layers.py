"""Result exports: coverage, gaps and sites as Excel sheets and GIS layers.

One set of tables, written three ways: an Excel workbook (one sheet per table,
headers in Chinese or English), a GeoPackage (one layer per table, EPSG:4326) or
GeoJSON files (one per layer).  The attributes are the same columns the workbook
shows, so a planner finds the same figures in QGIS/ArcGIS as in Excel.

Layers (those that have data are written):

``villages``        per village: people by group, nearest counted facility, travel time, covered
``townships``       per township: covered / total people, share, target, passed (polygons when
                    the boundaries are known, else a table without geometry)
``counties``        the same per county
``uncovered``       uncovered villages, most uncovered people first
``proposed_sites``  the sites a proposal suggests, with their explanation
``accepted_sites``  the sites the planner accepted (the current scenario)
``service_areas``   areas reached within the threshold from the counted facilities

Example
-------
>>> layers = result_layers(result, "elderly_15min", boundaries=ds.boundaries)   # doctest: +SKIP
>>> write_layers(layers, "覆盖结果.gpkg"); write_layers(layers, "覆盖结果.xlsx")   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from coverage.errors import InputError

__all__ = ["LAYER_NAMES", "result_layers", "write_layers"]

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"

#: Layer keys in the order written, with their sheet names (zh, en).
LAYER_NAMES: dict[str, tuple[str, str]] = {
    "villages": ("村（社区）覆盖", "Villages"),
    "townships": ("乡镇覆盖", "Townships"),
    "counties": ("县（市、区）覆盖", "Counties"),
    "uncovered": ("未覆盖村（社区）", "Uncovered villages"),
    "proposed_sites": ("拟建站点", "Proposed sites"),
    "accepted_sites": ("已采纳站点", "Accepted sites"),
    "service_areas": ("服务范围", "Service areas"),
    "funeral_demand": ("殡葬需求", "Funeral demand"),
}

#: Village-table columns exported (those present), before the per-group people columns.
_VILLAGE_COLUMNS = ("id", "name", "county_name", "township_name", "village_code", "travel_time_min",
                    "facility_name", "facility_type", "covered")
_UNIT_COLUMNS = ("code", "name", "parent_code", "group", "covered_people", "total_people", "uncovered_people",
                 "share", "target_share", "passed", "villages_total", "uncovered_villages")
_SITE_DROP = ("lon", "lat", "new_point_ids")


def _units(result: Any, service: str, level: str, boundaries: gpd.GeoDataFrame | None) -> pd.DataFrame | None:
    by = result.by_unit
    rows = by.loc[(by["service"] == service) & (by["level"] == level)]
    if not len(rows):
        return None
    table = rows[[c for c in _UNIT_COLUMNS if c in rows.columns]].reset_index(drop=True)
    if boundaries is not None and len(boundaries) and "code" in boundaries.columns:
        polys = boundaries.loc[boundaries["level"] == level, ["code", "geometry"]].drop_duplicates("code")
        if len(polys):
            merged = table.merge(polys, on="code", how="left")
            return gpd.GeoDataFrame(merged, geometry="geometry", crs=boundaries.crs or WGS84).to_crs(WGS84)
    return table


def _points(table: Any) -> gpd.GeoDataFrame | pd.DataFrame:
    if isinstance(table, gpd.GeoDataFrame):
        return table.to_crs(WGS84) if table.crs is not None else table.set_crs(WGS84)
    return table


def result_layers(result: Any, service: str, *, boundaries: gpd.GeoDataFrame | None = None,
                  proposed_sites: gpd.GeoDataFrame | None = None,
                  accepted_sites: gpd.GeoDataFrame | None = None,
                  service_areas: gpd.GeoDataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The export tables of one service of a coverage result.

    Parameters
    ----------
    result
        A :class:`coverage.metrics.CoverageResult`.
    service
        Service key of its standards, e.g. ``"elderly_15min"``.
    boundaries
        Administrative units (canonical boundaries table): township and county rows get
        their polygons.
    proposed_sites, accepted_sites
        Point tables of sites (a proposal's ``sites``; :func:`coverage.scenario.sites_frame`).
    service_areas
        Areas reached within the threshold (``threshold_min, geometry``).

    Returns
    -------
    dict
        ``layer key -> (Geo)DataFrame`` in :data:`LAYER_NAMES` order, canonical column
        names, EPSG:4326; empty tables are left out.

    Raises
    ------
    KeyError
        ``service`` is not a service of the result's standards (message lists them).
    """
    svc = result.standards.service(service)
    villages = result.village_table(service)
    groups = [g for g in svc.groups if g in villages.columns]
    keep = [c for c in _VILLAGE_COLUMNS if c in villages.columns]
    extra = [c for g in groups for c in (g, f"uncovered_{g}") if c in villages.columns]
    geometry = ["geometry"] if "geometry" in villages.columns else []
    layers: dict[str, pd.DataFrame] = {"villages": _points(villages[keep + extra + geometry].reset_index(drop=True))}
    for level, key in (("township", "townships"), ("county", "counties")):
        units = _units(result, service, level, boundaries)
        if units is not None:
            layers[key] = units
    unc = result.uncovered_villages(service)
    if len(unc):
        if geometry:
            geo = villages.drop_duplicates("id").set_index("id")["geometry"]
            unc = gpd.GeoDataFrame(unc.reset_index(drop=True), geometry=geo.reindex(unc["id"]).to_numpy(),
                                   crs=villages.crs or WGS84)
        layers["uncovered"] = _points(unc)
    for key, sites in (("proposed_sites", proposed_sites), ("accepted_sites", accepted_sites)):
        if sites is not None and len(sites):
            table = sites.drop(columns=[c for c in _SITE_DROP if c in sites.columns])
            layers[key] = _points(table.reset_index(drop=True))
    if service_areas is not None and len(service_areas):
        layers["service_areas"] = _points(service_areas.reset_index(drop=True))
    # Funeral demand is region-wide (not per service) with a region total row: a plain table by county
    # (non-spatial layer in a GeoPackage, joinable on county_code), not columns on the per-service counties layer.
    funeral = getattr(result, "funeral", None)
    if funeral is not None and len(funeral):
        layers["funeral_demand"] = pd.DataFrame(funeral).reset_index(drop=True)
    return layers


def _worded(key: str, table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The funeral table's region row says 合计 / Total in the county-code column, never the key "all"."""
    if key != "funeral_demand" or "county_code" not in table.columns:
        return table
    out = table.copy()
    out["county_code"] = out["county_code"].replace("all", "合计" if lang == "zh" else "Total")
    return out


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Lists, tuples, dicts and sets become text: neither Excel nor GIS formats hold them."""
    out = table.copy()
    for col in out.columns:
        if col == "geometry" or out[col].dtype.kind in "biufcM":
            continue
        values = out[col]
        if values.map(lambda v: isinstance(v, (list, tuple, set, dict))).any():
            out[col] = values.map(lambda v: "；".join(map(str, v)) if isinstance(v, (list, tuple, set))
                                  else (str(v) if isinstance(v, dict) else v))
    return out


def _headed(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    from coverage.views import translate_table

    geom = table.geometry.name if isinstance(table, gpd.GeoDataFrame) else None
    plain = _plain(pd.DataFrame(table.drop(columns=[geom]) if geom else table))
    if "service" in plain.columns and plain["service"].nunique() <= 1:
        plain = plain.drop(columns=["service"])
    shown = translate_table(plain, lang=lang)
    if geom:
        return gpd.GeoDataFrame(shown, geometry=table.geometry.to_numpy(), crs=table.crs)
    return shown


def write_layers(layers: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str = "zh",
                 simulated: bool = False, source: str = "") -> Path:
    """Write export tables as ``.xlsx`` (sheets), ``.gpkg`` (layers) or ``.geojson`` (one file each).

    Parameters
    ----------
    layers
        From :func:`result_layers`.
    path
        Output file; its suffix chooses the format.  For ``.geojson`` each layer is written
        beside it as ``<stem>_<layer>.geojson`` (tables without geometry are skipped there,
        with a log line).
    lang
        Headers and vocabulary in ``"zh"`` (default) or ``"en"``.
    simulated
        Demo data: the workbook's 说明 sheet and every layer carry the simulated mark.
    source
        Data source line for the 说明 sheet.

    Returns
    -------
    pathlib.Path
        The file written (for GeoJSON: the folder).

    Raises
    ------
    InputError
        An unknown suffix, or nothing to write.
    OSError
        The file cannot be written.
    """
    from coverage.output import output_path, safe_frame

    out = output_path(path, suffixes=(".xlsx", ".gpkg", ".geojson"),
                      problem="exports are written as .xlsx, .gpkg or .geojson")
    if not layers:
        raise InputError(f"{out}: nothing to export (no coverage result) / 没有可导出的结果")
    i = 0 if lang == "zh" else 1
    mark = ("示例数据（模拟）", "Demo data (simulated)")[i] if simulated else ""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        from coverage.reports.excel import MINUTES_COLUMNS, PERCENT_COLUMNS, about_sheet, table_sheet
        from coverage.views import column_labels

        wb = Workbook()
        wb.remove(wb.active)
        listed = ("、", ", ")[i].join(LAYER_NAMES[k][i] for k in layers if k in LAYER_NAMES)
        about_sheet(wb, source=source, simulated=simulated, lang=lang, rows=[(("图层", "Layers")[i], listed)])
        for key, table in layers.items():
            table = _worded(key, table, lang)
            labels = column_labels([c for c in table.columns if c != "geometry"], lang=lang)
            formats = {labels[c]: "0.0%" for c in table.columns if c in PERCENT_COLUMNS}
            formats |= {labels[c]: "0.0" for c in table.columns if c in MINUTES_COLUMNS}
            shown = pd.DataFrame(_headed(table, lang))
            if "geometry" in shown.columns:
                shown = shown.drop(columns=["geometry"])
            if isinstance(table, gpd.GeoDataFrame) and table.geom_type.eq("Point").all() and len(table):
                shown.insert(len(shown.columns), ("经度", "Longitude")[i], table.geometry.x.round(6).to_numpy())
                shown.insert(len(shown.columns), ("纬度", "Latitude")[i], table.geometry.y.round(6).to_numpy())
            table_sheet(wb, LAYER_NAMES.get(key, (key, key))[i], safe_frame(shown), formats=formats, lang=lang)
        wb.properties.creator = "coverage-planner"
        wb.save(out)
        return out
    written = 0
    if suffix == ".gpkg" and out.exists():
        out.unlink()
    for key, table in layers.items():
        table = _worded(key, table, lang)
        if not isinstance(table, gpd.GeoDataFrame):
            if suffix == ".geojson":
                logger.info("%s: layer %s has no geometry; not written as GeoJSON (it is in the .xlsx/.gpkg)",
                            out, key)
                continue
            shown = pd.DataFrame(_headed(table, lang))
            if mark:
                shown[("备注", "Note")[i]] = mark
            import pyogrio

            pyogrio.write_dataframe(shown, out, layer=key, driver="GPKG")
            written += 1
            continue
        shown = _headed(table, lang)
        if mark:
            shown[("备注", "Note")[i]] = mark
        if suffix == ".gpkg":
            shown.to_file(out, layer=key, driver="GPKG", engine="pyogrio")
        else:
            target = out.with_name(f"{out.stem}_{key}.geojson")
            shown.to_file(target, driver="GeoJSON", engine="pyogrio")
        written += 1
    if not written:
        raise InputError(f"{out}: no layer with geometry to write / 没有带几何的图层可写出")
    return out
