"""Writes for problems (基层出题): posting, photos, withdrawal, closing, escalation.

Claims, acceptance and resolution are the commissioners' side and live in commissioners/services.py;
both sides record transitions through `problem_event_record` here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_in_scope, ensure_area_in_scope, ensure_role
from core.errors import Invalid
from core.queueing import enqueue_on_commit
from geo.cells import cell_of
from media.models import Photo, PhotoOwner
from media.services import photo_attach
from notifications.services import notify

from .errors import ClientIdReused, NotYourTownship, ProblemNotOpen, ProblemWrongStatus
from .models import Area, Category, Problem, ProblemEvent, ProblemEventKind, ProblemStatus, Urgency


@dataclass(frozen=True)
class Posted:
    problem: Problem
    created: bool


def problem_event_record(
    *, problem: Problem, kind: str, actor: User | None, from_status: str = "", note: str = ""
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem, kind=kind, actor=actor, from_status=from_status, to_status=problem.status, note=note
    )


def _same_post(problem: Problem, fields: dict) -> bool:
    return all(getattr(problem, name) == value for name, value in fields.items())


def problem_post(
    *,
    staff: User,
    client_id: uuid.UUID,
    village: Area,
    category_code: str,
    title: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    position: tuple[float, float] | None = None,
    deadline: date | None = None,
) -> Posted:
    """Post a problem for a village of the staff member's township. Idempotent on client_id."""
    ensure_role(staff, Role.TOWNSHIP_STAFF)
    existing = Problem.objects.filter(posted_by=staff, client_id=client_id).first()
    if existing is not None:
        return _replayed(existing, village, title)
    if village.level != "village":
        raise Invalid(_("%(code)s is not a village.") % {"code": village.code},
                      fields={"village_code": _("must be a village code")})
    if not area_in_scope(staff, village):
        raise NotYourTownship()
    category = Category.objects.filter(code=category_code).first()
    if category is None:
        raise Invalid(_("Unknown category %(code)s.") % {"code": category_code},
                      fields={"category": _("unknown category")})
    if deadline is not None and deadline < timezone.localdate():
        raise Invalid(_("The deadline is in the past."), fields={"deadline": _("must be today or later")})
    lat, lng = position if position is not None else (village.lat, village.lng)
    try:
        with transaction.atomic():
            problem = Problem.objects.create(
                client_id=client_id, posted_by=staff, village=village, category=category, title=title,
                description=description, urgency=urgency, lat=lat, lng=lng, cell=cell_of(lat, lng),
                deadline=deadline,
            )
            problem_event_record(problem=problem, kind=ProblemEventKind.POSTED, actor=staff)
            from .tasks import problem_posted_fanout_task

            enqueue_on_commit(problem_posted_fanout_task, problem.pk)
    except IntegrityError:
        # Two retries of the same post raced; the other one won. Answer with its result.
        existing = Problem.objects.filter(posted_by=staff, client_id=client_id).first()
        if existing is None:
            raise
        return _replayed(existing, village, title)
    return Posted(problem, created=True)


def _replayed(existing: Problem, village: Area, title: str) -> Posted:
    if existing.village_id != village.code or existing.title != title:
        raise ClientIdReused()
    return Posted(existing, created=False)


def ensure_can_manage(staff: User, problem: Problem) -> None:
    """Staff manage the problems of villages in their area (township, county, city)."""
    ensure_area_in_scope(staff, problem.village)


def may_see_problem(user: User, problem: Problem) -> bool:
    """Commissioners: an open problem, or one they work on (their claim accepted). A declined or
    withdrawn claimant has no business with it once it is no longer open. Staff: their area's."""
    if user.role == Role.COMMISSIONER:
        from commissioners.models import ClaimStatus

        return problem.status == ProblemStatus.OPEN or problem.claims.filter(
            commissioner=user, status=ClaimStatus.ACCEPTED).exists()
    return area_in_scope(user, problem.village)


def problem_photo_add(*, user: User, problem: Problem, upload: UploadedFile) -> tuple[Photo, bool]:
    """The poster's side (staff in scope) and the commissioner working on it may add photos, while the
    problem is still being worked on: a closed or withdrawn problem's record is final."""
    from commissioners.models import Claim, ClaimStatus

    if problem.status in (ProblemStatus.CLOSED, ProblemStatus.WITHDRAWN):
        raise ProblemWrongStatus(_("Photos cannot be added to a closed or withdrawn problem."))
    is_worker = Claim.objects.filter(problem=problem, commissioner=user, status=ClaimStatus.ACCEPTED).exists()
    if not is_worker:
        ensure_can_manage(user, problem)
    photo, created = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=problem.pk, uploaded_by=user, upload=upload)
    if created:
        problem_event_record(problem=problem, kind=ProblemEventKind.PHOTO_ADDED, actor=user, note=f"photo {photo.pk}")
    return photo, created


@transaction.atomic
def problem_withdraw(*, staff: User, problem: Problem, reason: str = "") -> Problem:
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    ensure_can_manage(staff, problem)
    if problem.status != ProblemStatus.OPEN:
        raise ProblemNotOpen(_("Only an open problem can be withdrawn."))
    problem.status = ProblemStatus.WITHDRAWN
    problem.save(update_fields=["status", "updated_at"])
    from commissioners.models import Claim, ClaimStatus

    Claim.objects.filter(problem=problem, status=ClaimStatus.PENDING).update(
        status=ClaimStatus.DECLINED, decided_at=timezone.now()
    )
    problem_event_record(problem=problem, kind=ProblemEventKind.WITHDRAWN, actor=staff,
                         from_status=ProblemStatus.OPEN, note=reason)
    return problem


@transaction.atomic
def problem_confirm(*, staff: User, problem: Problem, rating: int, comment: str = "") -> Problem:
    """The township's staff confirm a resolved problem with a 1-5 rating: it is closed. (The contract
    gives confirming to township staff: the village's own people judge the help they got.)"""
    ensure_role(staff, Role.TOWNSHIP_STAFF)
    problem = Problem.objects.select_for_update().select_related("village").get(pk=problem.pk)
    ensure_can_manage(staff, problem)
    if problem.status != ProblemStatus.RESOLVED:
        raise ProblemWrongStatus(_("Only a resolved problem can be confirmed."))
    if not 1 <= rating <= 5:
        raise Invalid(_("The rating is 1 to 5."), fields={"rating": _("1 to 5")})
    problem.status = ProblemStatus.CLOSED
    problem.rating = rating
    problem.rating_comment = comment
    problem.closed_at = timezone.now()
    problem.save(update_fields=["status", "rating", "rating_comment", "closed_at", "updated_at"])
    from commissioners.candidates import candidates_refresh
    from commissioners.models import Claim, ClaimStatus

    # The rating joins the accepted commissioner's track record.
    candidates_refresh(Claim.objects.filter(problem=problem, status=ClaimStatus.ACCEPTED)
                       .values_list("commissioner_id", flat=True))
    problem_event_record(problem=problem, kind=ProblemEventKind.CLOSED, actor=staff,
                         from_status=ProblemStatus.RESOLVED, note=comment)
    return problem


def problems_due_for_escalation(now=None) -> list[int]:
    """Open problems not yet escalated that are past their deadline, or unclaimed (no pending claim)
    for longer than their urgency's delay (settings.PROBLEM_ESCALATION_HOURS)."""
    from commissioners.models import Claim, ClaimStatus

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


def may_see_problem_id(user: User, problem_id: int) -> bool:
    problem = Problem.objects.select_related("village").filter(pk=problem_id).first()
    return problem is not None and may_see_problem(user, problem)
