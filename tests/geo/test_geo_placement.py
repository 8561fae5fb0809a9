"""Generated township and village positions: deterministic, inside, plausibly laid out."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.distance import geodesic_m, haversine_km
from geo.placement import place_areas


def _county(divisions, code):
    return next(c for c in divisions["counties"] if c["adcode"] == code)


def test_every_township_and_village_gets_a_position(divisions, placed):
    expected = {t["code"] for t in divisions["townships"]} | {v["code"] for v in divisions["villages"]}
    assert len(divisions["townships"]) == 135
    assert len(divisions["villages"]) == 1897
    assert set(placed) == expected


def test_counts_are_preserved_per_county(divisions, townships_by_county):
    for county in divisions["counties"]:
        townships = townships_by_county[county["adcode"]]
        positions = place_areas(county["geometry"], townships)
        assert len(positions) == len(townships) + sum(len(villages) for _, villages in townships)


def test_placement_is_deterministic_and_order_independent(divisions, townships_by_county):
    county = _county(divisions, "451081")
    townships = townships_by_county["451081"]
    first = place_areas(county["geometry"], townships)
    again = place_areas(county["geometry"], townships)
    shuffled = place_areas(
        county["geometry"], [(code, list(reversed(villages))) for code, villages in reversed(townships)]
    )
    assert first == again == shuffled


def test_placement_is_the_same_on_every_machine(placed):
    # Pinned values: only Random.random() (stable across Python versions) and plain float
    # arithmetic feed these, so a change here means the algorithm changed, and every
    # stored generated position would move with it.
    assert placed["451002001"] == (23.892129, 106.405954)
    assert placed["451002001001"] == (23.896262, 106.459465)


def test_every_point_is_strictly_inside_its_county(divisions, placed, townships_by_county):
    for county in divisions["counties"]:
        polygon = shape(county["geometry"])
        codes = [code for code, villages in townships_by_county[county["adcode"]] for code in [code, *villages]]
        lats = np.array([placed[code][0] for code in codes])
        lngs = np.array([placed[code][1] for code in codes])
        assert shapely.contains_xy(polygon, lngs, lats).all(), county["adcode"]


def test_positions_have_six_decimals(placed):
    for lat, lng in placed.values():
        assert round(lat, 6) == lat and round(lng, 6) == lng


def test_villages_cluster_around_their_own_township(divisions, placed):
    own = [geodesic_m(*placed[v["code"]], *placed[v["township_code"]]) for v in divisions["villages"]]
    assert statistics.median(own) < 8_000
    assert max(own) <= 6_100  # the scatter disc is at most 6 km
    # ...and a village is nearer its own township centre than most other townships' centres.
    county_of = {t["code"]: t["county_adcode"] for t in divisions["townships"]}
    nearer_own = 0
    for village in divisions["villages"]:
        own_distance = geodesic_m(*placed[village["code"]], *placed[village["township_code"]])
        others = [
            haversine_km(*placed[village["code"]], *placed[t["code"]]) * 1000
            for t in divisions["townships"]
            if county_of[t["code"]] == county_of[village["township_code"]] and t["code"] != village["township_code"]
        ]
        nearer_own += own_distance <= statistics.median(others) if others else 1
    assert nearer_own / len(divisions["villages"]) > 0.95


def test_township_centres_do_not_clump(divisions, placed, townships_by_county):
    for county in divisions["counties"]:
        centres = [placed[code] for code, _ in townships_by_county[county["adcode"]]]
        nearest_neighbour = [min(geodesic_m(*a, *b) for b in centres if b is not a) for a in centres]
        assert min(nearest_neighbour) > 4_000, county["adcode"]


def test_placing_all_of_baise_is_fast(divisions, townships_by_county):
    started = time.perf_counter()
    for county in divisions["counties"]:
        place_areas(county["geometry"], townships_by_county[county["adcode"]])
    assert time.perf_counter() - started < 2.0


def test_pinned_centres_are_kept_and_others_avoid_them(divisions, townships_by_county):
    county = _county(divisions, "451002")
    seat_lng, seat_lat = county["seat"]
    townships = townships_by_county["451002"]
    seat_township = townships[0][0]
    positions = place_areas(county["geometry"], townships, pinned_centres={seat_township: (seat_lat, seat_lng)})
    assert positions[seat_township] == (seat_lat, seat_lng)
    for code, _ in townships[1:]:
        assert geodesic_m(*positions[code], seat_lat, seat_lng) > 4_000


def test_a_pinned_centre_outside_the_county_is_rejected(divisions, townships_by_county):
    county = _county(divisions, "451002")
    townships = townships_by_county["451002"]
    with pytest.raises(ValueError, match=townships[0][0]):
        place_areas(county["geometry"], townships, pinned_centres={townships[0][0]: (39.9, 116.4)})


def test_a_township_on_a_sliver_still_gets_villages_inside():
    # A 2 km wide, 40 km long strip: most of a 3-6 km scatter disc falls outside it.
    strip = {
        "type": "Polygon",
        "coordinates": [[[106.0, 24.0], [106.4, 24.0], [106.4, 24.02], [106.0, 24.02], [106.0, 24.0]]],
    }
    villages = [f"45100200{i:04d}" for i in range(30)]
    positions = place_areas(strip, [("451002001", villages)])
    polygon = shape(strip)
    assert all(polygon.contains(shapely.Point(lng, lat)) for lat, lng in positions.values())
    assert len(set(positions.values())) == 31


def test_a_geometry_without_area_is_rejected():
    with pytest.raises(ValueError):
        place_areas({"type": "Polygon", "coordinates": []}, [("451002001", [])])
