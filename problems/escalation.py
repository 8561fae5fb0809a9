"""Escalation: an open problem nobody took up in time, or past its deadline, goes to its county's staff."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Role, User
from notifications.services import notify

from .events import problem_event_record
from .models import Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus


def problems_due_for_escalation(now=None) -> list[int]:
    """Open problems not yet escalated that are past their deadline, or unclaimed (no pending claim)
    for longer than their urgency's delay (settings.PROBLEM_ESCALATION_HOURS)."""
    now = now or timezone.now()
    too_old = Q()
    for urgency, hours in settings.PROBLEM_ESCALATION_HOURS.items():
        too_old |= Q(urgency=urgency, created_at__lte=now - timedelta(hours=hours))
    claimed = Exists(Claim.objects.filter(problem=OuterRef("pk"), status=ClaimStatus.PENDING))
    past_deadline = Q(deadline__lt=timezone.localdate(now))
    return list(
        Problem.objects.filter(status=ProblemStatus.OPEN, escalated_at__isnull=True)
        .filter((too_old & ~claimed) | past_deadline)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )


@transaction.atomic
def problem_escalate(*, problem_id: int, now=None) -> bool:
    """Escalate one problem to its county's staff, once. Returns whether it escalated now."""
    now = now or timezone.now()
    problem = Problem.objects.select_for_update().select_related("village").filter(pk=problem_id).first()
    if problem is None or problem.status != ProblemStatus.OPEN or problem.escalated_at is not None:
        return False
    reason = "deadline" if problem.deadline and problem.deadline < timezone.localdate(now) else "unclaimed"
    problem.escalated_at = now
    problem.save(update_fields=["escalated_at", "updated_at"])
    problem_event_record(problem=problem, kind=ProblemEventKind.ESCALATED, actor=None,
                         from_status=problem.status, note=reason)
    county_staff = User.objects.filter(
        role=Role.COUNTY_STAFF, area_id=problem.village.county_code, is_active=True
    ).values_list("pk", flat=True)
    notify(recipients=list(county_staff), type="problem.escalated", key=f"problem.escalated:{problem.pk}",
           payload={"problem_id": problem.pk, "reason": reason, "village_code": problem.village_id})
    return True


def problems_escalate_due(now=None) -> int:
    """Escalate every problem that is due, each in its own transaction; returns how many escalated now."""
    return sum(problem_escalate(problem_id=pk, now=now) for pk in problems_due_for_escalation(now))
