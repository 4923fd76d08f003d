"""Siting page: model, target, k, candidate kinds; run; accept or reject; place a site by hand on the map.

The last proposal is kept in the session with the key of what it was made for (data,
service, threshold) and shown only while that key is the current one.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.common import (
    UNIT_LEVELS,
    accept_site,
    bound,
    boundary,
    coverage_now,
    esc,
    facilities_with_accepted,
    lang,
    open_page,
    reject_site,
    remove_site,
    render_map,
    settings_key,
    settings_text,
    sites_key,
    siting_settings,
    standards,
    standards_key,
    tr,
)
from app_pages.exports import export_section, layer_files, report_section
from coverage.metrics.labels import term

SITING_MODELS = ("target", "mclp", "lscp", "pmedian")


def proposal_for(_settings: dict, _inputs: Any, _facilities: Any, _engine: Any, _progress: Any) -> dict:
    """A siting proposal for one service (library: coverage.siting.propose_for_service).

    Not an ``st.cache_data`` function: it draws progress into the page, and Streamlit would replay
    those calls on a cache hit into a progress bar that no longer exists.  The session keeps the
    last proposal with its full key instead (:func:`controls`), so the same request is not solved twice.
    """
    from coverage.scenario import sites_from_proposal
    from coverage.siting import propose_for_service

    st_ = _settings
    svc = standards().service(st_["service"])
    model = st_["model"]
    targets = st_.get("group_targets") or st_.get("target_share")
    plan = propose_for_service(_inputs.demand, _facilities, _inputs.candidates, engine=_engine,
                               facility_types=svc.facility_types, groups=st_["groups"],
                               threshold_min=st_["threshold_min"], model=model, p=st_.get("k"),
                               target_share=targets, candidate_kinds=st_.get("candidate_kinds"),
                               facility_type=st_["facility_type"], time_limit_s=st_["time_limit_s"],
                               progress=_progress, group_weights=st_.get("group_weights"),
                               budget=st_.get("budget"), objective=st_.get("objective", "count"),
                               unit_rules=st_.get("unit_rules"), capacitated=bool(st_.get("capacitated")))
    proposal, candidates = plan.proposal, plan.candidates
    result = proposal.result
    sites = {lg: sites_from_proposal(proposal.sites, facility_type=st_["facility_type"], lang=lg,
                                     candidates=candidates, model=model) for lg in ("zh", "en")}
    return {"sites": sites["zh"], "sites_en": sites["en"], "status": result.status,
            "time_s": float(getattr(result, "time_s", 0.0) or 0.0), "gap": getattr(result, "gap", None),
            "summary": result.to_dict()}


def proposal_key(inputs: Any, svc: Any) -> tuple:
    """What a shown proposal must have been made for."""
    return (inputs.key, svc.key, float(svc.threshold_min))


def advanced(inputs: Any, svc: Any, model: str) -> None:
    """Per-unit targets, budget and least cost, several groups with weights and targets, capacities."""
    from coverage.taxonomy import POPULATION_GROUPS

    with st.expander(tr("advanced")):
        a1, a2 = st.columns(2)
        with a1:
            level = bound(st.selectbox, tr("unit_level"), "siting_unit_level", list(UNIT_LEVELS),
                          format_func=lambda k: tr(f"unit_{k}"), disabled=model != "target")
            bound(st.slider, tr("unit_share"), "siting_unit_share", cast=float, min_value=0.1, max_value=1.0,
                  step=0.05, disabled=model != "target" or level == "none")
            st.caption(tr("unit_rule_note"))
            bound(st.toggle, tr("least_cost"), "siting_least_cost", disabled=model != "target")
        with a2:
            use_budget = bound(st.toggle, tr("use_budget"), "siting_use_budget", disabled=model != "mclp")
            bound(st.number_input, tr("budget"), "siting_budget", cast=float, min_value=0.0, step=50.0,
                  disabled=model != "mclp" or not use_budget)
            bound(st.toggle, tr("capacitated"), "siting_capacitated", disabled=model not in ("target", "mclp"))
        present = [g for g in POPULATION_GROUPS if g in inputs.demand.columns]
        own = [g for g in svc.groups if g in present]
        groups = bound(st.multiselect, tr("siting_groups"), ("siting_groups", svc.key), present, default=own,
                       format_func=lambda g: POPULATION_GROUPS[g].label(lang()))
        if groups and groups != own:
            cols = st.columns(max(1, len(groups)))
            for col, g in zip(cols, groups, strict=True):
                with col:
                    name = POPULATION_GROUPS[g].label(lang())
                    bound(st.number_input, tr("group_weight", g=name), ("siting_weights", g), default=1.0,
                          cast=float, min_value=0.0, max_value=100.0, step=0.5)
                    if model == "target" and len(groups) > 1:
                        bound(st.slider, tr("group_target", g=name), ("siting_group_targets", g),
                              default=float(st.session_state["siting_target"].get(svc.key, svc.target_share or 0.9)),
                              cast=float, min_value=0.1, max_value=1.0, step=0.01)


def controls(inputs: Any, svc: Any) -> None:
    """Model options and the run button (the proposal goes into the session with its key)."""
    from coverage.taxonomy import CANDIDATE_KINDS, FACILITY_TYPES

    c1, c2, c3, c4 = st.columns([2, 1, 2, 2])
    with c1:
        model = bound(st.selectbox, tr("model"), "siting_model", list(SITING_MODELS),
                      format_func=lambda m: tr(f"model_{m}"))
    with c2:
        bound(st.slider, tr("target_share"), ("siting_target", svc.key),
              default=float(svc.target_share or 0.9), cast=float, min_value=0.5, max_value=1.0,
              step=0.01, disabled=model != "target")
        bound(st.number_input, tr("k"), "siting_k", cast=int, min_value=1, max_value=50,
              disabled=model not in ("mclp", "pmedian"))
    with c3:
        bound(st.multiselect, tr("kinds"), "siting_kinds", list(CANDIDATE_KINDS),
              default=list(CANDIDATE_KINDS), format_func=lambda k_: CANDIDATE_KINDS[k_].label(lang()))
    with c4:
        bound(st.selectbox, tr("build_type"), ("siting_type", svc.key), list(svc.facility_types),
              format_func=lambda t: FACILITY_TYPES[t].label(lang()))
        bound(st.number_input, tr("time_limit"), "siting_time", cast=int, min_value=5, max_value=600)
    advanced(inputs, svc, model)
    settings = siting_settings(svc, inputs.demand)
    st.caption(esc(settings_text(settings)))
    if not st.button(tr("run"), type="primary", key="siting_run"):
        return
    if inputs.candidates is None or not len(inputs.candidates):
        st.warning(tr("no_candidates"))
        return
    bar = st.progress(0.0, text=tr("run"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=str(message)[:120])

    request = (inputs.key, sites_key(), standards_key(), settings_key(settings))
    last = st.session_state["proposal"]
    if last and last.get("request") == request:  # the same request: the proposal shown is its answer
        bar.empty()
        st.session_state["rejected"] = []
        return
    try:
        with boundary():
            engine = inputs.engines()(svc.mode)
            prop = proposal_for(settings, inputs, facilities_with_accepted(inputs), engine, progress)
            st.session_state["proposal"] = {**prop, "key": proposal_key(inputs, svc), "model": settings["model"],
                                            "settings": settings, "request": request}
            st.session_state["rejected"] = []
    finally:
        bar.empty()


def pending_sites(inputs: Any, svc: Any) -> list[dict]:
    """The proposal's sites not yet accepted or rejected (each with accept / reject buttons)."""
    proposal = st.session_state["proposal"]
    if not proposal or proposal.get("key") != proposal_key(inputs, svc):
        return []
    st.caption(tr("status", s=term(proposal["status"], lang()), t=proposal.get("time_s") or 0.0,
                  g="—" if proposal.get("gap") is None else f"{proposal['gap']:.2%}"))
    if proposal.get("settings"):
        st.caption(esc(tr("settings_line", s=settings_text(proposal["settings"]))))
    accepted_ids = {s["id"] for s in st.session_state["accepted_sites"]}
    sites = proposal["sites"] if lang() == "zh" else proposal["sites_en"]
    hidden = accepted_ids | set(st.session_state["rejected"])
    pending = [s for s in sites if s["id"] not in hidden]
    for i, site in enumerate(pending):
        r1, r2, r3 = st.columns([6, 1, 1])
        r1.markdown(f"**{i + 1}\\. {esc(site['name'])}** · {esc(site.get('explanation', ''))}")
        r2.button(tr("accept"), key=f"accept_{site['id']}", on_click=accept_site, args=(site,))
        r3.button(tr("reject"), key=f"reject_{site['id']}", on_click=reject_site, args=(site["id"],))
    return pending


