"""Writes for problems (基层出题): posting, photos, withdrawal, closing.

Claims, acceptance and resolution (the commissioners' side) are in claims.py, escalation in
escalation.py; every transition is recorded through events.py `problem_event_record`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_in_scope, ensure_role
from commissioners.candidates import candidates_refresh
from core.errors import ClientIdReused, Invalid
from core.idempotency import insert_once
from core.queueing import enqueue_on_commit
from geo.cells import cell_of
from media.models import Photo, PhotoOwner
from media.services import photo_attach
from notifications.services import notify
from teams.candidates import team_candidates_refresh
from villages.models import Area, AreaLevel, Category

from .access import ensure_can_manage
from .claims import claimant_ids
from .errors import NotYourTownship, ProblemNotOpen, ProblemWrongStatus
from .events import problem_event_record
from .models import Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus, Urgency
from .selectors import works_on_q
from .tasks import problem_posted_fanout_task


@dataclass(frozen=True)
class Posted:
    problem: Problem
    created: bool


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
    if village.level != AreaLevel.VILLAGE:
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

    def insert() -> Problem:
        problem = Problem.objects.create(
            client_id=client_id, posted_by=staff, village=village, category=category, title=title,
            description=description, urgency=urgency, lat=lat, lng=lng, cell=cell_of(lat, lng), deadline=deadline,
        )
        problem_event_record(problem=problem, kind=ProblemEventKind.POSTED, actor=staff)
        enqueue_on_commit(problem_posted_fanout_task, problem.pk)
        return problem

    problem, created = insert_once(insert, lambda: Problem.objects.filter(posted_by=staff, client_id=client_id).first())
    return Posted(problem, created=True) if created else _replayed(problem, village, title)


def _replayed(existing: Problem, village: Area, title: str) -> Posted:
    if existing.village_id != village.code or existing.title != title:
        raise ClientIdReused()
    return Posted(existing, created=False)


def problem_photo_add(*, user: User, problem: Problem, upload: UploadedFile) -> tuple[Photo, bool]:
    """The poster's side (staff in scope) and the commissioner working on it may add photos, while the
    problem is still being worked on: a closed or withdrawn problem's record is final."""
    if problem.status in (ProblemStatus.CLOSED, ProblemStatus.WITHDRAWN):
        raise ProblemWrongStatus(_("Photos cannot be added to a closed or withdrawn problem."))
    is_worker = Claim.objects.filter(works_on_q(user), problem=problem, status=ClaimStatus.ACCEPTED).exists()
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
    claims = list(Claim.objects.filter(problem=problem, status=ClaimStatus.ACCEPTED))
    candidates_refresh([c.commissioner_id for c in claims])  # the rating joins the accepted commissioner's record
    team_candidates_refresh([c.team_id for c in claims])  # and their team's
    problem_event_record(problem=problem, kind=ProblemEventKind.CLOSED, actor=staff,
                         from_status=ProblemStatus.RESOLVED, note=comment)
    notify(recipients=sorted({pk for c in claims for pk in claimant_ids(c)}), type="problem.closed",
           payload={"problem_id": problem.pk, "rating": rating, "comment": comment})
    return problem
