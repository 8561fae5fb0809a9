"""Radius and polygon fences, with and without a reported accuracy."""

from __future__ import annotations

import math

import pytest
import shapely
from geopy.distance import geodesic
from shapely.geometry import LineString, Polygon, box, mapping, shape

from geo.distance import InvalidCoordinate, geodesic_m, haversine_km
from geo.fences import (
    ACCURACY_CAP_M,
    DEFAULT_VILLAGE_RADIUS_M,
    FenceCheck,
    check_polygon_fence,
    check_radius_fence,
    distance_outside_polygon_m,
)

SEAT = (23.903877, 106.614819)  # Youjiang district seat, Baise city


def metres_from_seat(metres: float, bearing: float = 0.0) -> tuple[float, float]:
    point = geodesic(meters=metres).destination(SEAT, bearing)
    return point.latitude, point.longitude


def test_default_village_radius_is_a_few_km():
    assert 1000 <= DEFAULT_VILLAGE_RADIUS_M <= 5000
    assert ACCURACY_CAP_M == 500


def test_point_inside_the_radius():
    check = check_radius_fence(*SEAT, 1500, *metres_from_seat(1000), accuracy_m=20)
    assert check == FenceCheck(
        inside=True,
        distance_m=0.0,
        effective_radius_m=1520,
        reasons=("inside",),
        center_distance_m=pytest.approx(1000, abs=0.01),
    )


def test_point_outside_but_within_its_accuracy():
    check = check_radius_fence(*SEAT, 1500, *metres_from_seat(1700, bearing=73), accuracy_m=300)
    assert check.inside
    assert check.reasons == ("inside_within_accuracy",)
    assert check.distance_m == pytest.approx(200, abs=0.01)
    assert check.effective_radius_m == 1800


def test_point_outside_even_with_its_accuracy():
    check = check_radius_fence(*SEAT, 1500, *metres_from_seat(1700, bearing=200), accuracy_m=100)
    assert not check.inside
    assert check.reasons == ("outside_fence",)
    assert check.distance_m == pytest.approx(200, abs=0.01)
    assert check.center_distance_m == pytest.approx(1700, abs=0.01)


def test_a_vague_fix_only_earns_the_capped_allowance():
    near = check_radius_fence(*SEAT, 1500, *metres_from_seat(1900), accuracy_m=5000)
    assert near.inside
    assert near.reasons == ("inside_within_accuracy", "accuracy_capped")
    assert near.effective_radius_m == 1500 + ACCURACY_CAP_M

    far = check_radius_fence(*SEAT, 1500, *metres_from_seat(2100), accuracy_m=5000)
    assert not far.inside
    assert far.reasons == ("outside_fence", "accuracy_capped")


@pytest.mark.parametrize("accuracy", [None, -1.0, math.nan, math.inf])
def test_unknown_accuracy_earns_no_allowance(accuracy):
    inside = check_radius_fence(*SEAT, 1500, *metres_from_seat(1400), accuracy_m=accuracy)
    assert inside.inside
    assert inside.reasons == ("inside", "accuracy_unknown")
    outside = check_radius_fence(*SEAT, 1500, *metres_from_seat(1510), accuracy_m=accuracy)
    assert not outside.inside
    assert outside.reasons == ("outside_fence", "accuracy_unknown")
    assert outside.effective_radius_m == 1500


def test_the_fence_edge_counts_as_inside():
    check = check_radius_fence(*SEAT, 1500, *SEAT, accuracy_m=0)
    assert check.inside and check.distance_m == 0.0 and check.reasons == ("inside",)


def test_as_dict_is_json_ready():
    data = check_radius_fence(*SEAT, 1500, *metres_from_seat(1700), accuracy_m=5000).as_dict()
    assert data["reasons"] == ["inside_within_accuracy", "accuracy_capped"]
    assert set(data) == {"inside", "distance_m", "effective_radius_m", "reasons", "center_distance_m"}


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        check_radius_fence(*SEAT, -1, *SEAT)
    with pytest.raises(InvalidCoordinate) as excinfo:
        check_radius_fence(*SEAT, 1500, 23.9, math.nan)
    assert excinfo.value.field == "lng"
    with pytest.raises(InvalidCoordinate):
        check_polygon_fence(box(106.5, 23.8, 106.7, 24.0), 91.0, 106.6)


# A 0.2-degree box around the Youjiang seat; GeoJSON is lon/lat.
SQUARE = box(106.5, 23.8, 106.7, 24.0)


