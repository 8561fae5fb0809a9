"""Escalation: open problems unclaimed too long, or past their deadline, go to the county once."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from problems.escalation import problem_escalate, problems_due_for_escalation
from problems.models import Claim, Problem, ProblemStatus
from problems.tasks import problems_escalate_task
from tests.factories import CountyStaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_staff():
    return CountyStaffFactory()


def aged(village, staff, *, hours, urgency="normal", deadline=None):
    return Problem.objects.create(
        client_id=uuid.uuid4(), posted_by=staff, village=village, category_id="tea", title="t", description="d",
        lat=village.lat, lng=village.lng, cell=0, urgency=urgency, deadline=deadline,
        created_at=timezone.now() - timedelta(hours=hours),
    )


def test_an_unclaimed_problem_past_its_urgencys_delay_is_escalated_to_the_county(village, staff, county_staff,
                                                                                 django_capture_on_commit_callbacks):
    late = aged(village, staff, hours=25, urgency="high")
    fresh = aged(village, staff, hours=25, urgency="normal")  # normal waits 72 h
    with django_capture_on_commit_callbacks(execute=True):
        assert problems_escalate_task() == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.escalated_at is not None and fresh.escalated_at is None
    assert late.status == ProblemStatus.OPEN  # escalation changes no status
    note = Notification.objects.get(recipient=county_staff, type="problem.escalated")
    assert note.payload == {"problem_id": late.pk, "reason": "unclaimed", "village_code": village.code}


def test_escalation_happens_once(village, staff, county_staff):
    late = aged(village, staff, hours=200, urgency="low")
    assert problems_escalate_task() == 1
    assert problems_escalate_task() == 0
    assert problem_escalate(problem_id=late.pk) is False
    assert Notification.objects.filter(type="problem.escalated").count() == 1


def test_a_pending_claim_stops_unclaimed_escalation(village, staff, commissioner):
    late = aged(village, staff, hours=100)
    Claim.objects.create(problem=late, commissioner=commissioner)
    assert late.pk not in problems_due_for_escalation()


def test_a_problem_past_its_deadline_is_escalated_even_when_claimed(village, staff, commissioner, county_staff):
    overdue = aged(village, staff, hours=1, deadline=timezone.localdate() - timedelta(days=1))
    Claim.objects.create(problem=overdue, commissioner=commissioner)
    assert problems_escalate_task() == 1
    assert Notification.objects.get(recipient=county_staff).payload["reason"] == "deadline"


def test_only_open_problems_escalate(village, staff):
    late = aged(village, staff, hours=500)
    late.status = ProblemStatus.WITHDRAWN
    late.save()
    assert problems_due_for_escalation() == []


def test_county_staff_of_another_county_are_not_told(village, staff):
    other = CountyStaffFactory(area_id="451003")
    aged(village, staff, hours=500)
    problems_escalate_task()
    assert not Notification.objects.filter(recipient=other).exists()
