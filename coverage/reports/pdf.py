"""The proposal PDF: the printed maps and the main tables in one file.

Pages: the siting-proposal map, the coverage map (existing facilities), the
distribution map of the group, then the before/after figures with the proposed
sites and their reasons, coverage by township, and the villages still
uncovered (the longest lists are cut, saying where the full list is).  A4 by
default; fonts are embedded (the shipped Noto Sans CJK SC, see
:mod:`coverage.mapping.fonts`) and the text is searchable.

Example
-------
>>> from coverage.reports import write_pdf_report
>>> write_pdf_report(report, "maps/玉溪市_选址方案.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coverage.errors import InputError
from coverage.mapping import style
from coverage.mapping.fonts import cjk_rc, warn_missing_glyphs
from coverage.mapping.printmap import (
    MAP_KINDS,
    coverage_map,
    distribution_map,
    page_size_mm,
    proposal_map,
)
from coverage.output import output_path
from coverage.reports.proposal import REPORT_TEXT, TABLE_KEYS, ProposalReport
from coverage.taxonomy import POPULATION_GROUPS

__all__ = ["map_for_report", "write_pdf_report"]

logger = logging.getLogger(__name__)

_MM_PER_INCH = 25.4

#: The PDF's own words (the tables' are :data:`coverage.reports.proposal.REPORT_TEXT`), ``key: (zh, en)``.
PDF_TEXT: dict[str, tuple[str, str]] = {
    "summary_page": ("方案摘要", "Summary"),
    "summary_text": ("在现有 {n_fac} 处设施基础上新增 {n_sites} 处站点，{reach}内的{group}由 {before:,.0f} 人"
                     "（{before_pct:.1f}%）增至 {after:,.0f} 人（{after_pct:.1f}%），新增覆盖 {new:,.0f} 人、"
                     "{new_villages:.0f} 个村(社区)；方案实施后仍有 {left:.0f} 个村(社区)未覆盖。",
                     "{n_sites} new sites beside the {n_fac} existing facilities bring the {group} within {reach} "
                     "from {before:,.0f} ({before_pct:.1f}%) to {after:,.0f} ({after_pct:.1f}%): {new:,.0f} "
                     "people and {new_villages:.0f} {new_word} newly covered; {left:.0f} {left_word} uncovered."),
    "before_after": ("方案前后对比", "Before and after"),
    "missing_glyphs": ("注：以下生僻字没有可用字体，在本报告中显示为方框（请安装含这些字的字体，如 SimSun-ExtB 或"
                       "花园明朝 HanaMinB）：{chars}",
                       "Note: no installed font has these rare characters, printed as boxes in this report "
                       "(install a font that has them, e.g. SimSun-ExtB or HanaMinB): {chars}"),
    "sites_page": ("拟建站点及选址理由", "Proposed sites and their reasons"),
    "continued": ("{heading}（续）", "{heading} (continued)"),
    "no_sites": ("（无拟建站点）", "(no proposed site)"),
    "townships_page": ("各乡(镇、街道)覆盖情况（现状与方案后）", "Coverage by township (today and with the proposal)"),
    "uncovered_page": ("方案实施后仍未覆盖的村(社区)", "Villages still uncovered with the proposal"),
    "uncovered_note": ("按{group}人数从多到少排列；“至最近现有设施”为{mode}时间，空白表示超出搜索范围或不可达。",
                       "Most {group} first; the time to the nearest existing facility is by {mode}; empty: beyond "
                       "the search range or unreachable."),
    "cut": ("共 {n} 行，此处列出前 {m} 行；完整名单见 Excel 工作簿。",
            "{n} rows, the first {m} listed here; the full list is in the Excel workbook."),
    "site_head": ("{no}. {name}（{what}）", "{no}. {name} ({what})"),
    "fact_gain": ("新增覆盖{group} {n:,.0f} 人", "{group} newly covered: {n:,.0f}"),
    "fact_villages": ("新增覆盖村(社区) {n:.0f} 个", "villages newly covered: {n:.0f}"),
    "fact_cost": ("估算投资 {n:,.1f} 万元", "estimated cost {n:,.1f} (10k yuan)"),
    "fact_where": ("编号 {id}，经纬度 {lon:.5f}, {lat:.5f}", "ID {id}, lon/lat {lon:.5f}, {lat:.5f}"),
    "reasons": ("理由：{text}", "Reasons: {text}"),
    "alternatives": ("备选：{text}", "Alternatives: {text}"),
    "page_no": ("— {n} —", "— {n} —"),
}


def _text(key: str, lang: str, **fields: Any) -> str:
    zh, en = PDF_TEXT[key]
    return (zh if lang == "zh" else en).format(**fields)


def _mid_sentence(label: str, lang: str) -> str:
    """An English label as it reads mid-sentence ("Older people (60+)" -> "older people (60+)"); zh unchanged."""
    if lang == "en" and label[:1].isupper() and not label[1:2].isupper():
        return label[:1].lower() + label[1:]
    return label


def map_for_report(
    report: ProposalReport,
    kind: str,
    *,
    paper: str = "A4",
    orientation: str = "landscape",
    source: str | None = None,
) -> Figure:
    """One of the printed maps of a proposal.

    Parameters
    ----------
    report
        The proposal.
    kind
        "distribution" (the group and, for older people, left-behind children
        by village), "coverage" (existing facilities and their reach) or
        "proposal" (existing and proposed sites, before/after).
    paper, orientation
        "A4"/"A3", "landscape"/"portrait".
    source
        Data-source line of the footer (default: the map module's).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        For an unknown kind.
    """
    if kind not in MAP_KINDS:
        raise InputError(f"unknown map kind '{kind}': use one of {', '.join(MAP_KINDS)}")
    common: dict[str, Any] = {
        "paper": paper,
        "orientation": orientation,
        "region_name": report.region_name,
        "simulated": report.simulated,
        "date": report.date,
        "boundaries": report.boundaries,
        "lang": report.lang,
    }
    if source:
        common["source"] = source
    if kind == "distribution":
        kind_of = POPULATION_GROUPS[report.group].kind
        partner = "left_behind_children" if kind_of != "child" else "elderly_60plus"
        groups = [report.group] + (
            [partner] if partner in report.demand.columns and partner != report.group else []
        )
        return distribution_map(report.demand, groups=groups, **common)
    service = {
        "service_label": report.service_label,
        "threshold_min": report.threshold_min,
        "mode_label": report.mode_label,
        "facility_types": list(report.facility_types) or None,
    }
    if kind == "coverage":
        return coverage_map(
            report.demand,
            report.facilities,
            covered=report.covered_before,
            group=report.group,
            service_areas=report.service_areas,
            **service,
            **common,
        )
    gains = None
    if "new_people" in report.sites.columns and "id" in report.sites.columns:
        gains = dict(zip(report.sites["id"], report.sites["new_people"], strict=True))
    return proposal_map(
        report.demand,
        report.facilities,
        report.sites,
        covered_before=report.covered_before,
        covered_after=report.covered_after,
        group=report.group,
        site_gain=gains,
        **service,
        **common,
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _wrap(text: str, width: int) -> str:
    """Wrap text to ``width`` display columns (CJK characters count two): between any two Chinese
    characters, and between words of Latin text (a word longer than a line is cut)."""
    tokens = re.findall(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|\s+|.", str(text))
    lines: list[str] = []
    line, used = "", 0
    for token in tokens:
        w = _width(token)
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        if used + w > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        while w > width:  # a word longer than the line
            cut, n = "", 0
            for ch in token:
                if n + _width(ch) > width:
                    break
                cut, n = cut + ch, n + _width(ch)
            lines.append(cut)
            token = token[len(cut):]
            w = _width(token)
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def _fmt(value: Any, column: str, report: ProposalReport | None = None) -> str:
    t = report.t if report is not None else (lambda key: REPORT_TEXT[key][0])
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—" if column != t("township") else ""
    if isinstance(value, (float, np.floating)):
        one_decimal = {t(k) for k in ("covered_today_pct", "covered_after_pct", "share_pct", "to_nearest", "cost")}
        if column in one_decimal or "%" in column:
            return f"{value:,.1f}"
        if column in (t("lon"), t("lat")):
            return f"{value:.5f}"
        return f"{value:,.0f}"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return str(value)


class _Doc:
    """A4 pages of text and tables."""

    def __init__(self, pdf: PdfPages, report: ProposalReport, paper: str) -> None:
        self.pdf = pdf
        self.report = report
        self.width_mm, self.height_mm = page_size_mm(paper, "portrait")
        self.page_no = 0

    def new_page(self, heading: str) -> tuple[Figure, Any]:
        fig = Figure(figsize=(self.width_mm / _MM_PER_INCH, self.height_mm / _MM_PER_INCH))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.08, 0.07, 0.84, 0.84))
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        title = self.report.title
        fig.text(0.08, 0.955, title, ha="left", va="center", fontsize=9, color="#555555")
        fig.text(0.92, 0.955, self.report.date, ha="right", va="center", fontsize=9, color="#555555")
        fig.text(0.08, 0.925, heading, ha="left", va="center", fontsize=15, color="#111111")
        if self.report.simulated:
            fig.text(0.92, 0.925, style.text("simulated", self.report.lang), ha="right", va="center", fontsize=10,
                     color="#c00000")
        return fig, ax

    def finish(self, fig: Figure) -> None:
        self.page_no += 1
        fig.text(0.5, 0.035, _text("page_no", self.report.lang, n=self.page_no), ha="center", va="center",
                 fontsize=8, color="#777777")
        self.pdf.savefig(fig)

    def table(
        self,
        ax: Any,
        df: pd.DataFrame,
        *,
        top: float,
        col_widths: Sequence[float],
        fontsize: float = 7.5,
        wrap: dict[str, int] | None = None,
        max_height: float | None = None,
    ) -> tuple[float, int]:
        """Draw rows of ``df`` from ``top`` (axes fraction) down; returns (bottom, rows drawn)."""
        wrap = wrap or {}
        height_pt = ax.get_position().height * ax.figure.get_figheight() * 72.0
        line = fontsize * 1.45 / height_pt
        limit = top - (max_height if max_height is not None else top)
        xs = np.concatenate([[0.0], np.cumsum(col_widths)[:-1]])
        scale = 1.0 / float(np.sum(col_widths))
        xs = xs * scale

        def cell_text(value: Any, column: str) -> str:
            text = _fmt(value, column, self.report)
            return _wrap(text, wrap[column]) if column in wrap else text

        header = [
            _wrap(str(c), max(int(w * scale * 105), 4)) for c, w in zip(df.columns, col_widths, strict=True)
        ]
        n_head = max(h.count("\n") + 1 for h in header)
        y = top
        ax.add_patch(
            Rectangle(
                (0, y - line * n_head - line * 0.4),
                1,
                line * n_head + line * 0.4,
                facecolor="#dce6f1",
                edgecolor="none",
            )
        )
        for x, text, column in zip(xs, header, df.columns, strict=True):
            numeric = pd.api.types.is_numeric_dtype(df[column])
            ax.text(
                x + (0.004 if not numeric else 0),
                y - line * 0.2,
                text,
                ha="left",
                va="top",
                fontsize=fontsize,
                color="#111111",
            )
        y -= line * n_head + line * 0.4
        drawn = 0
        for row in df.itertuples(index=False):
            cells = [cell_text(v, c) for v, c in zip(row, df.columns, strict=True)]
            n_lines = max(c.count("\n") + 1 for c in cells)
            if y - line * n_lines < limit:
                break
            bold_row = str(row[0]) == self.report.t("total")
            for x, text in zip(xs, cells, strict=True):
                ax.text(
                    x + 0.004,
                    y - line * 0.15,
                    text,
                    ha="left",
                    va="top",
                    fontsize=fontsize,
                    color="#000000" if bold_row else "#222222",
                )
            y -= line * n_lines + line * 0.25
            ax.plot([0, 1], [y + line * 0.12, y + line * 0.12], color="#d0d0d0", linewidth=0.4)
            drawn += 1
        return y, drawn

    def blocks(
        self, heading: str, items: Sequence[tuple[str, Sequence[str]]], *, fontsize: float = 8.5
    ) -> None:
        """Numbered blocks: a bold-ish first line, then wrapped detail lines; as many pages as needed."""
        fig, ax = self.new_page(heading)
        height_pt = ax.get_position().height * fig.get_figheight() * 72.0
        line = fontsize * 1.55 / height_pt
        y = 1.0
        for head, details in items:
            wrapped = [_wrap(d, 92) for d in details]
            n_lines = 1 + sum(w.count("\n") + 1 for w in wrapped)
            if y - line * (n_lines + 0.8) < 0:
                self.finish(fig)
                fig, ax = self.new_page(_text("continued", self.report.lang, heading=heading))
                y = 1.0
            ax.text(0, y, head, ha="left", va="top", fontsize=fontsize + 1, color="#000000")
            y -= line * 1.15
            for text in wrapped:
                ax.text(
                    0.03, y, text, ha="left", va="top", fontsize=fontsize, color="#333333", linespacing=1.45
                )
                y -= line * (text.count("\n") + 1)
            y -= line * 0.6
            ax.plot([0, 1], [y + line * 0.3, y + line * 0.3], color="#d0d0d0", linewidth=0.4)
        if not items:
            ax.text(0, 1.0, _text("no_sites", self.report.lang), ha="left", va="top", fontsize=fontsize)
        self.finish(fig)

    def paginated(
        self,
        heading: str,
        df: pd.DataFrame,
        *,
        col_widths: Sequence[float],
        fontsize: float = 7.5,
        wrap: dict[str, int] | None = None,
        max_rows: int | None = None,
        note: str = "",
    ) -> None:
        rows = df if max_rows is None else df.head(max_rows)
        start = 0
        first = True
        while first or start < len(rows):
            fig, ax = self.new_page(heading if first else _text("continued", self.report.lang, heading=heading))
            top = 1.0
            if first and note:
                ax.text(0, top, note, ha="left", va="top", fontsize=8.5, color="#333333")
                top -= 0.035
            _, drawn = self.table(
                ax, rows.iloc[start:], top=top, col_widths=col_widths, fontsize=fontsize, wrap=wrap
            )
            start += max(drawn, 1)
            if start >= len(rows) and max_rows is not None and len(df) > max_rows:
                ax.text(
                    0,
                    0.0,
                    _text("cut", self.report.lang, n=len(df), m=max_rows),
                    ha="left",
                    va="bottom",
                    fontsize=8,
                    color="#555555",
                )
            self.finish(fig)
            first = False


def _formatted_summary(report: ProposalReport, summary: pd.DataFrame) -> pd.DataFrame:
    """The before/after table as text: one decimal for shares, signed changes."""
    out = summary.copy().astype(object)
    t = report.t
    change = t("change")
    for i, name in enumerate(summary[t("indicator")]):
        pct = "%" in str(name)
        for col in (t("today"), t("after"), change):
            v = float(summary.at[i, col])
            text = f"{v:,.1f}" if pct else f"{v:,.0f}"
            out.at[i, col] = (f"{v:+,.1f}" if pct else f"{v:+,.0f}") if col == change and v else text
    return out


def _site_blocks(report: ProposalReport, sites: pd.DataFrame) -> list[tuple[str, list[str]]]:
    t, lang = report.t, report.lang
    group = report.group_label
    gain_col, villages_col, cost_col = t("new_group", group=group), t("new_villages"), t("cost")
    items = []
    for _, row in sites.iterrows():
        places = [str(row[c]) for c in (t("county"), t("township")) if row[c]]
        where = "".join(places) if lang == "zh" else ", ".join(places)
        what = ("，" if lang == "zh" else ", ").join(x for x in (str(row[t("kind")]), where) if x)
        head = _text("site_head", lang, no=row[t("no")], name=row[t("site_name")], what=what)
        facts = []
        if pd.notna(row[gain_col]):
            facts.append(_text("fact_gain", lang, group=group, n=row[gain_col]))
        if pd.notna(row[villages_col]):
            facts.append(_text("fact_villages", lang, n=row[villages_col]))
        if pd.notna(row[cost_col]):
            facts.append(_text("fact_cost", lang, n=row[cost_col]))
        facts.append(_text("fact_where", lang, id=row[t("id")], lon=row[t("lon")], lat=row[t("lat")]))
        details = [t("sep").join(facts)]
        if row[t("reasons")]:
            details.append(_text("reasons", lang, text=row[t("reasons")]))
        if row[t("alternatives")]:
            details.append(_text("alternatives", lang, text=row[t("alternatives")]))
        items.append((head, details))
    return items


def _report_texts(report: ProposalReport, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every text of the report's tables and headings (to check that a font can draw each character)."""
    texts = [str(report.region_name), str(report.service_label)]
    for table in tables.values():
        texts += [str(c) for c in table.columns]
        for name in table.columns:
            texts += [v for v in table[name].tolist() if isinstance(v, str)]
    return texts


def write_pdf_report(
    report: ProposalReport,
    path: str | Path,
    *,
    paper: str = "A4",
    map_kinds: Sequence[str] = ("proposal", "coverage", "distribution"),
    figures: Mapping[str, Figure] | None = None,
    max_uncovered_rows: int = 60,
) -> Path:
    """Write the proposal PDF: maps, before/after figures, sites, townships, uncovered villages.

    Parameters
    ----------
    report
        The proposal.
    path
        Output ``.pdf``; parent folders are created.
    paper
        "A4" or "A3" (maps landscape, tables portrait).
    map_kinds
        Which maps to include, in order (any of "proposal", "coverage", "distribution").
    figures
        Maps already drawn (by :func:`map_for_report` or the map functions), by kind;
        the others are drawn here.
    max_uncovered_rows
        At most this many uncovered villages are listed (all are in the workbook).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        When ``path`` does not end in ``.pdf`` or a map kind is unknown.
    """
    for kind in map_kinds:
        if kind not in MAP_KINDS:
            raise InputError(f"unknown map kind '{kind}': use one of {', '.join(MAP_KINDS)}")
    path = output_path(path, suffixes=(".pdf",), problem="the report must be a .pdf file")
    made = report.tables()
    tables = {key: made[report.sheet_name(key)] for key in TABLE_KEYS}
    f = report.figures()
    t, lang = report.t, report.lang
    with (
        matplotlib.rc_context(cjk_rc()),
        PdfPages(path, metadata={"Title": report.title, "Creator": "coverage-planner"}) as pdf,
    ):
        doc = _Doc(pdf, report, paper)
        # page 1: the summary
        fig, ax = doc.new_page(_text("summary_page", lang))
        summary_text = _text(
            "summary_text", lang, n_fac=len(report.facilities), n_sites=len(report.sites), reach=report.reach_label,
            group=_mid_sentence(report.group_label, lang), before=f["covered_before"], before_pct=f["share_before_pct"],
            after=f["covered_after"], after_pct=f["share_after_pct"], new=f["newly_covered"],
            new_villages=f["newly_covered_villages"], left=f["uncovered_villages_after"],
            new_word="village" if round(f["newly_covered_villages"]) == 1 else "villages",
            left_word="village remains" if round(f["uncovered_villages_after"]) == 1 else "villages remain")
        ax.text(0, 1.0, _wrap(summary_text, 92), ha="left", va="top", fontsize=10.5, color="#111111",
                linespacing=1.6)
        y, _ = doc.table(
            ax, report.info_table(), top=0.86, col_widths=[0.25, 0.75], fontsize=8.5, wrap={t("content"): 70}
        )
        ax.text(0, y - 0.03, _text("before_after", lang), ha="left", va="top", fontsize=11.5, color="#111111")
        y, _ = doc.table(
            ax,
            _formatted_summary(report, tables["summary"]),
            top=y - 0.07,
            col_widths=[0.4, 0.2, 0.2, 0.2],
            fontsize=8.5,
            wrap={t("indicator"): 44},
        )
        missing = warn_missing_glyphs(_report_texts(report, tables), where=str(path))
        if missing:  # say so on the page, as well as in the log: those names print as boxes
            chars = t("list_sep").join(f"U+{ord(ch):04X}" for ch in missing[:20])
            ax.text(0, y - 0.04, _wrap(_text("missing_glyphs", lang, chars=chars), 92), ha="left", va="top",
                    fontsize=8.5, color="#c00000")
        doc.finish(fig)
        # maps
        for kind in map_kinds:
            given = (figures or {}).get(kind)
            map_fig = (
                given
                if given is not None
                else map_for_report(report, kind, paper=paper, orientation="landscape")
            )
            pdf.savefig(map_fig)
            doc.page_no += 1
        # sites, one block each
        doc.blocks(_text("sites_page", lang), _site_blocks(report, tables["sites"]))
        doc.paginated(
            _text("townships_page", lang),
            tables["townships"],
            col_widths=[0.12, 0.12, 0.08, 0.09, 0.09, 0.09, 0.1, 0.1, 0.09, 0.12],  # 0.08: "Villages" on one line
            fontsize=6.5,
            wrap={t("county"): 12, t("township"): 12},
        )
        uncovered = tables["uncovered"].drop(columns=[t("lon"), t("lat")])
        doc.paginated(
            _text("uncovered_page", lang),
            uncovered,
            col_widths=[0.06, 0.16, 0.16, 0.22, 0.14, 0.12, 0.14],
            fontsize=7,
            max_rows=max_uncovered_rows,
            note=_text("uncovered_note", lang, group=report.group_label, mode=report.mode_label),
        )
    logger.info("wrote %s (%d pages)", path, doc.page_no)
    return path
