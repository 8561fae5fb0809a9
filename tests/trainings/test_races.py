"""Races on the real PostgreSQL: a training retried from many threads at once is stored once."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.concurrency import race
from tests.fixtures_problems import make_commissioner
from trainings.models import Training, TrainingAttendee
from trainings.services import attendees_add, training_record
from villages.models import Area

from .factories import VILLAGE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(baise):
    village = Area.objects.get(code=VILLAGE)
    return village, make_commissioner(village)


def test_the_same_training_retried_concurrently_is_stored_once(setup):
    village, commissioner = setup
    client_id, started = uuid.uuid4(), timezone.now() - timedelta(hours=3)

    def record(i):
        return training_record(
            commissioner=commissioner, client_id=client_id, village=village, category_code="tea", topic="茶园管护",
            started_at=started, duration_hours=Decimal("2"), headcount=30, female_count=12,
            position=(village.lat, village.lng),
        )

    results, errors = race(8, record)
    assert not errors
    assert sum(r.created for r in results) == 1
    assert len({r.training.pk for r in results}) == 1
    assert Training.objects.filter(client_id=client_id).count() == 1


def test_rosters_sent_at_once_never_outgrow_the_headcount(setup):
    village, commissioner = setup
    training, _ = training_record(
        commissioner=commissioner, client_id=uuid.uuid4(), village=village, category_code="tea", topic="t",
        started_at=timezone.now() - timedelta(hours=3), duration_hours=2, headcount=5,
    )
    people = [[{"name": f"村民{i}{j}", "phone": f"1390776{i:02d}{j:02d}"} for j in range(3)] for i in range(4)]
    results, errors = race(4, lambda i: attendees_add(commissioner=commissioner, training=training,
                                                      attendees=people[i]))
    assert len(results) == 1 and {e.code for e in errors} == {"invalid"}
    assert TrainingAttendee.objects.filter(training=training).count() == 3
