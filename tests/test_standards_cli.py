"""A standards file's own facility types on the command line: validate and analyze read them first."""

from __future__ import annotations

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
