"""Output files: one suffix check for maps, PDF reports and workbooks; folders made only when the name is right."""

from __future__ import annotations

import pytest

from coverage.errors import InputError
from coverage.output import output_path


def test_output_path_checks_the_suffix_before_making_folders(tmp_path):
    with pytest.raises(InputError, match=r"plan\.docx: the report must be a \.pdf file"):
        output_path(
            tmp_path / "new" / "plan.docx", suffixes=(".pdf",), problem="the report must be a .pdf file"
        )
    assert not (tmp_path / "new").exists()
    with pytest.raises(InputError, match=r"unsupported map format '\.JPG'; use \.pdf or \.png"):
        output_path(
            tmp_path / "m.JPG",
            suffixes=(".pdf", ".png"),
            problem="unsupported map format '{suffix}'; use .pdf or .png",
        )
    path = output_path(str(tmp_path / "a" / "b" / "Map.PDF"), suffixes=(".pdf", ".png"), problem="x")
    assert path == tmp_path / "a" / "b" / "Map.PDF" and path.parent.is_dir() and not path.exists()


def test_reports_refuse_a_wrong_suffix_with_the_same_check(tmp_path):
    from coverage.mapping.printmap import save_map
    from coverage.reports import write_pdf_report, write_workbook

    with pytest.raises(InputError, match=r"out\.xls: the workbook must be an \.xlsx file"):
        write_workbook(None, tmp_path / "x" / "out.xls")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"out\.docx: the report must be a \.pdf file"):
        write_pdf_report(None, tmp_path / "x" / "out.docx")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"unsupported map format '\.svg'"):
        save_map(None, tmp_path / "x" / "map.svg")  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()
