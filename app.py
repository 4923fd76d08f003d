"""民政服务设施覆盖规划 · Civil-affairs service coverage planner: the Streamlit app.

Run with ``streamlit run app.py``.  The app is thin: it reads widgets, calls the
library (``coverage``) through cached wrappers, and renders what comes back.
Heavy shared objects (demo region, road graph, travel-time engines) are cached
as resources; results as data, under hashable keys (region / file hashes,
service, threshold, accepted sites).  The user's choices live in
``st.session_state`` under the explicit keys of ``STATE_DEFAULTS``; a failed
upload or a rerun never clears them.  Works offline: the maps carry their own
Leaflet (``coverage.mapping.webmap``) and draw no base tiles unless asked.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from coverage.errors import CoverageError

logger = logging.getLogger("coverage.app")

st.set_page_config(page_title="民政服务设施覆盖规划 · Coverage planner", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="expanded")

# --------------------------------------------------------------------------------------------- text
TEXT: dict[str, tuple[str, str]] = {
    "title": ("民政服务设施覆盖规划", "Civil-affairs service coverage planner"),
    "subtitle": ("“一老一小”服务设施覆盖分析与选址", "Coverage and siting of services for older people and children"),
    "page_data": ("数据", "Data"), "page_map": ("地图", "Map"), "page_coverage": ("覆盖", "Coverage"),
    "page_siting": ("选址", "Siting"), "page_scenarios": ("方案", "Scenarios"), "page_print": ("打印", "Print"),
    "english": ("English", "English"),
    "service": ("考核服务", "Service"), "threshold": ("通行时间阈值（分钟）", "Travel-time threshold (min)"),
    "source": ("数据来源", "Data source"), "demo": ("示例地区", "Demo region"), "files": ("我的文件", "My files"),
    "region": ("示例地区", "Demo region"),
    "villages": ("村庄（需求点）", "Villages (demand)"), "facilities": ("服务设施", "Facilities"),
    "candidates": ("候选站点", "Candidate sites"), "boundaries": ("行政区划", "Boundaries"),
    "roads": ("路网", "Roads"),
    "crs": ("坐标系", "Coordinate system"),
    "loaded": ("已载入 {n} 行（{crs}）", "{n} rows loaded ({crs})"),
    "report": ("校验报告", "Validation report"), "no_problems": ("未发现问题。", "No problems found."),
    "templates": ("下载模板", "Templates"),
    "prepare_templates": ("准备模板文件（示例数据的 Excel 与 GeoPackage）", "Prepare the template files (the demo as Excel and GeoPackage)"),
    "template_help": ("表头可用中文或英文；坐标可为 WGS-84、GCJ-02（高德）或 BD-09（百度），载入时选择。",
                      ("Headers in Chinese or English; coordinates in WGS-84, GCJ-02 (Amap) or BD-09 (Baidu), "
                      "chosen when loading.")),
    "upload_help": ("上传 Excel（.xlsx）或 CSV；失败不会影响已载入的数据和已采纳的站点。",
                    "Upload Excel (.xlsx) or CSV; a failed upload keeps your loaded data and accepted sites."),
    "layer": ("图层", "Layer"),
    "roads_loaded": ("{name}：路网 {n} 个节点", "{name}: road network with {n} nodes"),
    "roads_help": ("路网图层（.gpkg/.geojson/.zip 形状文件/.osm.pbf）", "Road layer (.gpkg/.geojson/zipped .shp/.osm.pbf)"),
    "summary_counts": ("{v} 个村（社区）· {f} 处设施 · {c} 个候选站点", "{v} villages · {f} facilities · {c} candidates"),
    "need_villages": ("请先在“数据”页载入村庄名单，或选择示例地区。",
                      "Load a village list on the Data page, or choose a demo region."),
    "need_roads": ("计算通行时间需要路网：请在“数据”页上传路网图层，或使用示例地区。",
                   "Travel times need a road network: upload a road layer on the Data page, or use a demo region."),
    "groups_shown": ("显示人群", "Groups shown"), "fac_shown": ("显示设施类别", "Facility categories shown"),
    "basemap": ("底图", "Base map"), "no_basemap": ("无（离线）", "None (offline)"),
    "tianditu_key": ("天地图密钥", "Tianditu key"),
    "tianditu_needs_key": ("天地图底图需要您的密钥（在天地图开发者网站申请）；输入前地图不加底图。",
                           "The Tianditu base map needs your key (from the Tianditu developer site); until then no base map."),
    "computing_areas": ("正在计算服务范围…（较慢：约半分钟到两分钟，之后缓存）",
                        "Computing service areas… (slow: half a minute to two minutes, then cached)"),
    "show_areas": ("显示服务范围（计算较慢）", "Show service areas (slow)"),
    "uncovered_layer": ("未覆盖村庄", "Uncovered villages"),
    "only_counted": ("仅显示本服务计入的设施", "Only facilities this service counts"), "show_uncovered": ("标出未覆盖村庄", "Highlight uncovered villages"),
    "online_warning": ("底图需要联网；离线时地图仍可使用（无底图）。", "Base maps need the internet; offline the map still works without one."),
    "computing": ("正在计算通行时间…（首次约需十余秒，之后即时）", "Computing travel times… (first time ~10 s, then instant)"),
    "covered_share": ("覆盖率", "Covered"), "target": ("目标", "Target"),
    "met": ("达标", "met"), "not_met": ("未达标", "not met"), "no_target": ("无目标", "no target"),
    "gap": ("距目标尚缺 {n} 人", "{n} people short of the target"),
    "by_county": ("按县（市、区）", "By county"), "by_township": ("按乡（镇、街道）", "By township"),
    "all_services": ("全部服务总览（计算约需数秒）", "All services (takes a few seconds)"), "distribution": ("通行时间分布", "Travel-time distribution"),
    "uncovered_list": ("未覆盖村庄（按人数排序）", "Uncovered villages (most people first)"),
    "people": ("人数", "People"), "minutes": ("分钟", "minutes"),
    "model": ("模型", "Model"), "target_share": ("覆盖目标", "Target share"), "k": ("新增站点数 k", "Number of new sites k"),
    "kinds": ("候选站点类别", "Candidate kinds"), "build_type": ("拟建设施类型", "Facility type to build"),
    "time_limit": ("求解时限（秒）", "Time limit (s)"), "run": ("生成选址方案", "Propose sites"),
    "model_target": ("最少站点达到覆盖目标", "Fewest sites to meet the target"),
    "model_mclp": ("k 个站点覆盖最多人", "Cover the most people with k sites"),
    "model_lscp": ("覆盖所有可达村庄", "Cover every reachable village"),
    "model_pmedian": ("k 个站点使平均通行时间最短", "Least mean travel time with k sites"),
    "proposal": ("选址方案", "Proposal"), "accept": ("采纳", "Accept"), "reject": ("不采纳", "Reject"),
    "accepted": ("已采纳站点", "Accepted sites"), "remove": ("移除", "Remove"),
    "status": ("求解状态：{s}，用时 {t:.1f} 秒，间隙 {g}", "Solver status: {s}, {t:.1f} s, gap {g}"),
    "click_hint": ("在地图上单击可手动放置站点。", "Click the map to place a site by hand."),
    "clicked": ("已选位置：{lon:.5f}, {lat:.5f}", "Clicked: {lon:.5f}, {lat:.5f}"),
    "add_here": ("在此处添加站点", "Add a site here"), "site_name": ("站点名称", "Site name"),
    "with_sites": ("含已采纳站点", "With accepted sites"), "without_sites": ("现状", "Today"),
    "no_candidates": ("没有符合条件的候选站点：请调整类别或上传候选站点。", "No candidate site fits: change the kinds or upload candidates."),
    "scenario_name": ("方案名称", "Scenario name"), "save": ("保存方案（JSON）", "Save scenario (JSON)"),
    "load": ("载入方案文件", "Load a scenario file"), "apply": ("应用此方案", "Use this scenario"),
    "compare": ("与当前方案对比", "Compare with the current scenario"),
    "applied": ("已应用方案“{n}”。", "Scenario '{n}' applied."),
    "scenario_mismatch": ("注意：该方案基于不同的数据（{a}），当前为（{b}）。", "Note: the scenario was made on other data ({a}); current: ({b})."),
    "print_missing": ("打印功能尚未就绪（coverage.mapping.printmap / coverage.reports 未安装）。",
                      "Printing is not available yet (coverage.mapping.printmap / coverage.reports missing)."),
    "not_available": ("此功能尚不可用：{what}", "Not available yet: {what}"),
    "error_internal": ("出现意外错误：{e}。您的数据和已采纳站点仍然保留；请检查输入后重试。",
                       "Unexpected error: {e}. Your data and accepted sites are kept; check the inputs and retry."),
    "simulated": ("示例数据（模拟）", "Simulated demo data"),
    "print_title": ("地图标题", "Map title"), "paper": ("纸张", "Paper"), "orientation": ("方向", "Orientation"),
    "make_pdf": ("生成打印地图", "Make the printed map"), "download": ("下载", "Download"),
    "map_kind": ("地图类型", "Map"), "print_distribution": ("“一老一小”分布图", "Distribution map"),
    "print_coverage": ("覆盖图（当前服务）", "Coverage map (current service)"),
    "print_title_default": ("默认：地区名 + 图名", "Default: region name + map name"),
    "landscape": ("横向", "landscape"), "portrait": ("纵向", "portrait"),
    "workbook": ("导出覆盖分析 Excel", "Export coverage workbook (Excel)"),
}


def lang() -> str:
    """The display language: "zh" (default) or "en"."""
    return "en" if st.session_state.get("lang_en") else "zh"


def tr(key: str, **kwargs: Any) -> str:
    """The text ``key`` in the current language, formatted."""
    zh, en = TEXT[key]
    text = zh if lang() == "zh" else en
    return text.format(**kwargs) if kwargs else text


# --------------------------------------------------------------------------------------------- state
#: Everything the user chose lives under these keys (and nowhere else).
STATE_DEFAULTS: dict[str, Any] = {
    "lang_en": False,
    "page": "data",
    "source": "demo",
    "region": "yuxi",
    "user_layers": {},       # kind -> {"name", "sha256", "crs", "data", "report", "crs_assumed"}
    "user_roads": None,      # {"name", "sha256", "path", "layer"}
    "user_roads_nodes": 0,
    "service": None,
    "thresholds": {},        # service key -> minutes
    "accepted_sites": [],    # site dicts (coverage.scenario)
    "proposal": None,        # {"key", "sites": [site dicts], "status", ...}
    "rejected": [],          # proposal site ids rejected
    "clicked": None,         # (lon, lat) of the last map click, WGS-84
    "basemap": "none",
    "tianditu_key": "",
    "scenario_name": "方案A",
    "scenario_b": None,      # a coverage.scenario.Scenario loaded for comparison
    "print_output": None,    # {"pdf": bytes, "png": bytes} of the last printed map
}


def init_state() -> None:
    """Put the defaults into ``st.session_state`` (only where a key is absent)."""
    for key, value in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, (dict, list)) else value


def pick(widget: Callable[..., Any], label: str, options: list[Any], *, key: str, format_func: Callable[[Any], str],
         default: Any = None, **kwargs: Any) -> Any:
    """A radio / selectbox / multiselect whose labels follow the language, its choice kept under ``key``.

    Streamlit keeps such a widget's value as the *label* shown; after a switch of
    language the old label would match no option.  The widget therefore gets a
    key per language (``key__zh``/``key__en``) and the choice itself lives in
    ``st.session_state[key]`` (set from the widget, restored into it).
    """
    multi = widget is st.multiselect or getattr(widget, "__name__", "") == "multiselect"
    value = st.session_state.get(key, default)
    if multi:
        value = [v for v in (value or []) if v in options]
    elif value not in options:
        value = options[0] if options else None
    st.session_state[key] = value
    wkey = f"{key}__{lang()}"
    if st.session_state.get(wkey) != value:
        st.session_state[wkey] = list(value) if multi else value

    def sync() -> None:
        st.session_state[key] = st.session_state[wkey]

    labels = {opt: format_func(opt) for opt in options}  # frozen now, in this run's language
    widget(label, options, key=wkey, format_func=lambda opt: labels.get(opt, str(opt)), on_change=sync, **kwargs)
    return st.session_state[key]


def show_error(exc: BaseException) -> None:
    """An error in the page, with the library's message (what to fix); never a traceback."""
    if isinstance(exc, CoverageError):
        st.error(str(exc))
    else:
        logger.exception("unexpected error in the app")
        st.error(tr("error_internal", e=f"{type(exc).__name__}: {exc}"))


