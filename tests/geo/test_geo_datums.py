"""Datum conversions: published reference values, sub-centimetre round trips, pass-through abroad."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.datums import (
    SUPPORTED_CRS,
    UnknownCRS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.distance import geodesic_m

ROUND_TRIP_BUDGET_M = 0.01

china_lat = st.floats(min_value=18.0, max_value=53.0)
china_lng = st.floats(min_value=73.0, max_value=135.0)


# (wgs lat, wgs lng, gcj lat, gcj lng) from public implementations' own test suites:
# wandergis/coordtransform test/app.js (Beijing, 116.404,39.915) and
# googollee/eviltransform's Python tests (Shanghai, Shenzhen, Beijing).
WGS84_TO_GCJ02_REFERENCE = [
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), WGS84_TO_GCJ02_REFERENCE)
def test_wgs84_to_gcj02_matches_published_values(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = wgs84_to_gcj02(wgs_lat, wgs_lng)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)
    assert lng == pytest.approx(gcj_lng, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), WGS84_TO_GCJ02_REFERENCE)
def test_gcj02_to_wgs84_recovers_published_inputs(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert geodesic_m(*gcj02_to_wgs84(gcj_lat, gcj_lng), wgs_lat, wgs_lng) < ROUND_TRIP_BUDGET_M


def test_gcj02_to_bd09_matches_published_value():
    # wandergis/coordtransform: gcj02tobd09(116.404, 39.915)
    lat, lng = gcj02_to_bd09(39.915, 116.404)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)
    assert lng == pytest.approx(116.41036949371029, abs=1e-9)


def test_bd09_to_gcj02_refines_the_published_one_step_inverse():
    # wandergis's bd09togcj02(116.404, 39.915) is the one-step approximation; the refined
    # answer stays within a few cm of it but, unlike it, maps back exactly.
    lat, lng = bd09_to_gcj02(39.915, 116.404)
    assert geodesic_m(lat, lng, 39.90865673957631, 116.39762729119315) < 0.2
    assert geodesic_m(*gcj02_to_bd09(lat, lng), 39.915, 116.404) < 0.001


def test_gcj02_to_wgs84_beats_the_one_step_inverse():
    # wandergis's gcj02towgs84(116.404, 39.915) subtracts the offset once.
    one_step = (39.91359571849836, 116.39775550083061)
    refined = gcj02_to_wgs84(39.915, 116.404)
    assert geodesic_m(*wgs84_to_gcj02(*refined), 39.915, 116.404) < 0.001
    assert geodesic_m(*wgs84_to_gcj02(*one_step), 39.915, 116.404) > 0.01


def test_offsets_in_baise_have_the_expected_size():
    seat = (23.903877, 106.614819)
    assert 100 < geodesic_m(*seat, *wgs84_to_gcj02(*seat)) < 700
    assert 400 < geodesic_m(*seat, *wgs84_to_bd09(*seat)) < 1500


@settings(max_examples=1500, deadline=None)
@given(lat=china_lat, lng=china_lng)
def test_gcj02_round_trips_within_a_centimetre(lat, lng):
    assert geodesic_m(lat, lng, *gcj02_to_wgs84(*wgs84_to_gcj02(lat, lng))) <= ROUND_TRIP_BUDGET_M
    assert geodesic_m(lat, lng, *wgs84_to_gcj02(*gcj02_to_wgs84(lat, lng))) <= ROUND_TRIP_BUDGET_M


@settings(max_examples=1500, deadline=None)
@given(lat=china_lat, lng=china_lng)
def test_bd09_round_trips_within_a_centimetre(lat, lng):
    assert geodesic_m(lat, lng, *bd09_to_wgs84(*wgs84_to_bd09(lat, lng))) <= ROUND_TRIP_BUDGET_M
    assert geodesic_m(lat, lng, *wgs84_to_bd09(*bd09_to_wgs84(lat, lng))) <= ROUND_TRIP_BUDGET_M
    assert geodesic_m(lat, lng, *bd09_to_gcj02(*gcj02_to_bd09(lat, lng))) <= ROUND_TRIP_BUDGET_M


@settings(max_examples=500, deadline=None)
@given(lat=china_lat, lng=china_lng, crs=st.sampled_from(SUPPORTED_CRS))
def test_to_wgs84_undoes_from_wgs84(lat, lng, crs):
    assert geodesic_m(lat, lng, *to_wgs84(*from_wgs84(lat, lng, crs), crs)) <= ROUND_TRIP_BUDGET_M


@pytest.mark.parametrize(
    ("lat", "lng"),
    [(51.5074, -0.1278), (-33.8688, 151.2093), (55.7558, 37.6173), (40.7128, -74.006), (0.5, 100.0)],
)
def test_points_outside_china_pass_through_unchanged(lat, lng):
    assert out_of_china(lat, lng)
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        assert convert(lat, lng) == (lat, lng)
    for crs in SUPPORTED_CRS:
        assert to_wgs84(lat, lng, crs) == (lat, lng)
        assert from_wgs84(lat, lng, crs) == (lat, lng)


def test_china_rectangle_is_the_published_one():
    assert not out_of_china(23.9, 106.6)
    assert not out_of_china(0.8293, 72.004)
    assert not out_of_china(55.8271, 137.8347)
    assert out_of_china(0.8292, 100.0)
    assert out_of_china(30.0, 137.8348)


def test_wgs84_is_the_identity():
    assert to_wgs84(23.9, 106.6, "wgs84") == (23.9, 106.6)
    assert from_wgs84(23.9, 106.6, "wgs84") == (23.9, 106.6)


@pytest.mark.parametrize("crs", ["WGS84", "gcj-02", "epsg:4326", "", None, 4326])
def test_unknown_crs_is_rejected(crs):
    with pytest.raises(UnknownCRS) as excinfo:
        to_wgs84(23.9, 106.6, crs)
    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(UnknownCRS):
        from_wgs84(23.9, 106.6, crs)


def test_results_are_finite_at_the_edges_of_china():
    for lat, lng in [(0.8293, 72.004), (55.8271, 137.8347), (0.8293, 137.8347), (55.8271, 72.004)]:
        for convert in (gcj02_to_wgs84, bd09_to_wgs84):
            assert all(math.isfinite(v) for v in convert(lat, lng))
