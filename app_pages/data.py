"""Data page: a demo region or the planner's own files; validation reports; templates.

A loaded layer keeps its file's bytes, so a changed coordinate system or sheet/layer
re-reads it even after the uploader was cleared by a visit to another page; the layer
is re-read whenever (content hash, sheet/layer, coordinate system) differ from what it
was loaded with, and that triple is part of every cached result's key.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import (
    bound,
    boundary,
    current_inputs,
    esc,
    frame,
    lang,
    layer_key,
    read_layer,
    road_graph,
    roads_loader,
    saved_upload,
    simulated_file,
    table,
    tr,
    upload_source,
)

KINDS = ("demand", "facilities", "candidates", "boundaries")
KIND_TEXT = {"demand": "villages", "facilities": "facilities", "candidates": "candidates",
             "boundaries": "boundaries"}
#: coordinate systems a planner's file may be in, and their labels (TEXT keys)
CRS_CHOICES = {"wgs84": "crs_wgs84", "gcj02": "crs_gcj02", "bd09": "crs_bd09"}


@st.cache_resource(show_spinner=False)
def template_files(region: str, language: str) -> dict[str, bytes]:
    """The demo region written as a planner uploads it (coverage.demo.export_demo): the templates."""
    from coverage.demo import export_demo

    folder = Path(tempfile.mkdtemp(prefix="coverage-templates-"))
    return {p.name: p.read_bytes() for p in export_demo(region, folder, lang=language)}


def part_names(source: Any, suffix: str) -> list[str]:
    """Sheets of a workbook or layers of a GeoPackage; [] when the file cannot be opened (the loader then
    reports it, naming the file and saying how to fix it)."""
    try:
        if suffix == ".gpkg":
            import pyogrio

            return [str(row[0]) for row in pyogrio.list_layers(source)]
        import openpyxl

        wb = openpyxl.load_workbook(source, read_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except Exception:
        return []


def part_choice(kind: str, name: str, digest: str, raw: bytes) -> tuple[Any, str | None]:
    """The source to read (a named buffer, or a saved file for GIS layers) and its sheet/layer (chosen)."""
    suffix = Path(name).suffix.lower()
    names: list[str] = []
    source = upload_source(name, digest, raw)
    if suffix == ".gpkg":
        names = part_names(source, suffix)
    elif suffix in (".xlsx", ".xlsm"):
        names = part_names(io.BytesIO(raw), suffix)
    if len(names) <= 1:
        return source, (names[0] if names and suffix == ".gpkg" else None)
    preferred = "roads" if kind == "roads" else kind
    part = bound(st.selectbox, tr("layer"), ("layers", kind), names,
                 default=preferred if preferred in names else names[0])
    return source, part


def load_layer(kind: str, up: Any, crs: str) -> None:
    """Load (or re-load) one kind from the uploader or the bytes kept from the last load."""
    from coverage.scenario import file_digest
    from coverage.taxonomy import vocabulary_key

    entry = st.session_state["user_layers"].get(kind)
    if up is not None:
        name, raw = up.name, up.getvalue()
    elif entry:
        name, raw = entry["name"], entry["raw"]
    else:
        return
    digest = file_digest(raw)
    source, part = part_choice(kind, name, digest, raw)
    if entry and layer_key(entry) == (digest, part, crs, vocabulary_key()):
        return
    st.session_state["user_layers"] = {**st.session_state["user_layers"],
                                       kind: read_layer(kind, name, raw, digest, crs, part, source)}


def upload_files() -> None:
    """Upload villages, facilities, candidates, boundaries and roads; each validated by the loaders."""
    st.caption(tr("upload_help"))
    for kind in KINDS:
        with st.expander(tr(KIND_TEXT[kind]), expanded=kind == "demand"):
            c1, c2 = st.columns([3, 1])
            with c2:
                crs = bound(st.selectbox, tr("crs"), ("crs", kind), list(CRS_CHOICES), default="wgs84",
                            format_func=lambda k: tr(CRS_CHOICES[k]))
            up = c1.file_uploader(tr(KIND_TEXT[kind]), type=["xlsx", "csv", "geojson", "gpkg", "zip"],
                                  key=f"upload_{kind}")
            with boundary():  # a failed load keeps the previous layer (if any)
                load_layer(kind, up, crs)
            entry = st.session_state["user_layers"].get(kind)
            if entry:
                from coverage.crs import crs_assumed_label

                loaded = tr("loaded", n=len(entry["data"]), crs=crs_assumed_label(entry["crs_assumed"], lang()))
                st.caption(esc(f"{entry['name']}: {loaded}"))
                if len(entry["report"]):
                    st.markdown(f"**{tr('report')}**")
                    from coverage.views import report_table

                    frame(report_table(entry["report"], lang=lang()), height=200)
                else:
                    st.caption(tr("no_problems"))
    with st.expander(tr("roads"), expanded=True):
        up = st.file_uploader(tr("roads_help"), type=["gpkg", "geojson", "zip", "pbf", "osm", "graphml"],
                              key="upload_roads")
        with boundary():  # a failed load keeps the previous network (if any)
            load_roads(up)
        roads = st.session_state["user_roads"]
        if roads:
            st.caption(esc(tr("roads_loaded", name=roads["name"], n=roads["nodes"])))


def load_roads(up: Any) -> None:
    """Build the road graph of an uploaded road file (cached by content hash and layer)."""
    from coverage.scenario import file_digest

    current = st.session_state["user_roads"]
    if up is not None:
        name, raw = up.name, up.getvalue()
    elif current:
        name, raw = current["name"], Path(current["path"]).read_bytes()
    else:
        return
    digest = file_digest(raw)
    path = saved_upload(digest, name, raw)
    _, layer = part_choice("roads", name, digest, raw)
    if current and (current["sha256"], current.get("layer")) == (digest, layer):
        return
    roads = {"name": name, "sha256": digest, "path": str(path), "layer": layer}
    graph = road_graph(("roads", digest, layer), roads_loader(roads))
    st.session_state["user_roads"] = {**roads, "nodes": graph.number_of_nodes(), "simulated": simulated_file(path)}


def templates() -> None:
    """Templates to download: the demo's files (Excel with a 说明 sheet, GeoPackage of boundaries and roads)."""
    st.subheader(tr("templates"))
    st.caption(tr("template_help"))
    if not bound(st.toggle, tr("prepare_templates"), "templates_on"):
        return
    with boundary(), st.spinner(tr("computing")):
        files = template_files(st.session_state["region"], lang())
        cols = st.columns(len(files))
        for col, (name, data) in zip(cols, files.items(), strict=True):
            mime = ("application/geopackage+sqlite3" if name.endswith(".gpkg") else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            col.download_button(f"⬇ {name}", data, file_name=name, mime=mime, key=f"tpl_{name}")


def render() -> None:
    """The Data page."""
    from coverage.demo import REGIONS

    st.header(tr("page_data"))
    source = bound(st.radio, tr("source"), "source", ["demo", "files"], horizontal=True, format_func=tr)
    if source == "demo":
        bound(st.selectbox, tr("region"), "region", list(REGIONS),
              format_func=lambda k: (REGIONS[k].name_zh if lang() == "zh"
                                     else f"{REGIONS[k].name_en} · {REGIONS[k].name_zh}"))
    else:
        upload_files()
    inputs = current_inputs()
    n = {k: f"{0 if df is None else len(df):,}" for k, df in
         (("v", inputs.demand), ("f", inputs.facilities), ("c", inputs.candidates))}
    st.success(tr("summary_counts", **n))
    st.caption(esc(tr("data_caption", name=inputs.name)))
    if inputs.note:
        st.caption(f"⚠ {esc(inputs.note)}")
    cols = st.columns(2)
    for col, df, title in ((cols[0], inputs.demand, "villages"), (cols[1], inputs.facilities, "facilities")):
        if df is not None:
            with col:
                st.subheader(tr(title))
                table(df.head(200), height=260)
    templates()


render()