def available(module: str) -> bool:
    """Whether a library module exists yet (pages of modules still being built say so)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# --------------------------------------------------------------------------------------------- cached library calls
@st.cache_resource(show_spinner=False)
def demo_region(key: str) -> Any:
    """The demo region (tables shared read-only by every session)."""
    from coverage.demo import load_demo

    return load_demo(key)


@st.cache_resource(show_spinner=False)
def road_graph(source_key: tuple, _load: Callable[[], Any]) -> Any:
    """The road graph of a data source, built once."""
    return _load()


@st.cache_resource(show_spinner=False)
def travel_engine(source_key: tuple, mode: str, _graph: Any) -> Any:
    """A compiled travel-time engine per data source and mode."""
    from coverage.traveltime import TravelTimeEngine

    return TravelTimeEngine(_graph, mode)


@st.cache_resource(show_spinner=False)
def standards() -> Any:
    """The default standards (data/standards.yaml)."""
    from coverage.metrics import default_standards

    return default_standards()


@st.cache_data(show_spinner=False, max_entries=32)
def service_coverage(data_key: tuple, sites_key: tuple, service: str, threshold_min: float,
                     _demand: Any, _facilities: Any, _boundaries: Any, _engines: Any) -> Any:
    """Coverage of one service at one threshold (a fraction of a second once the engine is built)."""
    from coverage.metrics import analyze
    from coverage.scenario import service_standards

    std = service_standards(standards(), service, threshold_min=threshold_min)
    return analyze(_demand, _facilities, standards=std, engines=_engines, boundaries=_boundaries)


@st.cache_data(show_spinner=False, max_entries=16)
def all_coverage(data_key: tuple, sites_key: tuple, thresholds: tuple, _demand: Any, _facilities: Any,
                 _boundaries: Any, _engines: Any) -> Any:
    """Coverage of every service (thresholds as chosen)."""
    from coverage.metrics import analyze

    std = standards()
    for key, minutes in thresholds:
        std = std.with_threshold(key, minutes)
    return analyze(_demand, _facilities, standards=std, engines=_engines, boundaries=_boundaries)


@st.cache_data(show_spinner=False, max_entries=32)
def service_areas(data_key: tuple, sites_key: tuple, service: str, threshold_min: float, _facilities: Any,
                  _engine: Any) -> Any:
    """Service areas of the facilities counted by a service, or None when the engine has none."""
    from coverage.metrics import counted_facilities

    if not hasattr(_engine, "service_areas"):
        return None
    counted = counted_facilities(_facilities, standards().service(service).facility_types)
    if not len(counted):
        return None
    return _engine.service_areas(counted, thresholds_min=[threshold_min])


# --------------------------------------------------------------------------------------------- data source
class Inputs:
    """The current data: canonical tables, a hashable key, the road graph loader."""

    def __init__(self, key: tuple, demand: Any, facilities: Any, candidates: Any, boundaries: Any,
                 graph_loader: Callable[[], Any] | None, note: str | None, name: str) -> None:
        self.key, self.demand, self.facilities, self.candidates = key, demand, facilities, candidates
        self.boundaries, self.graph_loader, self.note, self.name = boundaries, graph_loader, note, name

    def engines(self) -> Callable[[str], Any]:
        """``mode -> engine`` (built on first use, cached)."""
        if self.graph_loader is None:
            from coverage.errors import NetworkError

            raise NetworkError(tr("need_roads"))
        graph = road_graph(self.key, self.graph_loader)
        return lambda mode: travel_engine(self.key, mode, graph)


def current_inputs() -> Inputs:
    """The data the pages work on: the demo region or the user's files."""
    if st.session_state["source"] == "demo":
        region = demo_region(st.session_state["region"])
        return Inputs(("demo", region.key), region.demand, region.facilities, region.candidates,
                      region.boundaries, region.graph, region.note_zh if lang() == "zh" else region.note_en,
                      region.name_zh if lang() == "zh" else region.name_en)
    layers = st.session_state["user_layers"]
    roads = st.session_state["user_roads"]
    key = ("files", *sorted((k, v["sha256"], v.get("layer")) for k, v in layers.items()),
           ("roads", roads["sha256"] if roads else None, roads.get("layer") if roads else None))
    loader = roads_loader(roads) if roads else None
    return Inputs(key, _layer("demand"), _layer("facilities"), _layer("candidates"), _layer("boundaries"),
                  loader, None, tr("files"))


