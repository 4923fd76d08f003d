"""Reports: a siting proposal as an Excel workbook and a PDF with maps and tables.

>>> from coverage.reports import plan_proposal, write_workbook, write_pdf_report   # doctest: +SKIP
>>> report = plan_proposal(demand, facilities, candidates, engine=engine,
...                        facility_types=["happy_courtyard"], group="elderly_60plus",
...                        threshold_min=15, p=10, boundaries=boundaries)          # doctest: +SKIP
>>> write_workbook(report, "maps/选址方案.xlsx")                                   # doctest: +SKIP
>>> write_pdf_report(report, "maps/选址方案.pdf")                                  # doctest: +SKIP
"""

from coverage.reports.build import plan_proposal, report_for_sites, report_from_proposal
from coverage.reports.layers import LAYER_NAMES, result_layers, write_layers
from coverage.reports.pdf import map_for_report, write_pdf_report
from coverage.reports.proposal import MODE_LABELS, SHEETS, ProposalReport
from coverage.reports.workbook import write_workbook

__all__ = [
    "LAYER_NAMES",
    "MODE_LABELS",
    "SHEETS",
    "ProposalReport",
    "map_for_report",
    "plan_proposal",
    "report_for_sites",
    "report_from_proposal",
    "result_layers",
    "write_layers",
    "write_pdf_report",
    "write_workbook",
]
