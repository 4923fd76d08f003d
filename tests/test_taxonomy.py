import pytest

from coverage.errors import UnknownCategoryError
from coverage.taxonomy import (
    FACILITY_TYPES,
    POPULATION_GROUPS,
    facility_type,
    facility_types_in,
    label,
    population_group,
)


def test_every_type_has_a_category_and_chinese_label():
    for t in FACILITY_TYPES.values():
        assert t.category in {"care", "funeral", "child"}
        assert t.zh and t.en


@pytest.mark.parametrize(
    "text, key",
    [("幸福院", "happy_courtyard"), ("日间照料中心", "community_daycare"), ("殡仪馆", "funeral_home"),
     ("Childrens Home", "childrens_home"), ("社工室", "social_work_station")],
)
def test_facility_type_aliases(text, key):
    assert facility_type(text).key == key


def test_unknown_type_suggests_the_closest():
    with pytest.raises(UnknownCategoryError, match="did you mean '儿童之家'"):
        facility_type("儿童之屋")


def test_groups_and_categories():
    assert population_group("60岁以上老年人").key == "elderly_60plus"
    assert "left_behind_children" in POPULATION_GROUPS
    assert set(facility_types_in("funeral")) >= {"funeral_home", "public_cemetery", "ash_placement"}
    assert label("left_behind_children", "en") == "Left-behind children"
    with pytest.raises(UnknownCategoryError, match="unknown category"):
        facility_types_in("schools")


# ------------------------------------------------------------------ travel modes, can_host, progress


def test_one_travel_mode_vocabulary_for_standards_and_network():
    from coverage.metrics.standards import MODES as STANDARD_MODES
    from coverage.network import MODES as NETWORK_MODES
    from coverage.taxonomy import TRAVEL_MODES, travel_mode

    assert set(NETWORK_MODES) == set(TRAVEL_MODES) == set(STANDARD_MODES)
    for key, term in TRAVEL_MODES.items():
        assert (NETWORK_MODES[key].zh, NETWORK_MODES[key].en) == (term.zh, term.en)
    assert travel_mode("电瓶车").key == "ebike"
    assert travel_mode("E-bike / motorcycle").key == "ebike"  # the network's former label still reads
    with pytest.raises(UnknownCategoryError, match="unknown travel mode 'bus'"):
        travel_mode("bus")


def test_parse_hosts_reads_labels_and_categories_and_reports_unknown_items():
    from coverage.taxonomy import facility_types_in, parse_hosts

    keys, unknown = parse_hosts("幸福小院、儿童之家; 花园")
    assert keys == ["happy_courtyard", "childrens_home"] and unknown == ["花园"]
    keys, unknown = parse_hosts("殡葬设施/殡仪馆")
    assert keys == facility_types_in("funeral") and unknown == []


@pytest.mark.parametrize(("value", "expected"), [
    ("happy_courtyard;childrens_home", True), ("funeral_home", False), ("", True), (None, True),
    (float("nan"), True),
])
def test_can_host_empty_means_any_type(value, expected):
    from coverage.taxonomy import can_host

    assert can_host(value, "childrens_home") is expected


def test_scaled_progress_maps_a_step_onto_its_share_of_the_bar():
    from coverage.progress import scaled

    seen: list[tuple[float, str]] = []
    step = scaled(lambda f, m: seen.append((f, m)), start=0.2, stop=0.6)
    step(0.0, "a")
    step(0.5, "b")
    step(2.0, "c")  # clipped, never past the step's end
    assert seen == [(0.2, "a"), (pytest.approx(0.4), "b"), (pytest.approx(0.6), "c")]
    scaled(None, start=0.0, stop=1.0)(0.5, "nothing to show")  # no callback: no error
