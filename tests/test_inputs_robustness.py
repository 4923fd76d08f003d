"""The loaders on the worst files a planner can send: every defect class gives a clear error or warning.

The corpus is ``tests/data/bad`` (made by ``make_bad_files.py``, listed in
``MANIFEST.csv`` with the exit code of ``python -m coverage validate``); large
archives (zip bombs) are made here in ``tmp_path``.
"""

from __future__ import annotations

import csv
import io
import struct
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from coverage.cli import main as cli_main
from coverage.errors import FileReadError
from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities
from coverage.inputs.readers import DBF_SAMPLE_BYTES
from coverage.inputs.readers.excel import read_xlsx_calamine, read_xlsx_openpyxl
from coverage.inputs.readers.gis import dbf_encoding
from coverage.inputs.readers.table import count_filled_cells

BAD = Path(__file__).resolve().parent / "data" / "bad"
ROOT = Path(__file__).resolve().parents[1]


def _manifest() -> list[dict[str, str]]:
    with open(BAD / "MANIFEST.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _codes_at(res, row: int) -> list[str]:
    return [p.code for p in res.report if p.row == row]


# --------------------------------------------------------------------------- the corpus

def test_manifest_lists_every_file_once_small_and_well_formed():
    entries = _manifest()
    assert list(entries[0]) == ["file", "kind", "crs", "expected_exit", "defect_class", "description"]
    listed = {e["file"] for e in entries}
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()} - {"MANIFEST.csv", "make_bad_files.py"}
    assert listed == on_disk
    for e in entries:
        assert e["kind"] in ("demand", "facilities", "candidates", "boundaries")
        assert e["expected_exit"] in ("0", "1", "2") and e["defect_class"] and e["description"]
        assert (BAD / e["file"]).stat().st_size < 100_000


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: f"{e['file']}-{e['crs'] or 'nocrs'}")
def test_validate_exit_code_matches_the_manifest(entry, capsys):
    argv = ["validate", str(BAD / entry["file"]), "--kind", entry["kind"], "--json"]
    if entry["crs"]:
        argv += ["--crs", entry["crs"]]
    code = cli_main(argv)
    out = capsys.readouterr()
    assert code == int(entry["expected_exit"]), out.out + out.err
    assert "Traceback" not in out.out + out.err
    if code == 2:
        assert entry["file"] in out.out + out.err  # the message names the file


# --------------------------------------------------------------------------- Excel

EXCEL_ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!"]


def test_excel_error_cells_reject_the_row_naming_the_cell():
    res = load_demand(BAD / "excel_error_cells.xlsx")
    assert res.data["id"].tolist() == ["V01"]
    for i, code in enumerate(EXCEL_ERRORS):
        row = i + 3
        found = [p for p in res.report if p.row == row and p.code == "excel_error"]
        assert len(found) == 1 and found[0].severity == "error" and found[0].value == code
        assert f"E{row}" in found[0].message and code in found[0].message_zh
    assert res.report.n_rejected == 7 and (res.data["elderly_60plus"] > 0).all()


def test_calamine_and_openpyxl_read_error_cells_and_formulas_alike():
    for name in ("excel_error_cells.xlsx", "excel_uncached_formula.xlsx", "excel_error_optional.xlsx"):
        path = BAD / name
        score = count_filled_cells
        cal = read_xlsx_calamine(path, source=name, sheet=None, header_score=score)
        opx = read_xlsx_openpyxl(path, source=name, sheet=None, header_score=score)
        pd.testing.assert_frame_equal(cal.frame, opx.frame)
        assert cal.bad_cells == opx.bad_cells and cal.bad_cells


def test_formula_without_cached_value_is_not_zero_people():
    res = load_demand(BAD / "excel_uncached_formula.xlsx")
    err = [p for p in res.report if p.row == 2 and p.code == "excel_error"]
    assert err and err[0].severity == "error" and "E2" in err[0].message and "Excel" in err[0].fix
    assert res.data["id"].tolist() == ["V02"]
    name = [p for p in res.report if p.row == 3 and p.code == "excel_error"]
    assert name[0].severity == "warning" and "B3" in name[0].message and "left empty" in name[0].message


