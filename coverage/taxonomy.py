"""The field's vocabulary, defined once: population groups, facility types and
their categories, candidate-site kinds, statuses, capacity units, admin levels,
travel modes, and the facility types a candidate site can host.

Every key is a stable ASCII identifier used as a column name or a value in the
library's tables; every entry carries a Chinese (``zh``) and English (``en``)
label for the app, printed maps and workbooks, plus ``aliases``: other names a
planner's file may use for the same thing (matched after normalisation by
:func:`normalize_label`).

Example
-------
>>> from coverage.taxonomy import FACILITY_TYPES, facility_type
>>> facility_type("幸福小院").key
'happy_courtyard'
>>> FACILITY_TYPES["funeral_home"].category
'funeral'
"""

from __future__ import annotations

import contextvars
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from coverage.errors import InputError, UnknownCategoryError

__all__ = [
    "ADMIN_LEVELS",
    "BUILTIN_FACILITY_TYPES",
    "CANDIDATE_KINDS",
    "CAPACITY_UNITS",
    "CATEGORIES",
    "FACILITY_STATUSES",
    "FACILITY_TYPES",
    "HOST_SEPARATOR",
    "POPULATION_GROUPS",
    "SUGGEST_MIN_SIMILARITY",
    "TRAVEL_MODES",
    "FacilityType",
    "PopulationGroup",
    "Term",
    "can_host",
    "candidate_kind",
    "facility_status",
    "facility_type",
    "facility_types_in",
    "facility_types_scope",
    "guess_category",
    "label",
    "normalize_label",
    "parse_hosts",
    "population_group",
    "register_facility_types",
    "travel_mode",
    "unregister_facility_types",
    "use_facility_types",
    "vocabulary_key",
]


