"""Each rule of the default standards, read as the reviews read it, on small hand-built cases.

The rules are taken from ``coverage/data/standards.yaml`` itself (not re-typed here), so a change
of the shipped reading shows up here.  Travel times are given directly (known by hand).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.errors import InputError, MissingColumnError, UnknownCategoryError
from coverage.metrics import ServiceTravel, analyze, default_standards, load_standards, standards_from_dict
from coverage.metrics.capacity import actual_occupancy, capacity_analysis
from coverage.metrics.funeral import funeral_demand
from coverage.metrics.standards import FuneralDemand, Standards


def _rules(*keys: str, services: tuple[str, ...] = ()) -> Standards:
    std = default_standards()
    return Standards(services=tuple(std.service(k) for k in services),
                     unit_rules=tuple(std.unit_rule(k) for k in keys), source="test")


def _villages(n: int = 3, names: list[str] | None = None, town: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = [f"V{i + 1}" for i in range(n)]
    town = town or ["530402001"] * n
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "name": names or [f"{c}村" for c in "甲乙丙丁戊"[:n]],
            "county_code": ["530402"] * n,
            "county_name": ["红塔区"] * n,
            "township_code": town,
            "township_name": [f"镇{t[-1]}" for t in town],
            "village_code": [f"{t}{i + 1:03d}" for i, t in enumerate(town)],
            "population": [1000] * n,
            "elderly_60plus": [100] * n,
        },
        geometry=[Point(102.5 + 0.01 * i, 24.3) for i in range(n)],
        crs="EPSG:4326",
    )


def _facilities(rows: list[tuple[str, str, str]]) -> gpd.GeoDataFrame:
    """(id, type key, village_code) rows, each in its village's township and county (canonical table)."""
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "type": [r[1] for r in rows],
            "capacity": [np.nan] * len(rows),
            "status": ["existing"] * len(rows),
            "county_code": [r[2][:6] for r in rows],
            "township_code": [r[2][:9] for r in rows],
            "village_code": [r[2] for r in rows],
        },
        geometry=[Point(102.5, 24.3)] * len(rows),
        crs="EPSG:4326",
    )


def _rule_row(result, key):
    return result.unit_rules.set_index("rule").loc[key]


def test_happy_courtyard_and_childrens_home_are_separate_rules():
    """Dali's 幸福小院 in every village is not met by a 儿童之家, and the other way round."""
    fac = _facilities([("F1", "happy_courtyard", "530402001001"), ("F2", "childrens_home", "530402001002")])
    res = analyze(_villages(2), fac, standards=_rules("village_happy_courtyard", "village_childrens_home"))
    hc, ch = _rule_row(res, "village_happy_courtyard"), _rule_row(res, "village_childrens_home")
    assert (hc.units_passed, hc.units_total, hc.passed) == (1, 2, False)
    assert (ch.units_passed, ch.units_total, ch.passed) == (1, 2, False)
    both = _facilities([("F1", "happy_courtyard", "530402001001"), ("F2", "happy_courtyard", "530402001002")])
    res = analyze(_villages(2), both, standards=_rules("village_happy_courtyard", "village_childrens_home"))
    assert _rule_row(res, "village_happy_courtyard").passed == True  # noqa: E712 - numpy bool
    assert _rule_row(res, "village_childrens_home").units_passed == 0


def test_social_work_station_counts_townships_and_room_counts_villages():
    """乡为站所、村为室点: a station in the township does not make its villages' rooms, and rooms no station."""
    v = _villages(3, town=["530402001", "530402001", "530402002"])
    fac = _facilities([("S1", "social_work_station", "530402001001"), ("R1", "social_work_room", "530402001001"),
                       ("R2", "social_work_room", "530402002003")])
    res = analyze(v, fac, standards=_rules("township_social_work_station", "village_social_work_room"))
    st, rm = _rule_row(res, "township_social_work_station"), _rule_row(res, "village_social_work_room")
    assert (st.units_passed, st.units_total) == (1, 2)
    assert (rm.units_passed, rm.units_total) == (2, 3)
    # the reviews publish counts, no target: counted and reported, never "met" or "not met"
    assert st.passed is None and st.status == "no_target" and rm.status == "no_target"