def before_after(inputs: Any, svc: Any) -> None:
    """Coverage with the accepted sites, and the change they make, per group."""
    from coverage.views import share_cards

    with boundary():
        before = coverage_now(inputs, sites=[]).service_summary(svc.key)
        after = coverage_now(inputs).service_summary(svc.key)
        cards = share_cards(after, lang=lang(), before=before)
        for col, card in zip(st.columns(max(1, len(cards))), cards, strict=False):
            col.metric(f"{card['label']} · {tr('with_sites')}", f"{card['share'] * 100:.1f}%",
                       delta=f"{(card['change_share'] or 0.0) * 100:+.1f} pt")


def site_map(inputs: Any, svc: Any, pending: list[dict]) -> None:
    """The proposed and accepted sites on the map; a click offers to place a site there."""
    from coverage.mapping.webmap import click_to_wgs84, coverage_map
    from coverage.scenario import new_site, sites_frame
    from coverage.taxonomy import FACILITY_TYPES
    from coverage.views import uncovered_village_ids

    basemap = st.session_state["basemap"]
    uncovered = None
    with boundary():
        uncovered = uncovered_village_ids(coverage_now(inputs), svc.key)
    shown = [*({**s, "status": "proposed"} for s in pending),
             *({**s, "status": "manual" if s.get("origin") == "manual" else "accepted"}
               for s in st.session_state["accepted_sites"])]
    sites_gdf = sites_frame(shown, status=None) if shown else None
    if sites_gdf is not None:
        sites_gdf["status"] = [s["status"] for s in shown]
    m = coverage_map(inputs.demand, inputs.facilities, boundaries=inputs.boundaries,
                     groups=[g for g in svc.groups if g in inputs.demand.columns][:1],
                     facility_types=svc.facility_types, uncovered_ids=uncovered, sites=sites_gdf, lang=lang(),
                     basemap=basemap, tianditu_key=st.session_state["tianditu_key"], note=inputs.note)
    st.caption(tr("click_hint"))
    out = render_map(m, key="map_siting", height=560, clicks=True)
    click = (out or {}).get("last_clicked")
    if click and click != st.session_state["click_seen"]:
        st.session_state["click_seen"] = click
        st.session_state["clicked"] = click_to_wgs84(click["lat"], click["lng"], basemap=basemap)
    if not st.session_state["clicked"]:
        return
    lon, lat = st.session_state["clicked"]
    with st.form("add_site", clear_on_submit=False):
        st.write(tr("clicked", lon=lon, lat=lat))
        f1, f2 = st.columns(2)
        ftype = f1.selectbox(tr("build_type"), list(svc.facility_types),
                             format_func=lambda t: FACILITY_TYPES[t].label(lang()), key="manual_type")
        name = f2.text_input(tr("site_name"), key="manual_name")
        if st.form_submit_button(tr("add_here")):
            with boundary():
                accept_site(new_site(lon, lat, facility_type=ftype, name=name or None))
                st.session_state["clicked"] = None
                st.rerun()