@dataclass(frozen=True)
class Term:
    """A vocabulary entry: stable key, Chinese and English labels, aliases."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class PopulationGroup(Term):
    """A demand group; ``key`` is also its column name in demand tables.

    ``kind`` is "elderly", "child" or "all"; ``unit`` is what one counts.
    """

    kind: str = "all"
    unit: str = "persons"


@dataclass(frozen=True)
class FacilityType(Term):
    """A kind of facility, in one of :data:`CATEGORIES`.

    ``capacity_unit`` is a key of :data:`CAPACITY_UNITS` or None when the
    type has no capacity in the data model.  ``serves`` lists the population
    groups the type is meant for (informative; standards decide what counts).
    """

    category: str = "care"
    capacity_unit: str | None = None
    serves: tuple[str, ...] = field(default_factory=tuple)


def _groups(*items: PopulationGroup) -> dict[str, PopulationGroup]:
    return {g.key: g for g in items}


def _types(*items: FacilityType) -> dict[str, FacilityType]:
    return {t.key: t for t in items}


def _terms(*items: Term) -> dict[str, Term]:
    return {t.key: t for t in items}


#: Population columns of a demand table, in display order.  ``population`` is the
#: total resident population (optional in users' files; used for deaths per year).
POPULATION_GROUPS: dict[str, PopulationGroup] = _groups(
    PopulationGroup("population", "常住人口", "Resident population",
                    ("总人口", "人口", "户籍人口", "人口数", "total population", "pop", "pop_total"), kind="all"),
    PopulationGroup("elderly_60plus", "60岁以上老年人", "Older people (60+)",
                    ("60岁及以上老年人", "60岁以上老人", "60岁以上", "老年人", "老年人口", "60周岁以上老年人",
                     "elderly", "older people", "pop_60plus", "age60plus", "60+"), kind="elderly"),
    PopulationGroup("elderly_80plus", "80岁以上老年人", "Older people (80+)",
                    ("80岁及以上老年人", "80岁以上老人", "80岁以上", "高龄老人", "80周岁以上老年人",
                     "pop_80plus", "age80plus", "80+"), kind="elderly"),
    PopulationGroup("disabled_elderly", "失能半失能老人", "Disabled older people",
                    ("失能/半失能老人", "失能、半失能老人", "失能老人", "失能和半失能老人", "disabled older people"),
                    kind="elderly"),
    PopulationGroup("left_behind_elderly", "留守老人", "Left-behind older people",
                    ("农村留守老年人", "留守老年人", "left-behind older people", "left behind elderly"),
                    kind="elderly"),
    PopulationGroup("dispersed_poor", "分散供养特困人员", "Dispersed extremely poor persons",
                    ("特困人员", "分散特困人员", "分散供养特困", "extremely poor", "dispersed extremely poor persons"),
                    kind="all"),
    PopulationGroup("left_behind_children", "留守儿童", "Left-behind children",
                    ("农村留守儿童", "left-behind children", "left behind children"), kind="child"),
    PopulationGroup("children_in_difficulty", "困境儿童", "Children in difficulty",
                    ("困境儿童人数", "children in difficulty"), kind="child"),
)

#: Facility categories, as the mission groups them.
CATEGORIES: dict[str, Term] = _terms(
    Term("care", "养老服务设施", "Care centres", ("养老", "care centres")),
    Term("funeral", "殡葬设施", "Cemeteries and funeral", ("殡葬", "funeral")),
    Term("child", "儿童服务设施", "Child homes", ("儿童", "child homes")),
    Term("social", "社会救助与康复设施", "Social assistance and rehabilitation",
         ("社会事务", "社会救助", "social assistance", "social services")),
)

_ELDERLY = ("elderly_60plus", "elderly_80plus", "disabled_elderly", "left_behind_elderly", "dispersed_poor")
_CHILD = ("left_behind_children", "children_in_difficulty")

#: The built-in facility types (read only through :data:`FACILITY_TYPES`).
_BUILTIN_TYPES: dict[str, FacilityType] = _types(
    # --- care centres
    FacilityType("elderly_institution", "养老机构", "Elderly-care institution",
                 ("养老院", "敬老院", "福利院(养老)", "社会福利院", "养老服务机构", "elderly institution",
                  "nursing home"),
                 category="care", capacity_unit="beds", serves=_ELDERLY),
    FacilityType("county_disability_care", "县级失能照护机构", "County disability-care institution",
                 ("失能照护机构", "县级失能人员照护机构", "失能老人照护机构",
                  "disability-care institution"),
                 category="care", capacity_unit="beds", serves=("disabled_elderly",)),
    FacilityType("township_elderly_center", "乡镇区域养老服务中心", "Township elderly service centre",
                 ("区域养老服务中心", "乡镇养老服务中心", "乡镇敬老院", "township elderly service center"),
                 category="care", capacity_unit="beds", serves=_ELDERLY),
    FacilityType("community_daycare", "居家养老服务中心", "Community home-care / day-care centre",
                 ("日间照料中心", "社区日间照料中心", "社区居家养老服务中心", "居家养老服务中心/日间照料中心",
                  "社区养老服务站", "day-care centre", "day care center", "home-care centre"),
                 category="care", capacity_unit="places", serves=_ELDERLY),
    FacilityType("rural_mutual_aid", "农村互助养老服务站", "Rural mutual-aid elderly station",
                 ("互助养老服务站", "农村互助养老点", "互助养老站", "mutual-aid station"),
                 category="care", capacity_unit="places", serves=_ELDERLY),
    FacilityType("happy_courtyard", "幸福小院", "Happy courtyard (elder and child)",
                 ("幸福院", "农村幸福院", "happy courtyard"),
                 category="care", capacity_unit="places", serves=_ELDERLY + _CHILD),
    FacilityType("elderly_canteen", "老年助餐点", "Elderly canteen",
                 ("幸福食堂", "幸福食堂/老年助餐点", "助餐点", "老年食堂", "canteen"),
                 category="care", capacity_unit="places", serves=_ELDERLY),
    FacilityType("elderly_activity_center", "老年活动中心/日间照料场所", "Elderly activity / day-care venue",
                 ("老年活动中心", "日间照料场所", "村组老年活动中心", "老年活动室", "村级日间照料场所",
                  "老年人活动中心", "elderly activity centre", "elderly activity center", "day-care venue"),
                 category="care", capacity_unit="places", serves=_ELDERLY),
    # --- cemeteries and funeral
    FacilityType("funeral_home", "殡仪馆", "Funeral home",
                 ("殡仪服务站", "火葬场", "funeral parlour"), category="funeral", capacity_unit=None),
    FacilityType("public_cemetery", "公益性公墓", "Public-welfare cemetery",
                 ("公益性墓地", "农村公益性公墓", "公墓(公益性)", "public cemetery"),
                 category="funeral", capacity_unit="plots"),
    FacilityType("ash_placement", "公益性骨灰安放设施", "Public ash-placement facility",
                 ("骨灰堂", "骨灰安放设施", "骨灰楼", "骨灰存放设施", "ash placement"),
                 category="funeral", capacity_unit="plots"),
    FacilityType("commercial_cemetery", "经营性公墓", "Commercial cemetery",
                 ("经营性墓地", "commercial cemetery"), category="funeral", capacity_unit="plots"),
    FacilityType("eco_burial", "生态安葬点", "Ecological burial site",
                 ("生态葬点", "农村生态安葬点", "生态墓地", "ecological burial"),
                 category="funeral", capacity_unit="plots"),
    # --- child homes
    FacilityType("child_welfare_home", "儿童福利院", "Child welfare home",
                 ("儿童福利机构", "儿童福利院(中心)", "child welfare institution"),
                 category="child", capacity_unit="beds", serves=_CHILD),
    FacilityType("childrens_home", "儿童之家", "Village children's home",
                 ("村儿童之家", "社区儿童之家", "children's home", "childrens home"),
                 category="child", capacity_unit="places", serves=_CHILD),
    FacilityType("minor_protection_station", "未成年人保护工作站", "Minor-protection station",
                 ("未保站", "乡镇未成年人保护工作站", "minor protection station"),
                 category="child", capacity_unit="places", serves=_CHILD),
    FacilityType("social_work_station", "社工站", "Social-work station (township)",
                 ("社会工作服务站", "乡镇社工站", "乡镇(街道)社工站", "乡镇社会工作服务站", "social work station"),
                 category="child", capacity_unit=None, serves=_ELDERLY + _CHILD),
    FacilityType("social_work_room", "社工室", "Social-work room (village)",
                 ("村社工室", "社区社工室", "社会工作服务室", "村(社区)社工室", "social work room"),
                 category="child", capacity_unit=None, serves=_ELDERLY + _CHILD),
    FacilityType("childcare_institution", "托育服务机构", "Childcare institution (under 3)",
                 ("托育", "托育机构", "托育服务中心", "托育中心", "托育园", "托育点", "普惠托育机构",
                  "childcare", "childcare centre", "childcare center", "nursery"),
                 category="child", capacity_unit="places", serves=()),
    # --- social assistance and rehabilitation
    FacilityType("mental_health_rehab", "精神障碍社区康复服务机构", "Community mental-health rehabilitation",
                 ("精康", "精康服务机构", "精神障碍社区康复", "精神障碍社区康复服务站", "精康驿站",
                  "精康融合服务站", "社区康复站", "mental health rehabilitation"),
                 category="social", capacity_unit="places", serves=()),
    FacilityType("relief_station", "救助管理站", "Relief and assistance station",
                 ("救助站", "流浪乞讨人员救助管理站", "救助管理机构", "relief station"),
                 category="social", capacity_unit="beds", serves=()),
)

#: Keys of the built-in facility types (those a standards file may not redefine).
BUILTIN_FACILITY_TYPES: frozenset[str] = frozenset(_BUILTIN_TYPES)

#: Types registered process-wide (:func:`register_facility_types` outside any scope: a command-line run,
#: a script).  Seen by every thread, so the app never registers here: it works in a scope.
_GLOBAL_TYPES: dict[str, FacilityType] = {}

#: Types of the current scope (:func:`facility_types_scope`, :func:`use_facility_types`): one script run of
#: one app session, one analysis.  None = no scope: registrations go to the process-wide table.  A context
#: variable, so each thread (each Streamlit script run) and each ``with`` block sees its own.
_SCOPED_TYPES: contextvars.ContextVar[tuple[FacilityType, ...] | None] = contextvars.ContextVar(
    "coverage_facility_types", default=None
)


def _extra_types() -> dict[str, FacilityType]:
    """The types added to the built-in ones here and now: process-wide, then this scope's (which win)."""
    out = dict(_GLOBAL_TYPES)
    for t in _SCOPED_TYPES.get() or ():
        out[t.key] = t
    return out


