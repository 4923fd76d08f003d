"""Proposal reports: workbooks re-read with openpyxl, PDFs re-read with poppler, the CLI on the demo."""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.reports import (
    SHEETS,
    ProposalReport,
    map_for_report,
    plan_proposal,
    report_from_proposal,
    write_pdf_report,
    write_workbook,
)

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts) not installed")

# Six villages in two townships; known by hand: 290 older people, 160 covered before, 270 after.
ELDERLY = [100, 50, 30, 80, 20, 10]
BEFORE = np.array([True, True, False, False, False, True])
AFTER = BEFORE | np.array([False, False, True, True, False, False])


def tiny_tables() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    demand = gpd.GeoDataFrame(
        {
            "id": [f"V{i}" for i in range(1, 7)],
            "name": ["甲村", "乙村", "丙村", "丁村", "戊村", "己村"],
            "county_name": ["红塔区"] * 6,
            "township_name": ["玉兴街道"] * 3 + ["研和街道"] * 3,
            "elderly_60plus": ELDERLY,
            "left_behind_children": [5, 3, 2, 8, 1, 0],
        },
        geometry=[Point(102.50 + 0.03 * i, 24.30 + 0.02 * (i % 3)) for i in range(6)],
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": ["F1", "F2"],
            "name": ["甲村幸福小院", "己村幸福小院"],
            "type": ["happy_courtyard", "happy_courtyard"],
        },
        geometry=[Point(102.505, 24.30), Point(102.655, 24.34)],
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {
            "id": ["C2", "C1"],
            "name": ["丁村村委会用房", "丙村闲置校舍"],
            "kind": ["village_committee", "idle_school"],
            "county_name": ["红塔区", "红塔区"],
            "township_name": ["研和街道", "玉兴街道"],
            "new_people": [80.0, 30.0],
            "n_new_villages": [1, 1],
            "cost_10k_yuan": [20.0, 55.5],
            "mean_time_before_min": [np.nan, 22.0],
            "mean_time_after_min": [3.0, 6.0],
            "loss_without": [80.0, 30.0],
            "alternatives_zh": ["戊村空地（替代本站则少覆盖60人）", ""],
        },
        geometry=[Point(102.59, 24.30), Point(102.56, 24.34)],
        crs="EPSG:4326",
    )
    return demand, facilities, sites


def tiny_report(**kwargs) -> ProposalReport:
    demand, facilities, sites = tiny_tables()
    options = {
        "service_label": "15分钟养老服务圈",
        "threshold_min": 15.0,
        "mode": "walk",
        "facility_types": ("happy_courtyard",),
        "region_name": "玉溪市",
        "simulated": True,
        "date": "2026-11-23",
        "travel_time_min": np.array([3.0, 9.0, 22.0, np.nan, 40.0, 5.0]),
    }
    options.update(kwargs)
    return ProposalReport(
        demand=demand,
        facilities=facilities,
        sites=sites,
        covered_before=BEFORE,
        covered_after=AFTER,
        group="elderly_60plus",
        **options,
    )


def sheet_frame(ws, header_row: int = 1) -> pd.DataFrame:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


# ------------------------------------------------------------------ tables


def test_figures_and_tables_known_by_hand():
    report = tiny_report()
    f = report.figures()
    assert (f["total_people"], f["covered_before"], f["covered_after"]) == (290, 160, 270)
    assert f["share_after_pct"] == pytest.approx(100 * 270 / 290)
    assert (f["uncovered_villages_before"], f["uncovered_villages_after"]) == (3, 1)
    townships = report.township_table()
    assert list(townships["乡(镇、街道)"]) == ["研和街道", "玉兴街道", ""]  # largest gain first, 合计 last
    total = townships.iloc[-1]
    assert (
        total["县(市、区)"] == "合计" and total["方案后覆盖（人）"] == 270 and total["新增覆盖（人）"] == 110
    )
    assert townships.iloc[0]["现状覆盖率（%）"] == pytest.approx(9.1)  # 研和: 10 of 110
    uncovered = report.uncovered_table()
    assert list(uncovered["村(社区)"]) == ["戊村"] and uncovered.iloc[0]["至最近现有设施（分钟）"] == 40.0
    sites = report.site_table()
    assert list(sites["站点名称"]) == ["丁村村委会用房", "丙村闲置校舍"]
    assert list(sites["类别"]) == ["村委会用房", "闲置校舍"]
    assert "使1个村(社区)的80名60岁以上老年人进入步行15分钟范围" in sites.iloc[0]["选址理由"]
    assert "由超过15分钟缩短为3分钟" in sites.iloc[0]["选址理由"]


