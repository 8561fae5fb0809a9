"""Who works in an area through problems: the `working_in` hooks of `accounts.hooks` this app registers
in `ProblemsConfig.ready()` (accounts/scoping.py: which commissioners township staff may list)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.hooks import AreaRef
from accounts.scoping import area_q

from .models import LIVE_CLAIM_STATUSES, Claim


def claiming_live(area: AreaRef) -> QuerySet:
    """Commissioners with a live (pending or accepted) claim on a problem of ``area``."""
    return Claim.objects.filter(area_q(area, "problem__village"), status__in=LIVE_CLAIM_STATUSES).values(
        "commissioner_id")
