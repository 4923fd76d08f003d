"""Write the corpus of bad input files and its manifest (run from the repo root).

    python tests/data/bad/make_bad_files.py

Each file is small (< 100 KB) and carries one class of defect a planner's file
can have: Excel error cells and formulas saved without values, numbers that
overflow or look like ID numbers, ambiguous thousands separators, CSV quotes
never closed, a GBK row in a UTF-8 file, title rows above a tab-separated
header, control characters, empty / truncated / corrupt files, a zip whose
header announces a bomb, lines in a point layer, degenerate boundaries.

``MANIFEST.csv`` lists every file with the kind to load it as, the ``--crs``
to pass (empty: none), the exit code of ``python -m coverage validate FILE
--kind KIND [--crs CRS]`` (0 loaded, warnings allowed; 1 rows rejected or a
required column missing; 2 unreadable file or layer without CRS), the defect
class and a description.  Everything is simulated (示例数据，模拟); the
output is deterministic.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import struct
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

MANIFEST_COLUMNS = ("file", "kind", "crs", "expected_exit", "defect_class", "description")

#: Header and two good rows shared by the demand files (WGS-84, around 红塔区).
DEMAND_HEADER = ["编号", "村名", "经度", "纬度", "60岁以上老年人", "留守儿童"]
GOOD = [["V01", "研和村", "102.55", "24.36", "300", "12"], ["V02", "春和村", "102.56", "24.37", "200", "5"]]


def _csv_text(header: list[str], rows: list[list[str]], *, sep: str = ",") -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue()


def _xlsx(path: Path, header: list[str], rows: list[list[object]], *, errors: dict[str, str] | None = None) -> None:
    """A workbook; ``errors`` maps a cell ("E3") to an Excel error code written as an error cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for ref, code in (errors or {}).items():
        ws[ref].value = code
        ws[ref].data_type = "e"
    wb.properties.created = wb.properties.modified = datetime.datetime(2026, 1, 1)
    wb.save(path)
    _fixed_zip(path)


