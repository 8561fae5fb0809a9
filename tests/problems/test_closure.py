"""Honest closure: rejecting a resolution, referring a problem, and what the commissioner is told."""

import pytest

from notifications.models import Notification
from problems.models import Claim, Problem
from tests.client import error_code
from tests.factories import CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import make_commissioner

from .life import claimed, in_progress, posted, resolved

pytestmark = pytest.mark.django_db


def notes(type_: str) -> list[tuple[int, dict]]:
    return list(Notification.objects.filter(type=type_).order_by("recipient_id").values_list("recipient_id",
                                                                                             "payload"))


def test_rejecting_a_resolution_sends_it_back_to_the_same_commissioner(api, staff, commissioner,
                                                                     django_capture_on_commit_callbacks):
    problem = resolved(api, staff, commissioner)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": "还在落果"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert (body["resolution_summary"], body["resolved_at"]) == ("", None)
    assert body["history"][-1]["kind"] == "rejected"
    assert body["history"][-1]["note"] == "还在落果"
    assert [(e["from_status"], e["to_status"]) for e in body["history"][-2:]] == [
        ("in_progress", "resolved"), ("resolved", "in_progress")]
    assert Claim.objects.get(problem_id=problem["id"]).status == "accepted"
    assert notes("problem.rejected") == [(commissioner.pk, {"problem_id": problem["id"], "reason": "还在落果"})]


def test_the_commissioner_resolves_again_after_a_rejection(api, staff, commissioner):
    problem = resolved(api, staff, commissioner)
    api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": "还在落果"})
    again = api.as_user(commissioner).post(f"/problems/{problem['id']}/resolve", {"summary": "补喷一次"})
    assert again.json()["status"] == "resolved"


def test_rejecting_twice_is_a_conflict(api, staff, commissioner):
    problem = resolved(api, staff, commissioner)
    api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": "还在落果"})

    response = api.post(f"/problems/{problem['id']}/reject", {"reason": "还在落果"})

    assert response.status_code == 409
    assert error_code(response) == "problem_wrong_status"


def test_rejecting_a_problem_in_progress_is_a_conflict(api, staff, commissioner):
    problem = in_progress(api, staff, commissioner)
    response = api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": "x"})
    assert response.status_code == 409


@pytest.mark.parametrize("who", ["commissioner", "county", "other_township"])
def test_only_the_problems_township_staff_reject(api, staff, commissioner, who):
    problem = resolved(api, staff, commissioner)
    user = {"commissioner": commissioner, "county": CountyStaffFactory(),
            "other_township": TownshipStaffFactory(area_id="451003100")}[who]

    response = api.as_user(user).post(f"/problems/{problem['id']}/reject", {"reason": "不行"})

    assert response.status_code == 403
    error_code(response)
    assert Problem.objects.get(pk=problem["id"]).status == "resolved"


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(api, staff, commissioner, reason):
    problem = resolved(api, staff, commissioner)
    response = api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": reason})
    assert response.status_code == 422
    assert "reason" in response.json()["error"]["fields"]


def test_the_commissioner_refers_a_problem_they_cannot_solve(api, staff, commissioner,
                                                            django_capture_on_commit_callbacks):
    county = CountyStaffFactory()
    other_county = CountyStaffFactory(area_id="451003")
    problem = in_progress(api, staff, commissioner)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(commissioner).post(f"/problems/{problem['id']}/refer", {"reason": "需要植保站化验"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert response.json()["history"][-1]["kind"] == "referred"
    assert Claim.objects.get(problem_id=problem["id"]).status == "referred"
    payload = {"problem_id": problem["id"], "reason": "需要植保站化验", "village_code": problem["village_code"],
               "by": "commissioner"}
    assert notes("problem.referred") == sorted([(staff.pk, payload), (county.pk, payload)])
    assert other_county.pk not in [r for r, _ in notes("problem.referred")]


def test_staff_refer_a_problem_and_the_commissioner_is_told(api, staff, commissioner):
    county = CountyStaffFactory()
    problem = in_progress(api, staff, commissioner)

    response = api.as_user(county).post(f"/problems/{problem['id']}/refer", {"reason": "换一位专家"})

    assert response.json()["status"] == "open"
    assert commissioner.pk in [r for r, _ in notes("problem.referred")]
    assert county.pk not in [r for r, _ in notes("problem.referred")]


def test_staff_refer_a_resolution_that_did_not_hold(api, staff, commissioner):
    problem = resolved(api, staff, commissioner)
    body = api.as_user(staff).post(f"/problems/{problem['id']}/refer", {"reason": "换人"}).json()
    assert (body["status"], body["resolution_summary"]) == ("open", "")


def test_a_referred_problem_is_claimed_again_but_not_by_the_referrer(api, staff, commissioner, village):
    problem = in_progress(api, staff, commissioner)
    api.as_user(commissioner).post(f"/problems/{problem['id']}/refer", {"reason": "超出专业"})

    again = api.as_user(commissioner).post(f"/problems/{problem['id']}/claims", {})
    other = api.as_user(make_commissioner(village, km_north=2)).post(f"/problems/{problem['id']}/claims", {})

    assert again.status_code == 409
    assert error_code(again) == "claim_referred"
    assert other.status_code == 201
    accepted = api.as_user(staff).post(f"/problems/{problem['id']}/claims/{other.json()['id']}/accept")
    assert accepted.json()["status"] == "in_progress"


def test_referring_again_is_a_conflict(api, staff, commissioner):
    problem = in_progress(api, staff, commissioner)
    api.as_user(commissioner).post(f"/problems/{problem['id']}/refer", {"reason": "超出专业"})

    response = api.post(f"/problems/{problem['id']}/refer", {"reason": "超出专业"})

    assert response.status_code == 409
    assert error_code(response) == "problem_wrong_status"


def test_another_commissioner_may_not_refer(api, staff, commissioner, village):
    problem = posted(api, staff)
    claimed(api, commissioner, problem["id"])
    rival = make_commissioner(village, km_north=2)
    response = api.as_user(rival).post(f"/problems/{problem['id']}/refer", {"reason": "x"})
    assert response.status_code == 403
    assert error_code(response) == "not_accepted_commissioner"


def test_a_referred_problem_is_not_escalated_again(api, staff, commissioner):
    problem = in_progress(api, staff, commissioner)
    api.as_user(commissioner).post(f"/problems/{problem['id']}/refer", {"reason": "超出专业"})
    assert Problem.objects.get(pk=problem["id"]).escalated_at is not None


def test_confirming_tells_the_commissioner_the_rating(api, staff, commissioner):
    problem = resolved(api, staff, commissioner)
    api.as_user(staff).post(f"/problems/{problem['id']}/confirm", {"rating": 4, "comment": "来得及时"})
    assert notes("problem.closed") == [(commissioner.pk, {"problem_id": problem["id"], "rating": 4,
                                                          "comment": "来得及时"})]


def test_a_commissioner_who_is_not_the_accepted_one_gets_403_on_resolve(api, staff, commissioner, village):
    problem = posted(api, staff)
    claimed(api, commissioner, problem["id"])  # pending, not accepted: the problem is still open and visible

    response = api.as_user(commissioner).post(f"/problems/{problem['id']}/resolve", {"summary": "好了"})

    assert response.status_code == 403
    assert error_code(response) == "not_accepted_commissioner"
