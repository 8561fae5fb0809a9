"""The tally the bureau's statistics read: headcount (人次) by Asia/Shanghai day and county, summed in SQL."""

from datetime import date, datetime

import pytest

from core.periods import SHANGHAI
from trainings.models import TrainingAttendee
from trainings.selectors import trainees_by_day_and_county

from .factories import OTHER_COUNTY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, VILLAGE, TrainingFactory

pytestmark = pytest.mark.django_db


def test_headcounts_are_summed_by_shanghai_day_and_county(django_assert_num_queries):
    TrainingFactory(village_id=VILLAGE, headcount=30, started_at=datetime(2025, 3, 1, 23, 30, tzinfo=SHANGHAI))
    TrainingFactory(village_id=OTHER_TOWNSHIP_VILLAGE, headcount=12,
                    started_at=datetime(2025, 3, 1, 8, 0, tzinfo=SHANGHAI))
    TrainingFactory(village_id=VILLAGE, headcount=50, started_at=datetime(2025, 3, 2, 0, 10, tzinfo=SHANGHAI))
    TrainingFactory(village_id=OTHER_COUNTY_VILLAGE, headcount=7, started_at=datetime(2025, 3, 2, 9, tzinfo=SHANGHAI))
    with django_assert_num_queries(1):
        rows = trainees_by_day_and_county()
    assert rows == [
        {"day": date(2025, 3, 1), "county_code": "451002", "trainings": 2, "trainees": 42},
        {"day": date(2025, 3, 2), "county_code": "451002", "trainings": 1, "trainees": 50},
        {"day": date(2025, 3, 2), "county_code": "451003", "trainings": 1, "trainees": 7},
    ]


def test_the_tally_keeps_to_its_window():
    TrainingFactory(headcount=30, started_at=datetime(2025, 3, 1, 23, 30, tzinfo=SHANGHAI))
    TrainingFactory(headcount=50, started_at=datetime(2025, 3, 2, 0, 10, tzinfo=SHANGHAI))
    rows = trainees_by_day_and_county(start=date(2025, 3, 2), end=date(2025, 3, 2))
    assert [(r["day"], r["trainees"]) for r in rows] == [(date(2025, 3, 2), 50)]


def test_a_roster_does_not_enter_the_tally():
    training = TrainingFactory(headcount=30, started_at=datetime(2025, 3, 1, 9, tzinfo=SHANGHAI))
    TrainingAttendee.objects.bulk_create(
        TrainingAttendee(training=training, name=f"村民{i}", phone_hash=f"{i:064x}") for i in range(5))
    assert [r["trainees"] for r in trainees_by_day_and_county()] == [30]