def _layer(kind: str) -> Any:
    entry = st.session_state["user_layers"].get(kind)
    return entry["data"] if entry else None


def sites_key() -> tuple:
    """Hashable key of the accepted sites (id, position, type)."""
    return tuple((s["id"], round(s["lon"], 6), round(s["lat"], 6), s.get("type")) for s in
                 st.session_state["accepted_sites"])


def facilities_with_accepted(inputs: Inputs) -> Any:
    """The facilities plus the accepted sites (library: coverage.scenario.with_sites)."""
    from coverage.scenario import with_sites

    if inputs.facilities is None:
        return None
    return with_sites(inputs.facilities, st.session_state["accepted_sites"])


def current_service() -> Any:
    """The selected service (coverage.metrics.Service) with the chosen threshold."""
    std = standards()
    key = st.session_state["service"] or std.services[0].key
    svc = std.service(key)
    minutes = st.session_state["thresholds"].get(key, svc.threshold_min)
    return svc.with_threshold(minutes)


def coverage_now(inputs: Inputs, *, with_accepted: bool = True) -> Any:
    """Coverage of the selected service at the chosen threshold."""
    svc = current_service()
    facilities = facilities_with_accepted(inputs) if with_accepted else inputs.facilities
    skey = sites_key() if with_accepted else ()
    return service_coverage(inputs.key, skey, svc.key, float(svc.threshold_min), inputs.demand, facilities,
                            inputs.boundaries, inputs.engines())


# --------------------------------------------------------------------------------------------- sidebar
def sidebar() -> str:
    """Language, page, service and threshold; returns the page key."""
    sb = st.sidebar
    sb.toggle(TEXT["english"][0], key="lang_en")
    sb.markdown(f"### {tr('title')}")
    sb.caption(tr("subtitle"))
    pages = ["data", "map", "coverage", "siting", "scenarios", "print"]
    pick(sb.radio, " ", pages, key="page", format_func=lambda p: tr(f"page_{p}"), label_visibility="collapsed")
    sb.divider()
    try:
        std = standards()
        keys = [s.key for s in std.services]
        if st.session_state["service"] not in keys:
            st.session_state["service"] = keys[0]
        pick(sb.selectbox, tr("service"), keys, key="service", format_func=lambda k: std.service(k).label(lang()))
        svc = std.service(st.session_state["service"])
        widget_key = f"threshold_{svc.key}"
        if widget_key not in st.session_state:
            st.session_state[widget_key] = int(st.session_state["thresholds"].get(svc.key, svc.threshold_min))
        sb.slider(tr("threshold"), 5, 120, step=5, key=widget_key,
                  on_change=lambda: st.session_state["thresholds"].update(
                      {svc.key: float(st.session_state[widget_key])}))
        sb.caption(f"{svc.note}" if svc.note else "")
    except Exception as exc:  # noqa: BLE001 - standards unreadable: say so, keep the app usable
        show_error(exc)
    n = len(st.session_state["accepted_sites"])
    if n:
        sb.caption(f"{tr('accepted')}: {n}")
    return st.session_state["page"]


