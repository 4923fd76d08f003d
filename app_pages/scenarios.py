"""Scenarios page: save the session as a scenario file; load another, compare side by side, apply it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.common import (
    UNIT_LEVELS,
    bound,
    boundary,
    coverage_now,
    current_inputs,
    current_service,
    esc,
    lang,
    siting_settings,
    table,
    tr,
)
from app_pages.text import TEXT


def current_scenario() -> Any:
    """The session as a scenario (inputs, accepted sites, settings)."""
    from coverage.scenario import Scenario

    ss = st.session_state
    if ss["source"] == "demo":
        inputs = {"source": "demo", "region": ss["region"]}
    else:
        inputs = {"source": "files", "files": {k: {"name": v["name"], "sha256": v["sha256"], "crs": v["crs"],
                                                   "layer": v.get("layer")}
                                               for k, v in ss["user_layers"].items()}}
    svc = current_service()
    settings = {"service": svc.key, "thresholds": dict(ss["thresholds"]), "lang": lang(),
                "basemap": ss["basemap"],
                "model": ss["siting_model"], "k": ss["siting_k"],
                "target_share": ss["siting_target"].get(svc.key),
                "siting": siting_settings(svc)}
    return Scenario(name=ss["scenario_name"], inputs=inputs, standards=None,
                    accepted_sites=tuple(ss["accepted_sites"]), settings=settings)


def apply_scenario(sc: Any) -> None:
    """Make a loaded scenario the current one (region, sites and settings; widgets follow)."""
    ss = st.session_state
    ss["accepted_sites"] = [dict(s) for s in sc.accepted_sites]
    ss["scenario_name"] = sc.name
    settings = sc.settings
    if sc.inputs.get("source") == "demo" and sc.inputs.get("region"):
        ss["source"], ss["region"] = "demo", sc.inputs["region"]
    if settings.get("service"):
        ss["service"] = settings["service"]
    if isinstance(settings.get("thresholds"), dict):
        ss["thresholds"] = {k: float(v) for k, v in settings["thresholds"].items()}
    if settings.get("model"):
        ss["siting_model"] = settings["model"]
    if isinstance(settings.get("k"), int):
        ss["siting_k"] = settings["k"]
    if isinstance(settings.get("target_share"), (int, float)) and settings.get("service"):
        ss["siting_target"] = {**ss["siting_target"], settings["service"]: float(settings["target_share"])}
    apply_siting(settings.get("siting"))


def _share(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and 0 < float(value) <= 1 else None


def apply_siting(siting: Any) -> None:
    """The siting options of a scenario file (as :func:`siting_settings` writes them); a value that is
    not of the expected kind is left as the session has it."""
    from coverage.taxonomy import POPULATION_GROUPS

    if not isinstance(siting, dict):
        return
    ss = st.session_state
    service = siting.get("service")
    groups = siting.get("groups")
    if isinstance(service, str) and isinstance(groups, list) and all(g in POPULATION_GROUPS for g in groups):
        ss["siting_groups"] = {**ss["siting_groups"], service: list(groups)}
    weights = siting.get("group_weights")
    if isinstance(weights, dict):
        ss["siting_weights"] = {**ss["siting_weights"], **{g: float(w) for g, w in weights.items()
                                                          if g in POPULATION_GROUPS and isinstance(w, (int, float))
                                                          and w >= 0}}
    targets = siting.get("group_targets")
    if isinstance(targets, dict):
        ss["siting_group_targets"] = {**ss["siting_group_targets"], **{
            g: _share(t) for g, t in targets.items() if g in POPULATION_GROUPS and _share(t) is not None}}
    rules = siting.get("unit_rules")
    if isinstance(rules, dict) and len(rules) == 1:
        (level, share), = rules.items()
        if level in UNIT_LEVELS and _share(share) is not None:
            ss["siting_unit_level"], ss["siting_unit_share"] = level, _share(share)
    elif "model" in siting:
        ss["siting_unit_level"] = "none"
    budget = siting.get("budget")
    if isinstance(budget, (int, float)) and budget >= 0:
        ss["siting_use_budget"], ss["siting_budget"] = True, float(budget)
    else:
        ss["siting_use_budget"] = False
    ss["siting_least_cost"] = siting.get("objective") == "cost"
    ss["siting_capacitated"] = siting.get("capacitated") is True


def render() -> None:
    """The Scenarios page."""
    from coverage.scenario import compare_coverage, compare_scenarios, load_scenario

    st.header(tr("page_scenarios"))
    defaults = TEXT["scenario_default"]
    if st.session_state["scenario_name"] in defaults:  # the name the app gave, never typed: in the language shown
        st.session_state["scenario_name"] = tr("scenario_default")
    bound(st.text_input, tr("scenario_name"), "scenario_name")
    sc = current_scenario()
    st.download_button(tr("save"), sc.to_json().encode("utf-8"), file_name=f"{sc.name or 'scenario'}.json",
                       mime="application/json", key="scenario_save", type="primary")
    up = st.file_uploader(tr("load"), type=["json"], key="scenario_upload")
    if up is not None:
        with boundary():  # a bad file changes nothing
            st.session_state["scenario_b"] = load_scenario(up)
    other = st.session_state["scenario_b"]
    if other is None:
        return
    if other.inputs != sc.inputs:
        st.warning(esc(tr("scenario_mismatch", a=other.inputs, b=sc.inputs)))
    st.button(tr("apply"), key="scenario_apply", on_click=apply_scenario, args=(other,))
    st.subheader(tr("compare"))
    # the two sides are labelled by role as well as name: equal names stay two columns
    names = {"a": tr("scenario_current", n=sc.name or "A"), "b": tr("scenario_loaded", n=other.name or "B")}
    table(compare_scenarios(sc, other, lang=lang()).rename(columns=names))
    inputs = current_inputs()
    if inputs.demand is None:
        return
    with boundary():
        a = coverage_now(inputs).summary
        b = coverage_now(inputs, sites=list(other.accepted_sites)).summary
        table(compare_coverage(a, b, keys=(f"service_{lang()}", "group")))


render()
