"""Reads for commissioners."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import STAFF_ROLES, commissioners_q, ensure_role, scope_q
from core.errors import NotFound, OutsideScope
from core.near import Located, rows_near, with_objects
from core.periods import days_window, in_window
from geo.near import nearest_page
from villages.models import Category

from .models import Checkin, CommissionerProfile, Dispatch

HOME = Located(lat="home_lat", lng="home_lng", cell="home_cell")


def _profiles() -> QuerySet[CommissionerProfile]:
    return (
        CommissionerProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related(Prefetch("expertise", queryset=Category.objects.only("code")))
        .order_by("user_id")
    )


def commissioners_list(
    *,
    viewer: User,
    county: str | None = None,
    category: str | None = None,
    available: bool | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = 30.0,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[tuple[CommissionerProfile, float | None]]]:
    """Active commissioners ``viewer`` may list (accounts/scoping.py `commissioners_q`), by registered
    county, expertise and availability; nearest first (by home) with `near`. The home itself is never
    answered: only the distance to it. Staff roles only: a commissioner lists no one."""
    ensure_role(viewer, *STAFF_ROLES)
    qs = _profiles().filter(commissioners_q(viewer, "user"))
    if county:
        qs = qs.filter(user__area__county_code=county)
    if category:
        qs = qs.filter(expertise__code=category)
    if available is not None:
        qs = qs.filter(available=available)
    if near is None:
        count = qs.count()
        rows = list(qs[offset : offset + limit])
        return count, [(row, None) for row in rows]
    hits = rows_near(qs, near[0], near[1], radius_km, HOME)
    page = with_objects(qs, nearest_page(hits, near[0], near[1], offset, limit))
    return len(hits), [(h.obj, round(h.distance_km, 3)) for h in page]


def expertise_of(user_ids: list[int]) -> dict[int, list[str]]:
    """Expertise codes of many commissioners in one query."""
    found: dict[int, list[str]] = {}
    rows = CommissionerProfile.expertise.through.objects.filter(commissionerprofile_id__in=user_ids).order_by("id")
    for user_id, code in rows.values_list("commissionerprofile_id", "category_id"):
        found.setdefault(user_id, []).append(code)
    return found


def checkins_visible_to(user: User) -> QuerySet[Checkin]:
    qs = Checkin.objects.select_related("village", "commissioner")
    if user.role == Role.COMMISSIONER:
        return qs.filter(commissioner=user)
    return qs.filter(scope_q(user, "village"))


def checkins_list(
    *, user: User, commissioner: int | None = None, village: str | None = None,
    start: date | None = None, end: date | None = None,
) -> QuerySet[Checkin]:
    qs = checkins_visible_to(user)
    if commissioner:
        qs = qs.filter(commissioner_id=commissioner)
    if village:
        qs = qs.filter(village_id=village)
    return in_window(qs, "occurred_at", *days_window(start, end)).order_by("-occurred_at", "-id")


def checkin_get(user: User, checkin_id: int) -> Checkin:
    checkin = checkins_visible_to(user).filter(pk=checkin_id).first()
    if checkin is None:
        if Checkin.objects.filter(pk=checkin_id).exists():  # the contract: 403 outside your area
            raise OutsideScope(_("Check-in %(id)s is outside your scope.") % {"id": checkin_id})
        raise NotFound(_("No check-in %(id)s.") % {"id": checkin_id}, code="checkin_not_found")
    return checkin


def dispatches_list(
    *, user: User, commissioner: int | None = None, county: str | None = None, village: str | None = None,
    start: date | None = None, end: date | None = None,
) -> QuerySet[Dispatch]:
    qs = Dispatch.objects.select_related("village", "commissioner", "dispatched_by")
    qs = qs.filter(commissioner=user) if user.role == Role.COMMISSIONER else qs.filter(scope_q(user, "village"))
    if commissioner:
        qs = qs.filter(commissioner_id=commissioner)
    if county:
        qs = qs.filter(village__county_code=county)
    if village:
        qs = qs.filter(village_id=village)
    if start:
        qs = qs.filter(starts_on__gte=start)
    if end:
        qs = qs.filter(starts_on__lte=end)
    return qs.order_by("-starts_on", "-id")


def may_see_checkin_id(user: User, checkin_id: int) -> bool:
    return checkins_visible_to(user).filter(pk=checkin_id).exists()


# Flags whose details name another check-in (the neighbour of an impossible journey, the check-in a
# photo was first used for), with the details that describe it: how far away and how long before.
_FLAG_REFERENCES = {"impossible_travel": ("other_checkin_id", ("km", "seconds")),
                    "photo_reused": ("other_checkin_id", ())}


def flag_details_for(viewer: User, checkins: list[Checkin]) -> dict[int, dict]:
    """Each check-in's flag details as ``viewer`` may read them: a detail never describes a record the
    reader may not see. A neighbouring check-in outside their scope (another county's, or another
    commissioner's) is not named, nor how far or how long before it was; the flag stays, with
    ``outside_scope: true`` and the speed it implies. One query for a whole page (none without references)."""
    referenced = {
        details[flag][key]
        for c in checkins for flag, (key, _) in _FLAG_REFERENCES.items()
        if isinstance(details := c.flag_details, dict) and isinstance(details.get(flag), dict)
        and details[flag].get(key) is not None
    }
    visible = set(checkins_visible_to(viewer).filter(pk__in=referenced).values_list("pk", flat=True)) \
        if referenced else set()
    out: dict[int, dict] = {}
    for c in checkins:
        details = dict(c.flag_details)
        for flag, (key, describing) in _FLAG_REFERENCES.items():
            found = details.get(flag)
            if isinstance(found, dict) and found.get(key) is not None and found[key] not in visible:
                kept = {k: v for k, v in found.items() if k != key and k not in describing}
                details[flag] = {**kept, "outside_scope": True}
        out[c.pk] = details
    return out
