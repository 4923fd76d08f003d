"""Planning scenarios: what a planner decided, saved as a small JSON file, and compared.

A scenario records the inputs used (a demo region, or the user's files by name
and SHA-256), the standards (targets and thresholds), the sites the planner
accepted (from a proposal or placed by hand) and the settings of the session
(service, travel thresholds, model, language, base map).  It never holds the
data itself: reload the same inputs and the scenario applies again.

The module holds the scenario file (its schema, the checks that name the bad
entry, save and load), the accepted sites as tables, and the comparison of two
scenarios: about 700 lines that change together with the file format.

Example
-------
>>> from coverage.scenario import Scenario, new_site, save_scenario, load_scenario
>>> sc = Scenario(name="方案A", inputs={"source": "demo", "region": "yuxi"})
>>> sc = sc.with_site(new_site(102.55, 24.35, facility_type="happy_courtyard", name="新建幸福小院"))
>>> save_scenario(sc, "方案A.json")                         # doctest: +SKIP
>>> load_scenario("方案A.json").accepted_sites[0]["type"]    # doctest: +SKIP
'happy_courtyard'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import FileReadError, InputError, UnknownCategoryError
from coverage.model import FACILITY_COLUMNS, WGS84
from coverage.taxonomy import FACILITY_TYPES, facility_type, label

if TYPE_CHECKING:  # the standards are a later stage's type; a scenario only names them
    from coverage.metrics.standards import Standards

__all__ = [
    "MAX_THRESHOLD_MIN",
    "SCENARIO_FORMAT",
    "SCENARIO_VERSION",
    "SITE_ORIGINS",
    "SUPPORTED_VERSIONS",
    "Scenario",
    "compare_coverage",
    "compare_scenarios",
    "file_digest",
    "load_scenario",
    "new_site",
    "save_scenario",
    "scenario_labels",
    "service_standards",
    "sites_frame",
    "sites_from_proposal",
    "sites_to_facilities",
    "with_sites",
]

logger = logging.getLogger(__name__)

#: Marker and version written into every scenario file.
SCENARIO_FORMAT = "coverage-planner-scenario"
SCENARIO_VERSION = 1
#: Versions of the scenario file this tool reads.
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
#: Largest travel-time threshold a scenario may set, minutes (10 hours).
MAX_THRESHOLD_MIN = 600.0
#: Siting models a scenario may name.
_MODELS = ("target", "mclp", "lscp", "pmedian")

#: Where an accepted site came from.
SITE_ORIGINS: dict[str, tuple[str, str]] = {
    "proposal": ("选址方案", "proposal"),
    "manual": ("手动添加", "placed by hand"),
}

_SITE_KEYS = ("id", "name", "type", "kind", "lon", "lat", "origin", "capacity", "cost_10k_yuan",
              "explanation", "newly_covered", "candidate_id")


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _clean(value: Any) -> Any:
    """JSON-safe scalars: numpy to Python, NaN to None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _is_number(value: Any) -> TypeGuard[float]:
    """A plain real number (not a bool, not text, not None)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _text_value(value: Any, what: str) -> str:
    """A text field: str as is, a plain number as its text; anything else is an error naming ``what``."""
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    raise InputError(f"{what} must be text, got {type(value).__name__} {_short(value)}")


def _short(value: Any, n: int = 60) -> str:
    try:
        text = repr(value)
    except RecursionError:  # a deeply nested value
        text = f"<nested {type(value).__name__}>"
    return text if len(text) <= n else text[:n] + "..."


def _check_site(site: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = {k: _clean(site.get(k)) for k in _SITE_KEYS}
    out = {k: v for k, v in out.items() if v is not None}
    if "id" not in out or (isinstance(out["id"], str) and out["id"].strip() == ""):
        raise InputError(f"{where}: the site has no 'id'; every accepted site needs a unique id")
    out["id"] = _text_value(out["id"], f"{where}: a site's 'id'")
    sid = out["id"]
    for axis, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        v = out.get(axis)
        if not _is_number(v) or not lo <= float(v) <= hi:
            raise InputError(f"{where}: site {sid}: {axis} {_short(v)} is not a number within {lo:g}..{hi:g} "
                             f"(WGS-84 degrees); fix the value or remove the site")
        out[axis] = float(v)
    for key in ("name", "kind", "explanation", "candidate_id"):
        if key in out:
            out[key] = _text_value(out[key], f"{where}: site {sid}: '{key}'")
    for key in ("capacity", "cost_10k_yuan", "newly_covered"):
        if key in out:
            v = out[key]
            if not _is_number(v) or not math.isfinite(float(v)) or float(v) < 0:
                raise InputError(f"{where}: site {sid}: '{key}' {_short(v)} is not a number >= 0; fix the value "
                                 "or leave it out")
    if "type" in out:
        if not isinstance(out["type"], str):
            raise InputError(f"{where}: site {sid}: facility type {_short(out['type'])} is not text; give a type "
                             "such as 幸福小院 or happy_courtyard")
        try:
            out["type"] = facility_type(out["type"]).key
        except UnknownCategoryError as exc:
            raise InputError(f"{where}: site {sid}: {exc}") from exc
    origin = out.get("origin", "manual")
    if not isinstance(origin, str) or origin not in SITE_ORIGINS:
        raise InputError(f"{where}: site {sid}: origin {_short(origin)} is not one of {', '.join(SITE_ORIGINS)}")
    out["origin"] = origin
    return out


def _closest(value: str, known: Sequence[str]) -> str:
    near = difflib.get_close_matches(value, list(known), n=1, cutoff=0.4)
    return f"; did you mean '{near[0]}'?" if near else ""


def _service_keys(standards: Mapping[str, Any] | None) -> list[str] | None:
    """Service keys a scenario may name: its own standards' or the default ones (None: not checked)."""
    if standards is not None:
        services = standards.get("services")
        if isinstance(services, list):
            keys = [str(s.get("key")) for s in services if isinstance(s, Mapping) and s.get("key") is not None]
            return keys or None
        return None
    from coverage.metrics.standards import default_standards

    return [svc.key for svc in default_standards().services]


