"""Writes for teams: create, change, dispatch every member.

Each write checks everything first (and names every refusal's field), then writes in one transaction.
The router records each change in the audit trail with what changed (``TeamChange``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.names import NameInvalid, person_name_clean
from accounts.scoping import ensure_area_in_scope, ensure_role
from commissioners.checkins import dispatch_create
from commissioners.models import Dispatch, Programme
from core.errors import ClientIdReused, Invalid, OutsideScope
from villages.models import Area, Category

from .candidates import team_candidates_refresh
from .errors import (
    LeaderNotAMember,
    NotCommissioners,
    ServiceAreaInvalid,
    TeamDispatchOverlaps,
    TeamHasNoActiveMembers,
    TeamInactive,
    TeamNameTaken,
)
from .models import MemberRole, Membership, ServiceArea, Team, TeamDispatch, TeamDispatchItem

MANAGER_ROLES = (Role.COUNTY_STAFF, Role.BUREAU)
MAX_MEMBERS = 200
MAX_SERVICE_AREAS = 500


@dataclass
class TeamChange:
    """What a write did, for the audit trail: the fields set and the members and areas added and removed."""

    team: Team
    changed: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        return {"team_id": self.team.pk, **self.changed}


def ensure_can_manage_team(staff: User, team: Team) -> None:
    """County staff manage their county's teams, the bureau every team."""
    ensure_role(staff, *MANAGER_ROLES)
    ensure_area_in_scope(staff, team.home_county)


def _industry(code: str) -> Category:
    found = Category.objects.filter(code=code).first()
    if found is None:
        raise Invalid(_("Unknown category %(code)s.") % {"code": code}, fields={"industry": _("unknown category")},
                      code="unknown_category")
    return found


def _home_county(staff: User, county_code: str | None, members: list[User]) -> Area:
    """County staff: their county. The bureau: the county it names, or else the leader's."""
    if staff.role == Role.COUNTY_STAFF:
        if county_code and county_code != staff.area_id:
            raise OutsideScope(_("County staff create teams of their own county."))
        return staff.area
    code = county_code or members[0].area_id[:6]
    county = Area.objects.filter(code=code, level="county").first()
    if county is None:
        raise Invalid(_("%(code)s is not a county.") % {"code": code},
                      fields={"county_code": _("must be a county code")})
    ensure_area_in_scope(staff, county)
    return county


def _members(member_ids: list[int], leader_id: int | None, city_prefix: str | None) -> list[User]:
    """The members in the order given, the leader first: active commissioners registered in the city
    (``city_prefix``, the first four digits of its code; None: checked by the caller). Refusals name the
    offending ids."""
    ids = list(dict.fromkeys(member_ids))
    if leader_id not in ids:
        raise LeaderNotAMember(fields={"leader_id": _("must be one of member_ids")})
    if len(ids) > MAX_MEMBERS:
        raise Invalid(_("A team has at most %(n)d members.") % {"n": MAX_MEMBERS},
                      fields={"member_ids": _("too many")})
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    bad = [pk for pk in ids if pk not in found or found[pk].role != Role.COMMISSIONER or not found[pk].is_active
           or (city_prefix is not None and found[pk].area_id[:4] != city_prefix)]
    if bad:
        raise NotCommissioners(fields={"member_ids": bad})
    return [found[leader_id], *(found[pk] for pk in ids if pk != leader_id)]


def _service_areas(codes: list[str], city_prefix: str) -> list[Area]:
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_SERVICE_AREAS:
        raise Invalid(_("A team serves at most %(n)d areas.") % {"n": MAX_SERVICE_AREAS},
                      fields={"service_area_codes": _("too many")})
    found = {a.code: a for a in Area.objects.defer("geometry").filter(code__in=codes)}
    bad = [code for code in codes if code not in found or found[code].level not in ("township", "village")
           or code[:4] != city_prefix]
    if bad:
        raise ServiceAreaInvalid(fields={"service_area_codes": bad})
    return [found[code] for code in codes]


