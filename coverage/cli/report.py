"""``python -m coverage report --region yuxi | --data DIR --service elderly_15min --sites 8 --out DIR``.

Computes coverage of one service of the standards on a demo region or a data folder,
proposes new sites (HiGHS) or takes a scenario's accepted sites (``--scenario``), and
writes the proposal workbook (.xlsx) and PDF report (maps and tables) into ``--out``.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_planning_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``map`` and ``report``: data, service, group, number of sites, scenario."""
    from coverage.cli import positive_float, positive_int, share
    from coverage.cli.data_args import add_data_arguments

    add_data_arguments(p, default_region="yuxi")
    p.add_argument(
        "--service",
        default="elderly_15min",
        help="service key of the standards (coverage/data/standards.yaml), e.g. elderly_15min, children_20min",
    )
    p.add_argument("--standards", default=None, help="standards YAML file (default: coverage/data/standards.yaml)")
    p.add_argument("--group", default=None, help="population group (default: the service's first group)")
    p.add_argument("--sites", type=positive_int, default=5, help="number of new sites to propose (default 5)")
    p.add_argument(
        "--target",
        type=share,
        default=None,
        help="instead of --sites: the fewest sites reaching this covered share, e.g. 0.9 "
        "(exit 1 when the candidates cannot reach it)",
    )
    p.add_argument(
        "--scenario",
        default=None,
        metavar="FILE.json",
        help="instead of a new proposal: report the accepted sites of a scenario saved by the app "
        "(those of the service's facility types) / 打印方案中已采纳的站点",
    )
    p.add_argument(
        "--site-type", default=None, help="facility type of the new sites (default: the service's first type)"
    )
    p.add_argument(
        "--threshold-min",
        type=positive_float,
        default=None,
        help="travel-time threshold in minutes (default: the service's)",
    )
    p.add_argument(
        "--service-areas",
        action="store_true",
        help="draw the service areas on the coverage map (slower: about a minute on a prefecture)",
    )
    p.add_argument(
        "--lang",
        default="zh",
        choices=("zh", "en"),
        help="language of the maps, workbook and PDF: zh (中文, default) or en (English)",
    )


def data_name(args: argparse.Namespace) -> str:
    """Short name of the data for output file names: the region key or the data folder's name."""
    from pathlib import Path

    return Path(args.data).resolve().name if getattr(args, "data", None) else str(args.region)


def build_report(args: argparse.Namespace, dataset: Any | None = None) -> Any:
    """Resolve the data and service of ``args`` and compute the proposal (a ProposalReport)."""
    from coverage.cli.data_args import open_data, print_load_summary
    from coverage.errors import InputError
    from coverage.metrics import default_standards, load_standards
    from coverage.reports import plan_proposal, report_for_sites
    from coverage.traveltime import TravelTimeEngine

    if dataset is None:
        dataset = open_data(args)
        print_load_summary(dataset)
    standards = load_standards(args.standards) if args.standards else default_standards()
    service = standards.service(args.service)
    groups = [g for g in service.groups if g in dataset.demand.columns]
    group = args.group or (groups[0] if groups else None)
    if group is None:
        raise InputError(
            f"service '{service.key}' measures no population group; give --group, e.g. elderly_60plus"
        )
    threshold = args.threshold_min if args.threshold_min is not None else service.threshold_min
    common: dict[str, Any] = {
        "engine": TravelTimeEngine(dataset.graph(), mode=service.mode),
        "facility_types": service.facility_types,
        "group": group,
        "threshold_min": threshold,
        "service_label": service.zh if getattr(args, "lang", "zh") == "zh" else service.en,
        "lang": getattr(args, "lang", "zh"),
        "region_name": dataset.name,
        "boundaries": dataset.boundaries,
        "simulated": dataset.is_simulated,
        "with_service_areas": args.service_areas,
    }
    if getattr(args, "scenario", None):
        from coverage.scenario import load_scenario

        scenario = load_scenario(args.scenario)
        return report_for_sites(dataset.demand, dataset.facilities, scenario.accepted_sites, **common)
    if dataset.candidates is None or not len(dataset.candidates):
        raise InputError(
            f"{dataset.name}: no candidate sites; put 候选点位.xlsx (candidates) in the data folder "
            "/ 没有候选点位，无法提出选址方案"
        )
    model = "target" if args.target is not None else "mclp"
    return plan_proposal(
        dataset.demand,
        dataset.facilities,
        dataset.candidates,
        model=model,
        p=None if model == "target" else args.sites,
        target_share=args.target,
        facility_type=args.site_type,
        **common,
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="siting proposal report: Excel workbook and PDF with maps (选址方案报告)",
        description="Compute the coverage of one service on a demo region or your data folder, propose new "
        "sites (or take a scenario's accepted sites), and write "
        "the proposal as an Excel workbook (汇总, 乡镇覆盖, 拟建站点, 未覆盖村) and a PDF "
        "report with the printed maps and tables.",
    )
    add_planning_arguments(p)
    p.add_argument("--paper", default="A4", choices=("A4", "A3"), help="paper of the PDF's maps (default A4)")
    p.add_argument(
        "--maps",
        default="proposal,coverage,distribution",
        help="maps in the PDF, comma-separated (default proposal,coverage,distribution)",
    )
    p.add_argument("--out", default="maps", help="output folder (default maps/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write ``<region>_<service>_选址方案.xlsx`` and ``.pdf`` into ``--out``; prints their paths."""
    from coverage.output import writable_folder
    from coverage.reports import write_pdf_report, write_workbook

    out = writable_folder(args.out)  # before the slow work: a file in the way or a read-only folder is exit 2
    kinds = [k.strip() for k in args.maps.split(",") if k.strip()]
    unknown = sorted(set(kinds) - {"proposal", "coverage", "distribution"})
    if unknown or not kinds:
        from coverage.errors import InputError

        raise InputError(f"--maps {args.maps!r}: use a comma-separated list of proposal, coverage, distribution")
    report = build_report(args)
    words = ("方案站点", "选址方案") if args.lang == "zh" else ("scenario_sites", "siting_proposal")
    stem = f"{data_name(args)}_{args.service}_{words[0] if args.scenario else words[1]}"
    f = report.figures()
    from coverage.metrics.standards import group_label

    group = group_label(report.group, args.lang)
    if args.lang == "zh":
        print(f"{report.region_name} {report.service_label}：{'采纳' if args.scenario else '新增'}站点 "
              f"{int(f['sites'])} 处，{group}覆盖率 {f['share_before_pct']:.1f}% → {f['share_after_pct']:.1f}%")
    else:
        n = int(f["sites"])
        print(f"{report.region_name} {report.service_label}: {n} {'accepted' if args.scenario else 'new'} "
              f"site{'' if n == 1 else 's'}; {group}: {f['share_before_pct']:.1f}% -> "
              f"{f['share_after_pct']:.1f}% covered")
    print(write_workbook(report, out / f"{stem}.xlsx"))
    print(write_pdf_report(report, out / f"{stem}.pdf", paper=args.paper, map_kinds=kinds))
    return 0
