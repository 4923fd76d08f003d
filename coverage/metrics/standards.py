"""Coverage standards: the targets a civil-affairs bureau reports against.

Two kinds of target, both edited in one YAML file (``coverage/data/standards.yaml``,
packaged with the library, is the default; Chinese and English labels on every entry):

* a :class:`Service` is a *per-person* target within a travel time: which
  facility types count, which population groups are measured, the travel mode,
  the threshold in minutes and the share of people that must be within it
  (``target_share``, 0..1, or None for "report only").  The pseudo-group
  ``"villages"`` counts demand points (each village weighs 1), for targets of the
  form "every village within 60 min by car of a funeral home".
* a :class:`UnitRule` is a *per administrative unit* target: the share of units
  at a level (village, township, county) that must have at least ``min_count``
  facilities of the listed types, e.g. "60% of townships have a township elderly
  service centre" (``target_share: null`` = counted and reported, no target).

A published target such as "ash placement covers 100% of townships and villages"
is read as a unit rule (each township has one) plus a service (every village
within a stated travel time of one), never as "a facility inside every village";
the standards file says how each entry is read.  The file may also define
facility types of the user's own (``facility_types:``, registered with
:func:`coverage.taxonomy.register_facility_types` when the file is read) and the
funeral-demand assumptions (``funeral_demand:``, see :class:`FuneralDemand`).

Example
-------
>>> from coverage.metrics import default_standards
>>> std = default_standards()
>>> std.service("elderly_15min").threshold_min
15.0
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from coverage.errors import FileReadError, InputError, UnknownCategoryError
from coverage.taxonomy import (
    ADMIN_LEVELS,
    CAPACITY_UNITS,
    CATEGORIES,
    FACILITY_TYPES,
    POPULATION_GROUPS,
    TRAVEL_MODES,
    FacilityType,
    Term,
    facility_type,
    normalize_label,
    population_group,
    register_facility_types,
    travel_mode,
)

__all__ = [
    "DEFAULT_STANDARDS_PATH",
    "MODES",
    "VILLAGES",
    "VILLAGES_TERM",
    "FuneralDemand",
    "Service",
    "Standards",
    "UnitRule",
    "default_standards",
    "group_label",
    "load_standards",
    "standards_from_dict",
]

logger = logging.getLogger(__name__)

#: The default standards, packaged with the library (``coverage/data/standards.yaml``).
DEFAULT_STANDARDS_PATH = Path(str(resources.files("coverage").joinpath("data", "standards.yaml")))

#: Pseudo population group: every demand point (village / community) counts 1.
VILLAGES = "villages"
VILLAGES_TERM = Term(
    VILLAGES, "村(社区)数", "Villages / communities", ("村", "村庄", "村数", "行政村", "village")
)

#: Travel modes a service may name: :data:`coverage.taxonomy.TRAVEL_MODES` (the keys of
#: :data:`coverage.network.MODES`), kept under this name for existing callers.
MODES: dict[str, Term] = TRAVEL_MODES

_LEVELS = tuple(ADMIN_LEVELS)  # county, township, village


def group_label(key: str, lang: str = "zh") -> str:
    """Label of a population group key, including the pseudo-group ``"villages"``."""
    if key == VILLAGES:
        return VILLAGES_TERM.label(lang)
    return POPULATION_GROUPS[key].label(lang) if key in POPULATION_GROUPS else key


@dataclass(frozen=True)
class Service:
    """A per-person coverage target within a travel time.

    Attributes
    ----------
    key : stable identifier (ASCII), used in tables and JSON.
    zh, en : labels.
    facility_types : keys of :data:`coverage.taxonomy.FACILITY_TYPES` that count.
    groups : population-group keys measured (columns of the demand table), or
        ``"villages"`` to count demand points.
    mode : travel mode, a key of :data:`MODES` ("walk", "ebike", "car").
    threshold_min : the travel time in minutes within which a person is covered.
    target_share : share (0..1) of the group that must be covered; None = report only.
    bands_min : extra thresholds in minutes for the distribution of travel times.
    capacity : whether to run the capacity analysis (nearest allocation, 2SFCA).
    uptake_share : share (0..1) of each group's people expected to use a place/bed
        (capacity analysis only; an assumption, stated in the standards file).
    note : free text (source of the target).
    """

    key: str
    zh: str
    en: str
    facility_types: tuple[str, ...]
    groups: tuple[str, ...]
    mode: str
    threshold_min: float
    target_share: float | None = None
    bands_min: tuple[float, ...] = ()
    capacity: bool = False
    uptake_share: float = 1.0
    note: str = ""

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en

    def with_threshold(self, threshold_min: float) -> Service:
        """A copy with another threshold (minutes)."""
        return replace(self, threshold_min=float(threshold_min))


@dataclass(frozen=True)
class UnitRule:
    """A per-administrative-unit target.

    Attributes
    ----------
    key, zh, en : identifier and labels.
    level : "village", "township" or "county".
    facility_types : facility-type keys that count.
    min_count : facilities a unit needs to pass (default 1).
    target_share : share (0..1) of the units that must pass; None = report only.
    name_suffix : only units whose name ends with this text are judged (e.g. "社区"
        for urban communities); empty = all units.
    note : free text (source of the target).
    """

    key: str
    zh: str
    en: str
    level: str
    facility_types: tuple[str, ...]
    min_count: int = 1
    target_share: float | None = 1.0
    name_suffix: str = ""
    note: str = ""

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class FuneralDemand:
    """Funeral demand: deaths per year from the resident population, against burial capacity.

    Attributes
    ----------
    death_rate_per_1000 : deaths per year per 1,000 residents (an assumption, editable).
    cemetery_types : facility types whose capacity (plots) takes burials.
    ash_types : facility types whose capacity (niches) takes ashes.
    min_years : a county whose capacity lasts fewer years than this at the current
        deaths per year is flagged short.
    note : source of the rate.
    """

    death_rate_per_1000: float = 7.8
    cemetery_types: tuple[str, ...] = ("public_cemetery", "commercial_cemetery", "eco_burial")
    ash_types: tuple[str, ...] = ("ash_placement",)
    min_years: float = 10.0
    note: str = ""


@dataclass(frozen=True)
class Standards:
    """A set of services and per-unit rules, as loaded from a standards file.

    ``facility_types`` are the types the file defines itself (registered in
    :data:`coverage.taxonomy.FACILITY_TYPES` when the file is read: process-wide on the
    command line, within the current scope in the app; :func:`coverage.metrics.analyze`
    knows them during the analysis whatever was registered);
    ``funeral`` the funeral-demand assumptions (None = no funeral-demand table).
    """

    services: tuple[Service, ...]
    unit_rules: tuple[UnitRule, ...] = ()
    name_zh: str = ""
    name_en: str = ""
    source: str = ""
    facility_types: tuple[FacilityType, ...] = ()
    funeral: FuneralDemand | None = None

    def service(self, key: str) -> Service:
        """The service with ``key``.

        Raises
        ------
        UnknownCategoryError
            If there is no such service (the message lists the known ones).
        """
        for s in self.services:
            if s.key == key:
                return s
        raise UnknownCategoryError(
            f"{self.source or 'standards'}: no service '{key}'; "
            f"known: {', '.join(s.key for s in self.services)}"
        )

    def unit_rule(self, key: str) -> UnitRule:
        """The per-unit rule with ``key`` (UnknownCategoryError if absent)."""
        for r in self.unit_rules:
            if r.key == key:
                return r
        raise UnknownCategoryError(
            f"{self.source or 'standards'}: no unit rule '{key}'; "
            f"known: {', '.join(r.key for r in self.unit_rules)}"
        )

    def with_threshold(self, key: str, threshold_min: float) -> Standards:
        """A copy with the threshold of service ``key`` changed (minutes)."""
        self.service(key)
        services = tuple(s.with_threshold(threshold_min) if s.key == key else s for s in self.services)
        return replace(self, services=services)

    def with_target(self, key: str, target_share: float | None) -> Standards:
        """A copy with the target share (0..1 or None) of service ``key`` changed."""
        self.service(key)
        _check_share(
            target_share, f"{self.source or 'standards'}: service '{key}'", "target_share", allow_none=True
        )
        services = tuple(
            replace(s, target_share=None if target_share is None else float(target_share))
            if s.key == key
            else s
            for s in self.services
        )
        return replace(self, services=services)

    def with_rule_target(self, key: str, target_share: float | None) -> Standards:
        """A copy with the target share (0..1, or None = report only) of unit rule ``key`` changed."""
        self.unit_rule(key)
        _check_share(target_share, f"{self.source or 'standards'}: unit rule '{key}'", "target_share",
                     allow_none=True)
        rules = tuple(
            replace(r, target_share=None if target_share is None else float(target_share)) if r.key == key else r
            for r in self.unit_rules
        )
        return replace(self, unit_rules=rules)

    def digest(self) -> str:
        """A content hash of the standards (hex): equal for equal rules, whatever the file or its comments.

        Use it as the cache key of results computed with these standards.
        """
        text = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def modes(self) -> list[str]:
        """Travel modes the services use, in order of first use."""
        return list(dict.fromkeys(s.mode for s in self.services))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, as written to YAML by :func:`save_standards`."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}

        out: dict[str, Any] = {"name_zh": self.name_zh, "name_en": self.name_en}
        if self.facility_types:
            out["facility_types"] = [
                {
                    "key": t.key, "zh": t.zh, "en": t.en, "category": t.category,
                    "capacity_unit": t.capacity_unit, "aliases": list(t.aliases),
                }
                for t in self.facility_types
            ]
        out["services"] = [clean(asdict(s)) for s in self.services]
        out["unit_rules"] = [clean(asdict(r)) for r in self.unit_rules]
        if self.funeral is not None:
            out["funeral_demand"] = clean(asdict(self.funeral))
        return out


# --------------------------------------------------------------------- parsing


def _where(source: str, section: str, i: int, entry: Mapping[str, Any]) -> str:
    key = entry.get("key") if isinstance(entry, Mapping) else None
    return f"{source}: {section}[{i}]" + (f" '{key}'" if key else "")


def _check_share(value: Any, where: str, name: str, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    )
    if not ok:
        hint = (
            f" (write {value / 100:g} for {value:g}%)"
            if isinstance(value, (int, float)) and 1 < value <= 100
            else ""
        )
        raise InputError(f"{where}: {name} must be a share between 0 and 1, got {value!r}{hint}")


def _resolve_types(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not values:
        raise InputError(
            f"{where}: facility_types is empty; list the facility types that count "
            f"(known: {', '.join(FACILITY_TYPES)})"
        )
    out = []
    for v in values:
        try:
            out.append(facility_type(v).key)
        except UnknownCategoryError as exc:
            raise UnknownCategoryError(f"{where}: facility_types: {exc}") from None
    return tuple(dict.fromkeys(out))


def _resolve_groups(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not values:
        raise InputError(
            f"{where}: groups is empty; list population groups (known: "
            f"{', '.join(POPULATION_GROUPS)}, or '{VILLAGES}')"
        )
    out = []
    village_names = {
        n.lower() for n in (VILLAGES_TERM.key, VILLAGES_TERM.zh, VILLAGES_TERM.en, *VILLAGES_TERM.aliases)
    }
    for v in values:
        if str(v).strip().lower() in village_names:
            out.append(VILLAGES)
            continue
        try:
            out.append(population_group(v).key)
        except UnknownCategoryError as exc:
            raise UnknownCategoryError(
                f"{where}: groups: {exc} (or '{VILLAGES}' to count villages)"
            ) from None
    return tuple(dict.fromkeys(out))


def _resolve_mode(value: Any, where: str) -> str:
    try:
        return travel_mode(value).key
    except UnknownCategoryError as exc:
        raise UnknownCategoryError(f"{where}: {exc}") from None


def _positive(value: Any, where: str, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and x > 0):
        raise InputError(f"{where}: {name} must be a positive number of minutes, got {value!r}")
    return x


def _require(entry: Mapping[str, Any], names: Iterable[str], where: str) -> None:
    missing = [n for n in names if entry.get(n) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing {', '.join(missing)}")


_SERVICE_FIELDS = set(Service.__dataclass_fields__)
_RULE_FIELDS = set(UnitRule.__dataclass_fields__)


def _service(entry: Any, source: str, i: int) -> Service:
    where = _where(source, "services", i, entry if isinstance(entry, Mapping) else {})
    if not isinstance(entry, Mapping):
        raise InputError(
            f"{where}: each service must be a mapping with key, zh, en, facility_types, groups, "
            f"mode, threshold_min, target_share"
        )
    extra = set(entry) - _SERVICE_FIELDS
    if extra:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(sorted(extra))}; allowed: "
            f"{', '.join(sorted(_SERVICE_FIELDS))}"
        )
    _require(entry, ("key", "facility_types", "groups", "mode", "threshold_min"), where)
    _check_share(entry.get("target_share"), where, "target_share", allow_none=True)
    _check_share(entry.get("uptake_share", 1.0), where, "uptake_share", allow_none=False)
    bands = entry.get("bands_min") or ()
    if isinstance(bands, (int, float)):
        bands = (bands,)
    key = str(entry["key"])
    return Service(
        key=key,
        zh=str(entry.get("zh") or key),
        en=str(entry.get("en") or key),
        facility_types=_resolve_types(entry["facility_types"], where),
        groups=_resolve_groups(entry["groups"], where),
        mode=_resolve_mode(entry["mode"], where),
        threshold_min=_positive(entry["threshold_min"], where, "threshold_min"),
        target_share=None if entry.get("target_share") is None else float(entry["target_share"]),
        bands_min=tuple(sorted(_positive(b, where, "bands_min") for b in bands)),
        capacity=bool(entry.get("capacity", False)),
        uptake_share=float(entry.get("uptake_share", 1.0)),
        note=str(entry.get("note") or ""),
    )


def _rule(entry: Any, source: str, i: int) -> UnitRule:
    where = _where(source, "unit_rules", i, entry if isinstance(entry, Mapping) else {})
    if not isinstance(entry, Mapping):
        raise InputError(
            f"{where}: each unit rule must be a mapping with key, zh, en, level, facility_types, target_share"
        )
    extra = set(entry) - _RULE_FIELDS
    if extra:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(sorted(extra))}; allowed: "
            f"{', '.join(sorted(_RULE_FIELDS))}"
        )
    _require(entry, ("key", "level", "facility_types"), where)
    level = str(entry["level"]).strip()
    if level not in _LEVELS:
        found = [k for k, t in ADMIN_LEVELS.items() if level in (t.zh, t.en, *t.aliases)]
        if not found:
            raise UnknownCategoryError(f"{where}: unknown level '{level}'; known: {', '.join(_LEVELS)}")
        level = found[0]
    _check_share(entry.get("target_share", 1.0), where, "target_share", allow_none=True)
    min_count = entry.get("min_count", 1)
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
        raise InputError(f"{where}: min_count must be a whole number >= 1, got {min_count!r}")
    key = str(entry["key"])
    return UnitRule(
        key=key,
        zh=str(entry.get("zh") or key),
        en=str(entry.get("en") or key),
        level=level,
        facility_types=_resolve_types(entry["facility_types"], where),
        min_count=min_count,
        target_share=None if entry.get("target_share", 1.0) is None else float(entry.get("target_share", 1.0)),
        name_suffix=str(entry.get("name_suffix") or ""),
        note=str(entry.get("note") or ""),
    )


_TYPE_FIELDS = {"key", "zh", "en", "category", "capacity_unit", "aliases", "note"}


def _own_type(entry: Any, source: str, i: int) -> FacilityType:
    where = _where(source, "facility_types", i, entry if isinstance(entry, Mapping) else {})
    if not isinstance(entry, Mapping):
        raise InputError(f"{where}: each facility type must be a mapping with key, zh, en, category, "
                         f"capacity_unit, aliases")
    extra = set(entry) - _TYPE_FIELDS
    if extra:
        raise InputError(f"{where}: unknown field(s) {', '.join(sorted(extra))}; allowed: "
                         f"{', '.join(sorted(_TYPE_FIELDS))}")
    _require(entry, ("key", "zh", "en", "category"), where)
    cat_index = {normalize_label(n): k for k, t in CATEGORIES.items() for n in (k, t.zh, t.en, *t.aliases)}
    category = cat_index.get(normalize_label(entry["category"]))
    if category is None:
        raise UnknownCategoryError(f"{where}: unknown category '{entry['category']}'; use one of "
                                   f"{', '.join(f'{k} ({t.zh})' for k, t in CATEGORIES.items())}")
    unit = entry.get("capacity_unit")
    if unit in (None, ""):
        unit_key = None
    else:
        unit_index = {normalize_label(n): k for k, t in CAPACITY_UNITS.items() for n in (k, t.zh, t.en, *t.aliases)}
        unit_key = unit_index.get(normalize_label(unit))
        if unit_key is None:
            raise UnknownCategoryError(f"{where}: unknown capacity_unit '{unit}'; use one of "
                                       f"{', '.join(f'{k} ({t.zh})' for k, t in CAPACITY_UNITS.items())} "
                                       f"or leave it empty")
    aliases = entry.get("aliases") or ()
    if isinstance(aliases, str):
        aliases = [a for a in aliases.replace("，", ",").replace("、", ",").split(",") if a.strip()]
    return FacilityType(str(entry["key"]).strip(), str(entry["zh"]).strip(), str(entry["en"]).strip(),
                        tuple(str(a).strip() for a in aliases), category=category, capacity_unit=unit_key)


_FUNERAL_FIELDS = set(FuneralDemand.__dataclass_fields__)


def _funeral(entry: Any, source: str) -> FuneralDemand | None:
    if entry is None:
        return None
    where = f"{source}: funeral_demand"
    if not isinstance(entry, Mapping):
        raise InputError(f"{where}: must be a mapping with death_rate_per_1000, cemetery_types, ash_types, "
                         f"min_years")
    extra = set(entry) - _FUNERAL_FIELDS
    if extra:
        raise InputError(f"{where}: unknown field(s) {', '.join(sorted(extra))}; allowed: "
                         f"{', '.join(sorted(_FUNERAL_FIELDS))}")
    d = FuneralDemand()
    rate = entry.get("death_rate_per_1000", d.death_rate_per_1000)
    ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate) and 0 < rate <= 100
    if not ok:
        raise InputError(f"{where}: death_rate_per_1000 must be deaths per 1,000 residents a year "
                         f"(e.g. 7.8), got {rate!r}")
    years = entry.get("min_years", d.min_years)
    if not (isinstance(years, (int, float)) and not isinstance(years, bool) and math.isfinite(years)
            and years >= 0):
        raise InputError(f"{where}: min_years must be a number of years >= 0, got {years!r}")
    return FuneralDemand(
        death_rate_per_1000=float(rate),
        cemetery_types=_resolve_types(entry.get("cemetery_types", d.cemetery_types), where + ": cemetery_types"),
        ash_types=_resolve_types(entry.get("ash_types", d.ash_types), where + ": ash_types"),
        min_years=float(years),
        note=str(entry.get("note") or ""),
    )


def standards_from_dict(data: Mapping[str, Any], *, source: str = "standards") -> Standards:
    """Build and validate :class:`Standards` from plain data (a parsed YAML file).

    Parameters
    ----------
    data
        Mapping with ``services`` (list) and optional ``unit_rules`` (list),
        ``facility_types`` (list of the user's own types: key, zh, en, category,
        capacity_unit, aliases; registered so that loaders accept them),
        ``funeral_demand`` (mapping), ``name_zh``, ``name_en``.
    source
        Name used in error messages (the file path).

    Raises
    ------
    UnknownCategoryError
        A facility type, population group, mode or level is unknown (the message
        names the file and entry and suggests the closest known name).
    InputError
        A field is missing or out of range, or two entries share a key.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: expected a mapping with 'services' and 'unit_rules' at the top level")
    allowed = ("name_zh", "name_en", "facility_types", "services", "unit_rules", "funeral_demand")
    extra = set(data) - set(allowed)
    if extra:
        raise InputError(
            f"{source}: unknown top-level field(s) {', '.join(sorted(extra))}; allowed: {', '.join(allowed)}"
        )
    own = tuple(_own_type(e, source, i) for i, e in enumerate(data.get("facility_types") or []))
    if own:
        seen_types = [t.key for t in own]
        dup = next((k for k in seen_types if seen_types.count(k) > 1), None)
        if dup is not None:
            raise InputError(f"{source}: facility_types: key '{dup}' is used twice; keys must be unique")
        register_facility_types(own, source=source)
        logger.info("%s: facility types of its own: %s", source, ", ".join(seen_types))
    services = tuple(_service(e, source, i) for i, e in enumerate(data.get("services") or []))
    rules = tuple(_rule(e, source, i) for i, e in enumerate(data.get("unit_rules") or []))
    if not services and not rules:
        raise InputError(f"{source}: no services and no unit_rules: nothing to analyse")
    for what, items in (("services", services), ("unit_rules", rules)):
        seen: set[str] = set()
        for item in items:
            if item.key in seen:
                raise InputError(f"{source}: {what}: key '{item.key}' is used twice; keys must be unique")
            seen.add(item.key)
    return Standards(
        services=services,
        unit_rules=rules,
        name_zh=str(data.get("name_zh") or ""),
        name_en=str(data.get("name_en") or ""),
        source=source,
        facility_types=own,
        funeral=_funeral(data.get("funeral_demand"), source),
    )


def load_standards(path: str | Path) -> Standards:
    """Load and validate a standards file (YAML).

    Parameters
    ----------
    path
        The YAML file (see ``coverage/data/standards.yaml`` for the layout).

    Returns
    -------
    Standards

    Raises
    ------
    FileReadError
        The file is missing or is not valid YAML.
    UnknownCategoryError, InputError
        As :func:`standards_from_dict`, naming the file and entry.

    Example
    -------
    >>> std = load_standards(DEFAULT_STANDARDS_PATH)
    >>> [s.key for s in std.services][:2]
    ['elderly_15min', 'children_20min']
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FileReadError(f"{path}: cannot read the standards file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise FileReadError(f"{path}: not UTF-8 text; save the standards file as UTF-8") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FileReadError(f"{path}: not valid YAML: {exc}") from exc
    std = standards_from_dict(data or {}, source=str(path))
    logger.info("loaded %d services and %d unit rules from %s", len(std.services), len(std.unit_rules), path)
    return std


_DEFAULT: Standards | None = None


def default_standards() -> Standards:
    """The default standards (``coverage/data/standards.yaml``), loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_standards(DEFAULT_STANDARDS_PATH)
    return _DEFAULT
