"""Reads for people."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Consent, ConsentKind, Role, User
from core import sql_rows
from core.errors import NotFound

from . import hooks
from .hooks import AreaRef
from .privacy import phone_for, whole_phone_ids
from .scoping import area_q, ensure_role


def me_detail(user: User, *, crs: str = "wgs84") -> dict[str, Any]:
    """The user as `/me` shows them; for a commissioner with their expertise and home (`profile_of`)."""
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
    out.update(hooks.profile_of(user, crs))
    return out


def user_detail(user: User, *, viewer: User) -> dict[str, Any]:
    out = {"id": user.pk, "phone": phone_for(viewer, user.pk, user.phone), "name": user.name, "role": user.role,
           "area_code": user.area_id}
    if user.role == Role.COMMISSIONER:  # of another person's profile, only the expertise
        out["expertise"] = hooks.profile_of(user, "wgs84")["expertise"]
    return out


def area_by_code(code: str) -> AreaRef:
    area = hooks.areas_by_code([code]).get(code)
    if area is None:
        raise NotFound(_("No area with code %(code)s.") % {"code": code}, code="area_not_found")
    return area


def users_visible(viewer: User, *, role: str | None = None, area_code: str | None = None, q: str | None = None,
                  active: bool | None = None) -> QuerySet[User]:
    """The people ``viewer`` manages (county staff: registered in their county; the bureau: the city),
    newest first, filtered (``area_code``: inside that area). Staff of other roles and commissioners
    manage no one."""
    ensure_role(viewer, Role.COUNTY_STAFF, Role.BUREAU)
    area = area_by_code(area_code) if area_code else None
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


_USER_ROWS = sql_rows.RowReader(User)
# The area without its boundary: kilobytes of JSON for a county, which no request reads from the user's
# area (it would be loaded if one did).
_AREA_ROWS = sql_rows.RowReader(User._meta.get_field("area").related_model, leave_out=frozenset({"geometry"}))


@functools.cache
def _user_with_area_sql(vendor: str) -> str:
    # Per backend: the names are quoted by its rules.
    area_fk = User._meta.get_field("area")
    qn = connection.ops.quote_name
    return (
        f"SELECT {_USER_ROWS.columns('u')}, {_AREA_ROWS.columns('a')}"
        f" FROM {qn(User._meta.db_table)} u INNER JOIN {qn(_AREA_ROWS.model._meta.db_table)} a"
        f" ON a.{qn(area_fk.target_field.column)} = u.{qn(area_fk.column)}"
        f" WHERE u.{qn(User._meta.pk.column)} = %s AND u.{qn(User._meta.get_field('is_active').column)} = %s"
    )


def active_user_with_area(user_id: int) -> User | None:
    """The active user ``user_id`` with their area, in one query: what every authenticated request asks,
    ``User.objects.select_related("area").filter(pk=user_id, is_active=True).first()`` as fixed SQL
    (core/sql_rows.py says why)."""
    with connection.cursor() as cursor:
        cursor.execute(_user_with_area_sql(connection.vendor), [user_id, True])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_USER_ROWS.fields)
    user = _USER_ROWS.instance(row[:split])
    User._meta.get_field("area").set_cached_value(user, _AREA_ROWS.instance(row[split:]))
    return user