# --------------------------------------------------------------------------------------------- pages
def page_data() -> None:
    """Demo region or the user's files; validation reports; templates."""
    st.header(tr("page_data"))
    pick(st.radio, tr("source"), ["demo", "files"], key="source", horizontal=True, format_func=tr)
    if st.session_state["source"] == "demo":
        from coverage.demo import REGIONS

        st.selectbox(tr("region"), list(REGIONS), key="region",
                     format_func=lambda k: f"{REGIONS[k].name_zh} · {REGIONS[k].name_en}")
    else:
        upload_files()
    inputs = current_inputs()
    n = {k: 0 if df is None else len(df) for k, df in
         (("v", inputs.demand), ("f", inputs.facilities), ("c", inputs.candidates))}
    st.success(tr("summary_counts", **n))
    if inputs.note:
        st.caption(f"⚠ {inputs.note}")
    cols = st.columns(2)
    if inputs.demand is not None:
        with cols[0]:
            st.subheader(tr("villages"))
            st.dataframe(display(inputs.demand.drop(columns="geometry").head(200)), height=260, hide_index=True)
    if inputs.facilities is not None:
        with cols[1]:
            st.subheader(tr("facilities"))
            st.dataframe(display(inputs.facilities.drop(columns="geometry").head(200)), height=260, hide_index=True)
    templates()


KINDS = ("demand", "facilities", "candidates", "boundaries")
KIND_TEXT = {"demand": "villages", "facilities": "facilities", "candidates": "candidates", "boundaries": "boundaries"}
CRS_CHOICES = {"wgs84": "WGS-84 / CGCS2000", "gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）"}


def upload_files() -> None:
    """Upload villages, facilities, candidates, boundaries and roads; each validated by the loaders."""
    import coverage.inputs as inputs_api
    from coverage.scenario import file_digest

    st.caption(tr("upload_help"))
    loaders = {"demand": inputs_api.load_demand, "facilities": inputs_api.load_facilities,
               "candidates": inputs_api.load_candidates, "boundaries": inputs_api.load_boundaries}
    for kind in KINDS:
        with st.expander(tr(KIND_TEXT[kind]), expanded=kind == "demand"):
            c1, c2 = st.columns([3, 1])
            crs = c2.selectbox(tr("crs"), list(CRS_CHOICES), key=f"crs_{kind}", format_func=CRS_CHOICES.get)
            up = c1.file_uploader(tr(KIND_TEXT[kind]), type=["xlsx", "csv", "geojson", "gpkg", "zip"],
                                  key=f"upload_{kind}")
            if up is not None:
                raw = up.getvalue()
                digest = file_digest(raw)
                try:
                    source: Any = up
                    layer = None
                    if Path(up.name).suffix.lower() in (".geojson", ".gpkg", ".zip"):
                        source = saved_upload(digest, up.name, raw)
                        layer = layer_choice(source, key=f"layer_{kind}", preferred=kind)
                    entry = st.session_state["user_layers"].get(kind)
                    if not entry or (entry["sha256"], entry["crs"], entry.get("layer")) != (digest, crs, layer):
                        if hasattr(source, "seek"):
                            source.seek(0)
                        result = loaders[kind](source, crs=crs, sheet=layer)
                        st.session_state["user_layers"][kind] = {
                            "name": up.name, "sha256": digest, "crs": crs, "layer": layer, "data": result.data,
                            "report": result.report.to_frame(), "crs_assumed": result.crs_assumed}
                except Exception as exc:  # noqa: BLE001 - the previous layer (if any) stays loaded
                    show_error(exc)
            entry = st.session_state["user_layers"].get(kind)
            if entry:
                st.caption(f"{entry['name']}: " + tr("loaded", n=len(entry["data"]), crs=entry["crs_assumed"]))
                if len(entry["report"]):
                    st.markdown(f"**{tr('report')}**")
                    st.dataframe(entry["report"], hide_index=True, height=200)
                else:
                    st.caption(tr("no_problems"))
    with st.expander(tr("roads"), expanded=True):
        up = st.file_uploader(tr("roads_help"), type=["gpkg", "geojson", "zip", "pbf", "osm", "graphml"],
                              key="upload_roads")
        if up is not None:
            raw = up.getvalue()
            digest = file_digest(raw)
            try:
                path = saved_upload(digest, up.name, raw)
                layer = layer_choice(path, key="layer_roads", preferred="roads")
                roads = {"name": up.name, "sha256": digest, "path": str(path), "layer": layer}
                if st.session_state["user_roads"] != roads:
                    graph = road_graph(("roads", digest, layer), roads_loader(roads))
                    st.session_state["user_roads"] = roads
                    st.session_state["user_roads_nodes"] = graph.number_of_nodes()
            except Exception as exc:  # noqa: BLE001 - the previous network (if any) stays loaded
                show_error(exc)
        if st.session_state["user_roads"]:
            st.caption(tr("roads_loaded", name=st.session_state["user_roads"]["name"],
                          n=st.session_state.get("user_roads_nodes", 0)))


def roads_loader(roads: dict) -> Callable[[], Any]:
    """A function building the road graph of an uploaded road file (coverage.network.load_graph)."""
    from coverage.network import load_graph

    path, layer = roads["path"], roads.get("layer")
    return lambda: load_graph(path, layer=layer) if layer else load_graph(path)


@st.cache_resource(show_spinner=False, max_entries=16)
def saved_upload(digest: str, name: str, _raw: bytes) -> Path:
    """An uploaded layer written once to a private temporary folder (layers are read from files)."""
    folder = Path(tempfile.mkdtemp(prefix="coverage-upload-"))
    path = folder / Path(name).name
    path.write_bytes(_raw)
    return path


def layer_choice(path: Path, *, key: str, preferred: str) -> str | None:
    """The layer to read from a multi-layer GeoPackage (a select box), or None for single-layer files."""
    if Path(path).suffix.lower() != ".gpkg":
        return None
    import pyogrio

    names = [str(row[0]) for row in pyogrio.list_layers(path)]
    if len(names) <= 1:
        return names[0] if names else None
    default = preferred if preferred in names else names[0]
    return st.selectbox(tr("layer"), names, index=names.index(default), key=key)


