"""``python -m coverage optimize`` on an analyst's own OD matrix (real files written and re-read)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coverage.cli import main

OD = [("a", "s1", 5), ("a", "s2", 20), ("b", "s1", 8), ("b", "s3", 12), ("c", "s2", 3),
      ("d", "s3", 4), ("d", "s4", 9), ("e", "s4", 2)]


@pytest.fixture
def files(tmp_path):
    od = tmp_path / "OD.csv"
    pd.DataFrame(OD, columns=["from_id", "to_id", "cost"]).to_csv(od, index=False)
    dem = tmp_path / "DEMAND.csv"
    pd.DataFrame({"id": list("abcde"), "weight": [10, 20, 31, 15, 25]}).to_csv(dem, index=False)
    return od, dem


def run_json(capsys, *args):
    code = main(["optimize", *map(str, args), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_mclp_json(files, capsys):
    od, dem = files
    code, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "mclp", "--p", 2, "--threshold", 10)
    assert code == 0
    assert d["status"] == "optimal" and sorted(d["selected"]) == ["s2", "s4"]
    assert d["objective"] == 71 and d["bound"] == 71 and d["gap"] == 0 and d["covered_weight"] == 71
    assert d["time_s"] >= 0


def test_lscp_target_pmedian_and_fixed(files, capsys):
    od, dem = files
    _, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "lscp", "--threshold", 10)
    assert d["objective"] == 3 and sorted(d["selected"]) == ["s1", "s2", "s4"]
    _, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "target", "--threshold", 10,
                    "--target-share", 0.6)
    assert d["objective"] == 2
    _, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "pmedian", "--p", 3)
    assert d["objective"] == pytest.approx(488) and d["covered_weight"] is None
    # s4 as an existing site: one new site, not counted in p
    _, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "mclp", "--p", 1, "--threshold", 10,
                    "--fixed", "s4")
    assert d["fixed"] == ["s4"] and d["selected"] == ["s2"] and d["covered_weight"] == 71


def test_infeasible_target_exit_1_with_best_share(files, capsys):
    od, dem = files
    code, d = run_json(capsys, "--od", od, "--demand", dem, "--model", "target", "--threshold", 3,
                       "--target-share", 0.9)
    assert code == 1 and d["status"] == "infeasible"
    assert "at most 55.4%" in d["message"]


def test_bad_input_exit_2_with_a_message(files, capsys, tmp_path):
    od, dem = files
    assert main(["optimize", "--od", str(od), "--demand", str(dem), "--model", "mclp", "--p", "9",
                 "--threshold", "10", "--json"]) == 2
    assert "p=9 is larger than the 4 candidate sites" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"from_id": ["a"], "to_id": ["s1"], "minutes": [3]}).to_csv(bad, index=False)
    assert main(["optimize", "--od", str(bad), "--demand", str(dem), "--model", "lscp", "--threshold", "5"]) == 2
    assert "column 'cost' is missing" in capsys.readouterr().err
    assert main(["optimize", "--od", str(tmp_path / "nope.csv"), "--demand", str(dem), "--model", "lscp",
                 "--threshold", "5"]) == 2
    assert "OD file not found" in capsys.readouterr().err


def test_assignment_csv_is_written(files, capsys, tmp_path):
    od, dem = files
    out = tmp_path / "assign.csv"
    assert main(["optimize", "--od", str(od), "--demand", str(dem), "--model", "mclp", "--p", "1",
                 "--threshold", "10", "--assignment", str(out)]) == 0
    a = pd.read_csv(out, encoding="utf-8-sig").set_index("from_id")
    assert a.loc["e", "to_id"] == "s4" and a.loc["e", "cost"] == 2 and bool(a.loc["a", "covered"]) is False
    assert "mclp: optimal" in capsys.readouterr().out


def test_od_output_and_a_village_list_weighted_by_a_chinese_group_name(tmp_path, capsys):
    # the table `od` writes (travel_time_min, ids quoted for Excel) and a village list as `--demand`
    od = tmp_path / "od.csv"
    pd.DataFrame({"from_id": ["a", "b", "'=c"], "to_id": ["s1", "s1", "s2"],
                  "travel_time_min": [5.0, 8.0, 3.0]}).to_csv(od, index=False)
    villages = tmp_path / "村庄.csv"
    pd.DataFrame({"编号": ["a", "b", "=c"], "名称": ["甲村", "乙村", "丙村"], "经度": [102.50, 102.51, 102.52],
                  "纬度": [24.30, 24.31, 24.32], "60岁以上老年人": [10, 20, 31]}).to_csv(villages, index=False)
    code, d = run_json(capsys, "--od", od, "--demand", villages, "--weight", "60岁以上老年人", "--model", "mclp",
                       "--p", 1, "--threshold", 10)
    assert code == 0 and d["selected"] == ["s2"] and d["covered_weight"] == 31  # '=c read back as =c
    assert main(["optimize", "--od", str(od), "--demand", str(villages), "--weight", "老人", "--model", "mclp",
                 "--p", "1", "--threshold", "10"]) == 2
    assert "did you mean '60岁以上老年人'" in capsys.readouterr().err
