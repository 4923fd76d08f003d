"""``python -m coverage demo --region yuxi|dali --out DIR``: write a demo region's input files."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    from coverage.demo.regions import REGION_SPECS

    p = subparsers.add_parser(
        "demo",
        help="write a demo region's input files (示例数据，模拟) / export a demo region",
        description="Write the demo region's villages, facilities and candidate sites as Excel lists with "
        "Chinese headers, and its boundaries and roads as a GeoPackage: the formats a planner "
        "uploads, usable as templates.  All demo data are simulated (示例数据（模拟）).",
    )
    p.add_argument(
        "--region",
        default="yuxi",
        choices=sorted(REGION_SPECS),
        help="demo region: yuxi (玉溪市, default) or dali (大理白族自治州)",
    )
    p.add_argument("--out", required=True, help="output folder (created if needed)")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="header language (default zh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the demo region; prints the files written."""
    from coverage.demo import export_demo
    from coverage.output import writable_folder

    writable_folder(args.out)
    for path in export_demo(args.region, args.out, lang=args.lang):
        print(path)
    return 0
