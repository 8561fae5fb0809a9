"""The attendee roster: optional evidence, idempotent per person, never changes the headcount, keeps no phone."""

import pytest

from tests.client import error_code
from tests.factories import CommissionerFactory, TownshipStaffFactory
from trainings.models import Training, TrainingAttendee
from trainings.pseudonyms import phone_hash, phone_normalise

pytestmark = pytest.mark.django_db

PEOPLE = [
    {"name": "黄秀英", "phone": "13907760001", "gender": "female"},
    {"name": "韦建国", "phone": "139 0776 0002", "gender": "male"},
    {"name": "农桂兰", "phone": "+86 139-0776-0003"},
]


def roster(api, training, items):
    return api.post(f"/trainings/{training['id']}/attendees", {"items": items})


def test_a_roster_is_stored_without_the_phone_numbers(api, commissioner, record):
    training = record()
    response = roster(api, training, PEOPLE)
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 3, "duplicate": 0, "roster_size": 3}
    stored = TrainingAttendee.objects.filter(training_id=training["id"]).order_by("id")
    assert [a.phone_hash for a in stored] == [phone_hash(f"1390776000{i}") for i in (1, 2, 3)]
    assert [a.gender for a in stored] == ["female", "male", ""]
    assert not any("13907760" in value for a in stored for value in (a.name, a.phone_hash))


def test_the_roster_does_not_change_the_headcount(api, commissioner, record):
    training = record(headcount=45)
    roster(api, training, PEOPLE)
    assert Training.objects.get(pk=training["id"]).headcount == 45
    assert api.get(f"/trainings/{training['id']}").json()["roster_size"] == 3


def test_sending_the_roster_again_adds_nobody_twice(api, commissioner, record):
    training = record()
    roster(api, training, PEOPLE[:2])
    again = roster(api, training, PEOPLE)
    assert again.status_code == 201
    assert again.json() == {"created": 1, "duplicate": 2, "roster_size": 3}
    resent = roster(api, training, PEOPLE)
    assert (resent.status_code, resent.json()["created"]) == (200, 0)
    assert TrainingAttendee.objects.count() == 3


def test_the_same_person_twice_in_one_roster_is_listed_once(api, commissioner, record):
    training = record()
    body = roster(api, training, [PEOPLE[0], {**PEOPLE[0], "phone": "+8613907760001"}]).json()
    assert body == {"created": 1, "duplicate": 1, "roster_size": 1}


def test_a_roster_larger_than_the_headcount_is_refused(api, commissioner, record):
    training = record(headcount=2, female_count=1, poverty_household_count=0)
    response = roster(api, training, PEOPLE)
    assert response.status_code == 422
    assert "items" in response.json()["error"]["fields"]
    assert not TrainingAttendee.objects.exists()


def test_a_number_that_is_not_a_mobile_is_422_naming_the_entry(api, commissioner, record):
    training = record()
    response = roster(api, training, [PEOPLE[0], {"name": "某人", "phone": "0776-2812345"}])
    assert response.status_code == 422
    assert "items.1.phone" in response.json()["error"]["fields"]
    assert not TrainingAttendee.objects.exists()


def test_only_the_trainings_commissioner_adds_to_the_roster(api, record):
    training = record()
    response = roster(api.as_user(TownshipStaffFactory()), training, PEOPLE)
    assert response.status_code == 403
    assert error_code(response) == "not_your_training"
    assert roster(api.as_user(CommissionerFactory()), training, PEOPLE).status_code == 403


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("13907760001", "13907760001"), ("+86 139 0776 0001", "13907760001"), ("0086-139-0776-0001", "13907760001"),
     ("8613907760001", "13907760001"), ("12907760001", None), ("0776-2812345", None), ("", None)],
)
def test_phone_numbers_are_normalised_before_hashing(raw, normal):
    assert phone_normalise(raw) == normal


def test_the_phone_hash_is_keyed_not_a_plain_digest():
    import hashlib

    assert phone_hash("13907760001") != hashlib.sha256(b"13907760001").hexdigest()
    assert len(phone_hash("13907760001")) == 64