class _FacilityTypeTable(Mapping[str, FacilityType]):
    """The facility types known here and now: built-in, registered process-wide, and the current scope's.

    A read-only mapping ``key -> FacilityType`` whose contents follow the caller's context, so two app
    sessions (two threads) with different standards never see each other's types.
    """

    def __getitem__(self, key: str) -> FacilityType:
        found = _BUILTIN_TYPES.get(key)
        if found is not None:
            return found
        return _extra_types()[key]

    def __iter__(self) -> Iterator[str]:
        yield from _BUILTIN_TYPES
        yield from (k for k in _extra_types() if k not in _BUILTIN_TYPES)

    def __len__(self) -> int:
        return len(_BUILTIN_TYPES) + sum(1 for k in _extra_types() if k not in _BUILTIN_TYPES)

    def __contains__(self, key: object) -> bool:
        return key in _BUILTIN_TYPES or key in _extra_types()

    def __repr__(self) -> str:
        return f"FACILITY_TYPES({', '.join(self)})"


#: Facility types.  Keys are the values of a facility table's ``type`` column.  Built-in types plus
#: those a standards file adds (:func:`register_facility_types`; in the app, per session and run).
FACILITY_TYPES: Mapping[str, FacilityType] = _FacilityTypeTable()

#: Units of facility capacity.
CAPACITY_UNITS: dict[str, Term] = _terms(
    Term("beds", "床位", "beds", ("床", "张", "床位数")),
    Term("places", "服务名额", "places", ("名额", "个", "人", "座位")),
    Term("plots", "墓穴/格位", "plots", ("墓穴", "格位", "穴")),
)

