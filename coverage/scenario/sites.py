"""Accepted sites: made by hand or from a proposal, as map tables and as facility rows."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import InputError, UnknownCategoryError
from coverage.model import FACILITY_COLUMNS, WGS84
from coverage.scenario.schema import _SITE_KEYS, _check_site
from coverage.taxonomy import FACILITY_TYPES, facility_type


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
                         else f"newly covers {gain:,.0f} people ({int(n_points)} "
                              f"village{'' if int(n_points) == 1 else 's'})")
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
