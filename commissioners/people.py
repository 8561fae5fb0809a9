"""What commissioners tells accounts about people: the hooks of `accounts.hooks` it registers in
`CommissionersConfig.ready()`. accounts creates and changes people; a commissioner's profile, their
dispatches and check-ins are kept here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.hooks import AreaRef, PersonWrite
from accounts.models import Role, User
from accounts.scoping import WORKING_RECENT_DAYS, area_q
from core.positions import point_out

from .candidates import candidates_refresh
from .models import Checkin, CommissionerProfile, Dispatch
from .services import categories_checked

# 0.01° of latitude ≈ 1.1 km.
COARSE_DECIMALS = 2


def profile_of(user: User, crs: str) -> dict[str, Any]:
    """A commissioner's profile as their `/me` shows it: expertise, home (in ``crs``), availability."""
    if user.role != Role.COMMISSIONER:
        return {}
    profile = user.commissioner
    home_lat, home_lng = point_out(profile.home_lat, profile.home_lng, crs)
    return {"expertise": list(profile.expertise.values_list("code", flat=True)),
            "home_lat": home_lat, "home_lng": home_lng, "available": profile.available}


def people_created(people: Sequence[PersonWrite]) -> None:
    """A profile for each new commissioner, with their expertise. They have no home yet, so nothing to
    match: no candidates to refresh."""
    commissioners = [p for p in people if p.user.role == Role.COMMISSIONER]
    if not commissioners:
        return
    categories_checked([code for p in commissioners for code in p.expertise or []])  # one query for all
    codes = {p.user.pk: list(dict.fromkeys(p.expertise or [])) for p in commissioners}
    CommissionerProfile.objects.bulk_create([CommissionerProfile(user_id=user_id) for user_id in codes])
    through = CommissionerProfile.expertise.through
    through.objects.bulk_create([through(commissionerprofile_id=user_id, category_id=code)
                                 for user_id, expertise in codes.items() for code in expertise])


def people_changed(people: Sequence[PersonWrite]) -> None:
    """Changed commissioners: their expertise where given, and their matching rows afresh (an area, the
    right to log in or the expertise changes who is matchable and how they score)."""
    commissioners = {p.user.pk: p.expertise for p in people if p.user.role == Role.COMMISSIONER}
    if not commissioners:
        return
    profiles = CommissionerProfile.objects.select_for_update().filter(user_id__in=commissioners).order_by("user_id")
    for profile in profiles:
        expertise = commissioners[profile.user_id]
        if expertise is not None:
            profile.expertise.set(categories_checked(expertise))
    profiles.update(updated_at=timezone.now())
    candidates_refresh(commissioners)


def dispatched_into(area: AreaRef) -> QuerySet:
    """Commissioners with an active dispatch into a village of ``area``: started on or before today and
    not ended before it."""
    today = timezone.localdate()
    return (
        Dispatch.objects.filter(area_q(area, "village"), starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values("commissioner_id")
    )


def checked_in_lately(area: AreaRef) -> QuerySet:
    """Commissioners with a check-in in a village of ``area`` in the last WORKING_RECENT_DAYS."""
    since = timezone.now() - timedelta(days=WORKING_RECENT_DAYS)
    return Checkin.objects.filter(area_q(area, "village"), occurred_at__gte=since).values("commissioner_id")


def checkin_tracks_coarsen(now: datetime) -> int:
    """Retention: check-in positions older than RETENTION_CHECKIN_TRACK_DAYS are rounded to 0.01° (about
    1 km: the village, not the field). The village, time, verdict, flags and measured distance stay."""
    cutoff = now - timedelta(days=settings.RETENTION_CHECKIN_TRACK_DAYS)
    coarsened = 0
    old = Checkin.objects.filter(occurred_at__lt=cutoff, position_coarsened=False)
    # Rounded in Python, in batches: portable across databases and bounded in memory.
    while True:
        batch = list(old.only("id", "lat", "lng")[:2000])
        if not batch:
            break
        for row in batch:
            row.lat, row.lng = round(row.lat, COARSE_DECIMALS), round(row.lng, COARSE_DECIMALS)
            row.accuracy_m = None
            row.position_coarsened = True
        Checkin.objects.bulk_update(batch, ["lat", "lng", "accuracy_m", "position_coarsened"])
        coarsened += len(batch)
    return coarsened