def test_minor_protection_station_in_every_township():
    v = _villages(3, town=["530402001", "530402001", "530402002"])
    fac = _facilities([("M1", "minor_protection_station", "530402001002")])
    res = analyze(v, fac, standards=_rules("township_minor_protection"))
    r = _rule_row(res, "township_minor_protection")
    assert (r.units_passed, r.units_total, r.passed) == (1, 2, False)
    fac = _facilities([("M1", "minor_protection_station", "530402001002"),
                       ("M2", "minor_protection_station", "530402002003")])
    res = analyze(v, fac, standards=_rules("township_minor_protection"))
    assert _rule_row(res, "township_minor_protection").passed == True  # noqa: E712


def _ash_travel(times: list[float]) -> dict[str, ServiceTravel]:
    idx = pd.Index([f"V{i + 1}" for i in range(len(times))], name="id")
    near = pd.DataFrame({"travel_time_min": times, "facility_id": ["A1"] * len(times)}, index=idx)
    svc = default_standards().service("ash_placement_villages")
    return {svc.key: ServiceTravel(svc.key, svc.mode, svc.facility_types, None, near)}


def test_ash_placement_covers_townships_and_serves_villages_within_the_stated_time():
    """'100% of townships and villages': one in the township, every village within 30 min by car of one.

    One facility in village 甲 of a three-village township: the old reading (one inside every village)
    would judge 1 of 3 villages; the published reading is met when 乙 and 丙 are within 30 minutes.
    """
    std = _rules("township_ash_placement", services=("ash_placement_villages",))
    assert std.service("ash_placement_villages").threshold_min == 30
    assert std.service("ash_placement_villages").mode == "car"
    fac = _facilities([("A1", "ash_placement", "530402001001")])
    met = analyze(_villages(3), fac, standards=std, travel=_ash_travel([2.0, 20.0, 30.0]))
    assert _rule_row(met, "township_ash_placement").passed == True  # noqa: E712
    row = met.summary.set_index("service").loc["ash_placement_villages"]
    assert (row.covered_people, row.total_people, row.passed) == (3, 3, True)
    short = analyze(_villages(3), fac, standards=std, travel=_ash_travel([2.0, 20.0, 45.0]))
    row = short.summary.set_index("service").loc["ash_placement_villages"]
    assert (row.covered_people, row.passed) == (2, False)
    assert "village_ash_placement" not in {r.key for r in default_standards().unit_rules}


def test_community_day_care_counts_centres_and_day_care_venues_in_communities_only():
    v = _villages(3, names=["聂耳社区", "玉兴社区", "甲村"])
    fac = _facilities([("D1", "community_daycare", "530402001001"), ("D2", "elderly_activity_center", "530402001002")])
    res = analyze(v, fac, standards=_rules("community_daycare"))
    r = _rule_row(res, "community_daycare")
    assert (r.units_passed, r.units_total, r.passed) == (2, 2, True)  # 甲村 is not a community


def test_township_centre_rule_counts_a_county_disability_care_institution_in_the_township():
    v = _villages(3, town=["530402001", "530402002", "530402003"])
    fac = _facilities([("T1", "township_elderly_center", "530402001001"),
                       ("C1", "county_disability_care", "530402002002")])
    res = analyze(v, fac, standards=_rules("township_elderly_center", "county_disability_care"))
    r = _rule_row(res, "township_elderly_center")
    assert (r.units_passed, r.units_total) == (2, 3) and r.passed == True  # noqa: E712 - 67% >= 60%
    assert _rule_row(res, "county_disability_care").passed == True  # noqa: E712


# ------------------------------------------------------------------ the user's own facility types


_OWN_TYPES = """
facility_types:
  - key: youth_centre
    zh: 青少年活动中心
    en: Youth activity centre
    category: 儿童
    capacity_unit: 名额
    aliases: [少年宫]
unit_rules:
  - key: town_youth
    zh: 每个乡镇有青少年活动中心
    en: Youth centre per township
    level: township
    facility_types: [少年宫]
    target_share: 1.0
"""