def test_excel_error_in_an_optional_column_is_a_warning_and_the_row_loads():
    res = load_facilities(BAD / "excel_error_optional.xlsx")
    assert res.report.n_rejected == 0 and len(res.data) == 2
    cap = [p for p in res.report if p.code == "excel_error" and p.column == "床位数"]
    assert cap[0].severity == "warning" and "D2" in cap[0].message
    assert np.isnan(res.data["capacity"].iloc[0])


def test_error_in_can_host_rejects_rather_than_meaning_any_type():
    res = load_candidates(BAD / "excel_can_host_error.xlsx")
    assert res.data["id"].tolist() == ["C1"]
    assert "excel_error" in _codes_at(res, 3)


def test_ids_in_scientific_notation_are_warned():
    res = load_demand(BAD / "excel_id_scientific.xlsx")
    assert "id_scientific" in _codes_at(res, 2) and "duplicate_id" in _codes_at(res, 3)
    assert "id_scientific" not in _codes_at(res, 4)


# --------------------------------------------------------------------------- numbers

def test_populations_beyond_a_plausible_bound_are_rejected_never_wrapped():
    res = load_demand(BAD / "population_overflow.csv")
    assert res.data["id"].tolist() == ["V01", "V02"]
    for row in (4, 5, 6, 7):
        assert "implausible_population" in _codes_at(res, row)
    assert (res.data["elderly_60plus"] >= 0).all()


def test_thousands_separators_only_in_groups_of_three():
    res = load_demand(BAD / "population_separators.csv")
    loaded = res.data.set_index("id")["elderly_60plus"].to_dict()
    assert loaded == {"V01": 300, "V02": 200, "V04": 1234, "V06": 1234}
    for row in (4, 6, 8):
        p = next(p for p in res.report if p.row == row and p.code == "ambiguous_separator")
        assert "1,234" in p.message and "decimal point" in p.fix


def test_missing_value_markers_are_errors_and_only_an_empty_cell_is_zero():
    res = load_demand(BAD / "population_missing_markers.csv")
    assert res.data["id"].tolist() == ["V01", "V02", "V13"]
    assert res.data.set_index("id").loc["V13", "elderly_60plus"] == 0
    assert res.report.n_rejected == 10
    note = [p for p in res.report if p.code == "empty_population"]
    assert note[0].severity == "info" and "1 empty cell" in note[0].message


def test_bad_capacity_and_cost_are_left_empty_with_a_warning():
    res = load_candidates(BAD / "capacity_cost_bad.csv")
    data = res.data.set_index("id")
    assert np.isnan(data.loc["C1", "cost_10k_yuan"]) and data.loc["C1", "capacity"] == 20
    assert np.isnan(data.loc["C2", "capacity"]) and np.isnan(data.loc["C3", "cost_10k_yuan"])
    assert "implausible_number" in _codes_at(res, 3) and "ambiguous_separator" in _codes_at(res, 2)
    assert {p.severity for p in res.report if p.row is not None} == {"warning"}


def test_code_1e400_no_longer_crashes():
    res = load_demand(BAD / "code_overflow.csv")
    assert len(res.data) == 2 and res.data["village_code"].isna().iloc[0]
    assert "bad_code" in _codes_at(res, 2) and "bad_code" in _codes_at(res, 3)


def test_non_finite_coordinates_are_rejected():
    res = load_demand(BAD / "coordinates_non_finite.csv")
    assert res.data["id"].tolist() == ["V01", "V02"]
    assert "ambiguous_separator" in _codes_at(res, 7)
    assert np.isfinite(shapely.get_coordinates(res.data.geometry.to_numpy())).all()


# --------------------------------------------------------------------------- CSV

def test_unclosed_quote_rejects_its_row_and_the_rows_after_it_load():
    res = load_demand(BAD / "csv_unclosed_quote.csv")
    assert res.data["id"].tolist() == ["V01", "V04", "V05", "V06", "V07", "V08"]
    p = next(p for p in res.report if p.code == "unclosed_quote")
    assert p.row == 3 and "line 3" in p.message and p.severity == "error"
    res = load_demand(BAD / "csv_unclosed_quote_at_end.csv")
    assert res.data["id"].tolist() == ["V01", "V02"] and "unclosed_quote" in _codes_at(res, 4)


