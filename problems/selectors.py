"""Reads for problems: one problem, the lists, a problem's detail, and commissioners' track records."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import scope_q
from core.errors import NotFound
from core.near import arrays_near, with_values
from geo.near import nearest_page_of
from media.models import PhotoOwner
from media.selectors import photo_out, photos_of
from teams.models import Membership

from .models import Claim, ClaimStatus, Problem, ProblemEventKind, ProblemStatus

DONE = (ProblemStatus.RESOLVED, ProblemStatus.CLOSED)


def _problems() -> QuerySet[Problem]:
    return Problem.objects.select_related("village", "category", "posted_by")


def problem_get(problem_id: int) -> Problem:
    problem = _problems().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("No problem %(id)s.") % {"id": problem_id}, code="problem_not_found")
    return problem


def works_on_q(user: User) -> Q:
    """Claims (accepted ones, with a status filter) that make ``user`` work on their problem: their own,
    and their teams'."""
    return Q(commissioner=user) | Q(team_id__in=Membership.objects.filter(user=user).values("team_id"))


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Commissioners: open problems anywhere and those they work on (their claim, or their team's,
    accepted); a claimant
    who was declined, or withdrew, loses a problem once it is no longer open. Staff: their area's.
    (The same rule, for one problem: problems/access.py `may_see_problem`.)"""
    qs = _problems()
    if user.role == Role.COMMISSIONER:
        mine = Claim.objects.filter(works_on_q(user), status=ClaimStatus.ACCEPTED).values("problem_id")
        return qs.filter(Q(status=ProblemStatus.OPEN) | Q(pk__in=mine))
    return qs.filter(scope_q(user, "village"))


# What a problem in a list shows (problems/schemas.py, problem_out), names beside codes: read as values,
# since building three model instances a row (problem, village, poster) was most of a page's time.
PROBLEM_VALUES = (
    "id", "client_id", "title", "description", "category_id", "village_id", "village__name", "lat", "lng",
    "urgency", "status", "deadline", "posted_by_id", "posted_by__name", "resolution_summary", "resolved_at",
    "rating", "rating_comment", "closed_at", "escalated_at", "created_at", "updated_at",
)


def problems_list(
    *,
    user: User,
    status: str | None = None,
    category: str | None = None,
    village: str | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = 30.0,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[tuple[dict, float | None]]]:
    """The count and one page of problems as ``PROBLEM_VALUES`` with their distance from ``near`` (nearest
    first then), else newest first: two queries either way."""
    qs = problems_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category_id=category)
    if village:
        qs = qs.filter(village_id=village)
    if near is None:
        count = qs.count()
        return count, [(row, None) for row in
                       qs.order_by("-created_at", "-id").values(*PROBLEM_VALUES)[offset : offset + limit]]
    found = arrays_near(qs, near[0], near[1], radius_km)
    # The page's rows by id alone: the filters above chose them, and compiling them again (the visibility
    # subqueries) cost more than the page's query.
    page = with_values(Problem.objects.all(), nearest_page_of(found, near[0], near[1], offset, limit), PROBLEM_VALUES)
    return len(found), [(h.values, round(h.distance_km, 3)) for h in page]


def problem_detail(problem: Problem, *, viewer: User) -> dict:
    """The problem with its photos, claims and history: four queries whatever their number.

    Staff see every claim. A commissioner sees their own claims and their teams' only: other commissioners'
    names and messages are theirs and the staff's (PIPL art. 6), so the history drops the other claimants'
    `claimed` events and shows no commissioner as an actor but themselves and their teammates on the claims
    they see (a team member sees who of the team claimed and resolved it)."""
    claims = Claim.objects.filter(problem=problem).select_related("commissioner", "team").order_by("created_at", "id")
    is_commissioner = viewer.role == Role.COMMISSIONER
    allies = {viewer.pk}
    if is_commissioner:
        claims = list(claims.filter(works_on_q(viewer)))
        teams = {c.team_id for c in claims if c.team_id}
        if teams:
            allies |= set(Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True))
    events = list(problem.events.select_related("actor").order_by("at", "id"))
    photos = photos_of(PhotoOwner.PROBLEM, [problem.pk]).get(problem.pk, [])

    def someone_else(event) -> bool:
        actor = event.actor
        return is_commissioner and actor is not None and actor.role == Role.COMMISSIONER and actor.pk not in allies

    history = []
    for e in events:
        if someone_else(e):
            if e.kind == ProblemEventKind.CLAIMED:
                continue
            history.append({"kind": e.kind, "actor": None, "from_status": e.from_status, "to_status": e.to_status,
                            "note": "", "at": e.at})
            continue
        history.append({"kind": e.kind, "actor": {"id": e.actor_id, "name": e.actor.name} if e.actor else None,
                        "from_status": e.from_status, "to_status": e.to_status, "note": e.note, "at": e.at})
    return {
        "photos": [photo_out(p) for p in photos],
        "claims": [
            {"id": c.pk, "commissioner": {"id": c.commissioner_id, "name": c.commissioner.name},
             "team": {"id": c.team_id, "name": c.team.name} if c.team_id else None, "message": c.message,
             "status": c.status, "created_at": c.created_at, "decided_at": c.decided_at}
            for c in claims
        ],
        "history": history,
    }


def team_records(ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """team -> (problems in progress, resolved, rating sum, rating count) on its accepted claims, in one
    query: what the teams' read model carries (teams/candidates.py reads it through teams/hooks.py)."""
    rated = Q(problem__status__in=DONE, problem__rating__isnull=False)
    rows = (Claim.objects.filter(team_id__in=ids, status=ClaimStatus.ACCEPTED).values("team_id")
            .annotate(active=Count("id", filter=Q(problem__status=ProblemStatus.IN_PROGRESS)),
                      resolved=Count("id", filter=Q(problem__status__in=DONE)),
                      rating_sum=Sum("problem__rating", filter=rated), rating_count=Count("id", filter=rated))
            .order_by())
    return {r["team_id"]: (r["active"], r["resolved"], r["rating_sum"] or 0, r["rating_count"]) for r in rows}


def track_records(ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """commissioner -> (active problems, resolved count, rating sum, rating count), in one query: what
    matching's read model carries (commissioners/candidates.py reads it through commissioners/hooks.py)."""
    accepted = Claim.objects.filter(commissioner_id__in=ids, status=ClaimStatus.ACCEPTED)
    rated = Q(problem__status__in=DONE, problem__rating__isnull=False)
    rows = accepted.values("commissioner_id").annotate(
        active=Count("id", filter=Q(problem__status=ProblemStatus.IN_PROGRESS)),
        resolved=Count("id", filter=Q(problem__status__in=DONE)),
        rating_sum=Sum("problem__rating", filter=rated),
        rating_count=Count("id", filter=rated),
    )
    return {r["commissioner_id"]: (r["active"], r["resolved"], r["rating_sum"] or 0, r["rating_count"])
            for r in rows}
