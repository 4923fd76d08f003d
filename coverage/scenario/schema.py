"""The scenario file's schema: its marker and version, and the checks that name the bad entry."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

import numpy as np

from coverage.errors import InputError, UnknownCategoryError
from coverage.taxonomy import facility_type

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
