"""A problem's audience (problems/audience.py): the one definition `problem.posted` and matching share."""

import pytest
from django.test import override_settings

from accounts.models import ConsentKind
from accounts.services import consent_record
from commissioners.services import profile_update
from notifications.models import Notification
from problems.audience import problem_audience_km
from problems.matching import matches_for
from problems.models import Problem
from problems.tasks import problem_posted_fanout_task
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db

PROBLEM = (23.90, 106.60)  # near 百色 city centre


def commissioner_at(km_north: float, *, expertise=("fruit-trees",), available=True, active=True):
    user = CommissionerFactory(is_active=active)
    consent_record(user=user, kind=ConsentKind.LOCATION, version="2025-01")
    profile_update(user=user, expertise=list(expertise), home=(PROBLEM[0] + km_north / 111.2, PROBLEM[1]),
                   available=available)
    return user


def audience(category: str = "fruit-trees") -> list[tuple[int, float]]:
    return problem_audience_km(Problem(lat=PROBLEM[0], lng=PROBLEM[1], category_id=category))


@override_settings(PROBLEM_REACH_KM=30)
def test_the_audience_is_matching_commissioners_within_the_reach_nearest_first():
    far, near = commissioner_at(20), commissioner_at(2)
    commissioner_at(45)  # beyond the reach
    assert [uid for uid, _ in audience()] == [near.pk, far.pk]


def test_the_audience_leaves_out_other_expertise():
    commissioner_at(2, expertise=("tea",))
    assert audience() == []


def test_the_audience_leaves_out_unavailable_and_inactive_commissioners():
    commissioner_at(2, available=False)
    commissioner_at(3, active=False)
    assert audience() == []


def test_the_audience_carries_each_distance_in_km():
    user = commissioner_at(10)
    [(user_id, km)] = audience()
    assert user_id == user.pk
    assert km == pytest.approx(10, abs=0.1)


@override_settings(PROBLEM_REACH_KM=80)
def test_who_hears_of_a_problem_is_who_matching_ranks(village, staff):
    near, far = commissioner_at(5), commissioner_at(70)
    commissioner_at(90)  # beyond the reach: neither told nor ranked
    problem = Problem.objects.create(
        client_id="00000000-0000-0000-0000-000000000001", posted_by=staff, village=village,
        category_id="fruit-trees", title="t", description="d", lat=PROBLEM[0], lng=PROBLEM[1], cell=0)

    problem_posted_fanout_task(problem.pk)

    told = set(Notification.objects.filter(type="problem.posted").values_list("recipient_id", flat=True))
    ranked = {m.commissioner_id for m in matches_for(problem, limit=50)}
    assert told == ranked == {near.pk, far.pk}
