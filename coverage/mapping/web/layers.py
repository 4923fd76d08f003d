"""Layers of the web map: villages, township totals, facilities, boundaries, service areas, sites."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.errors import InputError
from coverage.mapping import style
from coverage.mapping.proposalmap import site_numbers
from coverage.mapping.web.base import (
    _cached,
    _feature,
    _geojson_text,
    _is_gcj,
    _number_column,
    _prepare,
    _simplify_m,
    _text_column,
    _xy,
)
from coverage.mapping.web.elements import _PointLayer, _ShapeLayer
from coverage.mapping.web.symbols import (
    _SITE_COLOURS,
    _TOWNSHIP_RADII_PX,
    DEMAND_STYLES,
    FACILITY_SYMBOLS,
    _radius_px,
    graduated_breaks,
    symbol_svg,
)
from coverage.mapping.web.text import _col_label, _esc, _fmt, _t
from coverage.taxonomy import CATEGORIES, FACILITY_TYPES, POPULATION_GROUPS, label

_ADMIN_NAMES = ("county_name", "township_name", "village_name")


def add_demand(m: folium.Map, demand: gpd.GeoDataFrame, *, group: str = "elderly_60plus", lang: str = "zh",
               travel_time_min: pd.Series | None = None, show: bool = True,
               popup_groups: Collection[str] | None = None, radius_scale: float = 1.0,
               min_zoom: float | None = None, breaks: Sequence[float] | None = None,
               travel_lookup: bool = False) -> list[float]:
    """Villages as graduated circles of one population group; returns the class limits.

    Parameters
    ----------
    demand
        Demand table (canonical columns, a CRS).
    group
        Population column to draw (a key of ``taxonomy.POPULATION_GROUPS``).
    travel_time_min
        Optional travel time [min] to the nearest counted facility, indexed by
        demand id; shown in the popups (NaN: unreachable).  It is sent as a table of its own
        (:func:`add_travel_times`), which a map can change without drawing the villages again.
    travel_lookup
        The popups show the travel times of :func:`add_travel_times` even when ``travel_time_min``
        is None here (added to the map apart, e.g. by :func:`coverage_map`).
    popup_groups
        Population columns listed in the popups (default: every group present).
    radius_scale
        Factor on the symbol radii (a second group drawn smaller, inside the first).
    min_zoom
        The villages show from this zoom on (below it, township totals from
        :func:`add_township_totals`); always when None.
    breaks
        Class limits (default: :func:`coverage.mapping.style.class_breaks` of the
        values, as the printed maps use).

    Raises
    ------
    InputError
        When ``group`` is not a population group.
    MissingColumnError
        When ``group`` is not a column of ``demand``.
    """
    if group not in POPULATION_GROUPS:
        raise InputError(f"unknown population group '{group}'; known: {', '.join(POPULATION_GROUPS)}")
    if demand is None:
        return []
    lookup = TRAVEL_LOOKUP if travel_lookup or travel_time_min is not None else None
    key = ("demand", group, lang, float(radius_scale), None if popup_groups is None else tuple(popup_groups),
           None if breaks is None else tuple(breaks), lookup, _is_gcj(m))
    # the same villages are drawn on every rerun (only the coverage layers change): built once per table
    drawn = _cached(demand, key, lambda: _demand_points(m, demand, group, lang, radius_scale, popup_groups,
                                                        breaks, lookup))
    if drawn is None:
        return []
    out_breaks, data_json, fields = drawn
    fg = folium.FeatureGroup(name=f"{label(group, lang)}", show=show).add_to(m)
    if travel_time_min is not None:
        # the travel times follow the threshold and the service: a table the popups read when opened
        # (a layer of its own that changes, :func:`add_travel_times`), not part of the villages drawn
        add_travel_times(m, demand, travel_time_min, lang=lang)
    if not out_breaks:
        return []
    fg.add_child(_PointLayer(data_json, fields=fields, min_zoom=min_zoom, lookup=lookup))
    return out_breaks


def _demand_points(m: folium.Map, demand: gpd.GeoDataFrame, group: str, lang: str, radius_scale: float,
                   popup_groups: Collection[str] | None, breaks: Sequence[float] | None,
                   lookup: str | None) -> tuple[list[float], str, list[str]] | None:
    """(class limits, village points as script text, popup fields) of :func:`add_demand`; None: no layer."""
    from coverage.errors import MissingColumnError
    from coverage.mapping.web.elements import _js_json

    gdf = _prepare(m, demand, "demand")
    if gdf is None:
        return None
    if group not in gdf.columns:
        raise MissingColumnError(f"demand: no column '{group}' ({label(group, 'zh')}); add it to the village list")
    values = pd.to_numeric(gdf[group], errors="coerce").to_numpy(dtype=float)
    breaks = list(breaks) if breaks is not None else graduated_breaks(values)
    if not breaks:
        return [], "", []
    radii = _radius_px(np.nan_to_num(values), breaks) * radius_scale
    lon, lat = _xy(gdf)
    groups = [g for g in (popup_groups or POPULATION_GROUPS) if g in gdf.columns]
    admin = [c for c in _ADMIN_NAMES if c in gdf.columns]
    fields = [_col_label(c, lang) for c in admin] + [_esc(label(g, lang)) for g in groups]
    columns = [_text_column(gdf, c) for c in admin] + [_number_column(gdf, g) for g in groups]
    names = _text_column(gdf, "name")
    colour = DEMAND_STYLES.get(group, "#b5523b")
    feats = []
    for i in np.argsort(-np.nan_to_num(values), kind="stable"):  # big circles first, small ones on top
        if not values[i] > 0:
            continue
        props = {"r": float(radii[i]), "fill": colour, "n": names[i], "v": [col[i] for col in columns],
                 "tip": f"{names[i]} · {_fmt(values[i])}"}
        if lookup is not None:
            props["k"] = int(i)
        feats.append(_feature(lon[i], lat[i], props))
    return breaks, _js_json({"type": "FeatureCollection", "features": feats}), fields


#: Name of the travel-time table the village popups read (:func:`add_travel_times`).
TRAVEL_LOOKUP = "travel"


def dynamic(group: folium.FeatureGroup) -> folium.FeatureGroup:
    """Mark a layer as one that changes with the threshold, the service or the sites.

    :func:`coverage.mapping.web.coverage_map.split_dynamic` sends such layers apart from the rest of
    the map, so the browser swaps them without drawing the whole map again.
    """
    setattr(group, "_cov_dynamic", True)  # noqa: B010 - read by split_dynamic
    return group


def add_travel_times(m: folium.Map, demand: gpd.GeoDataFrame, travel_time_min: pd.Series | None, *,
                     lang: str = "zh") -> None:
    """The travel time [min] to the nearest facility by village, shown in the village popups.

    ``travel_time_min`` is indexed by demand id (NaN: unreachable); None removes the rows.  A layer of
    its own (no symbol, not in the layer control) that changes without redrawing the villages.
    """
    from coverage.mapping.web.elements import _Lookup

    values: list[str | None] | None = None
    if travel_time_min is not None:
        gdf = _prepare(m, demand, "demand")
        ids = gdf["id"].tolist() if gdf is not None else []
        tt = pd.Series(travel_time_min).reindex(ids).to_numpy(dtype=float)
        values = [f"{v:.1f} {_t('minutes', lang)}" if np.isfinite(v) else _t("unreachable", lang) for v in tt]
    fg = dynamic(folium.FeatureGroup(name=_t("travel_time", lang), control=False))
    fg.add_child(_Lookup(TRAVEL_LOOKUP, _t("travel_time", lang), values))
    fg.add_to(m)




def add_township_totals(m: folium.Map, demand: gpd.GeoDataFrame, *, group: str = "elderly_60plus",
                        boundaries: gpd.GeoDataFrame | None = None, lang: str = "zh", max_zoom: float | None = None,
                        show: bool = True, radius_scale: float = 1.0) -> list[float]:
    """One graduated circle per township (the sum of its villages), for the zooms below ``max_zoom``.

    A whole prefecture of villages saturates a screen; its townships do not.
    The circle sits on the township's polygon (``boundaries`` of level
    "township" with a matching ``code``), else at the mean of its villages.

    Parameters
    ----------
    demand
        Demand table with ``township_code`` or ``township_name``.
    group
        Population column summed.
    max_zoom
        The totals show below this zoom (where the villages do not).

    Returns
    -------
    list of float
        The class limits of the totals (:func:`coverage.mapping.style.class_breaks`); empty when
        ``demand`` names no townships.
    """
    gdf = _prepare(m, demand, "demand")
    key = next((c for c in ("township_code", "township_name") if gdf is not None and c in gdf.columns), None)
    if gdf is None or gdf.empty or key is None or group not in gdf.columns:
        return []
    lon, lat = _xy(gdf)
    frame = pd.DataFrame({"key": gdf[key].astype(str).to_numpy(), "lon": lon, "lat": lat,
                          "v": pd.to_numeric(gdf[group], errors="coerce").fillna(0).to_numpy(dtype=float),
                          "name": gdf["township_name"].astype(str).to_numpy() if "township_name" in gdf.columns
                          else gdf[key].astype(str).to_numpy(),
                          "county": gdf["county_name"].astype(str).to_numpy() if "county_name" in gdf.columns
                          else ""})
    per = frame.groupby("key").agg(lon=("lon", "mean"), lat=("lat", "mean"), v=("v", "sum"), name=("name", "first"),
                                   county=("county", "first"), n=("v", "size"))
    bnd = _prepare(m, boundaries, "boundaries") if boundaries is not None else None
    if bnd is not None and key == "township_code" and {"level", "code"} <= set(bnd.columns):
        tws = bnd[bnd["level"] == "township"]
        blon, blat = _xy(tws)
        where = dict(zip(tws["code"].astype(str), zip(blon, blat, strict=True), strict=True))
        found = per.index.isin(list(where))
        if found.any():
            at = np.array([where[c] for c in per.index[found]], dtype=float)
            per.loc[found, "lon"] = at[:, 0]
            per.loc[found, "lat"] = at[:, 1]
    values = per["v"].to_numpy(dtype=float)
    breaks = graduated_breaks(values)
    if not breaks:
        return []
    idx = np.clip(style.classify(values, breaks), 0, len(_TOWNSHIP_RADII_PX) - 1)
    radii = np.asarray(_TOWNSHIP_RADII_PX)[idx] * radius_scale
    colour = DEMAND_STYLES.get(group, style.demand_colour(group))
    fields = [_col_label("county_name", lang), _esc(label(group, lang)), _t("village_count", lang)]
    feats = []
    for i in np.argsort(-values, kind="stable"):
        if not values[i] > 0:
            continue
        row = per.iloc[i]
        name = _esc(row["name"])
        feats.append(_feature(row["lon"], row["lat"], {
            "r": float(radii[i]), "fill": colour, "stroke": "#ffffff", "weight": 1.5, "fo": 0.7, "n": name,
            "v": [_esc(row["county"]), _fmt(float(row["v"])), _fmt(int(row["n"]))],
            "tip": f"{name} · {_fmt(float(row['v']))}"}))
    fg = folium.FeatureGroup(name=f"{label(group, lang)} · {_t('township_total', lang)}", show=show).add_to(m)
    fg.add_child(_PointLayer(feats, fields=fields, max_zoom=max_zoom))
    return breaks


def add_facilities(m: folium.Map, facilities: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True,
                   types: Collection[str] | None = None, size_px: int = 12, swapped: bool = False) -> list[str]:
    """Facilities, one symbol per type (inline SVG); returns the types drawn, in taxonomy order.

    Parameters
    ----------
    facilities
        Facility table (canonical columns, ``type`` keys of ``taxonomy.FACILITY_TYPES``).
    types
        Only these types (default: all present).
    size_px
        Symbol size [px].
    swapped
        Mark the layers :func:`dynamic` (when ``types`` follow the service: a service change then swaps
        them instead of drawing the whole map again).
    """
    if facilities is None or len(facilities) == 0:
        return []
    key = ("facilities", lang, None if types is None else tuple(sorted(types)), size_px, _is_gcj(m))
    # the same facilities are drawn on every rerun: built once per table and choice
    present, layers, fields, symbols = _cached(facilities, key, lambda: _facility_points(m, facilities, lang, types,
                                                                                         size_px))
    for name, data_json in layers:
        fg = folium.FeatureGroup(name=name, show=show)
        (dynamic(fg) if swapped else fg).add_to(m)
        fg.add_child(_PointLayer(data_json, fields=fields, symbols=symbols, size_px=size_px,
                                 defaults={"z": 100, "cls": "cov-fac"}, tip_value=0, canvas_symbols=True,
                                 canvas_z=2, low_scale=0.6))
    return present


def _facility_points(m: folium.Map, facilities: gpd.GeoDataFrame, lang: str, types: Collection[str] | None,
                     size_px: int) -> tuple[list[str], list[tuple[str, str]], list[str], dict[str, str]]:
    """(types drawn, (layer name, points as script text) per category, popup fields, symbols) of
    :func:`add_facilities`."""
    from coverage.mapping.web.elements import _js_json

    gdf = _prepare(m, facilities, "facilities")
    if gdf is None or gdf.empty:
        return [], [], [], {}
    if types is not None:
        gdf = gdf[gdf["type"].isin(list(types))]
    type_keys = [str(t) for t in gdf["type"].tolist()]
    present = [k for k in FACILITY_TYPES if k in set(type_keys)]
    symbols = {k: symbol_svg(*FACILITY_SYMBOLS.get(k, ("circle", "#777777")), size_px=size_px)
               for k in set(type_keys)}
    lon, lat = _xy(gdf)
    type_text = [_esc(label(k, lang)) for k in type_keys]
    caps = gdf["capacity"].tolist() if "capacity" in gdf.columns else [None] * len(gdf)
    units = gdf["capacity_unit"].tolist() if "capacity_unit" in gdf.columns else [None] * len(gdf)
    cap_text = [f"{_fmt(c)} {_esc(label(u, lang)) if isinstance(u, str) and u else ''}".strip()
                if c is not None and pd.notna(c) else "" for c, u in zip(caps, units, strict=False)]
    status = [_esc(label(v, lang)) if isinstance(v, str) else "" for v in
              (gdf["status"].tolist() if "status" in gdf.columns else [None] * len(gdf))]
    admin = [c for c in _ADMIN_NAMES if c in gdf.columns]
    fields = [_col_label(c, lang) for c in ("type", "capacity", "status", *admin)]
    columns = [type_text, cap_text, status] + [_text_column(gdf, c) for c in admin]
    names = _text_column(gdf, "name")
    by_cat: dict[str, list[dict[str, Any]]] = {c: [] for c in [*CATEGORIES, ""]}
    for i, key in enumerate(type_keys):
        cat = FACILITY_TYPES[key].category if key in FACILITY_TYPES else ""
        # the tooltip "name · type" is made in the browser from the first popup value (the type)
        by_cat[cat].append(_feature(lon[i], lat[i], {"sym": key, "n": names[i], "v": [c[i] for c in columns]}))
    layers = []
    for cat, feats in by_cat.items():
        if feats:
            name = CATEGORIES[cat].label(lang) if cat else _t("facilities", lang)
            layers.append((name, _js_json({"type": "FeatureCollection", "features": feats})))
    return present, layers, fields, symbols


#: Boundary styles by level: colour, weight [px], dash pattern.
_BOUNDARY_STYLES: dict[str, tuple[str, float, str | None]] = {
    "prefecture": ("#222222", 2.6, None), "county": ("#444444", 1.6, None),
    "township": ("#8a8a8a", 0.8, "4 3"), "village": ("#bbbbbb", 0.5, "2 3"),
}


def add_village_labels(m: folium.Map, demand: gpd.GeoDataFrame, *, lang: str = "zh",
                       min_zoom: float | None = None) -> int:
    """Village names under their symbols, from ``min_zoom`` on (township scale); returns how many.

    Parameters
    ----------
    demand
        Demand table with a ``name`` column (villages without a name get no label).
    min_zoom
        The names show from this zoom on (None: always).
    """
    if demand is None or len(demand) == 0 or "name" not in demand.columns:
        return 0
    gcj = _is_gcj(m)

    def build() -> list[dict[str, Any]]:
        gdf = _prepare(m, demand, "demand")
        if gdf is None or gdf.empty:
            return []
        lon, lat = _xy(gdf)
        return [_feature(x, y, {"label": t, "cls": "village"})
                for x, y, t in zip(lon, lat, _text_column(gdf, "name"), strict=True) if t]

    feats = _cached(demand, ("village_labels", gcj), build)
    if feats:
        fg = folium.FeatureGroup(name=_t("village_names", lang), show=True).add_to(m)
        fg.add_child(_PointLayer(feats, min_zoom=min_zoom))
    return len(feats)


def add_boundaries(m: folium.Map, boundaries: gpd.GeoDataFrame, *, lang: str = "zh",
                   levels: Sequence[str] = ("county", "township"), labels: bool = True,
                   simplify_deg: float = 0.0004, township_label_min_zoom: float | None = None) -> None:
    """Administrative boundaries (outlines, no fill) with their names as labels.

    Parameters
    ----------
    levels
        Levels drawn besides "prefecture" (always drawn when present).
    simplify_deg
        Outline simplification tolerance [deg] for display (0.0004 deg is about 40 m).
    township_label_min_zoom
        Township names show from this zoom on (county names always, above every symbol).
    """
    if boundaries is None or len(boundaries) == 0:
        return
    gcj = _is_gcj(m)
    layers = _cached(boundaries, ("outlines", tuple(levels), simplify_deg, gcj),
                     lambda: _boundary_layers(m, boundaries, levels, simplify_deg))
    label_feats: list[dict[str, Any]] = []
    for level, text, labels_of_level in layers:
        colour, weight, dash = _BOUNDARY_STYLES[level]
        name = _t(level, lang) if level in ("county", "township", "prefecture") else label(level, lang)
        fg = folium.FeatureGroup(name=name, show=True).add_to(m)
        fg.add_child(_ShapeLayer(text, style={"color": colour, "weight": weight, "dashArray": dash,
                                              "fill": False, "opacity": 0.9}))
        if labels:
            label_feats += labels_of_level
    if label_feats:
        fg = folium.FeatureGroup(name=_t("labels", lang), show=True).add_to(m)
        county = [f for f in label_feats if f["properties"].get("cls") != "township"]
        township = [f for f in label_feats if f["properties"].get("cls") == "township"]
        if township:
            fg.add_child(_PointLayer(township, min_zoom=township_label_min_zoom))
        if county:
            fg.add_child(_PointLayer(county))


def _boundary_layers(m: folium.Map, boundaries: gpd.GeoDataFrame, levels: Sequence[str],
                     simplify_deg: float) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(level, outline GeoJSON text, label features), finest level first."""
    gdf = _prepare(m, boundaries, "boundaries")
    if gdf is None or gdf.empty:
        return []
    if "level" not in gdf.columns:
        gdf = gdf.assign(level="county")
    present = set(gdf["level"])
    draw = [lv for lv in _BOUNDARY_STYLES if lv in present and (lv == "prefecture" or lv in levels)]
    out = []
    for level in reversed(draw):  # finest first, so coarser outlines lie on top
        part = gdf[gdf["level"] == level]
        geoms = shapely.set_precision(shapely.simplify(np.asarray(part.geometry.values), simplify_deg), 1e-5)
        text = _geojson_text(shapely.boundary(geoms))
        feats = []
        if level in ("county", "township"):
            lon, lat = _xy(part)
            feats = [_feature(x, y, {"label": t, "cls": level})
                     for x, y, t in zip(lon, lat, _text_column(part, "name"), strict=False)]
        out.append((level, text, feats))
    return out


