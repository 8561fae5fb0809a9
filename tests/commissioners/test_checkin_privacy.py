"""A check-in's flag details never describe a record the reader may not see, and a check-in names only a
problem its commissioner may see."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from commissioners.models import Checkin
from problems.claims import claim_accept, claim_create
from problems.models import Problem
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory
from tests.fixtures_problems import make_commissioner
from tests.media.images import jpeg_bytes, upload
from villages.models import Area

pytestmark = pytest.mark.django_db

ELSEWHERE = "451003100001"  # a village of 田州镇, 田阳区: outside 右江区


def at(village, *, minutes_ago, **extra):
    return {"client_id": str(uuid.uuid4()), "village_code": village.code, "lat": village.lat, "lng": village.lng,
            "accuracy_m": 10, "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(), **extra}


@pytest.fixture
def journey(api, village, commissioner):
    """A check-in in 田阳区, then one in 右江区 five minutes later: impossible travel, whose neighbour is
    outside 右江区's staff's area."""
    elsewhere = Area.objects.get(code=ELSEWHERE)
    api.as_user(commissioner)
    first = api.post("/checkins", at(elsewhere, minutes_ago=10)).json()
    second = api.post("/checkins", at(village, minutes_ago=5)).json()
    assert "impossible_travel" in second["flags"]
    return first, second


def test_a_neighbour_outside_the_readers_area_is_neither_named_nor_described(api, journey):
    _, second = journey
    body = api.as_user(CountyStaffFactory(area_id="451002")).get(f"/checkins/{second['id']}").json()
    details = body["flag_details"]["impossible_travel"]
    assert "impossible_travel" in body["flags"]
    assert details["outside_scope"] is True
    assert not {"other_checkin_id", "km", "seconds"} & set(details)


def test_the_checkin_list_strips_the_same_details(api, journey):
    _, second = journey
    items = api.as_user(CountyStaffFactory(area_id="451002")).get("/checkins").json()["items"]
    (mine,) = [c for c in items if c["id"] == second["id"]]
    assert "other_checkin_id" not in mine["flag_details"]["impossible_travel"]


def test_the_commissioner_and_the_bureau_see_the_neighbour_named(api, journey, commissioner):
    first, second = journey
    for reader in (commissioner, BureauFactory()):
        details = api.as_user(reader).get(f"/checkins/{second['id']}").json()["flag_details"]["impossible_travel"]
        assert details["other_checkin_id"] == first["id"]
        assert "km" in details


def test_a_photo_first_used_by_another_commissioner_is_not_named(api, village, commissioner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = jpeg_bytes()
    other = make_commissioner(village)
    theirs = api.as_user(other).post("/checkins", at(village, minutes_ago=300)).json()
    api.upload(f"/checkins/{theirs['id']}/photos", {"photo": upload(photo)})
    mine = api.as_user(commissioner).post("/checkins", at(village, minutes_ago=10)).json()
    api.upload(f"/checkins/{mine['id']}/photos", {"photo": upload(photo)})
    details = api.get(f"/checkins/{mine['id']}").json()["flag_details"]["photo_reused"]
    assert details["outside_scope"] is True
    assert "other_checkin_id" not in details


@pytest.fixture
def someone_elses_problem(village, staff, post_problem):
    """A problem in progress, accepted for another commissioner."""
    problem = Problem.objects.get(pk=post_problem()["id"])
    worker = make_commissioner(village)
    claim = claim_create(commissioner=worker, problem=problem)
    return claim_accept(staff=staff, problem=problem, claim_id=claim.pk)


def test_a_checkin_cannot_name_a_problem_its_commissioner_may_not_see(api, village, commissioner,
                                                                       someone_elses_problem):
    response = api.as_user(commissioner).post("/checkins", at(village, minutes_ago=5,
                                                               problem_id=someone_elses_problem.pk))
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_a_batch_item_naming_a_hidden_problem_is_invalid_alone(api, village, commissioner, someone_elses_problem):
    good, bad = at(village, minutes_ago=30), at(village, minutes_ago=5, problem_id=someone_elses_problem.pk)
    results = api.as_user(commissioner).post("/checkins/batch", {"items": [good, bad]}).json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid"]
    assert results[1]["errors"]["code"] == "outside_scope"


def test_a_checkin_naming_no_problem_that_exists_is_404(api, village, commissioner):
    response = api.as_user(commissioner).post("/checkins", at(village, minutes_ago=5, problem_id=10**9))
    assert response.status_code == 404
    assert error_code(response) == "problem_not_found"
    assert not Checkin.objects.exists()


def test_a_checkin_may_name_an_open_problem(api, village, commissioner, post_problem):
    problem = post_problem()
    response = api.as_user(commissioner).post("/checkins", at(village, minutes_ago=5, problem_id=problem["id"]))
    assert response.status_code == 201
    assert response.json()["problem_id"] == problem["id"]
