"""Races on the real PostgreSQL: writers of one village and day at once, new and replayed, all counted once."""

import uuid

import pytest
from django.utils import timezone

from commissioners.checkins import checkin_record
from stats.models import CoveragePeriod
from stats.rollup import live_periods, rollup_periods
from tests.concurrency import race
from tests.fixtures_problems import VILLAGE, make_commissioner
from villages.models import Area

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_checkins_of_one_village_and_day_at_once_are_all_counted(baise):
    village = Area.objects.get(code=VILLAGE)
    people = [make_commissioner(village, km_north=i / 10) for i in range(4)]
    when = timezone.now()
    replayed = uuid.uuid4()

    def check_in(i: int):
        # Half replay one client_id (stored once), half are new; four people, one village and day.
        client_id = replayed if i % 2 else uuid.uuid4()
        return checkin_record(commissioner=people[0] if i % 2 else people[i % 4], client_id=client_id,
                              village=village, position=(village.lat, village.lng), occurred_at=when, accuracy_m=10)

    results, errors = race(12, check_in)
    assert not errors and len(results) == 12
    assert rollup_periods() == live_periods()
    day = CoveragePeriod.objects.get(span="day", village=village)
    assert day.checkins == 6 + 1  # six new ones and the replayed one once
