"""民政服务设施覆盖规划 · Civil-affairs service coverage planner: the Streamlit app.

Run with ``streamlit run app.py``.  This file is the entry: page configuration, the
sidebar (language, service, threshold) and the navigation between the pages in
``app_pages/`` (one module per page; shared state, text and cached library calls in
``app_pages/common.py``).  Each page runs inside an error boundary: an error is shown
as a translated message and the planner's choices and accepted sites are kept.
Works offline: the maps carry their own Leaflet and draw no base tiles unless asked.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    TEXT,
    bound,
    boundary,
    current_service,
    esc,
    init_state,
    lang,
    standards,
    tr,
    widget_key,
)
from app_pages.text import has_cjk

st.set_page_config(page_title="民政服务设施覆盖规划 · Coverage planner", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="expanded")

#: (file, url path, title text key); the first page opens the app.
PAGES = (("app_pages/data.py", "data", "page_data"),
         ("app_pages/map.py", "map", "page_map"),
         ("app_pages/coverage.py", "coverage", "page_coverage"),
         ("app_pages/siting.py", "siting", "page_siting"),
         ("app_pages/scenarios.py", "scenarios", "page_scenarios"),
         ("app_pages/print.py", "print", "page_print"),
         ("app_pages/standards.py", "standards", "page_standards"))


def language_toggle() -> None:
    """The English switch, mirroring the owned key ``lang``."""
    wkey = widget_key("lang")
    st.session_state[wkey] = lang() == "en"

    def sync() -> None:
        st.session_state["lang"] = "en" if st.session_state[wkey] else "zh"

    st.sidebar.toggle(TEXT["english"][0], key=wkey, on_change=sync)


def sidebar() -> None:
    """Language, title, service and threshold (they apply to every page), accepted-site count."""
    sb = st.sidebar
    language_toggle()
    sb.markdown(f"### {tr('title')}")
    sb.caption(tr("subtitle"))
    with sb, boundary():
        std = standards()
        keys = [s.key for s in std.services]
        bound(st.selectbox, tr("service"), "service", keys,
              format_func=lambda k: std.service(k).label(lang()))
        svc = current_service()
        bound(st.slider, tr("threshold"), ("thresholds", svc.key), default=svc.threshold_min, cast=int,
              min_value=5, max_value=120, step=5)
        if svc.note:  # a note written in Chinese only is pointed to, not shown, in English
            st.caption(esc(svc.note) if lang() == "zh" or not has_cjk(svc.note) else tr("note_in_chinese"))
    n = len(st.session_state["accepted_sites"])
    if n:
        sb.caption(f"{tr('accepted')}: {n}")


def main() -> None:
    """State, sidebar, navigation; the chosen page inside an error boundary."""
    init_state()
    pages = [st.Page(path, title=tr(title), url_path=url, default=i == 0)
             for i, (path, url, title) in enumerate(PAGES)]
    page = st.navigation(pages, position="sidebar")
    sidebar()
    with boundary():
        page.run()


main()
