"""Print page: A4/A3 distribution and coverage maps (PDF, PNG preview), the report of the accepted
sites (Excel, PDF) and the coverage workbook.  With accepted sites of the service, the coverage map
is the scenario's map: the sites drawn numbered, coverage before and after
(coverage.reports.report_for_sites / map_for_report).

The last printed map is kept with the key of everything it was drawn from and shown
only while that key is the current one (another region, service or language: print again).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import (
    bound,
    boundary,
    coverage_now,
    lang,
    open_page,
    sites_key,
    standards,
    standards_key,
    tr,
)
from app_pages.exports import report_of_accepted, report_section

#: the preview and PNG download: an A4 landscape page is 1754 px wide, shown at or below its own size (sharp)
PREVIEW_DPI = 150


@st.cache_data(show_spinner=False, max_entries=8)
def printed_map(print_key: tuple, _inputs: Any, _result: Any, _report: Any = None) -> dict[str, bytes]:
    """A printed map as PDF and a PNG preview (library: coverage.mapping.printmap).

    ``print_key``: (data key, sites key, standards key, kind, service, threshold, title, paper,
    orientation, language, report key, simulated), everything the map shows.  ``_report``: the report of the
    accepted sites (their map is drawn instead of the plain coverage map).
    """
    from coverage.mapping import printmap
    from coverage.network import MODES

    _, _, _, kind, service, threshold_min, title, paper, orientation, language, _, _ = print_key
    common = {"boundaries": _inputs.boundaries, "region_name": _inputs.name, "title": title or None,
              "paper": paper, "orientation": orientation, "simulated": _inputs.simulated, "lang": language}
    if kind == "coverage" and _report is not None:
        from coverage.reports import map_for_report

        fig = map_for_report(_report, "proposal", paper=paper, orientation=orientation)
    elif kind == "distribution":
        fig = printmap.distribution_map(_inputs.demand, facilities=_inputs.facilities, **common)
    else:
        svc = standards().service(service)
        covered = _result.village_table(service)["covered"].to_numpy(bool)
        group = next((g for g in svc.groups if g in _inputs.demand.columns), svc.groups[0])
        mode = MODES[svc.mode].label(language) if hasattr(MODES.get(svc.mode), "zh") else svc.mode
        mode = mode if language == "zh" else mode.lower()
        fig = printmap.coverage_map(_inputs.demand, _inputs.facilities, covered=covered, group=group,
                                    facility_types=svc.facility_types, service_label=svc.label(language),
                                    threshold_min=threshold_min, mode_label=mode, **common)
    return {"pdf": printmap.map_bytes(fig, fmt="pdf"),
            "png": printmap.map_bytes(fig, fmt="png", dpi=PREVIEW_DPI)}


def render() -> None:
    """The Print page."""
    opened = open_page("page_print")
    if opened is None:
        return
    inputs, svc = opened
    c0, c1, c2, c3 = st.columns([2, 3, 1, 1])
    with c0:
        kind = bound(st.radio, tr("map_kind"), "print_kind", ["distribution", "coverage"],
                     format_func=lambda k: tr(f"print_{k}"))
    with c1:
        title = bound(st.text_input, tr("print_title"), "print_title", placeholder=tr("print_title_default"))
    with c2:
        paper = bound(st.selectbox, tr("paper"), "print_paper", ["A4", "A3"])
    with c3:
        orientation = bound(st.selectbox, tr("orientation"), "print_orientation", ["landscape", "portrait"],
                            format_func=tr)
    found = report_of_accepted(inputs, svc) if kind == "coverage" else None
    key = (inputs.key, sites_key(), standards_key(), kind, svc.key, float(svc.threshold_min), title, paper,
           orientation, lang(), found[0] if found else None, inputs.simulated)
    if found:
        n = sum(1 for s in st.session_state["accepted_sites"] if s.get("type") in svc.facility_types)
        st.caption(tr("print_sites_drawn", n=n))
    if st.button(tr("make_pdf"), key="print_run", type="primary"):
        with boundary(), st.spinner(tr("computing")):
            result = coverage_now(inputs) if kind == "coverage" else None
            report = found[1]() if found else None
            st.session_state["print_output"] = {"key": key, **printed_map(key, inputs, result, report)}
    output = st.session_state["print_output"]
    if output and output["key"] == key:
        d1, d2 = st.columns(2)
        d1.download_button("⬇ PDF", output["pdf"], file_name="map.pdf", mime="application/pdf",
                           key="print_download_pdf")
        d2.download_button("⬇ PNG", output["png"], file_name="map.png", mime="image/png",
                           key="print_download_png")
        st.image(output["png"], width="stretch")
    st.divider()
    st.markdown(f"**{tr('print_report')}**")
    with boundary():
        report_section(inputs, svc)
    st.divider()
    if st.button(tr("workbook"), key="print_workbook"):
        with boundary(), st.spinner(tr("computing")):
            path = Path(tempfile.mkdtemp(prefix="coverage-xlsx-")) / "coverage.xlsx"
            coverage_now(inputs).to_excel(path, lang=lang(), simulated=inputs.simulated, source=inputs.name)
            st.download_button(tr("download"), path.read_bytes(), file_name="覆盖分析.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="print_workbook_download")


render()
