"""The database itself refuses bad trainings, whatever path the row takes (bulk_create skips the service)."""

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.periods import SHANGHAI
from tests.factories import CommissionerFactory
from trainings.models import Training, TrainingAttendee

from .factories import VILLAGE, TrainingFactory

pytestmark = pytest.mark.django_db


def row(commissioner, **overrides):
    fields = {
        "client_id": uuid.uuid4(), "commissioner": commissioner, "village_id": VILLAGE, "category_id": "tea",
        "topic": "t", "started_at": datetime(2025, 3, 1, 9, tzinfo=SHANGHAI), "duration_hours": Decimal("2"),
        "headcount": 10,
    }
    fields.update(overrides)
    return Training(**fields)


def test_a_valid_row_is_stored(db):
    Training.objects.bulk_create([row(CommissionerFactory())])
    assert Training.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"headcount": 0},
        {"headcount": 301},
        {"female_count": 11},
        {"poverty_household_count": 11},
        {"female_count": -1},
        {"duration_hours": Decimal("0.25")},
        {"duration_hours": Decimal("12.5")},
        {"started_at": datetime(2020, 12, 31, 23, 59, tzinfo=SHANGHAI)},
        {"lat": 23.9},
        {"lng": 106.6},
        {"lat": 91.0, "lng": 106.6},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_the_database_refuses_a_bad_training(overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        Training.objects.bulk_create([row(CommissionerFactory(), **overrides)])
    assert not Training.objects.exists()


def test_the_database_refuses_a_client_id_twice_for_one_commissioner():
    commissioner, client_id = CommissionerFactory(), uuid.uuid4()
    Training.objects.bulk_create([row(commissioner, client_id=client_id)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Training.objects.bulk_create([row(commissioner, client_id=client_id)])
    assert Training.objects.count() == 1


@pytest.mark.parametrize(
    "overrides", [{"gender": "other"}, {"phone_hash": "13907760001"}], ids=["gender", "plain_phone"]
)
def test_the_database_refuses_a_bad_attendee(overrides):
    training = TrainingFactory()
    fields = {"training": training, "name": "黄秀英", "phone_hash": "a" * 64, **overrides}
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendee.objects.bulk_create([TrainingAttendee(**fields)])


def test_the_database_refuses_a_person_twice_on_one_roster():
    training = TrainingFactory()
    TrainingAttendee.objects.create(training=training, name="a", phone_hash="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendee.objects.bulk_create([TrainingAttendee(training=training, name="a", phone_hash="b" * 64)])