def test_quoted_cell_with_a_line_break_is_one_cell():
    res = load_demand(BAD / "csv_multiline_cell.csv")
    assert res.data["name"].iloc[2] == "洛河村\r\n(原洛河乡)" and res.report.ok  # brackets NFKC-folded


def test_mixed_encodings_are_decoded_per_line_and_named():
    res = load_demand(BAD / "csv_utf8_with_gbk_row.csv")
    assert res.data["name"].tolist() == ["研和村", "春和村", "洛河村", "高仓村"]
    assert [p.row for p in res.report if p.code == "mixed_encoding"] == [4]
    res = load_demand(BAD / "csv_gbk_with_utf8_row.csv")
    assert res.data["name"].tolist() == ["研和村", "春和村", "洛河村", "高仓村"]
    assert [p.row for p in res.report if p.code == "mixed_encoding"] == [5]
    assert res.report.encoding == "gb18030"


@pytest.mark.parametrize("name", ["csv_tab_title_row.csv", "csv_semicolon.csv", "csv_utf16_no_bom.csv"])
def test_delimiter_and_encoding_are_found_beyond_the_first_line(name):
    res = load_demand(BAD / name)
    assert res.data["name"].tolist() == ["研和村", "春和村"]
    assert res.data["elderly_60plus"].tolist() == [300, 200]


def test_semicolon_file_with_decimal_commas_is_rejected_with_the_fix():
    res = load_demand(BAD / "csv_semicolon_decimal_comma.csv")
    assert len(res.data) == 0
    assert all("ambiguous_separator" in _codes_at(res, r) for r in (2, 3))


# --------------------------------------------------------------------------- text

def test_control_characters_are_stripped_with_a_warning_per_cell(tmp_path):
    res = load_demand(BAD / "control_characters.csv")
    assert res.data["name"].tolist() == ["研和村", "春和村", "[31m洛河村", "高仓村"]
    assert res.data["id"].iloc[3] == "V04"
    warned = sorted((p.row, p.column) for p in res.report if p.code == "control_character")
    assert warned == [(2, "村名"), (3, "村名"), (4, "村名"), (5, "村名"), (5, "编号")]
    wb = openpyxl.Workbook()  # an Excel export of the result no longer fails
    for row in res.data.drop(columns="geometry").itertuples(index=False):
        wb.active.append(list(row))
    wb.save(tmp_path / "out.xlsx")


def test_control_characters_and_surrogates_in_a_dataframe():
    frame = pd.DataFrame({"编号": pd.Series(["A\x00", "B"], dtype=object),
                          "名称\x1b": pd.Series(["甲\ud800", "乙"], dtype=object),  # pandas' own str dtype refuses it
                          "经度": [102.5, 102.6], "纬度": [24.3, 24.4]})
    res = load_demand(frame)
    assert res.data["id"].tolist() == ["A", "B"] and res.data["name"].tolist() == ["甲", "乙"]
    assert len([p for p in res.report if p.code == "control_character"]) == 3


# --------------------------------------------------------------------------- unreadable files and archives

@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "blank_lines.csv", "truncated.xlsx", "csv_renamed.xlsx",
                                  "binary_renamed.csv", "xls_renamed.csv", "not_json.geojson", "corrupt.zip",
                                  "truncated.zip"])
def test_unreadable_files_raise_file_read_error_naming_the_file(name):
    with pytest.raises(FileReadError, match=name.replace(".", r"\.")):
        load_facilities(BAD / name)


def test_upload_objects_that_are_empty_or_truncated():
    with pytest.raises(FileReadError, match="empty"):
        load_demand(io.BytesIO(b""))
    data = io.BytesIO((BAD / "excel_error_cells.xlsx").read_bytes()[:3000])
    data.name = "名单.xlsx"
    with pytest.raises(FileReadError, match="名单.xlsx"):
        load_demand(data)


def _sites_shapefile(folder: Path) -> dict[str, bytes]:
    gdf = gpd.GeoDataFrame({"名称": ["甲站"], "类型": ["幸福小院"]}, geometry=[shapely.Point(102.55, 24.36)],
                           crs="EPSG:4326")
    gdf.to_file(folder / "sites.shp", encoding="gbk", engine="pyogrio")
    return {f"sites{ext}": (folder / f"sites{ext}").read_bytes() for ext in (".shp", ".shx", ".dbf", ".prj")}


