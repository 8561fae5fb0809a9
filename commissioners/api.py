"""Commissioners: the staff's list and a commissioner's own profile."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from accounts.models import Role
from accounts.schemas import MeOut
from accounts.scoping import STAFF_ROLES, ensure_role
from accounts.selectors import me_detail
from api.auth import jwt_auth
from api.pagination import PageIn
from core.errors import Invalid
from geo.edge import parse_near, point_in, point_out

from . import services
from .schemas import CommissionerFilters, CommissionerPage, CommissionerPatchIn
from .selectors import commissioners_list

router = Router(tags=["commissioners"], auth=jwt_auth)


@router.get("/commissioners", response=CommissionerPage, summary="Find commissioners (staff roles)")
def commissioners(request: HttpRequest, filters: Query[CommissionerFilters], pager: Query[PageIn]):
    ensure_role(request.auth, *STAFF_ROLES)
    near = point_in(*parse_near(filters.near), filters.crs) if filters.near else None
    count, rows = commissioners_list(
        county=filters.county,
        category=filters.category,
        available=filters.available,
        near=near,
        radius_km=filters.radius_km,
        pager=pager,
    )
    items = []
    for profile, distance in rows:
        lat, lng = point_out(profile.home_lat, profile.home_lng, filters.crs)
        items.append(
            {
                "id": profile.user_id,
                "name": profile.user.name,
                "area_code": profile.user.area_id,
                "expertise": [c.code for c in profile.expertise.all()],
                "home_lat": lat,
                "home_lng": lng,
                "available": profile.available,
                "distance_km": distance,
            }
        )
    return {"count": count, "items": items}


@router.patch("/commissioners/me", response=MeOut, summary="Update my expertise, home and availability")
def commissioner_me(request: HttpRequest, payload: CommissionerPatchIn):
    ensure_role(request.auth, Role.COMMISSIONER)
    if (payload.home_lat is None) != (payload.home_lng is None):
        raise Invalid("Send home_lat and home_lng together.", fields={"home_lng": "both or neither"})
    home = None
    if payload.home_lat is not None:
        home = point_in(payload.home_lat, payload.home_lng, payload.crs, prefix="home_")
    services.profile_update(user=request.auth, expertise=payload.expertise, home=home, available=payload.available)
    return me_detail(request.auth, crs=payload.crs)
