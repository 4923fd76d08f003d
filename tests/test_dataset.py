"""A data folder and a demo region load into the same Dataset; the export round-trips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from coverage.dataset import DATA_FILES, find_data_files, open_dataset
from coverage.demo import export_demo, load_demo
from coverage.errors import FileReadError, MissingColumnError


@pytest.fixture(scope="module")
def yuxi_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("yuxi")
    export_demo("yuxi", out)
    return out


def test_demo_region_and_its_exported_folder_give_the_same_tables(yuxi_folder: Path) -> None:
    demo = open_dataset("demo:yuxi")
    files = open_dataset(yuxi_folder)
    assert files.name == demo.name == "玉溪市"
    assert files.is_simulated and demo.is_simulated
    assert len(files.demand) == len(demo.demand) == 718
    assert len(files.facilities) == len(demo.facilities)
    assert files.candidates is not None and len(files.candidates) == len(demo.candidates)
    assert files.rejected == {"boundaries": 0, "demand": 0, "facilities": 0, "candidates": 0}
    pd.testing.assert_series_equal(files.demand["elderly_60plus"].astype("int64"),
                                   demo.demand["elderly_60plus"].astype("int64"), check_names=False)
    assert files.has_roads and files.graph().number_of_edges() > 10_000


def test_key_changes_with_content_and_coordinate_system(yuxi_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(yuxi_folder, copy)
    a = open_dataset(copy)
    b = open_dataset(copy, crs="bd09")
    assert a.key != b.key
    # BD-09 read of WGS-84 coordinates moves every village by hundreds of metres
    shift = a.demand.geometry.to_crs(32648).distance(b.demand.geometry.to_crs(32648))
    assert shift.min() > 300
    # a changed file changes the key, even with the same name
    (copy / DATA_FILES["candidates"][0]).unlink()
    c = open_dataset(copy)
    assert c.candidates is None and c.key != a.key


def test_missing_folder_table_and_roads_are_clear_errors(yuxi_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="not a folder"):
        open_dataset(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileReadError, match="村庄名单.xlsx"):
        open_dataset(empty)
    part = tmp_path / "part"
    part.mkdir()
    for kind in ("demand", "facilities"):
        shutil.copy(yuxi_folder / DATA_FILES[kind][0], part)
    ds = open_dataset(part)
    assert ds.boundaries is None and not ds.has_roads
    assert find_data_files(part)["graph"] is None
    with pytest.raises(FileReadError, match="no road network"):
        ds.graph()


def test_wrong_headers_name_the_file_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    pd.DataFrame({"名称": ["甲村"], "经度": [102.5], "纬度": [24.3]}).to_csv(folder / "villages.csv", index=False)
    pd.DataFrame({"名称": ["乙站"], "X": [102.5], "Y": [24.3]}).to_csv(folder / "facilities.csv", index=False)
    with pytest.raises(MissingColumnError, match="facilities.csv"):
        open_dataset(folder)


def test_demo_key_is_the_region() -> None:
    assert open_dataset("yuxi").key == ("demo", "yuxi") == open_dataset("demo:yuxi").key
    assert open_dataset("demo:dali").name == load_demo("dali").name_zh
