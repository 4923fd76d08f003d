"""``python -m coverage od``: travel times between two point lists over a road network.

    python -m coverage od --graph G.graphml --from villages.csv --to facilities.csv \\
        --mode walk --cutoff-min 30 --out od.csv

``--graph`` takes GraphML, ``.osm`` / ``.osm.bz2``, ``.osm.pbf``, a road layer (``.gpkg`` / ``.shp`` /
``.geojson`` with a road-class column) or ``demo:yuxi``.  The point files are CSV (UTF-8 or GBK) or Excel
with columns ``id``, ``lon``, ``lat`` (also 编号/经度/纬度) in WGS-84 unless ``--crs gcj02|bd09`` says
otherwise.  The output is a long table ``from_id, to_id, travel_time_min`` (pairs beyond the cutoff are
absent); with ``--nearest`` one row per origin: ``from_id, to_id, travel_time_min, access_distance_m``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

_ID = ("id", "编号", "代码", "code", "name_id")

#: Table names --from/--to accept with --data / --region (Dataset attributes).
TABLES = {"villages": "demand", "demand": "demand", "村庄": "demand", "facilities": "facilities",
          "设施": "facilities", "candidates": "candidates", "候选点位": "candidates"}
_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``od`` subcommand."""
    from coverage.cli import positive_float

    p = subparsers.add_parser(
        "od", help="travel times from one point list to another over a road network (通行时间表)",
        description="Travel times (minutes) from every point of --from to the points of --to over a road "
                    "network, for walking, e-bike or car, with an access leg from each point to the nearest "
                    "road.  Writes a long table from_id,to_id,travel_time_min (pairs beyond --cutoff-min are "
                    "left out).")
    net = p.add_mutually_exclusive_group(required=True)
    net.add_argument("--graph",
                     help="road network: .graphml, .osm, .osm.bz2, .osm.pbf, road layer .gpkg/.shp/.geojson "
                          "(with a road-class column), or demo:yuxi / demo:dali")
    net.add_argument("--data", metavar="DIR",
                     help="a data folder (as `python -m coverage demo --out DIR` writes it): its road network, "
                          "and its tables by name in --from/--to")
    net.add_argument("--region", help="a demo region (yuxi, dali): its road network and tables")
    p.add_argument("--from", dest="origins", required=True,
                   help="origins: CSV/Excel with id, lon, lat, or with --data/--region a table name: "
                        f"{', '.join(TABLES)}")
    p.add_argument("--to", dest="destinations", required=True,
                   help="destinations: CSV/Excel with id, lon, lat, or a table name as for --from")
    p.add_argument("--mode", default="walk", help="walk (步行, default), ebike (电动车) or car (驾车)")
    p.add_argument("--cutoff-min", type=positive_float, default=None,
                   help="leave out pairs farther apart than this many minutes (default: keep all reachable)")
    p.add_argument("--nearest", action="store_true",
                   help="write only the nearest destination of every origin (NaN time when none reachable)")
    p.add_argument("--crs", default=None,
                   help="coordinates of the point files (and of the --data tables): wgs84 (default), gcj02, bd09")
    p.add_argument("--class-column", default=None, help="road-class column of a road layer")
    p.add_argument("--out", required=True, help="output CSV (UTF-8 with BOM, opens in Excel)")
    p.set_defaults(func=run)


