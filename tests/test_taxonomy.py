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