@st.cache_resource(show_spinner=False)
def template_files(region: str, language: str) -> dict[str, bytes]:
    """The demo region written as a planner uploads it (coverage.demo.export_demo): the templates."""
    from coverage.demo import export_demo

    folder = Path(tempfile.mkdtemp(prefix="coverage-templates-"))
    return {p.name: p.read_bytes() for p in export_demo(region, folder, lang=language)}


def templates() -> None:
    """Templates to download: the demo's own files (Excel with a 说明 sheet, GeoPackage of boundaries and roads)."""
    st.subheader(tr("templates"))
    st.caption(tr("template_help"))
    if not st.toggle(tr("prepare_templates"), key="templates_on"):
        return
    try:
        with st.spinner(tr("computing")):
            files = template_files(st.session_state["region"], lang())
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
        show_error(exc)
        return
    cols = st.columns(len(files))
    for col, (name, data) in zip(cols, files.items()):
        mime = ("application/geopackage+sqlite3" if name.endswith(".gpkg") else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        col.download_button(f"⬇ {name}", data, file_name=name, mime=mime, key=f"tpl_{name}")


def headers(columns: Any) -> dict[str, str]:
    """Column -> header in the current language (coverage.metrics / coverage.model labels), unique."""
    from coverage.metrics.analysis import METRIC_LABELS
    from coverage.model import COLUMN_LABELS

    i = 0 if lang() == "zh" else 1
    names: dict[str, str] = {}
    for c in columns:
        name = (METRIC_LABELS.get(c) or COLUMN_LABELS.get(c) or (c, c))[i]
        names[c] = name if name not in names.values() else f"{name} ({c})"
    return names


def display(df: Any) -> Any:
    """A table for the page: headers and vocabulary keys (groups, types...) in the current language."""
    from coverage.metrics import group_label
    from coverage.taxonomy import label

    other = "_en" if lang() == "zh" else "_zh"
    df = df.drop(columns=[c for c in df.columns if c.endswith(other) or
                          (c.endswith(("_zh", "_en")) and c[:-3] in df.columns)])
    df = df.copy()
    for col in ("group", "type", "kind", "status", "level", "facility_type", "capacity_unit"):
        if col in df.columns:
            df[col] = [group_label(v, lang()) if col == "group" else label(v, lang()) if isinstance(v, str) else v
                       for v in df[col]]
    return df.rename(columns=headers(df.columns))


def map_controls(prefix: str) -> tuple[str, str]:
    """Base map choice (and Tianditu key); returns (basemap, key)."""
    from coverage.mapping.webmap import BASEMAPS

    options = ["none", *(k for k in BASEMAPS if k != "tianditu_label")]
    c1, c2 = st.columns([1, 1])
    pick(c1.selectbox, tr("basemap"), options, key="basemap",
                 format_func=lambda k: tr("no_basemap") if k == "none" else BASEMAPS[k].label(lang()))
    if st.session_state["basemap"].startswith("tianditu"):
        c2.text_input(tr("tianditu_key"), key="tianditu_key", type="password")
    if st.session_state["basemap"] != "none":
        st.caption(tr("online_warning"))
    if st.session_state["basemap"].startswith("tianditu") and not st.session_state["tianditu_key"].strip():
        st.info(tr("tianditu_needs_key"))
        return "none", ""
    return st.session_state["basemap"], st.session_state["tianditu_key"]


def open_page(title: str, *, module: str | None = None, missing: str | None = None) -> tuple[Inputs, Any] | None:
    """The page's header, then (data, selected service); None, with a note shown, when there is nothing to do.

    ``module``: a library module the page needs; when it cannot be imported the page shows ``missing`` (a
    text key) or "not available" instead. Without villages the page asks for them.
    """
    st.header(tr(title))
    if module is not None and not available(module):
        if missing is None:
            st.warning(tr("not_available", what=module))
        else:
            st.info(tr(missing))
        return None
    inputs = current_inputs()
    if inputs.demand is None:
        st.info(tr("need_villages"))
        return None
    return inputs, current_service()


def render_map(m: Any, *, key: str, height: int = 620, clicks: bool = False) -> dict | None:
    """Show a folium map (offline assets) with streamlit-folium; returns the click data if asked."""
    from streamlit_folium import st_folium

    return st_folium(m, key=key, height=height, use_container_width=True,
                     returned_objects=["last_clicked"] if clicks else [])


def page_map() -> None:
    """Villages by group, facilities by type, boundaries, service areas, uncovered villages."""
    from coverage.mapping.webmap import coverage_map
    from coverage.scenario import sites_frame
    from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, POPULATION_GROUPS, facility_types_in

    opened = open_page("page_map")
    if opened is None:
        return
    inputs, svc = opened
    c1, c2, c3 = st.columns([2, 2, 2])
    groups = pick(c1.multiselect, tr("groups_shown"), [g for g in POPULATION_GROUPS if g in inputs.demand.columns],
                  default=[g for g in ("elderly_60plus", "left_behind_children") if g in inputs.demand.columns],
                  format_func=lambda g: POPULATION_GROUPS[g].label(lang()), key="map_groups")
    service_cats = list(dict.fromkeys(FACILITY_TYPES[t].category for t in svc.facility_types))
    cats = pick(c2.multiselect, tr("fac_shown"), list(CATEGORIES), default=service_cats,
                format_func=lambda c: CATEGORIES[c].label(lang()), key=f"map_categories_{svc.key}")
    with c3:
        basemap, tk = map_controls("map")
    o1, o2, o3 = st.columns(3)
    show_uncovered = o1.toggle(tr("show_uncovered"), value=True, key="map_uncovered")
    show_areas = o2.toggle(tr("show_areas"), value=False, key="map_areas")
    only_counted = o3.toggle(tr("only_counted"), value=True, key="map_only_counted")
    uncovered_ids = None
    areas = None
    travel = None
    if show_uncovered or show_areas:
        try:
            with st.spinner(tr("computing")):
                result = coverage_now(inputs)
                table = result.village_table(svc.key)
                uncovered_ids = table.loc[~table["covered"].astype(bool), "id"].tolist() if show_uncovered else None
                travel = table.set_index("id")["travel_time_min"]
            if show_areas:
                with st.spinner(tr("computing_areas")):
                    engine = inputs.engines()(svc.mode)
                    areas = service_areas(inputs.key, sites_key(), svc.key, float(svc.threshold_min),
                                          facilities_with_accepted(inputs), engine)
                    if areas is None:
                        st.info(tr("not_available", what="service_areas (coverage.traveltime)"))
        except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
            show_error(exc)
    types = [t for c in cats for t in facility_types_in(c) if not only_counted or t in svc.facility_types]
    sites = sites_frame(st.session_state["accepted_sites"])
    m = coverage_map(inputs.demand, inputs.facilities, boundaries=inputs.boundaries, groups=groups,
                     facility_types=types, service_areas=areas, uncovered_ids=uncovered_ids,
                     uncovered_title=f"{tr('uncovered_layer')} · {svc.label(lang())}",
                     sites=sites if len(sites) else None, travel_time_min=travel, lang=lang(), basemap=basemap,
                     tianditu_key=tk, note=inputs.note)
    render_map(m, key="map_main")
    st.caption(f"{svc.label(lang())} · {svc.threshold_min:g} {tr('minutes')}")


def page_coverage() -> None:
    """Covered share against the target per group; tables by county and township; travel-time chart."""
    opened = open_page("page_coverage")
    if opened is None:
        return
    inputs, svc = opened
    with st.spinner(tr("computing")):
        result = coverage_now(inputs)
    st.subheader(f"{svc.label(lang())} · ≤ {svc.threshold_min:g} {tr('minutes')}")
    summary = result.service_summary(svc.key)
    cols = st.columns(max(1, len(summary)))
    for col, row in zip(cols, summary.to_dict("records")):
        group = row.get("group_zh") if lang() == "zh" else row.get("group_en")
        target = row.get("target_share")
        has_target = isinstance(target, (int, float)) and math.isfinite(target)
        passed = row.get("passed")
        state = tr("no_target") if passed is None or not has_target else (tr("met") if passed else tr("not_met"))
        delta = f"{(row['share'] - target) * 100:+.1f} pt · {tr('target')} {target:.0%}" if has_target else None
        col.metric(f"{group}", f"{row['share'] * 100:.1f}%", delta=delta,
                   help=f"{tr('target')}: {f'{target:.0%}' if has_target else '—'} · {state}")
        if row.get("gap_people") and row["gap_people"] > 0:
            col.caption(tr("gap", n=f"{int(row['gap_people']):,}"))
    t1, t2 = st.columns(2)
    by_unit = result.by_unit
    show_cols = ["name", "group", "covered_people", "total_people", "share", "target_share", "passed",
                 "uncovered_villages"]
    for col, level, title in ((t1, "county", "by_county"), (t2, "township", "by_township")):
        part = by_unit.loc[(by_unit["level"] == level) & (by_unit["service"] == svc.key),
                           [c for c in show_cols if c in by_unit.columns]]
        col.markdown(f"**{tr(title)}**")
        col.dataframe(display(part), hide_index=True, height=300,
                      column_config={headers(part.columns)[c]:
                                     st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)
                                     if c == "share" else st.column_config.NumberColumn(format="percent")
                                     for c in ("share", "target_share") if c in part.columns})
    st.markdown(f"**{tr('distribution')}**")
    bands = result.bands
    part = bands.loc[bands["service"] == svc.key]
    if len(part):
        h = headers(part.columns)
        chart = display(part).pivot_table(index=h["threshold_min"], columns=h["group"], values=h["share"])
        st.bar_chart(chart, x_label=tr("minutes"), y_label=tr("covered_share"), stack=False, height=260)
    st.markdown(f"**{tr('uncovered_list')}**")
    unc = result.uncovered
    st.dataframe(display(unc.loc[unc["service"] == svc.key].drop(columns=["service"]).head(100)),
                 hide_index=True, height=260)
    if st.toggle(tr("all_services"), value=False, key="coverage_all"):
        try:
            thresholds = tuple(sorted(st.session_state["thresholds"].items()))
            full = all_coverage(inputs.key, sites_key(), thresholds, inputs.demand, facilities_with_accepted(inputs),
                                inputs.boundaries, inputs.engines())
            cols = [c for c in ("service_zh" if lang() == "zh" else "service_en", "group_zh" if lang() == "zh"
                                else "group_en", "mode", "threshold_min", "share", "target_share", "passed",
                                "gap_people") if c in full.summary.columns]
            st.dataframe(display(full.summary[cols]), hide_index=True)
            if len(full.unit_rules):
                st.dataframe(display(full.unit_rules), hide_index=True)
        except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
            show_error(exc)