#: Status of a facility.
FACILITY_STATUSES: dict[str, Term] = _terms(
    Term("existing", "现有", "existing", ("已建", "在运营", "运营", "已建成", "现状")),
    Term("planned", "规划", "planned", ("在建", "规划中", "计划")),
    Term("proposed", "拟建", "proposed", ("建议", "拟新建", "建议新建")),
)

#: Kinds of candidate site.
CANDIDATE_KINDS: dict[str, Term] = _terms(
    Term("idle_school", "闲置校舍", "Idle school building", ("闲置学校", "撤并学校", "闲置校舍改造", "school")),
    Term("village_committee", "村委会用房", "Village committee building",
         ("村委会", "村(居)委会", "村委会活动场所", "村级活动场所", "village committee")),
    Term("upgrade_existing", "现有设施提升改造", "Upgrade of an existing facility",
         ("提升改造", "改扩建", "升级改造", "upgrade")),
    Term("open_land", "新建用地", "Open land (new build)", ("新建", "空地", "规划用地", "open land", "new build")),
)

#: Administrative levels below the prefecture, top down.
ADMIN_LEVELS: dict[str, Term] = _terms(
    Term("county", "县(市、区)", "County", ("县", "县级", "区县", "county-level")),
    Term("township", "乡(镇、街道)", "Township", ("乡镇", "乡镇街道", "街道")),
    Term("village", "村(社区)", "Village / community", ("村", "社区", "村社区", "行政村")),
)