def _fixed_zip(path: Path) -> None:
    """Rewrite a zip (or .xlsx) with fixed member times, so that re-running the script gives the same bytes."""
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            if name == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def _geojson(path: Path, features: list[tuple[dict[str, object], dict[str, object] | None]]) -> None:
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _declared_bomb_zip() -> bytes:
    """A 1 KB zip whose headers announce a 4 GB .dbf (as a zip bomb's do); it must be refused unread."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (("bomb.shp", b"\x00" * 100), ("bomb.dbf", b" " * 1000)):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    raw = bytearray(buf.getvalue())
    # Rewrite the uncompressed size of bomb.dbf in its local and central headers to 4,000,000,000 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", raw, at + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at:name_at + name_len] == b"bomb.dbf":
                struct.pack_into("<I", raw, at + offset, 4_000_000_000)
            start = at + 4
    return bytes(raw)


def main() -> None:
    entries: list[tuple[str, str, str, int, str, str]] = []

    def add(name: str, kind: str, exit_code: int, defect: str, description: str, crs: str = "") -> None:
        entries.append((name, kind, crs, exit_code, defect, description))

    # ---- Excel: error cells, formulas without cached values, ids in scientific notation.
    errors = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!"]
    rows: list[list[object]] = [["V01", "研和村", 102.55, 24.36, 300, 12]]
    cells = {}
    for i, code in enumerate(errors):
        rows.append([f"E{i + 1}", f"错误村{i + 1}", 102.5 + i / 100, 24.3, 0, 1])
        cells[f"E{i + 3}"] = code  # column E = 60岁以上老年人, first error in row 3
    _xlsx(HERE / "excel_error_cells.xlsx", DEMAND_HEADER, rows, errors=cells)
    add("excel_error_cells.xlsx", "demand", 1, "excel_error",
        "every Excel error code (#N/A, #DIV/0!, #REF!, #VALUE!, #NAME?, #NULL!, #NUM!) in a population column: "
        "7 rows rejected naming the cell, 1 row loaded")
    _xlsx(HERE / "excel_uncached_formula.xlsx", DEMAND_HEADER,
          [["V01", "研和村", 102.55, 24.36, "=100+200", 12],
           ["V02", "=CONCAT(\"春\",\"和村\")", 102.56, 24.37, 200, 5]])
    add("excel_uncached_formula.xlsx", "demand", 1, "excel_formula",
        "formulas saved without values (written by a script): in a population column the row is rejected, in the "
        "name column the cell is left empty with a warning")
    _xlsx(HERE / "excel_error_optional.xlsx", ["编号", "名称", "类型", "床位数", "经度", "纬度", "备注"],
          [["F1", "敬老院", "养老机构", 0, 102.55, 24.36, "ok"],
           ["F2", "幸福小院", "幸福小院", 20, 102.56, 24.37, "x"]],
          errors={"D2": "#REF!", "G3": "#N/A"})
    add("excel_error_optional.xlsx", "facilities", 0, "excel_error",
        "Excel errors only in optional columns: capacity left empty with a warning, an unused column noted")
    _xlsx(HERE / "excel_error_coordinates.xlsx", DEMAND_HEADER,
          [["V01", "研和村", 102.55, 24.36, 300, 12], ["V02", "春和村", 0, 24.37, 200, 5]], errors={"C3": "#VALUE!"})
    add("excel_error_coordinates.xlsx", "demand", 1, "excel_error", "#VALUE! in the longitude column: row rejected")
    _xlsx(HERE / "excel_id_scientific.xlsx", DEMAND_HEADER,
          [["5.30402E+11", "研和村", 102.55, 24.36, 300, 12], ["5.30402E+11 ", "春和村", 102.56, 24.37, 200, 5],
           ["530402101001", "洛河村", 102.57, 24.38, 100, 3]])
    add("excel_id_scientific.xlsx", "demand", 1, "id_scientific",
        "ids Excel turned into 5.30402E+11: a warning on each, and the second is a duplicate (rejected)")
    _xlsx(HERE / "excel_can_host_error.xlsx", ["编号", "名称", "类别", "可设设施类型", "经度", "纬度"],
          [["C1", "闲置校舍", "闲置校舍", "幸福小院", 102.55, 24.36],
           ["C2", "村委会", "村委会用房", None, 102.56, 24.37]],
          errors={"D3": "#N/A"})
    add("excel_can_host_error.xlsx", "candidates", 1, "excel_error",
        "#N/A in can_host (empty would mean 'any type'): row rejected")

    # ---- Numbers.
    (HERE / "population_overflow.csv").write_text(_csv_text(DEMAND_HEADER, [
        *GOOD,
        ["V03", "溢出村", "102.57", "24.38", "9223372036854775808", "1"],
        ["V04", "科学村", "102.58", "24.39", "1e19", "1"],
        ["V05", "身份证村", "102.59", "24.40", "530402199001011234", "1"],
        ["V06", "大数村", "102.60", "24.41", "12000000", "1"],
    ]), encoding="utf-8")
    add("population_overflow.csv", "demand", 1, "implausible_number",
        "2^63, 1e19, an 18-digit ID number and 12 million in a population column: rejected, never wrapped")
    (HERE / "population_separators.csv").write_text(_csv_text(DEMAND_HEADER, [
        *GOOD,
        ["V03", "逗号村", "102.57", "24.38", "12,34", "1"],
        ["V04", "千位村", "102.58", "24.39", "1,234", "1"],
        ["V05", "空格村", "102.59", "24.40", "12 34", "1"],
        ["V06", "全角村", "102.60", "24.41", "1，234", "2"],
        ["V07", "混合村", "102.61", "24.42", "1,23,456", "3"],
    ]), encoding="utf-8")
    add("population_separators.csv", "demand", 1, "ambiguous_separator",
        "'12,34', '12 34' and '1,23,456' rejected with the fix; '1,234' and full-width '1，234' read as 1234")
    (HERE / "population_missing_markers.csv").write_text(_csv_text(DEMAND_HEADER, [
        *GOOD, *[[f"V{i + 3:02d}", f"缺值村{i + 1}", f"{102.57 + i / 100:.2f}", "24.38", v, "1"]
                 for i, v in enumerate(["nan", "NA", "N/A", "-", "—", "null", "#N/A", "inf", "1e400", "无"])],
        ["V13", "空格村", "102.70", "24.38", "", "1"],
    ]), encoding="utf-8")
    add("population_missing_markers.csv", "demand", 1, "non_numeric",
        "nan, NA, N/A, -, —, null, #N/A, inf, 1e400 and 无 in a population column: rejected; only the truly empty "
        "cell is read as 0 (info)")
    (HERE / "capacity_cost_bad.csv").write_text(_csv_text(
        ["编号", "名称", "类别", "估算投资(万元)", "容量", "经度", "纬度"], [
            ["C1", "校舍", "闲置校舍", "12,34", "20", "102.55", "24.36"],
            ["C2", "村委会", "村委会用房", "30", "530402199001011234", "102.56", "24.37"],
            ["C3", "用地", "新建用地", "inf", "nan", "102.57", "24.38"],
        ]), encoding="utf-8")
    add("capacity_cost_bad.csv", "candidates", 0, "implausible_number",
        "cost '12,34' and 'inf', capacity an ID number and 'nan': each left empty with a warning naming the cell")
    (HERE / "code_overflow.csv").write_text(_csv_text(["编号", "村名", "村级代码", "乡镇代码", "经度", "纬度"], [
        ["V01", "研和村", "1e400", "530402101", "102.55", "24.36"],
        ["V02", "春和村", "5.30402E+11", "1e20", "102.56", "24.37"],
    ]), encoding="utf-8")
    add("code_overflow.csv", "demand", 0, "code_overflow",
        "code cells 1e400 and 1e20 (used to crash with OverflowError): warned and left empty")
    (HERE / "coordinates_non_finite.csv").write_text(_csv_text(DEMAND_HEADER, [
        *GOOD,
        ["V03", "无穷村", "inf", "24.38", "1", "1"],
        ["V04", "非数村", "102.58", "nan", "1", "1"],
        ["V05", "溢出村", "1e400", "24.40", "1", "1"],
        ["V06", "逗号村", "102,5432", "24.41", "1", "1"],
    ]), encoding="utf-8")
    add("coordinates_non_finite.csv", "demand", 1, "non_numeric",
        "longitude inf / 1e400 / decimal comma 102,5432 and latitude nan: rejected")

    # ---- CSV structure and encodings.
    lines = _csv_text(DEMAND_HEADER, GOOD).splitlines(keepends=True)
    middle = "".join(f"V{i:02d},村{i},{102.57 + i / 100:.2f},24.39,{i},1\r\n" for i in range(4, 8))
    unclosed = ("".join(lines[:2]) + 'V03,"洛河村,102.57,24.38,100,3\r\n' + middle
                + 'V08,"北城社区",102.70,24.40,5,1\r\n')
    (HERE / "csv_unclosed_quote.csv").write_text(unclosed, encoding="utf-8")
    add("csv_unclosed_quote.csv", "demand", 1, "unclosed_quote",
        "a quote opened on line 3 and never closed: row 3 rejected naming the line, rows 4-8 still load")
    (HERE / "csv_unclosed_quote_at_end.csv").write_text("".join(lines) + 'V03,"洛河村,102.57,24.38,100,3\r\n',
                                                         encoding="utf-8")
    add("csv_unclosed_quote_at_end.csv", "demand", 1, "unclosed_quote",
        "the last row opens a quote that never closes: that row rejected, the others load")
    (HERE / "csv_multiline_cell.csv").write_text(
        "".join(lines) + 'V03,"洛河村\r\n（原洛河乡）",102.57,24.38,100,3\r\n', encoding="utf-8")
    add("csv_multiline_cell.csv", "demand", 0, "unclosed_quote",
        "control: a properly quoted cell with a line break (Alt+Enter in Excel) loads as one cell")
    mixed = _csv_text(DEMAND_HEADER, GOOD).encode("utf-8") + "V03,洛河村,102.57,24.38,100,3\r\n".encode("gbk")
    mixed += "V04,高仓村,102.58,24.39,50,2\r\n".encode()
    (HERE / "csv_utf8_with_gbk_row.csv").write_bytes(mixed)
    add("csv_utf8_with_gbk_row.csv", "demand", 0, "mixed_encoding",
        "UTF-8 file with one row pasted from a GBK file: that row decoded as GBK with a warning, no mojibake")
    gbk = _csv_text(DEMAND_HEADER, [*GOOD, ["V03", "洛河村", "102.57", "24.38", "100", "3"]]).encode("gbk")
    gbk += "V04,高仓村,102.58,24.39,50,2\r\n".encode()
    (HERE / "csv_gbk_with_utf8_row.csv").write_bytes(gbk)
    add("csv_gbk_with_utf8_row.csv", "demand", 0, "mixed_encoding",
        "GBK file with one UTF-8 row: that row decoded as UTF-8 with a warning")
    (HERE / "csv_undecodable_bytes.csv").write_bytes(
        _csv_text(DEMAND_HEADER, GOOD).encode("utf-8") + b"V03,\xff\xfe\xff,102.57,24.38,100,3\r\n")
    add("csv_undecodable_bytes.csv", "demand", 0, "mixed_encoding",
        "a name in neither UTF-8 nor GBK: loaded, the cell reported as undecodable")
    (HERE / "csv_tab_title_row.csv").write_text(
        "红塔区村庄名单（2024年）\r\n\r\n" + _csv_text(DEMAND_HEADER, GOOD, sep="\t"), encoding="utf-8")
    add("csv_tab_title_row.csv", "demand", 0, "delimiter",
        "tab-separated with a title row and a blank row above the header: delimiter guessed from several lines")
    (HERE / "csv_semicolon.csv").write_text(_csv_text(DEMAND_HEADER, GOOD, sep=";"), encoding="utf-8-sig")
    add("csv_semicolon.csv", "demand", 0, "delimiter", "semicolon-separated (European Excel), UTF-8 with BOM")
    (HERE / "csv_semicolon_decimal_comma.csv").write_text(_csv_text(
        DEMAND_HEADER, [[c.replace(".", ",") for c in row] for row in GOOD], sep=";"), encoding="utf-8")
    add("csv_semicolon_decimal_comma.csv", "demand", 1, "ambiguous_separator",
        "European decimal commas in the coordinates (102,55): rejected with the fix, never read as 10255")
    (HERE / "csv_utf16_no_bom.csv").write_bytes(_csv_text(DEMAND_HEADER, GOOD, sep="\t").encode("utf-16-le"))
    add("csv_utf16_no_bom.csv", "demand", 0, "encoding", "UTF-16 (Excel 'Unicode text') saved without its BOM")
    (HERE / "csv_ragged_rows.csv").write_text(
        "".join(lines) + "V03,洛河村,102.57,24.38,100,3,多余,更多\r\nV04,高仓村,102.58\r\n", encoding="utf-8")
    add("csv_ragged_rows.csv", "demand", 1, "structure",
        "a row with extra cells (noted as unused columns) and a row cut short (missing latitude, rejected)")
    (HERE / "csv_header_only.csv").write_text(_csv_text(DEMAND_HEADER, []), encoding="utf-8")
    add("csv_header_only.csv", "demand", 0, "structure", "a header and no data rows: nothing loaded, no error")
    (HERE / "csv_no_coordinates.csv").write_text(_csv_text(["编号", "村名", "60岁以上老年人"], [["V1", "研和村", "3"]]),
                                                 encoding="utf-8")
    add("csv_no_coordinates.csv", "demand", 1, "missing_column", "no coordinate columns: required column missing")
    no_type = _csv_text(["编号", "名称", "经度", "纬度"], [["F1", "甲", "102.5", "24.3"]])
    (HERE / "facilities_no_type.csv").write_text(no_type, encoding="utf-8")
    add("facilities_no_type.csv", "facilities", 1, "missing_column", "a facility list without a type column")

    # ---- Control characters.
    ctrl = _csv_text(DEMAND_HEADER, [
        ["V01", "研和\x00村", "102.55", "24.36", "300", "12"],
        ["V02", "春和\x0b村", "102.56", "24.37", "200", "5"],
        ["V03", "\x1b[31m洛河村", "102.57", "24.38", "100", "3"],
        ["V04\x07", "高\x85仓村", "102.58", "24.39", "50", "2"],
    ])
    (HERE / "control_characters.csv").write_text(ctrl, encoding="utf-8")
    add("control_characters.csv", "demand", 0, "control_character",
        "NUL, vertical tab, ESC, BEL and a C1 control in names and ids: removed, one warning per cell")

    # ---- Unreadable files.
    (HERE / "empty.csv").write_bytes(b"")
    add("empty.csv", "demand", 2, "unreadable", "0-byte CSV")
    (HERE / "empty.xlsx").write_bytes(b"")
    add("empty.xlsx", "demand", 2, "unreadable", "0-byte workbook")
    (HERE / "blank_lines.csv").write_bytes(b"\r\n\r\n  \r\n")
    add("blank_lines.csv", "demand", 2, "unreadable", "only blank lines")
    full = (HERE / "excel_error_optional.xlsx").read_bytes()
    (HERE / "truncated.xlsx").write_bytes(full[: len(full) // 2])
    add("truncated.xlsx", "facilities", 2, "unreadable", "a workbook cut in half (interrupted download)")
    (HERE / "csv_renamed.xlsx").write_text(_csv_text(DEMAND_HEADER, GOOD), encoding="utf-8")
    add("csv_renamed.xlsx", "demand", 2, "unreadable", "a CSV file renamed .xlsx")
    (HERE / "binary_renamed.csv").write_bytes(bytes(range(256)) * 8)
    add("binary_renamed.csv", "demand", 2, "unreadable", "binary data named .csv (header cannot be decoded)")
    (HERE / "xls_renamed.csv").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    add("xls_renamed.csv", "facilities", 2, "unreadable", "an old binary .xls named .csv")
    (HERE / "not_json.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    add("not_json.geojson", "facilities", 2, "unreadable", "GeoJSON cut short")
    (HERE / "corrupt.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    add("corrupt.zip", "boundaries", 2, "unreadable", "a corrupt zip archive")

    # ---- GIS layers.
    pts = gpd.GeoDataFrame({"编号": ["S1", "S2"], "名称": ["甲站", "乙站"], "类型": ["幸福小院", "儿童之家"]},
                           geometry=[shapely.Point(102.55, 24.36), shapely.Point(102.56, 24.37)], crs="EPSG:4326")
    shp_dir = HERE / "_shp"
    shp_dir.mkdir(exist_ok=True)
    pts.to_file(shp_dir / "sites.shp", encoding="gbk", engine="pyogrio")
    with zipfile.ZipFile(HERE / "shapefile_gbk_no_cpg.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(shp_dir / f"sites{ext}", f"sites{ext}")
    _fixed_zip(HERE / "shapefile_gbk_no_cpg.zip")
    add("shapefile_gbk_no_cpg.zip", "facilities", 0, "encoding",
        "zipped Shapefile, GBK .dbf without .cpg: encoding guessed from a sample")
    with zipfile.ZipFile(HERE / "shapefile_no_prj.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for ext in (".shp", ".shx", ".dbf"):
            zf.write(shp_dir / f"sites{ext}", f"sites{ext}")
    _fixed_zip(HERE / "shapefile_no_prj.zip")
    add("shapefile_no_prj.zip", "facilities", 2, "no_crs", "zipped Shapefile without .prj and no --crs")
    add("shapefile_no_prj.zip", "facilities", 0, "no_crs", "the same with --crs gcj02", crs="gcj02")
    full = (HERE / "shapefile_gbk_no_cpg.zip").read_bytes()
    (HERE / "truncated.zip").write_bytes(full[: len(full) * 2 // 3])
    add("truncated.zip", "facilities", 2, "unreadable", "a zipped Shapefile cut short")
    for path in shp_dir.iterdir():
        path.unlink()
    shp_dir.rmdir()
    (HERE / "zip_declared_bomb.zip").write_bytes(_declared_bomb_zip())
    add("zip_declared_bomb.zip", "boundaries", 2, "zip_bomb",
        "a 1 KB zip announcing a 4 GB .dbf: refused before anything is unpacked")

    def props(i: int) -> dict[str, object]:
        return {"编号": f"S{i}", "名称": f"站{i}", "类型": "幸福小院"}

    _geojson(HERE / "points_with_lines.geojson", [
        (props(1), {"type": "Point", "coordinates": [102.55, 24.36]}),
        (props(2), {"type": "LineString", "coordinates": [[102.55, 24.36], [102.60, 24.40]]}),
        (props(3), {"type": "MultiPoint", "coordinates": [[102.55, 24.36], [102.70, 24.50]]}),
        (props(4), {"type": "MultiPoint", "coordinates": [[102.57, 24.38]]}),
        (props(5), {"type": "MultiLineString", "coordinates": [[[102.5, 24.3], [102.6, 24.4]]]}),
        (props(6), {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [102.5, 24.3]}]}),
        (props(7), None),
    ])
    add("points_with_lines.geojson", "facilities", 1, "not_a_point",
        "a line, a 2-point multipoint, a multiline, a collection and a null geometry rejected naming the feature; "
        "a 1-point multipoint taken with a note")
    square = [[102.5, 24.3], [102.6, 24.3], [102.6, 24.4], [102.5, 24.4], [102.5, 24.3]]
    _geojson(HERE / "boundaries_degenerate.geojson", [
        ({"代码": "530402001000", "名称": "好镇"}, {"type": "Polygon", "coordinates": [square]}),
        ({"代码": "530402002000", "名称": "线镇"},
         {"type": "Polygon", "coordinates": [[[102.5, 24.3], [102.6, 24.3], [102.7, 24.3], [102.5, 24.3]]]}),
        ({"代码": "530402003000", "名称": "蝴蝶镇"},
         {"type": "Polygon", "coordinates": [[[102.5, 24.3], [102.6, 24.4], [102.6, 24.3], [102.5, 24.4],
                                              [102.5, 24.3]]]}),
        ({"代码": "530402004000", "名称": "线要素"},
         {"type": "LineString", "coordinates": [[102.5, 24.3], [102.6, 24.4]]}),
    ])
    add("boundaries_degenerate.geojson", "boundaries", 1, "degenerate_polygon",
        "a zero-area polygon (rejected, not turned into a line), a bow-tie (repaired into two polygons, warning) "
        "and a line (rejected)")
    (HERE / "boundaries_as_table.csv").write_text(_csv_text(["代码", "名称"], [["530402001000", "好镇"]]),
                                                  encoding="utf-8")
    add("boundaries_as_table.csv", "boundaries", 2, "unreadable", "boundaries given as a table, not a layer")

    with open(HERE / "MANIFEST.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(entries)
    too_big = [p.name for p in HERE.iterdir() if p.is_file() and p.stat().st_size > 100_000]
    if too_big:
        raise SystemExit(f"files over 100 KB: {too_big}")


if __name__ == "__main__":
    main()
