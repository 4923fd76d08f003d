"""Fuzz the loaders: whatever the bytes, cells or geometries, only the library's errors escape.

Seeded (``derandomize=True``), no example database, no deadline.  Each
property also checks that every data row is either loaded or reported as
rejected, and that what loads is in range (people 0..the plausible bound,
coordinates finite and in China).
"""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coverage.errors import CoverageError
from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities
from coverage.inputs.crs import CHINA_BBOX
from coverage.inputs.loaders import MAX_PEOPLE_PER_POINT
from coverage.inputs.readers import read_table
from coverage.model import POPULATION_COLUMNS


def _settings(n: int) -> settings:
    return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


NASTY = ["", " ", "nan", "NA", "N/A", "-", "—", "null", "inf", "-inf", "1e400", "1e19", "12,34", "1,234", "1，234",
         "12 34", '"', '"abc', 'a"b', '""', "\x00", "\x0b", "\x1b[0m", "\x85", "#N/A", "#DIV/0!", "=1+2",
         "5.30402E+11", "9223372036854775808", "530402199001011234", "102.5", "24.3", "102,5", "-1", "0.5",
         "１２", "300人", "幸福小院", "闲置校舍", "县", "乡镇", "530402101001", "530402", "\r", "\n", "\t", ";", ",",
         "经度", "编号", "102.5,24.3", "１０２．５", "0x10", "1_000", "True", "\ufeff", "\u2028", "\ufffd"]
CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=8),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
                 st.floats(min_value=18, max_value=130).map(lambda v: f"{v:.4f}"))
HEADERS = {
    "demand": ["编号", "村名", "经度", "纬度", "60岁以上老年人", "留守儿童", "村级代码"],
    "facilities": ["编号", "名称", "类型", "床位数", "状态", "经度", "纬度"],
    "candidates": ["编号", "名称", "类别", "可设设施类型", "投资(万元)", "经度", "纬度"],
}
_VALID = {
    "编号": st.from_regex(r"[A-Z]?\d{1,4}", fullmatch=True),
    "村名": st.sampled_from(["研和村", "春和村", "洛河村", "北城社区"]),
    "名称": st.sampled_from(["敬老院", "幸福小院", "村委会", "闲置校舍"]),
    "经度": st.floats(min_value=102.0, max_value=103.0).map(lambda v: f"{v:.5f}"),
    "纬度": st.floats(min_value=24.0, max_value=25.0).map(lambda v: f"{v:.5f}"),
    "60岁以上老年人": st.integers(min_value=0, max_value=5000).map(str),
    "留守儿童": st.integers(min_value=0, max_value=500).map(str),
    "村级代码": st.sampled_from(["530402101001", "530402101", "530402"]),
    "类型": st.sampled_from(["幸福小院", "养老机构", "儿童之家", "敬老院"]),
    "床位数": st.integers(min_value=0, max_value=500).map(str),
    "状态": st.sampled_from(["现有", "规划", ""]),
    "类别": st.sampled_from(["闲置校舍", "村委会用房", "新建用地"]),
    "可设设施类型": st.sampled_from(["幸福小院、儿童之家", "养老", ""]),
    "投资(万元)": st.integers(min_value=0, max_value=300).map(str),
}


@st.composite
def table_rows(draw, kind: str, *, ragged: bool = True) -> list[list[str]]:
    header = HEADERS[kind]
    rows = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        row = [draw(CELL) if draw(st.integers(min_value=0, max_value=5)) == 0 else draw(_VALID[h]) for h in header]
        if draw(st.integers(min_value=0, max_value=3)):
            row[0] = f"V{i}"  # mostly unique ids, so that rows can load
        if ragged and draw(st.integers(min_value=0, max_value=9)) == 0:
            row = row[:draw(st.integers(min_value=0, max_value=len(row)))] + draw(st.lists(CELL, max_size=2))
        rows.append(row)
    return rows


