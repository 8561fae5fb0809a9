"""stats.0004 sums the rows already stored into the rollup, and its triggers go and come back with it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from commissioners.models import Checkin, Dispatch
from problems.models import Problem, ProblemStatus
from stats.rollup import live_periods, rollup_periods
from tests.factories import BureauFactory, CommissionerFactory
from trainings.models import Training

pytestmark = pytest.mark.django_db(transaction=True)
V1, V2 = "451002001001", "451003100001"


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_the_rows_stored_before_are_summed_in(baise):
    commissioner, bureau = CommissionerFactory(), BureauFactory()
    _migrate(("stats", "0003_plan_baselines"))
    try:
        for village, at, verified in ((V1, datetime(2024, 1, 1, 15, 59, tzinfo=UTC), True),
                                      (V1, datetime(2024, 1, 1, 16, 0, tzinfo=UTC), True),  # 00:00 in Shanghai
                                      (V2, datetime(2024, 1, 1, 3, tzinfo=UTC), False)):
            Checkin.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village_id=village, lat=23,
                                   lng=106, occurred_at=at, distance_m=0, verified=verified)
        Training.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village_id=V2, category_id="tea",
                                topic="t", started_at=datetime(2024, 2, 1, tzinfo=UTC), duration_hours=1, headcount=30)
        Dispatch.objects.create(commissioner=commissioner, village_id=V1, starts_on=date(2024, 1, 2),
                                dispatched_by=bureau)
        Problem.objects.create(client_id=uuid.uuid4(), posted_by=bureau, village_id=V1, category_id="tea", title="p",
                               description="d", lat=23, lng=106, cell=0, status=ProblemStatus.CLOSED,
                               resolved_at=datetime(2024, 1, 2, 1, tzinfo=UTC))
    finally:
        _migrate(("stats", "0004_coverage_rollup"))
    held = rollup_periods()
    assert held == live_periods()
    assert held[("day", V1, date(2024, 1, 1))]["checkins"] == 1
    assert held[("day", V1, date(2024, 1, 2))] == {"checkins": 1, "trainings": 0, "trainees": 0, "problems_resolved": 1,
                                            "dispatches": 1}
    assert held[("day", V2, date(2024, 2, 1))]["trainees"] == 30
    assert held[("month", V1, date(2024, 1, 1))]["checkins"] == 2
    assert held[("year", V1, date(2024, 1, 1))] == {"checkins": 2, "trainings": 0, "trainees": 0,
                                                    "problems_resolved": 1, "dispatches": 1}
    # The triggers are back: a new check-in is counted.
    Checkin.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village_id=V2, lat=23, lng=106,
                           occurred_at=datetime(2024, 3, 1, tzinfo=UTC), distance_m=0, verified=True)
    assert rollup_periods() == live_periods()


SOURCES = ("commissioners_checkin", "trainings_training", "problems_problem", "commissioners_dispatch")


@pytest.mark.django_db
def test_the_triggers_exist_after_migrating():
    """On SQLite Django remakes a table when a later migration alters it in some ways, dropping its triggers:
    the rollup would silently stop following that table. A migration that does must create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_%'")
            found = set(cursor.fetchall())
            want = {(t, f"stats_coverage_{t}_{event}") for t in SOURCES for event in ("insert", "delete", "update")}
        else:
            cursor.execute("SELECT event_object_table, trigger_name FROM information_schema.triggers"
                           " WHERE trigger_name LIKE 'stats_%%'")
            found = set(cursor.fetchall())
            want = {(t, f"stats_coverage_{t}{suffix}") for t in SOURCES for suffix in ("", "_update")}
    assert found == want
