"""One time format across the API: RFC 3339 in China Standard Time (+08:00), to the millisecond.

Whatever offset or precision a phone sends, every instant the service answers (REST bodies and
websocket messages) is written `YYYY-MM-DDTHH:MM:SS.sss+08:00`; dates stay `YYYY-MM-DD`.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from core.instants import instant_text
from notifications.selectors import notification_message
from notifications.services import notify
from tests.factories import CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner, problem_payload
from villages.models import Area

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URUMQI = timezone(timedelta(hours=6))


@pytest.fixture
def village(db):
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def commissioner(village):
    return make_commissioner(village)


def _checkin(village, occurred_at: datetime) -> dict:
    return {"client_id": str(uuid.uuid4()), "village_code": village.code, "lat": village.lat, "lng": village.lng,
            "accuracy_m": 10.0, "occurred_at": occurred_at.isoformat()}


# The rule, on values -----------------------------------------------------------------------------


def test_an_instant_is_written_in_china_standard_time_to_the_millisecond():
    assert instant_text(datetime(2025, 3, 1, 0, 30, 15, 123456, tzinfo=UTC)) == "2025-03-01T08:30:15.123+08:00"


def test_an_instant_in_another_offset_is_written_the_same_way():
    at = datetime(2025, 3, 1, 6, 30, 15, tzinfo=URUMQI)
    assert instant_text(at) == "2025-03-01T08:30:15.000+08:00"


def test_an_instant_before_1991_keeps_the_plus_08_offset():
    # Asia/Shanghai's history would say +09:00 (summer 1986–1991) or +08:05:43 (before 1901).
    assert instant_text(datetime(1988, 7, 1, tzinfo=UTC)) == "1988-07-01T08:00:00.000+08:00"
    assert instant_text(datetime(1900, 1, 1, tzinfo=UTC)) == "1900-01-01T08:00:00.000+08:00"


def test_a_naive_instant_is_taken_as_utc():
    assert instant_text(datetime(2025, 3, 1)) == "2025-03-01T08:00:00.000+08:00"


# Through the API ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("tz", [UTC, URUMQI, timezone(timedelta(hours=8))], ids=["utc", "plus_06", "plus_08"])
def test_a_checkin_answers_its_instants_in_plus_08_whatever_offset_it_was_sent_in(api, commissioner, village, tz):
    sent = (dj_timezone.now() - timedelta(hours=1)).replace(microsecond=654321).astimezone(tz)

    body = api.as_user(commissioner).post("/checkins", _checkin(village, sent)).json()

    assert body["occurred_at"] == instant_text(sent)
    assert INSTANT.match(body["occurred_at"]) and INSTANT.match(body["created_at"])
    assert datetime.fromisoformat(body["occurred_at"]) == sent.replace(microsecond=654000)


@pytest.mark.django_db
def test_a_checkin_from_a_clock_reset_to_1970_is_answered_in_plus_08(api, commissioner, village):
    sent = datetime(1970, 1, 1, tzinfo=UTC)

    body = api.as_user(commissioner).post("/checkins", _checkin(village, sent)).json()

    assert body["occurred_at"] == "1970-01-01T08:00:00.000+08:00"


@pytest.mark.django_db
def test_listed_checkins_answer_the_same_instants_as_the_write(api, commissioner, village):
    sent = (dj_timezone.now() - timedelta(hours=2)).astimezone(URUMQI)
    written = api.as_user(commissioner).post("/checkins", _checkin(village, sent)).json()

    listed = api.get("/checkins").json()["items"][0]

    assert (listed["occurred_at"], listed["created_at"]) == (written["occurred_at"], written["created_at"])


@pytest.mark.django_db
def test_a_training_answers_started_at_in_plus_08(api, commissioner, village):
    started = (dj_timezone.now() - timedelta(days=1)).astimezone(UTC).replace(microsecond=0)
    payload = {"client_id": str(uuid.uuid4()), "village_code": village.code, "topic": "柑橘修剪",
               "category": "fruit-trees", "started_at": started.isoformat(), "duration_hours": 2, "headcount": 30}

    body = api.as_user(commissioner).post("/trainings", payload).json()

    assert body["started_at"] == instant_text(started)
    assert INSTANT.match(body["created_at"])


@pytest.mark.django_db
def test_a_problem_answers_instants_in_plus_08_and_its_deadline_as_a_date(api, village):
    deadline = (dj_timezone.localdate() + timedelta(days=3)).isoformat()

    body = api.as_user(TownshipStaffFactory()).post("/problems", problem_payload(deadline=deadline)).json()

    assert body["deadline"] == deadline and DAY.match(body["deadline"])
    assert INSTANT.match(body["created_at"]) and INSTANT.match(body["updated_at"])
    assert all(INSTANT.match(event["at"]) for event in body["history"])


@pytest.mark.django_db
def test_a_dispatch_answers_its_days_as_dates_and_created_at_in_plus_08(api, commissioner, village):
    payload = {"commissioner_id": commissioner.pk, "village_code": village.code, "starts_on": "2025-03-01"}

    body = api.as_user(CountyStaffFactory()).post("/dispatches", payload).json()

    assert (body["starts_on"], body["ends_on"]) == ("2025-03-01", None)
    assert INSTANT.match(body["created_at"])


@pytest.mark.django_db
def test_the_websocket_message_writes_created_at_as_the_rest_list_does(api, commissioner):
    [row] = notify(recipients=[commissioner], type="claim.accepted", payload={"problem_id": 1, "claim_id": 1})

    listed = api.as_user(commissioner).get("/notifications").json()["items"][0]

    assert notification_message(row)["created_at"] == listed["created_at"]
    assert INSTANT.match(listed["created_at"])


@pytest.mark.django_db
def test_the_openapi_description_states_the_time_format(api):
    description = api.anonymous().get("/openapi.json").json()["info"]["description"]
    assert "+08:00" in description and "milliseconds" in description