def add_service_areas(m: folium.Map, areas: gpd.GeoDataFrame, *, lang: str = "zh", colour: str = "#31a354",
                      outline: str = "#006d2c", show: bool = True, simplify_m: float = 20.0) -> None:
    """Service areas (polygons, optional ``threshold_min``) as translucent fills with a firm outline.

    The polygons are simplified for display in metres (a local UTM zone) before they are turned into
    degrees with 1e-5 degree (about 1 m) coordinates: a prefecture's walking areas have some 10^5
    vertices, which the browser does not need.  The outline keeps areas of a few hundred metres visible
    at prefecture zoom (8-9), where their fill is only a few pixels.

    Parameters
    ----------
    areas
        Polygons (from ``TravelTimeEngine.service_areas``), any CRS.
    colour, outline
        Fill and outline colours.
    simplify_m
        Display simplification tolerance [m] (0: none); the areas' edges move by at most this much.
    """
    gdf = _prepare(m, areas, "service areas")
    if gdf is None or gdf.empty:
        return
    fg = dynamic(folium.FeatureGroup(name=_t("service_areas", lang), show=show)).add_to(m)
    tips = ([f"≤ {_fmt(v)} {_t('minutes', lang)}" for v in gdf["threshold_min"].tolist()]
            if "threshold_min" in gdf.columns else [""] * len(gdf))
    text = _cached(areas, ("areas", float(simplify_m), _is_gcj(m), lang),
                   lambda: _geojson_text(_display_polygons(gdf, simplify_m), [{"tip": t} for t in tips]))
    # a 2 px outline: an area of a few hundred metres is still a visible patch at zoom 8
    fg.add_child(_ShapeLayer(text, style={"color": outline, "weight": 2, "fillColor": colour,
                                          "fillOpacity": 0.35, "opacity": 0.9, "lineJoin": "round"},
                             interactive=False, pane="covAreas"))


