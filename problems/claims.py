"""Writes for claims (揭榜): claim, accept, resolve.

Lock order, everywhere: the problem row first, then its claims. Two staff accepting different
claims of one problem at once serialise on the problem's row; the loser finds it in progress.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import ensure_role
from commissioners.candidates import candidates_refresh
from core.errors import Invalid
from notifications.services import notify

from .access import ensure_can_manage
from .errors import (
    AlreadyClaimed,
    ClaimNotFound,
    ClaimNotPending,
    NotTheAcceptedCommissioner,
    ProblemNotOpen,
    ProblemWrongStatus,
)
from .events import problem_event_record
from .models import LIVE_CLAIM_STATUSES, Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus


def _problem_staff_ids(problem: Problem) -> list[int]:
    """Who hears about a problem's claims and resolution: the poster, and the township's staff."""
    ids = set(
        User.objects.filter(role=Role.TOWNSHIP_STAFF, area_id=problem.village.township_code, is_active=True)
        .values_list("pk", flat=True)
    )
    ids.add(problem.posted_by_id)
    return sorted(ids)


@transaction.atomic
def claim_create(*, commissioner: User, problem: Problem, message: str = "") -> Claim:
    ensure_role(commissioner, Role.COMMISSIONER)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    if problem.status != ProblemStatus.OPEN:
        raise ProblemNotOpen()
    if Claim.objects.filter(problem=problem, commissioner=commissioner, status__in=LIVE_CLAIM_STATUSES).exists():
        raise AlreadyClaimed()
    try:
        with transaction.atomic():
            claim = Claim.objects.create(problem=problem, commissioner=commissioner, message=message)
    except IntegrityError as exc:  # the constraint caught a double tap the check above raced with
        raise AlreadyClaimed() from exc
    problem_event_record(problem=problem, kind=ProblemEventKind.CLAIMED, actor=commissioner,
                         from_status=problem.status, note=message)
    notify(recipients=_problem_staff_ids(problem), type="claim.created", payload={
        "problem_id": problem.pk, "claim_id": claim.pk, "commissioner_id": commissioner.pk,
        "commissioner_name": commissioner.name})
    return claim


@transaction.atomic
def claim_accept(*, staff: User, problem: Problem, claim_id: int) -> Problem:
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    ensure_can_manage(staff, problem)
    claim = Claim.objects.select_for_update().filter(pk=claim_id, problem=problem).first()
    if claim is None:
        raise ClaimNotFound()
    if problem.status != ProblemStatus.OPEN:
        raise ProblemNotOpen()
    if claim.status != ClaimStatus.PENDING:
        raise ClaimNotPending()
    now = timezone.now()
    problem.status = ProblemStatus.IN_PROGRESS
    problem.save(update_fields=["status", "updated_at"])
    declined = list(
        Claim.objects.filter(problem=problem, status=ClaimStatus.PENDING).exclude(pk=claim.pk)
        .values_list("pk", "commissioner_id")
    )
    Claim.objects.filter(pk__in=[pk for pk, _user in declined]).update(status=ClaimStatus.DECLINED, decided_at=now)
    claim.status = ClaimStatus.ACCEPTED
    claim.decided_at = now
    claim.save(update_fields=["status", "decided_at"])
    candidates_refresh([claim.commissioner_id])  # one more problem in progress: their workload
    problem_event_record(problem=problem, kind=ProblemEventKind.ACCEPTED, actor=staff,
                         from_status=ProblemStatus.OPEN, note=f"claim {claim.pk}")
    notify(recipients=[claim.commissioner_id], type="claim.accepted",
           payload={"problem_id": problem.pk, "claim_id": claim.pk})
    for declined_pk, commissioner_id in declined:
        notify(recipients=[commissioner_id], type="claim.declined",
               payload={"problem_id": problem.pk, "claim_id": declined_pk})
    return problem


@transaction.atomic
def problem_resolve(*, commissioner: User, problem: Problem, summary: str) -> Problem:
    ensure_role(commissioner, Role.COMMISSIONER)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    accepted = Claim.objects.filter(problem=problem, status=ClaimStatus.ACCEPTED).first()
    if accepted is None or accepted.commissioner_id != commissioner.pk:
        raise NotTheAcceptedCommissioner()
    if problem.status != ProblemStatus.IN_PROGRESS:
        raise ProblemWrongStatus(_("Only a problem in progress can be resolved."))
    if not summary.strip():
        raise Invalid(_("Say how it was resolved."), fields={"summary": _("required")})
    problem.status = ProblemStatus.RESOLVED
    problem.resolution_summary = summary
    problem.resolved_at = timezone.now()
    problem.save(update_fields=["status", "resolution_summary", "resolved_at", "updated_at"])
    candidates_refresh([commissioner.pk])  # workload down, track record up
    problem_event_record(problem=problem, kind=ProblemEventKind.RESOLVED, actor=commissioner,
                         from_status=ProblemStatus.IN_PROGRESS, note=summary)
    notify(recipients=_problem_staff_ids(problem), type="problem.resolved",
           payload={"problem_id": problem.pk, "summary": summary[:500]})
    return problem
