"""Map page: villages by group, facilities by type, boundaries, service areas, uncovered villages."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
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
    web_map,
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
    o1, o2, o3, o4 = st.columns(4)
    with o1:
        show_uncovered = bound(st.toggle, tr("show_uncovered"), "map_uncovered")
    with o2:
        show_areas = bound(st.toggle, tr("show_service_areas"), "map_areas")
    with o3:
        show_roads = bound(st.toggle, tr("show_roads"), "map_roads")
    with o4:
        only_counted = bound(st.toggle, tr("only_counted"), "map_only_counted")
    types = [t for c in cats for t in facility_types_in(c) if not only_counted or t in svc.facility_types]
    graph_key, graph_loader = inputs.graph_key, inputs.graph_loader
    has_roads = graph_loader is not None and graph_key is not None
    # notes that come and go sit in one container: the map after it keeps its place on the page, so the
    # browser keeps the map and only swaps the layers that changed (a map at a new place is a new frame)
    notes = st.container()
    if show_roads and not has_roads:
        notes.info(tr("need_roads"))
    threshold_min = float(svc.threshold_min)
    uncovered_title = f"{tr('uncovered_layer')} · {svc.label(lang())}"
    draw_roads = show_roads and has_roads

    def build(with_coverage: bool, with_roads: bool) -> Callable[[], Any]:
        def make() -> Any:
            uncovered_ids: Any = None
            areas = travel = roads = None
            if with_coverage and (show_uncovered or show_areas):
                result = coverage_now(inputs)
                uncovered_ids = uncovered_village_ids(result, svc.key) if show_uncovered else None
                travel = village_travel_times(result, svc.key)
            if with_coverage and show_areas:
                engine = inputs.engines()(svc.mode)
                areas = service_areas(inputs.key, sites_key(), standards_key(), svc.key, threshold_min,
                                      facilities_with_accepted(inputs), engine)
            if with_roads and graph_key is not None and graph_loader is not None:
                roads = inputs.road_lines()
            sites = sites_frame(st.session_state["accepted_sites"])
            return coverage_map(inputs.demand, inputs.facilities, boundaries=inputs.boundaries, groups=groups,
                                facility_types=types, service_areas=areas, uncovered_ids=uncovered_ids,
                                uncovered_title=uncovered_title, sites=sites if len(sites) else None,
                                travel_time_min=travel, lang=lang(), basemap=basemap, tianditu_key=tk,
                                note=inputs.note, roads=roads, facilities_swapped=only_counted)
        return make

    def key(with_coverage: bool, with_roads: bool) -> tuple:
        """Everything the map shows: the same key on a rerun gives the same map (nothing redrawn)."""
        coverage_part = (standards_key(), svc.key, threshold_min, show_uncovered, show_areas,
                         uncovered_title) if with_coverage and (show_uncovered or show_areas) else ()
        return (inputs.key, coverage_part, tuple(groups), tuple(types), with_roads, basemap, tk, lang(),
                inputs.note, sites_key())

    m = None
    with boundary(), st.spinner(tr("computing_service_areas") if show_areas else tr("drawing_map")):
        m = web_map(key(True, draw_roads), build(True, draw_roads))
    if m is None:  # the boundary said what went wrong; the map without coverage layers and roads
        with boundary():
            m = web_map(key(False, False), build(False, False))
    if m is None:
        return
    if show_areas and not _counts_any(inputs, svc.facility_types):
        notes.info(tr("no_counted"))
    # streamlit-folium renames the map's elements as it renders: it gets a copy, the cached map stays as built
    render_map(copy.deepcopy(m), key="map_main")
    st.caption(f"{svc.label(lang())} · {svc.threshold_min:g} {tr('minutes')}")


def _counts_any(inputs: Any, facility_types: Collection[str]) -> bool:
    """Whether any facility (or accepted site) is of a type the service counts."""
    facilities = facilities_with_accepted(inputs)
    return facilities is not None and bool(facilities["type"].isin(list(facility_types)).any())


render()
