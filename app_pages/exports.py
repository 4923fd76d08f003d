"""Export helpers of the pages: result files (Excel, GeoPackage, GeoJSON) and the proposal report.

The bytes are built on a button click and cached under everything that changes them (data key,
accepted sites, standards, service, threshold, language); a download button only appears while its
files match the current state.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import (
    TEXT,
    Inputs,
    boundary,
    demo_region,
    lang,
    settings_text,
    sites_key,
    siting_settings,
    standards,
    standards_key,
    tr,
)

MIME = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".gpkg": "application/geopackage+sqlite3", ".zip": "application/zip", ".pdf": "application/pdf",
        ".png": "image/png", ".json": "application/json"}


def layer_files(layers: dict[str, Any], *, stem: str, formats: tuple[str, ...], language: str, simulated: bool,
                source: str) -> dict[str, bytes]:
    """Export tables written by coverage.reports.write_layers: ``{file name: bytes}``.

    ``formats``: any of ".xlsx", ".gpkg", ".geojson" (GeoJSON files are zipped together).
    """
    import zipfile

    from coverage.reports import write_layers

    folder = Path(tempfile.mkdtemp(prefix="coverage-export-"))
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == ".geojson":
            sub = folder / "geojson"
            sub.mkdir()
            write_layers(layers, sub / f"{stem}.geojson", lang=language, simulated=simulated, source=source)
            buf = folder / f"{stem}_GeoJSON.zip"
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(sub.glob("*.geojson")):
                    zf.write(p, p.name)
            files[buf.name] = buf.read_bytes()
        else:
            path = write_layers(layers, folder / f"{stem}{fmt}", lang=language, simulated=simulated, source=source)
            files[path.name] = path.read_bytes()
    return files


def export_section(section: str, key: tuple, label: str, build: Callable[[], dict[str, bytes]]) -> None:
    """A button that prepares files (``build``, cached by the caller) and their download buttons.

    The files are kept in ``exports[section]`` with ``key`` (everything they were made from) and
    offered only while ``key`` is the current one: a changed threshold, service, site or
    language hides them until prepared again, so a download is never stale.
    """
    if st.button(label, key=f"export_{section}"):
        with boundary(), st.spinner(tr("computing")):
            files = build()
            st.session_state["exports"] = {**st.session_state["exports"], section: {"key": key, "files": files}}
    entry = st.session_state["exports"].get(section)
    if not entry or entry["key"] != key:
        return
    files = entry["files"]
    for col, (name, data) in zip(st.columns(max(1, len(files))), files.items(), strict=False):
        col.download_button(f"⬇ {name}", data, file_name=name, mime=MIME.get(Path(name).suffix.lower()),
                            key=f"download_{section}_{Path(name).suffix.lstrip('.')}_{name.count('_')}")


def region_name_zh(inputs: Inputs) -> str:
    """The region's Chinese name for reports (the demo's name; empty for the planner's files)."""
    if inputs.key[0] == "demo":
        return str(demo_region(st.session_state["region"]).name_zh)
    return ""


@st.cache_data(show_spinner=False, max_entries=8)
def sites_report(report_key: tuple, _inputs: Any, _engine: Any, _sites: Any) -> Any:
    """The proposal report of accepted sites (library: coverage.reports.report_for_sites).

    ``report_key``: (data key, sites key, standards key, service, threshold, group, region name,
    settings line, simulated, language), everything the report says.
    """
    from coverage.reports import report_for_sites

    _, _, _, service, threshold_min, group, region_name, settings_line, simulated, language = report_key
    svc = standards().service(service)
    report = report_for_sites(_inputs.demand, _inputs.facilities, list(_sites), engine=_engine,
                              facility_types=list(svc.facility_types), group=group, threshold_min=threshold_min,
                              service_label=svc.label(language), region_name=region_name,
                              boundaries=_inputs.boundaries, simulated=simulated, lang=language)
    report.mode = svc.mode
    report.solver_note = ("；" if language == "zh" else "; ").join(x for x in (settings_line, report.solver_note) if x)
    return report


def report_of_accepted(inputs: Inputs, svc: Any) -> tuple[tuple, Callable[[], Any]] | None:
    """(key, builder) of the report of the accepted sites counted by ``svc``; None when none is."""
    sites = [s for s in st.session_state["accepted_sites"] if s.get("type") in svc.facility_types]
    if not sites:
        return None
    group = next((g for g in svc.groups if g in inputs.demand.columns), svc.groups[0])
    settings = siting_settings(svc, inputs.demand)
    language = lang()
    line = TEXT["settings_line"][0 if language == "zh" else 1].format(s=settings_text(settings, language))
    key = (inputs.key, sites_key(sites), standards_key(), svc.key, float(svc.threshold_min), group,
           region_name_zh(inputs), line, inputs.simulated, language)

    def build() -> Any:
        return sites_report(key, inputs, inputs.engines()(svc.mode), tuple(sites))
    return key, build


@st.cache_data(show_spinner=False, max_entries=8)
def report_files(report_key: tuple, _report: Any) -> dict[str, bytes]:
    """The report as a workbook and a PDF (coverage.reports.write_workbook / write_pdf_report)."""
    from coverage.reports import write_pdf_report, write_workbook

    folder = Path(tempfile.mkdtemp(prefix="coverage-report-"))
    stem = "选址报告" if _report.lang == "zh" else "siting_report"
    xlsx = write_workbook(_report, folder / f"{stem}.xlsx")
    pdf = write_pdf_report(_report, folder / f"{stem}.pdf")
    return {xlsx.name: xlsx.read_bytes(), pdf.name: pdf.read_bytes()}


def report_section(inputs: Inputs, svc: Any, section: str = "report") -> None:
    """The report of the accepted sites (Excel + PDF) behind a button; a note when no site counts."""
    found = report_of_accepted(inputs, svc)
    if found is None:
        st.caption(tr("no_accepted_of_service"))
        return
    key, build = found
    export_section(section, key, tr("prepare_report"), lambda: report_files(key, build()))
