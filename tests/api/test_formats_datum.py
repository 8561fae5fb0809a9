"""Answers with positions name their datum: `crs` beside `lat`/`lng`, the one asked (default wgs84).

GeoJSON is the exception: always WGS-84 (RFC 7946), and the schema says so.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from commissioners.models import CommissionerProfile
from core.positions import point_out
from geo.datums import from_wgs84, wgs84_to_gcj02
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner, problem_payload
from villages.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def commissioner(village):
    return make_commissioner(village)


def _checkin(village, **extra):
    data = {"client_id": str(uuid.uuid4()), "village_code": village.code, "lat": village.lat, "lng": village.lng,
            "accuracy_m": 10.0, "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat()}
    return {**data, **extra}


def test_a_checkin_sent_in_gcj02_answers_in_gcj02_and_says_so(api, commissioner, village):
    lat, lng = wgs84_to_gcj02(village.lat, village.lng)

    body = api.as_user(commissioner).post("/checkins", _checkin(village, lat=lat, lng=lng, crs="gcj02")).json()

    assert body["crs"] == "gcj02"
    assert (body["lat"], body["lng"]) == point_out(village.lat, village.lng, "gcj02")


def test_checkins_read_without_crs_say_wgs84(api, commissioner, village):
    api.as_user(commissioner).post("/checkins", _checkin(village))

    item = api.get("/checkins").json()["items"][0]

    assert (item["crs"], item["lat"], item["lng"]) == ("wgs84", *point_out(village.lat, village.lng))


def test_a_checkin_read_in_bd09_says_bd09(api, commissioner, village):
    created = api.as_user(commissioner).post("/checkins", _checkin(village)).json()

    body = api.get(f"/checkins/{created['id']}", crs="bd09").json()

    assert (body["crs"], body["lat"], body["lng"]) == ("bd09", *point_out(village.lat, village.lng, "bd09"))


def test_a_batch_item_says_the_datum_it_was_sent_in(api, commissioner, village):
    lat, lng = wgs84_to_gcj02(village.lat, village.lng)

    result = api.as_user(commissioner).post(
        "/checkins/batch", {"items": [_checkin(village, lat=lat, lng=lng, crs="gcj02")]}
    ).json()["results"][0]

    assert result["checkin"]["crs"] == "gcj02"


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_areas_say_the_datum_asked_for(api, commissioner, village, crs):
    body = api.as_user(commissioner).get("/areas", level="village", parent=village.parent_id, crs=crs).json()

    item = next(i for i in body["items"] if i["code"] == VILLAGE)
    assert (item["crs"], item["lat"], item["lng"]) == (crs, *point_out(village.lat, village.lng, crs))


def test_an_area_with_its_geometry_says_the_datum_of_its_position(api, commissioner):
    body = api.as_user(commissioner).get("/areas/451002", geometry=1, crs="gcj02").json()

    assert body["crs"] == "gcj02"
    assert body["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_a_problem_read_in_bd09_says_bd09(api, village):
    staff = TownshipStaffFactory()
    created = api.as_user(staff).post("/problems", problem_payload()).json()

    body = api.get(f"/problems/{created['id']}", crs="bd09").json()

    assert (body["crs"], body["lat"], body["lng"]) == ("bd09", *point_out(village.lat, village.lng, "bd09"))


def test_listed_problems_say_the_datum_asked_for(api, village):
    staff = TownshipStaffFactory()
    api.as_user(staff).post("/problems", problem_payload())

    item = api.get("/problems", crs="gcj02").json()["items"][0]

    assert item["crs"] == "gcj02"


def test_a_training_listed_in_gcj02_says_gcj02(api, commissioner, village):
    payload = {"client_id": str(uuid.uuid4()), "village_code": village.code, "topic": "柑橘修剪",
               "category": "fruit-trees", "started_at": (timezone.now() - timedelta(days=1)).isoformat(),
               "duration_hours": 2, "headcount": 30, "lat": village.lat, "lng": village.lng}
    api.as_user(commissioner).post("/trainings", payload)

    item = api.get("/trainings", crs="gcj02").json()["items"][0]

    assert (item["crs"], item["lat"], item["lng"]) == ("gcj02", *point_out(village.lat, village.lng, "gcj02"))


def test_my_profile_says_the_datum_of_my_home(api, commissioner):
    profile = CommissionerProfile.objects.get(user=commissioner)

    body = api.as_user(commissioner).get("/me", crs="gcj02").json()

    assert body["crs"] == "gcj02"
    assert (body["home_lat"], body["home_lng"]) == point_out(profile.home_lat, profile.home_lng, "gcj02")


def test_updating_my_home_answers_in_the_datum_i_sent(api, commissioner, village):
    lat, lng = from_wgs84(village.lat, village.lng, "bd09")

    body = api.as_user(commissioner).patch("/commissioners/me", {"home_lat": lat, "home_lng": lng,
                                                                 "crs": "bd09"}).json()

    assert body["crs"] == "bd09"
    assert body["home_lat"] == pytest.approx(lat, abs=1e-6)


def test_the_schema_says_geojson_stays_wgs84(api):
    components = api.anonymous().get("/openapi.json").json()["components"]["schemas"]

    assert "WGS-84" in components["AreaDetailOut"]["properties"]["geometry"]["description"]
    assert "WGS-84" in components["FeatureCollection"]["description"]


def test_the_schema_describes_crs_on_every_answer_with_positions(api):
    components = api.anonymous().get("/openapi.json").json()["components"]["schemas"]

    for name in ("AreaOut", "ProblemOut", "CheckinOut", "TrainingOut", "MeOut"):
        assert "crs" in components[name]["required"], name
        assert "datum" in components[name]["properties"]["crs"]["description"], name
