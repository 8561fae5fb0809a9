"""Matching for teams: which shared service teams should take up a problem, and why.

A team is a candidate when it is active, its industry is the problem's category, and either its
service area covers the village (the village itself or its township) or one of its members is in the
problem's audience (problems/audience.py: the expertise, available, home within reach). It is scored
with the weights individuals are scored with (settings.MATCHING), each component in [0, 1]:

- distance: its nearest member's (exp(-d / decay)); a member without a home counts from their area;
- service_area (the weight of `same_county`): the team's service area covers the village;
- workload, track_record, rating: the team's own claims (in progress; resolved; the villages' ratings);
- recent_service: a member served the village lately (an accepted claim, a check-in or a dispatch).

Every figure goes back in `reasons`, in words a staff member reads (industry, covers the village,
members and their distances, workload, record). Six queries whatever the number of teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, Sum

from commissioners.models import CommissionerProfile
from geo.distance import geodesic_many_m
from teams.models import Membership, ServiceArea, Team
from villages.models import Area

from .models import Claim, ClaimStatus, Problem, ProblemStatus
from .selectors import DONE

# The component that weighs a team's service area takes the weight of an individual's same county:
# both say "this is their patch", and one set of weights keeps people and teams on one scale.
_WEIGHT_OF = {"distance": "distance", "service_area": "same_county", "workload": "workload",
              "track_record": "track_record", "rating": "rating", "recent_service": "recent_service"}


@dataclass
class TeamMatch:
    team: Team
    score: float
    distance_km: float | None
    reasons: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)


def teams_covering_q(village: Area) -> Q:
    """Teams whose service area holds the village or its township."""
    return Q(pk__in=ServiceArea.objects.filter(area_id__in=[village.code, village.township_code]).values("team_id"))


def _candidates(problem: Problem, audience_ids: list[int]) -> tuple[list[Team], set[int]]:
    """The candidate teams and, among them, those covering the village. Two queries."""
    near = Q(pk__in=Membership.objects.filter(user_id__in=audience_ids).values("team_id")) if audience_ids else Q(
        pk__in=[])
    teams = list(
        Team.objects.filter(industry_id=problem.category_id, active=True)
        .filter(teams_covering_q(problem.village) | near)
        .annotate(covers=Count("service_areas", filter=Q(
            service_areas__area_id__in=[problem.village_id, problem.village.township_code])))
        .order_by("pk")
    )
    return teams, {t.pk for t in teams if t.covers}


def _records(team_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """team -> (problems in progress, resolved, rating sum, rating count), from its accepted claims."""
    rated = Q(problem__status__in=DONE, problem__rating__isnull=False)
    rows = (Claim.objects.filter(team_id__in=team_ids, status=ClaimStatus.ACCEPTED).values("team_id")
            .annotate(active=Count("id", filter=Q(problem__status=ProblemStatus.IN_PROGRESS)),
                      resolved=Count("id", filter=Q(problem__status__in=DONE)),
                      rating_sum=Sum("problem__rating", filter=rated), rating_count=Count("id", filter=rated))
            .order_by())
    return {r["team_id"]: (r["active"], r["resolved"], r["rating_sum"] or 0, r["rating_count"]) for r in rows}


def team_matches_for(problem: Problem, *, audience_ids: list[int], recent: set[int], limit: int = 10
                     ) -> list[TeamMatch]:
    """The best ``limit`` teams for ``problem``, scored (module docstring). ``audience_ids``: the problem's
    audience; ``recent``: who served the village lately (both as matching computed them for people)."""
    teams, covering = _candidates(problem, audience_ids)
    if not teams:
        return []
    ids = [t.pk for t in teams]
    memberships = list(Membership.objects.filter(team_id__in=ids, user__is_active=True)
                       .select_related("user", "user__area").order_by("team_id", "role", "id"))
    homes = dict((pk, (lat, lng)) for pk, lat, lng in CommissionerProfile.objects.filter(
        user_id__in={m.user_id for m in memberships}, home_lat__isnull=False)
        .values_list("user_id", "home_lat", "home_lng"))
    # Members without a home position count from their registered area's position.
    points = [homes.get(m.user_id) or (m.user.area.lat, m.user.area.lng) for m in memberships]
    known = [i for i, p in enumerate(points) if p[0] is not None]
    km = np.full(len(memberships), np.inf)
    if known:
        metres = geodesic_many_m(problem.lat, problem.lng, [points[i][0] for i in known],
                                 [points[i][1] for i in known])
        km[known] = metres / 1000
    records = _records(ids)
    w = settings.MATCHING
    weights = {name: w["weights"][key] for name, key in _WEIGHT_OF.items()}
    reach = settings.PROBLEM_REACH_KM
    by_team: dict[int, list[int]] = {}
    for i, m in enumerate(memberships):
        by_team.setdefault(m.team_id, []).append(i)
    found = []
    for team in teams:
        rows = by_team.get(team.pk, [])
        if not rows:
            continue  # no active member: nobody could go
        nearest = float(min(km[rows]))
        active, resolved, rating_sum, rating_count = records.get(team.pk, (0, 0, 0, 0))
        rating = rating_sum / rating_count if rating_count else None
        served = any(memberships[i].user_id in recent for i in rows)
        components = {
            "distance": float(np.exp(-nearest / w["distance_decay_km"])) if np.isfinite(nearest) else 0.0,
            "service_area": 1.0 if team.pk in covering else 0.0,
            "workload": 1.0 / (1.0 + active),
            "track_record": float(1.0 - np.exp(-resolved / w["resolved_scale"])),
            "rating": 0.5 if rating is None else (rating - 1.0) / 4.0,
            "recent_service": 1.0 if served else 0.0,
        }
        score = round(sum(weights[name] * c for name, c in components.items()), 4)
        distance = round(nearest, 3) if np.isfinite(nearest) else None
        reasons = {
            "industry": team.industry_id,
            "service_area_covers_village": team.pk in covering,
            "members": len(rows),
            "nearest_member_km": distance,
            "members_within_reach": int(sum(1 for i in rows if km[i] <= reach)),
            "member_distances_km": {str(memberships[i].user_id): round(float(km[i]), 3) if np.isfinite(km[i])
                                    else None for i in rows},
            "active_problems": active,
            "resolved_count": resolved,
            "average_rating": round(rating, 2) if rating is not None else None,
            "recent_village_service": served,
            "components": {name: round(c, 4) for name, c in components.items()},
            "weights": weights,
        }
        members = [{"id": memberships[i].user_id, "name": memberships[i].user.name,
                    "area_code": memberships[i].user.area_id, "role": memberships[i].role} for i in rows]
        found.append(TeamMatch(team, score, distance, reasons, members))
    found.sort(key=lambda m: (-m.score, m.distance_km if m.distance_km is not None else float("inf"), m.team.pk))
    return found[:limit]
