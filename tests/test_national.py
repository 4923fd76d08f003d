"""National runs: one Dask task per prefecture, merged, equal to running each prefecture alone."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from coverage.dataset import open_dataset
from coverage.errors import InputError
from coverage.metrics import analyze, default_standards
from coverage.national import DaskMissingError, run_regions
from coverage.traveltime import TravelTimeEngine

REGIONS = ("demo:yuxi", "demo:dali")


def alone(source: str) -> pd.DataFrame:
    """The village table of one region analysed on its own, with the plain public API."""
    ds = open_dataset(source)
    std = default_standards()
    engines = {m: TravelTimeEngine(ds.graph(), mode=m) for m in std.modes}
    return analyze(ds.demand, ds.facilities, standards=std, engines=engines, boundaries=ds.boundaries,
                   prefecture_name=ds.name)


@pytest.fixture(scope="module")
def merged():
    pytest.importorskip("distributed")
    return run_regions(REGIONS, scheduler="distributed", n_workers=2)


def test_merged_villages_equal_each_region_alone(merged) -> None:
    assert [r.name for r in merged.regions] == [open_dataset(s).name for s in REGIONS]
    for source in REGIONS:
        res = alone(source)
        name = res.prefecture_name
        got = merged.villages[merged.villages["region"] == name].drop(columns="region").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, res.villages.reset_index(drop=True))
        got_summary = merged.summary[merged.summary["region"] == name].drop(columns="region")
        pd.testing.assert_frame_equal(got_summary.reset_index(drop=True), res.summary.reset_index(drop=True))
    # every village once per service, from its own region
    assert not merged.villages.duplicated(["id", "service"]).any()


def test_totals_add_up_over_regions(merged) -> None:
    s = merged.summary
    for (service, group), rows in s.groupby(["service", "group"]):
        tot = merged.totals[(merged.totals["service"] == service) & (merged.totals["group"] == group)].iloc[0]
        assert tot["covered_people"] == pytest.approx(rows["covered_people"].sum())
        assert tot["total_people"] == pytest.approx(rows["total_people"].sum())
        assert tot["share"] == pytest.approx(rows["covered_people"].sum() / rows["total_people"].sum())
        assert 0.0 <= tot["share"] <= 1.0


def test_border_buffer_lends_neighbours_facilities_and_never_lengthens_a_trip(merged) -> None:
    # Yuxi and Dali are ~250 km apart: a 400 km buffer lends each the other's facilities
    lent = run_regions(REGIONS, scheduler="sync", border_buffer_km=400.0)
    assert all(r.n_borrowed_facilities > 0 for r in lent.regions)
    assert all(r.n_borrowed_facilities == 0 for r in merged.regions)
    key = ["region", "id", "service"]
    a = merged.villages.set_index(key)["travel_time_min"]
    b = lent.villages.set_index(key)["travel_time_min"].reindex(a.index)
    assert len(a) == len(lent.villages)  # still each region's own villages only
    assert ((b <= a + 1e-9) | a.isna()).all()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InputError):
        run_regions([])
    with pytest.raises(InputError, match="scheduler"):
        run_regions(REGIONS, scheduler="spark")
    with pytest.raises(InputError, match="border_buffer_km"):
        run_regions(REGIONS, scheduler="sync", border_buffer_km=-1)


def test_without_dask_a_clear_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "dask", None)  # import dask -> ImportError
    with pytest.raises(DaskMissingError, match="pip install"):
        run_regions(REGIONS, scheduler="threads")


def test_coverage_does_not_import_dask() -> None:
    code = "import sys, coverage, coverage.national; print('dask' in sys.modules, 'distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
