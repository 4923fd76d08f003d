"""Exporting a demo region (command line) and loading it back through the loaders gives the same data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from coverage.cli import main
from coverage.demo import NOTE_ZH, export_demo, load_demo
from coverage.demo.export import EXPORT_FILES
from coverage.demo.roads import load_road_arrays
from coverage.errors import InputError


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_yuxi")
    assert main(["demo", "--region", "yuxi", "--out", str(out)]) == 0
    return out


def _same(loaded: pd.DataFrame, original: pd.DataFrame) -> None:
    assert len(loaded) == len(original)
    for col in original.columns:
        if col == "geometry":
            np.testing.assert_allclose(loaded.geometry.x, original.geometry.x, atol=1e-6)
            np.testing.assert_allclose(loaded.geometry.y, original.geometry.y, atol=1e-6)
        else:
            pd.testing.assert_series_equal(
                loaded[col].reset_index(drop=True),
                original[col].reset_index(drop=True),
                check_dtype=False,
                check_names=False,
                obj=col,
            )


def test_cli_writes_the_upload_files(exported, capsys):
    names = sorted(p.name for p in exported.iterdir())
    assert names == sorted(EXPORT_FILES.values())
    wb = load_workbook(exported / EXPORT_FILES["demand"], read_only=True)
    ws = wb.worksheets[0]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header[:3] == ["编号", "名称", "县级代码"]
    assert "留守儿童" in header and "经度" in header and "纬度" in header and header[-1] == "备注"
    first = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert first[-1] == NOTE_ZH
    assert isinstance(first[0], str) and len(first[0]) == 12  # codes stay text
    about = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)
    assert "WGS-84" in about and NOTE_ZH in about
    wb.close()
    wb = load_workbook(exported / EXPORT_FILES["facilities"], read_only=True)
    values = {c.value for row in wb.worksheets[0].iter_rows(min_row=2, max_row=40) for c in row}
    assert "儿童福利院" in values and "现有" in values  # vocabulary in Chinese
    wb.close()


def test_reload_through_the_loaders_gives_the_same_data(exported):
    from coverage.inputs import load_boundaries, load_candidates, load_demand, load_facilities

    region = load_demo("yuxi")
    for loader, table, original in (
        (load_demand, "demand", region.demand),
        (load_facilities, "facilities", region.facilities),
        (load_candidates, "candidates", region.candidates),
    ):
        res = loader(exported / EXPORT_FILES[table], crs="wgs84")
        assert res.report.n_rejected == 0, table
        _same(res.data, original)
    res = load_boundaries(exported / EXPORT_FILES["layers"], sheet="boundaries")
    assert res.report.n_rejected == 0
    original = region.boundaries[region.boundaries["level"].isin(["county", "township"])]
    loaded = res.data
    for col in ("level", "code", "name", "parent_code"):
        assert loaded[col].tolist() == original[col].tolist(), col
    assert loaded.geometry.geom_equals_exact(original.geometry.reset_index(drop=True), tolerance=1e-7).all()


def test_roads_layer_matches_the_graph(exported):
    region = load_demo("yuxi")
    roads = gpd.read_file(exported / EXPORT_FILES["layers"], layer="roads")
    arrays = load_road_arrays(region.roads_path)
    assert roads.crs.to_epsg() == 4326
    assert len(roads) >= len(np.unique(arrays["edges"][:, 4]))  # every road, split at its junctions
    assert roads["length_m"].sum() == pytest.approx(float(arrays["length_m"].astype(float).sum()), rel=1e-4)
    assert set(roads["highway"]) == {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "track",
    }
    assert roads.loc[roads["highway"] == "motorway", "oneway"].all()
    prefecture = gpd.read_file(exported / EXPORT_FILES["layers"], layer="prefecture")
    assert prefecture["name"].tolist() == ["玉溪市"]


def test_roads_layer_rebuilds_the_network(exported):
    """The exported roads, read back as a road layer joined at line ends only, give the same network."""
    import networkx as nx

    from coverage.network import graph_from_road_layer

    region = load_demo("yuxi")
    G = graph_from_road_layer(exported / EXPORT_FILES["layers"], layer="roads", node_intersections=False)
    assert nx.is_strongly_connected(G)
    demo = region.graph()
    junctions = sum(1 for n in demo.nodes if len(set(demo.successors(n)) | set(demo.predecessors(n))) != 2)
    roads = gpd.read_file(exported / EXPORT_FILES["layers"], layer="roads")
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(roads.geometry.values, i)) for i in (0, -1)])
    assert G.number_of_nodes() == len(np.unique(np.round(ends, 7), axis=0))
    assert (
        junctions <= G.number_of_nodes() < 1.1 * junctions
    )  # lines break at junctions (and where roads meet)
    total = sum(d for *_, d in demo.edges(data="length"))
    assert sum(d for *_, d in G.edges(data="length")) == pytest.approx(total, rel=2e-3)


def test_export_unknown_region_raises(tmp_path):
    with pytest.raises(InputError, match="unknown demo region 'kunming'"):
        export_demo("kunming", tmp_path)
    assert not any(tmp_path.iterdir())
