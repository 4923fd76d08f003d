"""``python -m coverage analyze``: coverage against the standards, per service and group.

Examples::

    python -m coverage analyze --region yuxi
    python -m coverage analyze --region yuxi --json > 覆盖.json
    python -m coverage analyze --data 玉溪示例 --standards 我的标准.yaml --xlsx 覆盖分析.xlsx
    python -m coverage analyze --region dali --threshold elderly_15min=10
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from typing import Any

from coverage.errors import InputError

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
    from coverage.cli.data_args import add_data_arguments

    p = subparsers.add_parser(
        "analyze",
        help="coverage against the standards / 覆盖分析",
        description="Coverage of older people, children and villages by each service against the standards: "
        "per service and group covered, total, share, target, passed; per-unit rules; capacity. "
        "按服务和人群统计覆盖人数、总数、覆盖率、目标、是否达标；单元指标；床位容量。",
    )
    add_data_arguments(p)
    p.add_argument("--standards", metavar="FILE", help="standards YAML (default coverage/data/standards.yaml)")
    p.add_argument(
        "--threshold",
        metavar="SERVICE=MIN",
        action="append",
        default=[],
        help="change one service's threshold in minutes, e.g. elderly_15min=10 (repeatable)",
    )
    p.add_argument(
        "--status",
        action="append",
        default=None,
        metavar="STATUS",
        help="count only facilities with this status (existing, planned, proposed; repeatable); "
        "default: every facility",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (UTF-8) on stdout")
    p.add_argument("--xlsx", metavar="OUT.xlsx", help="also write every table to this workbook")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of the text and workbook")
    p.set_defaults(func=run)


def _text(result: Any, lang: str, funeral: Any = None) -> str:
    """A short human-readable report (``funeral``: the funeral-demand table, if any)."""
    from coverage.metrics.analysis import verdict_label

    zh = lang == "zh"
    lines = []
    head = f"{result.prefecture_name}  " if result.prefecture_name else ""
    lines.append(head + (result.standards.name_zh if zh else result.standards.name_en))
    for r in result.summary.itertuples(index=False):
        share = "—" if r.share != r.share else f"{100 * r.share:.1f}%"
        target = (
            "—"
            if r.target_share is None or r.target_share != r.target_share
            else f"{100 * r.target_share:g}%"
        )
        ok = verdict_label(getattr(r, "status", None), lang)
        gap = (
            f"  缺口 {r.gap_people:,.0f}"
            if zh and r.passed is False
            else (f"  gap {r.gap_people:,.0f}" if r.passed is False else "")
        )
        name, group = (r.service_zh, r.group_zh) if zh else (r.service_en, r.group_en)
        lines.append(
            f"  {name} · {group}: {r.covered_people:,.0f} / {r.total_people:,.0f} = {share}"
            f"  (目标 {target}) {ok}{gap}"
            if zh
            else f"  {name} · {group}: {r.covered_people:,.0f} / {r.total_people:,.0f} = {share}"
            f"  (target {target}) {ok}{gap}"
        )
    for r in result.unit_rules.itertuples(index=False):
        ok = verdict_label(getattr(r, "status", None), lang)
        lines.append(f"  {r.rule_zh if zh else r.rule_en}: {r.units_passed}/{r.units_total} {ok}")
    for key, c in result.capacity.items():
        s = c.summary
        with contextlib.suppress(Exception):  # a service the standards no longer hold: shown by its key
            key = result.standards.service(key).label(lang)
        occ = s["expected_occupancy_share"]
        occ_text = "—" if occ is None else f"{100 * occ:.1f}%"
        if zh:
            lines.append(
                f"  {key}: 床位 {s['capacity_total']:,.0f}，按最近分配预计入住率 {occ_text}；"
                f"{s['facilities_spare']} 处设施闲置 {s['spare_capacity_in_spare_facilities']:,.0f} 张，"
                f"同时 {s['villages_unmet']} 个村未满足需求 {s['unmet_demand']:,.0f} 人"
            )
        else:
            lines.append(
                f"  {key}: {s['capacity_total']:,.0f} places, expected occupancy {occ_text}; "
                f"{s['facilities_spare']} facilities with {s['spare_capacity_in_spare_facilities']:,.0f} "
                f"spare while {s['villages_unmet']} villages have {s['unmet_demand']:,.0f} unmet"
            )
        if s.get("actual_occupancy_share") is not None:
            act = f"{100 * s['actual_occupancy_share']:.2f}%"
            lines.append(
                f"    实际入住 {s['residents_total']:,.0f} 人（{s['facilities_with_residents']} 处机构填报），"
                f"实际入住率 {act}；预计 {occ_text}"
                if zh
                else f"    actual: {s['residents_total']:,.0f} residents in {s['facilities_with_residents']} "
                f"facilities reporting, occupancy {act}; expected {occ_text}"
            )
        if c.by_county is not None and len(c.by_county):
            bc = c.by_county.sort_values("expected_occupancy_share", na_position="last")
            parts = [
                f"{r.county_name} {100 * r.expected_occupancy_share:.0f}%"
                for r in bc.itertuples(index=False)
                if r.expected_occupancy_share == r.expected_occupancy_share
            ]
            lines.append(
                ("    各县预计入住率：" if zh else "    expected occupancy by county: ") + ", ".join(parts)
            )
    if funeral is not None and len(funeral):
        tot = funeral.iloc[-1]
        counties = funeral.loc[funeral["short"].astype(bool) & (funeral["county_code"] != "all")]
        short = "、".join(str(n) for n in counties["county_name"])
        lines.append(
            f"  殡葬需求：年死亡约 {tot.deaths_per_year:,.0f} 人；公墓墓穴 {tot.cemetery_plots:,.0f} 个可用 "
            f"{tot.cemetery_years:.1f} 年，骨灰格位 {tot.ash_places:,.0f} 个可用 {tot.ash_years:.1f} 年"
            + (f"；不足年限的县：{short}" if short else "")
            if zh
            else f"  funeral demand: about {tot.deaths_per_year:,.0f} deaths a year; {tot.cemetery_plots:,.0f} "
            f"cemetery plots last {tot.cemetery_years:.1f} years, {tot.ash_places:,.0f} ash places "
            f"{tot.ash_years:.1f} years" + (f"; counties short: {short}" if short else "")
        )
    lack = int(result.one_old_one_young["lacks_both"].sum())
    lines.append(
        f"  一老一小均缺的村：{lack}" if zh else f"  villages lacking both elderly and child service: {lack}"
    )
    for note in result.notes:
        lines.append(f"  注：{note}" if zh else f"  note: {note}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the analysis; returns the exit code (0 even when targets are not met)."""
    from coverage.cli.data_args import open_data, print_load_summary
    from coverage.metrics import analyze, default_standards, load_standards
    from coverage.traveltime import TravelTimeEngine

    t0 = time.perf_counter()
    if args.xlsx:
        from coverage.output import output_path, writable_file

        output_path(args.xlsx, suffixes=(".xlsx",), problem="the workbook must be an .xlsx file")
        writable_file(args.xlsx)
    std = load_standards(args.standards) if args.standards else default_standards()
    for item in args.threshold:
        key, sep, minutes = item.partition("=")
        try:
            value = float(minutes)
        except ValueError:
            value = float("nan")
        if not sep or not value > 0:
            raise InputError(f"--threshold {item!r}: write SERVICE=MINUTES, e.g. elderly_15min=10")
        std = std.with_threshold(key.strip(), value)
    dataset = open_data(args)
    print_load_summary(dataset)
    demand, facilities, boundaries, name = dataset.demand, dataset.facilities, dataset.boundaries, dataset.name
    graph = dataset.graph()
    t1 = time.perf_counter()
    engines = {mode: TravelTimeEngine(graph, mode=mode) for mode in std.modes}
    t2 = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        logger.info("%s (%.0f%%)", message, 100 * fraction)

    result = analyze(
        demand,
        facilities,
        standards=std,
        engines=engines,
        boundaries=boundaries,
        statuses=tuple(args.status) if args.status else None,
        progress=progress,
        prefecture_name=name,
    )
    t3 = time.perf_counter()
    logger.info("load %.1f s, engines %.1f s, analysis %.1f s", t1 - t0, t2 - t1, t3 - t2)
    if args.xlsx:
        path = result.to_excel(args.xlsx, lang=args.lang, simulated=dataset.is_simulated, source=name)
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        print(result.to_json())
    else:
        print(_text(result, args.lang, result.funeral))  # funeral demand by county: part of the result
    return 0
