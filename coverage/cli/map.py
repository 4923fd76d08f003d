"""``python -m coverage map --region yuxi | --data DIR --kind distribution|coverage|proposal --paper A3
--orientation landscape --out FILE.pdf|.png``: a printed map of a demo region or a data folder."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``map`` subcommand."""
    from coverage.cli import int_range
    from coverage.cli.report import add_planning_arguments

    p = subparsers.add_parser(
        "map",
        help="print a map: distribution, coverage or siting proposal (A4/A3, PDF/PNG) / 打印地图",
        description="Print a map of a demo region or your data folder with title, legend, scale bar, north "
        "arrow, boundaries, "
        "source and date: the distribution of older people and left-behind children, the "
        "coverage of a service, or a siting proposal.  PDF is vector with the Chinese font "
        "embedded; PNG is 300 dpi.",
    )
    p.add_argument(
        "--kind",
        default="distribution",
        choices=("distribution", "coverage", "proposal"),
        help="distribution (一老一小分布), coverage (服务覆盖) or proposal (选址方案)",
    )
    p.add_argument("--paper", default="A4", choices=("A4", "A3"), help="paper size (default A4)")
    p.add_argument(
        "--orientation",
        default="landscape",
        choices=("landscape", "portrait"),
        help="landscape (横向, default) or portrait (纵向)",
    )
    p.add_argument(
        "--style",
        default="symbols",
        choices=("symbols", "choropleth"),
        help="distribution map: graduated symbols by village or choropleth by township",
    )
    # the range of coverage.mapping.printmap.MIN_DPI..MAX_DPI (not imported here: --help stays fast)
    p.add_argument("--dpi", type=int_range(72, 1200), default=300, help="PNG resolution, 72..1200 (default 300)")
    p.add_argument("--out", default=None, help="output .pdf or .png (default maps/<region>_<kind>.pdf)")
    add_planning_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the map and write it; prints the path."""
    from coverage.cli.report import data_name
    from coverage.mapping.printmap import distribution_map, save_map
    from coverage.output import output_path, writable_file

    out = Path(args.out) if args.out else Path("maps") / f"{data_name(args)}_{args.kind}.pdf"
    # refuse a wrong suffix or an unwritable path before the map is drawn
    output_path(out, suffixes=(".pdf", ".png"), problem="unsupported map format '{suffix}'; use .pdf or .png")
    writable_file(out)
    from coverage.cli.data_args import open_data, print_load_summary

    dataset = open_data(args)
    print_load_summary(dataset)
    if args.kind == "distribution":
        groups = [args.group] if args.group else ["elderly_60plus", "left_behind_children"]
        fig = distribution_map(
            dataset.demand,
            boundaries=dataset.boundaries,
            groups=groups,
            style=args.style,
            region_name=dataset.name,
            paper=args.paper,
            orientation=args.orientation,
            simulated=dataset.is_simulated,
            lang=args.lang,
        )
    else:
        from coverage.cli.report import build_report
        from coverage.reports import map_for_report

        report = build_report(args, dataset)
        fig = map_for_report(report, args.kind, paper=args.paper, orientation=args.orientation)
    print(save_map(fig, out, dpi=args.dpi))
    return 0
