"""The grid index: cell ids, and that a radius's cell ranges never miss a point inside it."""

from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.cells import CELL_DEG, ROW_STRIDE, bbox_around, cell_of, cell_ranges
from geo.distance import MEAN_EARTH_RADIUS_KM


def test_cell_ids_are_row_and_column():
    # row = floor(113.9 * 10) = 1139, col = floor(286.6 * 10) = 2866
    assert cell_of(23.9, 106.6) == 1139 * ROW_STRIDE + 2866
    assert cell_of(-90.0, -180.0) == 0


def test_grid_lines_belong_to_the_cell_they_start():
    # 113.3 * 10 is 1132.9999999999998 in binary; it must still start row 1133.
    assert cell_of(23.3, 106.6) // ROW_STRIDE == 1133
    assert cell_of(23.3 - 1e-7, 106.6) // ROW_STRIDE == 1132
    assert cell_of(23.9, 106.7) % ROW_STRIDE == 2867


def test_the_far_edges_fold_into_the_last_cell():
    assert cell_of(90.0, 180.0) == 1799 * ROW_STRIDE + 3599
    assert cell_of(90.0, 0.0) // ROW_STRIDE == 1799
    assert cell_of(0.0, 180.0) % ROW_STRIDE == 3599


def test_cell_size_is_a_tenth_of_a_degree():
    assert pytest.approx(0.1) == CELL_DEG
    assert cell_of(23.95, 106.6) == cell_of(23.9, 106.6)
    assert cell_of(24.0, 106.6) == cell_of(23.9, 106.6) + ROW_STRIDE


def test_a_ten_km_search_in_baise_is_a_few_row_scans():
    ranges = cell_ranges(23.9, 106.6, 10.0)
    assert 2 <= len(ranges) <= 3
    for lo, hi in ranges:
        assert lo <= hi
        assert lo // ROW_STRIDE == hi // ROW_STRIDE
        assert hi - lo <= 3


def test_a_circle_reaching_a_pole_spans_every_longitude():
    min_lat, min_lng, max_lat, max_lng = bbox_around(89.9, 10.0, 50.0)
    assert (min_lng, max_lat, max_lng) == (-180.0, 90.0, 180.0)
    assert min_lat < 89.9


def test_zero_radius_is_the_point_itself():
    min_lat, min_lng, max_lat, max_lng = bbox_around(23.9, 106.6, 0.0)
    assert min_lat <= 23.9 <= max_lat and min_lng <= 106.6 <= max_lng
    assert cell_ranges(23.95, 106.65, 0.0) == [(cell_of(23.95, 106.65), cell_of(23.95, 106.65))]


@pytest.mark.parametrize("radius", [-1.0, math.nan])
def test_bad_radius_is_rejected(radius):
    with pytest.raises(ValueError):
        bbox_around(23.9, 106.6, radius)


def _spherical_destination(lat: float, lng: float, bearing_deg: float, km: float) -> tuple[float, float]:
    phi, lmb, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    delta = km / MEAN_EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lmb2 = lmb + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lmb2)


def _assert_covered(centre_lat, centre_lng, radius_km, lat, lng):
    min_lat, min_lng, max_lat, max_lng = bbox_around(centre_lat, centre_lng, radius_km)
    assert min_lat <= lat <= max_lat
    assert min_lng <= lng <= max_lng
    cell = cell_of(lat, lng)
    assert any(lo <= cell <= hi for lo, hi in cell_ranges(centre_lat, centre_lng, radius_km))


points_within = dict(
    bearing=st.floats(0.0, 360.0),
    # Up to and including the radius itself: the box must hold the circle's edge too.
    fraction=st.floats(0.0, 1.0),
)


@settings(max_examples=1500, deadline=None)
@given(
    lat=st.floats(18.0, 53.0),
    lng=st.floats(73.0, 135.0),
    radius_km=st.floats(0.01, 100.0),
    **points_within,
)
def test_every_point_within_the_radius_is_in_the_ranges_in_china(lat, lng, radius_km, bearing, fraction):
    on_ellipsoid = geodesic(kilometers=radius_km * fraction).destination((lat, lng), bearing)
    _assert_covered(lat, lng, radius_km, on_ellipsoid.latitude, on_ellipsoid.longitude)
    _assert_covered(lat, lng, radius_km, *_spherical_destination(lat, lng, bearing, radius_km * fraction))


@settings(max_examples=1000, deadline=None)
@given(
    lat=st.floats(-85.0, 85.0),
    lng=st.floats(-170.0, 170.0),
    radius_km=st.floats(0.01, 300.0),
    **points_within,
)
def test_every_point_within_the_radius_is_in_the_ranges_anywhere(lat, lng, radius_km, bearing, fraction):
    # The grid does not wrap at the antimeridian (China is far from it): circles that cross it are
    # outside what the index promises. At 85° a 300 km circle spans ~31° of longitude.
    half_width = math.degrees(radius_km / 6335.0) / max(math.cos(math.radians(abs(lat) + 3)), 1e-6)
    assume(lng - half_width > -180 and lng + half_width < 180)
    on_ellipsoid = geodesic(kilometers=radius_km * fraction).destination((lat, lng), bearing)
    _assert_covered(lat, lng, radius_km, on_ellipsoid.latitude, on_ellipsoid.longitude)
    _assert_covered(lat, lng, radius_km, *_spherical_destination(lat, lng, bearing, radius_km * fraction))


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(18.0, 53.0), lng=st.floats(73.0, 135.0), radius_km=st.floats(0.5, 50.0))
def test_the_box_is_not_wastefully_large(lat, lng, radius_km):
    # Conservative, but only by the ~0.6 % between the small and the mean earth radius.
    min_lat, min_lng, max_lat, max_lng = bbox_around(lat, lng, radius_km)
    tight_dlat = math.degrees(radius_km / MEAN_EARTH_RADIUS_KM)
    assert (max_lat - min_lat) / 2 < tight_dlat * 1.01
    assert (max_lng - min_lng) / 2 < tight_dlat / math.cos(math.radians(lat)) * 1.02