def _read_points(path: str, crs: str) -> Any:
    import geopandas as gpd
    import pandas as pd

    from coverage.errors import FileReadError, MissingColumnError

    p = Path(path)
    if not p.is_file():
        raise FileReadError(f"{p}: file not found" if not p.exists() else f"{p}: is a folder, not a file")
    if p.stat().st_size == 0:
        raise FileReadError(f"{p}: the file is empty (0 bytes); give a CSV or Excel list with id, lon, lat / 文件为空")
    if p.suffix.lower() in (".xlsx", ".xls", ".xlsm"):
        try:
            df = pd.read_excel(p, dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException)
            raise FileReadError(f"{p}: not a readable .xlsx workbook ({type(exc).__name__}); open it in Excel and "
                                f"save as .xlsx / 无法读取该 Excel 文件") from exc
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                df = pd.read_csv(p, encoding=encoding, dtype=str)
                break
            except UnicodeDecodeError:
                continue
            except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
                raise FileReadError(f"{p}: cannot read it as a CSV table ({exc}); save it as CSV UTF-8 with "
                                    f"columns id, lon, lat / 无法读取该 CSV 文件") from exc
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise FileReadError(f"{p}: cannot decode it as UTF-8 or GBK text")
    lower = {str(c).strip().lower(): c for c in df.columns}

    def find(names: tuple[str, ...], what: str) -> str:
        for name in names:
            if name in lower:
                return str(lower[name])
        raise MissingColumnError(f"{p}: no {what} column; columns are {list(df.columns)}. "
                                 f"Name it one of {', '.join(names[:4])}")

    id_col, lon_col, lat_col = find(_ID, "id"), find(_LON, "longitude"), find(_LAT, "latitude")
    lon = pd.to_numeric(df[lon_col], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[lat_col], errors="coerce").to_numpy(dtype=float)
    bad = ~((abs(lon) <= 180) & (abs(lat) <= 90))
    if bad.any():
        rows = [int(i) + 2 for i in bad.nonzero()[0][:5]]
        print(f"warning: {p}: rows {rows}: missing or invalid lon/lat; they get no travel time", file=sys.stderr)
    system = crs.strip().lower()
    if system in ("gcj02", "gcj-02"):
        from coverage.inputs.crs import gcj02_to_wgs84

        lon, lat = gcj02_to_wgs84(lon, lat)
    elif system in ("bd09", "bd-09"):
        from coverage.inputs.crs import bd09_to_wgs84

        lon, lat = bd09_to_wgs84(lon, lat)
    elif system not in ("wgs84", "wgs-84", "epsg:4326", "cgcs2000", "epsg:4490"):
        from coverage.errors import InputError

        raise InputError(f"--crs must be wgs84, cgcs2000, gcj02 or bd09, not {crs!r}")
    return gpd.GeoDataFrame({"id": df[id_col].astype(str).str.strip().to_numpy()},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _points(name: str, crs: str | None, dataset: Any) -> Any:
    """A point file, or (with a dataset) one of its tables by name."""
    from coverage.errors import InputError

    if dataset is not None and name in TABLES:
        table = getattr(dataset, TABLES[name])
        if table is None or not len(table):
            raise InputError(f"{dataset.name}: no {name} table in the data / 数据中没有 {name}")
        return table[["id", "geometry"]]
    if name in TABLES:
        raise InputError(f"--from/--to {name!r} names a table: give --data DIR or --region, or a file path")
    return _read_points(name, crs or "wgs84")


def run(args: argparse.Namespace) -> int:
    """Compute the table and write it; prints a one-line summary."""
    import time

    from coverage.network import load_graph
    from coverage.output import safe_frame, writable_file
    from coverage.traveltime import TravelTimeEngine

    started = time.monotonic()
    # the quick checks first: the point files and the output path, then the (slow) road graph
    out = writable_file(args.out)
    dataset = None
    if args.data or args.region:
        from coverage.cli.data_args import open_data, print_load_summary

        args.map = []
        if args.region:
            args.crs = None
        dataset = open_data(args)
        print_load_summary(dataset)
    origins = _points(args.origins, args.crs, dataset)
    destinations = _points(args.destinations, args.crs, dataset)
    if dataset is not None:
        graph = dataset.graph()
    else:
        options = {"class_column": args.class_column} if args.class_column else {}
        graph = load_graph(args.graph, **options)
    engine = TravelTimeEngine(graph, mode=args.mode)
    if args.nearest:
        table = engine.nearest(origins, destinations, cutoff_min=args.cutoff_min)
        table = table.rename_axis("from_id").reset_index()
        table = table[["from_id", "to_id", "travel_time_min", "access_distance_m"]]
    else:
        table = engine.od(origins, destinations, cutoff_min=args.cutoff_min)
    # ids such as "=1+1" are written as text for Excel ('=1+1), numbers as numbers
    safe_frame(table, csv=True).to_csv(out, index=False, encoding="utf-8-sig", float_format="%.6f")
    share = table.attrs.get("unreachable_share", 0.0)
    print(f"{out}: {len(table)} rows ({engine.mode.key}, {len(origins)} origins x {len(destinations)} "
          f"destinations, {100 * share:.1f}% of origins reach none"
          f"{f' within {args.cutoff_min:g} min' if args.cutoff_min is not None else ''}) "
          f"in {time.monotonic() - started:.1f} s")
    return 0
