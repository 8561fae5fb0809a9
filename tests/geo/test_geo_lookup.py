"""Area lookup against the real Baise county polygons and the generated village positions."""

from __future__ import annotations

import random

import pytest
import shapely
from shapely.geometry import shape

from geo.distance import geodesic_m
from geo.lookup import AreaIndex, CountyShape, Located

COUNTY_CODES = [
    "451002", "451003", "451022", "451024", "451026", "451027",
    "451028", "451029", "451030", "451031", "451081", "451082",
]  # fmt: skip


@pytest.fixture(scope="session")
def county_of_village(divisions) -> dict[str, str]:
    county_of_township = {t["code"]: t["county_adcode"] for t in divisions["townships"]}
    return {v["code"]: county_of_township[v["township_code"]] for v in divisions["villages"]}


def test_there_are_twelve_counties(divisions):
    assert sorted(c["adcode"] for c in divisions["counties"]) == COUNTY_CODES


@pytest.mark.parametrize("code", COUNTY_CODES)
def test_every_county_seat_locates_to_its_own_county(code, divisions, area_index, county_of_village):
    county = next(c for c in divisions["counties"] if c["adcode"] == code)
    lng, lat = county["seat"]
    located = area_index.locate(lat, lng)
    assert located.county == (code, county["name"])
    # The nearest village is a real village of that county, and its township is its parent.
    village_code, village_name = located.village
    assert county_of_village[village_code] == code
    village = next(v for v in divisions["villages"] if v["code"] == village_code)
    assert village["name"] == village_name
    assert located.township[0] == village["township_code"]
    assert located.distance_m is not None and 0 <= located.distance_m < 20_000


def test_nearest_village_is_the_geodesic_nearest_of_the_county(divisions, area_index, placed, county_of_village):
    rng = random.Random(20240601)
    for county in divisions["counties"]:
        polygon = shape(county["geometry"])
        min_lng, min_lat, max_lng, max_lat = polygon.bounds
        own = [code for code, c in county_of_village.items() if c == county["adcode"]]
        tried = 0
        while tried < 4:
            lat = min_lat + (max_lat - min_lat) * rng.random()
            lng = min_lng + (max_lng - min_lng) * rng.random()
            if not polygon.contains(shape({"type": "Point", "coordinates": [lng, lat]})):
                continue
            tried += 1
            brute_force = min((geodesic_m(lat, lng, *placed[code]), code) for code in own)
            located = area_index.locate(lat, lng)
            assert located.county[0] == county["adcode"]
            assert located.village[0] == brute_force[1]
            assert located.distance_m == pytest.approx(brute_force[0], abs=0.001)


def test_every_generated_village_locates_back_to_itself(divisions, area_index, placed):
    for village in divisions["villages"]:
        located = area_index.locate(*placed[village["code"]])
        assert located.village[0] == village["code"]
        assert located.township[0] == village["township_code"]
        assert located.distance_m == 0.0


def _shared_border_vertex(divisions, first: str, second: str) -> tuple[float, float]:
    """A boundary vertex both counties have; the data's shared borders match exactly."""
    a, b = (
        shape(next(c for c in divisions["counties"] if c["adcode"] == code)["geometry"]) for code in (first, second)
    )
    vertices_of_a = {tuple(xy) for xy in shapely.get_coordinates(a.boundary).tolist()}
    for lng, lat in shapely.get_coordinates(b.boundary).tolist():
        if (lng, lat) in vertices_of_a:
            return lat, lng
    raise AssertionError(f"{first} and {second} share no vertex")


@pytest.mark.parametrize(("first", "second"), [("451002", "451003"), ("451029", "451030"), ("451024", "451081")])
def test_shared_border_resolves_to_the_lowest_code(first, second, divisions, make_area_index):
    lat, lng = _shared_border_vertex(divisions, first, second)
    point = shape({"type": "Point", "coordinates": [lng, lat]})
    covering = {c["adcode"] for c in divisions["counties"] if shape(c["geometry"]).covers(point)}
    # Some shared vertices are three-county junctions; the rule is the same.
    assert {first, second} <= covering
    expected = min(covering)
    assert make_area_index().county_at(lat, lng).code == expected
    reordered = make_area_index(counties=list(reversed(divisions["counties"])))
    assert reordered.county_at(lat, lng).code == expected
    assert reordered.locate(lat, lng).county[0] == expected


@pytest.mark.parametrize(("lat", "lng"), [(39.9, 116.4), (21.03, 105.85), (22.817, 108.366), (0.0, 0.0)])
def test_points_outside_baise_have_no_area(lat, lng, area_index):
    assert area_index.county_at(lat, lng) is None
    assert area_index.locate(lat, lng) == Located(county=None, township=None, village=None, distance_m=None)


def test_nearest_village_works_anywhere(area_index, county_of_village):
    from_beijing = area_index.nearest_village(39.9, 116.4)
    assert from_beijing is not None
    assert from_beijing.distance_m > 1_500_000
    # From Hanoi the nearest Baise villages are on the Vietnamese border (Napo, Jingxi).
    from_hanoi = area_index.nearest_village(21.03, 105.85)
    assert county_of_village[from_hanoi.code] in {"451026", "451081", "451024"}


def test_nearest_village_can_be_limited_to_a_county(area_index, divisions, county_of_village):
    napo_seat = next(c for c in divisions["counties"] if c["adcode"] == "451026")["seat"]
    in_jingxi = area_index.nearest_village(napo_seat[1], napo_seat[0], county_code="451081")
    assert county_of_village[in_jingxi.code] == "451081"
    assert area_index.nearest_village(23.9, 106.6, county_code="999999") is None


def test_a_county_without_villages_still_locates(make_area_index, divisions):
    index = make_area_index(with_villages=False)
    lng, lat = divisions["counties"][0]["seat"]
    located = index.locate(lat, lng)
    assert located.county[0] == divisions["counties"][0]["adcode"]
    assert (located.township, located.village, located.distance_m) == (None, None, None)
    assert index.nearest_village(lat, lng) is None


def test_as_dict():
    located = Located(county=("451002", "右江区"), township=None, village=None, distance_m=None)
    assert located.as_dict() == {"county": ("451002", "右江区"), "township": None, "village": None, "distance_m": None}


def test_an_empty_index_finds_nothing():
    index = AreaIndex(counties=[], townships=[], villages=[])
    assert index.locate(23.9, 106.6).county is None
    assert index.nearest_village(23.9, 106.6) is None


def test_county_shape_keeps_geojson(divisions):
    county = divisions["counties"][0]
    shape_ = CountyShape(county["adcode"], county["name"], county["geometry"])
    assert shape_.geometry["type"] == "MultiPolygon"
