import pytest

from geo.fences import DEFAULT_VILLAGE_RADIUS_M
from villages.models import Area
from villages.selectors import village_fence_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return Area.objects.get(code="451002001001")


def test_a_village_without_a_boundary_is_fenced_by_the_default_radius(village):
    inside = village_fence_check(village, village.lat + 0.01, village.lng, accuracy_m=20)
    outside = village_fence_check(village, village.lat + 0.05, village.lng, accuracy_m=20)
    assert inside.inside and inside.effective_radius_m >= DEFAULT_VILLAGE_RADIUS_M
    assert not outside.inside
    assert outside.distance_m == pytest.approx(5_540 - DEFAULT_VILLAGE_RADIUS_M, rel=0.01)
    assert "outside_fence" in outside.reasons


def test_a_village_radius_overrides_the_default(village):
    village.fence_radius_m = 500
    assert not village_fence_check(village, village.lat + 0.01, village.lng, accuracy_m=20).inside


def test_a_known_boundary_is_used_instead_of_a_radius(village):
    village.geometry = {
        "type": "Polygon",
        "coordinates": [[[village.lng - 0.001, village.lat - 0.001], [village.lng + 0.001, village.lat - 0.001],
                         [village.lng + 0.001, village.lat + 0.001], [village.lng - 0.001, village.lat + 0.001],
                         [village.lng - 0.001, village.lat - 0.001]]],
    }
    assert village_fence_check(village, village.lat, village.lng, accuracy_m=5).inside
    assert not village_fence_check(village, village.lat + 0.01, village.lng, accuracy_m=5).inside