def _check_settings(settings: Mapping[str, Any], standards: Mapping[str, Any] | None,
                    where: str) -> dict[str, Any]:
    """The session settings, checked: thresholds, service, model, k, target share, language.

    Every value the app applies is validated here, so applying a scenario can never stop half way.
    """
    out = dict(settings)
    known = _service_keys(standards)
    service = out.get("service")
    if service is not None:
        if not isinstance(service, str) or not service.strip():
            raise InputError(f"{where}: setting 'service' {_short(service)} is not a service key")
        if known is not None and service not in known:
            raise UnknownCategoryError(f"{where}: setting 'service': unknown service '{service}'"
                                       f"{_closest(service, known)} Known: {', '.join(known)}")
    thresholds = out.get("thresholds")
    if thresholds is not None:
        if not isinstance(thresholds, Mapping):
            raise InputError(f"{where}: setting 'thresholds' must map service keys to minutes, "
                             f"got {_short(thresholds)}")
        checked = {}
        for key, minutes in thresholds.items():
            if not isinstance(key, str) or not key.strip():
                raise InputError(f"{where}: setting 'thresholds': {_short(key)} is not a service key")
            if not _is_number(minutes) or not math.isfinite(float(minutes)) \
                    or not 0 < float(minutes) <= MAX_THRESHOLD_MIN:
                raise InputError(f"{where}: setting 'thresholds' of '{key}': {_short(minutes)} is not a travel time"
                                 f" in minutes (a number above 0 and at most {MAX_THRESHOLD_MIN:g}); fix the value")
            checked[key] = float(minutes)
        out["thresholds"] = checked
    model = out.get("model")
    if model is not None and (not isinstance(model, str) or model not in _MODELS):
        hint = _closest(model, _MODELS) if isinstance(model, str) else ""
        raise InputError(f"{where}: setting 'model' {_short(model)} is not one of {', '.join(_MODELS)}{hint}")
    k = out.get("k")
    if k is not None:
        if not _is_number(k) or not float(k).is_integer() or not 1 <= float(k) <= 10_000:
            raise InputError(f"{where}: setting 'k' (number of new sites) {_short(k)} is not a whole number "
                             "from 1 to 10000")
        out["k"] = int(k)
    share = out.get("target_share")
    if share is not None:
        if not _is_number(share) or not math.isfinite(float(share)) or not 0 < float(share) <= 1:
            raise InputError(f"{where}: setting 'target_share' {_short(share)} is not a share above 0 and at most 1"
                             " (0.95 = 95%)")
        out["target_share"] = float(share)
    lang_ = out.get("lang")
    if lang_ is not None and lang_ not in ("zh", "en"):
        raise InputError(f"{where}: setting 'lang' {_short(lang_)} is not 'zh' or 'en'")
    basemap = out.get("basemap")
    if basemap is not None and not isinstance(basemap, str):
        raise InputError(f"{where}: setting 'basemap' {_short(basemap)} is not text")
    return out


