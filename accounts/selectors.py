"""Reads for people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from accounts.models import Consent, ConsentKind, Role, User
from core.positions import point_out

from .privacy import phone_for, whole_phone_ids
from .scoping import area_q, ensure_role

if TYPE_CHECKING:
    from villages.models import Area


def me_detail(user: User, *, crs: str = "wgs84") -> dict[str, Any]:
    """The user as `/me` shows them; for a commissioner with their expertise and home."""
    out: dict[str, Any] = {
        "id": user.pk,
        "phone": user.phone,
        "name": user.name,
        "role": user.role,
        "area_code": user.area_id,
        "area_name": user.area.name,
        "crs": crs,
        "password_change_required": user.password_change_required,
        "location_consent": Consent.objects.filter(
            user=user, kind=ConsentKind.LOCATION, withdrawn_at__isnull=True
        ).exists(),
    }
    if user.role == Role.COMMISSIONER:
        profile = user.commissioner
        out["expertise"] = list(profile.expertise.values_list("code", flat=True))
        out["home_lat"], out["home_lng"] = point_out(profile.home_lat, profile.home_lng, crs)
        out["available"] = profile.available
    return out


def user_detail(user: User, *, viewer: User) -> dict[str, Any]:
    out = {"id": user.pk, "phone": phone_for(viewer, user.pk, user.phone), "name": user.name, "role": user.role,
           "area_code": user.area_id}
    if user.role == Role.COMMISSIONER:
        out["expertise"] = list(user.commissioner.expertise.values_list("code", flat=True))
    return out


def users_visible(viewer: User, *, role: str | None = None, area: Area | None = None, q: str | None = None,
                  active: bool | None = None) -> QuerySet[User]:
    """The people ``viewer`` manages (county staff: registered in their county; the bureau: the city),
    newest first, filtered. Staff of other roles and commissioners manage no one."""
    ensure_role(viewer, Role.COUNTY_STAFF, Role.BUREAU)
    rows = User.objects.filter(area_q(viewer.area, "area"))
    if viewer.role == Role.COUNTY_STAFF:
        rows = rows.exclude(role=Role.BUREAU)
    if role:
        rows = rows.filter(role=role)
    if area is not None:
        rows = rows.filter(area_q(area, "area"))
    if q:
        rows = rows.filter(Q(name__contains=q) | Q(phone__contains=q))
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("-date_joined", "-pk")


def users_page_out(users: list[User], *, viewer: User) -> list[dict[str, Any]]:
    """A page of users as `GET /users` shows them: one query for whose phone is shown whole."""
    whole = whole_phone_ids(viewer, [u.pk for u in users])
    return [{"id": u.pk, "phone": phone_for(viewer, u.pk, u.phone, whole_ids=whole), "name": u.name,
             "role": u.role, "area_code": u.area_id, "is_active": u.is_active} for u in users]
