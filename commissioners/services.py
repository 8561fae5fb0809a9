"""Writes for commissioners."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import ensure_location_consent
from core.errors import Invalid
from geo.cells import cell_of
from villages.models import Category

from .candidates import candidates_refresh
from .models import CommissionerProfile


def categories_checked(codes: list[str]) -> list[Category]:
    """The categories with these codes; Invalid naming the unknown ones."""
    codes = list(dict.fromkeys(codes))
    found = list(Category.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {c.code for c in found})
    if unknown:
        raise Invalid(_("Unknown categories: %(codes)s.") % {"codes": ", ".join(unknown)},
                      fields={"expertise": unknown})
    return found


@transaction.atomic
def profile_update(
    *,
    user: User,
    expertise: list[str] | None = None,
    home: tuple[float, float] | None = None,
    available: bool | None = None,
) -> CommissionerProfile:
    """``home`` is (lat, lng) in WGS-84; the API converts the phone's datum at the edge."""
    profile = CommissionerProfile.objects.select_for_update().get(user=user)
    if home is not None:
        ensure_location_consent(user)
        profile.home_lat, profile.home_lng = home
        profile.home_cell = cell_of(*home)
    if available is not None:
        profile.available = available
    profile.updated_at = timezone.now()
    profile.save()
    if expertise is not None:
        profile.expertise.set(categories_checked(expertise))
    candidates_refresh([user.pk])
    return profile