def test_a_facility_type_added_in_the_standards_file_is_accepted_by_the_loaders(tmp_path):
    from coverage.inputs import load_facilities
    from coverage.taxonomy import FACILITY_TYPES, unregister_facility_types

    csv = tmp_path / "设施.csv"
    csv.write_text("编号,名称,类型,经度,纬度\nF1,甲少年宫,少年宫,102.5,24.3\nF2,乙托育,托育机构,102.6,24.3\n",
                   encoding="utf-8")
    unregister_facility_types(["youth_centre"])
    before = load_facilities(csv)
    assert before.data["id"].tolist() == ["F2"]  # 少年宫 unknown without the standards: rejected, reported
    assert before.report.n_rejected == 1
    path = tmp_path / "标准.yaml"
    path.write_text(_OWN_TYPES, encoding="utf-8")
    try:
        std = load_standards(path)
        assert std.unit_rule("town_youth").facility_types == ("youth_centre",)
        assert FACILITY_TYPES["youth_centre"].capacity_unit == "places"
        after = load_facilities(csv)
        assert after.data["type"].tolist() == ["youth_centre", "childcare_institution"]
        assert after.data["capacity_unit"].tolist() == ["places", "places"]
        # saved and read back: the section is kept
        from coverage.metrics import save_standards

        again = load_standards(save_standards(std, tmp_path / "again.yaml"))
        assert again.facility_types == std.facility_types and again.digest() == std.digest()
    finally:
        unregister_facility_types(["youth_centre"])


@pytest.mark.parametrize(("entry", "match"), [
    ({"key": "x", "zh": "某", "en": "X", "category": "学校"}, "unknown category '学校'"),
    ({"key": "x", "zh": "某", "en": "X", "category": "child", "capacity_unit": "rooms"},
     "unknown capacity_unit 'rooms'"),
    ({"key": "childrens_home", "zh": "某", "en": "X", "category": "child"}, "built-in type"),
    ({"key": "Bad Key", "zh": "某", "en": "X", "category": "child"}, "lower-case letters"),
    ({"key": "x", "zh": "某", "en": "X", "category": "child", "colour": "red"}, "unknown field"),
    ({"key": "x", "zh": "某", "category": "child"}, "missing en"),
])
def test_bad_own_facility_types_name_the_file_and_entry(entry, match):
    data = {"facility_types": [entry], "unit_rules": [
        {"key": "r", "level": "village", "facility_types": ["儿童之家"], "target_share": 1.0}]}
    with pytest.raises((InputError, UnknownCategoryError), match=match):
        standards_from_dict(data, source="我的标准.yaml")
    with pytest.raises((InputError, UnknownCategoryError), match="我的标准.yaml: facility_types"):
        standards_from_dict(data, source="我的标准.yaml")


def test_standards_digest_follows_the_content():
    std = default_standards()
    assert std.digest() == standards_from_dict(std.to_dict(), source="elsewhere").digest()
    assert std.with_threshold("elderly_15min", 10).digest() != std.digest()
    assert std.with_rule_target("township_elderly_center", 0.7).digest() != std.digest()
    assert std.with_rule_target("township_elderly_center", None).unit_rule("township_elderly_center").target_share \
        is None
    with pytest.raises(InputError, match="write 0.7 for 70%"):
        std.with_rule_target("township_elderly_center", 70)


# ------------------------------------------------------------------ occupancy and funeral demand


def test_actual_occupancy_is_reported_beside_the_expected(tmp_path):
    """在院人数 read from the list; actual = residents / beds of the institutions that report them."""
    from coverage.inputs import load_facilities

    csv = tmp_path / "机构.csv"
    csv.write_text("编号,类型,床位数,在院人数,经度,纬度\nF1,养老机构,100,40,102.5,24.3\n"
                   "F2,养老机构,50,10,102.6,24.3\nF3,养老机构,30,,102.7,24.3\nF4,养老机构,20,25,102.8,24.3\n",
                   encoding="utf-8")
    res = load_facilities(csv)
    fac = res.data
    assert fac["residents"].tolist()[:2] == [40.0, 10.0] and np.isnan(fac["residents"].iloc[2])
    over = [p for p in res.report.problems if p.code == "residents_over_capacity"]
    assert len(over) == 1 and over[0].row == 5 and over[0].severity == "warning"
    assert actual_occupancy(fac)["actual_occupancy_share"] == pytest.approx(75 / 170)  # F3 has no figure
    people = pd.Series({"v1": 30.0}, name="people")
    nearest = pd.DataFrame({"travel_time_min": [5.0], "facility_id": ["F1"]}, index=pd.Index(["v1"], name="id"))
    od = pd.DataFrame({"from_id": ["v1"], "to_id": ["F1"], "travel_time_min": [5.0]})
    cap = capacity_analysis(people, fac, nearest, od, threshold_min=30)
    s = cap.summary
    assert s["expected_occupancy_share"] == pytest.approx(30 / 200)
    assert s["actual_occupancy_share"] == pytest.approx(75 / 170)
    assert (s["residents_total"], s["facilities_with_residents"]) == (75.0, 3)
    f1 = cap.facilities.set_index("facility_id").loc["F1"]
    assert f1.occupancy_share == pytest.approx(0.4)
    # a list without residents: no actual figure, never 0%
    assert actual_occupancy(fac.drop(columns="residents"))["actual_occupancy_share"] is None


