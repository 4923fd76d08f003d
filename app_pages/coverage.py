"""Coverage page: covered share against the target per group; tables by county and township;
travel-time chart; uncovered villages; every service at once; the results as Excel, GeoPackage
and GeoJSON (coverage.reports.result_layers / write_layers)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.common import (
    all_coverage,
    bound,
    boundary,
    coverage_now,
    facilities_with_accepted,
    frame,
    lang,
    open_page,
    sites_key,
    standards_key,
    table,
    tr,
)
from app_pages.exports import export_section, layer_files

#: the coverage export's files
EXPORT_FORMATS = (".xlsx", ".gpkg", ".geojson")


@st.cache_data(show_spinner=False, max_entries=8)
def coverage_export(export_key: tuple, _result: Any, _boundaries: Any, _accepted: Any) -> dict[str, bytes]:
    """Coverage by village, township and county, uncovered villages and accepted sites, as files.

    ``export_key``: (data key, sites key, standards key, service, threshold, language, source line,
    simulated).
    """
    from coverage.reports import result_layers

    _, _, _, service, _, language, source, simulated = export_key
    layers = result_layers(_result, service, boundaries=_boundaries, accepted_sites=_accepted)
    stem = "覆盖结果" if language == "zh" else "coverage"
    return layer_files(layers, stem=stem, formats=EXPORT_FORMATS, language=language,
                       simulated=simulated, source=source)


def exports(inputs: Any, svc: Any, result: Any) -> None:
    """The export files of the coverage shown (with the accepted sites), prepared on a click."""
    from coverage.scenario import sites_frame

    st.subheader(tr("exports"))
    st.caption(tr("exports_help"))
    accepted = st.session_state["accepted_sites"]
    source = f"{inputs.name} · {svc.label(lang())} · {svc.threshold_min:g} {tr('minutes')}"
    key = (inputs.key, sites_key(), standards_key(), svc.key, float(svc.threshold_min), lang(), source,
           inputs.simulated)
    export_section("coverage", key, tr("prepare_exports"),
                   lambda: coverage_export(key, result, inputs.boundaries,
                                           sites_frame(accepted) if accepted else None))


def share_metrics(result: Any, svc: Any) -> None:
    """One metric per group: share, difference to the target, people still to cover."""
    from coverage.views import share_cards

    cards = share_cards(result.service_summary(svc.key), lang=lang())
    for col, card in zip(st.columns(max(1, len(cards))), cards, strict=False):
        target = card["target_share"]
        state = tr("no_target") if card["passed"] is None else tr("met") if card["passed"] else tr("not_met")
        delta = None if target is None else f"{(card['share'] - target) * 100:+.1f} pt · {tr('target')} {target:.0%}"
        col.metric(card["label"], f"{card['share'] * 100:.1f}%", delta=delta,
                   help=f"{tr('target')}: {f'{target:.0%}' if target is not None else '—'} · {state}")
        if card["gap_people"]:
            col.caption(tr("gap", n=f"{card['gap_people']:,}"))


def funeral_table(result: Any) -> None:
    """Funeral demand by county (deaths a year at the standards' rate; years of cemetery plots and ash
    places), when the standards ask for it and the villages have a resident population."""
    from coverage.views import translate_table

    if result.funeral is None or result.standards.funeral is None:
        return
    fd = result.standards.funeral
    st.markdown(f"**{tr('funeral_head')}**")
    st.caption(tr("funeral_help", rate=fd.death_rate_per_1000, years=fd.min_years))
    f = result.funeral
    short = [str(n) for n in f.loc[f["short"].astype(bool) & (f["county_code"] != "all"), "county_name"]]
    if short:
        st.warning(tr("funeral_short", years=fd.min_years, names="、".join(short) if lang() == "zh"
                      else ", ".join(short)))
    shown = translate_table(f.drop(columns="county_code"), lang=lang())
    frame(shown, key="coverage_funeral",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in shown.columns
                                if c in _years_headers()})


def _years_headers() -> set[str]:
    from coverage.metrics.labels import header

    return {header(c, lang()) for c in ("cemetery_years", "ash_years", "deaths_per_year")}


def render() -> None:
    """The Coverage page."""
    from coverage.views import band_chart_table, column_labels, overview_table, uncovered_table, unit_table

    opened = open_page("page_coverage")
    if opened is None:
        return
    inputs, svc = opened
    with st.spinner(tr("computing")):
        result = coverage_now(inputs)
    st.subheader(f"{svc.label(lang())} · ≤ {svc.threshold_min:g} {tr('minutes')}")
    share_metrics(result, svc)
    percent = {"share": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
               "target_share": st.column_config.NumberColumn(format="percent")}
    for col, level, title in zip(st.columns(2), ("county", "township"), ("by_county", "by_township"), strict=True):
        part = unit_table(result, svc.key, level)
        headers = column_labels(part.columns, lang=lang())
        col.markdown(f"**{tr(title)}**")
        with col:
            config = {headers[c]: cfg for c, cfg in percent.items() if c in headers}
            table(part, height=300, column_config=config)
    st.markdown(f"**{tr('distribution')}**")
    chart = band_chart_table(result, svc.key, lang=lang())
    if len(chart):
        st.bar_chart(chart, x_label=tr("minutes"), y_label=tr("covered_share"), stack=False, height=260)
    st.markdown(f"**{tr('uncovered_list')}**")
    frame(uncovered_table(result, svc.key, lang=lang()), height=260)
    with boundary():
        funeral_table(result)
    if bound(st.toggle, tr("all_services"), "coverage_all"):
        with boundary():
            thresholds = tuple(sorted(st.session_state["thresholds"].items()))
            full = all_coverage(inputs.key, sites_key(), standards_key(), thresholds, inputs.demand,
                                facilities_with_accepted(inputs), inputs.boundaries, inputs.engines())
            frame(overview_table(full, lang=lang()))
            if len(full.unit_rules):
                table(full.unit_rules)
    with boundary():
        exports(inputs, svc, result)


render()
