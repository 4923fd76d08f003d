"""Map page: villages by group, facilities by type, boundaries, service areas, uncovered villages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.common import (
    bound,
    boundary,
    coverage_now,
    facilities_with_accepted,
    lang,
    open_page,
    render_map,
    service_areas,
    sites_key,
    standards_key,
    tr,
)


def map_controls() -> tuple[str, str]:
    """Base map choice (and Tianditu key); returns (basemap, key) to draw."""
    from coverage.mapping.webmap import BASEMAPS

    options = ["none", *(k for k in BASEMAPS if k != "tianditu_label")]
    c1, c2 = st.columns([1, 1])
    with c1:
        basemap = bound(st.selectbox, tr("basemap"), "basemap", options,
                        format_func=lambda k: tr("no_basemap") if k == "none" else BASEMAPS[k].label(lang()))
    key = ""
    if basemap.startswith("tianditu"):
        with c2:
            key = bound(st.text_input, tr("tianditu_key"), "tianditu_key", type="password")
    if basemap != "none":
        st.caption(tr("online_warning"))
    if basemap.startswith("tianditu") and not key.strip():
        st.info(tr("tianditu_needs_key"))
        return "none", ""
    return basemap, key


def render() -> None:
    """The Map page."""
    from coverage.mapping.webmap import coverage_map
    from coverage.scenario import sites_frame
    from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, POPULATION_GROUPS, facility_types_in
    from coverage.views import uncovered_village_ids, village_travel_times

    opened = open_page("page_map")
    if opened is None:
        return
    inputs, svc = opened
    c1, c2, c3 = st.columns([2, 2, 2])
    present = [g for g in POPULATION_GROUPS if g in inputs.demand.columns]
    with c1:
        groups = bound(st.multiselect, tr("groups_shown"), "map_groups", present,
                       default=[g for g in ("elderly_60plus", "left_behind_children") if g in present],
                       format_func=lambda g: POPULATION_GROUPS[g].label(lang()))
    with c2:
        service_cats = list(dict.fromkeys(FACILITY_TYPES[t].category for t in svc.facility_types))
        cats = bound(st.multiselect, tr("fac_shown"), ("map_categories", svc.key), list(CATEGORIES),
                     default=service_cats, format_func=lambda c: CATEGORIES[c].label(lang()))
    with c3:
        basemap, tk = map_controls()
    o1, o2, o3 = st.columns(3)
    with o1:
        show_uncovered = bound(st.toggle, tr("show_uncovered"), "map_uncovered")
    with o2:
        show_areas = bound(st.toggle, tr("show_areas"), "map_areas")
    with o3:
        only_counted = bound(st.toggle, tr("only_counted"), "map_only_counted")
    uncovered_ids: Any = None
    areas = travel = None
    if show_uncovered or show_areas:
        with boundary():
            with st.spinner(tr("computing")):
                result = coverage_now(inputs)
                uncovered_ids = uncovered_village_ids(result, svc.key) if show_uncovered else None
                travel = village_travel_times(result, svc.key)
            if show_areas:
                with st.spinner(tr("computing_areas")):
                    engine = inputs.engines()(svc.mode)
                    areas = service_areas(inputs.key, sites_key(), standards_key(), svc.key,
                                          float(svc.threshold_min), facilities_with_accepted(inputs), engine)
                if areas is None:
                    st.info(tr("no_counted"))
    types = [t for c in cats for t in facility_types_in(c) if not only_counted or t in svc.facility_types]
    sites = sites_frame(st.session_state["accepted_sites"])
    m = coverage_map(inputs.demand, inputs.facilities, boundaries=inputs.boundaries, groups=groups,
                     facility_types=types, service_areas=areas, uncovered_ids=uncovered_ids,
                     uncovered_title=f"{tr('uncovered_layer')} · {svc.label(lang())}",
                     sites=sites if len(sites) else None, travel_time_min=travel, lang=lang(),
                     basemap=basemap, tianditu_key=tk, note=inputs.note)
    render_map(m, key="map_main")
    st.caption(f"{svc.label(lang())} · {svc.threshold_min:g} {tr('minutes')}")


render()
