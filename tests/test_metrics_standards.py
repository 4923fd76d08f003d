"""Standards file: defaults from DOMAIN.md, round trip, and clear errors for a user's mistakes."""

from __future__ import annotations

import pytest
import yaml

from coverage.errors import FileReadError, InputError, UnknownCategoryError
from coverage.metrics import (
    DEFAULT_STANDARDS_PATH,
    VILLAGES,
    default_standards,
    load_standards,
    save_standards,
    standards_from_dict,
)


def _one_service(**over):
    svc = {
        "key": "s",
        "zh": "服务",
        "en": "service",
        "facility_types": ["幸福小院"],
        "groups": ["老年人"],
        "mode": "步行",
        "threshold_min": 15,
        "target_share": 0.9,
    }
    svc.update(over)
    return {"services": [svc]}


def test_defaults_carry_the_bureaus_targets():
    std = default_standards()
    eld = std.service("elderly_15min")
    assert (eld.mode, eld.threshold_min, eld.target_share) == ("walk", 15.0, 0.9)
    assert "community_daycare" in eld.facility_types and "elderly_institution" not in eld.facility_types
    assert std.service("children_20min").threshold_min == 20
    assert std.service("funeral_home_60min").groups[0] == VILLAGES
    assert std.service("funeral_home_60min").mode == "car"
    assert std.unit_rule("township_elderly_center").target_share == 0.6
    assert std.unit_rule("county_disability_care").level == "county"
    assert std.service("elderly_beds_30min").capacity
    assert std.modes == ["walk", "car"]
    for s in std.services:
        assert s.zh and s.en


def test_chinese_names_and_aliases_resolve_to_keys():
    std = standards_from_dict(_one_service(groups=["60岁以上老年人", "村"], mode="驾车"))
    s = std.services[0]
    assert s.facility_types == ("happy_courtyard",)
    assert s.groups == ("elderly_60plus", VILLAGES)
    assert s.mode == "car"


def test_save_and_reload_round_trip(tmp_path):
    std = default_standards().with_threshold("elderly_15min", 10).with_target("children_20min", 0.8)
    path = save_standards(std, tmp_path / "标准.yaml")
    again = load_standards(path)
    assert again.service("elderly_15min").threshold_min == 10
    assert again.service("children_20min").target_share == 0.8
    assert [s.zh for s in again.services] == [s.zh for s in std.services]
    assert again.unit_rules == std.unit_rules


def test_unknown_facility_type_names_file_and_entry(tmp_path):
    data = _one_service(facility_types=["幸福小院", "儿童之屋"])
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        UnknownCategoryError, match=r"my\.yaml: services\[0\] 's': facility_types: .*儿童之屋"
    ):
        load_standards(path)


def test_unknown_group_is_an_error():
    with pytest.raises(
        UnknownCategoryError, match=r"services\[0\] 's': groups: unknown population group '老头'"
    ):
        standards_from_dict(_one_service(groups=["老头"]), source="x.yaml")


def test_unknown_mode_is_an_error():
    with pytest.raises(UnknownCategoryError, match="unknown travel mode 'bus'"):
        standards_from_dict(_one_service(mode="bus"))


def test_percent_instead_of_share_says_how_to_fix():
    with pytest.raises(
        InputError, match=r"target_share must be a share between 0 and 1, got 90 \(write 0.9 for 90%\)"
    ):
        standards_from_dict(_one_service(target_share=90))


def test_bad_threshold_missing_field_and_duplicates():
    with pytest.raises(InputError, match="threshold_min must be a positive number"):
        standards_from_dict(_one_service(threshold_min=-5))
    with pytest.raises(InputError, match="missing mode"):
        standards_from_dict(_one_service(mode=None))
    data = _one_service()
    data["services"].append(dict(data["services"][0]))
    with pytest.raises(InputError, match="key 's' is used twice"):
        standards_from_dict(data)
    with pytest.raises(InputError, match="unknown field.*treshold"):
        standards_from_dict(_one_service(treshold=3))


def test_unit_rule_errors():
    base = {"key": "r", "level": "乡镇", "facility_types": ["乡镇敬老院"], "target_share": 0.6}
    std = standards_from_dict({"unit_rules": [base]})
    assert std.unit_rules[0].level == "township"
    assert std.unit_rules[0].facility_types == ("township_elderly_center",)
    with pytest.raises(UnknownCategoryError, match=r"unit_rules\[0\] 'r': unknown level 'province'"):
        standards_from_dict({"unit_rules": [{**base, "level": "province"}]})
    with pytest.raises(InputError, match="min_count must be a whole number"):
        standards_from_dict({"unit_rules": [{**base, "min_count": 0}]})


def test_file_errors(tmp_path):
    with pytest.raises(FileReadError, match="cannot read the standards file"):
        load_standards(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [unclosed", encoding="utf-8")
    with pytest.raises(FileReadError, match="bad.yaml: not valid YAML"):
        load_standards(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="nothing to analyse"):
        load_standards(empty)


def test_unknown_service_lookup():
    with pytest.raises(UnknownCategoryError, match="no service 'nope'"):
        default_standards().service("nope")


def test_default_file_is_the_shipped_one():
    assert DEFAULT_STANDARDS_PATH.name == "standards.yaml" and DEFAULT_STANDARDS_PATH.is_file()
