"""Check-ins follow the best position known: judged by the county while a village's position is our
guess, and judged again, on commit, when a surveyed position arrives."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from commissioners.checkins import checkins_rejudge, checkins_rejudge_chunk
from commissioners.models import Checkin
from tests.factories import TownshipStaffFactory

pytestmark = pytest.mark.django_db

KM = 1 / 111.2
DOWNTOWN = (23.903877, 106.614819)  # where 百城街道 really is: its generated village is ~13 km away


def checkin_at(phone, village, lat, lng, *, minutes_ago=60, accuracy_m=15.0):
    response = phone.post("/checkins", {
        "client_id": str(uuid.uuid4()), "village_code": village.code, "lat": lat, "lng": lng,
        "accuracy_m": accuracy_m, "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()})
    assert response.status_code == 201, response.content
    return response.json()


def survey(api, village, lat, lng, capture):
    with capture(execute=True) as callbacks:
        response = api.as_user(TownshipStaffFactory()).client.put(
            f"/api/v1/areas/{village.code}/position", json.dumps({"lat": lat, "lng": lng, "accuracy_m": 10}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 200, response.content
    return callbacks


@pytest.fixture
def phone(api, commissioner):
    return api.as_user(commissioner)


# While the position is generated ------------------------------------------------------------------


def test_a_genuine_checkin_far_from_a_generated_position_stays_verified(phone, village):
    body = checkin_at(phone, village, *DOWNTOWN)
    assert (body["verified"], body["flags"], body["distance_m"]) == (True, ["position_unverified"], 0)
    assert body["flag_details"]["position_unverified"]["distance_m"] > 5000


def test_a_checkin_outside_the_county_of_a_generated_village_is_outside_the_fence(phone, village):
    body = checkin_at(phone, village, village.lat + 2, village.lng)  # 220 km north: another province
    assert body["verified"] is False
    assert body["flags"] == ["outside_fence", "position_unverified"]
    assert body["flag_details"]["outside_fence"]["fence"] == "county"
    assert body["distance_m"] > 100_000


def test_a_checkin_at_the_generated_position_is_not_flagged(phone, village):
    body = checkin_at(phone, village, village.lat, village.lng)
    assert (body["verified"], body["flags"], body["distance_m"]) == (True, [], 0)


# When a surveyed position arrives -----------------------------------------------------------------


def test_surveying_the_village_judges_its_old_checkins_again(api, phone, village,
                                                             django_capture_on_commit_callbacks):
    old = checkin_at(phone, village, *DOWNTOWN)
    survey(api, village, DOWNTOWN[0] + 0.5 * KM, DOWNTOWN[1], django_capture_on_commit_callbacks)
    checkin = Checkin.objects.get(pk=old["id"])
    assert (checkin.verified, checkin.flags, checkin.distance_m, checkin.flag_details) == (True, [], 0, {})


def test_a_checkin_far_from_the_surveyed_position_becomes_outside_the_fence(api, phone, village,
                                                                            django_capture_on_commit_callbacks):
    old = checkin_at(phone, village, village.lat, village.lng)  # at our guess, which was wrong
    survey(api, village, *DOWNTOWN, django_capture_on_commit_callbacks)
    checkin = Checkin.objects.get(pk=old["id"])
    assert (checkin.verified, checkin.flags) == (False, ["outside_fence"])
    assert checkin.distance_m > 5000
    assert checkin.flag_details["outside_fence"]["radius_m"] == pytest.approx(3015)  # 3 km + the accuracy


def test_the_checkins_are_judged_only_after_the_position_commits(api, phone, village,
                                                                 django_capture_on_commit_callbacks):
    old = checkin_at(phone, village, *DOWNTOWN)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.as_user(TownshipStaffFactory()).client.put(
            f"/api/v1/areas/{village.code}/position", json.dumps({"lat": DOWNTOWN[0], "lng": DOWNTOWN[1]}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert Checkin.objects.get(pk=old["id"]).flags == ["position_unverified"]
    for callback in callbacks:
        callback()
    assert Checkin.objects.get(pk=old["id"]).flags == []


def test_rejudging_keeps_the_flags_a_position_does_not_decide(api, phone, village,
                                                              django_capture_on_commit_callbacks):
    checkin_at(phone, village, *DOWNTOWN, minutes_ago=30, accuracy_m=350)
    # 200 km north half an hour later: impossible travel, whatever the village's position
    far = checkin_at(phone, village, DOWNTOWN[0] + 200 * KM, DOWNTOWN[1], minutes_ago=0)
    survey(api, village, *DOWNTOWN, django_capture_on_commit_callbacks)
    checkin = Checkin.objects.get(pk=far["id"])
    assert checkin.flags == ["impossible_travel", "outside_fence"]
    assert checkin.flag_details["impossible_travel"]["speed_kmh"] == pytest.approx(400, rel=0.05)
    first = Checkin.objects.exclude(pk=far["id"]).get()
    assert first.flags == ["low_accuracy"] and first.verified is True


def test_rejudging_again_changes_nothing(api, phone, village, django_capture_on_commit_callbacks):
    checkin_at(phone, village, *DOWNTOWN)
    checkin_at(phone, village, village.lat, village.lng)
    survey(api, village, *DOWNTOWN, django_capture_on_commit_callbacks)
    before = list(Checkin.objects.order_by("id").values())
    assert checkins_rejudge(village_code=village.code) == 0
    assert list(Checkin.objects.order_by("id").values()) == before


def test_rejudging_goes_through_every_checkin_in_chunks(phone, village):
    ids = [checkin_at(phone, village, *DOWNTOWN, minutes_ago=10 * i)["id"] for i in range(5)]
    type(village).objects.filter(code=village.code).update(lat=DOWNTOWN[0], lng=DOWNTOWN[1], position_source="surveyed")
    changed, after = checkins_rejudge_chunk(village_code=village.code, after_id=0, limit=2)
    assert (changed, after) == (2, sorted(ids)[1])
    assert checkins_rejudge(village_code=village.code, chunk=2) == 3
    assert [c.flags for c in Checkin.objects.all()] == [[]] * 5


def test_a_coarsened_checkin_keeps_the_verdict_it_was_recorded_with(api, phone, village,
                                                                    django_capture_on_commit_callbacks):
    old = checkin_at(phone, village, *DOWNTOWN)
    Checkin.objects.filter(pk=old["id"]).update(position_coarsened=True)
    survey(api, village, *DOWNTOWN, django_capture_on_commit_callbacks)
    assert Checkin.objects.get(pk=old["id"]).flags == ["position_unverified"]


def test_a_village_that_does_not_exist_rejudges_nothing(db):
    assert checkins_rejudge(village_code="451002001999") == 0
