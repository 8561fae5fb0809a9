import pytest

from accounts.models import ConsentKind
from accounts.services import consent_record
from commissioners.services import profile_update
from notifications.selectors import commissioner_audience, commissioners_to_notify
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db

PROBLEM = (23.90, 106.60)  # near 百色 city centre


def commissioner_at(km_north: float, *, expertise=("fruit-trees",), available=True, active=True):
    user = CommissionerFactory(is_active=active)
    consent_record(user=user, kind=ConsentKind.LOCATION, version="2025-01")
    profile_update(user=user, expertise=list(expertise), home=(PROBLEM[0] + km_north / 111.2, PROBLEM[1]),
                   available=available)
    return user


def audience(radius_km: float = 30, category: str = "fruit-trees") -> list[int]:
    return commissioners_to_notify(lat=PROBLEM[0], lng=PROBLEM[1], radius_km=radius_km, category=category)


def test_the_audience_is_matching_commissioners_within_the_radius_nearest_first():
    far, near = commissioner_at(20), commissioner_at(2)
    commissioner_at(45)  # outside the radius
    assert audience() == [near.pk, far.pk]


def test_the_audience_leaves_out_other_expertise():
    commissioner_at(2, expertise=("tea",))
    assert audience() == []


def test_the_audience_leaves_out_unavailable_and_inactive_commissioners():
    commissioner_at(2, available=False)
    commissioner_at(3, active=False)
    assert audience() == []


def test_the_audience_carries_each_distance_in_km():
    user = commissioner_at(10)
    [(user_id, km)] = commissioner_audience(lat=PROBLEM[0], lng=PROBLEM[1], radius_km=30, category="fruit-trees")
    assert user_id == user.pk
    assert km == pytest.approx(10, abs=0.1)
