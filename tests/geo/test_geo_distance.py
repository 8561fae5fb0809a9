"""Point validation and the two distance functions."""

from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.distance import InvalidCoordinate, geodesic_m, haversine_km, validate_point

lats = st.floats(min_value=-89.0, max_value=89.0)
lngs = st.floats(min_value=-180.0, max_value=180.0)


def test_geodesic_m_is_geopys_wgs84_geodesic():
    pairs = [((23.903877, 106.614819), (22.817, 108.366)), ((0.0, 0.0), (1.0, 0.0)), ((39.9, 116.4), (21.03, 105.85))]
    for a, b in pairs:
        # The same Karney solution; geopy goes through kilometres, so the last bit may differ.
        assert geodesic_m(*a, *b) == pytest.approx(geodesic(a, b).meters, rel=1e-12, abs=1e-9)


def test_geodesic_m_knows_the_ellipsoid():
    # One degree of latitude at the equator is 110,574 m on WGS-84 (111,195 m on the mean sphere).
    assert geodesic_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(110_574.4, abs=0.5)
    assert geodesic_m(23.9, 106.6, 23.9, 106.6) == 0.0


@settings(max_examples=1000, deadline=None)
@given(lat1=lats, lng1=lngs, lat2=lats, lng2=lngs)
def test_haversine_is_close_to_the_geodesic(lat1, lng1, lat2, lng2):
    exact_km = geodesic_m(lat1, lng1, lat2, lng2) / 1000.0
    assume(exact_km > 0.001)
    # 0.56 % is the worst case anywhere (short north-south hops at the equator).
    assert haversine_km(lat1, lng1, lat2, lng2) == pytest.approx(exact_km, rel=0.0057)


@settings(max_examples=1000, deadline=None)
@given(
    lat1=st.floats(18.0, 53.0),
    lng1=st.floats(73.0, 135.0),
    lat2=st.floats(18.0, 53.0),
    lng2=st.floats(73.0, 135.0),
)
def test_haversine_is_within_half_a_percent_across_china(lat1, lng1, lat2, lng2):
    exact_km = geodesic_m(lat1, lng1, lat2, lng2) / 1000.0
    assume(exact_km > 0.001)
    assert haversine_km(lat1, lng1, lat2, lng2) == pytest.approx(exact_km, rel=0.005)


def test_haversine_handles_antipodes():
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * 6371.0088)


@pytest.mark.parametrize(
    ("lat", "lng"),
    [(0, 0), (90, 180), (-90, -180), (23.9, 106.6), ("23.9", "106.6"), (23, 106)],
)
def test_valid_points_come_back_as_floats(lat, lng):
    checked = validate_point(lat, lng)
    assert checked == (float(lat), float(lng))
    assert all(type(v) is float for v in checked)


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [
        (math.nan, 106.6, "lat"),
        (23.9, math.nan, "lng"),
        (math.inf, 106.6, "lat"),
        (23.9, -math.inf, "lng"),
        (90.000001, 106.6, "lat"),
        (-91, 106.6, "lat"),
        (23.9, 180.000001, "lng"),
        (23.9, -181, "lng"),
        (None, 106.6, "lat"),
        (23.9, "east", "lng"),
        (True, 106.6, "lat"),
        (math.nan, math.nan, "lat"),
    ],
)
def test_invalid_points_name_the_bad_field(lat, lng, field):
    with pytest.raises(InvalidCoordinate) as excinfo:
        validate_point(lat, lng)
    assert excinfo.value.field == field
    assert excinfo.value.message
    assert isinstance(excinfo.value, ValueError)


def test_geodesic_many_agrees_with_karney_to_a_millimetre():
    import numpy as np

    from geo.distance import geodesic_many_m

    rng = np.random.default_rng(5)
    lat, lng = 23.9, 106.6
    lats = np.concatenate([rng.uniform(18, 53, 3000), lat + rng.normal(0, 0.3, 3000), [lat, -lat, 89.9, -89.9]])
    lngs = np.concatenate([rng.uniform(73, 135, 3000), lng + rng.normal(0, 0.3, 3000), [lng, lng + 180, 0, 0]])
    many = geodesic_many_m(lat, lng, lats, lngs)
    one = np.array([geodesic_m(lat, lng, a, b) for a, b in zip(lats.tolist(), lngs.tolist(), strict=True)])
    assert np.abs(many - one).max() < 1e-3
    assert many[6000] == 0.0  # the same point


def test_geodesic_many_falls_back_where_vincenty_does_not_converge():
    import numpy as np

    from geo.distance import geodesic_many_m

    # Nearly antipodal: Vincenty's iteration fails here; Karney's answer is used instead.
    lats, lngs = np.array([-0.5]), np.array([179.7])
    assert geodesic_many_m(0.0, 0.0, lats, lngs)[0] == pytest.approx(geodesic_m(0.0, 0.0, -0.5, 179.7), abs=1e-3)