SITING_MODELS = ("target", "mclp", "lscp", "pmedian")


@st.cache_data(show_spinner=False, max_entries=16)
def proposal_for(data_key: tuple, sites_key: tuple, service: str, threshold_min: float, model: str,
                 target_share: float | None, k: int | None, kinds: tuple, build_type: str, time_limit_s: float,
                 _inputs: Any, _facilities: Any, _engine: Any, _progress: Any) -> dict:
    """A siting proposal for one service (library: coverage.siting.propose_for_service)."""
    from coverage.scenario import sites_from_proposal
    from coverage.siting import propose_for_service

    svc = standards().service(service)
    plan = propose_for_service(_inputs.demand, _facilities, _inputs.candidates, engine=_engine,
                               facility_types=svc.facility_types, groups=svc.groups, threshold_min=threshold_min,
                               model=model, p=k, target_share=target_share, candidate_kinds=kinds or None,
                               facility_type=build_type, time_limit_s=time_limit_s, progress=_progress)
    proposal, candidates = plan.proposal, plan.candidates
    result = proposal.result
    return {"sites": sites_from_proposal(proposal.sites, facility_type=build_type, lang="zh", candidates=candidates,
                                         model=model),
            "sites_en": sites_from_proposal(proposal.sites, facility_type=build_type, lang="en",
                                            candidates=candidates, model=model),
            "status": result.status, "time_s": float(getattr(result, "time_s", float("nan")) or 0.0),
            "gap": getattr(result, "gap", None), "summary": result.to_dict()}


