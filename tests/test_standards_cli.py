"""A standards file's own facility types on the command line: validate and analyze read them first."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import pytest

from coverage.cli import main
from coverage.taxonomy import unregister_facility_types

STANDARDS = """
facility_types:
  - key: youth_centre
    zh: 青少年活动中心
    en: Youth activity centre
    category: child
    capacity_unit: places
    aliases: [少年宫]
unit_rules:
  - key: town_youth
    zh: 每个乡镇有青少年活动中心
    en: Youth centre per township
    level: township
    facility_types: [youth_centre]
    target_share: 1.0
"""


@pytest.fixture()
def files(tmp_path):
    unregister_facility_types(["youth_centre"])
    std = tmp_path / "我的标准.yaml"
    std.write_text(STANDARDS, encoding="utf-8")
    fac = tmp_path / "设施.csv"
    fac.write_text("编号,名称,类型,经度,纬度\nF1,红塔少年宫,少年宫,102.54,24.35\n", encoding="utf-8")
    yield std, fac
    unregister_facility_types(["youth_centre"])


def test_validate_accepts_a_type_the_standards_define(files, capsys):
    std, fac = files
    assert main(["validate", str(fac), "--kind", "facilities"]) == 1  # unknown without the standards
    assert "少年宫" in capsys.readouterr().out
    assert main(["validate", str(fac), "--kind", "facilities", "--standards", str(std)]) == 0


def test_a_bad_standards_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "坏标准.yaml"
    bad.write_text("facility_types:\n  - {key: x, zh: 某, en: X, category: 学校}\nunit_rules: []\n",
                   encoding="utf-8")
    fac = tmp_path / "设施.csv"
    fac.write_text("编号,类型,经度,纬度\nF1,儿童之家,102.54,24.35\n", encoding="utf-8")
    assert main(["validate", str(fac), "--kind", "facilities", "--standards", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "坏标准.yaml: facility_types[0] 'x': unknown category '学校'" in err


TEA_STANDARDS = """
name_zh: 自定义类型标准
name_en: Standards with a type of our own
facility_types:
  - key: elder_tea_house
    zh: 老年茶室
    en: Elders' tea house
    category: care
    capacity_unit: places
    aliases: [茶室, 村老年茶室]
services:
  - key: tea_10min
    zh: 10分钟老年茶室
    en: Tea house within 10 min
    facility_types: [elder_tea_house]
    groups: [elderly_60plus]
    mode: walk
    threshold_min: 10
    target_share: 0.5
"""


def _roads_geojson(lons: list[float], lat: float) -> str:
    """A straight village road through the given longitudes (OSM class residential), one segment each."""
    import json

    features = [{"type": "Feature", "properties": {"highway": "residential", "name": f"村道{i}"},
                 "geometry": {"type": "LineString", "coordinates": [[a, lat], [b, lat]]}}
                for i, (a, b) in enumerate(itertools.pairwise(lons))]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


@pytest.fixture()
def tea_folder(tmp_path):
    """Three villages on one road 400 m apart (about 5 min walking each); a tea house (Chinese alias 茶室) at
    the first village; a candidate site at the third."""
    unregister_facility_types(["elder_tea_house"])
    folder = tmp_path / "茶室示例"
    folder.mkdir()
    lat, lons = 24.30, [102.500, 102.5039, 102.5078, 102.5117]
    (folder / "村庄名单.csv").write_text(
        "编号,村名,经度,纬度,60岁以上老人,常住人口\n"
        f"V1,甲村,{lons[0]},{lat},100,1000\nV2,乙村,{lons[1]},{lat},50,800\nV3,丙村,{lons[3]},{lat},30,600\n",
        encoding="utf-8")
    (folder / "设施名单.csv").write_text(f"编号,名称,设施类型,经度,纬度\nT1,甲村茶室,茶室,{lons[0]},{lat}\n",
                                      encoding="utf-8")
    (folder / "候选点位.csv").write_text(f"编号,名称,类别,经度,纬度\nC1,丙村村委会,村委会,{lons[3]},{lat}\n",
                                      encoding="utf-8")
    (folder / "roads.geojson").write_text(_roads_geojson(lons, lat), encoding="utf-8")
    std = tmp_path / "茶室标准.yaml"
    std.write_text(TEA_STANDARDS, encoding="utf-8")
    yield folder, std
    unregister_facility_types(["elder_tea_house"])


POPPLER = shutil.which("pdftotext") is not None


def test_a_user_added_type_loads_is_analysed_and_printed(tea_folder, tmp_path, capsys):
    """The standards file adds 老年茶室 (alias 茶室): the facilities file loads it, analyze counts it and the
    printed coverage map's legend names it."""
    folder, std = tea_folder
    assert main(["validate", str(folder / "设施名单.csv"), "--kind", "facilities"]) == 1  # unknown without it
    capsys.readouterr()
    assert main(["analyze", "--data", str(folder), "--standards", str(std), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (svc,) = out["services"]
    assert svc["facility_types"] == ["elder_tea_house"] and svc["facilities"] == 1  # the 茶室 row counted
    (group,) = svc["groups"]
    assert group["total"] == 180 and group["covered"] == 150  # 甲村 at the tea house, 乙村 ~5 min, 丙村 ~15 min
    pdf = tmp_path / "茶室覆盖图.pdf"
    assert main(["map", "--data", str(folder), "--standards", str(std), "--kind", "coverage",
                 "--service", "tea_10min", "--sites", "1", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    if not POPPLER:
        pytest.skip("pdftotext (poppler-utils) not installed: the legend text is not checked")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "老年茶室（1）" in text  # the legend entry of the facilities drawn: the type's name and count
    assert "elder_tea_house" not in text  # a name, never the key


@pytest.mark.parametrize(("lang", "beds", "actual"), [
    ("zh", "养老床位30分钟（容量）: 床位 4,565", "实际入住率 33.87%"),
    ("en", "Elderly-care beds within 30 min by car (capacity): 4,565 places",
     "residents in 54 facilities reporting, occupancy 33.87%"),
])
def test_analyze_prints_beds_and_occupancy_under_the_service_name(capsys, lang, beds, actual):
    """The Yuxi report: 4,565 beds and 33.87 % actual occupancy, under the service's name, not its key."""
    assert main(["analyze", "--region", "yuxi", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert beds in out and actual in out
    assert "elderly_beds_30min" not in out
