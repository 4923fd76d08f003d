"""Travel times from villages to the facilities each service counts.

The travel-time engine (``coverage.traveltime.TravelTimeEngine``, one per travel
mode) is passed in; this module only decides *what* to ask it: for each service,
the nearest counted facility of every village (time and which facility), and,
for services with a capacity analysis, the origin-destination pairs within the
service's threshold (for 2SFCA).  The answers are plain tables that
:func:`coverage.metrics.analyze` turns into coverage figures; the app can cache
them (:func:`travel_tables`) and re-run the analysis on a threshold change
without touching the road network.

Example
-------
>>> from coverage.traveltime import TravelTimeEngine            # doctest: +SKIP
>>> engines = {"walk": TravelTimeEngine(G, mode="walk")}        # doctest: +SKIP
>>> tables = travel_tables(demand, facilities, standards=std, engines=engines)  # doctest: +SKIP
>>> tables["elderly_15min"].nearest.head()                      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import InputError, MissingColumnError
from coverage.metrics.standards import Service, Standards
from coverage.progress import Progress

__all__ = [
    "Engines",
    "ServiceTravel",
    "TravelEngine",
    "counted_facilities",
    "fingerprint",
    "get_engine",
    "nearest_facility",
    "od_within",
    "service_travel",
    "travel_tables",
]

logger = logging.getLogger(__name__)


class TravelEngine(Protocol):
    """What the library needs from a travel-time engine (:class:`coverage.traveltime.TravelTimeEngine`).

    ``origins`` and ``destinations`` are point tables with an ``id`` column
    (GeoDataFrames with a CRS).
    """

    def nearest(
        self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, cutoff_min: float | None = None
    ) -> pd.DataFrame:
        """Per origin: ``travel_time_min`` to the nearest destination and its ``facility_id`` (NaN / None: none)."""
        ...

    def od(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, cutoff_min: float) -> pd.DataFrame:
        """Long OD table ``from_id, to_id, travel_time_min`` of the pairs within ``cutoff_min`` minutes."""
        ...


#: Engines by travel mode, or a factory ``mode -> engine``.
Engines = Mapping[str, TravelEngine] | Callable[[str], TravelEngine]

NEAREST_COLUMNS = ("travel_time_min", "facility_id")
OD_COLUMNS = ("from_id", "to_id", "travel_time_min")


@dataclass(frozen=True)
class ServiceTravel:
    """Travel times of one service.

    Attributes
    ----------
    service_key : the service.
    mode : travel mode used.
    facility_types, statuses : the facilities counted (to detect stale tables).
    nearest : DataFrame indexed by demand ``id`` (every demand point, in the demand
        table's order): ``travel_time_min`` to the nearest counted facility (NaN if
        none reachable within ``nearest_cutoff_min``) and ``facility_id`` (None then).
    od : long DataFrame ``from_id, to_id, travel_time_min`` of the pairs within
        ``od_cutoff_min`` (None when the service has no capacity analysis).
    nearest_cutoff_min : the cutoff of ``nearest`` (None = unbounded).
    od_cutoff_min : the cutoff of ``od`` (None when ``od`` is None).
    fingerprint : digest of the demand points and counted facilities (ids and
        coordinates) the tables were computed for; "" = not checked.
    """

    service_key: str
    mode: str
    facility_types: tuple[str, ...]
    statuses: tuple[str, ...] | None
    nearest: pd.DataFrame
    od: pd.DataFrame | None = None
    nearest_cutoff_min: float | None = None
    od_cutoff_min: float | None = None
    fingerprint: str = ""


def get_engine(engines: Engines, mode: str) -> TravelEngine:
    """The engine for ``mode`` from a mapping or factory.

    Raises
    ------
    InputError
        No engine for that mode.
    """
    engine: TravelEngine | None
    if callable(engines) and not isinstance(engines, Mapping):
        engine = engines(mode)
    else:
        engine = engines.get(mode) if isinstance(engines, Mapping) else None
    if engine is None:
        have = ", ".join(engines) if isinstance(engines, Mapping) else "the factory returned None"
        raise InputError(
            f"no travel-time engine for mode '{mode}' (have: {have or 'none'}); pass "
            f"engines={{'{mode}': TravelTimeEngine(G, mode='{mode}'), ...}}"
        )
    return engine


def counted_facilities(
    facilities: pd.DataFrame, types: Collection[str], *, statuses: Collection[str] | None = None
) -> pd.DataFrame:
    """The facilities of the given types (and statuses), without copying columns needlessly.

    Parameters
    ----------
    facilities
        Facility table with ``id`` and ``type`` (and ``status`` if ``statuses`` is given).
    types
        Facility-type keys that count.
    statuses
        Statuses that count (e.g. ``("existing",)``); None = all rows.

    Raises
    ------
    MissingColumnError
        ``id``/``type`` (or ``status``) absent.
    """
    needed = ["id", "type"] + (["status"] if statuses is not None else [])
    missing = [c for c in needed if c not in facilities.columns]
    if missing:
        raise MissingColumnError(
            f"facility table: missing column(s) {', '.join(missing)}; load it with "
            f"coverage.inputs.load_facilities"
        )
    mask = facilities["type"].isin(list(types))
    if statuses is not None:
        mask &= facilities["status"].isin(list(statuses))
    return facilities.loc[mask]


def _check_ids(table: pd.DataFrame, what: str) -> None:
    if "id" not in table.columns:
        raise MissingColumnError(f"{what} table: no 'id' column; load it with coverage.inputs")
    dup = table["id"][table["id"].duplicated()]
    if len(dup):
        raise InputError(f"{what} table: id {dup.iloc[0]!r} occurs more than once; ids must be unique")


def nearest_facility(
    demand: pd.DataFrame, facilities: pd.DataFrame, *, engine: TravelEngine, cutoff_min: float | None = None
) -> pd.DataFrame:
    """Nearest facility of every demand point.

    Parameters
    ----------
    demand
        Demand GeoDataFrame with unique ``id`` (any CRS).
    facilities
        The facilities that count (GeoDataFrame with unique ``id``); may be empty.
    engine
        Travel-time engine of one mode.
    cutoff_min
        Stop searching beyond this many minutes (None = unbounded).

    Returns
    -------
    DataFrame
        Indexed by demand ``id`` in the demand table's order: ``travel_time_min``
        (minutes, NaN if none reachable) and ``facility_id`` (None if none).
    """
    _check_ids(demand, "demand")
    index = pd.Index(demand["id"], name="id")
    if len(facilities) == 0 or len(demand) == 0:
        return pd.DataFrame(
            {
                "travel_time_min": np.full(len(index), np.nan),
                "facility_id": pd.Series([None] * len(index), index=index, dtype=object),
            },
            index=index,
        )
    _check_ids(facilities, "facility")
    raw = engine.nearest(demand, facilities, cutoff_min=cutoff_min)
    out = pd.DataFrame(index=index)
    out["travel_time_min"] = (
        pd.to_numeric(raw["travel_time_min"], errors="coerce").reindex(index).astype(float)
    )
    fid = raw["to_id"].reindex(index).astype(object)
    out["facility_id"] = fid.where(out["travel_time_min"].notna() & fid.notna(), None)
    return out


def od_within(
    demand: pd.DataFrame, facilities: pd.DataFrame, *, engine: TravelEngine, cutoff_min: float
) -> pd.DataFrame:
    """Village-facility pairs within ``cutoff_min`` minutes (long, sparse).

    Returns
    -------
    DataFrame
        ``from_id`` (demand id), ``to_id`` (facility id), ``travel_time_min``;
        pairs beyond the cutoff are absent.
    """
    if len(facilities) == 0 or len(demand) == 0:
        return pd.DataFrame(
            {
                "from_id": pd.Series(dtype=object),
                "to_id": pd.Series(dtype=object),
                "travel_time_min": pd.Series(dtype=float),
            }
        )
    _check_ids(demand, "demand")
    _check_ids(facilities, "facility")
    raw = engine.od(demand, facilities, cutoff_min=cutoff_min)
    out = raw.loc[:, list(OD_COLUMNS)].copy()
    out["travel_time_min"] = out["travel_time_min"].astype(float)
    return out.loc[out["travel_time_min"] <= cutoff_min].reset_index(drop=True)


def fingerprint(demand: pd.DataFrame, counted: pd.DataFrame) -> str:
    """Digest of the ids and coordinates of demand points and counted facilities.

    Travel tables are valid for exactly these points: a facility added, moved or
    removed (a scenario) changes the digest, so cached tables are not reused.
    """
    h = hashlib.blake2b(digest_size=16)
    for table in (demand, counted):
        h.update(pd.util.hash_pandas_object(table["id"].astype(str), index=False).to_numpy().tobytes())
        geom = getattr(table, "geometry", None) if "geometry" in table.columns else None
        if geom is not None and len(table):
            if geom.geom_type.eq("Point").all():
                h.update(
                    np.ascontiguousarray(np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])).tobytes()
                )
            else:
                h.update(b"".join(w for w in geom.to_wkb() if w is not None))
            h.update(str(table.crs).encode())
        h.update(b"|")
    return h.hexdigest()


def service_travel(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    service: Service,
    *,
    engines: Engines,
    statuses: Collection[str] | None = None,
    nearest_cutoff_min: float | None = None,
    od_cutoff_min: float | None = None,
    with_od: bool = False,
) -> ServiceTravel:
    """Travel tables of one service (see :class:`ServiceTravel`).

    The OD table is computed for capacity services, and for every service with
    ``with_od=True`` (siting needs it).  ``od_cutoff_min`` defaults to the
    service's threshold; pass a larger value to keep the tables valid when the
    app raises the threshold later.
    """
    engine = get_engine(engines, service.mode)
    counted = counted_facilities(facilities, service.facility_types, statuses=statuses)
    nearest = nearest_facility(demand, counted, engine=engine, cutoff_min=nearest_cutoff_min)
    od = None
    if service.capacity or with_od:
        od_cutoff_min = float(od_cutoff_min if od_cutoff_min is not None else service.threshold_min)
        od = od_within(demand, counted, engine=engine, cutoff_min=od_cutoff_min)
    logger.info(
        "%s: %d facilities, %d of %d villages reach one",
        service.key,
        len(counted),
        int(nearest["travel_time_min"].notna().sum()),
        len(nearest),
    )
    return ServiceTravel(
        service.key,
        service.mode,
        service.facility_types,
        None if statuses is None else tuple(statuses),
        nearest,
        od,
        nearest_cutoff_min,
        od_cutoff_min if od is not None else None,
        fingerprint(demand, counted),
    )


def travel_tables(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    standards: Standards,
    engines: Engines,
    statuses: Collection[str] | None = None,
    nearest_cutoff_min: float | None = None,
    od_cutoff_min: float | None = None,
    with_od: bool = False,
    progress: Progress | None = None,
) -> dict[str, ServiceTravel]:
    """Travel tables of every service of ``standards``.

    Parameters
    ----------
    demand, facilities
        Canonical demand and facility GeoDataFrames (any CRS each, with ``id``).
    standards
        The services to compute.
    engines
        ``{mode: TravelTimeEngine}`` or a factory ``mode -> engine``.
    statuses
        Facility statuses that count (None = every row of ``facilities``).
    nearest_cutoff_min
        Cutoff of the nearest-facility search (None = unbounded, so the time of
        far villages is known too).
    od_cutoff_min
        Cutoff of the OD tables (default: each service's threshold).
    with_od
        Compute the OD table of every service, not only of capacity services.
    progress
        ``progress(fraction, message)`` (:class:`coverage.progress.Progress`) after
        each service; the message names the service.

    Returns
    -------
    dict
        ``{service key: ServiceTravel}``; picklable, so the app can cache it.
    """
    out: dict[str, ServiceTravel] = {}
    n = len(standards.services)
    for i, service in enumerate(standards.services):
        out[service.key] = service_travel(
            demand,
            facilities,
            service,
            engines=engines,
            statuses=statuses,
            nearest_cutoff_min=nearest_cutoff_min,
            od_cutoff_min=od_cutoff_min,
            with_od=with_od,
        )
        if progress is not None:
            progress((i + 1) / n, f"travel times {i + 1}/{n}: {service.key}")
    return out
