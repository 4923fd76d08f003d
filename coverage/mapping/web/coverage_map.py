"""The app's map in one call: boundaries, villages, facilities, coverage layers and a legend."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import InputError
from coverage.mapping.web.base import _check_wgs84, _is_gcj, _view, new_map
from coverage.mapping.web.layers import (
    add_boundaries,
    add_demand,
    add_facilities,
    add_service_areas,
    add_sites,
    add_township_totals,
    add_travel_times,
    add_uncovered,
    add_village_labels,
)
from coverage.mapping.web.legend import add_legend
from coverage.mapping.web.roads import add_roads

#: Up to this many villages are drawn at every zoom (no township totals).
_MAX_VILLAGES_ALWAYS = 300

def coverage_map(demand: gpd.GeoDataFrame | None = None, facilities: gpd.GeoDataFrame | None = None, *,
                 boundaries: gpd.GeoDataFrame | None = None, groups: Sequence[str] = ("elderly_60plus",
                                                                                        "left_behind_children"),
                 facility_types: Collection[str] | None = None, service_areas: gpd.GeoDataFrame | None = None,
                 uncovered_ids: Collection[object] | None = None, uncovered_title: str | None = None,
                 sites: gpd.GeoDataFrame | None = None, travel_time_min: pd.Series | None = None,
                 lang: str = "zh", basemap: str | None = None, tianditu_key: str | None = None,
                 note: str | None = None, title: str | None = None,
                 village_min_zoom: float | None = None, roads: gpd.GeoDataFrame | None = None,
                 facilities_swapped: bool = False) -> folium.Map:
    """The app's map: boundaries, villages by group, facilities by type, coverage layers, a legend.

    Parameters
    ----------
    demand, facilities, boundaries
        Canonical tables from the loaders or the demo (any may be None).
    groups
        Population groups drawn as graduated circles, one layer each.
    facility_types
        Facility types drawn (default all).
    service_areas
        Polygons with ``threshold_min`` (from ``TravelTimeEngine.service_areas``).
    uncovered_ids
        Demand ids outside the threshold: highlighted in red.
    sites
        Proposed / accepted / hand-placed sites (see :func:`add_sites`).
    travel_time_min
        Travel time [min] to the nearest facility by demand id, for the popups.
    lang
        "zh" (default) or "en": layer names, popups and legend.
    basemap, tianditu_key
        See :func:`new_map`; with "amap" every overlay is shifted to GCJ-02.
    note
        Small print in the legend (e.g. the demo's "示例数据（模拟）").
    village_min_zoom
        Zoom from which villages are drawn; below it each township shows as one
        circle (the sum of its villages) and township names are hidden.  Default:
        1.5 levels closer than the initial view (at most 11), or villages at every
        zoom when there are no more than 300 of them.
    roads
        Road lines by display class (:func:`coverage.mapping.web.roads.road_lines`), drawn under
        everything else; None (default): no roads.
    facilities_swapped
        The facility layers change with the service (``facility_types`` are the service's): they are
        marked to be swapped like the coverage layers (:func:`split_dynamic`), so a service change does
        not draw the boundaries and villages again.

    Returns
    -------
    folium.Map
        A map whose every asset is inline (:func:`remote_asset_urls` is empty).

    Example
    -------
    >>> demo = load_demo("yuxi")                                            # doctest: +SKIP
    >>> m = coverage_map(demo.demand, demo.facilities, boundaries=demo.boundaries)  # doctest: +SKIP
    """
    layers = [x for x in (boundaries, demand, facilities) if x is not None and len(x)]
    bounds = None
    if layers:
        checked = [_check_wgs84(x, "layer") for x in layers]
        tb = np.array([x.total_bounds for x in checked if x is not None])
        bounds = (tb[:, 0].min(), tb[:, 1].min(), tb[:, 2].max(), tb[:, 3].max())
    detail = village_min_zoom
    if detail is None and demand is not None and len(demand) > _MAX_VILLAGES_ALWAYS:
        detail = min(_view(bounds, width_px=900, height_px=560)[1] + 1.5, 11.0)
    m = new_map(bounds=bounds, basemap=basemap, tianditu_key=tianditu_key, lang=lang, detail_zoom=detail or 0.0)
    if _is_gcj(m):
        try:
            import coverage.inputs.crs  # noqa: F401
        except ImportError as exc:  # pragma: no cover - part of the library
            raise InputError("cannot shift overlays to GCJ-02 for the Amap base map: coverage.inputs.crs "
                             "is missing; choose another base map") from exc
    road_classes: list[str] = []
    if roads is not None:
        road_classes = add_roads(m, roads, lang=lang)
    if service_areas is not None:
        add_service_areas(m, service_areas, lang=lang)
    if boundaries is not None:
        add_boundaries(m, boundaries, lang=lang, township_label_min_zoom=None if detail is None else detail - 1.0)
    demand_breaks: dict[str, list[float]] = {}
    township_breaks: dict[str, list[float]] = {}
    if demand is not None:
        for i, group in enumerate(groups):
            if group in demand.columns:
                if detail is not None:
                    township_breaks[group] = add_township_totals(
                        m, demand, group=group, boundaries=boundaries, lang=lang, max_zoom=detail,
                        radius_scale=0.55 if i else 1.0)
                demand_breaks[group] = add_demand(m, demand, group=group, lang=lang, radius_scale=0.55 if i else 1.0,
                                                  travel_lookup=i == 0,
                                                  min_zoom=detail if township_breaks.get(group) else None)
        # village names at township scale: two zoom steps past the villages' own (or the whole-region view)
        start = detail if detail is not None else (_view(bounds, width_px=900, height_px=560)[1] if bounds else 10.0)
        add_village_labels(m, demand, lang=lang, min_zoom=start + 1.5)
        # always (None clears it): a map whose travel times change keeps its villages drawn
        add_travel_times(m, demand, travel_time_min, lang=lang)
    drawn: list[str] = []
    if facilities is not None:
        drawn = add_facilities(m, facilities, lang=lang, types=facility_types, swapped=facilities_swapped)
    n_uncovered = 0
    if demand is not None and uncovered_ids is not None:
        n_uncovered = add_uncovered(m, demand, uncovered_ids, lang=lang, title=uncovered_title)
    if sites is not None and len(sites):
        add_sites(m, sites, lang=lang)
    scales = {g: (0.55 if i else 1.0) for i, g in enumerate(demand_breaks)}
    add_legend(m, lang=lang, demand=demand_breaks, demand_scales=scales, facility_types=drawn,
               uncovered=n_uncovered,
               service_areas=service_areas is not None and len(service_areas) > 0,
               sites=sites is not None and len(sites) > 0, title=title, note=note, townships=township_breaks,
               roads=road_classes)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def split_dynamic(m: folium.Map) -> tuple[list[folium.FeatureGroup], bool]:
    """Take the layers that change with the threshold, the service or the sites out of ``m``.

    Uncovered villages, service areas, travel times, sites and the legend (marked by
    :func:`coverage.mapping.web.layers.dynamic`) are removed from ``m`` and returned, with whether
    ``m`` had a layer control (removed too: it must list both parts).  What stays in ``m`` (boundaries,
    villages, facilities, roads) is the same for every threshold, so the app's map component keeps it
    drawn and only swaps the returned layers (streamlit-folium's ``feature_group_to_add``).

    Parameters
    ----------
    m
        A map from :func:`coverage_map` (changed in place: give it a copy to keep the original).

    Returns
    -------
    (groups, had_layer_control)
        The removed feature groups in drawing order.
    """
    groups: list[folium.FeatureGroup] = []
    had_control = False
    for name, child in list(m._children.items()):
        if getattr(child, "_cov_dynamic", False) and isinstance(child, folium.FeatureGroup):
            groups.append(child)
            del m._children[name]
        elif isinstance(child, folium.LayerControl):
            had_control = True
            del m._children[name]
    return groups, had_control