def page_siting() -> None:
    """Model, target, k, candidate kinds; run; accept or reject; place a site by hand on the map."""
    from coverage.mapping.webmap import click_to_wgs84, coverage_map
    from coverage.scenario import new_site, sites_frame
    from coverage.taxonomy import CANDIDATE_KINDS, FACILITY_TYPES

    opened = open_page("page_siting", module="coverage.siting")
    if opened is None:
        return
    inputs, svc = opened
    c1, c2, c3, c4 = st.columns([2, 1, 2, 2])
    model = pick(c1.selectbox, tr("model"), list(SITING_MODELS), format_func=lambda m: tr(f"model_{m}"),
                 key="siting_model")
    target = c2.slider(tr("target_share"), 0.5, 1.0, float(svc.target_share or 0.9), 0.01, key="siting_target",
                       disabled=model != "target")
    k = c2.number_input(tr("k"), 1, 50, 5, key="siting_k", disabled=model not in ("mclp", "pmedian"))
    kinds = pick(c3.multiselect, tr("kinds"), list(CANDIDATE_KINDS), default=list(CANDIDATE_KINDS),
                 format_func=lambda k_: CANDIDATE_KINDS[k_].label(lang()), key="siting_kinds")
    build_type = pick(c4.selectbox, tr("build_type"), list(svc.facility_types),
                      format_func=lambda t: FACILITY_TYPES[t].label(lang()), key=f"siting_type_{svc.key}")
    time_limit = c4.number_input(tr("time_limit"), 5, 600, 30, key="siting_time")
    if st.button(tr("run"), type="primary", key="siting_run"):
        if inputs.candidates is None or not len(inputs.candidates):
            st.warning(tr("no_candidates"))
        else:
            bar = st.progress(0.0, text=tr("run"))

            def progress(fraction: float, message: str) -> None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=str(message)[:120])

            try:
                engine = inputs.engines()(svc.mode)
                prop = proposal_for(inputs.key, sites_key(), svc.key, float(svc.threshold_min), model,
                                    float(target) if model == "target" else None,
                                    int(k) if model in ("mclp", "pmedian") else None, tuple(kinds), build_type,
                                    float(time_limit), inputs, facilities_with_accepted(inputs), engine, progress)
                st.session_state["proposal"] = {**prop, "service": svc.key}
                st.session_state["rejected"] = []
            except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
                show_error(exc)
            finally:
                bar.empty()
    proposal = st.session_state["proposal"]
    accepted_ids = {s["id"] for s in st.session_state["accepted_sites"]}
    pending: list[dict] = []
    if proposal:
        st.caption(tr("status", s=proposal["status"], t=proposal.get("time_s") or 0.0,
                      g="—" if proposal.get("gap") is None else f"{proposal['gap']:.2%}"))
        sites = proposal["sites"] if lang() == "zh" else proposal["sites_en"]
        pending = [s for s in sites if s["id"] not in accepted_ids and s["id"] not in st.session_state["rejected"]]
        for i, site in enumerate(pending):
            r1, r2, r3 = st.columns([6, 1, 1])
            r1.markdown(f"**{i + 1}. {site['name']}** · {site.get('explanation', '')}")
            r2.button(tr("accept"), key=f"accept_{site['id']}", on_click=accept_site, args=(site,))
            r3.button(tr("reject"), key=f"reject_{site['id']}", on_click=reject_site, args=(site["id"],))
    before = after = None
    try:
        before = coverage_now(inputs, with_accepted=False).service_summary(svc.key)
        after = coverage_now(inputs).service_summary(svc.key)
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
        show_error(exc)
    if before is not None and after is not None:
        cols = st.columns(max(1, len(after)))
        for col, b, a in zip(cols, before.to_dict("records"), after.to_dict("records")):
            group = a.get("group_zh") if lang() == "zh" else a.get("group_en")
            col.metric(f"{group} · {tr('with_sites')}", f"{a['share'] * 100:.1f}%",
                       delta=f"{(a['share'] - b['share']) * 100:+.1f} pt")
    basemap = st.session_state["basemap"]
    uncovered = None
    try:
        table = coverage_now(inputs).village_table(svc.key)
        uncovered = table.loc[~table["covered"].astype(bool), "id"].tolist()
    except Exception:
        logger.debug("no coverage for the siting map", exc_info=True)
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
    if click:
        st.session_state["clicked"] = click_to_wgs84(click["lat"], click["lng"], basemap=basemap)
    if st.session_state["clicked"]:
        lon, lat = st.session_state["clicked"]
        with st.form("add_site", clear_on_submit=False):
            st.write(tr("clicked", lon=lon, lat=lat))
            f1, f2 = st.columns(2)
            ftype = f1.selectbox(tr("build_type"), list(svc.facility_types),
                                 format_func=lambda t: FACILITY_TYPES[t].label(lang()), key=f"manual_type_{lang()}")
            name = f2.text_input(tr("site_name"), key="manual_name")
            if st.form_submit_button(tr("add_here")):
                try:
                    accept_site(new_site(lon, lat, facility_type=ftype, name=name or None))
                    st.session_state["clicked"] = None
                    st.rerun()
                except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
                    show_error(exc)
    accepted_table()


def accept_site(site: dict) -> None:
    """Add a site to the accepted ones (replacing one with the same id)."""
    rest = [s for s in st.session_state["accepted_sites"] if s["id"] != site["id"]]
    st.session_state["accepted_sites"] = [*rest, dict(site)]


def reject_site(site_id: str) -> None:
    """Hide a proposed site."""
    st.session_state["rejected"] = [*st.session_state["rejected"], site_id]


def remove_site(site_id: str) -> None:
    """Remove an accepted site."""
    st.session_state["accepted_sites"] = [s for s in st.session_state["accepted_sites"] if s["id"] != site_id]


def accepted_table() -> None:
    """The accepted sites, each removable."""
    from coverage.taxonomy import label

    sites = st.session_state["accepted_sites"]
    if not sites:
        return
    st.subheader(tr("accepted"))
    for site in sites:
        r1, r2 = st.columns([7, 1])
        r1.markdown(f"**{site.get('name', site['id'])}** · {label(site.get('type', ''), lang())} · "
                    f"{site['lon']:.5f}, {site['lat']:.5f} {('· ' + site['explanation']) if site.get('explanation') else ''}")
        r2.button(tr("remove"), key=f"remove_{site['id']}", on_click=remove_site, args=(site["id"],))


def current_scenario() -> Any:
    """The session as a scenario (inputs, accepted sites, settings)."""
    from coverage.scenario import Scenario

    if st.session_state["source"] == "demo":
        inputs = {"source": "demo", "region": st.session_state["region"]}
    else:
        inputs = {"source": "files", "files": {k: {"name": v["name"], "sha256": v["sha256"], "crs": v["crs"]}
                                               for k, v in st.session_state["user_layers"].items()}}
    settings = {"service": st.session_state["service"], "thresholds": dict(st.session_state["thresholds"]),
                "lang": lang(), "basemap": st.session_state["basemap"],
                "model": st.session_state.get("siting_model"), "k": st.session_state.get("siting_k"),
                "target_share": st.session_state.get("siting_target")}
    return Scenario(name=st.session_state["scenario_name"], inputs=inputs, standards=None,
                    accepted_sites=tuple(st.session_state["accepted_sites"]), settings=settings)


