"""A planning scenario (immutable), and saving / loading it as a small UTF-8 JSON file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.errors import FileReadError, InputError
from coverage.scenario.schema import (
    SCENARIO_FORMAT,
    SCENARIO_VERSION,
    SUPPORTED_VERSIONS,
    _check_inputs,
    _check_settings,
    _check_site,
    _clean,
    _now,
    _short,
    _text_value,
)


@dataclass(frozen=True)
class Scenario:
    """One planning scenario (immutable: ``with_*`` methods return a new one).

    Attributes
    ----------
    name
        The planner's name for it (e.g. "方案A：补齐幸福小院").
    inputs
        ``{"source": "demo", "region": "yuxi"}`` or ``{"source": "files", "files":
        {kind: {"name", "sha256", "crs"}}}``: what the scenario applies to.
    standards
        The standards as a dict (``Standards.to_dict()``), or None for the default.
    accepted_sites
        Sites the planner accepted: ``id, name, type, kind, lon, lat`` (WGS-84
        degrees), ``origin`` ("proposal" or "manual"), optional ``explanation``,
        ``newly_covered`` (persons), ``capacity``, ``cost_10k_yuan``, ``candidate_id``.
    settings
        Free settings of the session (service, thresholds, model, k, language...).
    created, notes
        ISO time of creation (UTC) and free notes.
    """

    name: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    standards: dict[str, Any] | None = None
    accepted_sites: tuple[dict[str, Any], ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=_now)
    notes: str = ""

    def __post_init__(self) -> None:
        where = f"scenario '{self.name}'"
        for key in ("name", "created", "notes"):
            if not isinstance(getattr(self, key), str):
                raise InputError(f"{where}: '{key}' must be text, got {_short(getattr(self, key))}")
        if not isinstance(self.inputs, Mapping):
            raise InputError(f"{where}: 'inputs' must be a mapping")
        if self.standards is not None and not isinstance(self.standards, Mapping):
            raise InputError(f"{where}: 'standards' must be a mapping or None")
        if not isinstance(self.settings, Mapping):
            raise InputError(f"{where}: 'settings' must be a mapping")
        if isinstance(self.accepted_sites, (str, bytes, Mapping)) or not isinstance(self.accepted_sites, Iterable):
            raise InputError(f"{where}: 'accepted_sites' must be a list of sites")
        sites = []
        for i, s in enumerate(self.accepted_sites, start=1):
            if not isinstance(s, Mapping):
                raise InputError(f"{where}: accepted site {i} is not a mapping with id, lon, lat")
            sites.append(_check_site(s, where))
        object.__setattr__(self, "inputs", _check_inputs(self.inputs, where))
        object.__setattr__(self, "settings", _check_settings(self.settings, self.standards, where))
        counts = Counter(s["id"] for s in sites)   # linear: files with many sites load fast
        dup = sorted(i for i, c in counts.items() if c > 1)
        if dup:
            raise InputError(f"scenario '{self.name}': site id(s) {', '.join(dup)} occur more than once; "
                             f"give every site its own id")
        object.__setattr__(self, "accepted_sites", tuple(sites))

    # ------------------------------------------------------------------ edits
    def with_site(self, site: Mapping[str, Any]) -> Scenario:
        """A copy with one more accepted site (replacing a site with the same id)."""
        checked = _check_site(site, f"scenario '{self.name}'")
        rest = tuple(s for s in self.accepted_sites if s["id"] != checked["id"])
        return dataclasses.replace(self, accepted_sites=(*rest, checked))

    def without_site(self, site_id: object) -> Scenario:
        """A copy without the site ``site_id`` (unchanged if absent)."""
        return dataclasses.replace(self, accepted_sites=tuple(s for s in self.accepted_sites
                                                              if s["id"] != str(site_id)))

    def with_settings(self, **settings: Any) -> Scenario:
        """A copy with these settings updated."""
        return dataclasses.replace(self, settings={**self.settings, **_clean(settings)})

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict, with the format marker and version."""
        return {"format": SCENARIO_FORMAT, "version": SCENARIO_VERSION, "name": self.name,
                "created": self.created, "notes": self.notes, "inputs": _clean(self.inputs),
                "standards": _clean(self.standards), "settings": _clean(self.settings),
                "accepted_sites": [dict(s) for s in self.accepted_sites]}

    def to_json(self) -> str:
        """The scenario file's text (UTF-8 JSON, Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Read a dict written by :meth:`to_dict`.

        Raises
        ------
        InputError
            Not a scenario, a newer version, or a malformed field (the message says which).
        """
        if _nesting_depth(data) > MAX_NESTING:
            raise InputError(f"{source}: the scenario is nested too deeply (more than {MAX_NESTING} levels) to be a "
                             "file of this tool; save scenarios from the app's 方案 Scenarios page")
        try:
            return cls._from_dict(data, source=source)
        except RecursionError:
            raise InputError(f"{source}: the scenario is nested too deeply to be a file of this tool; "
                             "save scenarios from the app's 方案 Scenarios page") from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any], *, source: str) -> Scenario:
        if not isinstance(data, Mapping) or data.get("format") != SCENARIO_FORMAT:
            raise InputError(f"{source}: not a scenario file of this tool (no \"format\": \"{SCENARIO_FORMAT}\"); "
                             f"save scenarios from the app's 方案 Scenarios page")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
            newer = isinstance(version, int) and not isinstance(version, bool) and version > SCENARIO_VERSION
            raise InputError(f"{source}: scenario version {_short(version)} "
                             + ("is newer than this tool understands" if newer else "is not a version of this tool")
                             + f" (it reads {', '.join(map(str, SUPPORTED_VERSIONS))})"
                             + ("; update the tool" if newer else "; save the scenario again from the app"))
        for key, kind in (("inputs", dict), ("settings", dict), ("accepted_sites", list)):
            if not isinstance(data.get(key, kind()), kind):
                raise InputError(f"{source}: field '{key}' must be a {'list' if kind is list else 'mapping'}")
        standards = data.get("standards")
        if standards is not None and not isinstance(standards, dict):
            raise InputError(f"{source}: field 'standards' must be a mapping or null")
        sites = data.get("accepted_sites", [])
        for i, s in enumerate(sites, start=1):
            if not isinstance(s, Mapping):
                raise InputError(f"{source}: accepted_sites item {i} is not a mapping with id, lon, lat")
        texts = {}
        for key in ("name", "created", "notes"):
            value = data.get(key)
            texts[key] = "" if value is None else _text_value(value, f"{source}: field '{key}'")
        try:
            return cls(name=texts["name"], inputs=dict(data.get("inputs", {})), standards=standards,
                       accepted_sites=tuple(sites), settings=dict(data.get("settings", {})),
                       created=texts["created"] or _now(), notes=texts["notes"])
        except InputError as exc:
            raise type(exc)(f"{source}: {exc}") from exc


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario file (UTF-8 JSON); returns the path written.

    Raises
    ------
    FileReadError
        When the file cannot be written (the message says why).
    """
    p = Path(path)
    try:
        p.write_text(scenario.to_json(), encoding="utf-8")
    except OSError as exc:
        raise FileReadError(f"{p}: cannot write the scenario ({exc.strerror or exc}); choose another folder") from exc
    return p


def load_scenario(source: str | Path | bytes | Any) -> Scenario:
    """Read a scenario file: a path, the file's bytes, or a file-like object (an upload).

    Raises
    ------
    FileReadError
        The file is missing or not UTF-8 JSON.
    InputError
        The JSON is not a valid scenario (see :meth:`Scenario.from_dict`).
    """
    if isinstance(source, (bytes, bytearray)):
        name, raw = "scenario", bytes(source)
    elif hasattr(source, "read"):
        name, raw = str(getattr(source, "name", "upload")), source.read()
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    else:
        p = Path(source)
        name = str(p)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise FileReadError(f"{p}: cannot open the scenario file ({exc.strerror or exc})") from exc
    if not isinstance(raw, (bytes, bytearray)):
        raise FileReadError(f"{name}: cannot read the scenario file (got {type(raw).__name__}, not bytes)")
    try:
        data = json.loads(bytes(raw).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileReadError(f"{name}: not a UTF-8 JSON scenario file ({exc}); choose a .json file saved by "
                            f"this tool") from exc
    except RecursionError:
        raise FileReadError(f"{name}: the JSON is nested too deeply to be a scenario file; choose a .json file"
                            " saved by this tool") from None
    return Scenario.from_dict(data, source=name)


#: Deepest nesting of lists/objects a scenario file may have (the tool writes 4 levels; free settings a few more).
MAX_NESTING = 100


def _nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value``, counted without recursion (so any depth is safe)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def file_digest(data: bytes) -> str:
    """SHA-256 of a file's bytes (hex): how a scenario refers to a user's input file."""
    return hashlib.sha256(data).hexdigest()
