"""One input model for the app and every subcommand: a demo region or a data folder.

A planner's data is a folder of files with the documented headers, as
``python -m coverage demo --out DIR`` writes it (the demo files double as
templates)::

    村庄名单.xlsx   villages / communities with people by group     (required)
    设施名单.xlsx   facilities                                       (required)
    候选点位.xlsx   candidate sites                                  (optional: siting needs it)
    边界与路网.gpkg layers ``boundaries`` (+ ``prefecture``) and ``roads``
    路网.graphml / *.osm.pbf / *.osm / roads.gpkg   a road network instead of the ``roads`` layer

English names (``villages.xlsx``, ``facilities.csv``, ``candidates.xlsx``, ``layers.gpkg``,
``roads.graphml`` ...) and CSV instead of Excel are accepted; :data:`DATA_FILES` lists
every name looked for, first match wins.  :func:`open_dataset` loads and validates every
table (rows that cannot be used are reported, never dropped silently), and builds the
road graph only when asked (:meth:`Dataset.graph`).  A demo region is the same object
(``open_dataset("demo:yuxi")``), so the command line, the app and the notebooks share
one path from files to results.

Example
-------
>>> ds = open_dataset("demo:yuxi")              # doctest: +SKIP
>>> ds = open_dataset("玉溪示例", crs="gcj02")   # doctest: +SKIP
>>> ds.demand, ds.facilities, ds.candidates, ds.boundaries, ds.graph()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx

from coverage.errors import FileReadError, InputError

__all__ = ["DATA_FILES", "Dataset", "find_data_files", "is_simulated_file", "open_dataset"]

logger = logging.getLogger(__name__)

#: File names looked for in a data folder, by table; the first that exists is used.
DATA_FILES: dict[str, tuple[str, ...]] = {
    "demand": ("村庄名单.xlsx", "村庄名单.csv", "villages.xlsx", "villages.csv", "demand.xlsx", "demand.csv"),
    "facilities": ("设施名单.xlsx", "设施名单.csv", "facilities.xlsx", "facilities.csv", "facilities.geojson",
                   "facilities.gpkg"),
    "candidates": ("候选点位.xlsx", "候选点位.csv", "candidates.xlsx", "candidates.csv"),
    "layers": ("边界与路网.gpkg", "layers.gpkg", "boundaries.gpkg", "行政区划.gpkg"),
    "graph": ("路网.graphml", "roads.graphml", "graph.graphml", "路网.osm.pbf", "roads.osm.pbf", "路网.osm",
              "roads.osm", "路网.gpkg", "roads.gpkg", "路网.shp", "roads.shp", "roads.geojson"),
}

#: What each table is called in messages.
_TABLE_NAMES: dict[str, str] = {
    "demand": "村庄名单 village list", "facilities": "设施名单 facility list",
    "candidates": "候选点位 candidate sites", "layers": "边界与路网 boundaries and roads",
    "graph": "路网 road network",
}

#: The mark the demo's exported layers carry in their note column.
_SIMULATED_MARKS = ("示例数据（模拟）", "simulated")


@dataclass
class Dataset:
    """The inputs of one planning run, loaded and validated.

    Attributes
    ----------
    key
        Hashable identity of everything that changes the loaded data: the demo region,
        or the folder's file names with their content digests, the coordinate system
        and the column mapping.  Cache results under it.
    name
        The prefecture (or folder) name used in titles.
    demand, facilities
        Canonical tables (:mod:`coverage.model`), EPSG:4326.
    candidates, boundaries
        Canonical tables, or ``None`` when the folder has none.
    is_simulated
        True for the demo and for files exported from it (their note column says so).
    files
        The file used for each table (empty for a demo region).
    reports
        The validation report of each loaded table (``coverage.inputs.ValidationReport``).
    rejected
        Rows rejected per table (they are in the reports; none is dropped silently).
    crs_assumed
        The coordinate system assumed per table, e.g. "GCJ-02 (Amap/Tencent) -> WGS-84".
    """

    key: tuple[Any, ...]
    name: str
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None
    boundaries: gpd.GeoDataFrame | None
    is_simulated: bool = False
    files: dict[str, Path] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    crs_assumed: dict[str, str] = field(default_factory=dict)
    _graph_loader: Callable[[], nx.MultiDiGraph] | None = field(default=None, repr=False)
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False)

    @property
    def has_roads(self) -> bool:
        """Whether a road network is available (demo, graph file or ``roads`` layer)."""
        return self._graph_loader is not None or self._graph is not None

    def graph(self) -> nx.MultiDiGraph:
        """The road network (built on first call, then kept).

        Raises
        ------
        FileReadError
            The folder has no road network; the message names the files looked for.
        """
        if self._graph is None:
            if self._graph_loader is None:
                raise FileReadError(
                    f"{self.name}: no road network. Put a 'roads' layer in {DATA_FILES['layers'][0]} or one of "
                    f"{', '.join(DATA_FILES['graph'][:4])} in the folder / 数据文件夹中没有路网：请放入"
                    f"{DATA_FILES['layers'][0]}（含 roads 图层）或 路网.graphml"
                )
            self._graph = self._graph_loader()
        return self._graph

    def summary_lines(self) -> list[str]:
        """One line per table: file, rows loaded, rows rejected, coordinate system."""
        lines = []
        for kind in ("demand", "facilities", "candidates", "boundaries"):
            table = getattr(self, kind)
            if table is None:
                continue
            where = self.files.get(kind)
            rejected = self.rejected.get(kind, 0)
            crs = self.crs_assumed.get(kind, "")
            lines.append(
                f"{where.name if where else kind}: {len(table)} rows"
                + (f", {rejected} rejected" if rejected else "")
                + (f" ({crs})" if crs else "")
            )
        return lines


def find_data_files(folder: str | Path) -> dict[str, Path | None]:
    """The file of each table in a data folder (``None`` where there is none).

    Raises
    ------
    FileReadError
        ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileReadError(
            f"{folder}: not a folder. Give the folder that holds {DATA_FILES['demand'][0]} and "
            f"{DATA_FILES['facilities'][0]} (as `python -m coverage demo --out DIR` writes it) / 不是文件夹"
        )
    found: dict[str, Path | None] = {}
    for kind, names in DATA_FILES.items():
        found[kind] = next((folder / n for n in names if (folder / n).is_file()), None)
    return found


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _layer_names(path: Path) -> list[str]:
    import pyogrio

    try:
        return [str(name) for name, *_ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise FileReadError(f"{path}: cannot be read as a GeoPackage/GIS file ({exc}) / 无法读取该图层文件") from exc


def _is_simulated(path: Path, layers: list[str]) -> bool:
    import pyogrio

    for layer in ("boundaries", "roads"):
        if layer not in layers:
            continue
        try:
            table = pyogrio.read_dataframe(path, layer=layer, read_geometry=False, max_features=5)
        except Exception:
            continue
        for col in ("备注", "Note", "note"):
            if col in table.columns and table[col].astype(str).str.contains("|".join(_SIMULATED_MARKS)).any():
                return True
    return False


def is_simulated_file(path: str | Path) -> bool:
    """Whether a GeoPackage is the demo's export: its ``boundaries``/``roads`` layers carry the simulated mark.

    The same rule :func:`open_dataset` applies to a folder's layers, for a file uploaded alone.

    Raises
    ------
    FileReadError
        The file cannot be read as a GIS file.
    """
    path = Path(path)
    return _is_simulated(path, _layer_names(path))


def _prefecture_name(path: Path, layers: list[str]) -> str | None:
    import pyogrio

    if "prefecture" not in layers:
        return None
    try:
        pref = pyogrio.read_dataframe(path, layer="prefecture", read_geometry=False)
    except Exception:
        return None
    if "name" in pref.columns and len(pref) and isinstance(pref["name"].iloc[0], str):
        return str(pref["name"].iloc[0])
    return None


def open_dataset(source: str | Path, *, crs: Any = None, columns: Mapping[str, str] | None = None,
                 region_tolerance_km: float | None = None) -> Dataset:
    """Load a demo region (``"demo:yuxi"``) or a data folder, validated.

    Parameters
    ----------
    source
        ``"demo:yuxi"`` / ``"demo:dali"`` (or just the region key), or a folder path.
    crs
        Coordinate system of the folder's tables (``wgs84``, ``gcj02``, ``bd09``,
        ``cgcs2000``, ``EPSG:n``); ``None``: as their headers say, else WGS-84.  GIS
        layers use their own CRS.
    columns
        Extra header mapping for every table, e.g. ``{"户籍人口": "population"}``.
    region_tolerance_km
        Points farther than this outside the boundaries are rejected (default: the
        loaders' 5 km); only when the folder has boundaries.

    Returns
    -------
    Dataset

    Raises
    ------
    FileReadError
        Not a folder, a required table missing, or a file that cannot be read.
    InputError
        A table cannot be used (e.g. a required column is missing); the message names
        the file and column.
    """
    text = str(source)
    if text.startswith("demo:") or text in _demo_keys():
        return _open_demo(text.removeprefix("demo:"))
    return _open_folder(Path(source), crs=crs, columns=columns, region_tolerance_km=region_tolerance_km)


def _demo_keys() -> tuple[str, ...]:
    from coverage.demo import REGIONS

    return tuple(REGIONS)


def _open_demo(key: str) -> Dataset:
    from coverage.demo import load_demo

    region = load_demo(key)
    return Dataset(
        key=("demo", region.key), name=region.name_zh, demand=region.demand, facilities=region.facilities,
        candidates=region.candidates, boundaries=region.boundaries, is_simulated=region.is_simulated,
        _graph_loader=region.graph,
    )


def _open_folder(folder: Path, *, crs: Any, columns: Mapping[str, str] | None,
                 region_tolerance_km: float | None) -> Dataset:
    from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities

    files = find_data_files(folder)
    for kind in ("demand", "facilities"):
        if files[kind] is None:
            raise FileReadError(
                f"{folder}: no {_TABLE_NAMES[kind]}; expected one of {', '.join(DATA_FILES[kind])} "
                f"/ 文件夹中缺少{_TABLE_NAMES[kind].split()[0]}"
            )
    layers_path = files["layers"]
    layers = _layer_names(layers_path) if layers_path is not None else []
    boundaries = None
    reports: dict[str, Any] = {}
    rejected: dict[str, int] = {}
    crs_assumed: dict[str, str] = {}
    used: dict[str, Path] = {}
    if layers_path is not None and "boundaries" in layers:
        res = load_boundaries(layers_path, sheet="boundaries", columns=dict(columns or {}))
        boundaries = res.data
        reports["boundaries"], rejected["boundaries"] = res.report, len(res.rejected)
        crs_assumed["boundaries"] = res.crs_assumed
        used["boundaries"] = layers_path
    options: dict[str, Any] = {"crs": crs, "columns": dict(columns or {})}
    if boundaries is not None and len(boundaries):
        options["region"] = boundaries
        if region_tolerance_km is not None:
            options["region_tolerance_km"] = region_tolerance_km
    tables: dict[str, gpd.GeoDataFrame | None] = {"candidates": None}
    for kind, loader in (("demand", load_demand), ("facilities", load_facilities),
                         ("candidates", load_candidates)):
        path = files[kind]
        if path is None:
            continue
        res = loader(path, **options)
        tables[kind] = res.data
        reports[kind], rejected[kind], crs_assumed[kind] = res.report, len(res.rejected), res.crs_assumed
        used[kind] = path
        if len(res.rejected):
            logger.info("%s: %d row(s) rejected; `python -m coverage validate %s` lists them",
                           path.name, len(res.rejected), path)
    graph_loader: Callable[[], nx.MultiDiGraph] | None = None
    if files["graph"] is not None:
        graph_path = files["graph"]
        used["graph"] = graph_path

        def graph_loader() -> nx.MultiDiGraph:
            from coverage.network import load_graph

            return load_graph(graph_path)
    elif layers_path is not None and "roads" in layers:
        roads_path = layers_path

        def graph_loader() -> nx.MultiDiGraph:
            from coverage.network import graph_from_road_layer

            return graph_from_road_layer(roads_path, layer="roads")
    name = (_prefecture_name(layers_path, layers) if layers_path is not None else None) or folder.name
    simulated = _is_simulated(layers_path, layers) if layers_path is not None else False
    key = (
        "folder", str(folder.resolve()),
        tuple(sorted((k, p.name, _digest(p)) for k, p in used.items())),
        str(crs), tuple(sorted((columns or {}).items())), region_tolerance_km,
    )
    demand, facilities = tables["demand"], tables["facilities"]
    if demand is None or facilities is None:  # pragma: no cover - required above
        raise InputError(f"{folder}: village and facility lists are required")
    return Dataset(
        key=key, name=name, demand=demand, facilities=facilities, candidates=tables["candidates"],
        boundaries=boundaries, is_simulated=simulated, files=used, reports=reports, rejected=rejected,
        crs_assumed=crs_assumed, _graph_loader=graph_loader,
    )
