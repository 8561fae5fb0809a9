"""The near selector against brute force, on the database the suite runs on."""

import random

import pytest

from core.near import arrays_near, rows_near
from geo.cells import cell_of
from geo.distance import geodesic_m, haversine_km
from geo.near import nearest_page, nearest_page_of
from villages.models import Area, AreaLevel

pytestmark = pytest.mark.django_db

N_POINTS = 10_000


@pytest.fixture
def points():
    rng = random.Random(20251124)
    rows = []
    for i in range(N_POINTS):
        # Clustered like villages around seats, plus a uniform background, over Baise's extent.
        if i % 4:
            lat, lng = rng.gauss(23.9, 0.35), rng.gauss(106.6, 0.45)
        else:
            lat, lng = rng.uniform(22.5, 25.2), rng.uniform(104.4, 107.9)
        rows.append(Area(code=f"99{i:010d}", name=f"p{i}", level=AreaLevel.VILLAGE, lat=lat, lng=lng,
                         cell=cell_of(lat, lng)))
    Area.objects.bulk_create(rows, batch_size=2000)
    return [(r.code, r.lat, r.lng) for r in rows]


def brute_force(points, lat, lng, radius_km):
    """Every point, measured on the ellipsoid. (A haversine pass with 5 % slack - ten times its
    error - only skips points that are obviously far, to keep the test quick.)"""
    within = [
        (round(geodesic_m(lat, lng, plat, plng) / 1000, 9), code)
        for code, plat, plng in points
        if haversine_km(lat, lng, plat, plng) <= radius_km * 1.05
    ]
    return sorted((d, code) for d, code in within if d <= radius_km)


QUERIES = [
    (23.9, 106.6, 30.0),
    (23.9, 106.6, 2.0),
    (24.4, 105.2, 50.0),
    (23.1, 107.5, 12.5),
    (22.6, 104.5, 80.0),  # at the data's corner
    (30.0, 120.0, 30.0),  # nothing there
]


@pytest.mark.parametrize(("lat", "lng", "radius_km"), QUERIES)
def test_near_equals_brute_force_membership(points, lat, lng, radius_km):
    qs = Area.objects.filter(code__startswith="99")
    hits = rows_near(qs, lat, lng, radius_km)
    expected = brute_force(points, lat, lng, radius_km)
    assert sorted(h.pk for h in hits) == sorted(code for _, code in expected)


@pytest.mark.parametrize(("lat", "lng", "radius_km"), QUERIES[:4])
def test_every_page_equals_the_brute_force_slice(points, lat, lng, radius_km):
    qs = Area.objects.filter(code__startswith="99")
    hits = rows_near(qs, lat, lng, radius_km)
    expected = brute_force(points, lat, lng, radius_km)
    for offset in (0, 7, 50, len(expected) // 2):
        page = nearest_page(hits, lat, lng, offset, 20)
        want = expected[offset : offset + 20]
        assert [h.pk for h in page] == [code for _, code in want]
        assert [round(h.distance_km, 6) for h in page] == pytest.approx([d for d, _ in want], abs=1e-6)


@pytest.mark.parametrize(("lat", "lng", "radius_km"), QUERIES[:4])
def test_a_page_of_the_columns_equals_the_brute_force_slice(points, lat, lng, radius_km):
    qs = Area.objects.filter(code__startswith="99")
    found = arrays_near(qs, lat, lng, radius_km)
    expected = brute_force(points, lat, lng, radius_km)
    for offset in (0, 7, 50, len(expected) // 2, len(expected) - 3, len(expected)):
        page = nearest_page_of(found, lat, lng, offset, 20)
        want = expected[offset : offset + 20]
        assert [h.pk for h in page] == [code for _, code in want]
        assert [round(h.distance_km, 6) for h in page] == pytest.approx([d for d, _ in want], abs=1e-6)


def test_random_queries_match_brute_force(points):
    rng = random.Random(7)
    qs = Area.objects.filter(code__startswith="99")
    for _ in range(25):
        lat, lng, radius = rng.uniform(22.6, 25.1), rng.uniform(104.5, 107.8), rng.uniform(0.5, 60)
        hits = rows_near(qs, lat, lng, radius)
        expected = brute_force(points, lat, lng, radius)
        page = nearest_page(hits, lat, lng, 0, 10)
        assert [h.pk for h in page] == [code for _, code in expected[:10]]
        assert len(hits) == len(expected)
