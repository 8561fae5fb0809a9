"""Reads for commissioners."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from api.pagination import PageIn
from geo.near import Located, nearest_page, rows_near
from villages.models import Category

from .models import CommissionerProfile

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
    county: str | None = None,
    category: str | None = None,
    available: bool | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = 30.0,
    pager: PageIn,
) -> tuple[int, list[tuple[CommissionerProfile, float | None]]]:
    """Active commissioners by home county, expertise and availability; nearest first with `near`."""
    qs = _profiles()
    if county:
        qs = qs.filter(user__area__county_code=county)
    if category:
        qs = qs.filter(expertise__code=category)
    if available is not None:
        qs = qs.filter(available=available)
    if near is None:
        count = qs.count()
        rows = list(qs[pager.offset : pager.offset + pager.limit])
        return count, [(row, None) for row in rows]
    # Prefetching expertise for every candidate would be wasted work: fetch rows plain, page,
    # then prefetch for the page alone.
    hits = rows_near(qs.prefetch_related(None), near[0], near[1], radius_km, HOME)
    page = nearest_page(hits, near[0], near[1], pager.offset, pager.limit, HOME)
    profiles = [h.obj for h in page]
    prefetch_related_objects(profiles, Prefetch("expertise", queryset=Category.objects.only("code")))
    return len(hits), [(h.obj, round(h.distance_km, 3)) for h in page]
