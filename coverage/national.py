"""Province and national runs: the analysis of many prefectures, one Dask task per prefecture, merged.

Each prefecture is one data folder (or demo region).  :func:`run_regions` runs the whole analysis
(:func:`coverage.metrics.analyze`, every service of the standards) once per prefecture, on a Dask local
cluster, Dask's threaded / process scheduler, or an existing ``distributed.Client`` (a cluster of machines),
and merges the results: each village's row comes from its own prefecture's task, so the merged tables equal
the prefectures run alone.  With ``border_buffer_km`` the facilities of the *other* regions within that
distance of a region's villages are lent to its task, so that villages near a border can reach a facility
across it; each task still reports only its own villages.

Dask is optional (``python -m pip install "dask[distributed]"``): it is imported inside :func:`run_regions`
only, and ``scheduler="sync"`` runs without it.

Example
-------
>>> res = run_regions(["demo:yuxi", "demo:dali"], scheduler="distributed", n_workers=2)  # doctest: +SKIP
>>> res.totals                                   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from coverage.errors import CoverageError, InputError

__all__ = ["NationalResult", "RegionResult", "analyze_region", "run_regions"]

#: The schedulers :func:`run_regions` accepts.
SCHEDULERS = ("distributed", "processes", "threads", "sync")


class DaskMissingError(CoverageError, ImportError):
    """Dask is needed for the scheduler asked for but is not installed."""


@dataclass
class RegionResult:
    """One prefecture's task: its own villages' results (borrowed facilities included in the routing)."""

    source: str
    name: str
    summary: pd.DataFrame
    villages: pd.DataFrame
    by_unit: pd.DataFrame
    n_borrowed_facilities: int
    seconds: float


@dataclass
class NationalResult:
    """The merged run.

    Attributes
    ----------
    regions
        One :class:`RegionResult` per source, in the order given.
    summary
        Every region's per-service, per-group summary, with a ``region`` column.
    villages
        Every village's row per service (travel time, nearest facility, covered), with a ``region`` column;
        each village from its own region's task.
    totals
        Per service and group over all regions: ``covered_people``, ``total_people``, ``share``,
        ``target_share``, ``passed``.
    """

    regions: list[RegionResult]
    summary: pd.DataFrame
    villages: pd.DataFrame
    totals: pd.DataFrame


def analyze_region(source: str | Path, *, borrowed: gpd.GeoDataFrame | None = None,
                   standards_path: str | Path | None = None) -> RegionResult:
    """Open one region, build its engines and run the analysis of every service (one Dask task).

    Parameters
    ----------
    source
        A data folder or ``"demo:<key>"`` (as :func:`coverage.dataset.open_dataset` takes).
    borrowed
        Facilities of neighbouring regions to add (canonical facility table, EPSG:4326), or None.
    standards_path
        Standards YAML; None: the default standards.

    Returns
    -------
    RegionResult
    """
    from coverage.dataset import open_dataset
    from coverage.metrics import analyze, default_standards, load_standards
    from coverage.traveltime import TravelTimeEngine

    t0 = time.perf_counter()
    ds = open_dataset(source)
    std = load_standards(standards_path) if standards_path is not None else default_standards()
    facilities = ds.facilities
    if borrowed is not None and len(borrowed):
        facilities = pd.concat([facilities, borrowed.to_crs(facilities.crs)], ignore_index=True)
    graph = ds.graph()
    engines = {mode: TravelTimeEngine(graph, mode=mode) for mode in std.modes}
    res = analyze(ds.demand, facilities, standards=std, engines=engines, boundaries=ds.boundaries,
                  prefecture_name=ds.name)
    return RegionResult(source=str(source), name=ds.name, summary=res.summary, villages=res.villages,
                        by_unit=res.by_unit, n_borrowed_facilities=0 if borrowed is None else len(borrowed),
                        seconds=time.perf_counter() - t0)


def _borrowed_facilities(sources: Sequence[str], border_buffer_km: float) -> list[gpd.GeoDataFrame | None]:
    """For each region, the other regions' facilities within ``border_buffer_km`` of its villages' hull."""
    from coverage.crs import metric_crs_for
    from coverage.dataset import open_dataset

    data = [open_dataset(s) for s in sources]
    all_fac = pd.concat([d.facilities.assign(_region=i) for i, d in enumerate(data)], ignore_index=True)
    all_fac = gpd.GeoDataFrame(all_fac, geometry="geometry", crs=data[0].facilities.crs)
    out: list[gpd.GeoDataFrame | None] = []
    for i, d in enumerate(data):
        pts = d.demand.to_crs(4326).geometry
        crs = metric_crs_for(pts.x.to_numpy(), pts.y.to_numpy())
        zone = d.demand.to_crs(crs).geometry.union_all().convex_hull.buffer(border_buffer_km * 1000.0)
        others = all_fac[all_fac["_region"] != i]
        near = others[others.to_crs(crs).within(zone).to_numpy()].drop(columns="_region")
        own_ids = set(d.facilities["id"])
        if near["id"].isin(own_ids).any():
            raise InputError(f"{sources[i]}: facility ids repeat across regions (e.g. "
                             f"{near.loc[near['id'].isin(own_ids), 'id'].iloc[0]!r}); make them unique to lend "
                             "facilities across borders / 相邻地区的设施编号重复，无法跨界借用")
        out.append(near if len(near) else None)
    return out


def _totals(summary: pd.DataFrame) -> pd.DataFrame:
    keys = ["service", "group"]
    tot = summary.groupby(keys, sort=False, as_index=False)[["covered_people", "total_people"]].sum()
    tot["share"] = tot["covered_people"] / tot["total_people"].where(tot["total_people"] > 0)
    target = summary.groupby(keys, sort=False)["target_share"].first().reset_index(drop=True)
    tot["target_share"] = target.to_numpy()
    tot["passed"] = [None if pd.isna(t) or pd.isna(s) else bool(s + 1e-12 >= t)
                     for s, t in zip(tot["share"], tot["target_share"], strict=True)]
    return tot


def run_regions(sources: Sequence[str | Path], *, scheduler: str = "distributed", client: Any = None,
                n_workers: int = 2, border_buffer_km: float = 0.0,
                standards_path: str | Path | None = None) -> NationalResult:
    """Run the analysis of every region as one Dask task each and merge the results.

    Parameters
    ----------
    sources
        Data folders or ``"demo:<key>"`` names, one per prefecture.
    scheduler
        ``"distributed"`` (a ``dask.distributed.LocalCluster`` of ``n_workers`` processes, or ``client``),
        ``"processes"`` / ``"threads"`` (Dask's local schedulers) or ``"sync"`` (one after the other, no Dask).
    client
        A ``distributed.Client`` connected to a cluster (several machines); overrides ``scheduler``.
    n_workers
        Workers of the local cluster (one thread each: a task is single-threaded routing).
    border_buffer_km
        Lend each region the other regions' facilities within this distance of its villages (0: none).
    standards_path
        Standards YAML for every region; None: the default standards.

    Returns
    -------
    NationalResult

    Raises
    ------
    InputError
        No source, an unknown scheduler, a negative buffer, or facility ids repeated across regions when
        facilities are lent.
    DaskMissingError
        Dask is not installed (every scheduler except ``"sync"`` needs it).
    """
    srcs = [str(s) for s in sources]
    if not srcs:
        raise InputError("no region given / 未指定地区")
    if scheduler not in SCHEDULERS and client is None:
        raise InputError(f"scheduler {scheduler!r}: use one of {', '.join(SCHEDULERS)}")
    if not border_buffer_km >= 0:
        raise InputError(f"border_buffer_km must be >= 0, got {border_buffer_km}")
    borrowed = _borrowed_facilities(srcs, border_buffer_km) if border_buffer_km > 0 else [None] * len(srcs)
    std = None if standards_path is None else str(standards_path)
    if scheduler == "sync" and client is None:
        results = [analyze_region(s, borrowed=b, standards_path=std) for s, b in zip(srcs, borrowed, strict=True)]
    else:
        try:
            import dask
        except ImportError as exc:
            raise DaskMissingError(
                "Dask is not installed: python -m pip install \"dask[distributed]\" (or scheduler='sync') "
                "/ 未安装 Dask"
            ) from exc
        tasks = [dask.delayed(analyze_region, pure=True)(s, borrowed=b, standards_path=std)
                 for s, b in zip(srcs, borrowed, strict=True)]
        if client is not None:
            results = list(client.compute(tasks, sync=True))
        elif scheduler == "distributed":
            try:
                from distributed import Client, LocalCluster
            except ImportError as exc:
                raise DaskMissingError(
                    "dask.distributed is not installed: python -m pip install \"dask[distributed]\" / 未安装"
                ) from exc
            with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as c:
                results = list(c.compute(tasks, sync=True))
        else:
            results = list(dask.compute(*tasks, scheduler=scheduler, num_workers=n_workers))
    summary = pd.concat([r.summary.assign(region=r.name) for r in results], ignore_index=True)
    villages = pd.concat([r.villages.assign(region=r.name) for r in results], ignore_index=True)
    return NationalResult(regions=results, summary=summary, villages=villages, totals=_totals(summary))
