"""The command line never shows a traceback: bad files and routine mistakes end with a message and an exit code.

Exit codes (``python -m coverage --help``): 0 done, 1 rows rejected or target infeasible, 2 bad input or
options, 3 internal error (one line + the path of a log file holding the traceback), 130 interrupted.

Every subcommand runs in a real subprocess over the bad-file corpus (``tests/data/bad/MANIFEST.csv`` and
``tests/data/bad/roads/MANIFEST.csv``, one subprocess per row) and over routine mistakes (an output path
under a file, a missing input, a 0-byte or corrupt file, options out of range).  Option ranges that argparse
checks are tested in-process (no subprocess needed for a parser error).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverage.cli import EXIT_CODES, SUBCOMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
OAKLAND = ROOT.parent / "shared" / "benchmarks" / "osm" / "West-Oakland.osm.bz2"


def _manifest(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


BAD_ROWS = _manifest(BAD / "MANIFEST.csv")
ROAD_ROWS = _manifest(BAD / "roads" / "MANIFEST.csv")


@pytest.fixture()
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


def run_cli(*args: str, cwd: Path, log_dir: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m coverage ARGS`` in a subprocess; fails the test on any traceback in its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COVERAGE_PLANNER_LOG_DIR": str(log_dir),
           "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "coverage", *args], check=False, cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=timeout_s)
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, f"python -m coverage {' '.join(args)}:\n{stream[-3000:]}"
    return done


def _brief(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nstdout: {done.stdout[-1500:]}\nstderr: {done.stderr[-1500:]}"


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    """Routine mistakes: a plain file where a folder is expected, an empty file, a corrupt zip and workbook."""
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    (tmp_path / "corrupt.xlsx").write_bytes(b"\x00\x01\x02 not a workbook \xff\xfe")
    with zipfile.ZipFile(tmp_path / "truncated.zip", "w") as zf:
        zf.writestr("villages.shp", b"\x00" * 400)
    data = (tmp_path / "truncated.zip").read_bytes()
    (tmp_path / "truncated.zip").write_bytes(data[: len(data) // 2])
    return {p.name: p for p in tmp_path.iterdir()}


# ------------------------------------------------------------------ help and exit-code plumbing


def test_every_help_lists_the_exit_codes():
    parser = build_parser()
    texts = [parser.format_help()]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(SUBCOMMANDS)
    texts += [p.format_help() for p in sub.choices.values()]
    for text in texts:
        for code in EXIT_CODES:
            assert f"  {code} " in text, text[-800:]
        assert "internal error" in text and "log file" in text and "退出码" in text


def test_unexpected_error_is_one_line_and_a_log_file(tmp_path, capsys, monkeypatch):
    """A defect in the program (here: a command that divides by zero) is exit 3, never a traceback."""
    monkeypatch.setenv("COVERAGE_PLANNER_LOG_DIR", str(tmp_path / "logs"))
    parser = argparse.ArgumentParser(prog="python -m coverage")
    sub = parser.add_subparsers()
    sub.add_parser("divide").set_defaults(func=lambda args: 1 / 0)
    sub.add_parser("stop").set_defaults(func=lambda args: (_ for _ in ()).throw(KeyboardInterrupt()))
    sub.add_parser("write").set_defaults(func=lambda args: open(tmp_path / "a" / "b.csv", "w"))  # noqa: SIM115
    assert main(["divide"], parser=parser) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "internal error: ZeroDivisionError: division by zero" in err
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    log = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError" in log and "command: python -m coverage divide" in log
    assert main(["stop"], parser=parser) == 130
    assert "interrupted" in capsys.readouterr().err
    assert main(["write"], parser=parser) == 2  # a file-system error names the path
    err = capsys.readouterr().err
    assert str(tmp_path / "a" / "b.csv") in err and "No such file or directory" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["map", "--dpi", "0"], "--dpi: must be between 72 and 1200"),
        (["map", "--dpi", "20000"], "--dpi: must be between 72 and 1200"),
        (["map", "--dpi", "abc"], "--dpi: 'abc' is not a whole number"),
        (["map", "--sites", "0"], "--sites: must be 1 or more"),
        (["report", "--threshold-min", "0"], "--threshold-min: must be greater than 0"),
        (["report", "--threshold-min", "-15"], "--threshold-min: must be greater than 0"),
        (["report", "--threshold-min", "nan"], "--threshold-min: 'nan' is not a finite number"),
        (["report", "--target", "1.5"], "--target: must be a share between 0 and 1"),
        (["report", "--sites", "-2"], "--sites: must be 1 or more"),
        (["od", "--graph", "g", "--from", "a", "--to", "b", "--out", "o.csv", "--cutoff-min", "0"],
         "--cutoff-min: must be greater than 0"),
        (["od", "--graph", "g", "--from", "a", "--to", "b", "--out", "o.csv", "--cutoff-min", "-30"],
         "--cutoff-min: must be greater than 0"),
        (["optimize", "--od", "a", "--demand", "b", "--model", "mclp", "--threshold", "0"],
         "--threshold: must be greater than 0"),
        (["optimize", "--od", "a", "--demand", "b", "--model", "mclp", "--p", "0"], "--p: must be 1 or more"),
        (["optimize", "--od", "a", "--demand", "b", "--model", "target", "--target-share", "0"],
         "--target-share: must be a share between 0 and 1"),
        (["optimize", "--od", "a", "--demand", "b", "--model", "mclp", "--time-limit-s", "-1"],
         "--time-limit-s: must be greater than 0"),
        (["validate", "x.csv", "--kind", "demand", "--region-tolerance-km", "-1"],
         "--region-tolerance-km: must be 0 or more"),
    ],
)
def test_options_out_of_range_exit_2_naming_the_option(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_share_option_reads_percent():
    args = build_parser().parse_args(["report", "--target", "95%"])
    assert args.target == pytest.approx(0.95)


# ------------------------------------------------------------------ the bad-file corpus


@pytest.mark.skipif(not BAD_ROWS, reason="tests/data/bad/MANIFEST.csv is not there")
@pytest.mark.parametrize("row", BAD_ROWS, ids=[r.get("file", "?") for r in BAD_ROWS])
def test_validate_over_the_bad_file_corpus(row, tmp_path, log_dir):
    path = BAD / row["file"]
    assert path.exists(), f"{path} is listed in the manifest but missing"
    args = ["validate", str(path), "--kind", row.get("kind") or "demand"]
    if row.get("crs"):
        args += ["--crs", row["crs"]]
    done = run_cli(*args, cwd=tmp_path, log_dir=log_dir)
    expected = int(row["expected_exit"])
    assert done.returncode == expected, f"{row.get('description', '')}\n{_brief(done)}"
    assert done.returncode != 3, _brief(done)
    if expected:
        assert (done.stdout + done.stderr).strip(), "an error must say what is wrong"
    assert not log_dir.exists() or not list(log_dir.glob("crash-*.log"))


_ROADS_DRIVER = """
import json, sys
from coverage.cli import main
pts, out = sys.argv[1], sys.argv[2]
codes = {}
for graph in sys.argv[3:]:
    print(f"=== {graph}", flush=True)
    print(f"=== {graph}", file=sys.stderr, flush=True)
    codes[graph] = main(["od", "--graph", graph, "--from", pts, "--to", pts, "--mode", "car", "--out", out])