def _set_members(team: Team, members: list[User]) -> dict[str, Any]:
    """Make the memberships exactly ``members`` (the first the leader); answer who joined and left."""
    current = {m.user_id: m for m in Membership.objects.filter(team=team)}
    wanted = [m.pk for m in members]
    leader_id = wanted[0]
    gone = [pk for pk in current if pk not in wanted]
    joined = [pk for pk in wanted if pk not in current]
    old_leader = next((pk for pk, m in current.items() if m.role == MemberRole.LEADER), None)
    # The old leader steps down before the new one steps up: one leader per team holds at every statement.
    Membership.objects.filter(team=team, user_id__in=gone).delete()
    if old_leader is not None and old_leader != leader_id:
        Membership.objects.filter(team=team, user_id=old_leader, role=MemberRole.LEADER).update(role=MemberRole.MEMBER)
    Membership.objects.bulk_create([Membership(team=team, user_id=pk, role=MemberRole.MEMBER) for pk in joined])
    if old_leader != leader_id:
        Membership.objects.filter(team=team, user_id=leader_id).update(role=MemberRole.LEADER)
    changes: dict[str, Any] = {}
    if joined:
        changes["members_added"] = joined
    if gone:
        changes["members_removed"] = gone
    if old_leader != leader_id:
        changes["leader"] = {"from": old_leader, "to": leader_id}
    return changes


def _set_areas(team: Team, areas: list[Area]) -> dict[str, Any]:
    current = set(ServiceArea.objects.filter(team=team).values_list("area_id", flat=True))
    wanted = [a.code for a in areas]
    gone = sorted(current - set(wanted))
    added = [code for code in wanted if code not in current]
    ServiceArea.objects.filter(team=team, area_id__in=gone).delete()
    ServiceArea.objects.bulk_create([ServiceArea(team=team, area_id=code) for code in added])
    changes: dict[str, Any] = {}
    if added:
        changes["areas_added"] = added
    if gone:
        changes["areas_removed"] = gone
    return changes


def _name(value: str) -> str:
    """A team's name is shown in lists, notifications and the bureau's workbook: a person's name's bounds."""
    try:
        return person_name_clean(value)
    except NameInvalid as exc:
        raise Invalid(str(exc), fields={"name": str(exc)}) from exc


def _saved(team: Team) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise TeamNameTaken(fields={"name": _("taken in this county")}) from exc


@transaction.atomic
def team_create(*, staff: User, name: str, industry: str, leader_id: int, member_ids: list[int],
                service_area_codes: list[str], county_code: str | None = None) -> TeamChange:
    ensure_role(staff, *MANAGER_ROLES)
    category = _industry(industry)
    members = _members(member_ids, leader_id, None)
    county = _home_county(staff, county_code, members)
    outside = [m.pk for m in members if m.area_id[:4] != county.code[:4]]
    if outside:
        raise NotCommissioners(fields={"member_ids": outside})
    areas = _service_areas(service_area_codes, county.code[:4])
    name = _name(name)
    team = Team(name=name, industry=category, home_county=county, created_by=staff)
    _saved(team)
    changes = {"name": name, "industry": category.code, "county_code": county.code}
    changes |= _set_members(team, members)
    changes |= _set_areas(team, areas)
    team_candidates_refresh([team.pk])
    return TeamChange(team, changes)


@transaction.atomic
def team_update(*, staff: User, team: Team, name: str | None = None, industry: str | None = None,
                leader_id: int | None = None, member_ids: list[int] | None = None,
                service_area_codes: list[str] | None = None, active: bool | None = None) -> TeamChange:
    """Change what is given. ``member_ids`` replaces the members; without it, ``leader_id`` picks the new
    leader among the present members."""
    # Lock order: the team row first, then its memberships and areas (every team write takes it).
    team = Team.objects.select_for_update().select_related("home_county").get(pk=team.pk)
    ensure_can_manage_team(staff, team)
    prefix = team.home_county.code[:4]
    changes: dict[str, Any] = {}
    if name is not None and _name(name) != team.name:
        team.name = changes["name"] = _name(name)
    if industry is not None and industry != team.industry_id:
        team.industry, changes["industry"] = _industry(industry), industry
    if active is not None and active != team.active:
        team.active, changes["active"] = active, active
    if member_ids is not None or leader_id is not None:
        current = list(Membership.objects.filter(team=team).values_list("user_id", "role"))
        if member_ids is None:
            member_ids = [pk for pk, _role in current]
        if leader_id is None:
            leader_id = next((pk for pk, role in current if role == MemberRole.LEADER), None)
        members = _members(member_ids, leader_id, prefix)
        changes |= _set_members(team, members)
    if service_area_codes is not None:
        changes |= _set_areas(team, _service_areas(service_area_codes, prefix))
    team.updated_at = timezone.now()
    _saved(team)
    team_candidates_refresh([team.pk])  # its industry, activity or members may have changed
    return TeamChange(team, changes)


