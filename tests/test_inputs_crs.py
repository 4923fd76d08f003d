"""Chinese coordinate systems against published reference pairs, and exact round trips."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.errors import CRSError
from coverage.inputs.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    points_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

_GEOD = pyproj.Geod(ellps="WGS84")

# Reference pairs (wgs_lon, wgs_lat, gcj_lon, gcj_lat) from the test suite of googollee/eviltransform
# (python/test.py, "TESTS": Shanghai, Shenzhen, Beijing).
EVILTRANSFORM_WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]

# From the README/test of wandergis/coordtransform (test/app.js), input (116.404, 39.915):
COORDTRANSFORM_IN = (116.404, 39.915)
COORDTRANSFORM_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)  # the one-step closed formula


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_the_published_wgs_point_to_a_centimetre(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert _metres(lon, lat, wlon, wlat) < 0.01


def test_forward_formulas_match_coordtransform():
    lon, lat = wgs84_to_gcj02(*COORDTRANSFORM_IN)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM_WGS84_TO_GCJ02, abs=1e-9)
    lon, lat = gcj02_to_bd09(*COORDTRANSFORM_IN)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM_GCJ02_TO_BD09, abs=1e-9)


def test_bd09_to_gcj02_is_within_a_few_cm_of_the_one_step_formula_and_exact_inverse():
    lon, lat = bd09_to_gcj02(*COORDTRANSFORM_IN)
    assert _metres(lon, lat, *COORDTRANSFORM_BD09_TO_GCJ02) < 0.1
    back = gcj02_to_bd09(lon, lat)
    assert _metres(*back, *COORDTRANSFORM_IN) < 1e-4


def test_one_step_inverse_is_metres_off_where_iterative_is_sub_centimetre():
    # The usual one-step inverse w = g - offset(g) errs by metres; ours must not.
    rng = np.random.default_rng(7)
    wlon = rng.uniform(75, 134, 2000)
    wlat = rng.uniform(19, 53, 2000)
    glon, glat = wgs84_to_gcj02(wlon, wlat)
    one_lon = 2 * glon - wgs84_to_gcj02(glon, glat)[0]
    one_lat = 2 * glat - wgs84_to_gcj02(glon, glat)[1]
    one_step_m = _metres(one_lon, one_lat, wlon, wlat)
    lon, lat = gcj02_to_wgs84(glon, glat)
    exact_m = _metres(lon, lat, wlon, wlat)
    assert one_step_m.max() > 1.0
    assert exact_m.max() < 0.01


def test_round_trips_are_under_a_centimetre_across_china():
    rng = np.random.default_rng(20261123)
    lon = rng.uniform(73.7, 135.0, 5000)
    lat = rng.uniform(18.0, 53.5, 5000)
    assert _metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat).max() < 0.01
    assert _metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat).max() < 0.01
    assert _metres(*bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), lon, lat).max() < 0.01


def test_offsets_are_hundreds_of_metres_in_yunnan():
    lon, lat = wgs84_to_gcj02(102.54, 24.35)
    assert 100 < _metres(lon, lat, 102.54, 24.35) < 1000
    blon, blat = wgs84_to_bd09(102.54, 24.35)
    assert _metres(blon, blat, lon, lat) > 500  # Baidu adds its own shift on top


def test_gcj02_is_identity_outside_china_and_nan_stays_nan():
    lon, lat = wgs84_to_gcj02([2.35, np.nan], [48.85, 24.0])
    assert lon[0] == 2.35 and lat[0] == 48.85
    assert np.isnan(lon[1])
    back_lon, back_lat = gcj02_to_wgs84([2.35, np.nan, 102.5], [48.85, 24.0, np.nan])
    assert back_lon[0] == 2.35 and np.isnan(back_lon[1]) and np.isnan(back_lat[2])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        wgs84_to_gcj02([1.0, 2.0], [3.0])


@pytest.mark.parametrize(("option", "kind"), [("wgs84", "wgs84"), ("GCJ-02", "gcj02"), ("高德", "gcj02"),
                                               ("bd09", "bd09"), ("Baidu", "bd09"), ("EPSG:4326", "wgs84"),
                                               ("cgcs2000", "epsg"), ("EPSG:4545", "epsg"), (4543, "epsg")])
def test_parse_crs_options(option, kind):
    assert parse_crs(option).kind == kind


def test_parse_crs_unknown_names_the_options():
    with pytest.raises(CRSError, match="gcj02 \\(Amap/Tencent\\), bd09 \\(Baidu\\)"):
        parse_crs("mars")


def test_cgcs2000_gauss_krueger_zone_read_from_the_easting():
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4522", always_xy=True)  # zone 34, CM 102E
    x, y = to_gk.transform([102.54, 102.60], [24.35, 24.40])
    lon, lat, described = points_to_wgs84(x, y, parse_crs("cgcs2000"))
    assert "EPSG:4522" in described
    assert _metres(lon, lat, [102.54, 102.60], [24.35, 24.40]).max() < 0.01


def test_cgcs2000_projected_without_zone_number_asks_for_the_epsg_code():
    with pytest.raises(CRSError, match="EPSG:4543"):
        points_to_wgs84([512345.0], [2693000.0], parse_crs("cgcs2000"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lon=st.floats(73.7, 135.0), lat=st.floats(18.0, 53.5))
def test_property_gcj02_and_bd09_inverses_are_sub_centimetre(lon, lat):
    assert _metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < 0.01
    assert _metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01
