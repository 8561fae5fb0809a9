"""A replayed write (same `client_id`) answers a body equal to the first answer's, field for field (v1.1).

An offline queue cannot tell which of its sends arrived: whichever answer reaches it must be the same.
Each test sends a write whose input differs from what is stored (another offset, another datum,
fractional seconds) and compares the raw bodies, byte for byte, of the first answer and the replay.
"""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from geo.datums import wgs84_to_bd09, wgs84_to_gcj02
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner, problem_payload
from tests.media.images import jpeg_bytes, upload
from villages.models import Area

pytestmark = pytest.mark.django_db

KM = 1 / 111.2  # a kilometre of latitude, in degrees
URUMQI = timezone(timedelta(hours=6))  # a phone set to another zone than the bureau's
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def village():
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def commissioner(village):
    return make_commissioner(village)


def _instant(tz, *, hours_ago=1, microsecond=0):
    return (dj_timezone.now() - timedelta(hours=hours_ago)).astimezone(tz).replace(microsecond=microsecond)


def _position(village, crs, *, km_north=0.2):
    lat, lng = village.lat + km_north * KM, village.lng + 0.0013
    if crs == "gcj02":
        return wgs84_to_gcj02(lat, lng)
    if crs == "bd09":
        return wgs84_to_bd09(lat, lng)
    return lat, lng


# What a phone may send that is not how the service stores it.
VARIANTS = {
    "utc": {"tz": UTC, "crs": "wgs84", "microsecond": 0},
    "offset_plus_08": {"tz": SHANGHAI, "crs": "wgs84", "microsecond": 0},
    "offset_plus_06": {"tz": URUMQI, "crs": "wgs84", "microsecond": 0},
    "fractional_seconds": {"tz": SHANGHAI, "crs": "wgs84", "microsecond": 123456},
    "gcj02": {"tz": SHANGHAI, "crs": "gcj02", "microsecond": 500000},
    "bd09": {"tz": SHANGHAI, "crs": "bd09", "microsecond": 0},
}


def _checkin(village, variant, **extra):
    lat, lng = _position(village, variant["crs"])
    data = {
        "client_id": str(uuid.uuid4()), "village_code": village.code, "lat": lat, "lng": lng,
        "crs": variant["crs"], "accuracy_m": 12.5, "note": "果园巡查",
        "occurred_at": _instant(variant["tz"], microsecond=variant["microsecond"]).isoformat(),
    }
    return {**data, **extra}


# Check-ins -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_replayed_checkin_answers_the_first_body(api, commissioner, village, variant):
    payload = _checkin(village, variant)
    phone = api.as_user(commissioner)

    first = phone.post("/checkins", payload)
    again = phone.post("/checkins", payload)

    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert again.content == first.content


def test_a_replayed_flagged_checkin_answers_the_first_flag_details(api, commissioner, village):
    # Far outside the fence with a poor fix: flag_details carry nested figures, whose key order a
    # JSON column (PostgreSQL's jsonb) does not keep.
    village.position_source = "surveyed"  # a fence that is evidence (a generated one only flags, docs/geo.md)
    village.save(update_fields=["position_source"])
    payload = _checkin(village, VARIANTS["offset_plus_08"], lat=village.lat + 10 * KM, accuracy_m=350.0)
    phone = api.as_user(commissioner)

    first = phone.post("/checkins", payload)
    again = phone.post("/checkins", payload)

    assert first.json()["flags"] == ["low_accuracy", "outside_fence"]
    assert again.content == first.content


def test_a_checkin_replayed_in_another_batch_answers_the_first_item_body(api, commissioner, village):
    item = _checkin(village, VARIANTS["gcj02"])
    phone = api.as_user(commissioner)

    first = phone.post("/checkins/batch", {"items": [item]}).json()["results"][0]
    again = phone.post("/checkins/batch", {"items": [_checkin(village, VARIANTS["utc"]), item]}).json()["results"][1]

    assert (first["status"], again["status"]) == ("created", "duplicate")
    assert {**again, "status": "created"} == first


def test_a_batch_item_replayed_alone_answers_the_batch_body(api, commissioner, village):
    item = _checkin(village, VARIANTS["fractional_seconds"])
    phone = api.as_user(commissioner)

    in_batch = phone.post("/checkins/batch", {"items": [item]}).json()["results"][0]["checkin"]
    alone = phone.post("/checkins", item)

    assert alone.status_code == 200
    assert alone.json() == in_batch


def test_a_checkin_replayed_in_a_batch_answers_the_first_body(api, commissioner, village):
    item = _checkin(village, VARIANTS["bd09"])
    phone = api.as_user(commissioner)

    alone = phone.post("/checkins", item)
    in_batch = phone.post("/checkins/batch", {"items": [item]}).json()["results"][0]

    assert in_batch["status"] == "duplicate"
    assert in_batch["checkin"] == alone.json()


# Trainings -------------------------------------------------------------------------------------


def _training(village, variant, **extra):
    lat, lng = _position(village, variant["crs"])
    data = {
        "client_id": str(uuid.uuid4()), "village_code": village.code, "topic": "芒果花期管理",
        "category": "fruit-trees", "duration_hours": 2.5, "headcount": 45, "female_count": 20,
        "poverty_household_count": 8, "lat": lat, "lng": lng, "crs": variant["crs"],
        "started_at": _instant(variant["tz"], hours_ago=30, microsecond=variant["microsecond"]).isoformat(),
    }
    return {**data, **extra}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_replayed_training_answers_the_first_body(api, commissioner, village, variant):
    payload = _training(village, variant)
    phone = api.as_user(commissioner)

    first = phone.post("/trainings", payload)
    again = phone.post("/trainings", payload)

    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert again.content == first.content


def test_a_training_replayed_in_another_offset_answers_the_first_body(api, commissioner, village):
    payload = _training(village, VARIANTS["offset_plus_08"])
    started = datetime.fromisoformat(payload["started_at"])
    phone = api.as_user(commissioner)

    first = phone.post("/trainings", payload)
    again = phone.post("/trainings", {**payload, "started_at": started.astimezone(URUMQI).isoformat()})

    assert again.status_code == 200
    assert again.content == first.content


# Problems --------------------------------------------------------------------------------------


@pytest.fixture
def staff():
    return TownshipStaffFactory()


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_a_replayed_problem_answers_the_first_body(api, staff, village, crs):
    lat, lng = _position(village, crs)
    deadline = (dj_timezone.localdate() + timedelta(days=7)).isoformat()
    payload = problem_payload(lat=lat, lng=lng, crs=crs, deadline=deadline)
    client = api.as_user(staff)

    first = client.post("/problems", payload)
    again = client.post("/problems", payload)

    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert again.content == first.content


def test_a_replayed_problem_at_the_village_position_answers_the_first_body(api, staff):
    payload = problem_payload()
    client = api.as_user(staff)

    first = client.post("/problems", payload)
    again = client.post("/problems", payload)

    assert again.content == first.content


# Photos: idempotent on their bytes rather than a client_id, retried by the same queue ----------


def test_a_photo_uploaded_again_answers_the_first_body(api, commissioner, village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    phone = api.as_user(commissioner)
    checkin = phone.post("/checkins", _checkin(village, VARIANTS["offset_plus_08"])).json()
    data = jpeg_bytes(gps=(village.lat, village.lng))

    first = phone.upload(f"/checkins/{checkin['id']}/photos", {"photo": upload(data)})
    again = phone.upload(f"/checkins/{checkin['id']}/photos", {"photo": upload(data)})

    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert again.content == first.content