def test_funeral_demand_by_county_from_population_and_an_editable_rate():
    v = _villages(3)
    v.loc[2, ["county_code", "county_name", "township_code", "village_code"]] = [
        "530421", "江川区", "530421001", "530421001001"]
    fac = _facilities([("C1", "public_cemetery", "530402001001"), ("A1", "ash_placement", "530402001002"),
                       ("E1", "eco_burial", "530421001001")])
    fac["capacity"] = [100.0, 40.0, np.nan]
    t = funeral_demand(v, fac, FuneralDemand(death_rate_per_1000=10.0, min_years=5)).set_index("county_code")
    hong, jiang, total = t.loc["530402"], t.loc["530421"], t.loc["all"]
    assert hong.deaths_per_year == 20.0 and hong.cemetery_years == 5.0 and hong.ash_years == 2.0
    assert not hong.short  # (100 + 40) / 20 = 7 years >= 5
    assert jiang.deaths_per_year == 10.0 and jiang.facilities_without_capacity == 1 and jiang.short
    assert total.deaths_per_year == 30.0 and total.county_name == "全部"
    doubled = funeral_demand(v, fac, FuneralDemand(death_rate_per_1000=20.0, min_years=5)).set_index("county_code")
    assert doubled.loc["530402", "deaths_per_year"] == 40.0 and doubled.loc["530402", "short"]
    with pytest.raises(MissingColumnError, match="population"):
        funeral_demand(v.drop(columns="population"), fac, FuneralDemand())
    with pytest.raises(InputError, match="death_rate_per_1000 must be deaths per 1,000"):
        standards_from_dict({"funeral_demand": {"death_rate_per_1000": "7‰"}, "unit_rules": [
            {"key": "r", "level": "village", "facility_types": ["儿童之家"]}]}, source="s.yaml")
    assert default_standards().funeral.death_rate_per_1000 > 0


# ------------------------------------------------------------------ the tables the Standards page edits


def test_tables_round_trip_and_edits_become_standards():
    from coverage.metrics import standards_from_tables, standards_tables

    std = default_standards()
    services, rules = standards_tables(std)
    assert standards_from_tables(services, rules, base=std).digest() == std.digest()
    services.loc[services["key"] == "elderly_15min", "threshold_min"] = 10.0
    rules.loc[len(rules)] = ["town_canteen", "乡镇助餐点", "Canteen per township", "township", "幸福食堂、助餐点",
                             2.0, None, None, None]
    new = standards_from_tables(services, rules, base=std, source="标准页")
    assert new.service("elderly_15min").threshold_min == 10
    added = new.unit_rule("town_canteen")
    assert (added.facility_types, added.min_count, added.target_share) == (("elderly_canteen",), 2, None)
    assert new.funeral == std.funeral and new.digest() != std.digest()
    rules.loc[len(rules) - 1, "target_share"] = 60  # percent typed instead of a share
    with pytest.raises(InputError, match=r"标准页: unit_rules\[\d+\] 'town_canteen': target_share .*write 0.6 for 60%"):
        standards_from_tables(services, rules, base=std, source="标准页")


def test_an_uploaded_standards_file_that_cannot_be_read_says_why():
    from coverage.errors import FileReadError
    from coverage.metrics import standards_from_yaml, standards_to_yaml

    std = default_standards()
    assert standards_from_yaml(standards_to_yaml(std).encode("utf-8"), source="x.yaml").digest() == std.digest()
    with pytest.raises(FileReadError, match="我的.yaml: not UTF-8"):
        standards_from_yaml("services: []".encode("utf-16"), source="我的.yaml")
    with pytest.raises(FileReadError, match="我的.yaml: not valid YAML"):
        standards_from_yaml("services: [a, b", source="我的.yaml")
