"""A problem's claimants are known to its staff, not to each other (PIPL art. 6); a declined claimant
leaves with the problem's openness; a finished problem's photos are final."""

from __future__ import annotations

import pytest

from problems.claims import claim_accept, claim_create, problem_resolve
from problems.models import Problem
from problems.services import problem_confirm, problem_withdraw
from tests.client import error_code
from tests.fixtures_problems import make_commissioner
from tests.media.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(post_problem):
    return Problem.objects.get(pk=post_problem()["id"])


@pytest.fixture
def rivals(village, problem):
    """Two commissioners who claimed the problem, each with a message."""
    first, second = make_commissioner(village), make_commissioner(village, km_north=2)
    claim_create(commissioner=first, problem=problem, message="我去年治过这种病，电话 13900001111")
    claim_create(commissioner=second, problem=problem, message="我明天就能到")
    return first, second


def test_a_commissioner_sees_their_own_claim_and_no_other(api, problem, rivals):
    first, _ = rivals
    body = api.as_user(first).get(f"/problems/{problem.pk}").json()
    assert [c["commissioner"]["id"] for c in body["claims"]] == [first.pk]


def test_the_history_names_no_other_claimant_and_carries_no_other_message(api, problem, rivals):
    first, second = rivals
    body = api.as_user(first).get(f"/problems/{problem.pk}").json()
    actors = {e["actor"]["id"] for e in body["history"] if e["actor"]}
    assert second.pk not in actors
    assert second.name not in str(body)
    assert "我明天就能到" not in str(body)


def test_the_problems_staff_see_every_claim(api, problem, rivals, staff):
    body = api.as_user(staff).get(f"/problems/{problem.pk}").json()
    assert {c["commissioner"]["id"] for c in body["claims"]} == {r.pk for r in rivals}
    assert "我明天就能到" in str(body["history"])


def test_a_declined_claimant_loses_the_problem_once_it_is_in_progress(api, problem, rivals, staff):
    first, second = rivals
    claim_accept(staff=staff, problem=problem, claim_id=problem.claims.get(commissioner=first).pk)
    assert error_code(api.as_user(second).get(f"/problems/{problem.pk}")) == "outside_scope"
    listed = api.as_user(second).get("/problems").json()["items"]
    assert problem.pk not in [p["id"] for p in listed]


def test_the_accepted_commissioner_keeps_the_problem_to_the_end(api, problem, rivals, staff):
    first, _ = rivals
    claim_accept(staff=staff, problem=problem, claim_id=problem.claims.get(commissioner=first).pk)
    problem_resolve(commissioner=first, problem=problem, summary="已喷药防治")
    problem_confirm(staff=staff, problem=problem, rating=5)
    assert api.as_user(first).get(f"/problems/{problem.pk}").status_code == 200


def test_a_claimant_of_a_withdrawn_problem_loses_it(api, problem, rivals, staff):
    first, _ = rivals
    problem_withdraw(staff=staff, problem=problem)
    assert api.as_user(first).get(f"/problems/{problem.pk}").status_code == 403


def test_a_declined_claimant_loses_the_problems_photos(api, problem, rivals, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, second = rivals
    photo = api.as_user(staff).upload(f"/problems/{problem.pk}/photos", {"photo": upload(jpeg_bytes((64, 48)))})
    assert photo.status_code == 201
    claim_accept(staff=staff, problem=problem, claim_id=problem.claims.get(commissioner=first).pk)
    assert api.as_user(second).get(photo.json()["url"]).status_code == 403


def test_no_photo_is_added_to_a_withdrawn_problem(api, problem, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem_withdraw(staff=staff, problem=problem)
    response = api.as_user(staff).upload(f"/problems/{problem.pk}/photos", {"photo": upload(jpeg_bytes((64, 48)))})
    assert response.status_code == 409
    assert error_code(response) == "problem_wrong_status"


def test_no_photo_is_added_to_a_closed_problem(api, problem, rivals, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, _ = rivals
    claim_accept(staff=staff, problem=problem, claim_id=problem.claims.get(commissioner=first).pk)
    problem_resolve(commissioner=first, problem=problem, summary="已喷药防治")
    problem_confirm(staff=staff, problem=problem, rating=5)
    for who in (staff, first):
        response = api.as_user(who).upload(f"/problems/{problem.pk}/photos", {"photo": upload(jpeg_bytes((64, 48)))})
        assert response.status_code == 409, who