def test_report_rejects_bad_inputs():
    demand, facilities, sites = tiny_tables()

    def report(**changes):
        options = {"covered_before": BEFORE, "covered_after": AFTER, "group": "elderly_60plus"}
        return ProposalReport(
            demand=demand,
            facilities=facilities,
            sites=sites,
            service_label="",
            threshold_min=15,
            **{**options, **changes},
        )

    with pytest.raises(InputError, match="expected 6 values"):
        report(covered_before=BEFORE[:3])
    with pytest.raises(MissingColumnError, match="column 'disabled_elderly'"):
        report(group="disabled_elderly")
    with pytest.raises(InputError, match="unknown population group 'pets'"):
        report(group="pets")


# ------------------------------------------------------------------ workbook


def test_workbook_rereads_with_sheets_headers_and_totals(tmp_path):
    path = write_workbook(tiny_report(), tmp_path / "out" / "方案.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [*SHEETS, "说明"]
    ws = wb["汇总"]
    assert ws["A1"].value == "玉溪市15分钟养老服务圈选址方案"
    assert "示例数据（模拟）" in ws["A2"].value
    values = [row for row in ws.iter_rows(values_only=True) if row[0]]
    before_after = {row[0]: row[1:4] for row in values}
    assert before_after["步行15分钟内60岁以上老年人（人）"] == (160, 270, 110)
    assert before_after["覆盖率（%）"][1] == pytest.approx(93.1)
    towns = sheet_frame(wb["乡镇覆盖"])
    body, total = towns.iloc[:-1], towns.iloc[-1]
    assert total["县(市、区)"] == "合计"
    for column in ("60岁以上老年人（人）", "现状覆盖（人）", "方案后覆盖（人）", "新增覆盖（人）"):
        assert body[column].sum() == total[column]
    assert total["60岁以上老年人（人）"] == sum(ELDERLY)
    sites = sheet_frame(wb["拟建站点"])
    assert list(sites["站点名称"]) == ["丁村村委会用房", "丙村闲置校舍"]
    assert sites["新增覆盖60岁以上老年人（人）"].sum() == 110
    assert sheet_frame(wb["未覆盖村(社区)"])["村(社区)"].tolist() == ["戊村"]
    # formatting a planner sees: bold tinted header, frozen header, thousands / one-decimal formats, widths
    towns_ws = wb["乡镇覆盖"]
    assert towns_ws["A1"].font.bold and towns_ws["A1"].fill.fgColor.rgb.endswith("DCE6F1")
    assert towns_ws.freeze_panes == "C2"
    assert towns_ws["D2"].number_format == "#,##0" and towns_ws["F2"].number_format == "0.0"
    assert towns_ws.column_dimensions["B"].width >= 10
    reason_col = next(c for c in wb["拟建站点"][1] if c.value == "选址理由").column_letter
    assert wb["拟建站点"][f"{reason_col}2"].alignment.wrap_text


def test_workbook_needs_xlsx(tmp_path):
    with pytest.raises(InputError, match=r"must be an \.xlsx file"):
        write_workbook(tiny_report(), tmp_path / "方案.xls")


# ------------------------------------------------------------------ PDF


@needs_poppler
def test_pdf_report_has_maps_tables_and_embedded_font(tmp_path):
    path = write_pdf_report(tiny_report(), tmp_path / "方案.pdf", map_kinds=("proposal",))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    compact = "".join(text.split())  # pdftotext may space out mixed CJK/ASCII runs
    for expected in (
        "方案摘要",
        "玉溪市15分钟养老服务圈选址方案图",
        "拟建站点及选址理由",
        "1.丁村村委会用房",
        "各乡(镇、街道)覆盖情况",
        "方案实施后仍未覆盖的村(社区)",
        "戊村",
        "示例数据（模拟）",
        "+110",
    ):
        assert expected in compact, expected
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows) and any("NotoSansCJKsc" in r for r in rows)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == 5  # summary, map, sites, townships, uncovered


