"""The printed map of a siting proposal: existing and proposed sites, villages newly covered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from coverage.mapping import style
from coverage.mapping.labels import styled_text
from coverage.mapping.layout import draw_legend, finish, info_table
from coverage.mapping.sheet import (
    check_layer,
    check_service_layers,
    flags,
    fmt_int,
    fmt_pct,
    render,
    service_sheet,
    service_words,
)
from coverage.mapping.symbols import boundary_entries, dots, draw_facilities, marker
from coverage.taxonomy import label

__all__ = ["proposal_map", "site_numbers"]


def site_numbers(sites: gpd.GeoDataFrame) -> list[str]:
    """The number printed next to each proposed site: its row position, 1, 2, ... (as in the site list)."""
    return [str(i) for i in range(1, len(sites) + 1)]


@render
def proposal_map(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    proposed: gpd.GeoDataFrame,
    *,
    covered_before: Any,
    covered_after: Any,
    group: str,
    boundaries: gpd.GeoDataFrame | None = None,
    facility_types: Sequence[str] | None = None,
    service_areas_after: gpd.GeoDataFrame | None = None,
    site_gain: Mapping[Any, float] | None = None,
    service_label: str = "",
    threshold_min: float | None = None,
    mode_label: str = "",
    region_name: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
    date: str | None = None,
    simulated: bool = False,
    lang: str = "zh",
) -> Figure:
    """Map a siting proposal: existing and proposed sites, villages newly covered, before/after.

    Parameters
    ----------
    demand
        Villages (points) with the column ``group`` (persons).
    facilities
        Existing facilities (points) with ``type``.
    proposed
        The proposed sites (points) with ``name`` (and optionally ``id``, ``type``);
        numbered 1, 2, ... on the map in their row order, as in the site list.
    covered_before, covered_after
        Which villages are covered without and with the proposal (as ``covered``
        in :func:`coverage.mapping.printmap.coverage_map`).
    group
        The population group counted in the before/after figures.
    boundaries
        County and township polygons, optional.
    facility_types
        The facility types that count for the service (existing facilities shown).
    service_areas_after
        Service areas with the proposal, optional (drawn lightly).
    site_gain
        People newly covered per proposed site, keyed by the site's ``id``
        (or row position), for the site list; optional.
    service_label, threshold_min, mode_label
        As in :func:`coverage.mapping.printmap.coverage_map`.
    region_name, title, subtitle, paper, orientation, source, date, simulated, lang
        As in :func:`coverage.mapping.printmap.distribution_map`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CRSError, MissingColumnError, InputError
        As in :func:`coverage.mapping.printmap.coverage_map`.
    """
    demand, facilities = check_service_layers(demand, facilities, group=group, boundaries=boundaries,
                                              service_areas=service_areas_after, areas_name="service_areas_after")
    proposed = check_layer(proposed, "proposed sites")
    before = flags(covered_before, demand, "covered_before")
    after = flags(covered_after, demand, "covered_after") | before
    what, reach = service_words(service_label, facility_types, threshold_min, mode_label, lang)
    region = f"{region_name} " if lang == "en" and region_name else region_name
    parts = [style.text("new_sites", lang, n=len(proposed)), label(group, lang)]
    if reach:
        parts.append(reach if lang == "en" else f"{reach}可达")
    page, crs, bnd, fac, areas, sites, values, xs, ys = service_sheet(
        demand, facilities, group=group, boundaries=boundaries, service_areas=service_areas_after, sites=proposed,
        title=title or style.text("proposal_title", lang, region=region, what=what),
        subtitle=subtitle or "  ·  ".join(parts), paper=paper, orientation=orientation, source=source, date=date,
        simulated=simulated, lang=lang)
    ax = page.ax_map
    sections: list[tuple[str, list[tuple[Any, str]]]] = []
    if areas is not None and len(areas):
        areas.plot(ax=ax, color=style.SERVICE_AREA, alpha=0.2, edgecolor="none", zorder=1.5)
        text = page.text("after_areas", reach=reach) if reach else page.text("service_areas")
        sections.append((page.text("service_areas"), [(Patch(facecolor=style.SERVICE_AREA, alpha=0.2), text)]))
    newly = after & ~before
    still = ~after & (values > 0)
    ms = page.pt(3.0)
    before_dot = dots(page, xs[before], ys[before], size_pt=ms, colour=style.COVERED, zorder=9)
    newly_dot = dots(page, xs[newly], ys[newly], size_pt=page.pt(4.6), colour=style.NEWLY, edge="#7f3b08",
                     edge_pt=0.4 * page.scale, zorder=10)
    still_dot = dots(page, xs[still], ys[still], size_pt=page.pt(4.0), colour=style.UNCOVERED, shape="X",
                     edge="white", edge_pt=0.2 * page.scale, zorder=10)
    sections.append((page.text("villages"), [
        (before_dot, page.text("before_n", n=int(before.sum()))),
        (newly_dot, page.text("newly_n", n=int(newly.sum()))),
        (still_dot, page.text("still_n", n=int(still.sum()))),
    ]))
    existing = draw_facilities(page, fac, types=facility_types, size_pt=3.4, zorder=8, alpha=0.75)
    sections.append((page.text("existing_n"), existing))
    n_sites = len(sites) if sites is not None else 0
    star = page.pt(11 if n_sites <= 30 else 8)
    if sites is not None and n_sites:
        ax.scatter(sites.geometry.x, sites.geometry.y, s=star**2, marker="*", c=style.PROPOSED, edgecolors="white",
                   linewidths=0.6 * page.scale, zorder=14)
        page.obstacles.extend((geom.x, geom.y, star) for geom in sites.geometry)
        size = 8 if n_sites <= 30 else 6.5
        for number, geom in zip(site_numbers(sites), sites.geometry, strict=True):
            text = styled_text(ax, geom.x, geom.y, number, ha="center", va="center", fontsize=page.pt(size),
                               color=style.PROPOSED, zorder=22, bold_pt=0.4 * page.scale, halo_pt=2.2 * page.scale)
            text._star_pt = star
            page.labels.append((-1, text, "site"))
    sections.append((page.text("proposed"), [(marker("*", star * 0.8, style.PROPOSED),
                                              page.text("proposed_n", n=n_sites))]))
    sections.append((page.text("admin"), boundary_entries(page, bnd)))
    draw_legend(page, sections)

    total = float(np.nansum(values))
    cov_b = float(np.nansum(values[before]))
    cov_a = float(np.nansum(values[after]))
    pct_b = 100 * cov_b / total if total > 0 else float("nan")
    pct_a = 100 * cov_a / total if total > 0 else float("nan")
    unc_b = int((~before & (values > 0)).sum())
    unc_a = int(still.sum())
    rows = [
        [page.text("covered_group", group=label(group, lang)), fmt_int(cov_b), fmt_int(cov_a),
         f"+{fmt_int(cov_a - cov_b)}"],
        [page.text("share"), fmt_pct(pct_b), fmt_pct(pct_a), f"+{pct_a - pct_b:.1f}" if total > 0 else "—"],
        [page.text("uncovered_villages"), str(unc_b), str(unc_a), f"{unc_a - unc_b:+d}"],
    ]
    y = info_table(page, page.text("before_after"),
                   [page.text("indicator"), page.text("now"), page.text("after"), page.text("change")], rows,
                   col_x=[0.0, 0.4, 0.6, 0.8])
    if sites is None:
        return finish(page, crs)
    names = (sites["name"].astype(str).tolist() if "name" in sites.columns
             else [f"{page.text('site')}{i}" for i in range(1, n_sites + 1)])
    ids = sites["id"].tolist() if "id" in sites.columns else list(range(n_sites))
    site_rows = []
    for i, (number, name, sid) in enumerate(zip(site_numbers(sites), names, ids, strict=True)):
        gain = None if site_gain is None else site_gain.get(sid, site_gain.get(i))
        site_rows.append([f"{number}. {name}", fmt_int(float(gain)) if gain is not None else ""])
    info_table(page, page.text("proposed"), [page.text("site"), page.text("gain") if site_gain is not None else ""],
               site_rows, top=y, col_x=[0.0, 0.62], fontsize_pt=7.0 if len(site_rows) <= 8 else 5.8)
    return finish(page, crs)
