"""A problem's conversation (`/problems/{id}/messages`): text and photos between the problem's staff,
its claimants and the commissioner working on it.

Who takes part: staff whose area holds the problem's village (township, county, city), and the
commissioners with a live claim on it (pending, or accepted). A commissioner reads the staff's messages
and their own, never another claimant's (as the problem's detail names no other claimant, PIPL art. 6).
Each message is written once per ``client_id`` of its author (a replay answers the first message) and
tells the others who may read it (`problem.message`): every staff member who takes part (the poster, the
township's staff, any other staff who wrote), and, for a staff message, the live claimants. A team's claim
makes every member a claimant: they read and write as one, and hear each other's messages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_in_scope
from core.errors import ClientIdReused, Invalid
from core.idempotency import insert_once
from media.models import Photo, PhotoOwner
from notifications.services import notify
from teams.models import Membership

from .claims import claimant_ids, problem_staff_ids
from .errors import NotInConversation, ProblemWrongStatus
from .models import LIVE_CLAIM_STATUSES, Claim, Problem, ProblemMessage, ProblemStatus
from .selectors import works_on_q

EXCERPT_LENGTH = 100
MAX_PHOTOS = 9

CLOSED_FOR_TALK = (ProblemStatus.CLOSED, ProblemStatus.WITHDRAWN)


@dataclass(frozen=True)
class Sent:
    message: ProblemMessage
    created: bool


def may_converse(user: User, problem: Problem) -> bool:
    """Staff in scope; a commissioner with a live claim, their own or their team's."""
    if user.role == Role.COMMISSIONER:
        return Claim.objects.filter(works_on_q(user), problem=problem, status__in=LIVE_CLAIM_STATUSES).exists()
    return area_in_scope(user, problem.village)


def _teammates(user: User, problem: Problem) -> set[int]:
    """The members of the teams whose live claim on ``problem`` ``user`` takes part in (themselves among them)."""
    teams = Claim.objects.filter(works_on_q(user), problem=problem, status__in=LIVE_CLAIM_STATUSES,
                                 team__isnull=False).values("team_id")
    return {user.pk, *Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True)}


def ensure_may_converse(user: User, problem: Problem) -> None:
    if not may_converse(user, problem):
        raise NotInConversation()


def messages_for(user: User, problem: Problem) -> QuerySet[ProblemMessage]:
    """The conversation as ``user`` may read it, oldest first (the caller checked ``may_converse``)."""
    messages = ProblemMessage.objects.filter(problem=problem).select_related("author").order_by("created_at", "id")
    if user.role == Role.COMMISSIONER:
        # The staff's, their own, and their teammates' on the team's claim (never another claimant's).
        messages = messages.filter(Q(author_id__in=_teammates(user, problem)) | ~Q(author__role=Role.COMMISSIONER))
    return messages


def message_photos(messages: list[ProblemMessage]) -> dict[int, Photo]:
    """The photos of a page of messages, by id, in one query."""
    ids = {pk for m in messages for pk in m.photo_ids}
    return Photo.objects.in_bulk(ids) if ids else {}


def _photo_ids_checked(author: User, problem: Problem, photo_ids: list[int]) -> list[int]:
    photo_ids = list(dict.fromkeys(photo_ids))
    if len(photo_ids) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos per message.") % {"n": MAX_PHOTOS},
                      fields={"photo_ids": _("too many")})
    own = set(Photo.objects.filter(pk__in=photo_ids, owner_kind=PhotoOwner.PROBLEM, owner_id=problem.pk,
                                   uploaded_by=author).values_list("pk", flat=True))
    if own != set(photo_ids):
        raise Invalid(_("A message may show only photos you added to this problem."),
                      fields={"photo_ids": _("not your photos of this problem")})
    return photo_ids


def _replayed(existing: ProblemMessage, problem: Problem, body: str) -> Sent:
    if existing.problem_id != problem.pk or existing.body != body.strip():
        raise ClientIdReused()
    return Sent(existing, created=False)


def message_post(*, author: User, problem: Problem, client_id: uuid.UUID, body: str,
                 photo_ids: list[int] | None = None) -> Sent:
    """Write a message in the problem's conversation; idempotent on the author's ``client_id``."""
    existing = ProblemMessage.objects.filter(author=author, client_id=client_id).first()
    if existing is not None:
        return _replayed(existing, problem, body)
    ensure_may_converse(author, problem)
    if problem.status in CLOSED_FOR_TALK:
        raise ProblemWrongStatus(_("The conversation of a closed or withdrawn problem is over."))
    text = body.strip()
    if not text:
        raise Invalid(_("Write something."), fields={"body": _("must not be blank")})
    photos = _photo_ids_checked(author, problem, photo_ids or [])

    def insert() -> ProblemMessage:
        # Checked again under the problem's row lock: a confirm or withdrawal that committed since the check
        # above ends the conversation before this message, not after it.
        if Problem.objects.select_for_update().values_list("status", flat=True).get(pk=problem.pk) in CLOSED_FOR_TALK:
            raise ProblemWrongStatus(_("The conversation of a closed or withdrawn problem is over."))
        message = ProblemMessage.objects.create(problem=problem, author=author, client_id=client_id, body=text,
                                                photo_ids=photos)
        notify(recipients=_audience(problem, author), type="problem.message", payload={
            "problem_id": problem.pk, "message_id": message.pk, "author_id": author.pk, "author_name": author.name,
            "author_role": author.role, "excerpt": text[:EXCERPT_LENGTH]})
        return message

    message, created = insert_once(insert, lambda: ProblemMessage.objects.filter(author=author,
                                                                                  client_id=client_id).first())
    return Sent(message, created=True) if created else _replayed(message, problem, body)


def _audience(problem: Problem, author: User) -> list[int]:
    """The others who may read a message of ``author``'s (see the module's docstring)."""
    ids = set(problem_staff_ids(problem))
    ids.update(ProblemMessage.objects.filter(problem=problem).exclude(author__role=Role.COMMISSIONER)
               .values_list("author_id", flat=True))
    if author.role != Role.COMMISSIONER:
        for claim in Claim.objects.filter(problem=problem, status__in=LIVE_CLAIM_STATUSES):
            ids.update(claimant_ids(claim))
    else:
        ids.update(_teammates(author, problem))
    ids.discard(author.pk)
    return sorted(ids)