#: Travel modes: the keys a standard's ``mode`` and the road network's speed
#: tables (:data:`coverage.network.MODES`) share, with their labels.
TRAVEL_MODES: dict[str, Term] = _terms(
    Term("walk", "步行", "Walking", ("walking", "foot", "pedestrian", "走路")),
    Term("ebike", "电动车", "E-bike", ("e-bike", "电动车/摩托车", "E-bike / motorcycle", "电瓶车", "电动自行车",
                                     "摩托车", "motorcycle", "bike")),
    Term("car", "驾车", "Car", ("drive", "driving", "汽车", "开车")),
)

#: Separator of the facility-type keys in a candidate's ``can_host`` (:data:`coverage.model.CANDIDATE_COLUMNS`).
HOST_SEPARATOR = ";"

#: How a planner's file may separate the facility types in a ``can_host`` cell.
_HOST_SPLIT = re.compile(r"[、,，;；/|\s]+")


_PUNCT = re.compile(r"[\s_\-—–/、（）()\[\]【】:：·.,，]+")


def normalize_label(text: object) -> str:
    """Fold a label for matching: NFKC, lower case, no spaces or punctuation.

    >>> normalize_label(" 60岁以上 老年人（人） ")
    '60岁以上老年人人'
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return _PUNCT.sub("", s)


def _index(terms: Mapping[str, Term]) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in terms.values():
        for name in (term.key, term.zh, term.en, *term.aliases):
            out.setdefault(normalize_label(name), term.key)
    return out


#: Lookup index per vocabulary: ``id(terms) -> (terms, its keys when indexed, index)``.  The mapping itself
#: is kept, so its id cannot be reused by another object, and the keys are compared on every lookup, so a
#: vocabulary that gained or lost a term is indexed again.
_INDEXES: dict[int, tuple[Mapping[str, Term], tuple[str, ...], dict[str, str]]] = {}

#: Similarity (difflib ratio, 0..1) an unknown name must reach with a known name before that
#: name is suggested; below it no suggestion is made (a wrong suggestion misleads more than none).
SUGGEST_MIN_SIMILARITY = 0.6

#: Words that place a facility name in a category; a facility-type suggestion never crosses
#: categories (托育 is a child service: it is never "corrected" to an elderly-care type).
_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "care": ("养老", "老年", "老人", "敬老", "照料", "助餐", "失能", "elder", "aged"),
    "funeral": ("殡", "墓", "葬", "骨灰", "陵园", "funeral", "cemetery", "burial"),
    "child": ("儿童", "未成年", "托育", "托儿", "幼", "孤儿", "child", "minor", "nursery"),
    "social": ("救助", "精神", "康复", "精康", "流浪", "relief", "mental"),
}


def guess_category(text: object) -> str | None:
    """The facility category a name's words point to, or None when none or several do.

    >>> guess_category("托育服务中心"), guess_category("花园")
    ('child', None)
    """
    norm = normalize_label(text)
    found = {cat for cat, words in _CATEGORY_WORDS.items() if any(w in norm for w in words)}
    return found.pop() if len(found) == 1 else None


def _suggest(terms: Mapping[str, Term], value: object) -> tuple[Term, str] | None:
    """The known term most similar to ``value`` and the name to show (its key when the key matched best,
    else its Chinese label), if similar enough (and, for facility types, of the same category)."""
    norm = normalize_label(value)
    if not norm:
        return None
    category = guess_category(value) if terms is FACILITY_TYPES else None
    best: tuple[float, str, str] | None = None
    for term in terms.values():
        if category is not None and getattr(term, "category", category) != category:
            continue
        for name in (term.key, term.zh, term.en, *term.aliases):
            ratio = difflib.SequenceMatcher(None, norm, normalize_label(name)).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, term.key, term.key if name == term.key else term.zh)
    if best is None or best[0] < SUGGEST_MIN_SIMILARITY:
        return None
    return terms[best[1]], best[2]


#: Lookup index of the facility types per set of added types (the built-in ones are always there).
_TYPE_INDEXES: dict[tuple[FacilityType, ...], dict[str, str]] = {}


def _type_index() -> dict[str, str]:
    """The name index of :data:`FACILITY_TYPES` as seen here and now (built once per set of added types)."""
    signature = tuple(_extra_types().values())
    index = _TYPE_INDEXES.get(signature)
    if index is None:
        if len(_TYPE_INDEXES) > 64:  # many sessions' standards over a long-running server
            _TYPE_INDEXES.clear()
        index = _index(FACILITY_TYPES)
        _TYPE_INDEXES[signature] = index
    return index


def _lookup(terms: Mapping[str, Term], value: object, what: str) -> Term:
    if terms is FACILITY_TYPES:
        index = _type_index()
    else:
        entry = _INDEXES.get(id(terms))
        keys = tuple(terms)
        if entry is None or entry[0] is not terms or entry[1] != keys:  # built once per vocabulary state
            entry = (terms, keys, _index(terms))
            _INDEXES[id(terms)] = entry
        index = entry[2]
    key = index.get(normalize_label(value))
    if key is not None:
        return terms[key]
    near = _suggest(terms, value)
    hint = f"; did you mean '{near[1]}' ({near[0].key})?" if near is not None else ""
    known = "、".join(t.zh for t in terms.values())
    extra = ""
    if terms is FACILITY_TYPES:
        extra = " (a type of your own can be added in the standards file's facility_types section)"
    raise UnknownCategoryError(f"unknown {what} '{value}'{hint} Known: {known}{extra}")


def facility_type(value: object) -> FacilityType:
    """Look up a facility type by key, Chinese or English label, or alias.

    Types added by a standards file (:func:`register_facility_types`) are found too.

    Raises
    ------
    UnknownCategoryError
        Naming the closest known type only when it is similar enough
        (:data:`SUGGEST_MIN_SIMILARITY`) and of the same category.
    """
    found = _lookup(FACILITY_TYPES, value, "facility type")
    return FACILITY_TYPES[found.key]


_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_types(new: list[FacilityType], others: Mapping[str, FacilityType], source: str) -> None:
    """Raise InputError for a bad key, category or unit, a built-in key, or a name another type uses."""
    keys = [t.key for t in new]
    for t in new:
        where = f"{source}: facility_types '{t.key}'"
        if not isinstance(t.key, str) or not _KEY.match(t.key):
            raise InputError(f"{where}: the key must be lower-case letters, digits and _ (e.g. youth_centre)")
        if t.key in BUILTIN_FACILITY_TYPES:
            raise InputError(f"{where}: '{t.key}' is a built-in type ({_BUILTIN_TYPES[t.key].zh}); "
                             f"choose another key or leave the built-in type as it is")
        if t.category not in CATEGORIES:
            raise InputError(f"{where}: unknown category '{t.category}'; use one of {', '.join(CATEGORIES)}")
        if t.capacity_unit is not None and t.capacity_unit not in CAPACITY_UNITS:
            raise InputError(f"{where}: unknown capacity_unit '{t.capacity_unit}'; use one of "
                             f"{', '.join(CAPACITY_UNITS)} or leave it empty")
        if not t.zh or not t.en:
            raise InputError(f"{where}: give both a Chinese (zh) and an English (en) name")
    rest = {k: v for k, v in others.items() if k not in keys}
    taken = _index(rest)
    mine: dict[str, str] = {}
    for t in new:
        for name in (t.key, t.zh, t.en, *t.aliases):
            norm = normalize_label(name)
            owner = taken.get(norm) or (mine.get(norm) if mine.get(norm) != t.key else None)
            if owner is not None:
                raise InputError(f"{source}: facility_types '{t.key}': the name '{name}' already names "
                                 f"'{owner}' ({rest[owner].zh if owner in rest else owner}); "
                                 f"remove it or rename it")
            mine[norm] = t.key


def register_facility_types(types: Iterable[FacilityType], *, source: str = "standards") -> list[str]:
    """Add facility types of the user's own (from a standards file) to :data:`FACILITY_TYPES`.

    After this the loaders, standards and maps accept the types like the built-in
    ones.  Inside a scope (:func:`facility_types_scope`, :func:`use_facility_types`: what
    the app opens for every script run of a session) the types are added to that scope
    only; outside any scope (a command-line run, a script) they are added process-wide.
    A type registered again (same key) replaces the earlier definition; a built-in type
    cannot be redefined.

    Parameters
    ----------
    types
        The new types (key: lower-case ASCII identifier; ``category`` one of
        :data:`CATEGORIES`; ``capacity_unit`` one of :data:`CAPACITY_UNITS` or None).
    source
        Named in error messages (the standards file).

    Returns
    -------
    list of str
        The keys registered.

    Raises
    ------
    InputError
        A bad key, category or unit, a built-in key, or a name already used by another type.

    Example
    -------
    >>> t = FacilityType("youth_centre", "青少年活动中心", "Youth centre", category="child",
    ...                  capacity_unit="places")
    >>> register_facility_types([t]); facility_type("青少年活动中心").key
    ['youth_centre']
    'youth_centre'
    >>> unregister_facility_types(["youth_centre"])
    """
    new = list(types)
    _check_types(new, FACILITY_TYPES, source)
    scoped = _SCOPED_TYPES.get()
    if scoped is None:
        for t in new:
            _GLOBAL_TYPES[t.key] = t
    else:
        keys = {t.key for t in new}
        _SCOPED_TYPES.set((*(t for t in scoped if t.key not in keys), *new))
    return [t.key for t in new]


def unregister_facility_types(keys: Iterable[str]) -> None:
    """Remove facility types added by :func:`register_facility_types` (built-in keys are kept).

    Inside a scope, from that scope only; outside, from the process-wide table.
    """
    gone = set(keys) - BUILTIN_FACILITY_TYPES
    scoped = _SCOPED_TYPES.get()
    if scoped is None:
        for key in gone:
            _GLOBAL_TYPES.pop(key, None)
    else:
        _SCOPED_TYPES.set(tuple(t for t in scoped if t.key not in gone))


def use_facility_types(types: Iterable[FacilityType], *, source: str = "standards") -> None:
    """Make ``types`` the added facility types of the current context (a scope until the context ends).

    What the app does at the start of every script run with the types of the session's
    standards: each Streamlit script run is a thread of its own, so one session's types are
    never seen by another session, and a table loaded under other types is loaded again
    (:func:`vocabulary_key` changes).  Types registered process-wide stay visible.

    Raises
    ------
    InputError
        As :func:`register_facility_types`.
    """
    new = list(types)
    _check_types(new, {**_BUILTIN_TYPES, **_GLOBAL_TYPES}, source)
    _SCOPED_TYPES.set(tuple(new))


@contextmanager
def facility_types_scope(types: Iterable[FacilityType] = (), *, source: str = "standards") -> Iterator[None]:
    """Within the block, the facility types are the built-in ones, those registered process-wide and ``types``.

    Registrations inside the block (a standards file read there) stay inside it.  Used
    by :func:`coverage.metrics.analyze` so that an analysis follows the standards passed in,
    and by the app to read a standards file without touching any other session.

    Example
    -------
    >>> t = FacilityType("youth_centre", "青少年活动中心", "Youth centre", category="child")
    >>> with facility_types_scope([t]):
    ...     facility_type("青少年活动中心").key
    'youth_centre'
    >>> "youth_centre" in FACILITY_TYPES
    False
    """
    new = list(types)
    current = _SCOPED_TYPES.get() or ()
    keys = {t.key for t in new}
    merged = [t for t in current if t.key not in keys] + new
    _check_types(new, {**_BUILTIN_TYPES, **_GLOBAL_TYPES, **{t.key: t for t in current}}, source)
    token = _SCOPED_TYPES.set(tuple(merged))
    try:
        yield
    finally:
        _SCOPED_TYPES.reset(token)


def vocabulary_key() -> str:
    """A short hash of the facility types known now (built-in and registered), for cache keys.

    A table loaded before a standards file added its own types may have rejected rows of those types;
    keying loaded data by this value makes it load again once the vocabulary changes.

    >>> len(vocabulary_key())
    16
    """
    import hashlib

    parts = sorted(
        f"{t.key}|{t.zh}|{t.en}|{t.category}|{t.capacity_unit}|{'/'.join(t.aliases)}" for t in FACILITY_TYPES.values()
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def population_group(value: object) -> PopulationGroup:
    """Look up a population group by key, label or alias."""
    found = _lookup(POPULATION_GROUPS, value, "population group")
    return POPULATION_GROUPS[found.key]


def candidate_kind(value: object) -> Term:
    """Look up a candidate-site kind by key, label or alias."""
    return _lookup(CANDIDATE_KINDS, value, "candidate kind")


def facility_status(value: object) -> Term:
    """Look up a facility status by key, label or alias."""
    return _lookup(FACILITY_STATUSES, value, "facility status")


def travel_mode(value: object) -> Term:
    """Look up a travel mode by key, label or alias ("walk", "步行", "driving", ...).

    Raises
    ------
    UnknownCategoryError
        With the closest known mode suggested.
    """
    return _lookup(TRAVEL_MODES, value, "travel mode")


def parse_hosts(text: str) -> tuple[list[str], list[str]]:
    """The facility-type keys a planner's ``can_host`` cell names, and the items it does not know.

    Items may be separated by 、 , ; / | or spaces; an item is a facility type
    (key, label or alias) or a category (养老服务设施, 殡葬设施, 儿童服务设施: all its
    types).  Keys come once each, in the order named.

    Example
    -------
    >>> parse_hosts("幸福小院、儿童之家、花园")
    (['happy_courtyard', 'childrens_home'], ['花园'])
    """
    keys: list[str] = []
    unknown: list[str] = []
    categories = _index(CATEGORIES)
    for item in _HOST_SPLIT.split(text):
        if not item:
            continue
        category = categories.get(normalize_label(item))
        if category is not None:
            found = [t.key for t in FACILITY_TYPES.values() if t.category == category]
        else:
            try:
                found = [facility_type(item).key]
            except UnknownCategoryError:
                unknown.append(item)
                continue
        keys.extend(k for k in found if k not in keys)
    return keys, unknown


def can_host(value: object, facility_type_key: str) -> bool:
    """Whether a canonical ``can_host`` value admits a facility type.

    ``value`` is facility-type keys joined by :data:`HOST_SEPARATOR`; an empty
    value (None, NaN, "") sets no restriction.

    >>> can_host("happy_courtyard;childrens_home", "childrens_home"), can_host("", "funeral_home")
    (True, True)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return True  # no restriction given
    return facility_type_key in [v.strip() for v in str(value).split(HOST_SEPARATOR)]


def facility_types_in(category: str) -> list[str]:
    """Keys of the facility types in a category ("care", "funeral", "child")."""
    if category not in CATEGORIES:
        raise UnknownCategoryError(f"unknown category '{category}'; known: {', '.join(CATEGORIES)}")
    return [t.key for t in FACILITY_TYPES.values() if t.category == category]


def label(key: str, lang: str = "zh") -> str:
    """The display label of any vocabulary key (group, type, kind, status, unit, level)."""
    vocabularies: tuple[Mapping[str, Term], ...] = (POPULATION_GROUPS, FACILITY_TYPES, CATEGORIES, CANDIDATE_KINDS,
                                                   FACILITY_STATUSES, CAPACITY_UNITS, ADMIN_LEVELS)
    for terms in vocabularies:
        if key in terms:
            return terms[key].label(lang)
    return key
