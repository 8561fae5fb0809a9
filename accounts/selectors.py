"""Reads for people."""

from __future__ import annotations

from typing import Any

from accounts.models import Consent, ConsentKind, Role, User
from geo.edge import point_out

from .privacy import phone_for


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
