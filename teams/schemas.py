from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from commissioners.schemas import DispatchOut, DispatchTermsIn

from .models import MemberRole, Team

CODE_PATTERN = r"^[0-9]{9}([0-9]{3})?$"


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    industry: str = Field(..., max_length=32, description="A category code, of either level (e.g. mango).")
    leader_id: int = Field(..., ge=1, le=2**63 - 1, description="One of `member_ids`.")
    member_ids: list[int] = Field(..., min_length=1, max_length=200,
                                  description="Commissioners of any county of the city.")
    service_area_codes: list[str] = Field(..., max_length=500,
                                          description="Townships (9 digits) or villages (12 digits) of the city.")
    county_code: str | None = Field(None, pattern=r"^[0-9]{6}$",
                                    description="The home county, whose staff manage the team. County staff: "
                                                "their own (the default); the bureau: any (default: the leader's).")


class TeamPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    industry: str | None = Field(None, max_length=32)
    leader_id: int | None = Field(None, ge=1, le=2**63 - 1,
                                  description="The new leader: among `member_ids` if given, else a present member.")
    member_ids: list[int] | None = Field(None, min_length=1, max_length=200, description="Replaces the members.")
    service_area_codes: list[str] | None = Field(None, max_length=500, description="Replaces the service area.")
    active: bool | None = None


class TeamFilters(Schema):
    county: str | None = Field(None, pattern=r"^[0-9]{6}$",
                               description="Teams of this home county or serving an area of it.")
    industry: str | None = Field(None, max_length=32)
    member: int | None = Field(None, ge=1, le=2**63 - 1, description="Teams this commissioner belongs to.")
    active: bool | None = None


class PersonRef(Schema):
    id: int
    name: str


class MemberOut(Schema):
    id: int = Field(..., description="The commissioner's user id.")
    name: str
    area_code: str = Field(..., description="Where the member is registered.")
    role: str = Field(..., description="leader (组长) or member (组员).")


class TeamOut(Schema):
    id: int
    name: str
    industry: str
    industry_name: str
    county_code: str = Field(..., description="The home county, whose staff manage the team.")
    leader: PersonRef | None
    members: list[MemberOut]
    service_area_codes: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class TeamPage(Schema):
    count: int
    items: list[TeamOut]


class TeamDispatchIn(DispatchTermsIn):
    """The terms of one dispatch, given to every active member."""

    client_id: UUID | None = Field(None, description="Send it to make a retry safe: the same id answers the first "
                                                     "result (200) and dispatches nobody again.")


class TeamDispatchOut(Schema):
    team_id: int
    items: list[DispatchOut] = Field(..., description="One dispatch (one 人次) per active member.")


def team_out(team: Team) -> dict:
    """One team as the API shows it (memberships with their users, and service areas, prefetched)."""
    members = sorted(team.memberships.all(), key=lambda m: (m.role != MemberRole.LEADER, m.pk))
    leader = next((m.user for m in members if m.role == MemberRole.LEADER), None)
    return {
        "id": team.pk, "name": team.name, "industry": team.industry_id, "industry_name": team.industry.name,
        "county_code": team.home_county_id,
        "leader": {"id": leader.pk, "name": leader.name} if leader else None,
        "members": [{"id": m.user_id, "name": m.user.name, "area_code": m.user.area_id, "role": m.role}
                    for m in members],
        "service_area_codes": sorted(a.area_id for a in team.service_areas.all()),
        "active": team.active, "created_at": team.created_at, "updated_at": team.updated_at,
    }