def _bomb(path: Path, parts: dict[str, bytes], dbf_bytes: int) -> None:
    """A zipped Shapefile (no .cpg) whose .dbf is padded with spaces to ``dbf_bytes``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            if name.endswith(".dbf"):
                with zf.open(name, "w", force_zip64=True) as fh:
                    fh.write(data)
                    block = b" " * (1 << 20)
                    for _ in range((dbf_bytes - len(data)) >> 20):
                        fh.write(block)
            else:
                zf.writestr(name, data)


def test_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    parts = _sites_shapefile(tmp_path)
    bomb = tmp_path / "bomb.zip"
    _bomb(bomb, parts, 64 << 20)  # 64 MB of .dbf in ~70 KB
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    with pytest.raises(FileReadError, match="compressed .* to 1"):
        load_boundaries(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 << 20
    assert not list(Path(tempfile.gettempdir()).glob("coverage-zip-*/sites.dbf"))


def test_zip_whose_header_understates_the_size_stops_at_the_stated_size(tmp_path):
    parts = _sites_shapefile(tmp_path)
    bomb = tmp_path / "liar.zip"
    _bomb(bomb, parts, 32 << 20)
    raw = bytearray(bomb.read_bytes())
    # Claim the .dbf unpacks to 1,000 bytes (zip64 sizes live in the extra field: patch every copy).
    for signature, size_at, extra_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = raw.find(signature)
        while at >= 0:
            name_len = struct.unpack_from("<H", raw, at + (26 if signature == b"PK\x03\x04" else 28))[0]
            if raw[at + extra_at: at + extra_at + name_len] == b"sites.dbf":
                struct.pack_into("<I", raw, at + size_at, 1000)
                extra = at + extra_at + name_len
                if struct.unpack_from("<H", raw, extra)[0] == 1:  # zip64 extra field: uncompressed size first
                    struct.pack_into("<Q", raw, extra + 4, 1000)
            at = raw.find(signature, at + 4)
    bomb.write_bytes(bytes(raw))
    with pytest.raises(FileReadError, match="liar.zip"):
        load_facilities(bomb)


def test_dbf_encoding_is_guessed_from_a_sample_only():
    body = "甲站".encode("gbk") + b" " * (10 << 20)
    dbf = io.BytesIO(b"\x03" + b"\x00" * 7 + (33).to_bytes(2, "little") + b"\x00" * 22 + b"\r" + body)
    assert dbf_encoding(dbf) == "gb18030"
    assert dbf.tell() <= 33 + DBF_SAMPLE_BYTES


@pytest.mark.slow
def test_peak_memory_of_a_1gb_zip_bomb_stays_small(tmp_path):
    """The case reported: a zipped Shapefile of about 1 MB whose .dbf unpacks to a gigabyte."""
    parts = _sites_shapefile(tmp_path)
    bomb = tmp_path / "big.zip"
    _bomb(bomb, parts, 1 << 30)
    code = ("import resource, sys\nfrom coverage.inputs import load_facilities\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n    load_facilities(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    out = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    kind, grown_kb = out.stdout.split()
    assert kind == "FileReadError", out.stderr
    assert int(grown_kb) < 50_000  # kB: the archive is never inflated


# --------------------------------------------------------------------------- GIS geometry

def test_lines_and_multipoints_in_a_point_layer_are_rejected_by_feature():
    res = load_facilities(BAD / "points_with_lines.geojson")
    assert res.data["id"].tolist() == ["S1", "S4"]
    for feature in (2, 3, 5, 6):
        assert "not_a_point" in _codes_at(res, feature)
    assert "multipoint_one_part" in res.report.codes()
    assert res.data.geometry.iloc[1].equals(shapely.Point(102.57, 24.38))


def test_degenerate_boundary_is_rejected_and_a_repaired_bowtie_stays_polygonal():
    res = load_boundaries(BAD / "boundaries_degenerate.geojson")
    assert res.data["name"].tolist() == ["好镇", "蝴蝶镇"]
    assert "degenerate_polygon" in _codes_at(res, 2) and "not_polygon" in _codes_at(res, 4)
    assert [p.severity for p in res.report if p.row == 3] == ["warning"]
    assert set(res.data.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (shapely.area(res.data.geometry.to_numpy()) > 0).all()
