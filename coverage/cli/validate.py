"""``python -m coverage validate FILE --kind demand|facilities|candidates|boundaries``.

Loads a planner's file the way the library does, prints the counts, the
coordinate system assumed and every problem (file, row, column, value, reason,
fix), or with ``--json`` a machine-readable report.  Exit codes: 0 all rows
loaded, 1 rows were rejected (or a required column is missing), 2 the file
cannot be read (or its coordinate system cannot be known).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

KINDS = ("demand", "facilities", "candidates", "boundaries")


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand."""
    from coverage.cli import nonnegative_float

    parser = subparsers.add_parser(
        "validate",
        help="check an input file and list every problem / 检查输入文件并列出所有问题",
        description="Load FILE as the library does and list every problem with its row, column, value and fix. "
                    "Exit 0: all rows loaded; 1: rows rejected; 2: the file cannot be read. / "
                    "检查输入文件：退出码 0 全部载入，1 有行被拒绝，2 文件无法读取。",
    )
    parser.add_argument("file", help=".xlsx, .csv, .geojson, .gpkg, .shp or .zip")
    parser.add_argument("--kind", required=True, choices=KINDS, help="what the file holds / 文件内容")
    parser.add_argument("--sheet", default=None, help="worksheet (.xlsx) or layer (.gpkg) / 工作表或图层")
    parser.add_argument("--crs", default=None,
                        help="coordinate system: wgs84, gcj02 (Amap/Tencent), bd09 (Baidu), cgcs2000 or EPSG:n; "
                             "overrides a layer's own / 坐标系")
    parser.add_argument("--map", action="append", default=[], metavar="HEADER=COLUMN",
                        help="use HEADER as the canonical COLUMN, e.g. --map '户籍人口=population' (repeatable)")
    parser.add_argument("--region", default=None, metavar="FILE|BBOX",
                        help="study region: a boundary layer (.geojson/.gpkg/.shp) or lon_min,lat_min,lon_max,lat_max; "
                             "points far outside it are rejected, saying how far / 研究区域")
    parser.add_argument("--region-tolerance-km", type=nonnegative_float, default=5.0,
                        help="distance outside the region still accepted [km] (default 5)")
    parser.add_argument("--standards", default=None, metavar="FILE",
                        help="standards YAML whose facility_types section names types of your own "
                             "/ 含自定义设施类型的标准文件")
    parser.add_argument("--json", action="store_true", help="print the report as JSON / 输出 JSON")
    parser.add_argument("--strict", action="store_true", help="fail on any rejected row / 严格模式")
    parser.add_argument("--lang", choices=("zh", "en", "both"), default="both", help="language of the text report")
    parser.set_defaults(func=run)


def _print(text: str, *, file: Any = None) -> None:
    stream = file or sys.stdout
    try:
        print(text, file=stream)
    except UnicodeEncodeError:  # a Windows console without a Chinese code page
        stream.flush()
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", errors="replace"))
    except BrokenPipeError:  # output piped into `head` or `more` that stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _region(value: str | None) -> Any:
    """A --region value: None, a bbox tuple, or the polygons of a boundary layer."""
    if value is None:
        return None
    parts = value.replace("，", ",").split(",")
    if len(parts) == 4:
        try:
            return tuple(float(p) for p in parts)
        except ValueError:
            pass
    import geopandas as gpd

    from coverage.errors import FileReadError

    try:
        layer = gpd.read_file(value)
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise FileReadError(f"--region {value}: neither lon_min,lat_min,lon_max,lat_max nor a readable boundary "
                            f"layer ({exc})") from exc
    return layer


def run(args: argparse.Namespace) -> int:
    """Validate the file; returns the exit code."""
    from coverage.errors import CRSError, FileReadError, MissingColumnError, ValidationError
    from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities

    loaders = {"demand": load_demand, "facilities": load_facilities, "candidates": load_candidates,
               "boundaries": load_boundaries}
    mapping = {}
    for item in args.map:
        header, sep, column = item.partition("=")
        if not sep or not header or not column:
            print(f"error: --map expects HEADER=COLUMN, got '{item}'", file=sys.stderr)
            return 2
        mapping[header.strip()] = column.strip()
    try:
        if args.standards:
            from coverage.metrics import load_standards

            load_standards(args.standards)  # registers its own facility types before the file is read
        region = _region(args.region)
        result = loaders[args.kind](args.file, sheet=args.sheet, crs=args.crs, columns=mapping or None,
                                    strict=args.strict, region=region,
                                    region_tolerance_km=args.region_tolerance_km)
    except (FileReadError, CRSError) as exc:
        if args.json:
            _print(json.dumps({"file": args.file, "kind": args.kind, "readable": False, "error": str(exc)},
                              ensure_ascii=False, indent=2))
        else:
            _print(f"error: {exc}", file=sys.stderr)
        return 2
    except (MissingColumnError, ValidationError) as exc:
        report = getattr(exc, "report", None)
        if args.json and report is not None:
            payload = report.to_dict()
            payload.update(readable=True, error=str(exc).splitlines()[0])
            _print(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            _print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
            if report is not None:
                _print(report.summary(lang=args.lang))
        return 1
    report = result.report
    if args.json:
        payload = report.to_dict()
        payload["readable"] = True
        _print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(report.summary(lang=args.lang))
    return 1 if report.n_rejected or report.errors else 0