def _check_inputs(inputs: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = dict(inputs)
    source = out.get("source")
    if source is not None and source not in ("demo", "files"):
        raise InputError(f"{where}: inputs 'source' {_short(source)} is not 'demo' or 'files'")
    region = out.get("region")
    if region is not None:
        from coverage.demo.regions import REGION_SPECS

        if not isinstance(region, str) or (source == "demo" and region not in REGION_SPECS):
            hint = _closest(region, list(REGION_SPECS)) if isinstance(region, str) else ""
            raise InputError(f"{where}: inputs 'region' {_short(region)} is not a demo region{hint}"
                             f" (known: {', '.join(REGION_SPECS)})")
    files = out.get("files")
    if files is not None and not isinstance(files, Mapping):
        raise InputError(f"{where}: inputs 'files' must map each kind to its name and sha256, got {_short(files)}")
    return out


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


def file_digest(data: bytes) -> str:
    """SHA-256 of a file's bytes (hex): how a scenario refers to a user's input file."""
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------- sites
def new_site(lon: float, lat: float, *, facility_type: str, name: str | None = None, origin: str = "manual",
             site_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A site dict for :meth:`Scenario.with_site` (a site placed by hand by default).

    Parameters
    ----------
    lon, lat
        WGS-84 position [deg].
    facility_type
        Facility-type key, label or alias (e.g. "happy_courtyard", "幸福小院").
    name
        Display name; default "<type label> (lon, lat)".
    site_id
        Default: derived from the position and type ("manual-<10 hex>").
    """
    key = _facility_key(facility_type)
    sid = site_id or "manual-" + hashlib.sha1(f"{lon:.6f},{lat:.6f},{key}".encode()).hexdigest()[:10]
    site = {"id": sid, "name": name or f"{FACILITY_TYPES[key].zh} ({lon:.4f}, {lat:.4f})", "type": key,
            "lon": float(lon), "lat": float(lat), "origin": origin, **extra}
    return _check_site(site, "new site")


def _facility_key(value: str) -> str:
    try:
        return facility_type(value).key
    except UnknownCategoryError as exc:
        raise InputError(str(exc)) from exc


def _alternatives_text(alternatives: object, names: Mapping[str, str], lang: str) -> str:
    """「备选：名称（少覆盖 6 人）」 from an explanation's ``alternatives`` list."""
    if not isinstance(alternatives, (list, tuple)) or not alternatives:
        return ""
    parts = []
    for alt in alternatives:
        if not isinstance(alt, Mapping) or "id" not in alt:
            continue
        name = names.get(str(alt["id"]), str(alt["id"]))
        diff = alt.get("vs_chosen")
        if isinstance(diff, (int, float)) and not math.isnan(float(diff)):
            if lang == "zh":
                parts.append(f"{name}（{'少' if diff < 0 else '多'}覆盖 {abs(diff):,.0f} 人）" if diff
                             else f"{name}（覆盖相同）")
            else:
                parts.append(f"{name} ({diff:+,.0f} people)")
        else:
            parts.append(name)
    if not parts:
        return ""
    return ("备选：" + "、".join(parts)) if lang == "zh" else ("alternatives: " + ", ".join(parts))


def sites_from_proposal(sites: pd.DataFrame, *, facility_type: str, lang: str = "zh",
                        candidates: pd.DataFrame | None = None, model: str = "target") -> list[dict[str, Any]]:
    """Site dicts from a proposal's site table (``Proposal.sites``), ready to accept.

    Parameters
    ----------
    sites
        Rows with ``site_id`` or ``id``, a point ``geometry`` (or ``lon``/``lat``),
        optionally ``name``, ``kind``, ``capacity``, ``cost_10k_yuan``, ``gain``,
        ``alternatives_text``, ``rank``.
    facility_type
        The facility type the sites would host.
    lang
        Language of the explanation text.
    candidates
        The candidate table (``id``, ``name``): names the alternatives in the explanation.
    model
        The siting model that proposed the sites: for "pmedian" the gain is travel time
        saved (person-minutes), for the covering models people newly covered.
    """
    key = _facility_key(facility_type)
    names: dict[str, str] = {}
    if candidates is not None and {"id", "name"} <= set(candidates.columns):
        names = {str(i): str(n) for i, n in zip(candidates["id"], candidates["name"], strict=True)}
    out = []
    for rec in pd.DataFrame(sites).to_dict("records"):
        sid = rec.get("site_id", rec.get("id"))
        geom = rec.get("geometry")
        lon = rec.get("lon", getattr(geom, "x", None))
        lat = rec.get("lat", getattr(geom, "y", None))
        gain = rec.get("gain")
        n_points = rec.get("n_new_points")
        parts = []
        if gain is not None and pd.notna(gain) and model == "pmedian":
            parts.append(f"合计减少出行时间 {gain:,.0f} 人·分钟" if lang == "zh"
                         else f"saves {gain:,.0f} person-minutes of travel")
        elif gain is not None and pd.notna(gain) and n_points is not None and pd.notna(n_points):
            parts.append(f"新增覆盖 {gain:,.0f} 人（{int(n_points)} 个村）" if lang == "zh"
                         else f"newly covers {gain:,.0f} people ({int(n_points)} villages)")
        alternatives = _alternatives_text(rec.get("alternatives"), names, lang)
        if alternatives:
            parts.append(alternatives)
        elif isinstance(rec.get("alternatives_text"), str) and rec["alternatives_text"]:
            parts.append(("备选：" if lang == "zh" else "alternatives: ") + rec["alternatives_text"])
        site = {"id": f"site-{sid}", "candidate_id": str(sid), "name": rec.get("name") or str(sid), "type": key,
                "kind": rec.get("kind") if isinstance(rec.get("kind"), str) else None, "lon": lon, "lat": lat,
                "origin": "proposal", "explanation": "；".join(parts) if lang == "zh" else "; ".join(parts),
                "newly_covered": None if model == "pmedian" else gain, "capacity": rec.get("capacity"),
                "cost_10k_yuan": rec.get("cost_10k_yuan")}
        out.append(_check_site({k: v for k, v in site.items() if v is not None and not
                                (isinstance(v, float) and math.isnan(v))}, "proposal"))
    return out


def sites_frame(sites: Iterable[Mapping[str, Any]], *, status: str | None = None) -> gpd.GeoDataFrame:
    """Sites as a point GeoDataFrame (EPSG:4326) for maps and tables.

    ``status`` fills a ``status`` column ("proposed", "accepted", "manual") for
    :func:`coverage.mapping.webmap.add_sites`; default: "manual" for sites
    placed by hand, else "accepted".
    """
    recs = [dict(s) for s in sites]
    df = pd.DataFrame(recs, columns=list(dict.fromkeys([*_SITE_KEYS, *(k for r in recs for k in r)])))
    if not len(df):
        return gpd.GeoDataFrame(df.assign(status=pd.Series(dtype=object)), geometry=gpd.GeoSeries([], crs=WGS84),
                                crs=WGS84)
    df["status"] = status if status else np.where(df["origin"] == "manual", "manual", "accepted")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84)


def sites_to_facilities(sites: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Accepted sites as facility rows (:data:`coverage.model.FACILITY_COLUMNS`, status "proposed").

    Raises
    ------
    InputError
        A site without a facility ``type``.
    """
    recs = [dict(s) for s in sites]
    for s in recs:
        if not s.get("type"):
            raise InputError(f"site {s.get('id')}: no facility type; choose the type the site would host")
    rows = {
        "id": [s["id"] for s in recs],
        "name": [s.get("name", s["id"]) for s in recs],
        "type": [s["type"] for s in recs],
        "capacity": [float(s["capacity"]) if s.get("capacity") is not None else np.nan for s in recs],
        "capacity_unit": [FACILITY_TYPES[s["type"]].capacity_unit for s in recs],
        "status": ["proposed"] * len(recs),
    }
    df = pd.DataFrame(rows)
    for col in FACILITY_COLUMNS:
        if col not in df.columns and col != "geometry":
            df[col] = None
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy([s["lon"] for s in recs], [s["lat"] for s in recs]),
                            crs=WGS84)[list(FACILITY_COLUMNS)]


def with_sites(facilities: gpd.GeoDataFrame, sites: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The facilities plus the accepted sites (a new table; ``facilities`` is not changed).

    Raises
    ------
    InputError
        A site id equal to an existing facility id.
    """
    extra = sites_to_facilities(sites)
    if not len(extra):
        return facilities
    clash = sorted(set(extra["id"]) & set(facilities["id"].astype(str)))
    if clash:
        raise InputError(f"site id(s) {', '.join(clash)} are already facility ids; give the sites other ids")
    base = facilities.to_crs(WGS84) if facilities.crs is not None and not facilities.crs.equals(WGS84) else facilities
    out = pd.concat([base, extra.astype(dict.fromkeys(("capacity_unit",), object))], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)


# ---------------------------------------------------------------------------------------------- standards
def service_standards(standards: Standards, service: str, *, threshold_min: float | None = None,
                      target_share: float | None = None) -> Standards:
    """Standards with one service only (optionally another threshold / target) and no per-unit rules.

    What the app analyses after a change of threshold: one service, reusing the
    travel tables, in a fraction of a second.

    Parameters
    ----------
    standards
        A :class:`coverage.metrics.Standards`.
    service
        Key of the service kept.
    threshold_min
        Travel-time threshold [min]; default the service's own.
    target_share
        Target share 0..1; default the service's own.

    Raises
    ------
    UnknownCategoryError
        No such service (the message lists the known ones).
    """
    svc = standards.service(service)
    if threshold_min is not None:
        svc = svc.with_threshold(float(threshold_min))
    if target_share is not None:
        svc = dataclasses.replace(svc, target_share=float(target_share))
    return dataclasses.replace(standards, services=(svc,), unit_rules=())


# ---------------------------------------------------------------------------------------------- comparing
def _fmt_setting(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def scenario_labels(a: Scenario, b: Scenario) -> tuple[str, str]:
    """Two distinct column labels for a side-by-side comparison.

    The scenarios' names, or "A" / "B" when unnamed; equal names (a scenario
    compared with itself after applying it, or two called 方案A) become
    "方案A (1)" and "方案A (2)".
    """
    la, lb = (a.name.strip() or "A"), (b.name.strip() or "B")
    if la == lb:
        la, lb = f"{la} (1)", f"{lb} (2)"
    return la, lb


def compare_scenarios(a: Scenario, b: Scenario, *, lang: str = "zh") -> pd.DataFrame:
    """Side-by-side differences of two scenarios: inputs, settings, standards, sites.

    Returns
    -------
    DataFrame
        Columns ``item``, ``a``, ``b``, ``same`` (bool), one row per setting and
        per site (a site present in one scenario only shows "" on the other side).
    """
    zh = lang == "zh"
    rows: list[tuple[str, str, str]] = [
        ("名称" if zh else "name", a.name, b.name),
        ("数据" if zh else "inputs", _fmt_setting(a.inputs), _fmt_setting(b.inputs)),
        ("考核标准" if zh else "standards", "默认" if zh and a.standards is None else
         ("default" if a.standards is None else a.standards.get("name_zh" if zh else "name_en", "custom")),
         "默认" if zh and b.standards is None else
         ("default" if b.standards is None else b.standards.get("name_zh" if zh else "name_en", "custom"))),
        ("采纳站点数" if zh else "accepted sites", str(len(a.accepted_sites)), str(len(b.accepted_sites))),
    ]
    for key in sorted(set(a.settings) | set(b.settings)):
        rows.append((f"{'设置' if zh else 'setting'}: {key}", _fmt_setting(a.settings.get(key)),
                     _fmt_setting(b.settings.get(key))))
    sa = {s["id"]: s for s in a.accepted_sites}
    sb = {s["id"]: s for s in b.accepted_sites}

    def desc(s: Mapping[str, Any] | None) -> str:
        if s is None:
            return ""
        t = label(s["type"], lang) if s.get("type") else ""
        return f"{s.get('name', s['id'])} · {t} ({s['lon']:.4f}, {s['lat']:.4f})"

    for sid in list(dict.fromkeys([*sa, *sb])):
        rows.append((f"{'站点' if zh else 'site'} {sid}", desc(sa.get(sid)), desc(sb.get(sid))))
    df = pd.DataFrame(rows, columns=["item", "a", "b"])
    df["same"] = df["a"] == df["b"]
    return df


def compare_coverage(summary_a: pd.DataFrame, summary_b: pd.DataFrame, *,
                     keys: Sequence[str] = ("service", "group")) -> pd.DataFrame:
    """Coverage of two scenarios side by side, from two ``CoverageResult.summary`` tables.

    Returns
    -------
    DataFrame
        ``keys``, ``threshold_min_a/_b``, ``covered_people_a/_b``, ``share_a/_b``,
        ``share_change`` (b - a, share 0..1), ``target_share``, ``passed_a/_b``.
    """
    cols = [c for c in ("threshold_min", "covered_people", "share", "passed") if c in summary_a.columns]
    left = summary_a[[*keys, *cols, *(["target_share"] if "target_share" in summary_a.columns else [])]]
    right = summary_b[[*keys, *cols]]
    out = left.merge(right, on=list(keys), how="outer", suffixes=("_a", "_b"))
    out["share_change"] = out["share_b"] - out["share_a"]
    order = [*keys, *(f"{c}_{s}" for c in cols for s in ("a", "b")), "share_change"]
    if "target_share" in out.columns:
        order.insert(len(keys), "target_share")
    return out[order]