@dataclass(frozen=True)
class TeamDispatched:
    call: TeamDispatch
    dispatches: list[Dispatch]
    created: bool


def _replay(staff: User, client_id: uuid.UUID | None) -> TeamDispatch | None:
    if client_id is None:
        return None
    return TeamDispatch.objects.filter(dispatched_by=staff, client_id=client_id).first()


def _dispatched(call: TeamDispatch, created: bool) -> TeamDispatched:
    rows = list(Dispatch.objects.filter(pk__in=call.items.values("dispatch_id"))
                .select_related("village", "commissioner", "dispatched_by").order_by("pk"))
    return TeamDispatched(call, rows, created)


@transaction.atomic
def team_dispatch(*, staff: User, team: Team, village: Area, starts_on: date, ends_on: date | None = None,
                  note: str = "", programme: str = Programme.COMMISSIONER, sending_unit: str = "",
                  client_id: uuid.UUID | None = None) -> TeamDispatched:
    """Dispatch every active member to ``village`` (one Dispatch, one 人次, each, under ``programme``, sent by
    ``sending_unit``, both checked by ``dispatch_create`` as for one person), all or nothing.

    A member already dispatched to the village for an overlapping period refuses the whole call, naming
    them: two dispatches of one person to one village at once would count one stay twice. The same
    ``client_id`` again (a lost answer retried) answers the first result and dispatches nobody."""
    ensure_area_in_scope(staff, village)
    # The team row locked: two calls for one team (a retry racing its first try among them) are served one
    # after the other, so the second finds the first's client_id.
    team = Team.objects.select_for_update().select_related("home_county").get(pk=team.pk)
    ensure_can_manage_team(staff, team)  # county staff dispatch their county's teams only, as they change them
    replayed = _replay(staff, client_id)
    if replayed is not None:
        done = _dispatched(replayed, created=False)
        first = done.dispatches[0] if done.dispatches else None
        asked = (village.code, starts_on, ends_on, note, programme, sending_unit.strip())
        if replayed.team_id != team.pk or first is None or (
                first.village_id, first.starts_on, first.ends_on, first.note, first.programme,
                first.sending_unit) != asked:
            raise ClientIdReused()
        return done
    if not team.active:
        raise TeamInactive()
    members = list(User.objects.filter(team_memberships__team=team, is_active=True, role=Role.COMMISSIONER)
                   .order_by("team_memberships__role", "pk"))
    if not members:
        raise TeamHasNoActiveMembers()
    overlapping = (Dispatch.objects.filter(village=village, commissioner__in=members)
                   .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    taken = sorted(set(overlapping.values_list("commissioner_id", flat=True)))
    if taken:
        raise TeamDispatchOverlaps(fields={"member_ids": taken})
    try:
        with transaction.atomic():
            call = TeamDispatch.objects.create(team=team, client_id=client_id, dispatched_by=staff)
    except IntegrityError as exc:  # the same client_id, at once, for another team
        raise ClientIdReused() from exc
    made = [dispatch_create(staff=staff, commissioner=member, village=village, starts_on=starts_on, ends_on=ends_on,
                            note=note, programme=programme, sending_unit=sending_unit) for member in members]
    TeamDispatchItem.objects.bulk_create([TeamDispatchItem(team_dispatch=call, dispatch=d) for d in made])
    return _dispatched(call, created=True)