def _display_polygons(gdf: gpd.GeoDataFrame, simplify_m: float) -> np.ndarray:
    """Polygons simplified by ``simplify_m`` metres, in WGS-84 with coordinates rounded to 1e-5 degree."""
    return np.asarray(shapely.set_precision(_simplify_m(gdf.geometry, float(simplify_m)), 1e-5, mode="pointwise"))


def add_uncovered(m: folium.Map, demand: gpd.GeoDataFrame, uncovered_ids: Collection[object], *,
                  lang: str = "zh", title: str | None = None, show: bool = True) -> int:
    """Highlight villages left uncovered (a red ring); returns how many were drawn."""
    gdf = _prepare(m, demand, "demand")
    if gdf is None or gdf.empty or not len(uncovered_ids):
        return 0
    part = gdf[gdf["id"].isin(list(uncovered_ids))]
    # the layer control shows layer names as HTML: a user's title is escaped like every other text
    fg = dynamic(folium.FeatureGroup(name=_esc(title) if title else _t("uncovered", lang), show=show)).add_to(m)
    lon, lat = _xy(part)
    feats = [_feature(x, y, {"r": 11, "fill": "#ff0000", "stroke": "#d7191c", "weight": 2.2, "fo": 0.06,
                             "tip": f"{n} · {_t('uncovered', lang)}"})
             for x, y, n in zip(lon, lat, _text_column(part, "name"), strict=False)]
    fg.add_child(_PointLayer(feats, canvas_z=1))
    return len(feats)




