"""Recording a training: stored as sent, idempotent on client_id, and every rule refused with a 422 naming it."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.periods import SHANGHAI
from geo.datums import wgs84_to_gcj02
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory, TownshipStaffFactory
from trainings.models import Training

from .conftest import training_payload
from .factories import OTHER_COUNTY_VILLAGE, VILLAGE

pytestmark = pytest.mark.django_db


def _hours_from_now(hours):
    return timezone.localtime(timezone.now() + timedelta(hours=hours)).isoformat()


def _recently(days=3):
    return (timezone.now() - timedelta(days=days)).replace(microsecond=0)


def test_recording_a_training_creates_it_as_sent(api, commissioner):
    started = _recently()
    payload = training_payload(started_at=started.astimezone(SHANGHAI).isoformat(), duration_hours=1.5)

    response = api.as_user(commissioner).post("/trainings", payload)

    assert response.status_code == 201, response.content
    body = response.json()
    training = Training.objects.get(pk=body["id"])
    assert training.commissioner == commissioner
    assert (training.village_id, training.category_id) == (VILLAGE, "fruit-trees")
    assert training.started_at == started
    assert training.duration_hours == Decimal("1.5")
    assert (training.headcount, training.female_count, training.poverty_household_count) == (45, 20, 8)
    assert (training.lat, training.lng) == (None, None)
    assert str(training.client_id) == payload["client_id"]


def test_the_answer_names_the_village_its_township_and_county(api, commissioner, record):
    body = record()
    assert body["village_code"] == VILLAGE
    assert (body["county_code"], body["township_code"]) == ("451002", "451002001")
    assert body["commissioner"] == {"id": commissioner.pk, "name": commissioner.name}
    assert (body["duration_hours"], body["photo_count"], body["roster_size"], body["photos"]) == (2.5, 0, 0, [])


def test_optional_parts_default_to_zero(api, commissioner):
    payload = training_payload()
    del payload["female_count"], payload["poverty_household_count"]
    body = api.as_user(commissioner).post("/trainings", payload).json()
    training = Training.objects.get(pk=body["id"])
    assert (training.female_count, training.poverty_household_count) == (0, 0)


def test_recording_again_with_the_same_client_id_returns_the_first_result(api, commissioner):
    payload = training_payload()
    first = api.as_user(commissioner).post("/trainings", payload)
    again = api.post("/trainings", payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Training.objects.count() == 1


def test_a_retry_with_the_same_instant_in_another_offset_is_the_same_training(api, commissioner):
    started = _recently()
    payload = training_payload(started_at=started.astimezone(SHANGHAI).isoformat())
    first = api.as_user(commissioner).post("/trainings", payload)
    again = api.post("/trainings", {**payload, "started_at": started.astimezone(UTC).isoformat()})
    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize(
    "changed",
    [{"headcount": 46}, {"topic": "另一个主题"}, {"village_code": "451002001002"}, {"duration_hours": 3}],
)
def test_reusing_a_client_id_for_another_training_is_a_conflict(api, commissioner, changed):
    payload = training_payload()
    api.as_user(commissioner).post("/trainings", payload)
    response = api.post("/trainings", {**payload, **changed})
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"
    assert Training.objects.get().headcount == 45


def test_two_commissioners_may_use_the_same_client_id(api, commissioner, village):
    from tests.fixtures_problems import make_commissioner

    payload = training_payload()
    api.as_user(commissioner).post("/trainings", payload)
    assert api.as_user(make_commissioner(village)).post("/trainings", payload).status_code == 201
    assert Training.objects.count() == 2


def test_a_commissioner_may_record_a_training_in_another_county(api, commissioner):
    response = api.as_user(commissioner).post("/trainings", training_payload(village_code=OTHER_COUNTY_VILLAGE))
    assert response.status_code == 201
    assert response.json()["county_code"] == "451003"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"headcount": 0}, "headcount"),
        ({"headcount": -3}, "headcount"),
        ({"headcount": 301}, "headcount"),
        ({"headcount": True}, "headcount"),
        ({"female_count": -1}, "female_count"),
        ({"poverty_household_count": -1}, "poverty_household_count"),
        ({"female_count": 46}, "female_count"),
        ({"poverty_household_count": 46}, "poverty_household_count"),
        ({"duration_hours": 0.25}, "duration_hours"),
        ({"duration_hours": 12.5}, "duration_hours"),
        ({"duration_hours": 1.333}, "duration_hours"),
        ({"started_at": _hours_from_now(2)}, "started_at"),
        ({"started_at": _hours_from_now(-24 * 400)}, "started_at"),
        ({"started_at": "2020-12-31T23:00:00+08:00"}, "started_at"),
        ({"started_at": _hours_from_now(-3)[:19]}, "started_at"),
        ({"category": "astrology"}, "category"),
        ({"village_code": "451002001"}, "village_code"),
        ({"topic": ""}, "topic"),
        ({"topic": "   "}, "topic"),
        ({"lat": 23.9}, "lng"),
        ({"lng": 106.6}, "lat"),
        ({"lat": 95, "lng": 106.6}, "lat"),
        ({"crs": "mars"}, "crs"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_invalid_trainings_are_422_naming_the_field(api, commissioner, overrides, field):
    response = api.as_user(commissioner).post("/trainings", training_payload(**overrides))
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Training.objects.exists()


def test_a_start_within_the_hour_ahead_is_accepted_for_clock_drift(api, commissioner):
    response = api.as_user(commissioner).post("/trainings", training_payload(started_at=_hours_from_now(0.5)))
    assert response.status_code == 201


def test_the_ceiling_itself_is_accepted(api, commissioner):
    body = training_payload(headcount=300, female_count=300, poverty_household_count=300, duration_hours=12)
    assert api.as_user(commissioner).post("/trainings", body).status_code == 201


def test_unknown_village_is_404(api, commissioner):
    response = api.as_user(commissioner).post("/trainings", training_payload(village_code="451099999999"))
    assert response.status_code == 404
    assert error_code(response) == "village_not_found"


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CountyStaffFactory, BureauFactory])
def test_staff_cannot_record_trainings(api, factory):
    response = api.as_user(factory()).post("/trainings", training_payload())
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert not Training.objects.exists()


def test_anonymous_callers_are_401(api):
    assert api.anonymous().post("/trainings", training_payload()).status_code == 401


def test_a_position_without_the_location_consent_is_refused(api, commissioner_without_consent, village):
    payload = training_payload(lat=village.lat, lng=village.lng)
    response = api.as_user(commissioner_without_consent).post("/trainings", payload)
    assert response.status_code == 403
    assert error_code(response) == "consent_required"
    assert not Training.objects.exists()


def test_a_training_without_a_position_needs_no_consent(api, commissioner_without_consent):
    response = api.as_user(commissioner_without_consent).post("/trainings", training_payload())
    assert response.status_code == 201


def test_a_position_in_gcj02_is_stored_in_wgs84(api, commissioner, village):
    lat, lng = wgs84_to_gcj02(village.lat + 0.01, village.lng)
    body = api.as_user(commissioner).post("/trainings", training_payload(lat=lat, lng=lng, crs="gcj02")).json()
    training = Training.objects.get(pk=body["id"])
    assert training.lat == pytest.approx(village.lat + 0.01, abs=1e-7)
    assert training.lng == pytest.approx(village.lng, abs=1e-7)
    # answered in the datum the request spoke
    assert (body["lat"], body["lng"]) == pytest.approx((lat, lng), abs=1e-6)


def test_the_detail_answers_in_the_datum_asked_for(api, commissioner, village, record):
    body = record(lat=village.lat, lng=village.lng)
    detail = api.get(f"/trainings/{body['id']}", crs="gcj02").json()
    assert (detail["lat"], detail["lng"]) == pytest.approx(wgs84_to_gcj02(village.lat, village.lng), abs=1e-6)


def test_a_retry_after_the_late_entry_limit_still_returns_the_first_result(commissioner, village):
    from trainings.services import training_record

    from .factories import TrainingFactory

    old = TrainingFactory(commissioner=commissioner, started_at=timezone.now() - timedelta(days=500))
    training, created = training_record(
        commissioner=commissioner, client_id=old.client_id, village=village, category_code=old.category_id,
        topic=old.topic, started_at=old.started_at, duration_hours=old.duration_hours, headcount=old.headcount,
        female_count=old.female_count, poverty_household_count=old.poverty_household_count,
    )
    assert (training.pk, created) == (old.pk, False)
