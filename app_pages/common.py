"""State, text, cached library calls and small render helpers shared by the app's pages.

Every choice a planner makes lives in ``st.session_state`` under a key of
:data:`STATE_DEFAULTS` (the *owned* keys).  Widgets only mirror them: a widget's key
is ``"w." + owned key``, its value is seeded from the owned key on every render and
its ``on_change`` copies it back (:func:`bound`), so page changes, language switches
and reruns never lose a choice (Streamlit forgets the state of widgets that are not
drawn).  Every cached result is keyed by everything that changes it: the data key
(region, or each file's content hash, sheet/layer and coordinate system), the road
key, the service and threshold, the accepted sites and the options of the call.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.text import TEXT
from coverage.errors import CoverageError, NetworkError

logger = logging.getLogger("coverage.app")

def lang() -> str:
    """The display language: "zh" (default) or "en"."""
    return "en" if st.session_state.get("lang") == "en" else "zh"


def tr(key: str, **kwargs: Any) -> str:
    """The text ``key`` in the current language, formatted."""
    zh, en = TEXT[key]
    text = zh if lang() == "zh" else en
    return text.format(**kwargs) if kwargs else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=\"'^])")
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|mailto)(?=[:.])|(?<=\w)(?=@)")
WORD_JOINER = "\u2060"  # invisible; keeps "http://" / "www." / "a@b" from becoming a link


def esc(text: object) -> str:
    """``text`` for a markdown element (st.markdown / caption / error ...), shown literally.

    Every ASCII punctuation character that markdown, HTML or Streamlit's directives use is
    backslash-escaped (CommonMark), an invisible word joiner breaks what GitHub-flavoured
    markdown would turn into a link (``http://``, ``www.``, ``name@host``), and line breaks
    become spaces: a name such as ``![x](http://example.com/a.png)`` is shown as written
    and neither loads nor links anything.
    """
    text = _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, " ".join(str(text).split()))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# ------------------------------------------------------------------------------------- state
#: Everything the planner chose lives under these keys (and nowhere else).
STATE_DEFAULTS: dict[str, Any] = {
    "lang": "zh",
    "standards": None,       # the planner's own standards (Standards page); None = the default file
    # data
    "source": "demo",
    "region": "yuxi",
    "crs": {},               # kind -> "wgs84" | "gcj02" | "bd09"
    "layers": {},            # kind -> layer of a multi-layer GeoPackage
    "user_layers": {},       # kind -> {name, sha256, crs, layer, raw, data, report, crs_assumed}
    "user_roads": None,      # {"name", "sha256", "path", "layer", "nodes"}
    "templates_on": False,
    # service
    "service": None,
    "thresholds": {},        # service key -> minutes
    # map
    "map_groups": None,      # None: the defaults of the data
    "map_categories": {},    # service key -> facility categories shown
    "map_uncovered": True,
    "map_areas": False,
    "map_roads": False,      # the road network drawn under the map (off: a lighter page)
    "map_only_counted": True,
    "basemap": "none",
    "tianditu_key": "",
    # coverage
    "coverage_all": False,
    # siting
    "siting_model": "target",
    "siting_target": {},     # service key -> target share
    "siting_k": 5,
    "siting_kinds": None,    # None: every candidate kind
    "siting_type": {},       # service key -> facility type to build
    "siting_time": 30,
    "siting_groups": {},     # service key -> population groups served (None/absent: the service's own)
    "siting_weights": {},    # group -> weight in the objective (several groups)
    "siting_group_targets": {},  # group -> target share (several groups, model "target")
    "siting_unit_level": "none",  # "none" | "village_code" | "township_code" | "county_code"
    "siting_unit_share": 0.6,
    "siting_use_budget": False,
    "siting_budget": 500.0,  # 10k yuan
    "siting_least_cost": False,
    "siting_capacitated": False,
    "accepted_sites": [],    # site dicts (coverage.scenario)
    "proposal": None,        # {"key", "sites", "sites_en", "status", ...} of the last run
    "rejected": [],          # proposal site ids rejected
    "clicked": None,         # (lon, lat) of the last map click, WGS-84
    "click_seen": None,      # the map's last click as returned by the map (so a rerun does not repeat it)
    # scenarios
    "scenario_name": "方案A",
    "scenario_b": None,      # a coverage.scenario.Scenario loaded for comparison
    # print
    "print_kind": "distribution",
    "print_title": "",
    "print_paper": "A4",
    "print_orientation": "landscape",
    "print_output": None,    # {"key", "pdf", "png"} of the last printed map
    # exports
    "exports": {},           # section -> {"key", "files": {file name: bytes}} of the last prepared export
}

WIDGET_PREFIX = "w."


def init_state() -> None:
    """Put the defaults into ``st.session_state`` (only where a key is absent)."""
    for key, value in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, (dict, list)) else value
    use_session_types()


def use_session_types() -> None:
    """The facility types of the session's standards, known for this script run only.

    Each script run is a thread of its own (coverage.taxonomy keeps the types per context): a type
    one planner's standards add is never seen by another session, and a table loaded before the
    types were added loads again (the vocabulary key of :func:`layer_key` changes).
    """
    from coverage.taxonomy import use_facility_types

    std = standards()
    try:
        use_facility_types(std.facility_types, source=std.source or "standards")
    except CoverageError as exc:  # a name taken meanwhile by a type registered process-wide
        show_error(exc)


OwnedKey = str | tuple[str, str]


def get_owned(key: OwnedKey, default: Any = None) -> Any:
    """The value of an owned key; ``(name, sub)`` is entry ``sub`` of the dict under ``name``."""
    if isinstance(key, tuple):
        return st.session_state[key[0]].get(key[1], default)
    value = st.session_state.get(key)
    return default if value is None else value


def set_owned(key: OwnedKey, value: Any) -> None:
    """Set an owned key (a new dict for ``(name, sub)``, so no other holder sees the change)."""
    if isinstance(key, tuple):
        st.session_state[key[0]] = {**st.session_state[key[0]], key[1]: value}
    else:
        st.session_state[key] = value


def widget_key(key: OwnedKey) -> str:
    """The key of the widget mirroring an owned key (never the owned key itself)."""
    return WIDGET_PREFIX + (".".join(key) if isinstance(key, tuple) else key)


def bound(widget: Callable[..., Any], label: str, key: OwnedKey, options: list[Any] | None = None, *,
          default: Any = None, cast: Callable[[Any], Any] | None = None, **kwargs: Any) -> Any:
    """Draw ``widget`` mirroring the owned ``key``; returns the owned value.

    The widget is seeded from the owned key on every render (falling back to ``default``,
    then the first option); a change by the user is copied back by ``on_change``.
    ``options``: for radio / selectbox / multiselect (values, shown with ``format_func``);
    ``cast``: applied to the owned value before seeding (e.g. ``int`` for a slider of minutes).
    """
    multi = getattr(widget, "__name__", "") == "multiselect"
    value = get_owned(key, default)
    if options is not None:
        if multi:
            value = [v for v in (value if value is not None else default or []) if v in options]
        elif value not in options:
            value = default if default in options else (options[0] if options else None)
    if cast is not None and value is not None:
        value = cast(value)
    set_owned(key, list(value) if multi else value)
    wkey = widget_key(key)
    st.session_state[wkey] = list(value) if multi else value

    def sync() -> None:
        set_owned(key, st.session_state[wkey])

    if options is None:
        widget(label, key=wkey, on_change=sync, **kwargs)
    else:
        fmt = kwargs.pop("format_func", str)
        labels = {opt: fmt(opt) for opt in options}  # in this run's language
        widget(label, options, key=wkey, on_change=sync, format_func=lambda o: labels.get(o, str(o)),
               **kwargs)
    return get_owned(key)


# ------------------------------------------------------------------------------------- errors
def show_error(exc: BaseException) -> None:
    """An error in the page, with the library's message (what to fix), as plain text; never a traceback."""
    if isinstance(exc, CoverageError):
        st.error(esc(exc))
    else:
        logger.exception("unexpected error in the app")
        st.error(esc(tr("error_internal", e=f"{type(exc).__name__}: {exc}")))


@contextmanager
def boundary() -> Iterator[None]:
    """Run a part of a page; an error is shown (translated, plain text) and the rest of the page goes on.

    Streamlit's own rerun/stop signals are not ``Exception``s and pass through.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc)


# ------------------------------------------------------------------------------------- cached library calls
@st.cache_resource(show_spinner=False)
def demo_region(key: str) -> Any:
    """The demo region (tables shared read-only by every session)."""
    from coverage.demo import load_demo

    return load_demo(key)


@st.cache_resource(show_spinner=False, max_entries=8)
def road_graph(graph_key: tuple, _load: Callable[[], Any]) -> Any:
    """The road graph of a road source (demo region, or a file's hash and layer), built once."""
    return _load()


@st.cache_resource(show_spinner=False, max_entries=16)
def travel_engine(graph_key: tuple, mode: str, _build: Callable[[str], Any]) -> Any:
    """A compiled travel-time engine per road source and mode (``_build(mode)``, once)."""
    return _build(mode)


@st.cache_resource(show_spinner=False)
def default_standards() -> Any:
    """The default standards (coverage/data/standards.yaml)."""
    from coverage.metrics import default_standards as load_default

    return load_default()


def standards() -> Any:
    """The standards in force: the planner's own (Standards page, owned key ``standards``), else the default."""
    own = st.session_state.get("standards")
    return own if own is not None else default_standards()


def standards_key() -> str:
    """Cache key of the standards in force: a content hash, so edited standards never reuse old results."""
    return str(standards().digest())


@st.cache_data(show_spinner=False, max_entries=32)
def service_coverage(data_key: tuple, sites_key: tuple, standards_key: str, service: str,
                     threshold_min: float, _demand: Any, _facilities: Any, _boundaries: Any, _engines: Any) -> Any:
    """Coverage of one service at one threshold (a fraction of a second once the engine is built)."""
    from coverage.metrics import analyze
    from coverage.scenario import service_standards

    std = service_standards(standards(), service, threshold_min=threshold_min)
    return analyze(_demand, _facilities, standards=std, engines=_engines, boundaries=_boundaries)


@st.cache_data(show_spinner=False, max_entries=16)
def all_coverage(data_key: tuple, sites_key: tuple, standards_key: str, thresholds: tuple, _demand: Any,
                 _facilities: Any, _boundaries: Any, _engines: Any) -> Any:
    """Coverage of every service (thresholds as chosen)."""
    from coverage.metrics import analyze

    std = standards()
    for key, minutes in thresholds:
        std = std.with_threshold(key, minutes)
    return analyze(_demand, _facilities, standards=std, engines=_engines, boundaries=_boundaries)


@st.cache_data(show_spinner=False, max_entries=32)
def service_areas(data_key: tuple, sites_key: tuple, standards_key: str, service: str, threshold_min: float,
                  _facilities: Any, _engine: Any) -> Any:
    """Service areas of the facilities counted by a service, or None when none counts."""
    from coverage.metrics import counted_facilities

    counted = counted_facilities(_facilities, standards().service(service).facility_types)
    if not len(counted):
        return None
    return _engine.service_areas(counted, thresholds_min=[threshold_min])


@st.cache_resource(show_spinner=False, max_entries=8)
def road_layer(graph_key: tuple, _build: Callable[[], Any]) -> Any:
    """The road network as simplified lines by road class, for the web map (``_build()``, once per road source)."""
    return _build()


@st.cache_resource(show_spinner=False, max_entries=6)
def web_map(key: tuple, _build: Callable[[], Any]) -> Any:
    """A folium map built once per ``key`` (everything drawn on it).

    A rerun that changes nothing on the map hands streamlit-folium the same map, whose script is then
    unchanged: the browser keeps the map (and the planner's zoom) instead of drawing it again.
    """
    return _build()


@st.cache_resource(show_spinner=False, max_entries=32)
def saved_upload(digest: str, name: str, _raw: bytes) -> Path:
    """An uploaded file written once to a private temporary folder (layers are read from files)."""
    folder = Path(tempfile.mkdtemp(prefix="coverage-upload-"))
    path = folder / Path(name).name
    path.write_bytes(_raw)
    return path


# ------------------------------------------------------------------------------------- data source
class Inputs:
    """The current data: canonical tables, hashable keys, the road graph loader.

    ``key`` identifies everything the tables were made from (region, or every file's
    hash, layer and coordinate system, and the roads); ``graph_key`` the roads alone.
    """

    def __init__(self, key: tuple, graph_key: tuple | None, demand: Any, facilities: Any, candidates: Any,
                 boundaries: Any, graph_loader: Callable[[], Any] | None, note: str | None,
                 name: str, simulated: bool = False,
                 engine_builder: Callable[[str], Any] | None = None,
                 road_lines_builder: Callable[[], Any] | None = None) -> None:
        self.key, self.graph_key = key, graph_key
        self.demand, self.facilities = demand, facilities
        self.candidates, self.boundaries = candidates, boundaries
        self.graph_loader, self.note, self.name = graph_loader, note, name
        self.simulated = simulated  # demo data, or files exported from it (exports and maps carry the mark)
        self.engine_builder = engine_builder  # mode -> engine without the networkx graph (the demo's arrays)
        self.road_lines_builder = road_lines_builder  # the web map's road lines, likewise

    def road_lines(self) -> Any:
        """The web map's road layer (built on first use, cached per road source)."""
        if self.graph_loader is None or self.graph_key is None:
            raise NetworkError(tr("need_roads"))
        key, loader, build = self.graph_key, self.graph_loader, self.road_lines_builder
        if build is None:
            from coverage.mapping.webmap import road_lines

            def build() -> Any:
                return road_lines(road_graph(key, loader))

        return road_layer(key, build)

    def engines(self) -> Callable[[str], Any]:
        """``mode -> engine`` (built on first use, cached)."""
        if self.graph_loader is None or self.graph_key is None:
            raise NetworkError(tr("need_roads"))
        key, loader, build = self.graph_key, self.graph_loader, self.engine_builder
        if build is None:
            from coverage.traveltime import TravelTimeEngine

            def build(mode: str) -> Any:
                return TravelTimeEngine(road_graph(key, loader), mode)

        return lambda mode: travel_engine(key, mode, build)


def layer_key(entry: dict) -> tuple:
    """What a loaded layer was made from: content hash, layer/sheet, coordinate system, facility-type vocabulary."""
    return (entry["sha256"], entry.get("layer"), entry["crs"], entry.get("vocab"))


#: Loader of each kind of table (coverage.inputs).
LOADERS = {"demand": "load_demand", "facilities": "load_facilities", "candidates": "load_candidates",
           "boundaries": "load_boundaries"}

#: Uploads read from a saved file (GIS layers) rather than from memory.
LAYER_SUFFIXES = (".geojson", ".gpkg", ".zip")


def upload_source(name: str, digest: str, raw: bytes) -> Any:
    """What a loader reads for an uploaded file: a saved copy for GIS layers, else a named buffer."""
    import io

    if Path(name).suffix.lower() in LAYER_SUFFIXES:
        return saved_upload(digest, name, raw)
    source = io.BytesIO(raw)
    source.name = name  # the loaders name the file in their report
    return source


def simulated_file(source: Any) -> bool:
    """Whether an uploaded GeoPackage is the demo's export (coverage.dataset.is_simulated_file): results
    made from it then carry the simulated mark, as the command line's ``--data`` does."""
    from coverage.dataset import is_simulated_file

    if not isinstance(source, (str, Path)) or Path(source).suffix.lower() != ".gpkg":
        return False
    try:
        return is_simulated_file(source)
    except CoverageError:  # unreadable: the loader has reported it
        return False


def read_layer(kind: str, name: str, raw: bytes, digest: str, crs: str, part: str | None,
               source: Any = None) -> dict:
    """Load one uploaded table with the loaders; the session entry (data, report, key parts, bytes)."""
    import coverage.inputs as inputs_api
    from coverage.taxonomy import vocabulary_key

    if source is None:
        source = upload_source(name, digest, raw)
    vocab = vocabulary_key()  # own facility types from the standards change what loads
    result = getattr(inputs_api, LOADERS[kind])(source, crs=crs, sheet=part)
    return {"name": name, "sha256": digest, "crs": crs, "layer": part, "raw": raw, "data": result.data,
            "report": result.report.to_frame(), "crs_assumed": result.crs_assumed, "vocab": vocab,
            "simulated": simulated_file(source)}


def refresh_layers() -> None:
    """Load again the tables loaded under another facility-type vocabulary (the standards added types)."""
    from coverage.taxonomy import vocabulary_key

    layers = st.session_state["user_layers"]
    stale = {k: v for k, v in layers.items() if v.get("vocab") != vocabulary_key() and v.get("raw") is not None}
    if not stale:
        return
    fresh = dict(layers)
    for kind, entry in stale.items():
        with boundary():  # a file that no longer loads keeps its previous table
            fresh[kind] = read_layer(kind, entry["name"], entry["raw"], entry["sha256"], entry["crs"],
                                     entry.get("layer"))
    st.session_state["user_layers"] = fresh


def roads_loader(roads: dict) -> Callable[[], Any]:
    """A function building the road graph of an uploaded road file (coverage.network.load_graph)."""
    from coverage.network import load_graph

    path, layer = roads["path"], roads.get("layer")
    return lambda: load_graph(path, layer=layer) if layer else load_graph(path)


def current_inputs() -> Inputs:
    """The data the pages work on: the demo region or the user's files."""
    if st.session_state["source"] == "demo":
        region = demo_region(st.session_state["region"])
        key: tuple = ("demo", region.key)
        return Inputs(key, key, region.demand, region.facilities, region.candidates, region.boundaries,
                      region.graph, region.note_zh if lang() == "zh" else region.note_en,
                      region.name_zh if lang() == "zh" else region.name_en, simulated=True,
                      engine_builder=region.engine, road_lines_builder=region.road_lines)
    refresh_layers()
    layers = st.session_state["user_layers"]
    roads = st.session_state["user_roads"]
    graph_key = ("roads", roads["sha256"], roads.get("layer")) if roads else None
    key = ("files", *sorted((k, *layer_key(v)) for k, v in layers.items()), graph_key)

    def layer(kind: str) -> Any:
        entry = layers.get(kind)
        return entry["data"] if entry else None

    names = [v["name"] for v in layers.values()]
    return Inputs(key, graph_key, layer("demand"), layer("facilities"), layer("candidates"),
                  layer("boundaries"),
                  roads_loader(roads) if roads else None, None,
                  f"{tr('files')} ({', '.join(names)})" if names else tr("files"),
                  simulated=any(bool(v.get("simulated")) for v in (*layers.values(), roads or {})))


def sites_key(sites: list[dict] | None = None) -> tuple:
    """Hashable key of accepted sites (id, position, type, capacity); the session's by default."""
    sites = st.session_state["accepted_sites"] if sites is None else sites
    return tuple((str(s["id"]), round(float(s["lon"]), 7), round(float(s["lat"]), 7), s.get("type"),
                  s.get("capacity")) for s in sites)


def facilities_with_accepted(inputs: Inputs, sites: list[dict] | None = None) -> Any:
    """The facilities plus the accepted sites (library: coverage.scenario.with_sites)."""
    from coverage.scenario import with_sites

    if inputs.facilities is None:
        return None
    return with_sites(inputs.facilities, st.session_state["accepted_sites"] if sites is None else sites)


def current_service() -> Any:
    """The selected service (coverage.metrics.Service) with the chosen threshold."""
    std = standards()
    key = st.session_state["service"]
    if key not in {s.key for s in std.services}:
        key = std.services[0].key
    svc = std.service(key)
    minutes = st.session_state["thresholds"].get(key, svc.threshold_min)
    return svc.with_threshold(minutes)


def coverage_now(inputs: Inputs, *, sites: list[dict] | None = None) -> Any:
    """Coverage of the selected service at the chosen threshold, with the accepted sites (or ``sites``)."""
    svc = current_service()
    sites = st.session_state["accepted_sites"] if sites is None else sites
    return service_coverage(inputs.key, sites_key(sites), standards_key(), svc.key, float(svc.threshold_min),
                            inputs.demand, facilities_with_accepted(inputs, sites), inputs.boundaries,
                            inputs.engines())


# ------------------------------------------------------------------------------------- page helpers
def open_page(title: str) -> tuple[Inputs, Any] | None:
    """The page's header and data caption, then (data, selected service); None, with a note, without villages."""
    st.header(tr(title))
    inputs = current_inputs()
    st.caption(esc(tr("data_caption", name=inputs.name)))
    if inputs.demand is None:
        st.info(tr("need_villages"))
        return None
    return inputs, current_service()


def render_map(m: Any, *, key: str, height: int = 620, clicks: bool = False) -> dict | None:
    """Show a folium map (offline assets) with streamlit-folium; returns the click data if asked.

    The layers that follow the threshold, the service and the sites (uncovered villages, service
    areas, travel times, sites, legend) go to streamlit-folium apart from the rest
    (``feature_group_to_add``, with the layer control): while the rest is unchanged the browser keeps
    its map (and the planner's zoom) and only swaps these layers, instead of building a new frame and
    drawing every village and facility again.  ``m`` is changed: give a copy of a cached map.
    """
    import folium
    from streamlit_folium import st_folium

    from coverage.mapping.web.coverage_map import split_dynamic

    groups, had_control = split_dynamic(m)
    return st_folium(m, key=key, height=height, use_container_width=True,
                     returned_objects=["last_clicked"] if clicks else [],
                     feature_group_to_add=groups or None,
                     layer_control=folium.LayerControl(collapsed=True) if had_control else None)


def table(df: Any, **kwargs: Any) -> None:
    """A result table for people (coverage.views.translate_table) shown by :func:`frame`."""
    from coverage.views import translate_table

    frame(translate_table(df, lang=lang()), **kwargs)


def frame(shown: Any, **kwargs: Any) -> None:
    """A table already in the reader's words, as a data frame: every table the app shows goes through here.

    Counts read as a bureau's tables do (94,581), a missing value is an empty cell (never "None"); the
    cells keep their numbers, so a column still sorts by value.  Columns given a ``column_config`` keep it.
    """
    config = dict(kwargs.pop("column_config", None) or {})
    styled, text_numbers = _readable(shown, skip=set(config))
    for c in text_numbers:  # numbers with gaps, shown as text: still right-aligned as numbers are
        config.setdefault(c, st.column_config.TextColumn(alignment="right"))
    st.dataframe(styled, hide_index=True, column_config=config or None, **kwargs)


def _readable(df: Any, *, skip: set[str]) -> tuple[Any, list[str]]:
    """``df`` for display: thousands separators, at most 2 decimals, empty cells for missing values.

    Streamlit writes "None" in a cell without a value, whatever the styler says: text columns get "" there,
    and a numeric column with gaps becomes formatted text (returned as the second item); a complete numeric
    column keeps its numbers (it sorts by value) and is formatted by a styler.
    """
    import pandas as pd

    if len(df) > 5_000:  # a styler sends every cell's text as well: large tables as they are
        return df, []
    out = df.copy()
    whole: list[str] = []
    fraction: list[str] = []
    as_text: list[str] = []
    for c in [c for c in df.columns if c not in skip]:
        col = df[c]
        missing = col.isna()
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            is_whole = bool((col.dropna() % 1 == 0).all())
            if missing.any():
                pattern = "{:,.0f}" if is_whole else "{:,.2f}"
                out[c] = [("" if m else pattern.format(v)) for v, m in zip(col.tolist(), missing.tolist(),
                                                                          strict=True)]
                as_text.append(c)
            else:
                (whole if is_whole else fraction).append(c)
        elif missing.any():
            out[c] = col.astype(object).where(~missing, "")
    styled = out.style.format("{:,.0f}", subset=whole).format("{:,.2f}", subset=fraction)
    return styled, as_text


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


# ------------------------------------------------------------------------------------- siting settings
UNIT_LEVELS = ("none", "village_code", "township_code", "county_code")


def siting_settings(svc: Any, demand: Any = None) -> dict[str, Any]:
    """The siting model and options chosen (owned state) for ``svc``, as plain JSON-able settings.

    Keys: ``model, k, target_share, groups, group_weights, group_targets, unit_rules, budget,
    objective, capacitated, candidate_kinds, facility_type, time_limit_s``; options that do not
    apply to the model are left out, so the settings say exactly what was solved.
    """
    ss = st.session_state
    model = ss["siting_model"]
    present = list(demand.columns) if demand is not None else None
    own = [g for g in svc.groups if present is None or g in present]
    groups = [g for g in (ss["siting_groups"].get(svc.key) or own) if present is None or g in present] or own
    out: dict[str, Any] = {"model": model, "service": svc.key, "threshold_min": float(svc.threshold_min)}
    if model in ("mclp", "pmedian"):
        out["k"] = int(ss["siting_k"])
    share = float(ss["siting_target"].get(svc.key, svc.target_share or 0.9))
    several = groups != own
    out["groups"] = groups
    if several:
        out["group_weights"] = {g: float(ss["siting_weights"].get(g, 1.0)) for g in groups}
    if model == "target":
        out["target_share"] = share
        if several and len(groups) > 1:
            out["group_targets"] = {g: float(ss["siting_group_targets"].get(g, share)) for g in groups}
        level = ss["siting_unit_level"]
        if level in UNIT_LEVELS[1:] and not ss["siting_capacitated"]:
            out["unit_rules"] = {level: float(ss["siting_unit_share"])}
        if ss["siting_least_cost"]:
            out["objective"] = "cost"
    if model == "mclp" and ss["siting_use_budget"]:
        out["budget"] = float(ss["siting_budget"])
    if model in ("target", "mclp") and ss["siting_capacitated"]:
        out["capacitated"] = True
    kinds = ss["siting_kinds"]
    if kinds is not None:
        out["candidate_kinds"] = list(kinds)
    out["facility_type"] = ss["siting_type"].get(svc.key) or svc.facility_types[0]
    out["time_limit_s"] = float(ss["siting_time"])
    return out


def settings_key(settings: dict[str, Any]) -> tuple:
    """A hashable key of siting settings (nested dicts and lists frozen)."""
    def freeze(v: Any) -> Any:
        if isinstance(v, dict):
            return tuple(sorted((k, freeze(x)) for k, x in v.items()))
        if isinstance(v, (list, tuple)):
            return tuple(freeze(x) for x in v)
        return v
    return freeze(settings)


def settings_text(settings: dict[str, Any], language: str | None = None) -> str:
    """The siting settings in one line for reports and captions (``language``: the app's by default)."""
    from coverage.taxonomy import label

    language = language or lang()

    def t(key: str) -> str:
        return TEXT[key][0 if language == "zh" else 1]

    parts = [t(f"model_{settings['model']}")]
    if "k" in settings:
        parts.append(f"k = {settings['k']}")
    if "target_share" in settings:
        parts.append(f"{t('target_share')} {settings['target_share']:.0%}")
    if settings.get("group_weights"):
        parts.append(" + ".join(f"{label(g, language)}×{w:g}" for g, w in settings["group_weights"].items()))
    for g, share in (settings.get("group_targets") or {}).items():
        parts.append(f"{label(g, language)} {share:.0%}")
    for level, share in (settings.get("unit_rules") or {}).items():
        parts.append(f"{t('unit_' + level)} ≥ {share:.0%}")
    if "budget" in settings:
        parts.append(f"预算 {settings['budget']:g} 万元" if language == "zh"
                     else f"budget {settings['budget']:g} (10k yuan)")
    if settings.get("objective") == "cost":
        parts.append(t("least_cost"))
    if settings.get("capacitated"):
        parts.append(t("capacitated"))
    return " · ".join(parts)
