"""Shared steps of the printed maps: input checks, projection, titles, opening a one-service sheet."""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

import geopandas as gpd
import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.mapping import style
from coverage.mapping.fonts import cjk_rc
from coverage.mapping.layout import Page, new_page, set_extent
from coverage.mapping.symbols import draw_boundaries
from coverage.taxonomy import POPULATION_GROUPS, label

__all__ = ["ServiceSheet", "check_group", "check_layer", "crs_note", "flags", "fmt_int", "fmt_pct",
           "metric_crs", "project", "render", "service_sheet", "service_words", "today"]


def check_layer(gdf: Any, what: str, *, required: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """A GeoDataFrame with a CRS and the ``required`` columns, or a clear error."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise CRSError(f"{what} has no coordinate reference system: set one, e.g. gdf.set_crs('EPSG:4326')")
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        raise MissingColumnError(
            f"{what}: column(s) {', '.join(missing)} missing; present: {', '.join(map(str, gdf.columns))}"
        )
    return gdf


def check_group(demand: gpd.GeoDataFrame, group: str) -> str:
    """A known population group that is a column of ``demand``."""
    if group not in POPULATION_GROUPS:
        raise InputError(f"unknown population group '{group}': use one of {', '.join(POPULATION_GROUPS)}")
    if group not in demand.columns:
        raise MissingColumnError(
            f"demand: column '{group}' ({label(group)}) missing; present: {', '.join(map(str, demand.columns))}"
        )
    return group


def metric_crs(*layers: gpd.GeoDataFrame | None) -> Any:
    """The UTM zone of the first non-empty layer (:func:`coverage.crs.metric_crs_of`, as the engine uses).

    Raises
    ------
    InputError
        Every layer is empty.
    """
    from coverage.crs import metric_crs_of

    try:
        return metric_crs_of(*layers)
    except InputError as exc:
        raise InputError(f"nothing to map: {exc}") from exc


def crs_note(crs: Any, lang: str = "zh") -> str:
    """The footer line naming the coordinate system and projection."""
    name = getattr(crs, "name", str(crs))
    zone = name.split("zone")[-1].strip() if "zone" in name else name
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    code = (f"（EPSG:{epsg}）" if lang == "zh" else f" (EPSG:{epsg})") if epsg else ""
    return style.text("crs", lang, zone=zone, code=code)


def project(gdf: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs`` (None stays None)."""
    return None if gdf is None else gdf.to_crs(crs)


def flags(values: Any, demand: gpd.GeoDataFrame, what: str) -> npt.NDArray[np.bool_]:
    """A boolean per demand row from a column name, a Series keyed by demand id, or an array."""
    if isinstance(values, str):
        if values not in demand.columns:
            raise MissingColumnError(f"demand: column '{values}' ({what}) missing")
        return demand[values].fillna(False).astype(bool).to_numpy()
    if isinstance(values, pd.Series):
        if "id" in demand.columns and values.index.isin(demand["id"]).any():
            aligned = values.reindex(demand["id"].to_numpy())
        else:
            aligned = values.reindex(demand.index)
        return aligned.fillna(False).astype(bool).to_numpy()
    arr = np.asarray(values)
    if arr.shape != (len(demand),):
        raise InputError(f"{what}: expected {len(demand)} values (one per demand row), got shape {arr.shape}")
    return arr.astype(bool)


def fmt_int(value: float) -> str:
    """A count with thousands separators ("—" when missing)."""
    return "—" if not np.isfinite(value) else f"{round(value):,}"


def fmt_pct(value: float) -> str:
    """A percentage with one decimal ("—" when missing)."""
    return "—" if not np.isfinite(value) else f"{value:.1f}%"


def today() -> str:
    """Today's date, ISO."""
    return _dt.date.today().isoformat()


def service_words(service_label: str, facility_types: Sequence[str] | None, threshold_min: float | None,
                  mode_label: str, lang: str = "zh") -> tuple[str, str]:
    """(what, reach) for titles: e.g. ("幸福小院", "步行15分钟"); reach is "" without a threshold.

    Minutes in the service's name follow ``threshold_min`` ("15分钟养老服务圈" at 30 minutes
    is titled "30分钟养老服务圈").
    """
    what = (style.retime_label(service_label, threshold_min)
            or "、".join(label(t, lang) for t in (facility_types or []))
            or style.text("facilities", lang))
    reach = style.text("reach", lang, mode=mode_label, minutes=threshold_min) if threshold_min is not None else ""
    return what, reach.strip()


class ServiceSheet(NamedTuple):
    """A one-service sheet opened: page with boundaries and extent, layers in the map CRS."""

    page: Page
    crs: Any
    bnd: gpd.GeoDataFrame | None
    fac: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    values: npt.NDArray[np.float64]  # persons of the group per village
    xs: npt.NDArray[np.float64]  # village x, metres (map CRS)
    ys: npt.NDArray[np.float64]


def service_sheet(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, group: str,
                  boundaries: gpd.GeoDataFrame | None, service_areas: gpd.GeoDataFrame | None, title: str,
                  subtitle: str, paper: str, orientation: str, source: str | None, date: str | None,
                  simulated: bool, lang: str, sites: gpd.GeoDataFrame | None = None) -> ServiceSheet:
    """Project the layers of a one-service map, open its page, draw boundaries, set the extent."""
    if not len(demand):
        raise InputError("demand is empty: nothing to map")
    crs = metric_crs(boundaries, demand)
    dem = demand.to_crs(crs)
    bnd = project(boundaries, crs)
    sites_m = project(sites, crs)
    page = new_page(paper=paper, orientation=orientation, title=title, subtitle=subtitle, source=source,
                    date=date or today(), crs_note=crs_note(crs, lang), simulated=simulated, lang=lang)
    draw_boundaries(page, bnd)
    set_extent(page, bnd, dem, *([] if sites_m is None else [sites_m]))
    return ServiceSheet(page=page, crs=crs, bnd=bnd, fac=project(facilities, crs),
                        areas=project(service_areas, crs), sites=sites_m, values=dem[group].to_numpy(dtype=float),
                        xs=dem.geometry.x.to_numpy(), ys=dem.geometry.y.to_numpy())


def check_service_layers(demand: Any, facilities: Any, *, group: str, boundaries: Any, service_areas: Any,
                         areas_name: str = "service_areas") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check the layers of a one-service map (coverage or proposal); returns (demand, facilities)."""
    demand = check_layer(demand, "demand")
    check_group(demand, group)
    facilities = check_layer(facilities, "facilities")
    if boundaries is not None:
        check_layer(boundaries, "boundaries", required=("level", "geometry"))
    if service_areas is not None:
        check_layer(service_areas, areas_name)
    return demand, facilities


def render(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a map builder with the Chinese font rcParams active."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(cast(Any, cjk_rc())):
            return fn(*args, **kwargs)

    return wrapper
