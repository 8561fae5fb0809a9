"""A member claims a problem for the team; once accepted, any member checks in against it and resolves it,
and every member hears of it."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from problems.models import Claim
from tests.client import error_code
from tests.factories import CommissionerFactory
from tests.fixtures_problems import make_commissioner

from .helpers import TIANDONG, TIANYANG, YOUJIANG, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(village):
    people = [make_commissioner(village, km_north=km) for km in (2, 40, 90)]
    for person, county in zip(people, (YOUJIANG, TIANYANG, TIANDONG), strict=True):
        person.area_id = county
        person.save()
    return people


@pytest.fixture
def team(members):
    return make_team(members)


def claim_for_team(api, member, problem_id, team):
    return api.as_user(member).post(f"/problems/{problem_id}/claims", {"team_id": team.pk, "message": "团队来"})


def checkin(api, member, village, problem_id):
    return api.as_user(member).post("/checkins", {
        "client_id": str(uuid.uuid4()), "village_code": village.code, "lat": village.lat, "lng": village.lng,
        "accuracy_m": 10, "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "problem_id": problem_id})


def test_a_member_claims_for_the_team(api, members, team, post_problem):
    pid = post_problem()["id"]

    response = claim_for_team(api, members[1], pid, team)

    assert response.status_code == 201, response.content
    assert response.json()["team"] == {"id": team.pk, "name": team.name}
    claim = Claim.objects.get()
    assert (claim.commissioner_id, claim.team_id) == (members[1].pk, team.pk)


def test_the_staff_see_the_team_on_the_claim(api, staff, members, team, post_problem):
    pid = post_problem()["id"]
    claim_for_team(api, members[1], pid, team)

    claims = api.as_user(staff).get(f"/problems/{pid}").json()["claims"]

    assert claims[0]["team"] == {"id": team.pk, "name": team.name}


def test_a_non_member_cannot_claim_for_the_team(api, team, post_problem):
    pid = post_problem()["id"]
    response = claim_for_team(api, CommissionerFactory(), pid, team)
    assert response.status_code == 403
    assert error_code(response) == "not_team_member"


def test_a_team_claims_a_problem_once(api, members, team, post_problem):
    pid = post_problem()["id"]
    claim_for_team(api, members[0], pid, team)
    response = claim_for_team(api, members[1], pid, team)
    assert response.status_code == 409
    assert error_code(response) == "already_claimed"
    assert Claim.objects.count() == 1


def test_a_retired_team_cannot_claim(api, members, team, post_problem):
    team.active = False
    team.save()
    response = claim_for_team(api, members[0], post_problem()["id"], team)
    assert response.status_code == 409
    assert error_code(response) == "team_inactive"


def test_team_claim_accept_then_any_member_checks_in_and_resolves(api, staff, village, members, team, post_problem,
                                                                   django_capture_on_commit_callbacks):
    pid = post_problem()["id"]
    claim_id = claim_for_team(api, members[0], pid, team).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.as_user(staff).post(f"/problems/{pid}/claims/{claim_id}/accept")
    assert accepted.json()["status"] == "in_progress"
    told = set(Notification.objects.filter(type="claim.accepted").values_list("recipient_id", flat=True))
    assert told == {m.pk for m in members}

    # Another member, not the one who claimed, sees it, checks in against it and resolves it.
    assert api.as_user(members[2]).get(f"/problems/{pid}").status_code == 200
    visit = checkin(api, members[2], village, pid)
    assert visit.status_code == 201, visit.content
    assert visit.json()["problem_id"] == pid
    with django_capture_on_commit_callbacks(execute=True):
        resolved = api.as_user(members[2]).post(f"/problems/{pid}/resolve", {"summary": "三人会诊，喷施咪鲜胺"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"


def test_a_commissioner_outside_the_team_may_not_resolve_or_check_in(api, staff, village, members, team,
                                                                    post_problem):
    pid = post_problem()["id"]
    claim_id = claim_for_team(api, members[0], pid, team).json()["id"]
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim_id}/accept")
    outsider = make_commissioner(village)

    assert api.as_user(outsider).post(f"/problems/{pid}/resolve", {"summary": "x"}).status_code in (403, 409)
    assert checkin(api, outsider, village, pid).status_code == 403


def test_a_declined_team_hears_of_it_every_member(api, staff, village, members, team, post_problem,
                                                  django_capture_on_commit_callbacks):
    pid = post_problem()["id"]
    claim_for_team(api, members[0], pid, team)
    alone = make_commissioner(village)
    mine = api.as_user(alone).post(f"/problems/{pid}/claims", {}).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(staff).post(f"/problems/{pid}/claims/{mine}/accept")

    told = set(Notification.objects.filter(type="claim.declined").values_list("recipient_id", flat=True))
    assert told == {m.pk for m in members}


def test_a_member_sees_who_of_the_team_claimed_and_resolved_it(api, staff, village, members, team, post_problem):
    pid = post_problem()["id"]
    claim_id = claim_for_team(api, members[0], pid, team).json()["id"]
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim_id}/accept")
    api.as_user(members[2]).post(f"/problems/{pid}/resolve", {"summary": "已解决"})

    history = api.as_user(members[1]).get(f"/problems/{pid}").json()["history"]

    actors = {h["kind"]: (h["actor"] or {}).get("id") for h in history}
    assert (actors["claimed"], actors["resolved"]) == (members[0].pk, members[2].pk)


def test_every_member_takes_part_in_the_conversation_and_hears_of_closure(
        api, staff, village, members, team, post_problem, django_capture_on_commit_callbacks):
    pid = post_problem()["id"]
    claim_id = claim_for_team(api, members[0], pid, team).json()["id"]
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim_id}/accept")

    with django_capture_on_commit_callbacks(execute=True):
        sent = api.as_user(members[1]).post(f"/problems/{pid}/messages",
                                            {"client_id": str(uuid.uuid4()), "body": "明天三人一起到果园"})
    assert sent.status_code == 201, sent.content
    heard = set(Notification.objects.filter(type="problem.message").values_list("recipient_id", flat=True))
    assert {members[0].pk, members[2].pk, staff.pk} <= heard and members[1].pk not in heard
    assert [m["body"] for m in api.as_user(members[2]).get(f"/problems/{pid}/messages").json()["items"]] == [
        "明天三人一起到果园"]

    api.as_user(members[2]).post(f"/problems/{pid}/resolve", {"summary": "已喷药"})
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(staff).post(f"/problems/{pid}/reject", {"reason": "仍有黑斑"})
    told = set(Notification.objects.filter(type="problem.rejected").values_list("recipient_id", flat=True))
    assert told == {m.pk for m in members}
    api.as_user(members[1]).post(f"/problems/{pid}/resolve", {"summary": "再次喷药"})
    with django_capture_on_commit_callbacks(execute=True):
        assert api.as_user(staff).post(f"/problems/{pid}/confirm", {"rating": 5}).status_code == 200
    told = set(Notification.objects.filter(type="problem.closed").values_list("recipient_id", flat=True))
    assert told == {m.pk for m in members}


def test_any_member_may_refer_the_teams_problem(api, staff, members, team, post_problem):
    pid = post_problem()["id"]
    claim_id = claim_for_team(api, members[0], pid, team).json()["id"]
    api.as_user(staff).post(f"/problems/{pid}/claims/{claim_id}/accept")

    response = api.as_user(members[2]).post(f"/problems/{pid}/refer", {"reason": "需要植保专家"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
