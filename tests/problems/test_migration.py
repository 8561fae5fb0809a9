"""The move of problems, their history and their claims into the problems app keeps every row.

The database goes back to the schema before the move (villages 0003, commissioners 0005, no problems
app), gets real rows through that schema's models (a problem with its events, a claim, a check-in naming
the problem, a photo of the problem), then migrates forward: every row is found through the new models,
with its ids and foreign keys intact, and the database still enforces the moved constraints.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from commissioners.models import Checkin
from media.models import Photo
from problems.models import Claim, Problem, ProblemEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("villages", "0003_area_surveyed_positions"), ("commissioners", "0005_matching_candidates"),
          ("problems", None)]
VILLAGE = "451002001001"


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_rows(apps) -> dict:
    User = apps.get_model("accounts", "User")
    OldProblem = apps.get_model("villages", "Problem")
    OldEvent = apps.get_model("villages", "ProblemEvent")
    OldClaim = apps.get_model("commissioners", "Claim")
    OldCheckin = apps.get_model("commissioners", "Checkin")
    OldPhoto = apps.get_model("media", "Photo")
    staff = User.objects.create(phone="13900000001", name="乡镇干部", role="township_staff", area_id="451002001")
    expert = User.objects.create(phone="13900000002", name="特派员", role="commissioner", area_id="451002")
    now = timezone.now()
    problem = OldProblem.objects.create(
        client_id=uuid.uuid4(), posted_by=staff, village_id=VILLAGE, category_id="fruit-trees", title="芒果炭疽病",
        description="叶片出现黑斑", urgency="high", lat=23.9, lng=106.6, cell=1, status="in_progress")
    events = [OldEvent.objects.create(problem=problem, kind="posted", actor=staff, to_status="open", at=now),
              OldEvent.objects.create(problem=problem, kind="claimed", actor=expert, from_status="open",
                                      to_status="open", note="我来", at=now),
              OldEvent.objects.create(problem=problem, kind="accepted", actor=staff, from_status="open",
                                      to_status="in_progress", at=now)]
    claim = OldClaim.objects.create(problem=problem, commissioner=expert, message="我来", status="accepted",
                                    decided_at=now)
    checkin = OldCheckin.objects.create(
        client_id=uuid.uuid4(), commissioner=expert, village_id=VILLAGE, problem=problem, lat=23.9, lng=106.6,
        occurred_at=now, distance_m=0, flags=[], flag_details={}, verified=True)
    photo = OldPhoto.objects.create(owner_kind="problem", owner_id=problem.pk, uploaded_by=staff,
                                    sha256="0" * 64, file="photos/x.jpg", content_type="image/jpeg", width=1,
                                    height=1, bytes=1)
    return {"problem": problem.pk, "events": [e.pk for e in events], "claim": claim.pk, "checkin": checkin.pk,
            "photo": photo.pk, "staff": staff.pk, "expert": expert.pk, "client_id": problem.client_id}


def test_the_move_keeps_every_row_and_foreign_key(baise):
    latest = _latest()
    old = _migrate(BEFORE)
    try:
        assert {"villages_problem", "commissioners_claim"} <= set(connection.introspection.table_names())
        rows = _old_rows(old._create_project_state(with_applied_migrations=True).apps)
    finally:
        _migrate(latest)

    problem = Problem.objects.get(pk=rows["problem"])
    assert (problem.title, problem.status, problem.village_id, problem.posted_by_id, problem.client_id) == (
        "芒果炭疽病", "in_progress", VILLAGE, rows["staff"], rows["client_id"])
    assert list(problem.events.values_list("pk", flat=True)) == rows["events"]
    assert [e.kind for e in ProblemEvent.objects.filter(problem=problem)] == ["posted", "claimed", "accepted"]
    claim = Claim.objects.get(pk=rows["claim"])
    assert (claim.problem_id, claim.commissioner_id, claim.status) == (problem.pk, rows["expert"], "accepted")
    assert Checkin.objects.get(pk=rows["checkin"]).problem == problem
    assert list(problem.checkins.values_list("pk", flat=True)) == [rows["checkin"]]
    assert Photo.objects.get(pk=rows["photo"]).owner_id == problem.pk

    # The database still guards what it guarded, under the new tables.
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(problem=problem, commissioner_id=rows["staff"], status="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Problem.objects.filter(pk=problem.pk).update(rating=9)
    with pytest.raises(IntegrityError), transaction.atomic():  # the check-ins' foreign key followed the table
        Checkin.objects.filter(pk=rows["checkin"]).update(problem_id=10**9)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemEvent.objects.create(problem_id=10**9, kind="posted")
    # ... and new rows get fresh ids after the old ones.
    assert ProblemEvent.objects.create(problem=problem, kind="resolved").pk > max(rows["events"])
    tables = connection.introspection.table_names()
    assert {"problems_problem", "problems_problemevent", "problems_claim"} <= set(tables)
    assert not {"villages_problem", "villages_problemevent", "commissioners_claim"} & set(tables)