LOADERS = {"demand": load_demand, "facilities": load_facilities, "candidates": load_candidates,
           "boundaries": load_boundaries}


def _check(res, kind: str) -> None:
    """Every row loaded or rejected; what loaded is in range."""
    rep = res.report
    assert rep.n_loaded + rep.n_rejected == rep.n_read
    assert len(res.data) == rep.n_loaded
    assert all(p.severity == "error" for p in rep if p.rejected)
    if kind == "boundaries":
        assert set(res.data.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}
        return
    xy = shapely.get_coordinates(res.data.geometry.to_numpy())
    assert len(xy) == len(res.data) and np.isfinite(xy).all()
    assert ((xy[:, 0] >= CHINA_BBOX[0]) & (xy[:, 0] <= CHINA_BBOX[2])).all()
    if kind == "demand":
        people = res.data[list(POPULATION_COLUMNS)].to_numpy()
        assert ((people >= 0) & (people <= MAX_PEOPLE_PER_POINT)).all()


def _load(kind: str, data: object) -> None:
    try:
        res = LOADERS[kind](data)
    except CoverageError as exc:
        event(f"{kind}: {type(exc).__name__}")
        return
    loaded, rejected = len(res.data) > 0, res.report.n_rejected > 0
    event(f"{kind}: loaded {'some' if loaded else 'none'}, rejected {'some' if rejected else 'none'}")
    _check(res, kind)


@_settings(1500)
@given(raw=st.one_of(st.binary(max_size=300),
                     st.lists(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b",", b"\t", b";", b'"', b"\r",
                                               b"\n", b"\r\n", "村".encode("gbk"), "村".encode(), b"\xff", b"a", b"1"]),
                              max_size=40).map(b"".join)))
def test_read_table_on_fuzzed_bytes_raises_only_library_errors(raw):
    upload = io.BytesIO(raw)
    upload.name = "fuzz.csv"
    try:
        table = read_table(upload)
    except CoverageError:
        return
    assert len(table.frame) == len(table.rows)
    assert all(0 <= i < len(table.frame) for i, _ in table.undecodable)


@st.composite
def csv_files(draw):
    kind = draw(st.sampled_from(sorted(HEADERS)))
    header = HEADERS[kind]
    rows = draw(table_rows(kind))
    sep = draw(st.sampled_from([",", "\t", ";"]))
    if draw(st.booleans()):  # quoted as Excel writes it
        buf = io.StringIO(newline="")
        csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows([header, *rows])
        text = buf.getvalue()
    else:  # joined by hand, quotes and separators left as they fall
        text = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    raw = text.encode(encoding, errors="replace" if encoding != "utf-16" else "surrogatepass")
    return kind, raw


@_settings(150)
@given(case=csv_files())
def test_loaders_on_fuzzed_csv(case):
    kind, raw = case
    upload = io.BytesIO(raw)
    upload.name = "fuzz.csv"
    _load(kind, upload)


XLSX_CELL = st.one_of(
    st.sampled_from([n for n in NASTY if n.isprintable()]),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!", "=1/0", "=A1+1"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
    st.none())


@_settings(60)
@given(kind=st.sampled_from(sorted(HEADERS)), data=st.data(), title=st.booleans())
def test_loaders_on_fuzzed_workbooks(kind, data, title):
    rows = data.draw(st.lists(st.lists(st.one_of(st.sampled_from(["V1", "102.5", "24.3", "幸福小院", "闲置校舍"]),
                                                 XLSX_CELL), min_size=5, max_size=8), max_size=5))
    for row in rows:  # numbers where Excel keeps them: coordinates in columns 3-4 (demand) or 6-7
        if kind == "demand" and len(row) > 3:
            row[2:4] = [102.5 + len(row) / 100, 24.3]
        elif len(row) > 6:
            row[5:7] = [102.5 + len(row) / 100, 24.3]
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["某县名单"])
    ws.append(HEADERS[kind])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "fuzz.xlsx"
    _load(kind, buf)


