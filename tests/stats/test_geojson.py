"""The coverage map and area boundaries follow RFC 7946, and the derived townships partition their
counties: through the real URL stack, over Baise's real divisions."""

from __future__ import annotations

import math
from itertools import combinations

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from tests.factories import BureauFactory

pytestmark = pytest.mark.django_db
# Degrees² to m² near Baise (~24° N): plenty for thresholds of a square metre.
M2_PER_DEG2 = 111_320.0**2 * math.cos(math.radians(24))


@pytest.fixture
def bureau(api, baise):
    return api.as_user(BureauFactory())


def _features(client, level: str) -> list[dict]:
    response = client.get("/stats/coverage", level=level)
    assert response.status_code == 200
    return response.json()["features"]


def _polygons(geometry: dict):
    g = shape(geometry)
    return list(g.geoms) if g.geom_type == "MultiPolygon" else [g]


def _decimals(value) -> int:
    if isinstance(value, (int, float)):
        return len(repr(value).partition(".")[2])
    return max(_decimals(item) for item in value)


@pytest.mark.parametrize("level", ["county", "township"])
def test_every_exterior_ring_of_the_coverage_map_is_counter_clockwise(bureau, level):
    polygons = [p for f in _features(bureau, level) if f["geometry"] for p in _polygons(f["geometry"])]

    assert polygons
    assert [p for p in polygons if not p.exterior.is_ccw] == []


@pytest.mark.parametrize("level", ["county", "township"])
def test_every_hole_of_the_coverage_map_is_clockwise(bureau, level):
    holes = [ring for f in _features(bureau, level) if f["geometry"]
             for p in _polygons(f["geometry"]) for ring in p.interiors]

    assert [ring for ring in holes if ring.is_ccw] == []


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_coverage_coordinates_have_at_most_six_decimals(bureau, level):
    features = [f for f in _features(bureau, level) if f["geometry"]]

    assert features
    assert max(_decimals(f["geometry"]["coordinates"]) for f in features) <= 6


def test_an_area_boundary_follows_rfc_7946(bureau):
    response = bureau.get("/areas/451002", geometry=1)

    assert response.status_code == 200
    geometry = response.json()["geometry"]
    assert all(p.exterior.is_ccw for p in _polygons(geometry))
    assert _decimals(geometry["coordinates"]) <= 6


def test_no_two_townships_of_a_county_overlap(bureau):
    townships = [(f["id"], shape(f["geometry"])) for f in _features(bureau, "township") if f["geometry"]]

    overlapping = [
        (a, b, round(ga.intersection(gb).area * M2_PER_DEG2, 1))
        for (a, ga), (b, gb) in combinations(townships, 2)
        if a[:6] == b[:6] and ga.intersects(gb) and ga.intersection(gb).area * M2_PER_DEG2 > 1.0
    ]
    assert overlapping == []


def test_the_townships_of_a_county_cover_it(bureau):
    counties = {f["id"]: shape(f["geometry"]) for f in _features(bureau, "county")}
    townships = [(f["id"], shape(f["geometry"])) for f in _features(bureau, "township") if f["geometry"]]

    for code, county in counties.items():
        union = unary_union([g for t, g in townships if t[:6] == code])
        # Rounding to six decimals moves a vertex by at most ~0.1 m: allow a strip that wide along the border.
        allowance_m2 = county.length * math.sqrt(M2_PER_DEG2) * 0.1
        assert county.difference(union).area * M2_PER_DEG2 < allowance_m2, code
        assert union.difference(county).area * M2_PER_DEG2 < allowance_m2, code
