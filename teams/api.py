"""Shared service teams (技术服务共享团队): create, list, read, change, dispatch every member."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.audit import audit_record
from accounts.models import AuditAction
from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from commissioners.schemas import dispatch_out
from villages.selectors import village_get

from . import services
from .schemas import TeamDispatchIn, TeamDispatchOut, TeamFilters, TeamIn, TeamOut, TeamPage, TeamPatchIn, team_out
from .selectors import team_get, teams_list

router = Router(tags=["teams"], auth=jwt_auth)


@router.post("/teams", response={201: TeamOut}, summary="Create a shared service team (county staff, bureau)",
             description="Members are commissioners of any county of the city; the leader is one of them; the "
                         "service area is townships or villages of the city.")
def team_create(request: HttpRequest, payload: TeamIn):
    change = services.team_create(
        staff=request.auth, name=payload.name, industry=payload.industry, leader_id=payload.leader_id,
        member_ids=payload.member_ids, service_area_codes=payload.service_area_codes, county_code=payload.county_code,
    )
    audit_record(request, action=AuditAction.TEAM, subject="teams.create", **change.detail())
    return Status(201, team_out(team_get(request.auth, change.team.pk)))


@router.get("/teams", response=TeamPage, summary="Teams: staff those of or serving their area; a commissioner theirs")
def teams(request: HttpRequest, filters: Query[TeamFilters], pager: Query[PageIn]):
    page = page_of(teams_list(viewer=request.auth, county=filters.county, industry=filters.industry,
                              member=filters.member, active=filters.active), pager)
    page["items"] = [team_out(t) for t in page["items"]]
    return page


@router.get("/teams/{team_id}", response=TeamOut, summary="One team with its members and service area")
def team_read(request: HttpRequest, team_id: int):
    return team_out(team_get(request.auth, team_id))


@router.patch("/teams/{team_id}", response=TeamOut, summary="Change a team (its county's staff, the bureau)",
              description="`member_ids` and `service_area_codes` replace the whole set; `active: false` retires it.")
def team_change(request: HttpRequest, team_id: int, payload: TeamPatchIn):
    team = team_get(request.auth, team_id)
    change = services.team_update(
        staff=request.auth, team=team, name=payload.name, industry=payload.industry, leader_id=payload.leader_id,
        member_ids=payload.member_ids, service_area_codes=payload.service_area_codes, active=payload.active,
    )
    if change.changed:
        audit_record(request, action=AuditAction.TEAM, subject="teams.update", **change.detail())
    return team_out(team_get(request.auth, team_id))


@router.post("/teams/{team_id}/dispatches", response={201: TeamDispatchOut, 200: TeamDispatchOut},
             summary="Dispatch every active member to a village (one 人次 each, all or nothing)",
             description="A member already dispatched to the village for an overlapping period refuses the whole "
                         "call (409 `team_dispatch_overlaps`, naming them in `fields.member_ids`).")
def team_dispatch(request: HttpRequest, team_id: int, payload: TeamDispatchIn):
    team = team_get(request.auth, team_id)
    done = services.team_dispatch(
        staff=request.auth, team=team, village=village_get(payload.village_code), starts_on=payload.starts_on,
        ends_on=payload.ends_on, note=payload.note, programme=payload.programme, sending_unit=payload.sending_unit,
        client_id=payload.client_id,
    )
    if done.created:
        audit_record(request, action=AuditAction.TEAM, subject="teams.dispatch", team_id=team.pk,
                     village=payload.village_code, dispatch_ids=[d.pk for d in done.dispatches])
    return Status(201 if done.created else 200,
                  {"team_id": team.pk, "items": [dispatch_out(d) for d in done.dispatches]})
