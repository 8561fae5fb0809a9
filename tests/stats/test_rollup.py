"""The coverage rollup equals the live count after every kind of write: through the API as phones and staff
make them (late, replayed, in a queue, re-judged when a village is surveyed, a problem resolved, rejected
and resolved again), and after arbitrary writes through the ORM that no service checks (bulk updates,
deletes, moves across a Shanghai midnight)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from commissioners.models import Checkin, Dispatch
from core.periods import calendar_pieces
from problems.models import Problem, ProblemStatus
from stats.models import CoveragePeriod
from stats.rollup import (
    code_at,
    code_range,
    live_periods,
    rollup_differences,
    rollup_periods,
    rollup_rebuild,
    rollup_sums,
)
from stats.selectors import Window, coverage
from tests.factories import BureauFactory, CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import commissioner, staff, village  # noqa: F401  (fixtures)
from tests.problems.life import resolved
from trainings.models import Training
from villages.models import Area

pytestmark = pytest.mark.django_db
DOWNTOWN = (23.903877, 106.614819)  # where 百城街道 really is: its generated village is ~13 km away


def assert_equal_to_live():
    assert rollup_differences() == []
    assert rollup_periods() == live_periods()


def checkin(phone, area, lat, lng, at, client_id=None):
    return phone.post("/checkins", {"client_id": str(client_id or uuid.uuid4()), "village_code": area.code,
                                    "lat": lat, "lng": lng, "accuracy_m": 15, "occurred_at": at.isoformat()})


def test_phones_writes_late_replayed_queued_and_rejudged(api, commissioner, village,  # noqa: F811
                                                         django_capture_on_commit_callbacks):
    phone = api.as_user(commissioner)
    now = timezone.now()
    first = uuid.uuid4()
    assert checkin(phone, village, *DOWNTOWN, now - timedelta(hours=2), first).status_code == 201
    assert checkin(phone, village, *DOWNTOWN, now - timedelta(hours=2), first).status_code == 200  # replayed
    # Late: queued offline for nine days, across a Shanghai midnight (16:10 UTC is 00:10 the next day).
    late = (now - timedelta(days=9)).replace(hour=16, minute=10, second=0, microsecond=0)
    assert checkin(phone, village, *DOWNTOWN, late).status_code == 201
    assert checkin(phone, village, village.lat + 2, village.lng, now - timedelta(days=1)).json()["verified"] is False
    queue = [{"client_id": str(uuid.uuid4()), "village_code": village.code, "lat": DOWNTOWN[0], "lng": DOWNTOWN[1],
              "occurred_at": (now - timedelta(days=d, hours=3)).isoformat()} for d in (3, 4, 4)]
    queue.append(dict(queue[0]))  # the same item twice in one queue
    response = phone.post("/checkins/batch", {"items": queue})
    assert response.status_code == 200, response.content
    assert_equal_to_live()
    assert Checkin.objects.filter(verified=True).count() == 5

    # The village is surveyed where the check-ins were not: they are judged again, outside the fence.
    with django_capture_on_commit_callbacks(execute=True):
        surveyed = api.as_user(TownshipStaffFactory()).client.put(
            f"/api/v1/areas/{village.code}/position", json.dumps({"lat": village.lat + 0.3, "lng": village.lng}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert surveyed.status_code == 200, surveyed.content
    assert Checkin.objects.filter(verified=True).count() == 0
    assert_equal_to_live()
    # And surveyed again where they were: verified again.
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(TownshipStaffFactory()).client.put(
            f"/api/v1/areas/{village.code}/position", json.dumps({"lat": DOWNTOWN[0], "lng": DOWNTOWN[1]}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert Checkin.objects.filter(verified=True).count() == 5
    assert_equal_to_live()


def test_trainings_dispatches_and_a_problems_life(api, staff, commissioner, village):  # noqa: F811
    trainer = api.as_user(commissioner)
    payload = {"client_id": str(uuid.uuid4()), "village_code": village.code, "topic": "芒果花期管理",
               "category": "fruit-trees", "started_at": (timezone.now() - timedelta(days=2)).isoformat(),
               "duration_hours": 2, "headcount": 45}
    assert trainer.post("/trainings", payload).status_code == 201
    assert trainer.post("/trainings", payload).status_code == 200  # replayed: counted once
    county = api.as_user(CountyStaffFactory())
    response = county.post("/dispatches", {"commissioner_id": commissioner.pk, "village_code": village.code,
                                           "starts_on": str(date.today() - timedelta(days=30))})
    assert response.status_code == 201, response.content
    problem = resolved(api, staff, commissioner)
    assert_equal_to_live()
    assert sum(r.problems_resolved for r in CoveragePeriod.objects.filter(span="day")) == 1

    assert api.as_user(staff).post(f"/problems/{problem['id']}/reject", {"reason": "还在落果"}).status_code == 200
    assert_equal_to_live()
    assert sum(r.problems_resolved for r in CoveragePeriod.objects.filter(span="day")) == 0
    assert api.as_user(commissioner).post(f"/problems/{problem['id']}/resolve",
                                          {"summary": "换药后好转"}).status_code == 200
    assert api.as_user(staff).post(f"/problems/{problem['id']}/confirm", {"rating": 5}).status_code == 200
    assert_equal_to_live()
    figures = {r["code"]: r for r in coverage(level="county", window=Window(), within=Area.objects.get(code="451000"))}
    assert (figures["451002"]["trainees"], figures["451002"]["trainings"], figures["451002"]["problems_resolved"],
            figures["451002"]["dispatches"]) == (45, 1, 1, 1)


def test_any_write_through_the_orm_keeps_it_equal(commissioner):  # noqa: F811
    """Random inserts, updates (one by one and in bulk) and deletes on the four sources, at instants
    around Shanghai midnights: the triggers follow every one."""
    rng = random.Random(20)
    villages = list(Area.objects.filter(level="village").order_by("code").values_list("code", flat=True)[:40:7])
    staff_user = BureauFactory()

    def instant():
        base = datetime(2024, 3, rng.randint(1, 4), tzinfo=UTC)
        return base + timedelta(hours=rng.choice([15, 16]), minutes=rng.choice([0, 59]))

    for step in range(120):
        op = rng.random()
        if op < 0.25:
            Checkin.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village_id=rng.choice(villages),
                                   lat=23, lng=106, occurred_at=instant(), distance_m=0,
                                   verified=rng.random() < 0.7)
        elif op < 0.4:
            Training.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village_id=rng.choice(villages),
                                    category_id="tea", topic="t", started_at=instant(), duration_hours=1,
                                    headcount=rng.randint(1, 50))
        elif op < 0.5:
            Dispatch.objects.create(commissioner=commissioner, village_id=rng.choice(villages),
                                    dispatched_by=staff_user,
                                    starts_on=date(2024, 3, rng.randint(1, 28)) + timedelta(days=step * 3))
        elif op < 0.6:
            done = rng.random() < 0.6
            Problem.objects.create(client_id=uuid.uuid4(), posted_by=staff_user, village_id=rng.choice(villages),
                                   category_id="tea", title="p", description="d", lat=23, lng=106, cell=0,
                                   status=ProblemStatus.CLOSED if done else ProblemStatus.OPEN,
                                   resolved_at=instant() if done else None)
        elif op < 0.7 and Checkin.objects.exists():
            c = Checkin.objects.order_by("?").first()
            c.verified, c.occurred_at, c.village_id = not c.verified, instant(), rng.choice(villages)
            c.save()
        elif op < 0.75:
            Checkin.objects.filter(village_id=rng.choice(villages)).update(verified=rng.random() < 0.5)
        elif op < 0.8:
            Training.objects.filter(village_id=rng.choice(villages)).update(headcount=rng.randint(1, 9))
        elif op < 0.85:
            Problem.objects.filter(village_id=rng.choice(villages)).update(
                status=rng.choice([ProblemStatus.RESOLVED, ProblemStatus.IN_PROGRESS]), resolved_at=instant())
        elif op < 0.9:
            Dispatch.objects.filter(village_id=rng.choice(villages)).update(starts_on=date(2024, 5, 1))
        else:
            model = rng.choice([Checkin, Training, Dispatch, Problem])
            victim = model.objects.order_by("?").first()
            if victim is not None and model is not Problem:
                victim.delete()
    assert_equal_to_live()

    # Any window read as its years, months and days sums what the live records of its days sum.
    city, days = Area.objects.get(code="451000"), live_periods()
    for _ in range(40):
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 500)) if rng.random() < 0.8 else None
        end = (start or date(2024, 1, 1)) + timedelta(days=rng.randint(0, 500)) if rng.random() < 0.8 else None
        want: dict = {}
        for (span, code, day), figures in days.items():
            if span == "day" and (start is None or day >= start) and (end is None or day <= end):
                got = want.setdefault(code, dict.fromkeys(figures, 0))
                for m, v in figures.items():
                    got[m] += v
        found = rollup_sums(city, start, end, code_at("village"))
        assert {c: f for c, f in found.items() if any(f.values())} == {
            c: f for c, f in want.items() if any(f.values())}, (start, end)


def test_check_says_where_it_differs_and_rebuild_puts_it_right(commissioner, village, capsys):  # noqa: F811
    Checkin.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village=village, lat=23, lng=106,
                           occurred_at=timezone.now(), distance_m=0, verified=True)
    call_command("coverage_rollup", "--check")
    CoveragePeriod.objects.filter(span="year").update(checkins=7)  # as a load with the triggers off would leave it
    with pytest.raises(CommandError):
        call_command("coverage_rollup", "--check")
    assert village.code in capsys.readouterr().out
    assert rollup_rebuild() == 3  # its day, month and year
    assert rollup_rebuild() == 3  # idempotent
    assert_equal_to_live()


def test_a_window_is_its_whole_years_then_months_then_days():
    rng = random.Random(3)
    lo, hi = date(2019, 1, 1), date(2028, 12, 31)

    def days_of(span, first, last):
        last = hi if last is None else last if span == "day" else (
            date(last.year, 12, 31) if span == "year" else date(last.year + last.month // 12, last.month % 12 + 1, 1)
            - timedelta(days=1))
        return {first or lo + timedelta(days=i) for i in range(0)} | {
            (first or lo) + timedelta(days=i) for i in range((last - (first or lo)).days + 1)}

    assert calendar_pieces(None, None) == [("year", None, None)]
    assert calendar_pieces(date(2025, 1, 1), date(2025, 12, 31)) == [("year", date(2025, 1, 1), date(2025, 1, 1))]
    assert calendar_pieces(date(2026, 1, 1), date(2026, 11, 30)) == [("month", date(2026, 1, 1), date(2026, 11, 1))]
    for _ in range(2000):
        start = lo + timedelta(days=rng.randint(0, 3000)) if rng.random() < 0.9 else None
        end = (start or lo) + timedelta(days=rng.randint(0, 900)) if rng.random() < 0.9 else None
        pieces = calendar_pieces(start, end)
        covered = [days_of(*p) for p in pieces]
        assert sum(map(len, covered)) == len(set().union(*covered)), pieces  # no day twice
        assert set().union(*covered) == days_of("day", start or lo, end or hi), (start, end)  # every day once
        assert len(pieces) <= 5


@pytest.mark.parametrize(("prefix", "inside", "outside"), [
    ("4510", "451002001001", "451100000000"),
    ("451002", "451002999999", "451003000000"),
    ("4519", "451999000000", "452000000000"),
    ("9999", "999999999999", "999800000000"),
])
def test_a_code_prefix_is_a_range(prefix, inside, outside):
    q = code_range(prefix)
    holds = {"village_id": inside}
    assert all(_holds(child, holds) for child in q.children)
    assert not all(_holds(child, {"village_id": outside}) for child in q.children)


def _holds(condition, row) -> bool:
    lookup, bound = condition
    field, op = lookup.split("__")
    return row[field] >= bound if op == "gte" else row[field] < bound
