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
from teams.candidates import team_candidates_refresh
from teams.models import Team
from teams.selectors import is_member, member_ids, team_for_claim

from .access import ensure_can_manage
from .errors import (
    AlreadyClaimed,
    ClaimNotFound,
    ClaimNotPending,
    ClaimReferred,
    NotTheAcceptedCommissioner,
    ProblemNotOpen,
    ProblemWrongStatus,
    TeamAlreadyClaimed,
)
from .events import problem_event_record
from .models import LIVE_CLAIM_STATUSES, Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus
from .selectors import works_on_q


def problem_staff_ids(problem: Problem) -> list[int]:
    """Who hears about a problem's claims, resolution, referral and messages: the poster, and the township's
    staff."""
    ids = set(
        User.objects.filter(role=Role.TOWNSHIP_STAFF, area_id=problem.village.township_code, is_active=True)
        .values_list("pk", flat=True)
    )
    ids.add(problem.posted_by_id)
    return sorted(ids)


def claimant_ids(claim: Claim) -> list[int]:
    """Who a claim's news reaches: its commissioner, and every member of its team."""
    if claim.team_id is None:
        return [claim.commissioner_id]
    return sorted({claim.commissioner_id, *member_ids(claim.team_id)})


def works_on(user: User, claim: Claim) -> bool:
    """Whether ``user`` works on an accepted ``claim``: its commissioner, or a member of its team."""
    return claim.commissioner_id == user.pk or (claim.team_id is not None and is_member(user.pk, claim.team_id))


@transaction.atomic
def claim_create(*, commissioner: User, problem: Problem, message: str = "", team_id: int | None = None) -> Claim:
    """A commissioner's claim, or (``team_id``: a team of which they are an active member) their team's. The
    team is checked under its row lock, so a change of its members or its retirement waits or is seen."""
    ensure_role(commissioner, Role.COMMISSIONER)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    team = None
    if team_id is not None:
        Team.objects.select_for_update().filter(pk=team_id).first()
        team = team_for_claim(commissioner, team_id)
    if problem.status != ProblemStatus.OPEN:
        raise ProblemNotOpen()
    mine = set(Claim.objects.filter(problem=problem, commissioner=commissioner).values_list("status", flat=True))
    if mine & set(LIVE_CLAIM_STATUSES):
        raise AlreadyClaimed()
    referred = Claim.objects.filter(problem=problem, status=ClaimStatus.REFERRED)
    if referred.filter(works_on_q(commissioner)).exists() or (team is not None and referred.filter(team=team).exists()):
        # They, or a team of theirs, said they cannot solve it: someone else takes it (docs/problems.md).
        raise ClaimReferred()
    if team is not None and Claim.objects.filter(problem=problem, team=team, status__in=LIVE_CLAIM_STATUSES).exists():
        raise TeamAlreadyClaimed()
    try:
        with transaction.atomic():
            claim = Claim.objects.create(problem=problem, commissioner=commissioner, team=team, message=message)
    except IntegrityError as exc:  # the constraints caught a double tap the checks above raced with
        raise (AlreadyClaimed() if team is None else TeamAlreadyClaimed()) from exc
    problem_event_record(problem=problem, kind=ProblemEventKind.CLAIMED, actor=commissioner,
                         from_status=problem.status, note=message)
    team_fields = {"team_id": team.pk, "team_name": team.name} if team is not None else {}
    notify(recipients=problem_staff_ids(problem), type="claim.created", payload={
        "problem_id": problem.pk, "claim_id": claim.pk, "commissioner_id": commissioner.pk,
        "commissioner_name": commissioner.name, **team_fields})
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
    declined = list(Claim.objects.filter(problem=problem, status=ClaimStatus.PENDING).exclude(pk=claim.pk))
    Claim.objects.filter(pk__in=[c.pk for c in declined]).update(status=ClaimStatus.DECLINED, decided_at=now)
    claim.status = ClaimStatus.ACCEPTED
    claim.decided_at = now
    claim.save(update_fields=["status", "decided_at"])
    candidates_refresh([claim.commissioner_id])  # one more problem in progress: their workload
    team_candidates_refresh([claim.team_id])  # and their team's, for a team's claim
    problem_event_record(problem=problem, kind=ProblemEventKind.ACCEPTED, actor=staff,
                         from_status=ProblemStatus.OPEN, note=f"claim {claim.pk}")
    team = {"team_id": claim.team_id} if claim.team_id else {}
    notify(recipients=claimant_ids(claim), type="claim.accepted",
           payload={"problem_id": problem.pk, "claim_id": claim.pk, **team})
    for other in declined:
        notify(recipients=claimant_ids(other), type="claim.declined",
               payload={"problem_id": problem.pk, "claim_id": other.pk,
                        **({"team_id": other.team_id} if other.team_id else {})})
    return problem


@transaction.atomic
def problem_resolve(*, commissioner: User, problem: Problem, summary: str) -> Problem:
    ensure_role(commissioner, Role.COMMISSIONER)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    accepted = Claim.objects.filter(problem=problem, status=ClaimStatus.ACCEPTED).first()
    if accepted is None or not works_on(commissioner, accepted):
        raise NotTheAcceptedCommissioner()
    if problem.status != ProblemStatus.IN_PROGRESS:
        raise ProblemWrongStatus(_("Only a problem in progress can be resolved."))
    if not summary.strip():
        raise Invalid(_("Say how it was resolved."), fields={"summary": _("required")})
    problem.status = ProblemStatus.RESOLVED
    problem.resolution_summary = summary
    problem.resolved_at = timezone.now()
    problem.save(update_fields=["status", "resolution_summary", "resolved_at", "updated_at"])
    candidates_refresh(sorted({accepted.commissioner_id, commissioner.pk}))  # workload down, track record up
    team_candidates_refresh([accepted.team_id])
    problem_event_record(problem=problem, kind=ProblemEventKind.RESOLVED, actor=commissioner,
                         from_status=ProblemStatus.IN_PROGRESS, note=summary)
    notify(recipients=problem_staff_ids(problem), type="problem.resolved",
           payload={"problem_id": problem.pk, "summary": summary[:500]})
    return problem