def accepted_list() -> None:
    """The accepted sites (names shown as written), each removable."""
    from coverage.taxonomy import label

    sites = st.session_state["accepted_sites"]
    if not sites:
        return
    st.subheader(tr("accepted"))
    proposal = st.session_state.get("proposal") or {}  # its explanations exist in both languages
    explained = {s["id"]: s.get("explanation") for s in proposal.get("sites" if lang() == "zh" else "sites_en", [])}
    for site in sites:
        r1, r2 = st.columns([7, 1])
        text = explained.get(site["id"]) or site.get("explanation")
        explanation = f" · {esc(text)}" if text else ""
        r1.markdown(f"**{esc(site.get('name', site['id']))}** · {esc(label(site.get('type', ''), lang()))} · "
                    f"{site['lon']:.5f}, {site['lat']:.5f}{explanation}")
        r2.button(tr("remove"), key=f"remove_{site['id']}", on_click=remove_site, args=(site["id"],))


def render() -> None:
    """The Siting page."""
    opened = open_page("page_siting")
    if opened is None:
        return
    inputs, svc = opened
    controls(inputs, svc)
    with st.container():  # one element however many sites are listed: the map below keeps its place
        pending = pending_sites(inputs, svc)
    before_after(inputs, svc)
    site_map(inputs, svc, pending)
    accepted_list()
    with boundary():
        exports(inputs, svc, pending)


@st.cache_data(show_spinner=False, max_entries=8)
def sites_export(export_key: tuple, _result: Any, _proposed: Any, _accepted: Any) -> dict[str, bytes]:
    """Proposed and accepted sites with their explanations as Excel and GeoPackage.

    ``export_key``: (data key, service, threshold, proposed sites key, accepted sites key, language, source,
    simulated).
    """
    from coverage.reports import result_layers

    _, service, _, _, _, language, source, simulated = export_key
    layers = result_layers(_result, service, proposed_sites=_proposed, accepted_sites=_accepted)
    layers = {k: v for k, v in layers.items() if k in ("proposed_sites", "accepted_sites")}
    return layer_files(layers, stem="选址站点" if language == "zh" else "sites", formats=(".xlsx", ".gpkg"),
                       language=language, simulated=simulated, source=source)


def exports(inputs: Any, svc: Any, pending: list[dict]) -> None:
    """The proposed and accepted sites as files; the proposal report of the accepted sites."""
    from coverage.scenario import sites_frame

    st.subheader(tr("exports"))
    st.caption(tr("sites_exports_help"))
    accepted = st.session_state["accepted_sites"]
    if pending or accepted:
        source = f"{inputs.name} · {svc.label(lang())} · {svc.threshold_min:g} {tr('minutes')}"
        key = (inputs.key, svc.key, float(svc.threshold_min), sites_key(pending), sites_key(), lang(), source,
               inputs.simulated)
        export_section("sites", key, tr("prepare_sites"),
                       lambda: sites_export(key, coverage_now(inputs),
                                            sites_frame(pending, status="proposed") if pending else None,
                                            sites_frame(accepted) if accepted else None))
    else:
        st.caption(tr("no_sites_to_export"))
    st.markdown(f"**{tr('report_files')}**")
    report_section(inputs, svc)


render()