def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, lang: str = "zh", show: bool = True) -> None:
    """Proposed / accepted / hand-placed sites as stars, with their explanation in the popup.

    ``sites`` has ``id``, ``name`` and optionally ``status`` ("proposed",
    "accepted", "manual"), ``type``, ``kind``, ``explanation`` (text),
    ``newly_covered`` (persons) columns.  Each star carries its number, 1, 2, ...
    in row order (the numbering of the site list and of the printed proposal map).
    """
    gdf = _prepare(m, sites, "sites")
    if gdf is None or gdf.empty:
        return
    fg = dynamic(folium.FeatureGroup(name=_t("sites", lang), show=show)).add_to(m)
    lon, lat = _xy(gdf)
    n = len(gdf)
    status = [v if isinstance(v, str) and v in _SITE_COLOURS else "proposed"
              for v in (gdf["status"].tolist() if "status" in gdf.columns else [None] * n)]

    def labels_of(col: str) -> list[str]:
        vals = gdf[col].tolist() if col in gdf.columns else [None] * n
        return [_esc(label(v, lang)) if isinstance(v, str) and v else "" for v in vals]

    covered = gdf["newly_covered"].tolist() if "newly_covered" in gdf.columns else [None] * n
    fields = [_t("sites", lang), _col_label("type", lang), _col_label("kind", lang), _t("covers", lang),
              _t("explanation", lang)]
    columns = [[_t(s, lang) for s in status], labels_of("type"), labels_of("kind"),
               [f"{_fmt(v)} {_t('persons', lang)}" if v is not None and pd.notna(v) else "" for v in covered],
               _text_column(gdf, "explanation")]
    names = _text_column(gdf, "name") if "name" in gdf.columns else _text_column(gdf, "id")
    symbols = {s: symbol_svg("star", c, size_px=24, stroke="#333333") for s, c in _SITE_COLOURS.items()}
    numbers = site_numbers(gdf)
    feats = [_feature(lon[i], lat[i], {"sym": status[i], "size": 24, "z": 1000, "num": numbers[i],
                                       "cls": f"cov-site {status[i]}",
                                       "n": f"{numbers[i]}. {names[i]}", "v": [c[i] for c in columns],
                                       "tip": f"{numbers[i]}. {names[i]}"}) for i in range(n)]
    fg.add_child(_PointLayer(feats, fields=fields, symbols=symbols, size_px=24))