print("CODES " + json.dumps(codes), flush=True)
"""


@pytest.mark.skipif(not ROAD_ROWS, reason="tests/data/bad/roads/MANIFEST.csv is not there")
def test_od_over_the_bad_road_corpus(tmp_path, log_dir):
    """Each bad road network as ``od --graph``: exit 2 with a message, or 0 when it loads; never a crash.

    One subprocess runs the command line's ``main`` once per manifest row (34 interpreter starts would
    take over a minute).
    """
    pts = tmp_path / "pts.csv"
    pd.DataFrame({"id": ["p1", "p2"], "lon": [102.54, 102.56], "lat": [24.35, 24.36]}).to_csv(pts, index=False)
    graphs = [str(BAD / "roads" / row["file"]) for row in ROAD_ROWS]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COVERAGE_PLANNER_LOG_DIR": str(log_dir),
           "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", _ROADS_DRIVER, str(pts), str(tmp_path / "od.csv"), *graphs],
                          check=False, cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=600)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, _brief(done)
    codes = json.loads(done.stdout.rsplit("CODES ", 1)[1])
    errors = {part.split("\n", 1)[0]: part for part in done.stderr.split("=== ")[1:]}
    wrong = []
    for row, graph in zip(ROAD_ROWS, graphs, strict=True):
        expected_error = row.get("expected_error", "")
        expected = 0 if expected_error.lower() in ("", "none", "ok", "-") else 2
        said = errors.get(graph, "")
        if codes[graph] != expected or (expected and "error:" not in said):
            wrong.append(f"{row['file']}: exit {codes[graph]}, expected {expected} ({expected_error}: "
                         f"{row.get('description', '')}); stderr: {said.strip()[-400:]}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------ routine mistakes, one subprocess each


def test_validate_unreadable_files_exit_2(files, tmp_path, log_dir):
    for name in ("empty.csv", "corrupt.xlsx", "missing.csv"):
        done = run_cli("validate", str(tmp_path / name), "--kind", "demand", cwd=tmp_path, log_dir=log_dir)
        assert done.returncode == 2, _brief(done)
        assert name in done.stderr, _brief(done)


@pytest.mark.parametrize("name", ["corrupt.zip", "truncated.zip"])
def test_validate_corrupt_zip_exit_2(name, files, tmp_path, log_dir):
    done = run_cli("validate", str(tmp_path / name), "--kind", "facilities", cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2, _brief(done)
    assert name in done.stderr


def test_od_checks_its_input_files_before_loading_the_graph(files, tmp_path, log_dir):
    """A missing --from file is reported at once, even with a graph that is slow (or broken) to load."""
    started = time.monotonic()
    done = run_cli("od", "--graph", "demo:yuxi", "--from", "村.csv", "--to", "点.csv", "--out", "od.csv",
                   cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "村.csv" in done.stderr and "not found" in done.stderr, _brief(done)
    # and an output path under a file is refused before anything is read
    done = run_cli("od", "--graph", str(tmp_path / "corrupt.zip"), "--from", "村.csv", "--to", "点.csv",
                   "--out", str(tmp_path / "a_file" / "od.csv"), cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "a_file" in done.stderr and "cannot write" in done.stderr, _brief(done)
    assert time.monotonic() - started < 60


def test_od_with_a_zero_byte_point_file_exit_2(files, tmp_path, log_dir):
    done = run_cli("od", "--graph", "demo:yuxi", "--from", str(tmp_path / "empty.csv"), "--to",
                   str(tmp_path / "empty.csv"), "--out", "od.csv", cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "empty.csv" in done.stderr, _brief(done)


@pytest.mark.skipif(not OAKLAND.is_file(), reason="benchmark OSM extract missing")
def test_od_csv_ids_are_text_for_excel_and_numbers_stay_numbers(tmp_path, log_dir):
    rng = np.random.default_rng(3)
    ids = ["=HYPERLINK(\"http://x\",\"y\")", "+SUM(1,2)", "@cmd", "-2+3", "-12", "普通村"]
    lon, lat = rng.uniform(-122.305, -122.290, len(ids)), rng.uniform(37.803, 37.813, len(ids))
    pd.DataFrame({"id": ids, "lon": lon, "lat": lat}).to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "od.csv"
    done = run_cli("od", "--graph", str(OAKLAND), "--from", "p.csv", "--to", "p.csv", "--nearest", "--out",
                   str(out), cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 0, _brief(done)
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={"from_id": str, "to_id": str})
    assert set(got["from_id"]) == {"'=HYPERLINK(\"http://x\",\"y\")", "'+SUM(1,2)", "'@cmd", "'-2+3", "-12", "普通村"}
    assert pd.api.types.is_float_dtype(got["travel_time_min"])


def test_outputs_under_a_file_exit_2_before_any_work(files, tmp_path, log_dir):
    """demo, map, report, analyze and export refuse an output path they cannot write, naming it."""
    blocked = tmp_path / "a_file"
    cases = [
        ("demo", "--region", "yuxi", "--out", str(blocked / "示例")),
        ("map", "--region", "yuxi", "--out", str(blocked / "分布图.pdf")),
        ("report", "--region", "yuxi", "--out", str(blocked)),
        ("analyze", "--region", "yuxi", "--xlsx", str(blocked / "覆盖.xlsx")),
        ("export", "--region", "yuxi", "--out", str(blocked / "覆盖.gpkg")),
    ]
    for args in cases:
        started = time.monotonic()
        done = run_cli(*args, cwd=tmp_path, log_dir=log_dir)
        assert done.returncode == 2, f"{args}\n{_brief(done)}"
        assert "a_file" in done.stderr and "cannot write" in done.stderr, f"{args}\n{_brief(done)}"
        assert time.monotonic() - started < 30, f"{args}: the output is checked first"


def test_map_with_an_unknown_suffix_exit_2(tmp_path, log_dir):
    done = run_cli("map", "--region", "yuxi", "--out", "map.svg", cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "map.svg" in done.stderr and ".pdf or .png" in done.stderr, _brief(done)


def test_optimize_with_empty_or_corrupt_files_exit_2(files, tmp_path, log_dir):
    od = tmp_path / "od.csv"
    pd.DataFrame({"from_id": ["a", "b"], "to_id": ["s1", "s2"], "cost": [1.0, 2.0]}).to_csv(od, index=False)
    dem = tmp_path / "dem.csv"
    pd.DataFrame({"id": ["a", "b"], "weight": [3, 4]}).to_csv(dem, index=False)
    done = run_cli("optimize", "--od", str(tmp_path / "empty.csv"), "--demand", str(dem), "--model", "mclp",
                   "--p", "1", "--threshold", "5", cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "empty.csv" in done.stderr, _brief(done)
    done = run_cli("optimize", "--od", str(od), "--demand", str(dem), "--model", "mclp", "--p", "1",
                   "--threshold", "5", "--assignment", str(tmp_path / "a_file" / "x.csv"), cwd=tmp_path,
                   log_dir=log_dir)
    assert done.returncode == 2 and "a_file" in done.stderr, _brief(done)


def test_analyze_bad_threshold_and_missing_data_folder_exit_2(tmp_path, log_dir):
    done = run_cli("analyze", "--data", str(tmp_path / "没有这个文件夹"), cwd=tmp_path, log_dir=log_dir)
    assert done.returncode == 2 and "没有这个文件夹" in done.stderr, _brief(done)
    done = run_cli("analyze", "--region", "yuxi", "--threshold", "elderly_15min=-5", cwd=tmp_path,
                   log_dir=log_dir)
    assert done.returncode == 2 and "elderly_15min=-5" in done.stderr, _brief(done)


def test_report_on_yuxi_cemeteries_ends_with_a_documented_code(tmp_path, log_dir):
    """The funeral service on Yuxi (car, 60 min) once crashed inside siting: now a report, or a message."""
    done = run_cli("report", "--region", "yuxi", "--service", "cemetery_60min", "--sites", "8", "--maps",
                   "proposal", "--out", str(tmp_path / "out"), cwd=tmp_path, log_dir=log_dir, timeout_s=600)
    assert done.returncode == 0, _brief(done)
    written = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert written == [".pdf", ".xlsx"], written
    assert "新增站点 0 处" in done.stdout  # the default language: Chinese
    import openpyxl

    summary = openpyxl.load_workbook(next((tmp_path / "out").glob("*.xlsx")))["汇总"]
    notes = [row[1] for row in summary.iter_rows(values_only=True) if row[0] == "求解说明"]
    assert notes and "无需新增站点" in notes[0]  # the workbook says why there is no site, in Chinese
