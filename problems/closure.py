"""Honest closure: "not fixed" at confirmation (reject) and "I cannot solve this" (refer).

- reject: the township's staff judge a resolution did not fix it. The problem goes back to
  ``in_progress`` with the same accepted claim; the commissioner hears why (``problem.rejected``).
- refer: the accepted commissioner, or staff in scope, hand a problem that is being worked on (or was
  reported resolved) back: it is ``open`` again, the accepted claim becomes ``referred``, the county's
  staff hear of it (``problem.referred``) and it can be claimed again, by anyone but the commissioner
  whose claim was referred (claims.claim_create).

Neither carries a ``client_id``: a repeat finds the problem already moved on and answers 409
``problem_wrong_status``; the app reads the problem's state from the problem.

Lock order as everywhere: the problem row, then its claims.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import STAFF_ROLES, ensure_role
from commissioners.candidates import candidates_refresh
from core.errors import Invalid
from notifications.services import notify
from teams.candidates import team_candidates_refresh

from .access import ensure_can_manage
from .claims import claimant_ids, problem_staff_ids
from .errors import NotTheAcceptedCommissioner, ProblemWrongStatus
from .events import problem_event_record
from .models import Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus
from .selectors import works_on_q

REFERABLE = (ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED)


def _reason_checked(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Say why."), fields={"reason": _("required")})
    return reason


def _resolution_cleared(problem: Problem) -> list[str]:
    """A resolution that did not hold is no longer the problem's: its history keeps it."""
    problem.resolution_summary = ""
    problem.resolved_at = None
    return ["resolution_summary", "resolved_at"]


@transaction.atomic
def problem_reject(*, staff: User, problem: Problem, reason: str) -> Problem:
    """The township's staff send a resolved problem back to its commissioner: not fixed."""
    ensure_role(staff, Role.TOWNSHIP_STAFF)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    ensure_can_manage(staff, problem)
    if problem.status != ProblemStatus.RESOLVED:
        raise ProblemWrongStatus(_("Only a resolved problem can be rejected."))
    reason = _reason_checked(reason)
    accepted = Claim.objects.get(problem=problem, status=ClaimStatus.ACCEPTED)
    problem.status = ProblemStatus.IN_PROGRESS
    problem.save(update_fields=["status", *_resolution_cleared(problem), "updated_at"])
    candidates_refresh([accepted.commissioner_id])  # in progress again, and one resolved fewer
    team_candidates_refresh([accepted.team_id])
    problem_event_record(problem=problem, kind=ProblemEventKind.REJECTED, actor=staff,
                         from_status=ProblemStatus.RESOLVED, note=reason)
    notify(recipients=claimant_ids(accepted), type="problem.rejected",
           payload={"problem_id": problem.pk, "reason": reason})
    return problem


@transaction.atomic
def problem_refer(*, user: User, problem: Problem, reason: str) -> Problem:
    """Hand a problem back (the accepted commissioner, or staff in scope): open to claims again."""
    ensure_role(user, Role.COMMISSIONER, *STAFF_ROLES)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    if user.role == Role.COMMISSIONER:
        # Their own claim or their team's, accepted (or, for a repeat, already referred: that answers 409 below).
        if not Claim.objects.filter(works_on_q(user), problem=problem,
                                    status__in=[ClaimStatus.ACCEPTED, ClaimStatus.REFERRED]).exists():
            raise NotTheAcceptedCommissioner(_("Only the commissioner whose claim was accepted, or staff, "
                                               "can refer this problem."))
    else:
        ensure_can_manage(user, problem)
    if problem.status not in REFERABLE:
        raise ProblemWrongStatus(_("Only a problem in progress or resolved can be referred."))
    reason = _reason_checked(reason)
    accepted = Claim.objects.select_for_update().get(problem=problem, status=ClaimStatus.ACCEPTED)
    now = timezone.now()
    from_status = problem.status
    problem.status = ProblemStatus.OPEN
    fields = ["status", *_resolution_cleared(problem), "updated_at"]
    if problem.escalated_at is None:
        # The county is told now (problem.referred): the escalation sweep need not tell it again.
        problem.escalated_at = now
        fields.append("escalated_at")
    problem.save(update_fields=fields)
    accepted.status = ClaimStatus.REFERRED
    accepted.decided_at = now
    accepted.save(update_fields=["status", "decided_at"])
    candidates_refresh([accepted.commissioner_id])  # no longer working on it
    team_candidates_refresh([accepted.team_id])
    problem_event_record(problem=problem, kind=ProblemEventKind.REFERRED, actor=user, from_status=from_status,
                         note=reason)
    county_staff = User.objects.filter(role=Role.COUNTY_STAFF, area_id=problem.village.county_code,
                                       is_active=True).values_list("pk", flat=True)
    recipients = {*county_staff, *problem_staff_ids(problem), *claimant_ids(accepted)} - {user.pk}
    notify(recipients=sorted(recipients), type="problem.referred",
           payload={"problem_id": problem.pk, "reason": reason, "village_code": problem.village_id,
                    "by": "commissioner" if user.role == Role.COMMISSIONER else "staff"})
    return problem