def test_point_inside_a_polygon():
    check = check_polygon_fence(SQUARE, *SEAT)
    assert check.inside and check.distance_m == 0.0
    assert check.reasons == ("inside", "accuracy_unknown")
    assert check.center_distance_m is None


def test_polygon_boundary_counts_as_inside():
    assert check_polygon_fence(SQUARE, 24.0, 106.6, accuracy_m=10).reasons == ("inside",)


def test_polygon_distance_north_and_east():
    north = check_polygon_fence(SQUARE, 24.01, 106.6, accuracy_m=10)
    assert not north.inside
    assert north.distance_m == pytest.approx(geodesic_m(24.01, 106.6, 24.0, 106.6), abs=0.5)
    # East-west degrees are shorter: 0.01 deg of longitude is ~1,017 m here, not ~1,109 m.
    east = check_polygon_fence(SQUARE, 23.9, 106.71, accuracy_m=10)
    assert east.distance_m == pytest.approx(geodesic_m(23.9, 106.71, 23.9, 106.7), abs=0.5)
    assert 1000 < east.distance_m < 1030


def test_polygon_distance_to_a_corner():
    check = check_polygon_fence(SQUARE, 24.01, 106.71)
    assert check.distance_m == pytest.approx(geodesic_m(24.01, 106.71, 24.0, 106.7), abs=0.5)


def test_polygon_accuracy_allowance():
    just_out = check_polygon_fence(SQUARE, 24.003, 106.6, accuracy_m=400)  # ~333 m north
    assert just_out.inside
    assert just_out.reasons == ("inside_within_accuracy",)
    assert just_out.effective_radius_m == 400
    assert not check_polygon_fence(SQUARE, 24.003, 106.6, accuracy_m=300).inside


def test_polygon_accepts_geojson():
    as_geojson = mapping(SQUARE)
    assert check_polygon_fence(as_geojson, 24.01, 106.6) == check_polygon_fence(SQUARE, 24.01, 106.6)


def test_nearest_point_accounts_for_shrinking_longitude_degrees():
    # A slanted edge from (lat 24.0, lng 106.0) to (lat 25.0, lng 107.0). In raw degrees
    # the nearest point to a point east of it differs from the true nearest point.
    # Raw-degree nearest_points is ~110 m (0.4 %) too far here.
    wedge = Polygon([(106.0, 24.0), (107.0, 25.0), (105.0, 25.0)])
    lat, lng = 24.2, 106.6
    edge = LineString([(106.0, 24.0), (107.0, 25.0)]).segmentize(0.0005)  # ~75 m steps
    brute_force_m = min(geodesic_m(lat, lng, y, x) for x, y in edge.coords)
    assert distance_outside_polygon_m(wedge, lat, lng) == pytest.approx(brute_force_m, abs=2.0)


def test_polygon_distance_matches_brute_force_around_a_real_county(divisions):
    county = shape(next(c for c in divisions["counties"] if c["adcode"] == "451002")["geometry"])
    vertices = shapely.get_coordinates(county.boundary.segmentize(0.002)).tolist()
    min_lng, min_lat, max_lng, max_lat = county.bounds
    outside_points = [
        (min_lat - 0.05, (min_lng + max_lng) / 2),
        (max_lat + 0.1, min_lng),
        ((min_lat + max_lat) / 2, max_lng + 0.07),
        (max_lat + 0.02, max_lng + 0.02),
        (min_lat - 0.3, min_lng - 0.3),
    ]
    for lat, lng in outside_points:
        check = check_polygon_fence(county, lat, lng)
        assert not check.inside
        brute_force_km = min(haversine_km(lat, lng, y, x) for x, y in vertices)
        # Densified to ~200 m, so brute force may overshoot by up to ~100 m.
        assert check.distance_m / 1000 <= brute_force_km * 1.006
        assert check.distance_m / 1000 >= brute_force_km * 0.994 - 0.1


def test_seat_inside_its_county_and_beijing_far_outside(divisions):
    county = next(c for c in divisions["counties"] if c["adcode"] == "451002")
    lng, lat = county["seat"]
    assert check_polygon_fence(county["geometry"], lat, lng).inside
    beijing = check_polygon_fence(county["geometry"], 39.9, 116.4, accuracy_m=50)
    assert not beijing.inside
    assert beijing.distance_m > 1_500_000
