"""``python -m coverage export``: coverage results of one service as Excel, GeoPackage or GeoJSON.

Examples::

    python -m coverage export --data 玉溪示例 --service elderly_15min --out 覆盖结果.gpkg
    python -m coverage export --region yuxi --service children_20min --out 儿童之家覆盖.xlsx
    python -m coverage export --data 我的数据 --crs gcj02 --scenario 方案A.json --out 方案A.gpkg --service-areas

Writes the layers of :mod:`coverage.reports.layers` (villages, townships, counties,
uncovered, accepted sites of ``--scenario``, service areas) in EPSG:4326 with the same
headers as the workbook.  With ``--scenario`` the scenario's accepted sites count as
facilities, as in the app.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    from coverage.cli import exit_codes_epilog, positive_float
    from coverage.cli.data_args import add_data_arguments

    p = subparsers.add_parser(
        "export",
        help="coverage results as Excel / GeoPackage / GeoJSON (导出覆盖结果)",
        description="Coverage of one service by village, township and county, the uncovered villages, "
        "accepted sites and service areas, written as an Excel workbook (.xlsx, one sheet each), a "
        "GeoPackage (.gpkg, one layer each) or GeoJSON files (.geojson, one per layer), EPSG:4326. "
        "按村、乡镇、县的覆盖情况，未覆盖村，已采纳站点，服务范围。",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_arguments(p)
    p.add_argument("--service", default="elderly_15min",
                   help="service key of the standards, e.g. elderly_15min, children_20min (default elderly_15min)")
    p.add_argument("--standards", default=None, help="standards YAML file (default: coverage/data/standards.yaml)")
    p.add_argument("--threshold-min", type=positive_float, default=None,
                   help="travel-time threshold in minutes (default: the service's)")
    p.add_argument("--scenario", default=None, metavar="FILE.json",
                   help="a scenario saved by the app: its accepted sites count and are exported")
    p.add_argument("--service-areas", action="store_true",
                   help="also export the areas reached within the threshold (slower)")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of headers and labels")
    p.add_argument("--out", required=True, action="append",
                   help="output file .xlsx, .gpkg or .geojson (repeatable: several formats at once)")
    p.set_defaults(func=run)


def coverage_for_service(dataset: Any, *, service: str, standards_path: str | None, threshold_min: float | None,
                         sites: tuple[dict[str, Any], ...] = ()) -> tuple[Any, Any, Any]:
    """Analyse one service of ``dataset`` (with extra accepted ``sites``): (result, facilities, engine)."""
    from coverage.metrics import analyze, default_standards, load_standards
    from coverage.scenario import service_standards, with_sites
    from coverage.traveltime import TravelTimeEngine

    std = load_standards(standards_path) if standards_path else default_standards()
    one = service_standards(std, service, threshold_min=threshold_min)
    svc = one.service(service)
    facilities = with_sites(dataset.facilities, sites) if sites else dataset.facilities
    engine = TravelTimeEngine(dataset.graph(), mode=svc.mode)
    result = analyze(dataset.demand, facilities, standards=one, engines={svc.mode: engine},
                     boundaries=dataset.boundaries, prefecture_name=dataset.name)
    return result, facilities, engine


def run(args: argparse.Namespace) -> int:
    """Write the export files; prints their paths."""
    from coverage.cli.data_args import open_data, print_load_summary
    from coverage.output import output_path, writable_file
    from coverage.reports.layers import result_layers, write_layers

    outs = [output_path(o, suffixes=(".xlsx", ".gpkg", ".geojson"),
                        problem="exports are written as .xlsx, .gpkg or .geojson") for o in args.out]
    for o in outs:
        writable_file(o)
    sites: tuple[dict[str, Any], ...] = ()
    if args.scenario:
        from coverage.scenario import load_scenario

        sites = tuple(load_scenario(args.scenario).accepted_sites)
    dataset = open_data(args)
    print_load_summary(dataset)
    result, facilities, engine = coverage_for_service(dataset, service=args.service, standards_path=args.standards,
                                                      threshold_min=args.threshold_min, sites=sites)
    svc = result.standards.service(args.service)
    accepted = None
    if sites:
        from coverage.scenario import sites_frame

        accepted = sites_frame(sites)
    areas = None
    if args.service_areas:
        counted = facilities[facilities["type"].isin(svc.facility_types)]
        if len(counted):
            areas = engine.service_areas(counted, thresholds_min=[svc.threshold_min])
    layers = result_layers(result, args.service, boundaries=dataset.boundaries, accepted_sites=accepted,
                           service_areas=areas)
    minutes = "分钟" if args.lang == "zh" else "min"
    source = (f"{dataset.name} · {svc.zh if args.lang == 'zh' else svc.en} · {svc.threshold_min:g} {minutes}"
              + ("".join(f" · {p.name}" for p in dataset.files.values()) if dataset.files else ""))
    for o in outs:
        path = write_layers(layers, o, lang=args.lang, simulated=dataset.is_simulated, source=source)
        print(f"wrote {path}", file=sys.stderr)
    return 0
