"""Reads for teams: who may see which team, lists, one team with its members and areas.

| role            | teams seen                                                               |
| --------------- | ------------------------------------------------------------------------ |
| bureau          | all                                                                      |
| county_staff    | their county's (home county) and those serving a township or village of it |
| township_staff  | those serving their township or one of its villages                      |
| commissioner    | those they belong to                                                     |

County staff manage (change, and dispatch from) only their county's teams; the others they see
because the team works in their county.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_q
from core.errors import OutsideScope

from .errors import NotATeamMember, TeamInactive, TeamNotFound
from .models import Membership, ServiceArea, Team


def serving_q(area, path: str = "") -> Q:
    """Teams (reached by ``path``) with a service area inside ``area`` (a county or township)."""
    prefix = f"{path}__" if path else ""
    areas = ServiceArea.objects.filter(area_q(area, "area")).values("team_id")
    return Q(**{f"{prefix}pk__in": areas})


def teams_visible_q(viewer: User) -> Q:
    if viewer.role == Role.BUREAU:
        return Q()
    if viewer.role == Role.COUNTY_STAFF:
        return Q(home_county_id=viewer.area_id) | serving_q(viewer.area)
    if viewer.role == Role.TOWNSHIP_STAFF:
        return serving_q(viewer.area)
    return Q(pk__in=Membership.objects.filter(user=viewer).values("team_id"))


def _with_members(qs: QuerySet[Team]) -> QuerySet[Team]:
    return qs.select_related("industry").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("role", "id")),
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("area_id")),
    )


def teams_list(*, viewer: User, county: str | None = None, industry: str | None = None, member: int | None = None,
               active: bool | None = None) -> QuerySet[Team]:
    """Visible teams; ``county`` keeps the teams of that home county or serving it."""
    qs = Team.objects.filter(teams_visible_q(viewer))
    if county:
        qs = qs.filter(Q(home_county_id=county) | Q(pk__in=ServiceArea.objects.filter(
            area__county_code=county).values("team_id")))
    if industry:
        qs = qs.filter(industry_id=industry)
    if member is not None:
        qs = qs.filter(pk__in=Membership.objects.filter(user_id=member).values("team_id"))
    if active is not None:
        qs = qs.filter(active=active)
    return _with_members(qs.order_by("home_county_id", "name", "id"))


def team_get(viewer: User, team_id: int) -> Team:
    """One team: 404 unknown, 403 outside what the viewer may see."""
    team = _with_members(Team.objects.filter(pk=team_id)).first()
    if team is None:
        raise TeamNotFound()
    if not Team.objects.filter(teams_visible_q(viewer), pk=team_id).exists():
        raise OutsideScope(_("This team is outside what you may see."))
    return team


def member_ids(team_id: int) -> list[int]:
    return list(Membership.objects.filter(team_id=team_id).order_by("role", "id").values_list("user_id", flat=True))


def is_member(user_id: int, team_id: int) -> bool:
    return Membership.objects.filter(user_id=user_id, team_id=team_id).exists()


def teams_of(user_id: int) -> list[int]:
    return list(Membership.objects.filter(user_id=user_id).values_list("team_id", flat=True))


def team_for_claim(user: User, team_id: int) -> Team:
    """The team a commissioner claims for: 404 unknown, 403 not theirs, 409 retired."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise TeamNotFound()
    if not is_member(user.pk, team.pk):
        raise NotATeamMember()
    if not team.active:
        raise TeamInactive()
    return team
