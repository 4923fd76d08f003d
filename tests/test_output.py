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


def test_safe_frame_for_csv_quotes_formulas_and_keeps_numbers(tmp_path):
    import pandas as pd

    from coverage.output import safe_frame

    frame = pd.DataFrame({"id": ["=1+1", "+A1", "-A1", "@x", "\tcmd", "-12.5", "+86", "村", None],
                          "minutes": [1.5, 2, 3, 4, 5, 6, 7, 8, 9]})
    out = safe_frame(frame, csv=True)
    assert out["id"].tolist()[:8] == ["'=1+1", "'+A1", "'-A1", "'@x", "'\tcmd", "-12.5", "+86", "村"]
    assert out["id"].isna().tolist()[-1] and out["minutes"].tolist() == frame["minutes"].tolist()
    assert frame["id"].iloc[0] == "=1+1"  # the input is not changed
    out.to_csv(tmp_path / "x.csv", index=False)
    back = pd.read_csv(tmp_path / "x.csv")
    assert pd.api.types.is_float_dtype(back["minutes"])


def test_coverage_workbook_cells_are_text_not_formulas(tmp_path, caplog):
    """What ``CoverageResult.to_excel`` does per sheet: control characters removed, '=...' written as text."""
    import pandas as pd
    from openpyxl import load_workbook

    from coverage.output import safe_frame, text_cells

    frame = pd.DataFrame({"村名": ["=cmd|' /C calc'!A0", "大\x0b营村", "小营村"], "人数": [10, 20, 30]},
                         ).astype({"村名": "string"})
    path = tmp_path / "cov.xlsx"
    with caplog.at_level("WARNING", logger="coverage.output"), pd.ExcelWriter(path, engine="openpyxl") as xw:
        safe_frame(frame).to_excel(xw, sheet_name="汇总", index=False)
        assert text_cells(xw.sheets["汇总"]) == 1
    assert "村名" in caplog.text and "control characters" in caplog.text
    ws = load_workbook(path)["汇总"]
    assert [c.value for c in ws["A"]] == ["村名", "=cmd|' /C calc'!A0", "大营村", "小营村"]
    assert ws["A2"].data_type == "s" and [c.value for c in ws["B"]][1:] == [10, 20, 30]


def test_unwritable_outputs_name_the_path(tmp_path):
    from coverage.output import OutputError, writable_file, writable_folder

    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"file/out\.csv: cannot write here \(.*file is a file, not a folder\)"):
        writable_file(tmp_path / "file" / "out.csv")
    with pytest.raises(OutputError, match=r"cannot write here \(it is a folder"):
        writable_file(tmp_path)
    with pytest.raises(OutputError, match=r"file/sub: cannot write here"):
        writable_folder(tmp_path / "file" / "sub")
    with pytest.raises(OSError):  # also a built-in: callers catching OSError keep working
        writable_folder(tmp_path / "file")
    assert writable_file(tmp_path / "new" / "x.csv").parent.is_dir()
    assert not list((tmp_path / "new").iterdir())  # the probe file is gone


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="/proc is Linux's")
def test_a_read_only_place_is_refused(tmp_path):
    from coverage.output import OutputError, writable_file

    with pytest.raises(OutputError, match=r"/proc/coverage-test/out\.csv: cannot write here"):
        writable_file("/proc/coverage-test/out.csv")
