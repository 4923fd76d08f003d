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
        assert t.category in {"care", "funeral", "child", "social"}
        assert t.zh and t.en


@pytest.mark.parametrize(
    "text, key",
    [("幸福院", "happy_courtyard"), ("日间照料中心", "community_daycare"), ("殡仪馆", "funeral_home"),
     ("Childrens Home", "childrens_home"), ("社工室", "social_work_room"), ("乡镇社工站", "social_work_station"),
     ("托育机构", "childcare_institution"), ("老年活动中心", "elderly_activity_center"),
     ("日间照料场所", "elderly_activity_center"), ("精康", "mental_health_rehab"), ("救助管理站", "relief_station")],
)
def test_facility_type_aliases(text, key):
    assert facility_type(text).key == key


def test_unknown_type_suggests_the_closest():
    with pytest.raises(UnknownCategoryError, match="did you mean '儿童之家'"):
        facility_type("儿童之屋")


def test_a_childcare_name_is_never_corrected_to_an_elderly_type():
    """托育 is a child service: an unknown childcare name gets no elderly-care suggestion."""
    with pytest.raises(UnknownCategoryError) as err:
        facility_type("托育服务所")
    assert "居家养老" not in str(err.value).split("Known:")[0]
    assert "did you mean '托育服务机构'" in str(err.value)  # its own category's type is fine
    # a name like nothing known gets no suggestion at all (no misleading guess)
    with pytest.raises(UnknownCategoryError) as err:
        facility_type("花园")
    assert "did you mean" not in str(err.value)
    # a childcare name close to an elderly-care one (婴幼儿照护服务中心 ~ 居家养老服务中心): never suggested
    import difflib

    assert difflib.SequenceMatcher(None, "婴幼儿照护服务中心", "居家养老服务中心").ratio() > 0.4
    with pytest.raises(UnknownCategoryError) as err:
        facility_type("婴幼儿照护服务中心")
    assert "养老" not in str(err.value).split("Known:")[0]


def test_social_work_station_and_room_are_two_types():
    assert facility_type("社工站").key == "social_work_station"
    assert facility_type("社工室").key == "social_work_room"
    assert FACILITY_TYPES["social_work_room"].category == FACILITY_TYPES["social_work_station"].category


def test_user_facility_types_register_and_unregister():
    from coverage.errors import InputError
    from coverage.taxonomy import FacilityType, register_facility_types, unregister_facility_types

    t = FacilityType("youth_centre", "青少年活动中心", "Youth centre", ("少年宫",), category="child",
                     capacity_unit="places")
    try:
        assert register_facility_types([t]) == ["youth_centre"]
        assert facility_type("少年宫").key == "youth_centre"
        assert "youth_centre" in facility_types_in("child")
        with pytest.raises(InputError, match="built-in type"):
            register_facility_types([FacilityType("funeral_home", "殡仪馆2", "x", category="funeral")])
        with pytest.raises(InputError, match="already names 'childrens_home'"):
            register_facility_types([FacilityType("kids", "儿童之家", "Kids", category="child")])
        with pytest.raises(InputError, match="unknown category 'school'"):
            register_facility_types([FacilityType("school", "学校", "School", category="school")])
    finally:
        unregister_facility_types(["youth_centre"])
    with pytest.raises(UnknownCategoryError):
        facility_type("少年宫")


TEA = ("elder_tea_house", "老年茶室", "Elders' tea house", ("茶室",))
YOUTH = ("youth_centre", "青少年活动中心", "Youth centre", ("少年宫",))


def _own(spec: tuple, category: str):
    from coverage.taxonomy import FacilityType

    return FacilityType(*spec, category=category, capacity_unit="places")


def _known(name: str) -> str | None:
    try:
        return facility_type(name).key
    except UnknownCategoryError:
        return None


def test_two_sessions_in_two_threads_see_only_their_own_types():
    """As two Streamlit sessions (each script run a thread): A's 茶室 is unknown to B, B's 少年宫 to A, and
    neither reaches the rest of the process."""
    import threading

    from coverage.taxonomy import use_facility_types, vocabulary_key

    both_set = threading.Barrier(2, timeout=30)
    seen: dict[str, tuple] = {}

    def session(name: str, own) -> None:
        use_facility_types([own])
        both_set.wait()  # both sessions have set their types before either looks
        seen[name] = (_known("茶室"), _known("少年宫"), vocabulary_key(), own.key in FACILITY_TYPES)

    threads = [threading.Thread(target=session, args=("A", _own(TEA, "care"))),
               threading.Thread(target=session, args=("B", _own(YOUTH, "child")))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["A"][:2] == ("elder_tea_house", None) and seen["A"][3]
    assert seen["B"][:2] == (None, "youth_centre") and seen["B"][3]
    assert seen["A"][2] != seen["B"][2]  # their loaded tables are keyed apart
    assert _known("茶室") is None and _known("少年宫") is None
    assert "elder_tea_house" not in FACILITY_TYPES and "youth_centre" not in facility_types_in("child")


def test_a_standards_file_read_inside_a_scope_registers_its_types_there_only():
    from coverage.metrics import standards_from_dict
    from coverage.taxonomy import facility_types_scope

    data = {"facility_types": [{"key": "elder_tea_house", "zh": "老年茶室", "en": "Elders' tea house",
                                "category": "养老", "aliases": ["茶室"]}],
            "unit_rules": [{"key": "tea", "level": "village", "facility_types": ["茶室"], "target_share": None}]}
    with facility_types_scope():
        std = standards_from_dict(data, source="茶室.yaml")
        assert _known("茶室") == "elder_tea_house"
    assert _known("茶室") is None  # gone with the scope: never process-wide
    assert std.unit_rule("tea").facility_types == ("elder_tea_house",)
    with facility_types_scope(std.facility_types):  # what analyze() opens for the standards passed in
        assert FACILITY_TYPES["elder_tea_house"].zh == "老年茶室"
        assert _known("村老年茶室") is None  # an alias the file does not give
    assert "elder_tea_house" not in FACILITY_TYPES


def test_a_session_type_clashing_with_a_built_in_name_is_refused():
    from coverage.errors import InputError
    from coverage.taxonomy import FacilityType, use_facility_types

    with pytest.raises(InputError, match="already names 'childrens_home'"):
        use_facility_types([FacilityType("kids", "儿童之家", "Kids", category="child")])


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
