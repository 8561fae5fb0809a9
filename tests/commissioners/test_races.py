"""Races on the real PostgreSQL: the same check-in replayed concurrently is stored once."""

import uuid

import pytest
from django.utils import timezone

from commissioners.checkins import checkin_record
from commissioners.models import Checkin
from tests.concurrency import race
from tests.fixtures_problems import VILLAGE, make_commissioner
from villages.models import Area

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_checkin_replayed_concurrently_is_stored_once(baise):
    village = Area.objects.get(code=VILLAGE)
    commissioner = make_commissioner(village)
    client_id, when = uuid.uuid4(), timezone.now()
    results, errors = race(8, lambda i: checkin_record(commissioner=commissioner, client_id=client_id,
                                                       village=village, position=(village.lat, village.lng),
                                                       occurred_at=when, accuracy_m=10))
    assert not errors
    assert sum(r.created for r in results) == 1
    assert len({r.checkin.pk for r in results}) == 1
    assert Checkin.objects.filter(client_id=client_id).count() == 1