FRAME_CELL = st.one_of(XLSX_CELL, st.sampled_from([np.nan, pd.NA, None, True, float("inf"), 2 ** 64, -0.0,
                                                   b"\x00bytes", "\x00", "甲\ud800"]))


@_settings(150)
@given(kind=st.sampled_from(sorted(HEADERS)), data=st.data())
def test_loaders_on_fuzzed_dataframes(kind, data):
    header = HEADERS[kind]
    rows = [[data.draw(FRAME_CELL) if data.draw(st.integers(min_value=0, max_value=5)) == 0 else data.draw(_VALID[h])
             for h in header] for _ in range(data.draw(st.integers(min_value=1, max_value=6)))]
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["编号"] = pd.Series([f"V{i}" if i % 3 else v for i, v in enumerate(frame["编号"])], dtype=object)
    try:
        res = LOADERS[kind](frame)
    except CoverageError:
        return
    _check(res, kind)
    if kind == "demand":
        _no_silent_population_change(frame, res)


def _same_number(cell: object, people: int) -> bool:
    """Whether ``people`` is what ``cell`` plainly says (an empty cell says 0)."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return people == 0
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell) == people
    text = str(cell).strip()
    if not text:
        return people == 0  # an empty text cell: noted for the column, read as 0
    return text.isascii() and text.isdigit() and int(text) == people


def _no_silent_population_change(frame: pd.DataFrame, res) -> None:
    """A loaded count that differs from what its cell plainly says has a report line at that cell."""
    loaded = res.data.set_index("id")
    for position, row in frame.iterrows():
        rid = row["编号"]
        if not (isinstance(rid, str) and rid.startswith("V") and rid in loaded.index):
            continue
        for header, column in (("60岁以上老年人", "elderly_60plus"), ("留守儿童", "left_behind_children")):
            if not _same_number(row[header], int(loaded.loc[rid, column])):
                assert any(p.row == position + 2 and p.column == header for p in res.report), (row[header], rid)


COORD = st.one_of(st.floats(min_value=73, max_value=135), st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def geometries(draw):
    shape = draw(st.sampled_from(["point", "point", "polygon", "polygon", "line", "multipoint", "none", "empty",
                                  "collection"]))
    if shape == "point":  # NaN and infinite coordinates only here: GEOS refuses them in rings
        with np.errstate(invalid="ignore"):
            return shapely.Point(draw(COORD), draw(st.floats(min_value=18, max_value=54)))
    pts = draw(st.lists(st.tuples(st.floats(min_value=73, max_value=135), st.floats(min_value=18, max_value=54)),
                        min_size=1, max_size=5))
    if shape == "multipoint":
        return shapely.MultiPoint(pts)
    if shape == "line":
        return shapely.LineString([*pts, pts[0]]) if len(pts) == 1 else shapely.LineString(pts)
    if shape == "polygon":
        ring = (pts * 3)[:max(3, len(pts))]
        return shapely.Polygon([*ring, ring[0]])  # often degenerate or self-intersecting, on purpose
    if shape == "collection":
        return shapely.GeometryCollection([shapely.Point(pts[0]), shapely.LineString([*pts, pts[0]])])
    if shape == "empty":
        return shapely.Polygon()
    return None


@_settings(120)
@given(kind=st.sampled_from(["facilities", "boundaries", "demand"]),
       features=st.lists(st.tuples(geometries(), st.sampled_from(NASTY)), min_size=1, max_size=5))
def test_loaders_on_fuzzed_geodataframes(kind, features):
    props = {"facilities": ("类型", "幸福小院"), "boundaries": ("代码", "530402001000"), "demand": ("留守儿童", "3")}
    column, value = props[kind]
    gdf = gpd.GeoDataFrame({"编号": [f"G{i}" for i in range(len(features))],
                            "名称": [f[1] for f in features], column: [value] * len(features)},
                           geometry=gpd.GeoSeries([f[0] for f in features]), crs="EPSG:4326")
    _load(kind, gdf)
