"""Printed maps: A4/A3, portrait or landscape, PDF (vector, fonts embedded) and PNG.

Three kinds of map, each a :class:`matplotlib.figure.Figure` laid out as a
bureau prints it: a title, the map in a neat line with county and township
boundaries and their names, a north arrow pointing to true north, a scale bar
in kilometres, a legend, a panel of figures, and a footer with the data
source, the date and the coordinate system; demo data carry a red
"示例数据（模拟）" mark.

* :func:`distribution_map` -- where older people and left-behind children live:
  graduated symbols per village, or a township choropleth with symbols;
* :func:`coverage_map` -- one service: its service areas, covered and uncovered
  villages, facilities by type;
* :func:`proposal_map` -- a siting proposal: existing and proposed sites, the
  villages newly covered, before/after figures.

People are shown only as counts per village or township, never individually.
The map is drawn in the UTM zone of the data (a metric, conformal projection),
so the scale bar is exact to within 0.1 % anywhere on the sheet.

Every sheet is laid out by :mod:`coverage.mapping.layout` (reserved boxes; a
legend that does not fit shrinks, then takes more columns), drawn with the style
shared with the web map (:mod:`coverage.mapping.style`: colours, symbols, one
class-break rule), labelled without collisions (:mod:`coverage.mapping.labels`),
in Chinese or English (``lang="zh"`` / ``"en"``).

Library functions take plain GeoDataFrames (the canonical tables of
:mod:`coverage.model`) so the app can print a user's own data; :func:`save_map`
writes ``.pdf`` or ``.png`` (300 dpi) and :func:`map_bytes` returns the bytes for
a download button.

Example
-------
>>> from coverage.demo import load_demo
>>> from coverage.mapping.printmap import distribution_map, save_map
>>> region = load_demo("yuxi")
>>> fig = distribution_map(region.demand, boundaries=region.boundaries,
...                        region_name=region.name_zh, simulated=True)
>>> save_map(fig, "maps/yuxi_distribution.pdf")  # doctest: +SKIP
"""


from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from coverage.errors import InputError, MissingColumnError
from coverage.mapping import style
from coverage.mapping.fonts import cjk_rc, warn_missing_glyphs
from coverage.mapping.layout import ORIENTATIONS, PAPER_SIZES_MM, draw_legend, finish, info_table, new_page, set_extent
from coverage.mapping.layout import page_size_mm as page_size_mm
from coverage.mapping.proposalmap import proposal_map as proposal_map
from coverage.mapping.sheet import (
    check_group,
    check_layer,
    check_service_layers,
    crs_note,
    flags,
    fmt_int,
    fmt_pct,
    metric_crs,
    project,
    render,
    service_sheet,
    service_words,
    today,
)
from coverage.mapping.symbols import (
    boundary_entries,
    dots,
    draw_boundaries,
    draw_facilities,
    graduated,
    township_totals,
)
from coverage.output import output_path
from coverage.taxonomy import label

__all__ = [
    "DEFAULT_SOURCE",
    "DEMO_SOURCE",
    "MAP_KINDS",
    "ORIENTATIONS",
    "PAPER_SIZES_MM",
    "SIMULATED_MARK",
    "coverage_map",
    "distribution_map",
    "map_bytes",
    "page_size_mm",
    "proposal_map",
    "save_map",
]

logger = logging.getLogger(__name__)

#: Kinds of printed map.
MAP_KINDS = ("distribution", "coverage", "proposal")

#: The mark printed on maps of demo (simulated) data.
SIMULATED_MARK = style.text("simulated", "zh")

#: Default data source line.
DEFAULT_SOURCE = style.text("default_source", "zh")

#: Data source line of maps of the demo regions (used when ``simulated`` and no source is given).
DEMO_SOURCE = style.text("demo_source", "zh")


