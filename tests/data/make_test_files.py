"""Write the small real input files the tests read (run from the repo root).

    python tests/data/make_test_files.py

Everything here is simulated (示例数据，模拟): villages and facilities around
红塔区, 玉溪市 with made-up names, counts and codes.  The true WGS-84 position of
every point is written to ``expected_points_wgs84.csv``; the files then carry
those points in the coordinate system each one is about (GCJ-02, BD-09,
CGCS2000 Gauss-Krueger), as a planner's list would, so the tests can check
the loaders bring them back.  The generated files are committed; re-running
this script reproduces them (seeded).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from coverage.inputs.crs import wgs84_to_bd09, wgs84_to_gcj02  # noqa: E402

RNG = np.random.default_rng(20261123)
CENTRE_LON, CENTRE_LAT = 102.54, 24.35  # 红塔区 (Yuxi), approximately

VILLAGE_NAMES = ["大营街社区", "研和村", "春和村", "洛河村", "北城社区", "高仓村", "小石桥村", "赵桅社区"]
TOWNSHIPS = [("530402001", "玉兴街道"), ("530402101", "研和街道"), ("530402102", "大营街街道")]


def _points(n: int) -> tuple[np.ndarray, np.ndarray]:
    lon = np.round(CENTRE_LON + RNG.uniform(-0.12, 0.12, n), 6)
    lat = np.round(CENTRE_LAT + RNG.uniform(-0.10, 0.10, n), 6)
    return lon, lat


def _excel_csv(path: Path, header: list[str], rows: list[list[object]], *, encoding: str) -> None:
    """Write a CSV as Excel on Chinese Windows saves it: CRLF line ends, minimal quoting."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def main() -> None:
    expected: list[dict[str, object]] = []

    # 1. demand_cn.xlsx: Chinese headers, a title row, ids as text "001", codes as numbers, GCJ-02.
    lon, lat = _points(8)
    glon, glat = wgs84_to_gcj02(lon, lat)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "村庄名单"
    ws.append(["红塔区村(社区)“一老一小”名单（示例，模拟数据）"])
    ws.append(["编号", "村(社区)", "乡镇", "村级代码", "经度", "纬度", "60岁以上老年人", "80岁以上老年人",
               "留守儿童", "困境儿童", "备注"])
    for i in range(8):
        code = int(f"{TOWNSHIPS[i % 3][0]}{200 + i:03d}")
        row = [f"{i + 1:03d}", VILLAGE_NAMES[i], TOWNSHIPS[i % 3][1], float(code), float(glon[i]),
               float(glat[i]), int(RNG.integers(150, 900)), int(RNG.integers(20, 150)), int(RNG.integers(0, 40)),
               int(RNG.integers(0, 8)), ""]
        ws.append(row)
        ws.cell(row=ws.max_row, column=1).number_format = "@"
        expected.append({"file": "demand_cn.xlsx", "id": f"{i + 1:03d}", "lon": lon[i], "lat": lat[i]})
    summary = book.create_sheet("汇总")
    summary.append(["乡镇", "村数"])
    summary.append(["玉兴街道", 3])
    other = book.create_sheet("第二批")
    other.append(["编号", "村名", "经度", "纬度", "留守儿童"])
    other.append(["101", "新村", float(glon[0]) + 0.01, float(glat[0]), 5])
    book.save(HERE / "demand_cn.xlsx")

    # 2. facilities_gbk.csv: GBK with CRLF as Excel writes it; Chinese type names and aliases; GCJ-02.
    lon, lat = _points(6)
    glon, glat = wgs84_to_gcj02(lon, lat)
    types = ["养老机构", "幸福院", "儿童之家", "敬老院", "居家养老服务中心", "公益性公墓"]
    beds = ["120", "20", "", "60", "35", ""]
    rows = []
    for i in range(6):
        rows.append([f"F{i + 1:02d}", f"红塔区第{i + 1}服务点", types[i], beds[i], "现有" if i != 4 else "规划",
                     f"{glon[i]:.6f}", f"{glat[i]:.6f}"])
        expected.append({"file": "facilities_gbk.csv", "id": f"F{i + 1:02d}", "lon": lon[i], "lat": lat[i]})
    _excel_csv(HERE / "facilities_gbk.csv", ["编号", "设施名称", "设施类型", "床位数", "状态", "经度", "纬度"],
               rows, encoding="gbk")

    # 3. demand_bd09.csv: a Baidu-picked list (UTF-8 with BOM, the headers say 百度).
    lon, lat = _points(5)
    blon, blat = wgs84_to_bd09(lon, lat)
    rows = []
    for i in range(5):
        rows.append([f"B{i + 1}", VILLAGE_NAMES[i], f"{blon[i]:.6f}", f"{blat[i]:.6f}",
                     int(RNG.integers(100, 500)), int(RNG.integers(0, 30))])
        expected.append({"file": "demand_bd09.csv", "id": f"B{i + 1}", "lon": lon[i], "lat": lat[i]})
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["编号", "村名", "百度经度", "百度纬度", "60岁以上老人", "留守儿童"])
    writer.writerows(rows)
    (HERE / "demand_bd09.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))

    # 4. Township polygons, GBK .dbf: with a .cpg, and without (LDID byte zeroed, as many tools write).
    polys = []
    for j in range(len(TOWNSHIPS)):
        x0 = CENTRE_LON - 0.15 + 0.1 * j
        polys.append(shapely.box(x0, CENTRE_LAT - 0.1, x0 + 0.1, CENTRE_LAT + 0.1))
    towns = gpd.GeoDataFrame({"名称": [n for _, n in TOWNSHIPS], "代码": [c for c, _ in TOWNSHIPS]},
                             geometry=polys, crs="EPSG:4490")
    for stem in ("townships_gbk", "townships_gbk_nocpg"):
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            (HERE / f"{stem}{ext}").unlink(missing_ok=True)
        towns.to_file(HERE / f"{stem}.shp", encoding="GBK", engine="pyogrio")
    (HERE / "townships_gbk_nocpg.cpg").unlink(missing_ok=True)
    dbf = bytearray((HERE / "townships_gbk_nocpg.dbf").read_bytes())
    dbf[29] = 0
    (HERE / "townships_gbk_nocpg.dbf").write_bytes(bytes(dbf))

    # 5. facilities.geojson: WGS-84 points (GeoJSON is WGS-84 by definition).
    lon, lat = _points(3)
    gj = gpd.GeoDataFrame({"id": ["G1", "G2", "G3"], "name": ["儿童之家甲", "殡仪馆乙", "社工站丙"],
                           "type": ["childrens_home", "funeral_home", "social_work_station"],
                           "capacity": [30, None, None]},
                          geometry=shapely.points(lon, lat), crs="EPSG:4326")
    (HERE / "facilities.geojson").unlink(missing_ok=True)
    gj.to_file(HERE / "facilities.geojson", driver="GeoJSON", engine="pyogrio")
    for i in range(3):
        expected.append({"file": "facilities.geojson", "id": f"G{i + 1}", "lon": lon[i], "lat": lat[i]})

    # 6. county_cgcs2000.gpkg: the county polygon in CGCS2000 / 3-degree GK CM 102E (EPSG:4543).
    county = gpd.GeoDataFrame({"层级": ["县"], "区划代码": ["530402000000"], "名称": ["红塔区"]},
                              geometry=[shapely.box(CENTRE_LON - 0.2, CENTRE_LAT - 0.15, CENTRE_LON + 0.2,
                                                    CENTRE_LAT + 0.15)], crs="EPSG:4490").to_crs("EPSG:4543")
    (HERE / "county_cgcs2000.gpkg").unlink(missing_ok=True)
    county.to_file(HERE / "county_cgcs2000.gpkg", layer="county", engine="pyogrio")

    # 7. amap_township.geojson: Amap boundary data, GCJ-02 although GeoJSON claims WGS-84.
    ring = shapely.box(CENTRE_LON - 0.05, CENTRE_LAT - 0.05, CENTRE_LON + 0.05, CENTRE_LAT + 0.05)
    xy = shapely.get_coordinates(ring)
    gx, gy = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    amap = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"adcode": "530402001", "name": "玉兴街道", "level": "street"},
        "geometry": {"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in zip(gx, gy, strict=True)]]}}]}
    (HERE / "amap_township.geojson").write_text(json.dumps(amap, ensure_ascii=False), encoding="utf-8")

    # 8. facilities_nocrs.shp: a layer without .prj.
    nocrs = gpd.GeoDataFrame({"名称": ["敬老院甲"], "类型": ["敬老院"]},
                             geometry=[shapely.Point(CENTRE_LON, CENTRE_LAT)])
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        (HERE / f"facilities_nocrs{ext}").unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided": that is the point here
        nocrs.to_file(HERE / "facilities_nocrs.shp", encoding="UTF-8", engine="pyogrio")

    # 9. demand_bad.csv: one bad row of every kind a demand list can have (UTF-8).
    good = (102.55, 24.36)
    bad_rows = [
        # row 2: fine
        ["V01", "好村", good[0], good[1], 300, 12],
        # row 3: empty id
        ["", "无编号村", 102.56, 24.37, 200, 5],
        # row 4: duplicate id (of row 2)
        ["V01", "重复村", 102.57, 24.38, 100, 3],
        # row 5: non-numeric population
        ["V05", "文字村", 102.58, 24.39, "约三百", 4],
        # row 6: negative population
        ["V06", "负数村", 102.59, 24.40, 250, -2],
        # row 7: non-integer population
        ["V07", "小数村", 102.60, 24.41, 120.5, 1],
        # row 8: latitude and longitude swapped
        ["V08", "颠倒村", 24.42, 102.61, 90, 2],
        # row 9: outside China (Bangkok)
        ["V09", "境外村", 100.50, 13.75, 80, 0],
        # row 10: missing latitude
        ["V10", "缺坐标村", 102.62, "", 70, 1],
        # row 11: non-numeric longitude (degrees-minutes-seconds)
        ["V11", "度分秒村", "102°36′", 24.43, 60, 1],
        # row 12: same spot as row 2 (warning only: loaded)
        ["V12", "同位村", good[0], good[1], 50, 0],
        # row 13: far outside the study region (Kunming) when region= is given; loaded otherwise
        ["V13", "远方村", 102.71, 25.04, 40, 0],
        # row 14: empty population cell (read as 0, noted)
        ["V14", "空格村", 102.52, 24.33, "", 6],
    ]
    _excel_csv(HERE / "demand_bad.csv", ["编号", "村名", "经度", "纬度", "60岁以上老年人", "留守儿童"],
               bad_rows, encoding="utf-8")

    # 10. facilities_bad.csv: unknown type, bad capacity, unknown status.
    fac_bad = [
        ["F1", "好院", "养老机构", "100", "现有", 102.55, 24.36],
        ["F2", "错类院", "养老院子", "50", "现有", 102.56, 24.37],
        ["F3", "怪容量", "幸福小院", "约20", "现有", 102.57, 24.38],
        ["F4", "怪状态", "儿童之家", "", "废弃", 102.58, 24.39],
        ["F5", "负容量", "敬老院", "-5", "", 102.59, 24.40],
    ]
    _excel_csv(HERE / "facilities_bad.csv", ["编号", "名称", "类型", "床位数", "状态", "经度", "纬度"], fac_bad,
               encoding="utf-8")

    # 11. candidates.csv: kinds and can_host lists (GCJ-02), one unknown kind, one unknown host type.
    lon, lat = _points(5)
    glon, glat = wgs84_to_gcj02(lon, lat)
    cand = [
        ["C1", "原研和小学", "闲置校舍", "幸福小院、儿童之家", "80", f"{glon[0]:.6f}", f"{glat[0]:.6f}"],
        ["C2", "春和村委会", "村委会", "", "", f"{glon[1]:.6f}", f"{glat[1]:.6f}"],
        ["C3", "洛河敬老院", "提升改造", "养老", "120", f"{glon[2]:.6f}", f"{glat[2]:.6f}"],
        ["C4", "河边空地", "空气", "儿童之家", "50", f"{glon[3]:.6f}", f"{glat[3]:.6f}"],
        ["C5", "北城用地", "新建用地", "幸福小院、托儿所", "60", f"{glon[4]:.6f}", f"{glat[4]:.6f}"],
    ]
    for i in range(5):
        expected.append({"file": "candidates.csv", "id": f"C{i + 1}", "lon": lon[i], "lat": lat[i]})
    _excel_csv(HERE / "candidates.csv", ["编号", "名称", "类别", "可设设施类型", "投资(万元)", "经度", "纬度"],
               cand, encoding="utf-8")

    # 12. undecodable.csv: a UTF-8 file with one line pasted in from a GBK file.
    text_lines = ["编号,村名,经度,纬度,留守儿童", "U1,研和村,102.55,24.36,3", "U2,春和村,102.56,24.37,4"]
    raw = ("\r\n".join(text_lines) + "\r\n").encode("utf-8") + "U3,洛河村,102.57,24.38,5\r\n".encode("gbk")
    (HERE / "undecodable.csv").write_bytes(raw)

    # 13. demand_gk.csv: CGCS2000 3-degree GK with the zone number (34) in the easting (EPSG:4522), in the
    #     surveyors' convention: X is the northing, Y the easting.
    lon, lat = _points(3)
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4522", always_xy=True)
    x, y = to_gk.transform(lon, lat)
    gk_rows = [[f"K{i + 1}", VILLAGE_NAMES[i], f"{y[i]:.3f}", f"{x[i]:.3f}", 100 + i] for i in range(3)]
    for i in range(3):
        expected.append({"file": "demand_gk.csv", "id": f"K{i + 1}", "lon": lon[i], "lat": lat[i]})
    _excel_csv(HERE / "demand_gk.csv", ["编号", "名称", "X坐标", "Y坐标", "60岁以上老年人"], gk_rows,
               encoding="utf-8")

    pd.DataFrame(expected).to_csv(HERE / "expected_points_wgs84.csv", index=False, float_format="%.6f")
    print(f"wrote test files to {HERE}")


if __name__ == "__main__":
    main()