def apply_scenario(sc: Any) -> None:
    """Make a loaded scenario the current one (sites and settings)."""
    st.session_state["accepted_sites"] = [dict(s) for s in sc.accepted_sites]
    st.session_state["scenario_name"] = sc.name
    settings = sc.settings
    if sc.inputs.get("source") == "demo" and sc.inputs.get("region"):
        st.session_state["source"] = "demo"
        st.session_state["region"] = sc.inputs["region"]
    if settings.get("service"):
        st.session_state["service"] = settings["service"]
    if isinstance(settings.get("thresholds"), dict):
        st.session_state["thresholds"] = {k: float(v) for k, v in settings["thresholds"].items()}
        for k, v in st.session_state["thresholds"].items():
            st.session_state[f"threshold_{k}"] = int(v)


def page_scenarios() -> None:
    """Save and load a scenario file; compare two side by side."""
    from coverage.scenario import compare_coverage, compare_scenarios, load_scenario, with_sites

    st.header(tr("page_scenarios"))
    st.text_input(tr("scenario_name"), key="scenario_name")
    sc = current_scenario()
    st.download_button(tr("save"), sc.to_json().encode("utf-8"), file_name=f"{sc.name or 'scenario'}.json",
                       mime="application/json", key="scenario_save", type="primary")
    up = st.file_uploader(tr("load"), type=["json"], key="scenario_upload")
    if up is not None:
        try:
            st.session_state["scenario_b"] = load_scenario(up)
        except Exception as exc:  # noqa: BLE001 - the current scenario is untouched
            show_error(exc)
    other = st.session_state["scenario_b"]
    if other is None:
        return
    if other.inputs != sc.inputs:
        st.warning(tr("scenario_mismatch", a=other.inputs, b=sc.inputs))
    st.button(tr("apply"), key="scenario_apply", on_click=apply_scenario, args=(other,))
    st.subheader(tr("compare"))
    table = compare_scenarios(sc, other, lang=lang()).rename(columns={"a": sc.name or "A", "b": other.name or "B"})
    st.dataframe(table, hide_index=True)
    inputs = current_inputs()
    if inputs.demand is None:
        return
    try:
        svc = current_service()
        a = coverage_now(inputs).summary
        fac_b = with_sites(inputs.facilities, other.accepted_sites)
        key_b = tuple((s["id"], s["lon"], s["lat"], s.get("type")) for s in other.accepted_sites)
        b = service_coverage(inputs.key, key_b, svc.key, float(svc.threshold_min), inputs.demand, fac_b,
                             inputs.boundaries, inputs.engines()).summary
        st.dataframe(display(compare_coverage(a, b)), hide_index=True)
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
        show_error(exc)


PREVIEW_DPI = 150  # the Print page's PNG preview and PNG download


@st.cache_data(show_spinner=False, max_entries=8)
def printed_map(data_key: tuple, sites_key: tuple, kind: str, service: str, threshold_min: float, title: str,
                paper: str, orientation: str, _inputs: Any, _result: Any) -> dict[str, bytes]:
    """A printed map as PDF and a PNG preview (library: coverage.mapping.printmap)."""
    from coverage.mapping import printmap
    from coverage.network import MODES

    simulated = data_key[0] == "demo"
    common = {"boundaries": _inputs.boundaries, "region_name": _inputs.name, "title": title or None,
              "paper": paper, "orientation": orientation, "simulated": simulated}
    if kind == "distribution":
        fig = printmap.distribution_map(_inputs.demand, facilities=_inputs.facilities, **common)
    else:
        svc = standards().service(service)
        table = _result.village_table(service)
        group = next((g for g in svc.groups if g in _inputs.demand.columns), svc.groups[0])
        mode = MODES[svc.mode].zh if hasattr(MODES.get(svc.mode), "zh") else svc.mode
        fig = printmap.coverage_map(_inputs.demand, _inputs.facilities, covered=table["covered"].to_numpy(bool),
                                    group=group, facility_types=svc.facility_types, service_label=svc.zh,
                                    threshold_min=threshold_min, mode_label=mode, **common)
    # 150 dpi: an A4 landscape preview is 1754 px wide, so the wide layout shows it at or below its own size
    # (at 110 dpi it was enlarged, and small text and the title blurred); about 0.2 s more than 110 dpi.
    return {"pdf": printmap.map_bytes(fig, fmt="pdf"), "png": printmap.map_bytes(fig, fmt="png", dpi=PREVIEW_DPI)}


def page_print() -> None:
    """Printed A4/A3 maps (coverage.mapping.printmap) and the coverage workbook."""
    opened = open_page("page_print", module="coverage.mapping.printmap", missing="print_missing")
    if opened is None:
        return
    inputs, svc = opened
    c0, c1, c2, c3 = st.columns([2, 3, 1, 1])
    kind = pick(c0.radio, tr("map_kind"), ["distribution", "coverage"], key="print_kind",
                    format_func=lambda k: tr(f"print_{k}"))
    title = c1.text_input(tr("print_title"), value="", key="print_title", placeholder=tr("print_title_default"))
    paper = c2.selectbox(tr("paper"), ["A4", "A3"], key="print_paper")
    orientation = pick(c3.selectbox, tr("orientation"), ["landscape", "portrait"], key="print_orientation",
                               format_func=lambda o: tr(o))
    if st.button(tr("make_pdf"), key="print_run", type="primary"):
        try:
            with st.spinner(tr("computing")):
                result = coverage_now(inputs) if kind == "coverage" else None
                st.session_state["print_output"] = printed_map(
                    inputs.key, sites_key(), kind, svc.key, float(svc.threshold_min), title, paper, orientation,
                    inputs, result)
        except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
            show_error(exc)
    output = st.session_state.get("print_output")
    if output:
        d1, d2 = st.columns(2)
        d1.download_button("⬇ PDF", output["pdf"], file_name="map.pdf", mime="application/pdf",
                           key="print_download_pdf")
        d2.download_button("⬇ PNG", output["png"], file_name="map.png", mime="image/png",
                           key="print_download_png")
        st.image(output["png"], width="stretch")
    st.divider()
    if st.button(tr("workbook"), key="print_workbook"):
        try:
            with st.spinner(tr("computing")):
                path = Path(tempfile.mkdtemp(prefix="coverage-xlsx-")) / "coverage.xlsx"
                coverage_now(inputs).to_excel(path, lang=lang())
                st.download_button(tr("download"), path.read_bytes(), file_name="覆盖分析.xlsx",
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   key="print_workbook_download")
        except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
            show_error(exc)


PAGES: dict[str, Callable[[], None]] = {
    "data": page_data, "map": page_map, "coverage": page_coverage, "siting": page_siting,
    "scenarios": page_scenarios, "print": page_print,
}


def main() -> None:
    """Sidebar, then the chosen page; errors in the page, never a traceback."""
    init_state()
    page = sidebar()
    try:
        PAGES.get(page, page_data)()
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a traceback
        show_error(exc)


main()