@render
def distribution_map(
    demand: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    groups: Sequence[str] | None = None,
    style: str = "symbols",
    region_name: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
    date: str | None = None,
    simulated: bool = False,
    lang: str = "zh",
    breaks: Mapping[str, Sequence[float]] | None = None,
) -> Figure:
    """Map where older people and left-behind children live, by village or township.

    Parameters
    ----------
    demand
        Villages (points) with the population columns of ``groups`` (persons).
    boundaries
        County and township polygons (``level``, ``code``, ``name``), optional.
    facilities
        Facilities to show for orientation (by type), optional.
    groups
        One or two population-group keys; the first is drawn in the style chosen,
        the second always as graduated symbols.  Default: older people (60+) and
        left-behind children, those of the two that ``demand`` has.
    style
        "symbols": graduated circles per village for each group (two groups side
        by side); "choropleth": townships shaded by the first group's total
        (needs township boundaries), the second group as circles per township.
    region_name
        Name in the default title, e.g. "玉溪市".
    title, subtitle
        Override the default title (``{region_name}"一老一小"分布图``) and subtitle.
    paper, orientation
        "A4"/"A3", "landscape"/"portrait".
    source
        The data-source line of the footer (default: :data:`DEMO_SOURCE` when
        ``simulated``, else :data:`DEFAULT_SOURCE`).
    date
        The date printed (ISO), default today.
    simulated
        Print the "示例数据（模拟）" mark (demo data).
    lang
        "zh" (default) or "en": every text of the sheet.
    breaks
        Class limits per group (from :func:`coverage.mapping.style.class_breaks`),
        e.g. those of the web map; computed by the same rule when absent.

    Returns
    -------
    matplotlib.figure.Figure
        Sized to the sheet; save with :func:`save_map`.

    Raises
    ------
    CRSError
        When a layer has no CRS.
    MissingColumnError
        When a group column is missing from ``demand``.
    InputError
        For an unknown style, group, paper size, orientation or language, or no
        township boundaries for a choropleth.
    """
    kind = style
    from coverage.mapping import style as st

    demand = check_layer(demand, "demand")
    if groups is None:
        groups = [g for g in ("elderly_60plus", "left_behind_children") if g in demand.columns]
        if not groups:
            raise MissingColumnError(
                "demand: neither 'elderly_60plus' (60岁以上老年人) nor 'left_behind_children' (留守儿童) is "
                "present; pass groups=[...] with the population columns to map"
            )
    groups = list(groups)
    if not 1 <= len(groups) <= 2:
        raise InputError(f"groups: give one or two population groups, got {len(groups)}")
    for group in groups:
        check_group(demand, group)
    if kind not in ("symbols", "choropleth"):
        raise InputError(f"unknown style '{kind}': use 'symbols' (分级符号) or 'choropleth' (分级设色)")
    if boundaries is not None:
        check_layer(boundaries, "boundaries", required=("level", "geometry"))
    if facilities is not None:
        check_layer(facilities, "facilities")
    townships = None if boundaries is None else boundaries[boundaries["level"] == "township"]
    if kind == "choropleth" and (townships is None or not len(townships)):
        raise InputError(
            "a choropleth needs township boundaries (level 'township'): pass boundaries=..., "
            "or use style='symbols'"
        )
    if not len(demand):
        raise InputError("demand is empty: nothing to map")

    crs = metric_crs(boundaries, demand)
    dem = demand.to_crs(crs)
    bnd = project(boundaries, crs)
    fac = project(facilities, crs)
    sep = "、" if lang == "zh" else ", "
    names = sep.join(label(g, lang) for g in groups)
    pair = set(groups) == {"elderly_60plus", "left_behind_children"}
    default_title = st.text("distribution_title", lang, region=f"{region_name} " if lang == "en" and region_name
                            else region_name, what=st.text("one_old_one_young", lang) if pair else names)
    unit = st.text("by_village" if kind == "symbols" else "by_township", lang)
    page = new_page(paper=paper, orientation=orientation, title=title or default_title,
                    subtitle=subtitle or f"{names}  ·  {unit}", source=source, date=date or today(),
                    crs_note=crs_note(crs, lang), simulated=simulated, lang=lang)
    ax = page.ax_map
    draw_boundaries(page, bnd, fill=kind == "symbols")
    set_extent(page, bnd, dem)
    sections: list[tuple[str, list[tuple[Any, str]]]] = []
    given = dict(breaks or {})

    if kind == "choropleth" and townships is not None:
        tws = townships.to_crs(crs)
        sums = township_totals(dem, tws, groups)
        first = groups[0]
        limits = list(given.get(first) or st.class_breaks(sums[first], n_classes=5))
        colours = st.choropleth_colours(len(limits))
        cls = st.classify(sums[first].to_numpy(), limits) if limits else np.zeros(len(tws), dtype=np.int64)
        face = [colours[min(c, len(colours) - 1)] if v > 0 else "#f0f0f0"
                for c, v in zip(cls, sums[first], strict=True)]
        tws.plot(ax=ax, color=face, edgecolor="none", zorder=1)
        sections.append((f"{label(first, lang)}{page.text('per_township')}",
                         [(Patch(facecolor=c, edgecolor="#999999", linewidth=0.4), t)
                          for c, t in zip(colours, st.class_labels(limits), strict=True)]))
        if len(groups) == 2:
            second = groups[1]
            pts = tws.geometry.representative_point()
            entries = graduated(page, pts.x.to_numpy(), pts.y.to_numpy(), sums[second].to_numpy(),
                                colour=st.demand_colour(second), breaks=given.get(second), small_pt=5.0,
                                large_pt=15.0, zorder=11)
            sections.append((f"{label(second, lang)}{page.text('per_township')}", entries))
    else:
        offsets = [0.0] if len(groups) == 1 else [-1.6, 1.6]
        for group, off in zip(groups, offsets, strict=False):
            entries = graduated(page, dem.geometry.x.to_numpy(), dem.geometry.y.to_numpy(),
                                dem[group].to_numpy(dtype=float), colour=st.demand_colour(group),
                                breaks=given.get(group), offset_pt=off)
            sections.append((f"{label(group, lang)}{page.text('per_village')}", entries))

    if facilities is not None and len(facilities):
        sections.append((page.text("facilities"), draw_facilities(page, fac, size_pt=4.0, zorder=13)))
    sections.append((page.text("admin"), boundary_entries(page, bnd)))
    draw_legend(page, sections)
    totals_rows = [[label(g, lang), fmt_int(float(demand[g].sum()))] for g in groups]
    totals_rows.append([page.text("village_count"), fmt_int(float(len(demand)))])
    y = info_table(page, page.text("totals"), ["", page.text("persons")], totals_rows, col_x=[0.0, 0.55])
    if townships is not None and len(townships) and "name" in townships.columns:
        sums_all = township_totals(demand.to_crs(townships.crs), townships, groups)
        top = sums_all.assign(name=townships["name"]).sort_values(groups[0], ascending=False).head(5)
        rows = [[str(r["name"]), *[fmt_int(float(r[g])) for g in groups]] for _, r in top.iterrows()]
        info_table(page, page.text("top_townships", group=label(groups[0], lang)),
                   [page.text("township"), *[label(g, lang) for g in groups]], rows, top=y)
    return finish(page, crs)