def test_pdf_report_errors(tmp_path):
    report = tiny_report()
    with pytest.raises(InputError, match=r"must be a \.pdf file"):
        write_pdf_report(report, tmp_path / "方案.docx")
    with pytest.raises(InputError, match="unknown map kind 'heatmap'"):
        write_pdf_report(report, tmp_path / "方案.pdf", map_kinds=("heatmap",))
    with pytest.raises(InputError, match="unknown map kind 'heatmap'"):
        map_for_report(report, "heatmap")


# ------------------------------------------------------------------ with the real siting solver


def test_report_from_a_real_proposal():
    """propose_sites (HiGHS) on a hand-made OD table: the site covering the most people is chosen."""
    from coverage.siting import propose_sites

    demand, facilities, _ = tiny_tables()
    candidates = gpd.GeoDataFrame(
        {
            "id": ["C1", "C2", "C3"],
            "name": ["丙村闲置校舍", "丁村村委会用房", "戊村空地"],
            "kind": ["idle_school", "village_committee", "open_land"],
        },
        geometry=[Point(102.56, 24.34), Point(102.59, 24.30), Point(102.62, 24.32)],
        crs="EPSG:4326",
    )
    od_existing = pd.DataFrame(
        {"from_id": ["V1", "V2", "V6"], "to_id": ["F1", "F1", "F2"], "travel_time_min": [3.0, 9.0, 5.0]}
    )
    od_candidates = pd.DataFrame(
        {
            "from_id": ["V3", "V4", "V4", "V5"],
            "to_id": ["C1", "C2", "C3", "C3"],
            "travel_time_min": [6.0, 3.0, 14.0, 20.0],
        }
    )
    proposal = propose_sites(
        demand,
        od_existing,
        od_candidates,
        candidates,
        groups="elderly_60plus",
        threshold_min=15,
        model="mclp",
        p=1,
    )
    report = report_from_proposal(
        demand,
        facilities,
        proposal,
        covered_before=BEFORE,
        od_candidates=od_candidates,
        group="elderly_60plus",
        threshold_min=15,
        candidates=candidates,
        service_label="15分钟养老服务圈",
        region_name="玉溪市",
    )
    assert list(report.sites["id"]) == ["C2"]
    assert report.figures()["covered_after"] == 160 + 80
    sites = report.site_table()
    assert sites.iloc[0]["新增覆盖60岁以上老年人（人）"] == 80
    assert "戊村空地" in sites.iloc[0]["备选站点"]  # alternatives named, not just ids
    assert "最优" in report.solver_note


def test_plan_proposal_rejects_layers_without_crs():
    demand, facilities, _ = tiny_tables()
    with pytest.raises(CRSError, match="candidates has no coordinate reference system"):
        plan_proposal(
            demand,
            facilities,
            pd.DataFrame({"id": ["C1"]}),
            engine=None,
            facility_types=["happy_courtyard"],
            group="elderly_60plus",
            threshold_min=15,
        )
    with pytest.raises(InputError, match="at least one facility type"):
        plan_proposal(
            demand,
            facilities,
            demand,
            engine=None,
            facility_types=[],
            group="elderly_60plus",
            threshold_min=15,
        )


# ------------------------------------------------------------------ command line on the demo


