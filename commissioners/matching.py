"""Matching: which commissioners should take up a problem, and why.

Hard filters: active, available, expertise covering the problem's category, home within
`MATCHING["max_km"]`. Then a score in [0, 1], the weighted sum of components each in [0, 1]
(weights and their reasons in settings.MATCHING). Every component goes back in `reasons`, so
staff can see why someone ranks where they do.

Candidates come from the one near selector; the per-candidate figures (workload, track record,
recent service) are three aggregate queries over the candidate set, whatever its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

from geo.distance import geodesic_m
from geo.near import rows_near
from villages.models import Problem, ProblemStatus

from .models import Checkin, Claim, ClaimStatus, CommissionerProfile, Dispatch
from .selectors import HOME


@dataclass
class Match:
    commissioner_id: int
    score: float
    distance_km: float
    reasons: dict[str, Any]
    profile: CommissionerProfile | None = None  # loaded for the results only


def _weights() -> dict[str, float]:
    return settings.MATCHING


def _per_commissioner(ids: list[int], problem: Problem) -> tuple[dict, dict, set]:
    workload = dict(
        Claim.objects.filter(commissioner_id__in=ids, status=ClaimStatus.ACCEPTED,
                             problem__status=ProblemStatus.IN_PROGRESS)
        .values_list("commissioner_id").annotate(n=Count("id"))
    )
    record = {
        row["commissioner_id"]: (row["resolved"], row["rating"])
        for row in Claim.objects.filter(
            commissioner_id__in=ids, status=ClaimStatus.ACCEPTED,
            problem__status__in=[ProblemStatus.RESOLVED, ProblemStatus.CLOSED],
        )
        .values("commissioner_id")
        .annotate(resolved=Count("id"), rating=Avg("problem__rating"))
    }
    since = timezone.now() - timedelta(days=_weights()["recent_days"])
    recent = set(
        Claim.objects.filter(
            Q(commissioner_id__in=ids, status=ClaimStatus.ACCEPTED, problem__village_id=problem.village_id)
            & Q(decided_at__gte=since)
        ).values_list("commissioner_id", flat=True)
    )
    recent |= _recent_field_service(ids, problem.village_id, since)
    return workload, record, recent


def _recent_field_service(ids: list[int], village_code: str, since) -> set[int]:
    """Check-ins and dispatches in the same village count as recent service too."""
    visited = Checkin.objects.filter(commissioner_id__in=ids, village_id=village_code, occurred_at__gte=since)
    dispatched = Dispatch.objects.filter(commissioner_id__in=ids, village_id=village_code,
                                         starts_on__gte=timezone.localdate(since))
    return set(visited.values_list("commissioner_id", flat=True)) | set(
        dispatched.values_list("commissioner_id", flat=True))


def matches_for(problem: Problem, *, limit: int = 10) -> list[Match]:
    w = _weights()
    candidates = CommissionerProfile.objects.filter(
        available=True, user__is_active=True, expertise=problem.category_id
    )
    hits = rows_near(candidates, problem.lat, problem.lng, w["max_km"], HOME, fields=("user__area_id",))
    if not hits:
        return []
    ids = [h.pk for h in hits]
    workload, record, recent = _per_commissioner(ids, problem)
    county = problem.village.county_code
    scored: list[Match] = []
    for hit in hits:
        uid = hit.pk
        active = workload.get(uid, 0)
        resolved, rating = record.get(uid, (0, None))
        same_county = hit.values["user__area_id"][:6] == county
        components = {
            "distance": math.exp(-hit.approx_km / w["distance_decay_km"]),
            "same_county": 1.0 if same_county else 0.0,
            "workload": 1.0 / (1.0 + active),
            "track_record": 1.0 - math.exp(-resolved / w["resolved_scale"]),
            "rating": (float(rating) - 1.0) / 4.0 if rating is not None else 0.5,
            "recent_service": 1.0 if uid in recent else 0.0,
        }
        score = sum(w["weights"][name] * value for name, value in components.items())
        reasons = {
            "distance_km": round(hit.approx_km, 3),
            "same_county": same_county,
            "active_problems": active,
            "resolved_count": resolved,
            "average_rating": round(float(rating), 2) if rating is not None else None,
            "recent_village_service": uid in recent,
            "components": {name: round(value, 4) for name, value in components.items()},
            "weights": w["weights"],
        }
        scored.append(Match(uid, round(score, 4), hit.approx_km, reasons))
    scored.sort(key=lambda m: (-m.score, m.distance_km, m.commissioner_id))
    top = scored[:limit]
    profiles = CommissionerProfile.objects.select_related("user").in_bulk([m.commissioner_id for m in top])
    for match in top:
        match.profile = profiles[match.commissioner_id]
        # what people see is measured on the ellipsoid
        match.distance_km = round(
            geodesic_m(problem.lat, problem.lng, match.profile.home_lat, match.profile.home_lng) / 1000, 3)
        match.reasons["distance_km"] = match.distance_km
    return top