@render
def coverage_map(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    covered: Any,
    group: str,
    service_areas: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    facility_types: Sequence[str] | None = None,
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
    """Map the coverage of one service: service areas, covered and uncovered villages, facilities.

    Parameters
    ----------
    demand
        Villages (points) with the column ``group`` (persons).
    facilities
        Facilities (points) with ``type``; those of ``facility_types`` are drawn
        by type (all when None).
    covered
        Which villages reach the service within the threshold: a boolean column
        name of ``demand``, a boolean Series indexed by demand ``id``, or an array
        aligned with the rows of ``demand``.
    group
        The population group whose counts size the uncovered villages' symbols.
    service_areas
        Polygons (``threshold_min``, geometry) reachable within the threshold, optional.
    boundaries
        County and township polygons, optional.
    facility_types
        Facility-type keys that count for the service.
    service_label, threshold_min, mode_label
        For the title and legend, e.g. "幸福小院", 15, "步行"; minutes in the
        service's name follow ``threshold_min``.
    region_name, title, subtitle, paper, orientation, source, date, simulated, lang
        As in :func:`distribution_map`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CRSError, MissingColumnError, InputError
        As in :func:`distribution_map`; also when ``covered`` does not match ``demand``.
    """
    demand, facilities = check_service_layers(demand, facilities, group=group, boundaries=boundaries,
                                              service_areas=service_areas)
    covered_flags = flags(covered, demand, "covered")
    what, reach = service_words(service_label, facility_types, threshold_min, mode_label, lang)
    region = f"{region_name} " if lang == "en" and region_name else region_name
    default_sub = label(group, lang) + (f"  ·  {style.text('reach_areas', lang, reach=reach)}" if reach else "")
    page, crs, bnd, fac, areas, _, values, xs, ys = service_sheet(
        demand, facilities, group=group, boundaries=boundaries, service_areas=service_areas,
        title=title or style.text("coverage_title", lang, region=region, what=what),
        subtitle=subtitle or default_sub, paper=paper, orientation=orientation, source=source, date=date,
        simulated=simulated, lang=lang)
    area_entries: list[tuple[Any, str]] = []
    if areas is not None and len(areas):
        if "threshold_min" in areas.columns:
            areas = areas.sort_values("threshold_min", ascending=False)
        n = len(areas)
        for i, (_, row) in enumerate(areas.iterrows()):
            alpha = 0.35 + 0.25 * (i / max(n - 1, 1))
            gpd.GeoSeries([row.geometry], crs=crs).plot(ax=page.ax_map, color=style.SERVICE_AREA, alpha=alpha * 0.6,
                                                        edgecolor="#5aae61", linewidth=0.4 * page.scale, zorder=1.5)
            tm = row.get("threshold_min", threshold_min)
            text = (page.text("area_minutes", mode=mode_label, minutes=float(tm)).strip()
                    if tm is not None and pd.notna(tm) else page.text("service_areas"))
            area_entries.append((Patch(facecolor=style.SERVICE_AREA, alpha=alpha * 0.6, edgecolor="#5aae61"), text))
    covered_dot = dots(page, xs[covered_flags], ys[covered_flags], size_pt=page.pt(3.2), colour=style.COVERED,
                       zorder=9)
    unc_entries = graduated(page, xs[~covered_flags], ys[~covered_flags], values[~covered_flags],
                            colour=style.UNCOVERED)
    n_total = float(np.nansum(values))
    n_cov = float(np.nansum(values[covered_flags]))
    sections: list[tuple[str, list[tuple[Any, str]]]] = [
        (page.text("villages"), [(covered_dot, page.text("covered_n", n=int(covered_flags.sum())))]),
        (page.text("uncovered_group", group=label(group, lang)), unc_entries),
        (page.text("service_areas"), area_entries),
        (page.text("facilities_n"), draw_facilities(page, fac, types=facility_types, size_pt=4.2, zorder=8,
                                                    alpha=0.85)),
        (page.text("admin"), boundary_entries(page, bnd)),
    ]
    draw_legend(page, sections)
    share = 100.0 * n_cov / n_total if n_total > 0 else float("nan")
    rows = [
        [page.text("total_of", group=label(group, lang)), fmt_int(n_total)],
        [page.text("covered"), fmt_int(n_cov)],
        [page.text("uncovered"), fmt_int(n_total - n_cov)],
        [page.text("share"), fmt_pct(share)],
        [page.text("uncovered_villages"), page.text("n_villages", n=int((~covered_flags & (values > 0)).sum()))],
    ]
    heading = page.text("coverage_box") + (f"（{reach}）" if reach and lang == "zh" else f" ({reach})" if reach else "")
    y = info_table(page, heading, ["", page.text("persons")], rows, col_x=[0.0, 0.55])
    if bnd is not None and "township_name" in demand.columns:
        frame = pd.DataFrame({"township": demand["township_name"].astype(str).to_numpy(), "v": values,
                              "c": np.where(covered_flags, values, 0.0)})
        per = frame.groupby("township").sum()
        per = per[per["v"] > 0].assign(share=lambda d: 100 * d["c"] / d["v"]).sort_values("share").head(6)
        info_table(page, page.text("lowest_townships"), [page.text("township"), page.text("share")],
                   [[name, fmt_pct(float(r["share"]))] for name, r in per.iterrows()], top=y, col_x=[0.0, 0.55])
    return finish(page, crs)


# --------------------------------------------------------------------------------------------------
# Output


#: Resolutions accepted for PNG maps [dots per inch]: below 72 text is unreadable, above 1200 an A3 page
#: needs gigabytes of memory.
MIN_DPI, MAX_DPI = 72, 1200


def save_map(fig: Figure, path: str | Path, *, dpi: int = 300) -> Path:
    """Write a printed map to ``.pdf`` (vector, fonts embedded) or ``.png`` (``dpi``).

    Parameters
    ----------
    fig
        A figure from :func:`distribution_map`, :func:`coverage_map` or :func:`proposal_map`.
    path
        Output file; the suffix chooses the format. Parent folders are created.
    dpi
        Resolution of PNG output (dots per inch, :data:`MIN_DPI`..:data:`MAX_DPI`); PDF output is vector.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        When the suffix is not ``.pdf`` or ``.png``, or ``dpi`` is outside 72..1200.
    """
    if not (isinstance(dpi, (int, float)) and MIN_DPI <= dpi <= MAX_DPI):
        raise InputError(f"dpi={dpi!r}: the resolution must be between {MIN_DPI} and {MAX_DPI} dots per inch")
    path = output_path(
        path,
        suffixes=(".pdf", ".png"),
        problem="unsupported map format '{suffix}'; use .pdf (vector) or .png (300 dpi)",
    )
    fmt = path.suffix.lower().lstrip(".")
    path.write_bytes(map_bytes(fig, fmt=fmt, dpi=dpi))
    logger.info("wrote %s", path)
    return path


def map_bytes(fig: Figure, *, fmt: str = "pdf", dpi: int = 300) -> bytes:
    """The bytes of a printed map as PDF or PNG (for a download button).

    Parameters
    ----------
    fig
        The map figure.
    fmt
        "pdf" or "png".
    dpi
        Resolution of PNG output (dots per inch, above 0 and at most :data:`MAX_DPI`; previews may be coarse).

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        For another format.
    """
    if fmt not in ("pdf", "png"):
        raise InputError(f"unsupported map format '{fmt}': use 'pdf' or 'png'")
    if not (isinstance(dpi, (int, float)) and 0 < dpi <= MAX_DPI):  # previews may be coarser than MIN_DPI
        raise InputError(f"dpi={dpi!r}: the resolution must be more than 0 and at most {MAX_DPI} dots per inch "
                         f"/ 分辨率须大于 0 且不超过 {MAX_DPI}")
    warn_missing_glyphs([t.get_text() for t in fig.findobj(Text)], where="printed map")
    buf = io.BytesIO()
    metadata = {"Creator": "coverage-planner"} if fmt == "pdf" else {"Software": "coverage-planner"}
    with matplotlib.rc_context(cast(Any, cjk_rc())):
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
    return buf.getvalue()
