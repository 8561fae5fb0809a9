"""Check-ins from flaky phones: idempotent, never refused for where they are, flagged on hand-made tracks."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Consent
from commissioners import checkins
from commissioners.models import Checkin
from geo.datums import wgs84_to_gcj02
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import make_commissioner
from tests.media.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

KM = 1 / 111.2  # a kilometre of latitude, in degrees


def at(village, *, km_north=0.0, minutes_ago=60, accuracy_m=15.0, **extra):
    data = {
        "client_id": str(uuid.uuid4()),
        "village_code": village.code,
        "lat": village.lat + km_north * KM,
        "lng": village.lng,
        "accuracy_m": accuracy_m,
        "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
    }
    data.update(extra)
    return data


@pytest.fixture
def phone(api, commissioner):
    return api.as_user(commissioner)


def test_a_checkin_inside_the_village_is_verified(phone, village):
    response = phone.post("/checkins", at(village))
    assert response.status_code == 201
    body = response.json()
    assert (body["verified"], body["flags"], body["distance_m"]) == (True, [], 0)


def test_a_far_checkin_is_kept_and_flagged_with_its_distance(phone, village):
    village.position_source = "surveyed"  # a fence that is evidence (a generated one only flags, docs/geo.md)
    village.save(update_fields=["position_source"])
    response = phone.post("/checkins", at(village, km_north=10))
    assert response.status_code == 201
    body = response.json()
    assert body["verified"] is False
    assert body["flags"] == ["outside_fence"]
    assert body["distance_m"] == pytest.approx(7000, rel=0.02)  # 10 km out, 3 km fence
    assert Checkin.objects.filter(pk=body["id"]).exists()


def test_a_retry_returns_the_first_result_and_creates_nothing(phone, village):
    payload = at(village)
    first = phone.post("/checkins", payload)
    again = phone.post("/checkins", payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Checkin.objects.count() == 1


def test_reusing_a_client_id_for_another_visit_is_a_conflict(phone, village):
    payload = at(village)
    phone.post("/checkins", payload)
    response = phone.post("/checkins", {**payload, "occurred_at": timezone.now().isoformat()})
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"


def test_low_accuracy_is_flagged_but_does_not_unverify(phone, village):
    body = phone.post("/checkins", at(village, accuracy_m=350)).json()
    assert body["flags"] == ["low_accuracy"]
    assert body["verified"] is True


def test_unknown_accuracy_is_noted(phone, village):
    body = phone.post("/checkins", at(village, accuracy_m=None)).json()
    assert body["flags"] == ["accuracy_unknown"]


def test_impossible_travel_since_the_previous_checkin_is_flagged(phone, village):
    phone.post("/checkins", at(village, minutes_ago=30))
    # 200 km north half an hour later: 400 km/h
    body = phone.post("/checkins", at(village, km_north=200, minutes_ago=0)).json()
    assert "impossible_travel" in body["flags"]
    assert body["flag_details"]["impossible_travel"]["speed_kmh"] == pytest.approx(400, rel=0.05)
    assert body["verified"] is False


def test_a_plausible_drive_is_not_impossible_travel(phone, village):
    phone.post("/checkins", at(village, minutes_ago=120))
    body = phone.post("/checkins", at(village, km_north=60, minutes_ago=0)).json()  # 30 km/h
    assert "impossible_travel" not in body["flags"]


def test_impossible_travel_is_found_when_the_queue_arrives_out_of_order(phone, village):
    phone.post("/checkins", at(village, minutes_ago=10))
    body = phone.post("/checkins", at(village, km_north=100, minutes_ago=20)).json()  # earlier, far away
    assert "impossible_travel" in body["flags"]


def test_a_time_in_the_future_is_flagged(phone, village):
    body = phone.post("/checkins", at(village, minutes_ago=-120)).json()
    assert "future_time" in body["flags"] and body["verified"] is False


def test_a_time_long_past_is_flagged(phone, village):
    body = phone.post("/checkins", at(village, minutes_ago=60 * 24 * 45)).json()
    assert "too_old" in body["flags"]


def test_a_photo_taken_far_away_is_flagged(phone, village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    checkin = phone.post("/checkins", at(village)).json()
    photo = jpeg_bytes(gps=(village.lat + 0.2, village.lng))
    assert phone.upload(f"/checkins/{checkin['id']}/photos", {"photo": upload(photo)}).status_code == 201
    body = phone.get(f"/checkins/{checkin['id']}").json()
    assert "photo_far" in body["flags"] and body["verified"] is False
    assert len(body["photos"]) == 1


def test_a_photo_taken_there_keeps_the_checkin_verified(phone, village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    checkin = phone.post("/checkins", at(village)).json()
    phone.upload(f"/checkins/{checkin['id']}/photos", {"photo": upload(jpeg_bytes(gps=(village.lat, village.lng)))})
    assert phone.get(f"/checkins/{checkin['id']}").json()["verified"] is True


def test_a_photo_already_used_for_another_checkin_is_flagged(phone, village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = jpeg_bytes()
    first = phone.post("/checkins", at(village, minutes_ago=300)).json()
    second = phone.post("/checkins", at(village, minutes_ago=10)).json()
    phone.upload(f"/checkins/{first['id']}/photos", {"photo": upload(photo)})
    phone.upload(f"/checkins/{second['id']}/photos", {"photo": upload(photo)})
    body = phone.get(f"/checkins/{second['id']}").json()
    assert body["flags"] == ["photo_reused"]
    assert body["flag_details"]["photo_reused"]["other_checkin_id"] == first["id"]


def test_a_position_in_gcj02_is_converted_before_the_fence(phone, village):
    lat, lng = wgs84_to_gcj02(village.lat, village.lng)
    body = phone.post("/checkins", at(village, lat=lat, lng=lng, crs="gcj02")).json()
    stored = Checkin.objects.get(pk=body["id"])
    assert (stored.lat, stored.lng) == pytest.approx((village.lat, village.lng), abs=1e-7)
    assert body["distance_m"] == 0


def test_without_location_consent_the_app_is_told_to_ask(api, village, commissioner):
    Consent.objects.filter(user=commissioner).delete()
    response = api.as_user(commissioner).post("/checkins", at(village))
    assert response.status_code == 403
    assert error_code(response) == "consent_required"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"occurred_at": "2025-03-01T10:00:00"}, "occurred_at"),  # no offset: ambiguous
        ({"crs": "utm"}, "crs"),
        ({"accuracy_m": -5}, "accuracy_m"),
        ({"village_code": "4510"}, "village_code"),
    ],
)
def test_invalid_checkins_are_422_naming_the_field(phone, village, overrides, field):
    response = phone.post("/checkins", at(village, **overrides))
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_staff_do_not_check_in(api, village):
    assert api.as_user(TownshipStaffFactory()).post("/checkins", at(village)).status_code == 403


def test_a_batch_answers_each_item_and_one_bad_item_sinks_nothing(phone, village):
    good, replay = at(village, minutes_ago=50), at(village, minutes_ago=40)
    phone.post("/checkins", replay)
    bad_position = at(village, lat=123)
    unknown_village = at(village, village_code="451099999999")
    response = phone.post("/checkins/batch", {"items": [good, replay, bad_position, unknown_village, good, "junk"]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate", "invalid", "invalid", "duplicate", "invalid"]
    assert results[0]["client_id"] == good["client_id"] and results[0]["id"]
    assert "lat" in results[2]["errors"]
    assert results[3]["errors"]["code"] == "village_not_found"
    assert results[4]["id"] == results[0]["id"]
    assert Checkin.objects.count() == 2


def test_a_batch_without_consent_is_refused_whole(api, village, commissioner):
    Consent.objects.filter(user=commissioner).delete()
    response = api.as_user(commissioner).post("/checkins/batch", {"items": [at(village)]})
    assert response.status_code == 403
    assert not Checkin.objects.exists()


def test_a_batch_asks_who_may_check_in_once_and_loads_its_villages_once(phone, village, monkeypatch):
    asked = []
    original = checkins.ensure_may_check_in
    monkeypatch.setattr(checkins, "ensure_may_check_in", lambda user: asked.append(user.pk) or original(user))
    loads = []
    original_load = checkins.villages_by_code
    monkeypatch.setattr(checkins, "villages_by_code", lambda codes: loads.append(codes) or original_load(codes))

    response = phone.post("/checkins/batch", {"items": [at(village, minutes_ago=m) for m in (50, 40, 30, 20)]})

    assert [r["status"] for r in response.json()["results"]] == ["created"] * 4
    assert len(asked) == 1 and loads == [{village.code}]


def test_a_batch_is_capped(phone, village):
    response = phone.post("/checkins/batch", {"items": [at(village) for _ in range(201)]})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("self", 2), ("township", 2), ("county", 2), ("bureau", 2), ("other_county", 0), ("other_commissioner", 0)],
)
def test_listing_is_scoped_for_every_role(api, village, commissioner, viewer, sees):
    api.as_user(commissioner)
    api.post("/checkins", at(village, minutes_ago=90))
    api.post("/checkins", at(village, minutes_ago=30))
    users = {
        "self": lambda: commissioner,
        "township": TownshipStaffFactory,
        "county": CountyStaffFactory,
        "bureau": BureauFactory,
        "other_county": lambda: CountyStaffFactory(area_id="451003"),
        "other_commissioner": lambda: make_commissioner(village),
    }
    assert api.as_user(users[viewer]()).get("/checkins").json()["count"] == sees


def test_filters_and_the_shanghai_day_boundary(api, village, commissioner):
    api.as_user(commissioner)
    late = at(village, occurred_at="2026-03-01T23:30:00+08:00")
    api.post("/checkins", late)
    api.post("/checkins", at(village, occurred_at="2026-03-02T00:30:00+08:00"))
    staff = api.as_user(CountyStaffFactory())
    day1 = staff.get("/checkins", **{"from": "2026-03-01", "to": "2026-03-01"}).json()
    assert [c["client_id"] for c in day1["items"]] == [late["client_id"]]
    assert staff.get("/checkins", village=village.code, commissioner=commissioner.pk).json()["count"] == 2


def test_the_checkin_list_costs_the_same_whatever_the_page(api, village, commissioner, django_assert_max_num_queries):
    api.as_user(commissioner)
    for i in range(12):
        api.post("/checkins", at(village, minutes_ago=10 * (i + 1)))
    with django_assert_max_num_queries(3):
        assert len(api.get("/checkins", limit=12).json()["items"]) == 12


def test_checkin_photos_are_served_to_staff_in_scope_only(api, village, commissioner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    checkin = api.as_user(commissioner).post("/checkins", at(village)).json()
    photo = api.upload(f"/checkins/{checkin['id']}/photos", {"photo": upload(jpeg_bytes())}).json()
    inside = api.as_user(CountyStaffFactory()).client.get(photo["url"], **api._headers())
    assert inside.status_code == 200
    outside = api.as_user(CountyStaffFactory(area_id="451003")).client.get(photo["url"], **api._headers())
    assert outside.status_code == 403