@needs_poppler
def test_cli_report_on_the_demo(tmp_path, capsys):
    """The whole chain on the Yuxi demo: road graph, travel times, HiGHS, workbook and PDF."""
    from coverage.cli import main

    code = main(
        [
            "report",
            "--region",
            "yuxi",
            "--service",
            "children_20min",
            "--sites",
            "3",
            "--maps",
            "proposal",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    xlsx = tmp_path / "yuxi_children_20min_选址方案.xlsx"
    pdf = tmp_path / "yuxi_children_20min_选址方案.pdf"
    assert str(xlsx) in out and str(pdf) in out
    wb = load_workbook(xlsx)
    assert wb.sheetnames == [*SHEETS, "说明"]
    towns = sheet_frame(wb["乡镇覆盖"])
    total = towns.iloc[-1]
    assert total["留守儿童（人）"] == 6335  # the demo's published figure
    assert towns.iloc[:-1]["方案后覆盖（人）"].sum() == total["方案后覆盖（人）"]
    assert len(sheet_frame(wb["拟建站点"])) == 3
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "玉溪市留守儿童20分钟儿童之家选址方案图" in text


def test_cli_map_rejects_unknown_service(tmp_path, capsys):
    from coverage.cli import main

    code = main(
        ["map", "--kind", "coverage", "--service", "no_such_service", "--out", str(tmp_path / "m.pdf")]
    )
    assert code == 2
    assert "no_such_service" in capsys.readouterr().err
    assert not (tmp_path / "m.pdf").exists()


def test_workbook_writes_formula_like_names_as_text_and_drops_control_characters(tmp_path, caplog):
    """Names from a planner's file such as "=HYPERLINK(...)" stay text; a control character cannot stop the export."""
    demand, _, sites = tiny_tables()
    demand.loc[4, "name"] = '=HYPERLINK("http://evil.example","点我")'  # 戊村: still uncovered, listed
    sites.loc[0, "name"] = "@SUM(1+1)村委会"
    sites.loc[1, "name"] = "丙村\x07闲置校舍"  # a bell character: openpyxl refuses it (IllegalCharacterError)
    report = tiny_report()
    report.demand, report.sites = demand, sites
    with caplog.at_level("WARNING", logger="coverage.output"):
        path = write_workbook(report, tmp_path / "方案.xlsx")
    assert "removed control characters" in caplog.text
    wb = load_workbook(path)
    cells = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    formula = cells['=HYPERLINK("http://evil.example","点我")']
    assert formula.data_type == "s"  # a text cell: Excel shows it, never follows the link
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    assert cells["@SUM(1+1)村委会"].data_type == "s" and "丙村闲置校舍" in cells
    assert sheet_frame(wb["拟建站点"])["新增覆盖60岁以上老年人（人）"].sum() == 110  # numbers stay numbers


# ------------------------------------------------------------------ English


def test_tables_and_reasons_in_english():
    report = tiny_report(lang="en", service_label="15-minute elderly service circle")
    assert report.title == "玉溪市 15-minute elderly service circle: siting proposal"
    assert list(report.tables()) == ["Summary", "Townships", "Proposed sites", "Uncovered villages"]
    townships = report.township_table()
    total = townships.iloc[-1]
    assert total["County"] == "Total" and total["Covered with the proposal (persons)"] == 270
    assert total["Newly covered (persons)"] == 110
    summary = report.summary_table().set_index("Indicator")
    assert summary.loc["Older people (60+) within 15 min walking (persons)"].tolist() == [160, 270, 110]
    sites = report.site_table()
    assert list(sites["Kind"]) == ["Village committee building", "Idle school building"]
    assert "brings 80 older people (60+) in 1 village within 15 min walking" in sites.iloc[0]["Reasons"]
    assert "falls from over 15 min to 3 min" in sites.iloc[0]["Reasons"]
    assert sites.iloc[0]["Alternatives"] == ""  # only the Chinese alternatives were given: none shown in English
    uncovered = report.uncovered_table()
    assert list(uncovered["Village"]) == ["戊村"] and uncovered.iloc[0]["To the nearest existing facility (min)"] == 40
    info = dict(report.info_table().itertuples(index=False))
    assert info["Reach"] == "within 15 min walking" and info["Data note"].startswith("Simulated demo data")


def test_english_workbook_and_solver_note(tmp_path):
    wb = load_workbook(write_workbook(tiny_report(lang="en", service_label="15-minute elderly service circle"),
                                      tmp_path / "proposal.xlsx"))
    assert wb.sheetnames == ["Summary", "Townships", "Proposed sites", "Uncovered villages", "About"]
    assert wb["Summary"]["A1"].value == "玉溪市 15-minute elderly service circle: siting proposal"
    towns = sheet_frame(wb["Townships"])
    assert towns.iloc[-1]["County"] == "Total" and wb["Townships"]["A4"].font.bold  # the Total row
    assert wb["Townships"]["F2"].number_format == "0.0"
    from coverage.reports.build import solver_note

    assert solver_note("optimal", 0.0, 2, "en") == "optimal solution found"
    note = solver_note("time_limit", 0.0123, 2, "en")
    assert note == "time limit reached (not proved optimal); gap to the bound 1.23%"
    assert solver_note("optimal", None, 0, "zh").startswith("已求得最优解；无需新增站点")


def test_report_rejects_an_unknown_language():
    with pytest.raises(InputError, match="unknown language 'fr'"):
        tiny_report(lang="fr")
